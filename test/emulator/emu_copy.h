/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The emulator's copy of frame data (receive write, transmit gather,
 * loopback slots): wide vector moves for every length, no rep movsb.
 */
#ifndef EMU_COPY_H
#define EMU_COPY_H

#include <stddef.h>

/*
 * Copy n bytes from src to dst; the two must not overlap. What memcpy
 * does, with 32-byte moves (AVX2 where the CPU has it, decided once)
 * at every length: glibc turns to rep movsb above a few KB, which
 * moves the same bytes in microcode (and which callgrind counts as one
 * instruction per byte, hiding the host's real cost of a jumbo frame).
 */
void emu_copy(void *dst, const void *src, size_t n);

/* The build emu_copy runs on a CPU without AVX2 (unit tests run both). */
void emu_copy_base(void *dst, const void *src, size_t n);

#endif /* EMU_COPY_H */
