/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of rndis_msg: RNDIS control messages, guest and host halves.
 * Byte offsets checked here are those of docs/design/protocol.md,
 * "RNDIS control messages".
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_bytes.h"

#include <errno.h>
#include <string.h>

#include "rndis_msg.h"

static void
test_rndis_msg_init_req_bytes(void **state)
{
	uint8_t b[64];

	(void)state;
	memset(b, 0xee, sizeof(b));
	assert_int_equal(rndis_init_req_build(b, sizeof(b), 7, 0x4000), 24);
	assert_int_equal(get32(b, 0), 0x00000002);
	assert_int_equal(get32(b, 4), 24);
	assert_int_equal(get32(b, 8), 7);
	assert_int_equal(get32(b, 12), 1);
	assert_int_equal(get32(b, 16), 0);
	assert_int_equal(get32(b, 20), 0x4000);
	assert_int_equal(b[24], 0xee); /* nothing written past the message */
	assert_int_equal(rndis_init_req_build(b, 23, 7, 0x4000), -ENOBUFS);
	assert_int_equal(rndis_init_req_build(b, sizeof(b), 0, 0x4000),
			 -EINVAL);
}

static void
test_rndis_msg_query_req_bytes(void **state)
{
	const uint8_t hdr[4] = { 0x88, 2, 18, 0 };
	uint8_t b[64];

	(void)state;
	assert_int_equal(rndis_query_req_build(b, sizeof(b), 3,
			 RNDIS_OID_GEN_RECEIVE_SCALE_CAPABILITIES, hdr, 4), 32);
	assert_int_equal(get32(b, 0), 0x00000004);
	assert_int_equal(get32(b, 4), 32);
	assert_int_equal(get32(b, 8), 3);
	assert_int_equal(get32(b, 12), 0x00010203);
	assert_int_equal(get32(b, 16), 4);  /* info_buflen */
	assert_int_equal(get32(b, 20), 20); /* relative to @8: absolute 28 */
	assert_int_equal(get32(b, 24), 0);  /* device_vc_handle */
	assert_memory_equal(b + 28, hdr, 4);
	assert_int_equal(rndis_query_req_build(b, 31, 3, 1, hdr, 4), -ENOBUFS);
	assert_int_equal(rndis_query_req_build(b, sizeof(b), 3, 1, NULL, 4),
			 -EINVAL);
}

static void
test_rndis_msg_set_roundtrip(void **state)
{
	const uint32_t filter = RNDIS_PACKET_TYPE_DIRECTED |
				RNDIS_PACKET_TYPE_BROADCAST;
	struct rndis_ctl_req r;
	uint32_t v;
	uint8_t b[64];
	int n;

	(void)state;
	n = rndis_set_req_build(b, sizeof(b), 9,
				RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &filter, 4);
	assert_int_equal(n, 32);
	assert_int_equal(get32(b, 0), 0x00000005);
	assert_int_equal(rndis_ctl_req_parse(b, (size_t)n, &r), 0);
	assert_int_equal(r.type, RNDIS_MSG_SET);
	assert_int_equal(r.rid, 9);
	assert_int_equal(r.oid, RNDIS_OID_GEN_CURRENT_PACKET_FILTER);
	assert_int_equal(r.info_len, 4);
	assert_int_equal(r.info_off, 28);
	assert_ptr_equal(r.info, b + 28);
	memcpy(&v, r.info, 4);
	assert_int_equal(v, filter);
}

static void
test_rndis_msg_host_init_halt_keepalive(void **state)
{
	struct rndis_ctl_req r;
	uint8_t b[64];

	(void)state;
	assert_int_equal(rndis_init_req_build(b, sizeof(b), 1, 0x4000), 24);
	assert_int_equal(rndis_ctl_req_parse(b, 24, &r), 0);
	assert_int_equal(r.type, RNDIS_MSG_INIT);
	assert_int_equal(r.major, 1);
	assert_int_equal(r.max_xfer_size, 0x4000);
	assert_null(r.info);

	assert_int_equal(rndis_halt_req_build(b, sizeof(b), 2), 12);
	assert_int_equal(get32(b, 0), 3);
	assert_int_equal(rndis_ctl_req_parse(b, 12, &r), 0);
	assert_int_equal(r.type, RNDIS_MSG_HALT);
	assert_int_equal(r.rid, 2);

	assert_int_equal(rndis_keepalive_req_build(b, sizeof(b), 5), 12);
	assert_int_equal(get32(b, 0), 8);
	assert_int_equal(rndis_ctl_req_parse(b, 12, &r), 0);
	assert_int_equal(r.type, RNDIS_MSG_KEEPALIVE);
	assert_int_equal(r.rid, 5);
	assert_int_equal(rndis_halt_req_build(b, sizeof(b), 0), -EINVAL);
}

