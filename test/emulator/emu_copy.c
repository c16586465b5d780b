/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * emu_copy: every length as unaligned vector moves. Lengths up to 256
 * bytes are two overlapping moves of the largest block that fits twice
 * (head and tail); up to 4 KB, the first 32 bytes and then every 32
 * bytes counted back from the end, in one straight run entered at the
 * block the length needs (the fewest 32-byte moves there are, and no
 * loop); longer copies move 512 bytes a round and finish with the last
 * 512 bytes. Pieces may overlap the bytes before them: src and dst do
 * not overlap, so rewriting a byte rewrites the same value.
 *
 * One source, two builds: the generic vector type is a pair of SSE2
 * registers by default and one AVX2 register in the "avx2" build; the
 * first call picks the build the CPU runs (cpuid, via the compiler's
 * __builtin_cpu_supports).
 *
 * emu_copy_nt, for jumbo frames written into guest memory that the
 * guest's core reads next: whole 64-byte destination lines by
 * non-temporal stores, the partial lines at either end by ordinary
 * ones (see emu_copy_nt).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "emu_copy.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

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

/* 32 bytes s to d: one move (wide: the AVX2 build) or two 16-byte
 * ones (the compiler would take a 32-byte vector through the stack). */
#define MOVE32(d, s)                                                        \
	do {                                                                \
		if (wide) {                                                 \
			ST32(d, LD32(s));                                   \
		} else {                                                    \
			emu_v16 x_ = *(const emu_v16 *)(const void *)(s);   \
			emu_v16 y_ = *(const emu_v16 *)(const void *)((s) + 16); \
			*(emu_v16 *)(void *)(d) = x_;                       \
			*(emu_v16 *)(void *)((d) + 16) = y_;                \
		}                                                           \
	} while (0)

/* Block 10 * t + u back from the end (de, se: one past the last byte),
 * labelled blk_<t><u> for the jump table. */
#define BLK(t, u)                                                           \
	blk_##t##u: MOVE32(de - 32 * ((t) * 10 + (u)),                      \
			   se - 32 * ((t) * 10 + (u)))
#define BLK10(t)                                                            \
	BLK(t, 9); BLK(t, 8); BLK(t, 7); BLK(t, 6); BLK(t, 5);              \
	BLK(t, 4); BLK(t, 3); BLK(t, 2); BLK(t, 1); BLK(t, 0)
#define AT(t, u) &&blk_##t##u
#define AT10(t)                                                             \
	AT(t, 0), AT(t, 1), AT(t, 2), AT(t, 3), AT(t, 4), AT(t, 5),         \
	AT(t, 6), AT(t, 7), AT(t, 8), AT(t, 9)

/* The jump table of a run of blocks (entry (n - 1) / 32), and the run
 * itself, highest block first, falling through to blk_00: shared by
 * the three copy bodies below. */
#define MID_TABLE(name)                                                     \
	static const void *const name[128] = {                              \
		AT10(0), AT10(1), AT10(2), AT10(3), AT10(4), AT10(5),       \
		AT10(6), AT10(7), AT10(8), AT10(9), AT10(10), AT10(11),     \
		AT(12, 0), AT(12, 1), AT(12, 2), AT(12, 3), AT(12, 4),      \
		AT(12, 5), AT(12, 6), AT(12, 7),                            \
	}
#define MID_BLOCKS                                                          \
	BLK(12, 7); BLK(12, 6); BLK(12, 5); BLK(12, 4); BLK(12, 3);         \
	BLK(12, 2); BLK(12, 1); BLK(12, 0);                                 \
	BLK10(11); BLK10(10); BLK10(9); BLK10(8); BLK10(7); BLK10(6);       \
	BLK10(5); BLK10(4); BLK10(3); BLK10(2); BLK10(1);                   \
	BLK(0, 9); BLK(0, 8); BLK(0, 7); BLK(0, 6); BLK(0, 5); BLK(0, 4);   \
	BLK(0, 3); BLK(0, 2); BLK(0, 1);                                    \
