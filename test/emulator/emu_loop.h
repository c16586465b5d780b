/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The emulator's event loop: epoll over the uio sockets (and, later, the
 * control socket and the service's own fds), an optional periodic tick
 * for a service that polls shared memory, and a way for other threads to
 * run a function on the loop thread. Everything that touches device state
 * runs on the loop thread, so the core needs no locks.
 */
#ifndef EMU_LOOP_H
#define EMU_LOOP_H

#include <stdint.h>

struct emu_loop;

/* events: EPOLLIN/EPOLLOUT/EPOLLHUP/EPOLLERR as reported by epoll. */
typedef void (*emu_loop_fd_cb)(void *arg, uint32_t events);
typedef void (*emu_loop_fn)(void *arg);

int emu_loop_create(struct emu_loop **out);
void emu_loop_destroy(struct emu_loop *loop);

int emu_loop_add(struct emu_loop *loop, int fd, uint32_t events,
		 emu_loop_fd_cb cb, void *arg);
/* Safe from inside a callback, also for the fd being dispatched. */
int emu_loop_del(struct emu_loop *loop, int fd);

/*
 * Call fn every period_ms (0 = on every iteration, i.e. busy polling;
 * -1 = off). One tick per loop: the service layer owns it.
 */
void emu_loop_set_tick(struct emu_loop *loop, int period_ms, emu_loop_fn fn,
		       void *arg);

/* One epoll_wait of at most timeout_ms (-1 = until an event). */
int emu_loop_run_once(struct emu_loop *loop, int timeout_ms);
/* Until emu_loop_stop(); returns 0 or -errno. */
int emu_loop_run(struct emu_loop *loop);
/* Any thread, also a signal handler. */
void emu_loop_stop(struct emu_loop *loop);

/*
 * Run fn(arg) on the loop thread and wait for it to finish. From the loop
 * thread itself fn runs at once. Needs the loop to be running elsewhere.
 */
int emu_loop_call(struct emu_loop *loop, emu_loop_fn fn, void *arg);

#endif /* EMU_LOOP_H */