static void
test_rndis_msg_host_rejects(void **state)
{
	const uint32_t bad_types[] = {
		RNDIS_MSG_RESET, RNDIS_MSG_SET_EX, RNDIS_MSG_INDICATE_STATUS,
		RNDIS_MSG_PACKET, RNDIS_MSG_QUERY_CMPLT, 0x42,
	};
	struct rndis_ctl_req r;
	uint8_t b[64];

	(void)state;
	assert_int_equal(rndis_reset_req_build(b, sizeof(b)), 12);
	assert_int_equal(get32(b, 0), 6);
	assert_int_equal(rndis_ctl_req_parse(b, 12, &r), -EPROTO);
	for (size_t i = 0; i < sizeof(bad_types) / sizeof(bad_types[0]); i++) {
		memset(b, 0, sizeof(b));
		put32(b, 0, bad_types[i]);
		put32(b, 4, 32);
		put32(b, 8, 1);
		assert_int_equal(rndis_ctl_req_parse(b, 32, &r), -EPROTO);
	}
	/* rid 0 */
	assert_int_equal(rndis_keepalive_req_build(b, sizeof(b), 5), 12);
	put32(b, 8, 0);
	assert_int_equal(rndis_ctl_req_parse(b, 12, &r), -EPROTO);
	/* msg_len beyond the buffer, or too short for the type */
	assert_int_equal(rndis_init_req_build(b, sizeof(b), 1, 0x4000), 24);
	assert_int_equal(rndis_ctl_req_parse(b, 23, &r), -EINVAL);
	put32(b, 4, 20);
	assert_int_equal(rndis_ctl_req_parse(b, 24, &r), -EINVAL);
}

