/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * emu_copy (and its build for CPUs without AVX2; emu_copy_mid, its
 * 257..4096-byte entry, and that one's base build; emu_copy_mid_run and
 * emu_copy_mid_blk, the same for several sources at once; emu_copy_nt,
 * the streaming copy of jumbo frames, and its base build) against the
 * bytes it must produce: every length 0..9100
 * (past a 9014-byte jumbo frame and several of its 256-byte rounds) at
 * source and destination misalignments 0..63, nothing written outside
 * [dst, dst + n).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "emu_copy.h"

#define MAX_LEN 9100u
#define GUARD 64u
#define MIS 64u

static uint8_t src_buf[MAX_LEN + 2 * MIS];
static uint8_t dst_buf[MAX_LEN + 2 * MIS + 2 * GUARD];

/* A byte pattern with no period a misplaced move could match. */
static void
fill_src(void)
{
	uint32_t x = 0x9e3779b9u;
	size_t i;

	for (i = 0; i < sizeof(src_buf); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		src_buf[i] = (uint8_t)x;
	}
}

typedef void copy_fn(void *dst, const void *src, size_t n);

/* emu_copy and emu_copy_nt: the CPU's builds and those without AVX2. */
static copy_fn *const fns[] = { emu_copy, emu_copy_base, emu_copy_nt,
				emu_copy_nt_base };
static const char *const fn_names[] = { "emu_copy", "emu_copy_base",
					"emu_copy_nt", "emu_copy_nt_base" };
#define NFNS (sizeof(fns) / sizeof(fns[0]))

static void
check_one(size_t f, size_t n, size_t so, size_t dof)
{
	uint8_t *d = dst_buf + GUARD + dof;
	size_t i;

	memset(dst_buf, 0xA5, sizeof(dst_buf));
	fns[f](d, src_buf + so, n);
	if (memcmp(d, src_buf + so, n) != 0)
		fail_msg("%s len %zu src+%zu dst+%zu: bytes differ", fn_names[f],
			 n, so, dof);
	for (i = 0; i < (size_t)(d - dst_buf); i++)
		if (dst_buf[i] != 0xA5)
			fail_msg("%s len %zu src+%zu dst+%zu: byte %zu before dst written",
				 fn_names[f], n, so, dof, (size_t)(d - dst_buf) - i);
	for (i = (size_t)(d - dst_buf) + n; i < sizeof(dst_buf); i++)
		if (dst_buf[i] != 0xA5)
			fail_msg("%s len %zu src+%zu dst+%zu: byte %zu after the end written",
				 fn_names[f], n, so, dof, i - (size_t)(d - dst_buf) - n);
}

/* Every length with a few misalignment pairs (the all-pairs run below
 * covers the lengths where the moves change). */
static void
test_emu_copy_every_length(void **state)
{
	static const size_t mis[][2] = { { 0, 0 }, { 1, 0 }, { 0, 7 }, { 13, 31 },
					 { 32, 1 }, { 63, 62 } };
	size_t f, n, k;

	(void)state;
	fill_src();
	for (f = 0; f < NFNS; f++)
		for (n = 0; n <= MAX_LEN; n++)
			for (k = 0; k < sizeof(mis) / sizeof(mis[0]); k++)
				check_one(f, n, mis[k][0], mis[k][1]);
}

/* Every misalignment pair at the lengths around each boundary. */
static void
test_emu_copy_every_misalignment(void **state)
{
	static const size_t lens[] = { 0, 1, 2, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33,
				       63, 64, 65, 127, 128, 129, 255, 256, 257,
				       511, 512, 513, 767, 768, 769, 1023, 1024,
				       1025, 1514, 1518, 4095, 4096, 4097, 4159,
				       4160, 4161, 9014, 9018, MAX_LEN };
	size_t f, k, so, dof;

	(void)state;
	fill_src();
	for (f = 0; f < NFNS; f++)
		for (k = 0; k < sizeof(lens) / sizeof(lens[0]); k++)
			for (so = 0; so < MIS; so++)
				for (dof = 0; dof < MIS; dof++)
					check_one(f, lens[k], so, dof);
}

