/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The event loop with a busy-polling tick (period 0, the network
 * service's): the tick runs on every iteration, fds and cross-thread
 * calls are still served between ticks, a callback that turns the tick
 * off is obeyed before the next tick, and stop ends the run.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "emu_loop.h"

struct busy {
	struct emu_loop *loop;
	pthread_t loop_thread;
	unsigned long ticks;     /* written by the loop thread only */
	unsigned long fd_events;
	unsigned long ticks_at_off; /* ticks when the tick was turned off */
	bool on_loop_thread;
	int efd;
	int run_ret;
};

static void
count_tick(void *arg)
{
	struct busy *b = arg;

	__atomic_add_fetch(&b->ticks, 1, __ATOMIC_RELEASE);
}

static unsigned long
ticks(struct busy *b)
{
	return __atomic_load_n(&b->ticks, __ATOMIC_ACQUIRE);
}

static void *
run_loop(void *arg)
{
	struct busy *b = arg;

	b->run_ret = emu_loop_run(b->loop);
	return NULL;
}

static void
on_efd(void *arg, uint32_t events)
{
	struct busy *b = arg;
	uint64_t v;

	(void)events;
	if (read(b->efd, &v, sizeof(v)) == sizeof(v))
		__atomic_add_fetch(&b->fd_events, 1, __ATOMIC_RELEASE);
}

static void
watch_efd(void *arg)
{
	struct busy *b = arg;

	b->on_loop_thread = pthread_equal(pthread_self(), b->loop_thread);
	assert_int_equal(emu_loop_add(b->loop, b->efd, EPOLLIN, on_efd, b), 0);
}

static void
tick_off(void *arg)
{
	struct busy *b = arg;

	emu_loop_set_tick(b->loop, -1, NULL, NULL);
	b->ticks_at_off = ticks(b);
}

static void
nothing(void *arg)
{
	(void)arg;
}

static void
test_emu_loop_busy_tick(void **state)
{
	struct busy b = { .efd = -1 };
	uint64_t one = 1;
	unsigned long t;

	(void)state;
	assert_int_equal(emu_loop_create(&b.loop), 0);
	b.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(b.efd >= 0);
	emu_loop_set_tick(b.loop, 0, count_tick, &b);
	assert_int_equal(pthread_create(&b.loop_thread, NULL, run_loop, &b), 0);

	/* Ticks without any event (the loop never sleeps). */
	while (ticks(&b) < 1000)
		sched_yield();

	/* A cross-thread call runs on the loop thread between ticks. */
	assert_int_equal(emu_loop_call(b.loop, watch_efd, &b), 0);
	assert_true(b.on_loop_thread);

	/* An fd event is dispatched while the tick keeps running. */
	t = ticks(&b);
	assert_int_equal(write(b.efd, &one, sizeof(one)), sizeof(one));
	while (__atomic_load_n(&b.fd_events, __ATOMIC_ACQUIRE) == 0)
		sched_yield();
	while (ticks(&b) < t + 1000)
		sched_yield();

	/* Turned off inside a call: no tick after it, not even the one of
	 * the iteration that ran the call. Another call is a full
	 * iteration later. */
	assert_int_equal(emu_loop_call(b.loop, tick_off, &b), 0);
	assert_int_equal(emu_loop_call(b.loop, nothing, NULL), 0);
	assert_int_equal(ticks(&b), b.ticks_at_off);

	emu_loop_stop(b.loop);
	assert_int_equal(pthread_join(b.loop_thread, NULL), 0);
	assert_int_equal(b.run_ret, 0);
	close(b.efd);
	emu_loop_destroy(b.loop);
}

/* Stop while busy: emu_loop_run returns. */
static void
test_emu_loop_busy_stop(void **state)
{
	struct busy b = { .efd = -1 };

	(void)state;
	assert_int_equal(emu_loop_create(&b.loop), 0);
	emu_loop_set_tick(b.loop, 0, count_tick, &b);
	assert_int_equal(pthread_create(&b.loop_thread, NULL, run_loop, &b), 0);
	while (ticks(&b) < 100)
		sched_yield();
	emu_loop_stop(b.loop);
	assert_int_equal(pthread_join(b.loop_thread, NULL), 0);
	assert_int_equal(b.run_ret, 0);
	emu_loop_destroy(b.loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emu_loop_busy_tick),
		cmocka_unit_test(test_emu_loop_busy_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
