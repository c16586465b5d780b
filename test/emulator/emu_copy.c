/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * emu_copy: every length as unaligned vector moves. Lengths up to 256
 * bytes are two overlapping moves of the largest block that fits twice
 * (head and tail); longer copies move 512 bytes a round and finish with
 * the last 512 bytes (overlapping the bytes before them: src and dst do
 * not overlap, so rewriting a byte rewrites the same value).
 *
 * One source, two builds: the generic vector type is a pair of SSE2
 * registers by default and one AVX2 register in the "avx2" build; the
 * first call picks the build the CPU runs (cpuid, via the compiler's
 * __builtin_cpu_supports).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "emu_copy.h"

/* From here on emu_copy is a string move (see emu_copy). */
#define EMU_COPY_STRING_MIN 4096u

/* 32 bytes, any alignment, any type's storage. */
typedef uint8_t emu_v32 __attribute__((vector_size(32), aligned(1), may_alias));
typedef uint8_t emu_v16 __attribute__((vector_size(16), aligned(1), may_alias));

#define LD32(p) (*(const emu_v32 *)(const void *)(p))
#define ST32(p, v) (*(emu_v32 *)(void *)(p) = (v))

/* 32 < n <= 256 (the callers' tail and mid-size frames). */
#define COPY_MID(d, s, n)                                                   \
	do {                                                                \
		if ((n) > 128) {                                            \
			emu_v32 a0 = LD32(s), a1 = LD32(s + 32),            \
				a2 = LD32(s + 64), a3 = LD32(s + 96),       \
				b0 = LD32(s + (n) - 128),                   \
				b1 = LD32(s + (n) - 96),                    \
				b2 = LD32(s + (n) - 64),                    \
				b3 = LD32(s + (n) - 32);                    \
			ST32(d, a0); ST32(d + 32, a1);                      \
			ST32(d + 64, a2); ST32(d + 96, a3);                 \
			ST32(d + (n) - 128, b0); ST32(d + (n) - 96, b1);    \
			ST32(d + (n) - 64, b2); ST32(d + (n) - 32, b3);     \
		} else if ((n) > 64) {                                      \
			emu_v32 a0 = LD32(s), a1 = LD32(s + 32),            \
				b0 = LD32(s + (n) - 64),                    \
				b1 = LD32(s + (n) - 32);                    \
			ST32(d, a0); ST32(d + 32, a1);                      \
			ST32(d + (n) - 64, b0); ST32(d + (n) - 32, b1);     \
		} else {                                                    \
			emu_v32 a0 = LD32(s), b0 = LD32(s + (n) - 32);      \
			ST32(d, a0); ST32(d + (n) - 32, b0);                \
		}                                                           \
	} while (0)

/* n <= 32: fixed-size moves from both ends. */
static inline __attribute__((always_inline)) void
copy_small(uint8_t *d, const uint8_t *s, size_t n)
{
	if (n >= 16) {
		emu_v16 a = *(const emu_v16 *)(const void *)s;
		emu_v16 b = *(const emu_v16 *)(const void *)(s + n - 16);

		*(emu_v16 *)(void *)d = a;
		*(emu_v16 *)(void *)(d + n - 16) = b;
	} else if (n >= 8) {
		uint64_t a, b;

		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + n - 8, &b, 8);
	} else if (n >= 4) {
		uint32_t a, b;

		memcpy(&a, s, 4);
		memcpy(&b, s + n - 4, 4);
		memcpy(d, &a, 4);
		memcpy(d + n - 4, &b, 4);
	} else if (n != 0) {
		/* 1..3: first, middle (n / 2) and last byte. */
		uint8_t a = s[0], m = s[n / 2], b = s[n - 1];

		d[0] = a;
		d[n / 2] = m;
		d[n - 1] = b;
	}
}

/*
 * The 256 bytes at s to d. The empty asm makes each pointer one
 * register, so the moves address it with constant offsets (else the
 * compiler reassociates d + n - 256 + 32 into a register per move).
 */
static inline __attribute__((always_inline)) void
copy_256(uint8_t *d, const uint8_t *s)
{
	__asm__("" : "+r"(d), "+r"(s));
	{
		emu_v32 a0 = LD32(s), a1 = LD32(s + 32), a2 = LD32(s + 64),
			a3 = LD32(s + 96), a4 = LD32(s + 128),
			a5 = LD32(s + 160), a6 = LD32(s + 192),
			a7 = LD32(s + 224);

		ST32(d, a0); ST32(d + 32, a1); ST32(d + 64, a2);
		ST32(d + 96, a3); ST32(d + 128, a4); ST32(d + 160, a5);
		ST32(d + 192, a6); ST32(d + 224, a7);
	}
}

/*
 * The body of both builds. Above 512 bytes: rounds of 512 (16 moves
 * each way, one index to step and compare) while more than 512 are
 * left, then the last 512 bytes, overlapping what came before. The
 * round loop is written out so the compiler does not turn it back into
 * a memcpy call (its loop pattern recognition is off for these
 * functions).
 */
