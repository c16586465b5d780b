/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of ndis_obj: NDIS object codecs (docs/design/protocol.md,
 * "NDIS objects", and the host rules of "Multi-queue") and the Toeplitz
 * hash.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_bytes.h"

#include <errno.h>
#include <string.h>

#include "ndis_obj.h"

/* The key Linux uses by default (docs/design/protocol.md, "NDIS objects"). */
static const uint8_t rss_key[NDIS_RSS_KEY_SIZE] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
	0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
	0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

static void
test_ndis_obj_hdr(void **state)
{
	uint8_t b[4];

	(void)state;
	assert_int_equal(ndis_obj_hdr_build(b, sizeof(b), NDIS_OBJTYPE_RSS_CAPS,
					    2, 18), 4);
	assert_int_equal(b[0], 0x88);
	assert_int_equal(b[1], 2);
	assert_int_equal(get16(b, 2), 18);
	assert_int_equal(ndis_obj_hdr_build(b, 3, 0xA7, 3, 156), -ENOBUFS);
}

static void
offload_params(struct ndis_offload_params *p)
{
	memset(p, 0, sizeof(*p));
	p->ip4csum = NDIS_OFFLOAD_PARAM_TXRX;
	p->tcp4csum = NDIS_OFFLOAD_PARAM_TXRX;
	p->udp6csum = NDIS_OFFLOAD_PARAM_TX;
	p->lsov1 = NDIS_OFFLOAD_LSO_OFF;
	p->lsov2_ip4 = NDIS_OFFLOAD_LSO_ON;
	p->lsov2_ip6 = NDIS_OFFLOAD_LSO_ON;
	p->rsc_ip4 = NDIS_OFFLOAD_RSC_ON;
	p->rsc_ip6 = NDIS_OFFLOAD_RSC_OFF;
}

static void
test_ndis_obj_offload_params_roundtrip(void **state)
{
	struct ndis_offload_params in, out;
	uint8_t b[32];

	(void)state;
	offload_params(&in);
	memset(b, 0xee, sizeof(b));
	assert_int_equal(ndis_offload_params_build(b, sizeof(b), &in, 3), 28);
	assert_int_equal(b[0], 0x80);
	assert_int_equal(b[1], 3);
	assert_int_equal(get16(b, 2), 28);
	assert_int_equal(b[4], 4);  /* ip4csum */
	assert_int_equal(b[8], 2);  /* udp6csum */
	assert_int_equal(b[9], 1);  /* lsov1 */
	assert_int_equal(b[11], 2); /* lsov2_ip4 */
	assert_int_equal(b[22], 2); /* rsc_ip4 */
	assert_int_equal(b[23], 1); /* rsc_ip6 */
	assert_int_equal(ndis_offload_params_parse(b, 28, &out), 0);
	assert_int_equal(out.hdr.revision, 3);
	assert_int_equal(out.rsc_ip4, NDIS_OFFLOAD_RSC_ON);
	assert_int_equal(out.lsov2_ip6, NDIS_OFFLOAD_LSO_ON);
	assert_int_equal(out.udp6csum, NDIS_OFFLOAD_PARAM_TX);

	/* Revision 2 stops before the RSC fields. */
	memset(b, 0xee, sizeof(b));
	assert_int_equal(ndis_offload_params_build(b, sizeof(b), &in, 2), 22);
	assert_int_equal(get16(b, 2), 22);
	assert_int_equal(b[22], 0xee);
	assert_int_equal(ndis_offload_params_parse(b, sizeof(b), &out), 0);
	assert_int_equal(out.rsc_ip4, 0); /* not read past size 22 */
	assert_int_equal(ndis_offload_params_build(b, sizeof(b), &in, 4),
			 -EINVAL);
	assert_int_equal(ndis_offload_params_build(b, 27, &in, 3), -ENOBUFS);
}

