/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rndis_tmpl.h"

#define META_ALL 0x3fu

static uint32_t rng = 12345;

static uint32_t
rnd(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

static void
random_meta(struct rndis_pkt_meta *m, uint32_t present)
{
	memset(m, 0, sizeof(*m));
	m->present = present;
	m->csum = rnd();
	m->lso_mss = 1u + rnd() % RNDIS_LSO2_MSS_MAX;
	m->lso_tcp_off = (uint16_t)(rnd() % (RNDIS_LSO2_TCP_OFFSET_MAX + 1u));
	m->lso_ipv6 = rnd() & 1u;
	m->vlan_tci = (uint16_t)rnd();
	m->hash_value = rnd();
	m->hash_info = rnd();
	m->frag_flags = (uint8_t)rnd();
	m->frag_id = (uint16_t)rnd();
}

/* Byte for byte what the encoder writes, for every PPI set. */
static void
test_rndis_tmpl_equals_encoder(void **state)
{
	static const uint32_t offs[] = { 0, 256 };
	uint8_t a[512], b[512];

	(void)state;
	for (uint32_t present = 0; present <= META_ALL; present++) {
		for (size_t o = 0; o < 2; o++) {
			struct rndis_pkt_tmpl t;

			assert_int_equal(rndis_tmpl_init(&t, present, offs[o]), 0);
			for (int i = 0; i < 20; i++) {
				struct rndis_pkt_meta m;
				struct rndis_pkt_info pi;
				uint32_t len = 14u + rnd() % 1500u;
				int ea, eb;

				random_meta(&m, present);
				assert_true(rndis_tmpl_matches(&t, &m));
				memset(a, 0xa5, sizeof(a));
				memset(b, 0xa5, sizeof(b));
				ea = rndis_pkt_encode(a, sizeof(a), &m, len, offs[o]);
				eb = rndis_tmpl_put(&t, b, len, &m);
				assert_true(ea > 0);
				assert_int_equal(ea, eb);
				assert_memory_equal(a, b, t.hdr_len);
				/* And the parser reads our values back. */
				assert_int_equal(rndis_pkt_parse(b, (size_t)eb + len,
								 &pi), 0);
				assert_int_equal(pi.data_len, len);
				assert_int_equal(pi.data_off, (uint32_t)eb);
				assert_int_equal(pi.meta.present, present);
				if (present & RNDIS_META_HASH_VALUE)
					assert_int_equal(pi.meta.hash_value,
							 m.hash_value);
				if (present & RNDIS_META_VLAN)
					assert_int_equal(pi.meta.vlan_tci,
							 m.vlan_tci);
				if (present & RNDIS_META_LSO)
					assert_int_equal(pi.meta.lso_mss,
							 m.lso_mss);
			}
		}
	}
}

static void
test_rndis_tmpl_rejects(void **state)
{
	struct rndis_pkt_tmpl t;
	struct rndis_pkt_meta m;
	uint8_t b[256];

	(void)state;
	assert_int_equal(rndis_tmpl_init(&t, 0x40, 0), -EINVAL);
	/* frame_off inside the PPIs. */
	assert_int_equal(rndis_tmpl_init(&t, RNDIS_META_CSUM, 50), -EMSGSIZE);
	assert_int_equal(t.hdr_len, 0);
	random_meta(&m, RNDIS_META_CSUM);
	assert_false(rndis_tmpl_matches(&t, &m)); /* not initialised */
	assert_int_equal(rndis_tmpl_init(&t, RNDIS_META_CSUM |
					 RNDIS_META_LSO, 0), 0);
	assert_false(rndis_tmpl_matches(&t, &m));
	random_meta(&m, RNDIS_META_CSUM | RNDIS_META_LSO);
	m.lso_mss = 0;
	memset(b, 0x5a, sizeof(b));
	assert_int_equal(rndis_tmpl_put(&t, b, 100, &m), -EINVAL);
	assert_int_equal(b[0], 0x5a); /* nothing written */
	m.lso_mss = 1460;
	assert_int_equal(rndis_tmpl_put(&t, b, 0, &m), -EINVAL);
	assert_int_equal(rndis_tmpl_put(&t, b, 100, &m), 44 + 32);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rndis_tmpl_equals_encoder),
		cmocka_unit_test(test_rndis_tmpl_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
