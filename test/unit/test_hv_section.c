/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hv_section.h"

#define HV_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static void
test_hv_section_init_rejects(void **state)
{
	struct hv_section_map m;
	uint64_t w[2];

	(void)state;
	assert_int_equal(hv_section_init(&m, w, 2, 0, 0), -EINVAL);
	assert_int_equal(hv_section_init(&m, w, 1, 0, 65), -EINVAL);
	assert_int_equal(hv_section_init(&m, NULL, 2, 0, 65), -EINVAL);
	assert_int_equal(hv_section_init(&m, w, 2, UINT32_MAX, 2), -EINVAL);
	assert_int_equal(hv_section_init(&m, w, 2, 0, 65), 0);
}

/* Every section once, never one past count, then -ENOBUFS. */
static void
test_hv_section_alloc_all_then_full(void **state)
{
	struct hv_section_map m;
	uint64_t w[HV_SECTION_WORDS(100)];
	uint8_t seen[100] = { 0 };
	uint32_t idx, cursor = 0;

	(void)state;
	assert_int_equal(hv_section_init(&m, w, HV_ARRAY_LEN(w), 0, 100), 0);
	for (int i = 0; i < 100; i++) {
		assert_int_equal(hv_section_alloc(&m, &cursor, &idx), 0);
		assert_true(idx < 100);
		assert_int_equal(seen[idx], 0);
		seen[idx] = 1;
	}
	assert_int_equal(hv_section_used(&m), 100);
	assert_int_equal(hv_section_alloc(&m, &cursor, &idx), -ENOBUFS);
	assert_int_equal(hv_section_free(&m, 57), 0);
	assert_false(hv_section_in_use(&m, 57));
	assert_int_equal(hv_section_alloc(&m, NULL, &idx), 0);
	assert_int_equal(idx, 57);
	assert_true(hv_section_in_use(&m, 57));
}

/*
 * The single-owner calls give exactly what the atomic ones give: two maps
 * driven by the same pseudo-random sequence of takes and gives (with
 * double gives and indexes outside the map mixed in) stay identical.
 */
static void
test_hv_section_owned_matches_atomic(void **state)
{
	struct hv_section_map a, o;
	uint64_t wa[HV_SECTION_WORDS(200)], wo[HV_SECTION_WORDS(200)];
	uint32_t ca = 0, co = 0, held[200], nheld = 0, x = 12345;

	(void)state;
	assert_int_equal(hv_section_init(&a, wa, HV_ARRAY_LEN(wa), 1000, 200), 0);
	assert_int_equal(hv_section_init(&o, wo, HV_ARRAY_LEN(wo), 1000, 200), 0);
	for (int i = 0; i < 20000; i++) {
		uint32_t ia = 0, io = 0;
		int ra, ro;

		x = x * 1103515245u + 12345u;
		if ((x >> 16) % 3 != 0 || nheld == 0) {
			ra = hv_section_alloc(&a, &ca, &ia);
			ro = hv_section_take(&o, &co, &io);
			assert_int_equal(ra, ro);
			if (ra == 0) {
				assert_int_equal(ia, io);
				assert_true(nheld < 200);
				held[nheld++] = ia;
			}
		} else {
			uint32_t k = (x >> 8) % nheld, idx = held[k];

			held[k] = held[--nheld];
			assert_int_equal(hv_section_free(&a, idx), 0);
			assert_int_equal(hv_section_give(&o, idx), 0);
			/* Given twice: refused the same way, nothing changes. */
			assert_int_equal(hv_section_free(&a, idx), -EALREADY);
			assert_int_equal(hv_section_give(&o, idx), -EALREADY);
		}
		assert_int_equal(hv_section_used(&a), hv_section_used(&o));
		assert_int_equal(hv_section_avail(&o), 200 - nheld);
		assert_int_equal(ca, co);
		assert_memory_equal(wa, wo, sizeof(wa));
	}
	assert_int_equal(hv_section_give(&o, 999), -ERANGE);
	assert_int_equal(hv_section_give(&o, 1200), -ERANGE);
	assert_int_equal(hv_section_give(&o, UINT32_MAX), -ERANGE);
	co = 77; /* any cursor value is safe */
	if (nheld < 200)
		assert_int_equal(hv_section_take(&o, &co, &held[0]), 0);
}

static void
test_hv_section_double_free_and_range(void **state)
{
	struct hv_section_map m;
	uint64_t w[1];
	uint32_t idx;

	(void)state;
	assert_int_equal(hv_section_init(&m, w, 1, 10, 5), 0);
	assert_int_equal(hv_section_alloc(&m, NULL, &idx), 0);
	assert_int_equal(idx, 10); /* numbered from base */
	assert_int_equal(hv_section_free(&m, idx), 0);
	assert_int_equal(hv_section_free(&m, idx), -EALREADY);
	assert_int_equal(hv_section_used(&m), 0);
	assert_int_equal(hv_section_free(&m, 9), -ERANGE);
	assert_int_equal(hv_section_free(&m, 15), -ERANGE);
	assert_int_equal(hv_section_free(&m, UINT32_MAX), -ERANGE);
	/* A free of a never-allocated section changes nothing. */
	assert_int_equal(hv_section_free(&m, 12), -EALREADY);
	assert_false(hv_section_in_use(&m, 15));
	assert_false(hv_section_in_use(&m, 3));
}