static void
test_ndis_obj_offload_params_rejects(void **state)
{
	struct ndis_offload_params in, out;
	uint8_t b[32];

	(void)state;
	offload_params(&in);
	ndis_offload_params_build(b, sizeof(b), &in, 3);
	assert_int_equal(ndis_offload_params_parse(b, 27, &out), -EINVAL);
	assert_int_equal(ndis_offload_params_parse(b, 3, &out), -EINVAL);
	b[0] = NDIS_OBJTYPE_OFFLOAD;
	assert_int_equal(ndis_offload_params_parse(b, 28, &out), -EPROTO);
	b[0] = NDIS_OBJTYPE_DEFAULT;
	b[1] = 4;
	assert_int_equal(ndis_offload_params_parse(b, 28, &out), -EINVAL);
	b[1] = 0;
	assert_int_equal(ndis_offload_params_parse(b, 28, &out), -EINVAL);
	b[1] = 3;
	put16(b, 2, 22); /* too small for revision 3 */
	assert_int_equal(ndis_offload_params_parse(b, 28, &out), -EINVAL);
	put16(b, 2, 28);

	in.lsov1 = NDIS_OFFLOAD_LSO_ON;
	ndis_offload_params_build(b, sizeof(b), &in, 3);
	assert_int_equal(ndis_offload_params_parse(b, 28, &out), -ENOTSUP);
	offload_params(&in);
	in.tcp6csum = 5;
	ndis_offload_params_build(b, sizeof(b), &in, 3);
	assert_int_equal(ndis_offload_params_parse(b, 28, &out), -EINVAL);
	offload_params(&in);
	in.rsc_ip6 = 3;
	ndis_offload_params_build(b, sizeof(b), &in, 3);
	assert_int_equal(ndis_offload_params_parse(b, 28, &out), -EINVAL);
}

static void
test_ndis_obj_offload_caps(void **state)
{
	struct ndis_offload in, out;
	uint8_t b[160];

	(void)state;
	memset(&in, 0, sizeof(in));
	in.csum.ip4_txenc = NDIS_OFFLOAD_ENCAP_8023;
	in.csum.ip4_txcsum = NDIS_CSUM_CAP_TCP4 | NDIS_CSUM_CAP_TCP4OPT;
	in.lsov2.ip4_encap = NDIS_OFFLOAD_ENCAP_8023;
	in.lsov2.ip4_maxsz = 62780;
	in.lsov2.ip6_opts = NDIS_LSOV2_CAP_IP6EXT | NDIS_LSOV2_CAP_TCP6OPT;
	in.rsc_ip4 = 1;
	in.rsc_ip6 = 1;
	assert_int_equal(ndis_offload_build(b, sizeof(b), &in, 3), 156);
	assert_int_equal(b[0], 0xA7);
	assert_int_equal(get16(b, 2), 156);
	assert_int_equal(get32(b, 4), NDIS_OFFLOAD_ENCAP_8023);
	assert_int_equal(get32(b, 8), 0x14);
	assert_int_equal(get32(b, 80), NDIS_OFFLOAD_ENCAP_8023);
	assert_int_equal(get32(b, 84), 62780);
	assert_int_equal(get32(b, 104), 0x5);
	assert_int_equal(b[144], 1);
	assert_int_equal(ndis_offload_parse(b, 156, &out), 0);
	assert_int_equal(out.lsov2.ip4_maxsz, 62780);
	assert_int_equal(out.csum.ip4_txcsum, 0x14);
	assert_int_equal(out.rsc_ip6, 1);

	/* Revision 1 (NDIS 6.0): 112 bytes, no RSC even if bytes follow. */
	assert_int_equal(ndis_offload_build(b, sizeof(b), &in, 1), 112);
	b[144] = 1;
	assert_int_equal(ndis_offload_parse(b, sizeof(b), &out), 0);
	assert_int_equal(out.rsc_ip4, 0);
	assert_int_equal(out.lsov2.ip4_maxsz, 62780);
	/* ... nor if it claims a larger size than its revision has. */
	put16(b, 2, 156);
	assert_int_equal(ndis_offload_parse(b, sizeof(b), &out), 0);
	assert_int_equal(out.rsc_ip4, 0);
}

static void
test_ndis_obj_offload_caps_rejects(void **state)
{
	struct ndis_offload in, out;
	uint8_t b[160];

	(void)state;
	memset(&in, 0, sizeof(in));
	ndis_offload_build(b, sizeof(b), &in, 2);
	assert_int_equal(ndis_offload_parse(b, 143, &out), -EINVAL);
	b[0] = 0x88;
	assert_int_equal(ndis_offload_parse(b, 144, &out), -EPROTO);
	b[0] = 0xA7;
	b[1] = 0;
	assert_int_equal(ndis_offload_parse(b, 144, &out), -EINVAL);
	b[1] = 2;
	put16(b, 2, 111);
	assert_int_equal(ndis_offload_parse(b, 144, &out), -EINVAL);
	assert_int_equal(ndis_offload_build(b, sizeof(b), &in, 0), -EINVAL);
	assert_int_equal(ndis_offload_build(b, 155, &in, 3), -ENOBUFS);
}

