/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The emulator's copy of frame data (receive write, transmit gather,
 * loopback slots): wide vector moves up to 4 KB, glibc's memcpy above.
 */
#ifndef EMU_COPY_H
#define EMU_COPY_H

#include <stddef.h>

/*
 * Copy n bytes from src to dst; the two must not overlap. Below 4 KB,
 * 32-byte moves (AVX2 where the CPU has it, decided once), fewer
 * instructions than glibc's dispatch for frame-sized copies. From 4 KB
 * (jumbo frames) glibc's memcpy, whose rep movsb is faster on the wall
 * clock there (1.65x on rxonly-9014), though callgrind counts it as one
 * instruction per byte: the bench's jumbo emulator figures include that.
 */
void emu_copy(void *dst, const void *src, size_t n);

/* The build emu_copy runs on a CPU without AVX2 (unit tests run both). */
void emu_copy_base(void *dst, const void *src, size_t n);

#endif /* EMU_COPY_H */
