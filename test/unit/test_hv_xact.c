/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hv_xact.h"

#define NSLOTS 4u

struct fx {
	struct hv_xact_table t;
	struct hv_xact_slot s[NSLOTS];
};

static struct fx fx;

static int
setup64(void **state)
{
	*state = &fx;
	return hv_xact_init(&fx.t, fx.s, NSLOTS, 0);
}

static int
setup32(void **state)
{
	*state = &fx;
	return hv_xact_init(&fx.t, fx.s, NSLOTS, HV_XACT_F_ID32);
}

static void
test_hv_xact_init_rejects(void **state)
{
	struct hv_xact_table t;
	struct hv_xact_slot s[1];

	(void)state;
	assert_int_equal(hv_xact_init(&t, s, 0, 0), -EINVAL);
	assert_int_equal(hv_xact_init(&t, NULL, 1, 0), -EINVAL);
	assert_int_equal(hv_xact_init(&t, s, HV_XACT_MAX_SLOTS + 1u, 0),
			 -EINVAL);
	assert_int_equal(hv_xact_init(&t, s, 1, 0x80), -EINVAL);
	assert_int_equal(hv_xact_init(&t, s, 1, 0), 0);
}

static void
test_hv_xact_register_complete(void **state)
{
	struct fx *f = *state;
	struct hv_xact_done d;
	uint64_t id;

	assert_int_equal(hv_xact_register(&f->t, HV_XACT_RNDIS_QUERY, 77,
					  UINT64_MAX, &id), 0);
	/* Never 0 (hosts use it for unsolicited messages), never bit 63. */
	assert_true(id != 0);
	assert_true((id >> 63) == 0);
	assert_int_equal(hv_xact_pending(&f->t), 1);
	assert_int_equal(hv_xact_complete(&f->t, id, HV_XACT_RNDIS_QUERY, &d),
			 0);
	assert_int_equal(d.cookie, 77);
	assert_int_equal(d.kind, HV_XACT_RNDIS_QUERY);
	assert_int_equal(d.id, id);
	assert_int_equal(hv_xact_pending(&f->t), 0);
	assert_int_equal(f->t.stats.issued[HV_XACT_RNDIS_QUERY], 1);
	assert_int_equal(f->t.stats.completed[HV_XACT_RNDIS_QUERY], 1);
}

static void
test_hv_xact_duplicate_rejected(void **state)
{
	struct fx *f = *state;
	uint64_t id;

	assert_int_equal(hv_xact_register(&f->t, HV_XACT_NVSP_RNDIS_DATA, 5,
					  UINT64_MAX, &id), 0);
	assert_int_equal(hv_xact_complete(&f->t, id, HV_XACT_NVSP_RNDIS_DATA,
					  NULL), 0);
	assert_int_equal(hv_xact_complete(&f->t, id, HV_XACT_NVSP_RNDIS_DATA,
					  NULL), -EALREADY);
	assert_int_equal(f->t.stats.rejected[HV_XACT_REJ_DUPLICATE]
					   [HV_XACT_NVSP_RNDIS_DATA], 1);
	assert_int_equal(f->t.stats.completed[HV_XACT_NVSP_RNDIS_DATA], 1);
	assert_int_equal(hv_xact_rejected(&f->t, HV_XACT_REJ_DUPLICATE), 1);
}

static void
test_hv_xact_late_after_cancel_and_expiry(void **state)
{
	struct fx *f = *state;
	struct hv_xact_done d;
	uint64_t a, b;

	assert_int_equal(hv_xact_register(&f->t, HV_XACT_NVSP_INIT, 1, 100,
					  &a), 0);
	assert_int_equal(hv_xact_register(&f->t, HV_XACT_RNDIS_SET, 2, 200,
					  &b), 0);
	assert_int_equal(hv_xact_cancel(&f->t, a, &d), 0);
	assert_int_equal(d.cookie, 1);
	assert_int_equal(hv_xact_cancel(&f->t, a, NULL), -ENOENT);
	assert_int_equal(hv_xact_complete(&f->t, a, HV_XACT_NVSP_INIT, NULL),
			 -ETIME);
	/* Not yet due at 199; due at 200. */
	assert_int_equal(hv_xact_expire(&f->t, 199, &d), -ENOENT);
	assert_int_equal(hv_xact_expire(&f->t, 200, &d), 0);
	assert_int_equal(d.cookie, 2);
	assert_int_equal(d.kind, HV_XACT_RNDIS_SET);
	assert_int_equal(hv_xact_expire(&f->t, 1000, &d), -ENOENT);
	assert_int_equal(hv_xact_complete(&f->t, b, HV_XACT_RNDIS_SET, NULL),
			 -ETIME);
	assert_int_equal(f->t.stats.rejected[HV_XACT_REJ_LATE]
					   [HV_XACT_NVSP_INIT], 1);
	assert_int_equal(f->t.stats.rejected[HV_XACT_REJ_LATE]
					   [HV_XACT_RNDIS_SET], 1);
	assert_int_equal(f->t.stats.expired[HV_XACT_RNDIS_SET], 1);
	assert_int_equal(f->t.stats.cancelled[HV_XACT_NVSP_INIT], 1);
	assert_int_equal(f->t.stats.expired[HV_XACT_NVSP_INIT], 0);
}