/* emu_copy_mid (the CPU's build) and its build without AVX2, over
 * their whole range 257..4096, at misalignment pairs, and in exactly
 * sized heap buffers. */
static void
test_emu_copy_mid(void **state)
{
	static copy_fn *const mids[] = { emu_copy_mid, emu_copy_mid_base };
	static const size_t mis[][2] = { { 0, 0 }, { 1, 0 }, { 13, 31 },
					 { 63, 62 } };
	size_t f, n, k;

	(void)state;
	fill_src();
	for (f = 0; f < 2; f++) {
		for (n = 257; n <= 4096; n++) {
			for (k = 0; k < sizeof(mis) / sizeof(mis[0]); k++) {
				uint8_t *d = dst_buf + GUARD + mis[k][1];
				size_t i;

				memset(dst_buf, 0xA5, sizeof(dst_buf));
				mids[f](d, src_buf + mis[k][0], n);
				if (memcmp(d, src_buf + mis[k][0], n) != 0)
					fail_msg("mid %zu len %zu: bytes differ", f, n);
				for (i = 0; i < sizeof(dst_buf); i++)
					if ((dst_buf + i < d || dst_buf + i >= d + n) &&
					    dst_buf[i] != 0xA5)
						fail_msg("mid %zu len %zu: byte %zu outside written",
							 f, n, i);
			}
		}
		for (n = 257; n <= 4096; n += 37) {
			uint8_t *s = malloc(n), *d = malloc(n);

			assert_non_null(s);
			assert_non_null(d);
			memcpy(s, src_buf, n);
			mids[f](d, s, n);
			assert_memory_equal(d, s, n);
			free(s);
			free(d);
		}
	}
}

/*
 * emu_copy_mid_run (the CPU's build) and its build without AVX2: m
 * sources of one length (every length 257..4096) to destinations read
 * every step u32s, at misaligned offsets; m = 0 writes nothing; no byte
 * outside the destinations is written.
 */
typedef void run_fn(uint8_t *base, const uint32_t *off, size_t step,
		    const void *const *srcs, size_t m, size_t n);

static uint8_t run_buf[3 * (4096 + 96) + 2 * GUARD];

static void
check_run(run_fn *fn, size_t f, size_t n, size_t m)
{
	/* u32 pairs { junk, offset }: step 2 from &off[1]. */
	uint32_t off[6] = { 0xdeadbeefu, 0, 0xdeadbeefu, 0, 0xdeadbeefu, 0 };
	const void *srcs[3];
	size_t k, i, at;

	memset(run_buf, 0xA5, sizeof(run_buf));
	for (k = 0; k < 3; k++) {
		/* Later destinations first in the buffer, misaligned. */
		off[2 * k + 1] = (uint32_t)((2 - k) * (n + 96) + 7 * k + 1);
		srcs[k] = src_buf + 5 * k + 3;
	}
	fn(run_buf + GUARD, &off[1], 2, srcs, m, n);
	for (i = 0; i < sizeof(run_buf); i++) {
		uint8_t want = 0xA5;

		for (k = 0; k < m; k++) {
			at = GUARD + off[2 * k + 1];
			if (i >= at && i < at + n)
				want = ((const uint8_t *)srcs[k])[i - at];
		}
		if (run_buf[i] != want)
			fail_msg("run %zu len %zu m %zu: byte %zu wrong", f, n, m, i);
	}
}

static void
test_emu_copy_mid_run(void **state)
{
	static run_fn *const runs[] = { emu_copy_mid_run, emu_copy_mid_run_base };
	size_t f, n;

	(void)state;
	fill_src();
	for (f = 0; f < 2; f++) {
		check_run(runs[f], f, 1514, 0);
		check_run(runs[f], f, 257, 1);
		for (n = 257; n <= 4096; n++)
			check_run(runs[f], f, n, 3);
	}
}

/*
 * emu_copy_mid_blk (the CPU's build) and its build without AVX2: m
 * sources of one length (every length 257..4096) to destinations one
 * stride apart, each after the 64-byte header; m = 0 writes nothing; no
 * other byte is written (the gap between header and frame neither).
 */