static void
test_ndis_obj_rss_caps(void **state)
{
	struct ndis_rss_caps_info in = {
		.revision = 2,
		.caps = NDIS_RSS_CAP_MSI | NDIS_RSS_CAP_HASH_IPV4 |
			NDIS_HASH_FUNCTION_TOEPLITZ,
		.num_msi = 8,
		.num_rx_queues = 8,
		.num_ind_entries = 128,
	};
	struct ndis_rss_caps_info out;
	uint8_t b[32];

	(void)state;
	assert_int_equal(ndis_rss_caps_build(b, sizeof(b), &in), 18);
	assert_int_equal(b[0], 0x88);
	assert_int_equal(get16(b, 2), 18);
	assert_int_equal(get32(b, 4), 0x01000101u);
	assert_int_equal(get32(b, 12), 8);
	assert_int_equal(get16(b, 16), 128);
	assert_int_equal(ndis_rss_caps_parse(b, 18, &out), 0);
	assert_int_equal(out.num_rx_queues, 8);
	assert_int_equal(out.num_ind_entries, 128);
	assert_int_equal(out.caps, in.caps);

	in.revision = 1;
	assert_int_equal(ndis_rss_caps_build(b, sizeof(b), &in), 16);
	assert_int_equal(ndis_rss_caps_parse(b, sizeof(b), &out), 0);
	assert_int_equal(out.num_ind_entries, 0);

	in.revision = 2;
	in.num_rx_queues = 0;
	ndis_rss_caps_build(b, sizeof(b), &in);
	assert_int_equal(ndis_rss_caps_parse(b, 18, &out), -EINVAL);
	in.num_rx_queues = 4;
	ndis_rss_caps_build(b, sizeof(b), &in);
	assert_int_equal(ndis_rss_caps_parse(b, 17, &out), -EINVAL);
	put16(b, 2, 15);
	assert_int_equal(ndis_rss_caps_parse(b, 18, &out), -EINVAL);
	b[0] = 0x89;
	assert_int_equal(ndis_rss_caps_parse(b, 18, &out), -EPROTO);
	in.revision = 3;
	assert_int_equal(ndis_rss_caps_build(b, sizeof(b), &in), -EINVAL);
}

static int
build_rss(uint8_t *b, size_t len, const uint32_t *table, uint32_t n,
	  uint16_t flags)
{
	struct ndis_rss_cfg cfg = {
		.flags = flags,
		.hash_info = NDIS_HASH_FUNCTION_TOEPLITZ | NDIS_HASH_IPV4 |
			     NDIS_HASH_TCP_IPV4 | NDIS_HASH_IPV6 |
			     NDIS_HASH_TCP_IPV6,
		.key = rss_key,
		.table = table,
		.table_entries = n,
	};

	return ndis_rss_params_build(b, len, &cfg);
}

static void
test_ndis_obj_rss_params_roundtrip(void **state)
{
	const uint32_t table[4] = { 0, 1, 2, 3 };
	struct ndis_rss_params_info info;
	uint32_t got[8];
	uint8_t b[1024];

	(void)state;
	assert_int_equal(build_rss(b, sizeof(b), table, 4, 0), 96);
	assert_int_equal(b[0], 0x89);
	assert_int_equal(b[1], 2);
	assert_int_equal(get16(b, 2), 40);
	assert_int_equal(get32(b, 8), 0x1701);
	assert_int_equal(get16(b, 12), 16); /* table bytes */
	assert_int_equal(get32(b, 16), 40);
	assert_int_equal(get16(b, 20), 40);
	assert_int_equal(get32(b, 24), 56);
	assert_int_equal(get32(b, 40 + 12), 3);
	assert_memory_equal(b + 56, rss_key, 40);
	assert_int_equal(ndis_rss_params_parse(b, 96, 4, got, 8, &info), 0);
	assert_true(info.enabled);
	assert_int_equal(info.table_entries, 4);
	assert_memory_equal(got, table, sizeof(table));
	assert_memory_equal(info.key, rss_key, 40);

	/* DPDK's layout: 128 entries, key at 552. */
	uint32_t big[128] = { 0 };
	assert_int_equal(build_rss(b, sizeof(b), big, 128, 0), 592);
	assert_int_equal(get32(b, 24), 552);
	assert_int_equal(build_rss(b, 591, big, 128, 0), -ENOBUFS);
	assert_int_equal(build_rss(b, sizeof(b), big, 0, 0), -EINVAL);
}