static void
test_rndis_msg_host_oid_info_bounds(void **state)
{
	const uint8_t info[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct rndis_ctl_req r;
	uint8_t b[64];

	(void)state;
	assert_int_equal(rndis_set_req_build(b, sizeof(b), 1, 1, info, 8), 36);
	put32(b, 20, 16); /* overlaps the fixed part */
	assert_int_equal(rndis_ctl_req_parse(b, 36, &r), -EINVAL);
	put32(b, 20, 24); /* runs 4 bytes past msg_len */
	assert_int_equal(rndis_ctl_req_parse(b, 36, &r), -EINVAL);
	put32(b, 20, 0xFFFFFFFCu); /* would wrap in 32 bits */
	assert_int_equal(rndis_ctl_req_parse(b, 36, &r), -EINVAL);
	put32(b, 20, 20);
	put32(b, 16, 0xFFFFFFFFu);
	assert_int_equal(rndis_ctl_req_parse(b, 36, &r), -EINVAL);
	/* A larger offset is fine while the buffer stays inside msg_len. */
	put32(b, 16, 4);
	put32(b, 20, 24);
	assert_int_equal(rndis_ctl_req_parse(b, 36, &r), 0);
	assert_int_equal(r.info_off, 32);
	assert_int_equal(r.info_len, 4);
}

static void
init_info(struct rndis_init_info *i)
{
	*i = (struct rndis_init_info){
		.rid = 1, .status = RNDIS_STATUS_SUCCESS, .major = 1,
		.device_flags = RNDIS_DEVICE_FLAG_CONNECTIONLESS,
		.max_pkts_per_msg = 8, .max_xfer_size = 0xEFFFFFFF,
		.pkt_align_factor = 3,
	};
}

static void
test_rndis_msg_init_cmplt_roundtrip(void **state)
{
	struct rndis_init_info in, out;
	uint8_t b[64];

	(void)state;
	init_info(&in);
	assert_int_equal(rndis_init_cmplt_build(b, sizeof(b), &in), 52);
	assert_int_equal(get32(b, 0), 0x80000002u);
	assert_int_equal(get32(b, 12), 0);
	assert_int_equal(get32(b, 24), 1);
	assert_int_equal(get32(b, 32), 8);
	assert_int_equal(get32(b, 36), 0xEFFFFFFFu);
	assert_int_equal(get32(b, 40), 3);
	assert_int_equal(rndis_init_cmplt_parse(b, 52, &out), 0);
	assert_memory_equal(&in, &out, sizeof(in));
	assert_int_equal(rndis_init_pkt_align(&out), 8);
	out.pkt_align_factor = 0;
	assert_int_equal(rndis_init_pkt_align(&out), RNDIS_PKT_ALIGN_MIN);
}

static void
test_rndis_msg_init_cmplt_rejects(void **state)
{
	struct rndis_init_info in, out;
	uint8_t b[64];

	(void)state;
	init_info(&in);
	in.pkt_align_factor = RNDIS_PKT_ALIGN_FACTOR_MAX + 1;
	rndis_init_cmplt_build(b, sizeof(b), &in);
	assert_int_equal(rndis_init_cmplt_parse(b, 52, &out), -ERANGE);
	put32(b, 40, 32); /* a shift by 32 would be undefined */
	assert_int_equal(rndis_init_cmplt_parse(b, 52, &out), -ERANGE);

	init_info(&in);
	in.max_pkts_per_msg = 0;
	rndis_init_cmplt_build(b, sizeof(b), &in);
	assert_int_equal(rndis_init_cmplt_parse(b, 52, &out), -ERANGE);
	init_info(&in);
	in.max_xfer_size = 20;
	rndis_init_cmplt_build(b, sizeof(b), &in);
	assert_int_equal(rndis_init_cmplt_parse(b, 52, &out), -ERANGE);

	init_info(&in);
	in.status = RNDIS_STATUS_BAD_VERSION;
	rndis_init_cmplt_build(b, sizeof(b), &in);
	assert_int_equal(rndis_init_cmplt_parse(b, 52, &out), -EIO);
	assert_int_equal(out.status, RNDIS_STATUS_BAD_VERSION);

	init_info(&in);
	rndis_init_cmplt_build(b, sizeof(b), &in);
	assert_int_equal(rndis_init_cmplt_parse(b, 51, &out), -EINVAL);
	put32(b, 4, 48);
	assert_int_equal(rndis_init_cmplt_parse(b, 52, &out), -EINVAL);
	put32(b, 4, 56);
	assert_int_equal(rndis_init_cmplt_parse(b, 52, &out), -EINVAL);
	put32(b, 4, 52);
	put32(b, 0, RNDIS_MSG_QUERY_CMPLT);
	assert_int_equal(rndis_init_cmplt_parse(b, 52, &out), -EPROTO);
	assert_int_equal(rndis_init_cmplt_parse(b, 7, &out), -EINVAL);
}

static void
test_rndis_msg_query_cmplt_roundtrip(void **state)
{
	const uint8_t mac[6] = { 0x00, 0x15, 0x5d, 0x01, 0x02, 0x03 };
	struct rndis_query_result q;
	uint8_t b[64];

	(void)state;
	assert_int_equal(rndis_query_cmplt_build(b, sizeof(b), 4, 0, mac, 6),
			 30);
	assert_int_equal(get32(b, 0), 0x80000004u);
	assert_int_equal(get32(b, 16), 6);
	assert_int_equal(get32(b, 20), 16); /* relative to @8: absolute 24 */
	assert_int_equal(rndis_query_cmplt_parse(b, 30, &q), 0);
	assert_int_equal(q.rid, 4);
	assert_int_equal(q.info_len, 6);
	assert_int_equal(q.info_off, 24);
	assert_memory_equal(q.info, mac, 6);

	/* An empty answer has no slice. */
	assert_int_equal(rndis_query_cmplt_build(b, sizeof(b), 4, 0, NULL, 0),
			 24);
	assert_int_equal(rndis_query_cmplt_parse(b, 24, &q), 0);
	assert_null(q.info);
	assert_int_equal(q.info_len, 0);
}

static void
test_rndis_msg_query_cmplt_rejects(void **state)
{
	const uint8_t info[8] = { 0 };
	struct rndis_query_result q;
	uint8_t b[64];

	(void)state;
	rndis_query_cmplt_build(b, sizeof(b), 4, 0, info, 8);
	put32(b, 20, 12); /* inside the fixed part */
	assert_int_equal(rndis_query_cmplt_parse(b, 32, &q), -EINVAL);
	put32(b, 20, 20); /* 4 bytes past msg_len */
	assert_int_equal(rndis_query_cmplt_parse(b, 32, &q), -EINVAL);
	/* Even if the caller's buffer holds them: msg_len is the bound. */
	assert_int_equal(rndis_query_cmplt_parse(b, 64, &q), -EINVAL);
	put32(b, 20, 0xFFFFFFF8u);
	assert_int_equal(rndis_query_cmplt_parse(b, 32, &q), -EINVAL);
	put32(b, 20, 16);
	put32(b, 16, 0xFFFFFFF0u);
	assert_int_equal(rndis_query_cmplt_parse(b, 32, &q), -EINVAL);
	put32(b, 16, 8);
	put32(b, 4, 20); /* shorter than the fixed part */
	assert_int_equal(rndis_query_cmplt_parse(b, 32, &q), -EINVAL);
	put32(b, 4, 32);
	put32(b, 12, RNDIS_STATUS_NOT_SUPPORTED);
	assert_int_equal(rndis_query_cmplt_parse(b, 32, &q), -EIO);
	assert_int_equal(q.status, RNDIS_STATUS_NOT_SUPPORTED);
	assert_null(q.info);
}

static void
test_rndis_msg_simple_cmplts(void **state)
{
	struct rndis_cmplt_result c;
	uint8_t b[32];

	(void)state;
	assert_int_equal(rndis_set_cmplt_build(b, sizeof(b), 6, 0), 16);
	assert_int_equal(get32(b, 0), 0x80000005u);
	assert_int_equal(rndis_set_cmplt_parse(b, 16, &c), 0);
	assert_int_equal(c.rid, 6);
	assert_int_equal(rndis_keepalive_cmplt_parse(b, 16, &c), -EPROTO);

	assert_int_equal(rndis_keepalive_cmplt_build(b, sizeof(b), 7,
			 RNDIS_STATUS_FAILURE), 16);
	assert_int_equal(get32(b, 0), 0x80000008u);
	assert_int_equal(rndis_keepalive_cmplt_parse(b, 16, &c), -EIO);
	assert_int_equal(c.rid, 7);
	assert_int_equal(c.status, RNDIS_STATUS_FAILURE);
	assert_int_equal(rndis_keepalive_cmplt_parse(b, 15, &c), -EINVAL);

	assert_int_equal(rndis_reset_cmplt_build(b, sizeof(b), 0, 1), 16);
	assert_int_equal(get32(b, 0), 0x80000006u);
	assert_int_equal(get32(b, 8), 0); /* status, no rid */
	assert_int_equal(get32(b, 12), 1);
	assert_int_equal(rndis_reset_cmplt_parse(b, 16, &c), 0);
	assert_int_equal(c.addressing_reset, 1);
}

static void
test_rndis_msg_indicate_status(void **state)
{
	const uint32_t speed = 100000000; /* 10 Gbps in 100 bps units */
	struct rndis_status_ind s;
	uint32_t got;
	uint8_t b[64];

	(void)state;
	assert_int_equal(rndis_indicate_status_build(b, sizeof(b),
			 RNDIS_STATUS_MEDIA_CONNECT, NULL, 0), 20);
	assert_int_equal(get32(b, 0), 7);
	assert_int_equal(get32(b, 16), 0);
	assert_int_equal(rndis_indicate_status_parse(b, 20, &s), 0);
	assert_int_equal(s.status, RNDIS_STATUS_MEDIA_CONNECT);
	assert_null(s.buf);
	assert_int_equal(rndis_status_link_speed(&s, &got), -EPROTO);

	assert_int_equal(rndis_indicate_status_build(b, sizeof(b),
			 RNDIS_STATUS_LINK_SPEED_CHANGE, &speed, 4), 24);
	assert_int_equal(get32(b, 16), 12); /* relative to @8: absolute 20 */
	assert_int_equal(rndis_indicate_status_parse(b, 24, &s), 0);
	assert_int_equal(s.buf_off, 20);
	assert_int_equal(rndis_status_link_speed(&s, &got), 0);
	assert_int_equal(got, speed);

	/* Old hosts: buffer outside msg_len but inside the range is fine. */
	put32(b, 4, 20);
	assert_int_equal(rndis_indicate_status_parse(b, 24, &s), 0);
	assert_int_equal(rndis_status_link_speed(&s, &got), 0);
	/* ... but not outside the range. */
	assert_int_equal(rndis_indicate_status_parse(b, 23, &s), -EINVAL);
	put32(b, 16, 8);
	assert_int_equal(rndis_indicate_status_parse(b, 24, &s), -EINVAL);
	put32(b, 16, 0xFFFFFFFCu);
	assert_int_equal(rndis_indicate_status_parse(b, 24, &s), -EINVAL);
	/* A too-short speed buffer. */
	rndis_indicate_status_build(b, sizeof(b),
				    RNDIS_STATUS_LINK_SPEED_CHANGE, &speed, 2);
	assert_int_equal(rndis_indicate_status_parse(b, 22, &s), 0);
	assert_int_equal(rndis_status_link_speed(&s, &got), -EINVAL);
	put32(b, 4, 16);
	assert_int_equal(rndis_indicate_status_parse(b, 22, &s), -EINVAL);
}

static void
test_rndis_msg_peek(void **state)
{
	struct rndis_peek p;
	uint8_t b[32];

	(void)state;
	rndis_keepalive_cmplt_build(b, sizeof(b), 11, 0);
	assert_int_equal(rndis_msg_peek(b, 16, &p), 0);
	assert_int_equal(p.type, RNDIS_MSG_KEEPALIVE_CMPLT);
	assert_int_equal(p.msg_len, 16);
	assert_true(p.has_rid);
	assert_int_equal(p.rid, 11);
	assert_int_equal(rndis_msg_peek(b, 15, &p), -EINVAL);
	assert_int_equal(rndis_msg_peek(b, 7, &p), -EINVAL);
	put32(b, 4, 8); /* too short to hold the rid */
	assert_int_equal(rndis_msg_peek(b, 16, &p), -EINVAL);
	put32(b, 4, 4);
	assert_int_equal(rndis_msg_peek(b, 16, &p), -EINVAL);

	rndis_indicate_status_build(b, sizeof(b), RNDIS_STATUS_MEDIA_CONNECT,
				    NULL, 0);
	assert_int_equal(rndis_msg_peek(b, 20, &p), 0);
	assert_false(p.has_rid);
	put32(b, 4, 8);
	assert_int_equal(rndis_msg_peek(b, 8, &p), 0);
	assert_int_equal(p.msg_len, 8);
}

/* Every strict prefix of a valid message is refused by its parser. */
static void
test_rndis_msg_truncation_sweep(void **state)
{
	const uint8_t info[8] = { 0 };
	struct rndis_query_result q;
	struct rndis_ctl_req r;
	uint8_t b[64];
	int n;

	(void)state;
	n = rndis_query_cmplt_build(b, sizeof(b), 1, 0, info, 8);
	for (int len = 0; len < n; len++)
		assert_int_not_equal(rndis_query_cmplt_parse(b, (size_t)len, &q),
				     0);
	n = rndis_set_req_build(b, sizeof(b), 1, 1, info, 8);
	for (int len = 0; len < n; len++)
		assert_int_not_equal(rndis_ctl_req_parse(b, (size_t)len, &r), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rndis_msg_init_req_bytes),
		cmocka_unit_test(test_rndis_msg_query_req_bytes),
		cmocka_unit_test(test_rndis_msg_set_roundtrip),
		cmocka_unit_test(test_rndis_msg_host_init_halt_keepalive),
		cmocka_unit_test(test_rndis_msg_host_rejects),
		cmocka_unit_test(test_rndis_msg_host_oid_info_bounds),
		cmocka_unit_test(test_rndis_msg_init_cmplt_roundtrip),
		cmocka_unit_test(test_rndis_msg_init_cmplt_rejects),
		cmocka_unit_test(test_rndis_msg_query_cmplt_roundtrip),
		cmocka_unit_test(test_rndis_msg_query_cmplt_rejects),
		cmocka_unit_test(test_rndis_msg_simple_cmplts),
		cmocka_unit_test(test_rndis_msg_indicate_status),
		cmocka_unit_test(test_rndis_msg_peek),
		cmocka_unit_test(test_rndis_msg_truncation_sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