blk_00:

/*
 * 256 < n <= 4096: the first 32 bytes, then blocks (n - 1) / 32 .. 1
 * back from the end, the lowest of which starts at byte 1..32: every
 * byte in ceil(n / 32) moves. One jump through a table of labels
 * enters the run of blocks, each a load and a store at a constant
 * offset from the end (the empty asm keeps de and se single
 * registers); entries 0..7 are never taken (n > 256). The body of
 * copy_mid_base and copy_mid_avx2 (a label table cannot be inlined),
 * with d, s, n and wide in scope.
 */
#define COPY_MID_BODY                                                       \
	MID_TABLE(at);                                                      \
	uint8_t *de = d + n;                                                \
	const uint8_t *se = s + n;                                          \
                                                                            \
	MOVE32(d, s);                                                       \
	__asm__("" : "+r"(de), "+r"(se));                                   \
	goto *at[(n - 1) / 32];                                             \
	MID_BLOCKS;                                                         \
	return

/*
 * COPY_MID_BODY for m sources of the same n bytes (257..4096): source k
 * to base + off[k * step]. The entry into the run of blocks is found
 * once; each copy is its first move and that jump. The body of
 * copy_mid_run_base and copy_mid_run_avx2, with base, off, step, srcs,
 * m, n and wide in scope.
 */
#define COPY_MID_RUN_BODY                                                   \
	MID_TABLE(at);                                                      \
	const void *go = at[(n - 1) / 32];                                  \
	const void *const *send = srcs + m;                                 \
	uint8_t *d, *de;                                                    \
	const uint8_t *s, *se;                                              \
                                                                            \
	if (m == 0)                                                         \
		return;                                                     \
next:                                                                       \
	d = base + *off;                                                    \
	s = *srcs;                                                          \
	de = d + n;                                                         \
	se = s + n;                                                         \
	MOVE32(d, s);                                                       \
	__asm__("" : "+r"(de), "+r"(se));                                   \
	goto *go;                                                           \
	MID_BLOCKS;                                                         \
	off += step;                                                        \
	if (++srcs != send)                                                 \
		goto next;                                                  \
	return

/*
 * COPY_MID_RUN_BODY for destinations one stride apart, each after a
 * 64-byte header: source k to base + k * stride + at, hdr to base +
 * k * stride. The header stays in registers. The body of
 * copy_mid_blk_base and copy_mid_blk_avx2, with base, stride, hdr, at,
 * srcs, m, n and wide in scope.
 */
#define COPY_MID_BLK_BODY                                                   \
	MID_TABLE(at_);                                                     \
	const void *go = at_[(n - 1) / 32];                                 \
	const void *const *send = srcs + m;                                 \
	const uint8_t *h = hdr;                                             \
	emu_v16 h0 = *(const emu_v16 *)(const void *)h;                     \
	emu_v16 h1 = *(const emu_v16 *)(const void *)(h + 16);              \
	emu_v16 h2 = *(const emu_v16 *)(const void *)(h + 32);              \
	emu_v16 h3 = *(const emu_v16 *)(const void *)(h + 48);              \
	emu_v32 w0 = LD32(h), w1 = LD32(h + 32);                            \
	uint8_t *d, *de;                                                    \
	const uint8_t *s, *se;                                              \
                                                                            \
	if (m == 0)                                                         \
		return;                                                     \
next:                                                                       \
	if (wide) {                                                         \
		ST32(base, w0);                                             \
		ST32(base + 32, w1);                                        \
	} else {                                                            \
		*(emu_v16 *)(void *)base = h0;                              \
		*(emu_v16 *)(void *)(base + 16) = h1;                       \
		*(emu_v16 *)(void *)(base + 32) = h2;                       \
		*(emu_v16 *)(void *)(base + 48) = h3;                       \
	}                                                                   \
	d = base + at;                                                      \
	s = *srcs;                                                          \
	de = d + n;                                                         \
	se = s + n;                                                         \
	MOVE32(d, s);                                                       \
	__asm__("" : "+r"(de), "+r"(se));                                   \
	goto *go;                                                           \
	MID_BLOCKS;                                                         \
	base += stride;                                                     \
	if (++srcs != send)                                                 \
		goto next;                                                  \
	return