static void
test_ndis_obj_rss_params_rejects(void **state)
{
	const uint32_t table[4] = { 0, 1, 2, 3 };
	struct ndis_rss_params_info info;
	uint32_t got[8];
	uint8_t b[128];

	(void)state;
	build_rss(b, sizeof(b), table, 4, 0);
	/* entry 3 with only 3 queues */
	assert_int_equal(ndis_rss_params_parse(b, 96, 3, got, 8, &info),
			 -ERANGE);
	assert_false(info.enabled);
	assert_int_equal(ndis_rss_params_parse(b, 96, 4, got, 3, &info),
			 -ENOBUFS);
	assert_int_equal(ndis_rss_params_parse(b, 95, 4, got, 8, &info),
			 -EINVAL); /* key past the end */
	assert_int_equal(ndis_rss_params_parse(b, 39, 4, got, 8, &info),
			 -EINVAL);
	put16(b, 20, 39);
	assert_int_equal(ndis_rss_params_parse(b, 96, 4, got, 8, &info),
			 -EINVAL);
	put16(b, 20, 40);
	put32(b, 24, 0xFFFFFFF0u);
	assert_int_equal(ndis_rss_params_parse(b, 96, 4, got, 8, &info),
			 -EINVAL);
	put32(b, 24, 56);
	put16(b, 12, 0);
	assert_int_equal(ndis_rss_params_parse(b, 96, 4, got, 8, &info),
			 -EINVAL);
	put16(b, 12, 6);
	assert_int_equal(ndis_rss_params_parse(b, 96, 4, got, 8, &info),
			 -EINVAL);
	put16(b, 12, 16);
	put32(b, 16, 84);
	assert_int_equal(ndis_rss_params_parse(b, 96, 4, got, 8, &info),
			 -EINVAL);
	put32(b, 16, 40);
	put32(b, 8, 0x1702); /* not Toeplitz */
	assert_int_equal(ndis_rss_params_parse(b, 96, 4, got, 8, &info),
			 -ENOTSUP);
	/* Disabling skips the key and table checks. */
	put32(b, 8, 0x1700);
	put16(b, 20, 7);
	assert_int_equal(ndis_rss_params_parse(b, 96, 4, got, 8, &info), 0);
	assert_false(info.enabled);
	put32(b, 8, 0x1701);
	put16(b, 4, NDIS_RSS_FLAG_DISABLE_RSS);
	assert_int_equal(ndis_rss_params_parse(b, 96, 4, got, 8, &info), 0);
	assert_false(info.enabled);
	assert_int_equal(info.flags, NDIS_RSS_FLAG_DISABLE_RSS);
}

static void
test_ndis_obj_config_param(void **state)
{
	struct rndis_config_param_info info;
	uint8_t b[128];

	(void)state;
	assert_int_equal(rndis_config_param_build(b, sizeof(b),
			 "NetworkAddress", RNDIS_CONFIG_PARAM_STRING,
			 "00155d010203"), 72);
	assert_int_equal(get32(b, 0), 20);
	assert_int_equal(get32(b, 4), 28);
	assert_int_equal(get32(b, 8), 2);
	assert_int_equal(get32(b, 12), 48);
	assert_int_equal(get32(b, 16), 24);
	assert_memory_equal(b + 20, "N\0e\0t\0", 6);
	assert_memory_equal(b + 48, "0\0000\0001\0", 6);
	assert_int_equal(rndis_config_param_parse(b, 72, &info), 0);
	assert_string_equal(info.name, "NetworkAddress");
	assert_string_equal(info.value, "00155d010203");
	assert_int_equal(info.type, RNDIS_CONFIG_PARAM_STRING);
	assert_int_equal(rndis_config_param_build(b, 71, "NetworkAddress", 2,
						  "00155d010203"), -ENOBUFS);
}

