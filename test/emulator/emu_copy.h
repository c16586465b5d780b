/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The emulator's copy of frame data (receive write, transmit gather,
 * loopback slots): wide vector moves up to 4 KB, a string move above.
 */
#ifndef EMU_COPY_H
#define EMU_COPY_H

#include <stddef.h>
#include <stdint.h>

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

extern __attribute__((visibility("hidden"))) void (*emu_copy_mid_run_fn)(
	uint8_t *base, const uint32_t *off, size_t step,
	const void *const *srcs, size_t m, size_t n);

/*
 * emu_copy_mid for m sources of the same n bytes (257 <= n <= 4096):
 * srcs[k] to base + off[k * step] (step counts u32s: 2 walks the
 * byte_offset fields of VMBus transfer-page ranges). One call for the
 * lot: the length's entry into the copy is found once, not per source.
 * Sources and destinations do not overlap.
 */
static inline void
emu_copy_mid_run(uint8_t *base, const uint32_t *off, size_t step,
		 const void *const *srcs, size_t m, size_t n)
{
	__atomic_load_n(&emu_copy_mid_run_fn, __ATOMIC_RELAXED)(base, off, step,
								 srcs, m, n);
}

/* emu_copy_mid_run's build for a CPU without AVX2 (unit tests). */
void emu_copy_mid_run_base(uint8_t *base, const uint32_t *off, size_t step,
			   const void *const *srcs, size_t m, size_t n);

extern __attribute__((visibility("hidden"))) void (*emu_copy_mid_blk_fn)(
	uint8_t *base, size_t stride, const void *hdr, size_t at,
	const void *const *srcs, size_t m, size_t n);

/*
 * emu_copy_mid_run for destinations one stride apart, each with the same
 * 64-byte header before it: for k < m, hdr to base + k * stride and
 * srcs[k] (n bytes, 257 <= n <= 4096) to base + k * stride + at
 * (at >= 64). A receive run's frames into consecutive sub-allocations.
 */
static inline void
emu_copy_mid_blk(uint8_t *base, size_t stride, const void *hdr, size_t at,
		 const void *const *srcs, size_t m, size_t n)
{
	__atomic_load_n(&emu_copy_mid_blk_fn, __ATOMIC_RELAXED)(base, stride, hdr,
								 at, srcs, m, n);
}

/* emu_copy_mid_blk's build for a CPU without AVX2 (unit tests). */
void emu_copy_mid_blk_base(uint8_t *base, size_t stride, const void *hdr,
			   size_t at, const void *const *srcs, size_t m,
			   size_t n);

/*
 * emu_copy for a destination another core reads next (received frames
 * in guest memory): from 4 KB, the whole 64-byte lines of dst by
 * non-temporal stores, so they are not read for ownership first nor
 * left dirty in this core's cache (rep movsq's speed there, about half
 * its callgrind count); below, emu_copy. Not for buffers this core
 * reads again: streamed lines are read back from memory.
 */
void emu_copy_nt(void *dst, const void *src, size_t n);

/* emu_copy_nt's build for a CPU without AVX2 (unit tests). */
void emu_copy_nt_base(void *dst, const void *src, size_t n);

#endif /* EMU_COPY_H */