static inline __attribute__((always_inline)) void
copy_body(uint8_t *d, const uint8_t *s, size_t n)
{
	size_t i, last;

	if (n <= 32) {
		copy_small(d, s, n);
		return;
	}
	if (n <= 256) {
		COPY_MID(d, s, n);
		return;
	}
	if (n <= 512) {
		copy_256(d, s);
		copy_256(d + n - 256, s + n - 256);
		return;
	}
	last = n - 512;
	for (i = 0; i < last; i += 512) {
		const uint8_t *p = s + i;
		uint8_t *q = d + i;
		emu_v32 a0 = LD32(p), a1 = LD32(p + 32), a2 = LD32(p + 64),
			a3 = LD32(p + 96), a4 = LD32(p + 128),
			a5 = LD32(p + 160), a6 = LD32(p + 192),
			a7 = LD32(p + 224);

		ST32(q, a0); ST32(q + 32, a1); ST32(q + 64, a2);
		ST32(q + 96, a3); ST32(q + 128, a4); ST32(q + 160, a5);
		ST32(q + 192, a6); ST32(q + 224, a7);
		a0 = LD32(p + 256); a1 = LD32(p + 288); a2 = LD32(p + 320);
		a3 = LD32(p + 352); a4 = LD32(p + 384); a5 = LD32(p + 416);
		a6 = LD32(p + 448); a7 = LD32(p + 480);
		ST32(q + 256, a0); ST32(q + 288, a1); ST32(q + 320, a2);
		ST32(q + 352, a3); ST32(q + 384, a4); ST32(q + 416, a5);
		ST32(q + 448, a6); ST32(q + 480, a7);
	}
	copy_256(d + last, s + last);
	copy_256(d + last + 256, s + last + 256);
}

#if defined(__x86_64__) && !defined(__AVX2__)
#define EMU_COPY_DISPATCH 1
#endif

#ifdef __GNUC__
#ifndef __clang__
#define NO_LOOP_PATTERNS __attribute__((optimize("no-tree-loop-distribute-patterns")))
#endif
#endif
#ifndef NO_LOOP_PATTERNS
#define NO_LOOP_PATTERNS
#endif

/* n >= 8: eight bytes an iteration, the last n % 8 bytes by memcpy. */
static inline void
copy_string(void *dst, const void *src, size_t n)
{
#if defined(__x86_64__)
	size_t words = n >> 3;
	void *d = dst;
	const void *s = src;

	__asm__ volatile("rep movsq"
			 : "+D"(d), "+S"(s), "+c"(words)
			 :
			 : "memory");
	memcpy(d, s, n & 7u);
#else
	memcpy(dst, src, n);
#endif
}

static NO_LOOP_PATTERNS __attribute__((noinline)) void
copy_base(uint8_t *d, const uint8_t *s, size_t n)
{
	copy_body(d, s, n);
}

void
emu_copy_base(void *dst, const void *src, size_t n)
{
	copy_base(dst, src, n);
}

#ifdef EMU_COPY_DISPATCH
static NO_LOOP_PATTERNS __attribute__((noinline, target("avx2"))) void
copy_avx2(uint8_t *d, const uint8_t *s, size_t n)
{
	copy_body(d, s, n);
}

/* 0: not asked yet, 1: base, 2: avx2. Racing first calls agree. */
static int copy_kind;

static __attribute__((noinline)) int
copy_pick(void)
{
	int k;

	__builtin_cpu_init();
	k = __builtin_cpu_supports("avx2") ? 2 : 1;
	__atomic_store_n(&copy_kind, k, __ATOMIC_RELAXED);
	return k;
}
#endif

void
emu_copy(void *dst, const void *src, size_t n)
{
	/* Jumbo frames: a string move. rep movsb (glibc's memcpy at these
	 * sizes) moved a 9014-byte frame to the guest 1.65x faster than the
	 * vector loop below (rxonly-9014, ours, idle: 1.08-1.12 vs 0.66
	 * Mpps); rep movsq runs on the same fast-string microcode and was
	 * as fast (1.17 vs 1.19 Mpps, alternating, 3 runs each). callgrind
	 * counts a rep instruction once per iteration: 1127 for 9014 bytes
	 * with movsq against 9015 with movsb, eight bytes a count as the
	 * vector loop's are 32. */
	if (n >= EMU_COPY_STRING_MIN) {
		copy_string(dst, src, n);
		return;
	}
#ifdef EMU_COPY_DISPATCH
	int k = __atomic_load_n(&copy_kind, __ATOMIC_RELAXED);

	if (__builtin_expect(k == 0, 0))
		k = copy_pick();
	if (k == 2) {
		copy_avx2(dst, src, n);
		return;
	}
#endif
	copy_base(dst, src, n);
}
