/* SPDX-License-Identifier: BSD-3-Clause */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "emu_loop.h"

#define EMU_LOOP_MAX_EVENTS 32

struct emu_watch {
	struct emu_watch *next;
	int fd;
	emu_loop_fd_cb cb; /* NULL once deleted */
	void *arg;
};

struct emu_loop {
	int epfd;
	int wakefd;		   /* eventfd: stop and cross-thread calls */
	volatile sig_atomic_t stop;
	struct emu_watch *watches;
	struct emu_watch *dead;	   /* freed after the dispatch round */
	pthread_t owner;	   /* thread inside emu_loop_run */
	bool running;
	int tick_ms;
	emu_loop_fn tick_fn;
	void *tick_arg;
	uint64_t next_tick_ns;
	pthread_mutex_t call_serial; /* one cross-thread call at a time */
	pthread_mutex_t lock;
	pthread_cond_t done_cv;
	emu_loop_fn call_fn;
	void *call_arg;
	bool call_done;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int
emu_loop_create(struct emu_loop **out)
{
	struct emu_loop *l = calloc(1, sizeof(*l));
	struct epoll_event ev = { .events = EPOLLIN };

	if (l == NULL)
		return -ENOMEM;
	l->tick_ms = -1;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ev.data.ptr = NULL; /* NULL marks the wake fd */
	if (l->epfd < 0 || l->wakefd < 0 ||
	    epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->wakefd, &ev) != 0) {
		int ret = -errno;

		if (l->epfd >= 0)
			close(l->epfd);
		if (l->wakefd >= 0)
			close(l->wakefd);
		free(l);
		return ret;
	}
	pthread_mutex_init(&l->call_serial, NULL);
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->done_cv, NULL);
	*out = l;
	return 0;
}

static void
free_list(struct emu_watch *w)
{
	while (w != NULL) {
		struct emu_watch *n = w->next;

		free(w);
		w = n;
	}
}

void
emu_loop_destroy(struct emu_loop *loop)
{
	if (loop == NULL)
		return;
	free_list(loop->watches);
	free_list(loop->dead);
	close(loop->epfd);
	close(loop->wakefd);
	pthread_mutex_destroy(&loop->call_serial);
	pthread_mutex_destroy(&loop->lock);
	pthread_cond_destroy(&loop->done_cv);
	free(loop);
}

int
emu_loop_add(struct emu_loop *loop, int fd, uint32_t events,
	     emu_loop_fd_cb cb, void *arg)
{
	struct emu_watch *w = calloc(1, sizeof(*w));
	struct epoll_event ev = { .events = events };

	if (w == NULL)
		return -ENOMEM;
	w->fd = fd;
	w->cb = cb;
	w->arg = arg;
	ev.data.ptr = w;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		int ret = -errno;

		free(w);
		return ret;
	}
	w->next = loop->watches;
	loop->watches = w;
	return 0;
}

int
emu_loop_del(struct emu_loop *loop, int fd)
{
	struct emu_watch **pp;

	for (pp = &loop->watches; *pp != NULL; pp = &(*pp)->next) {
		struct emu_watch *w = *pp;

		if (w->fd != fd)
			continue;
		epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
		*pp = w->next;
		/* Events for w may still be in this round's array. */
		w->cb = NULL;
		w->next = loop->dead;
		loop->dead = w;
		return 0;
	}
	return -ENOENT;
}

void
emu_loop_set_tick(struct emu_loop *loop, int period_ms, emu_loop_fn fn,
		  void *arg)
{
	loop->tick_ms = fn != NULL ? period_ms : -1;
	loop->tick_fn = fn;
	loop->tick_arg = arg;
	loop->next_tick_ns = now_ns();
}

void
emu_loop_stop(struct emu_loop *loop)
{
	uint64_t one = 1;

	loop->stop = 1;
	/* Only async-signal-safe calls here. */
	if (write(loop->wakefd, &one, sizeof(one)) < 0) {
		/* The counter is already non-zero: a wake-up is pending. */
	}
}

/* The function runs unlocked: it may itself use the loop API. */
static void
finish_call(struct emu_loop *loop)
{
	emu_loop_fn fn;
	void *arg;

	pthread_mutex_lock(&loop->lock);
	fn = loop->call_fn;
	arg = loop->call_arg;
	loop->call_fn = NULL;
	pthread_mutex_unlock(&loop->lock);
	if (fn == NULL)
		return;
	fn(arg);
	pthread_mutex_lock(&loop->lock);
	loop->call_done = true;
	pthread_cond_broadcast(&loop->done_cv);
	pthread_mutex_unlock(&loop->lock);
}