static void
test_hv_section_cursor_any_value(void **state)
{
	struct hv_section_map m;
	uint64_t w[HV_SECTION_WORDS(130)];
	uint32_t idx, cursor = 0xdeadbeef;

	(void)state;
	assert_int_equal(hv_section_init(&m, w, HV_ARRAY_LEN(w), 0, 130), 0);
	assert_int_equal(hv_section_alloc(&m, &cursor, &idx), 0);
	assert_true(idx < 130);
	cursor = 2; /* last word: sections 128 and 129 */
	assert_int_equal(hv_section_alloc(&m, &cursor, &idx), 0);
	assert_int_equal(idx, 128);
	assert_int_equal(hv_section_alloc(&m, &cursor, &idx), 0);
	assert_int_equal(idx, 129);
	/* The word is full: the search wraps to word 0. */
	assert_int_equal(hv_section_alloc(&m, &cursor, &idx), 0);
	assert_true(idx < 64);
}

static void
test_hv_section_slices_cover_exactly(void **state)
{
	uint32_t base, n, next = 0;

	(void)state;
	for (uint32_t i = 0; i < 7; i++) {
		assert_int_equal(hv_section_slice(100, 7, i, &base, &n), 0);
		assert_int_equal(base, next);
		assert_true(n == 14 || n == 15);
		next = base + n;
	}
	assert_int_equal(next, 100);
	assert_int_equal(hv_section_slice(3, 4, 3, &base, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(hv_section_slice(3, 0, 0, &base, &n), -EINVAL);
	assert_int_equal(hv_section_slice(3, 4, 4, &base, &n), -EINVAL);
}

/* Several threads share one map: no section is ever owned twice. */
#define THREADS 4
#define ROUNDS 20000
#define SECTIONS 96

struct race {
	struct hv_section_map m;
	uint64_t w[HV_SECTION_WORDS(SECTIONS)];
	uint32_t owner[SECTIONS];
	uint32_t errors;
};

struct worker {
	struct race *r;
	uint32_t id;
};

static void *
race_worker(void *arg)
{
	struct worker *wk = arg;
	struct race *r = wk->r;
	uint32_t cursor = wk->id * 7u, idx, held[4], n = 0;

	for (uint32_t i = 0; i < ROUNDS; i++) {
		if (n < 4 && hv_section_alloc(&r->m, &cursor, &idx) == 0) {
			/* Ownership must be exclusive while held. */
			if (__atomic_exchange_n(&r->owner[idx], wk->id + 1,
						__ATOMIC_RELAXED) != 0)
				__atomic_fetch_add(&r->errors, 1,
						   __ATOMIC_RELAXED);
			held[n++] = idx;
		} else if (n > 0) {
			idx = held[--n];
			__atomic_store_n(&r->owner[idx], 0, __ATOMIC_RELAXED);
			if (hv_section_free(&r->m, idx) != 0)
				__atomic_fetch_add(&r->errors, 1,
						   __ATOMIC_RELAXED);
		}
	}
	while (n > 0) {
		idx = held[--n];
		__atomic_store_n(&r->owner[idx], 0, __ATOMIC_RELAXED);
		if (hv_section_free(&r->m, idx) != 0)
			__atomic_fetch_add(&r->errors, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void
test_hv_section_concurrent_queues(void **state)
{
	static struct race r;
	struct worker wk[THREADS];
	pthread_t t[THREADS];

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(hv_section_init(&r.m, r.w, HV_ARRAY_LEN(r.w), 0,
					 SECTIONS), 0);
	for (uint32_t i = 0; i < THREADS; i++) {
		wk[i].r = &r;
		wk[i].id = i;
		assert_int_equal(pthread_create(&t[i], NULL, race_worker,
						&wk[i]), 0);
	}
	for (uint32_t i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(r.errors, 0);
	assert_int_equal(hv_section_used(&r.m), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hv_section_init_rejects),
		cmocka_unit_test(test_hv_section_alloc_all_then_full),
		cmocka_unit_test(test_hv_section_owned_matches_atomic),
		cmocka_unit_test(test_hv_section_double_free_and_range),
		cmocka_unit_test(test_hv_section_cursor_any_value),
		cmocka_unit_test(test_hv_section_slices_cover_exactly),
		cmocka_unit_test(test_hv_section_concurrent_queues),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