static void
test_ndis_obj_config_param_rejects(void **state)
{
	struct rndis_config_param_info info;
	char longname[130];
	uint8_t b[128];

	(void)state;
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(rndis_config_param_build(b, sizeof(b), longname, 2,
						  "1"), -EMSGSIZE);
	assert_int_equal(rndis_config_param_build(b, sizeof(b), "", 2, "1"),
			 -EINVAL);
	assert_int_equal(rndis_config_param_build(b, sizeof(b), "caf\xc3\xa9",
						  2, "1"), -EINVAL);

	rndis_config_param_build(b, sizeof(b), "*LsoV2IPv4", 2, "3");
	assert_int_equal(rndis_config_param_parse(b, 42, &info), 0);
	assert_string_equal(info.value, "3");
	assert_int_equal(rndis_config_param_parse(b, 41, &info), -EINVAL);
	assert_int_equal(rndis_config_param_parse(b, 19, &info), -EINVAL);
	put32(b, 4, 256);
	assert_int_equal(rndis_config_param_parse(b, 42, &info), -EMSGSIZE);
	put32(b, 4, 19);
	assert_int_equal(rndis_config_param_parse(b, 42, &info), -EINVAL);
	put32(b, 4, 0);
	assert_int_equal(rndis_config_param_parse(b, 42, &info), -EINVAL);
	put32(b, 4, 20);
	put32(b, 0, 0xFFFFFFF0u);
	assert_int_equal(rndis_config_param_parse(b, 42, &info), -EINVAL);
	put32(b, 0, 20);
	b[22] = 0xe9; /* a non-ASCII code unit */
	assert_int_equal(rndis_config_param_parse(b, 42, &info), -ENOTSUP);
	b[22] = 0; /* an embedded NUL */
	assert_int_equal(rndis_config_param_parse(b, 42, &info), -EINVAL);
}

/*
 * Expected values computed independently with this python3 (bit-serial,
 * straight from the definition: for each set input bit i, XOR in key bits
 * i..i+31):
 *
 *   def toep(key, data):
 *       k, kl, h = int.from_bytes(key, 'big'), len(key) * 8, 0
 *       for i, b in enumerate(data):
 *           for j in range(8):
 *               if b >> (7 - j) & 1:
 *                   h ^= (k >> (kl - 32 - (i * 8 + j))) & 0xffffffff
 *       return h
 *
 * Input is src addr, dst addr, src port, dst port in network order. The
 * results also match Microsoft's published RSS verification vectors.
 */
static void
test_ndis_obj_toeplitz(void **state)
{
	/* 66.9.149.187:2794 -> 161.142.100.80:1766 */
	const uint8_t v4a[12] = { 66, 9, 149, 187, 161, 142, 100, 80,
				  0x0a, 0xea, 0x06, 0xe6 };
	/* 199.92.111.2:14230 -> 65.69.140.83:4739 */
	const uint8_t v4b[12] = { 199, 92, 111, 2, 65, 69, 140, 83,
				  0x37, 0x96, 0x12, 0x83 };
	/* [3ffe:2501:200:1fff::7]:2794 -> [3ffe:2501:200:3::1]:1766 */
	const uint8_t v6[36] = {
		0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x1f, 0xff,
		0, 0, 0, 0, 0, 0, 0, 7,
		0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x00, 0x03,
		0, 0, 0, 0, 0, 0, 0, 1,
		0x0a, 0xea, 0x06, 0xe6,
	};

	(void)state;
	assert_int_equal(ndis_toeplitz_hash(rss_key, 40, v4a, 8), 0x323e8fc2);
	assert_int_equal(ndis_toeplitz_hash(rss_key, 40, v4a, 12), 0x51ccc178);
	assert_int_equal(ndis_toeplitz_hash(rss_key, 40, v4b, 8), 0xd718262a);
	assert_int_equal(ndis_toeplitz_hash(rss_key, 40, v4b, 12), 0xc626b0ea);
	assert_int_equal(ndis_toeplitz_hash(rss_key, 40, v6, 32), 0x2cc18cd5);
	assert_int_equal(ndis_toeplitz_hash(rss_key, 40, v6, 36), 0x40207d3d);
	assert_int_equal(ndis_toeplitz_hash(rss_key, 40, v4a, 0), 0);
	/* A short key reads as zero-extended, never out of bounds. */
	assert_int_equal(ndis_toeplitz_hash(rss_key, 4, v4a, 1),
			 ndis_toeplitz_hash((const uint8_t[5]){ 0x6d, 0x5a,
					    0x56, 0xda, 0 }, 5, v4a, 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ndis_obj_hdr),
		cmocka_unit_test(test_ndis_obj_offload_params_roundtrip),
		cmocka_unit_test(test_ndis_obj_offload_params_rejects),
		cmocka_unit_test(test_ndis_obj_offload_caps),
		cmocka_unit_test(test_ndis_obj_offload_caps_rejects),
		cmocka_unit_test(test_ndis_obj_rss_caps),
		cmocka_unit_test(test_ndis_obj_rss_params_roundtrip),
		cmocka_unit_test(test_ndis_obj_rss_params_rejects),
		cmocka_unit_test(test_ndis_obj_config_param),
		cmocka_unit_test(test_ndis_obj_config_param_rejects),
		cmocka_unit_test(test_ndis_obj_toeplitz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