/*
 * The body of both builds: 257 bytes to 4 KB by its build's copy_mid_*
 * (emu_copy sends those there itself). Above 4 KB: rounds of 512 (16 moves each way, one index to step
 * and compare) while more than 512 are left, then the last 512 bytes,
 * overlapping what came before. The round loop is written out so the
 * compiler does not turn it back into a memcpy call (its loop pattern
 * recognition is off for these functions).
 */
static inline __attribute__((always_inline)) void
copy_body(uint8_t *d, const uint8_t *s, size_t n,
	  void (*mid)(void *, const void *, size_t))
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
	if (n <= 4096) {
		mid(d, s, n);
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

/* The base build's 32-byte moves: one AVX2 move where the whole
 * program is built for AVX2, two SSE2 ones else. */
#ifdef __AVX2__
#define BASE_WIDE true
#else
#define BASE_WIDE false
#endif

/* From here on emu_copy_nt streams whole lines (see emu_copy_nt). */
#define EMU_COPY_NT_MIN 4096u

#if defined(__x86_64__)
/* d[0..h) from s, h <= 63, by ordinary stores that stay inside it. */
#define COPY_UPTO63(d, s, h)                                                \
	do {                                                                \
		if ((h) > 32) {                                             \
			MOVE32(d, s);                                       \
			MOVE32((d) + (h) - 32, (s) + (h) - 32);             \
		} else {                                                    \
			copy_small(d, s, h);                                \
		}                                                           \
	} while (0)

/* The 64-byte line at a (aligned) from s (any alignment) by
 * non-temporal stores: two AVX2 ones, or four SSE2 ones. */
#define NT_LINE_AVX2(a, s)                                                  \
	do {                                                                \
		__m256i x_ = _mm256_loadu_si256((const __m256i *)(const void *)(s)); \
		__m256i y_ = _mm256_loadu_si256(                            \
			(const __m256i *)(const void *)((s) + 32));         \
		_mm256_stream_si256((__m256i *)(void *)(a), x_);            \
		_mm256_stream_si256((__m256i *)(void *)((a) + 32), y_);     \
	} while (0)
#define NT_LINE_SSE2(a, s)                                                  \
	do {                                                                \
		__m128i w_ = _mm_loadu_si128((const __m128i *)(const void *)(s)); \
		__m128i x_ = _mm_loadu_si128(                               \
			(const __m128i *)(const void *)((s) + 16));         \
		__m128i y_ = _mm_loadu_si128(                               \
			(const __m128i *)(const void *)((s) + 32));         \
		__m128i z_ = _mm_loadu_si128(                               \
			(const __m128i *)(const void *)((s) + 48));         \
		_mm_stream_si128((__m128i *)(void *)(a), w_);               \
		_mm_stream_si128((__m128i *)(void *)((a) + 16), x_);        \
		_mm_stream_si128((__m128i *)(void *)((a) + 32), y_);        \
		_mm_stream_si128((__m128i *)(void *)((a) + 48), z_);        \
	} while (0)

/*
 * n >= EMU_COPY_NT_MIN. The lines wholly inside [d, d + n), [a, b), by
 * LINE: rounds of eight (one index to step and compare), then the last
 * 0..7 counted back from b, entered through a table of labels (as
 * COPY_MID_BODY). The bytes before a and from b on share their lines
 * with bytes that are not ours: ordinary stores, never an overlap of
 * an ordinary and a non-temporal store in one line (that line would
 * be written back and read again). The sfence orders the streamed
 * lines before the caller's next store (the packet that hands the
 * frame to the guest). The body of copy_nt_base and copy_nt_avx2,
 * with d, s, n and wide in scope.
 */
#define COPY_NT_BODY(LINE)                                                  \
	static const void *const nt_at[8] = {                               \
		&&nt_0, &&nt_1, &&nt_2, &&nt_3, &&nt_4, &&nt_5, &&nt_6,    \
		&&nt_7,                                                     \
	};                                                                  \
	uint8_t *a = (uint8_t *)(((uintptr_t)d + 63) & ~(uintptr_t)63);     \
	uint8_t *b = (uint8_t *)(((uintptr_t)d + n) & ~(uintptr_t)63);      \
	const uint8_t *sa = s + (a - d);                                    \
	size_t len = (size_t)(b - a), rounds = len & ~(size_t)511;          \
	ptrdiff_t i;                                                        \
                                                                            \
	COPY_UPTO63(d, s, (size_t)(a - d));                                 \
	COPY_UPTO63(b, sa + len, (size_t)(d + n - b));                      \
	a += rounds;                                                        \
	sa += rounds;                                                       \
	i = -(ptrdiff_t)rounds;                                             \
	__asm__("" : "+r"(a), "+r"(sa));                                    \
	while (i != 0) {                                                    \
		LINE(a + i, sa + i);                                        \
		LINE(a + i + 64, sa + i + 64);                              \
		LINE(a + i + 128, sa + i + 128);                            \
		LINE(a + i + 192, sa + i + 192);                            \
		LINE(a + i + 256, sa + i + 256);                            \
		LINE(a + i + 320, sa + i + 320);                            \
		LINE(a + i + 384, sa + i + 384);                            \
		LINE(a + i + 448, sa + i + 448);                            \
		i += 512;                                                   \
		__asm__("" : "+r"(i));                                      \
	}                                                                   \
	a = b;                                                              \
	sa += len - rounds;                                                 \
	__asm__("" : "+r"(a), "+r"(sa));                                    \
	goto *nt_at[(len >> 6) & 7];                                        \
nt_7:	LINE(a - 448, sa - 448);                                            \
nt_6:	LINE(a - 384, sa - 384);                                            \
nt_5:	LINE(a - 320, sa - 320);                                            \
nt_4:	LINE(a - 256, sa - 256);                                            \
nt_3:	LINE(a - 192, sa - 192);                                            \
nt_2:	LINE(a - 128, sa - 128);                                            \
nt_1:	LINE(a - 64, sa - 64);                                              \
nt_0:	_mm_sfence()

#ifdef __AVX2__
#define NT_LINE_BASE NT_LINE_AVX2
#else
#define NT_LINE_BASE NT_LINE_SSE2
#endif
#endif /* __x86_64__ */

static NO_LOOP_PATTERNS __attribute__((noinline)) void
copy_mid_base(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	const bool wide = BASE_WIDE;

	COPY_MID_BODY;
}

static NO_LOOP_PATTERNS __attribute__((noinline)) void
copy_mid_run_base(uint8_t *base, const uint32_t *off, size_t step,
		  const void *const *srcs, size_t m, size_t n)
{
	const bool wide = BASE_WIDE;

	COPY_MID_RUN_BODY;
}

static NO_LOOP_PATTERNS __attribute__((noinline)) void
copy_mid_blk_base(uint8_t *base, size_t stride, const void *hdr, size_t at,
		  const void *const *srcs, size_t m, size_t n)
{
	const bool wide = BASE_WIDE;

	COPY_MID_BLK_BODY;
}

static NO_LOOP_PATTERNS __attribute__((noinline)) void
copy_base(uint8_t *d, const uint8_t *s, size_t n)
{
	copy_body(d, s, n, copy_mid_base);
}

void
emu_copy_base(void *dst, const void *src, size_t n)
{
	copy_base(dst, src, n);
}

#if defined(__x86_64__)
static NO_LOOP_PATTERNS __attribute__((noinline)) void
copy_nt_base(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	const bool wide = BASE_WIDE;

	COPY_NT_BODY(NT_LINE_BASE);
}
#else
/* No streaming stores written for other CPUs: the plain copy. */
static void
copy_nt_base(void *dst, const void *src, size_t n)
{
	copy_base(dst, src, n);
}
#endif

#ifdef EMU_COPY_DISPATCH
static NO_LOOP_PATTERNS __attribute__((noinline, target("avx2"))) void
copy_mid_avx2(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	const bool wide = true;

	COPY_MID_BODY;
}

static NO_LOOP_PATTERNS __attribute__((noinline, target("avx2"))) void
copy_mid_run_avx2(uint8_t *base, const uint32_t *off, size_t step,
		  const void *const *srcs, size_t m, size_t n)
{
	const bool wide = true;

	COPY_MID_RUN_BODY;
}

static NO_LOOP_PATTERNS __attribute__((noinline, target("avx2"))) void
copy_mid_blk_avx2(uint8_t *base, size_t stride, const void *hdr, size_t at,
		  const void *const *srcs, size_t m, size_t n)
{
	const bool wide = true;

	COPY_MID_BLK_BODY;
}

static NO_LOOP_PATTERNS __attribute__((noinline, target("avx2"))) void
copy_avx2(uint8_t *d, const uint8_t *s, size_t n)
{
	copy_body(d, s, n, copy_mid_avx2);
}

static NO_LOOP_PATTERNS __attribute__((noinline, target("avx2"))) void
copy_nt_avx2(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	const bool wide = true;

	COPY_NT_BODY(NT_LINE_AVX2);
}

static void copy_pick(uint8_t *d, const uint8_t *s, size_t n);
static void copy_mid_pick(void *dst, const void *src, size_t n);
static void copy_mid_run_pick(uint8_t *base, const uint32_t *off,
			      size_t step, const void *const *srcs, size_t m,
			      size_t n);
static void copy_mid_blk_pick(uint8_t *base, size_t stride, const void *hdr,
			      size_t at, const void *const *srcs, size_t m,
			      size_t n);
static void copy_nt_pick(void *dst, const void *src, size_t n);

/* The builds this CPU runs, once asked (the pickers until then): one
 * indirect jump a copy. Racing first calls agree. */
static void (*copy_fn)(uint8_t *d, const uint8_t *s, size_t n) = copy_pick;
void (*emu_copy_mid_fn)(void *dst, const void *src, size_t n) = copy_mid_pick;
void (*emu_copy_mid_run_fn)(uint8_t *base, const uint32_t *off, size_t step,
			    const void *const *srcs, size_t m,
			    size_t n) = copy_mid_run_pick;
void (*emu_copy_mid_blk_fn)(uint8_t *base, size_t stride, const void *hdr,
			    size_t at, const void *const *srcs, size_t m,
			    size_t n) = copy_mid_blk_pick;
static void (*copy_nt_fn)(void *dst, const void *src, size_t n) = copy_nt_pick;

static __attribute__((noinline)) bool
copy_pick_avx2(void)
{
	bool avx2;

	__builtin_cpu_init();
	avx2 = __builtin_cpu_supports("avx2");
	__atomic_store_n(&copy_fn, avx2 ? copy_avx2 : copy_base,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&emu_copy_mid_fn, avx2 ? copy_mid_avx2 : copy_mid_base,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&emu_copy_mid_run_fn,
			 avx2 ? copy_mid_run_avx2 : copy_mid_run_base,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&emu_copy_mid_blk_fn,
			 avx2 ? copy_mid_blk_avx2 : copy_mid_blk_base,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&copy_nt_fn, avx2 ? copy_nt_avx2 : copy_nt_base,
			 __ATOMIC_RELAXED);
	return avx2;
}

static void
copy_pick(uint8_t *d, const uint8_t *s, size_t n)
{
	if (copy_pick_avx2())
		copy_avx2(d, s, n);
	else
		copy_base(d, s, n);
}

static void
copy_mid_pick(void *dst, const void *src, size_t n)
{
	if (copy_pick_avx2())
		copy_mid_avx2(dst, src, n);
	else
		copy_mid_base(dst, src, n);
}

static void
copy_mid_run_pick(uint8_t *base, const uint32_t *off, size_t step,
		  const void *const *srcs, size_t m, size_t n)
{
	if (copy_pick_avx2())
		copy_mid_run_avx2(base, off, step, srcs, m, n);
	else
		copy_mid_run_base(base, off, step, srcs, m, n);
}

static void
copy_mid_blk_pick(uint8_t *base, size_t stride, const void *hdr, size_t at,
		  const void *const *srcs, size_t m, size_t n)
{
	if (copy_pick_avx2())
		copy_mid_blk_avx2(base, stride, hdr, at, srcs, m, n);
	else
		copy_mid_blk_base(base, stride, hdr, at, srcs, m, n);
}

static void
copy_nt_pick(void *dst, const void *src, size_t n)
{
	if (copy_pick_avx2())
		copy_nt_avx2(dst, src, n);
	else
		copy_nt_base(dst, src, n);
}
#else
void (*emu_copy_mid_fn)(void *dst, const void *src, size_t n) = copy_mid_base;
void (*emu_copy_mid_run_fn)(uint8_t *base, const uint32_t *off, size_t step,
			    const void *const *srcs, size_t m,
			    size_t n) = copy_mid_run_base;
void (*emu_copy_mid_blk_fn)(uint8_t *base, size_t stride, const void *hdr,
			    size_t at, const void *const *srcs, size_t m,
			    size_t n) = copy_mid_blk_base;
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
	if (n > 256) {
		emu_copy_mid(dst, src, n);
		return;
	}
#ifdef EMU_COPY_DISPATCH
	__atomic_load_n(&copy_fn, __ATOMIC_RELAXED)(dst, src, n);
#else
	copy_base(dst, src, n);
#endif
}