static void
test_hv_xact_wrong_kind_stays_pending(void **state)
{
	struct fx *f = *state;
	uint64_t id;

	assert_int_equal(hv_xact_register(&f->t, HV_XACT_NVSP_RECV_BUF, 9,
					  UINT64_MAX, &id), 0);
	assert_int_equal(hv_xact_complete(&f->t, id, HV_XACT_NVSP_SEND_BUF,
					  NULL), -EPROTO);
	assert_int_equal(f->t.stats.rejected[HV_XACT_REJ_KIND]
					   [HV_XACT_NVSP_SEND_BUF], 1);
	assert_int_equal(hv_xact_pending(&f->t), 1);
	assert_int_equal(hv_xact_complete(&f->t, id, HV_XACT_NVSP_RECV_BUF,
					  NULL), 0);
}

static void
test_hv_xact_unknown_ids(void **state)
{
	struct fx *f = *state;
	static const uint64_t forged[] = {
		0, 0x8000000000000000ull, 0x8000000000000001ull,
		NSLOTS + 1u, 0xffffu, UINT64_MAX,
		(1ull << 48) | 1u, /* generation field too wide */
	};
	uint64_t id;

	for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++)
		assert_int_equal(hv_xact_complete(&f->t, forged[i],
						  HV_XACT_NVSP_INIT, NULL),
				 -ENOENT);
	/* A slot that never held a request: unknown, not duplicate. */
	assert_int_equal(hv_xact_complete(&f->t, 1u | (1u << 16),
					  HV_XACT_NVSP_INIT, NULL), -ENOENT);
	assert_int_equal(hv_xact_rejected(&f->t, HV_XACT_REJ_UNKNOWN),
			 sizeof(forged) / sizeof(forged[0]) + 1u);
	/* Right slot, wrong generation: unknown. */
	assert_int_equal(hv_xact_register(&f->t, HV_XACT_NVSP_INIT, 0,
					  UINT64_MAX, &id), 0);
	assert_int_equal(hv_xact_complete(&f->t, id + (1u << 16),
					  HV_XACT_NVSP_INIT, NULL), -ENOENT);
	assert_int_equal(hv_xact_complete(&f->t, id, HV_XACT_KIND_COUNT,
					  NULL), -EINVAL);
	assert_int_equal(hv_xact_pending(&f->t), 1);
}

static void
test_hv_xact_reuse_makes_old_id_stale(void **state)
{
	struct fx *f = *state;
	uint64_t ids[NSLOTS], extra, again;
	struct hv_xact_done d;

	for (uint32_t i = 0; i < NSLOTS; i++)
		assert_int_equal(hv_xact_register(&f->t, HV_XACT_NVSP_RNDIS_DATA,
						  i, UINT64_MAX, &ids[i]), 0);
	assert_int_equal(hv_xact_register(&f->t, HV_XACT_NVSP_RNDIS_DATA, 0,
					  UINT64_MAX, &extra), -ENOBUFS);
	assert_int_equal(hv_xact_complete(&f->t, ids[2],
					  HV_XACT_NVSP_RNDIS_DATA, &d), 0);
	assert_int_equal(d.cookie, 2);
	/* The freed slot is reused with a new generation. */
	assert_int_equal(hv_xact_register(&f->t, HV_XACT_NVSP_RNDIS_DATA, 42,
					  UINT64_MAX, &again), 0);
	assert_true(again != ids[2]);
	assert_int_equal(again & 0xffffu, ids[2] & 0xffffu);
	/* The old id neither completes nor disturbs the new request. */
	assert_int_equal(hv_xact_complete(&f->t, ids[2],
					  HV_XACT_NVSP_RNDIS_DATA, NULL),
			 -ENOENT);
	assert_int_equal(hv_xact_peek(&f->t, again, HV_XACT_NVSP_RNDIS_DATA,
				      &d), 0);
	assert_int_equal(d.cookie, 42);
	assert_int_equal(hv_xact_cancel_all(&f->t), NSLOTS);
	assert_int_equal(hv_xact_pending(&f->t), 0);
	assert_int_equal(hv_xact_peek(&f->t, again, HV_XACT_NVSP_RNDIS_DATA,
				      &d), -ENOENT);
}