typedef void blk_fn(uint8_t *base, size_t stride, const void *hdr, size_t at,
		    const void *const *srcs, size_t m, size_t n);

static void
check_blk(blk_fn *fn, size_t f, size_t n, size_t m, size_t at)
{
	size_t stride = at + n + 9, k, i;
	const uint8_t *hdr = src_buf + 4000;
	const void *srcs[3];
	uint8_t *base = run_buf + GUARD + 3;

	memset(run_buf, 0xA5, sizeof(run_buf));
	for (k = 0; k < 3; k++)
		srcs[k] = src_buf + 5 * k + 3;
	fn(base, stride, hdr, at, srcs, m, n);
	for (i = 0; i < sizeof(run_buf); i++) {
		uint8_t want = 0xA5;

		for (k = 0; k < m; k++) {
			const uint8_t *d = base + k * stride;
			const uint8_t *p = run_buf + i;

			if (p >= d && p < d + 64)
				want = hdr[p - d];
			else if (p >= d + at && p < d + at + n)
				want = ((const uint8_t *)srcs[k])[p - d - at];
		}
		if (run_buf[i] != want)
			fail_msg("blk %zu len %zu m %zu at %zu: byte %zu wrong", f,
				 n, m, at, i);
	}
}

static void
test_emu_copy_mid_blk(void **state)
{
	static blk_fn *const blks[] = { emu_copy_mid_blk, emu_copy_mid_blk_base };
	size_t f, n;

	(void)state;
	fill_src();
	for (f = 0; f < 2; f++) {
		check_blk(blks[f], f, 1514, 0, 256);
		check_blk(blks[f], f, 257, 1, 64);
		for (n = 257; n <= 4096 - 96; n++)
			check_blk(blks[f], f, n, 3, n & 1 ? 64 : 90);
	}
}

/*
 * emu_copy_nt's streamed path from its threshold on: every length from
 * just below 4096 to past 4096 + 8 lines + 2 rounds (each count of
 * remaining lines 0..7 after the 512-byte rounds, at each of the 64
 * destination offsets in a line, so every partial head and tail line
 * 0..63 bytes), a source misalignment that moves with both; then
 * exactly sized heap buffers (ASan sees a line streamed past the end).
 */
static void
test_emu_copy_nt_lines(void **state)
{
	size_t f, n, dof;

	(void)state;
	fill_src();
	for (f = 2; f < NFNS; f++) {
		for (n = 4090; n <= 4096 + 512 * 2 + 8 * 64 + 64; n++)
			for (dof = 0; dof < MIS; dof++)
				check_one(f, n, (dof * 7 + n) % MIS, dof);
		for (n = 4090; n <= MAX_LEN; n += 61) {
			uint8_t *s = malloc(n), *d = malloc(n);

			assert_non_null(s);
			assert_non_null(d);
			memcpy(s, src_buf, n);
			fns[f](d, s, n);
			assert_memory_equal(d, s, n);
			free(s);
			free(d);
		}
	}
}

/* Exactly sized heap buffers: ASan sees any read or write past them. */
static void
test_emu_copy_exact_buffers(void **state)
{
	size_t f, n;

	(void)state;
	fill_src();
	for (f = 0; f < NFNS; f++) {
		for (n = 1; n <= 1100; n++) {
			uint8_t *s = malloc(n), *d = malloc(n);

			assert_non_null(s);
			assert_non_null(d);
			memcpy(s, src_buf, n);
			fns[f](d, s, n);
			assert_memory_equal(d, s, n);
			free(s);
			free(d);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emu_copy_every_length),
		cmocka_unit_test(test_emu_copy_every_misalignment),
		cmocka_unit_test(test_emu_copy_exact_buffers),
		cmocka_unit_test(test_emu_copy_mid),
		cmocka_unit_test(test_emu_copy_mid_run),
		cmocka_unit_test(test_emu_copy_mid_blk),
		cmocka_unit_test(test_emu_copy_nt_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