void
emu_copy_mid_base(void *dst, const void *src, size_t n)
{
	copy_mid_base(dst, src, n);
}

void
emu_copy_mid_run_base(uint8_t *base, const uint32_t *off, size_t step,
		      const void *const *srcs, size_t m, size_t n)
{
	copy_mid_run_base(base, off, step, srcs, m, n);
}

void
emu_copy_mid_blk_base(uint8_t *base, size_t stride, const void *hdr, size_t at,
		      const void *const *srcs, size_t m, size_t n)
{
	copy_mid_blk_base(base, stride, hdr, at, srcs, m, n);
}

/*
 * Jumbo frames into guest memory, read next by the guest's core:
 * streaming stores. rxonly-9014 (ours, copy mode), one emulator run
 * switching between the two every ~4 ms (pseudo-random, frames counted
 * per copy), 6 runs of 12-15 s, order swapped every other run:
 * streamed/rep movsq 0.97..1.11, geometric mean 1.02 (same-copy runs:
 * 0.97..1.09). Ordinary 32-byte stores were slower in the same kind of
 * run: 0.78 of rep movsq unaligned, 0.44..0.50 with the destination
 * 32- or 64-byte aligned, with or without prefetchw; streaming every
 * store, the partial end lines too, 0.87..0.95. callgrind: ~2
 * instructions per 32 bytes, against rep movsq's one per 8.
 */
void
emu_copy_nt(void *dst, const void *src, size_t n)
{
	if (n < EMU_COPY_NT_MIN) {
		emu_copy(dst, src, n);
		return;
	}
#ifdef EMU_COPY_DISPATCH
	__atomic_load_n(&copy_nt_fn, __ATOMIC_RELAXED)(dst, src, n);
#else
	copy_nt_base(dst, src, n);
#endif
}

void
emu_copy_nt_base(void *dst, const void *src, size_t n)
{
	if (n < EMU_COPY_NT_MIN) {
		emu_copy_base(dst, src, n);
		return;
	}
	copy_nt_base(dst, src, n);
}