static void
test_hv_xact_id32_fits_rndis(void **state)
{
	struct fx *f = *state;
	uint64_t id;

	/* Many generations of one slot: ids stay non-zero 31-bit values. */
	for (uint32_t i = 0; i < 70000; i++) {
		assert_int_equal(hv_xact_register(&f->t, HV_XACT_RNDIS_QUERY, i,
						  UINT64_MAX, &id), 0);
		assert_true(id != 0 && id <= 0x7fffffffu);
		assert_int_equal(hv_xact_complete(&f->t, id,
						  HV_XACT_RNDIS_QUERY, NULL),
				 0);
	}
	/* Generation bits above 15 are never valid in this mode. */
	assert_int_equal(hv_xact_complete(&f->t, id | (1ull << 40),
					  HV_XACT_RNDIS_QUERY, NULL), -ENOENT);
}

/* Tagged tables never issue each other's ids; ids route by tag. */
static void
test_hv_xact_tags_route(void **state)
{
	struct hv_xact_table a, b;
	struct hv_xact_slot sa[2], sb[2];
	struct hv_xact_done d;
	uint64_t ia, ib;

	(void)state;
	assert_int_equal(hv_xact_init_tagged(&a, sa, 2, 0, 0), -EINVAL);
	assert_int_equal(hv_xact_init_tagged(&a, sa, 2, HV_XACT_F_ID32, 1),
			 -EINVAL);
	assert_int_equal(hv_xact_init_tagged(&a, sa, 2, 0,
					     HV_XACT_TAG_MAX + 1u), -EINVAL);
	assert_int_equal(hv_xact_init_tagged(&a, sa, 2, 0, 1), 0);
	assert_int_equal(hv_xact_init_tagged(&b, sb, 2, 0, HV_XACT_TAG_MAX), 0);
	assert_int_equal(hv_xact_register(&a, HV_XACT_NVSP_RNDIS_DATA, 1,
					  UINT64_MAX, &ia), 0);
	assert_int_equal(hv_xact_register(&b, HV_XACT_NVSP_RNDIS_DATA, 2,
					  UINT64_MAX, &ib), 0);
	assert_true(ia != ib);
	assert_true((ib >> 63) == 0);
	assert_int_equal(hv_xact_id_tag(ia), 1);
	assert_int_equal(hv_xact_id_tag(ib), HV_XACT_TAG_MAX);
	assert_int_equal(hv_xact_id_tag(0x8000000000000000ull), 0);
	/* The same slot and generation under another tag is unknown. */
	assert_int_equal(hv_xact_complete(&b, ia, HV_XACT_NVSP_RNDIS_DATA,
					  NULL), -ENOENT);
	assert_int_equal(hv_xact_complete(&a, ia & 0xffffffffffffull,
					  HV_XACT_NVSP_RNDIS_DATA, NULL),
			 -ENOENT);
	assert_int_equal(hv_xact_complete(&a, ia, HV_XACT_NVSP_RNDIS_DATA, &d),
			 0);
	assert_int_equal(d.cookie, 1);
	assert_int_equal(hv_xact_pending(&b), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hv_xact_init_rejects),
		cmocka_unit_test_setup(test_hv_xact_register_complete, setup64),
		cmocka_unit_test_setup(test_hv_xact_duplicate_rejected, setup64),
		cmocka_unit_test_setup(test_hv_xact_late_after_cancel_and_expiry,
				       setup64),
		cmocka_unit_test_setup(test_hv_xact_wrong_kind_stays_pending,
				       setup64),
		cmocka_unit_test_setup(test_hv_xact_unknown_ids, setup64),
		cmocka_unit_test_setup(test_hv_xact_reuse_makes_old_id_stale,
				       setup64),
		cmocka_unit_test_setup(test_hv_xact_id32_fits_rndis, setup32),
		cmocka_unit_test(test_hv_xact_tags_route),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