static void
run_pending_call(struct emu_loop *loop)
{
	uint64_t v;

	if (read(loop->wakefd, &v, sizeof(v)) < 0) {
		/* EAGAIN: a concurrent round consumed it. */
	}
	finish_call(loop);
}

static int
tick_timeout(struct emu_loop *loop, int timeout_ms)
{
	uint64_t now;
	int left;

	if (loop->tick_ms < 0)
		return timeout_ms;
	/* Busy polling: due on every iteration, no clock needed. */
	if (loop->tick_ms == 0)
		return 0;
	now = now_ns();
	if (now >= loop->next_tick_ns)
		return 0;
	left = (int)((loop->next_tick_ns - now + 999999u) / 1000000u);
	return timeout_ms < 0 || left < timeout_ms ? left : timeout_ms;
}

static void
maybe_tick(struct emu_loop *loop)
{
	uint64_t now;

	if (loop->tick_ms < 0 || loop->tick_fn == NULL)
		return;
	if (loop->tick_ms == 0) {
		loop->tick_fn(loop->tick_arg);
		return;
	}
	now = now_ns();
	if (now < loop->next_tick_ns)
		return;
	loop->next_tick_ns = now + (uint64_t)loop->tick_ms * 1000000u;
	loop->tick_fn(loop->tick_arg);
}

static void
dispatch(struct emu_loop *loop, const struct epoll_event *ev, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		struct emu_watch *w = ev[i].data.ptr;

		if (w == NULL)
			run_pending_call(loop);
		else if (w->cb != NULL)
			w->cb(w->arg, ev[i].events);
	}
}

int
emu_loop_run_once(struct emu_loop *loop, int timeout_ms)
{
	struct epoll_event ev[EMU_LOOP_MAX_EVENTS];
	int n;

	n = epoll_wait(loop->epfd, ev, EMU_LOOP_MAX_EVENTS,
		       tick_timeout(loop, timeout_ms));
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	dispatch(loop, ev, n);
	free_list(loop->dead);
	loop->dead = NULL;
	maybe_tick(loop);
	return 0;
}

/*
 * emu_loop_run_once for a busy-polling tick (period 0), the same steps
 * (fds without waiting, then the tick) with nothing else around them:
 * an idle poll is mostly this. Returns once the tick is no longer busy.
 */
static int
run_busy(struct emu_loop *loop)
{
	struct epoll_event ev[EMU_LOOP_MAX_EVENTS];
	int n;

	while (!loop->stop && loop->tick_ms == 0 && loop->tick_fn != NULL) {
		n = epoll_wait(loop->epfd, ev, EMU_LOOP_MAX_EVENTS, 0);
		if (n < 0) {
			if (errno != EINTR)
				return -errno;
			continue;
		}
		if (n > 0)
			dispatch(loop, ev, n);
		if (loop->dead != NULL) {
			free_list(loop->dead);
			loop->dead = NULL;
		}
		/* Still busy (a callback may have changed the tick: then
		 * decide as emu_loop_run_once does). */
		if (loop->tick_ms == 0 && loop->tick_fn != NULL)
			loop->tick_fn(loop->tick_arg);
		else
			maybe_tick(loop);
	}
	return 0;
}

int
emu_loop_run(struct emu_loop *loop)
{
	int ret = 0;

	pthread_mutex_lock(&loop->lock);
	loop->owner = pthread_self();
	loop->running = true;
	pthread_mutex_unlock(&loop->lock);
	while (!loop->stop && ret == 0) {
		if (loop->tick_ms == 0 && loop->tick_fn != NULL)
			ret = run_busy(loop);
		else
			ret = emu_loop_run_once(loop, -1);
	}
	pthread_mutex_lock(&loop->lock);
	loop->running = false;
	pthread_mutex_unlock(&loop->lock);
	/* A caller still waiting would hang: run its function here. */
	finish_call(loop);
	loop->stop = 0;
	return ret;
}

int
emu_loop_call(struct emu_loop *loop, emu_loop_fn fn, void *arg)
{
	uint64_t one = 1;
	bool direct;

	pthread_mutex_lock(&loop->lock);
	direct = !loop->running || pthread_equal(loop->owner, pthread_self());
	pthread_mutex_unlock(&loop->lock);
	if (direct) {
		fn(arg);
		return 0;
	}
	pthread_mutex_lock(&loop->call_serial);
	pthread_mutex_lock(&loop->lock);
	loop->call_fn = fn;
	loop->call_arg = arg;
	loop->call_done = false;
	if (write(loop->wakefd, &one, sizeof(one)) < 0) {
		/* Counter saturated means a wake-up is pending anyway. */
	}
	while (!loop->call_done)
		pthread_cond_wait(&loop->done_cv, &loop->lock);
	pthread_mutex_unlock(&loop->lock);
	pthread_mutex_unlock(&loop->call_serial);
	return 0;
}
