/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The emulator's copy of frame data (receive write, transmit gather,
 * loopback slots): wide vector moves up to 4 KB, a string move above.
 */
#ifndef EMU_COPY_H
#define EMU_COPY_H

#include <stddef.h>

/*
 * Copy n bytes from src to dst; the two must not overlap. Below 4 KB,
 * 32-byte moves (AVX2 where the CPU has it, decided once), fewer
 * instructions than glibc's dispatch for frame-sized copies. From 4 KB
 * (jumbo frames) rep movsq, faster on the wall clock there than the
 * vector loop (1.65x on rxonly-9014, as glibc's rep movsb) and counted
 * by callgrind once per 8 bytes.
 */
void emu_copy(void *dst, const void *src, size_t n);

/* The build emu_copy runs on a CPU without AVX2 (unit tests run both). */
void emu_copy_base(void *dst, const void *src, size_t n);

/* The CPU's build of emu_copy for 257..4096 bytes (set once). Hidden:
 * one jump through it, no address load first. */
extern __attribute__((visibility("hidden"))) void (*emu_copy_mid_fn)(
	void *dst, const void *src, size_t n);

/*
 * emu_copy for 257 <= n <= 4096 (frames of a standard MTU) without its
 * length tests: the caller made them. One indirect call.
 */
static inline void
emu_copy_mid(void *dst, const void *src, size_t n)
{
	__atomic_load_n(&emu_copy_mid_fn, __ATOMIC_RELAXED)(dst, src, n);
}

/* emu_copy_mid's build for a CPU without AVX2 (unit tests). */
void emu_copy_mid_base(void *dst, const void *src, size_t n);

#endif /* EMU_COPY_H */
