/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for nvsp_msg: guest builders against the host validator,
 * host builders against the guest validators, byte layouts from
 * docs/design/protocol.md ("NVSP") and every rejection path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_bytes.h"

#include <errno.h>
#include <string.h>

#include "nvsp_msg.h"

#define V61 NVSP_VERSION_61

/* A host message of 40 zeroed bytes with type and up to three fields. */
static void
msg3(uint8_t *b, uint32_t type, uint32_t a, uint32_t c, uint32_t d)
{
	memset(b, 0, 40);
	put32(b, 0, type);
	put32(b + 4, 0, a);
	put32(b + 8, 0, c);
	put32(b + 12, 0, d);
}

static void
test_nvsp_msg_versions(void **state)
{
	static const uint32_t order[] = { 0x60001, 0x60000, 0x50000,
					  0x40000, 0x30002, 0x2 };

	(void)state;
	assert_memory_equal(nvsp_versions, order, sizeof(order));
	assert_true(nvsp_version_supported(NVSP_VERSION_2));
	assert_false(nvsp_version_supported(0x30000));
	assert_false(nvsp_version_supported(NVSP_VERSION_NONE));
	assert_int_equal(nvsp_ndis_version(NVSP_VERSION_1), 0x00060001);
	assert_int_equal(nvsp_ndis_version(NVSP_VERSION_4), 0x00060001);
	assert_int_equal(nvsp_ndis_version(NVSP_VERSION_5), 0x0006001e);
	assert_int_equal(nvsp_ndis_version(V61), 0x0006001e);
	assert_int_equal(nvsp_ndis_version(0x70000), 0);
	assert_int_equal(nvsp_resp_size(NVSP_VERSION_6), 28);
	assert_int_equal(nvsp_resp_size(V61), 40);
}

static void
test_nvsp_msg_gating(void **state)
{
	(void)state;
	assert_true(nvsp_msg_type_allowed(NVSP_MSG_TYPE_INIT, 0));
	assert_true(nvsp_msg_type_allowed(NVSP_MSG_TYPE_INIT, V61));
	assert_false(nvsp_msg_type_allowed(NVSP_MSG_TYPE_SEND_NDIS_VERSION,
					   NVSP_VERSION_NONE));
	assert_true(nvsp_msg_type_allowed(NVSP_MSG_TYPE_SEND_NDIS_VERSION,
					  NVSP_VERSION_1));
	assert_false(nvsp_msg_type_allowed(NVSP_MSG_TYPE_SEND_NDIS_CONFIG,
					   NVSP_VERSION_1));
	assert_true(nvsp_msg_type_allowed(NVSP_MSG_TYPE_SEND_NDIS_CONFIG,
					  NVSP_VERSION_2));
	assert_false(nvsp_msg_type_allowed(NVSP_MSG_TYPE_SWITCH_DATA_PATH,
					   NVSP_VERSION_2));
	assert_true(nvsp_msg_type_allowed(NVSP_MSG_TYPE_SWITCH_DATA_PATH,
					  NVSP_VERSION_4));
	assert_false(nvsp_msg_type_allowed(NVSP_MSG_TYPE_SUBCHANNEL,
					   NVSP_VERSION_4));
	assert_true(nvsp_msg_type_allowed(NVSP_MSG_TYPE_SUBCHANNEL,
					  NVSP_VERSION_5));
	assert_false(nvsp_msg_type_allowed(NVSP_MSG_TYPE_PD_API,
					   NVSP_VERSION_5));
	assert_true(nvsp_msg_type_allowed(115, NVSP_VERSION_2));
	assert_false(nvsp_msg_type_allowed(115, NVSP_VERSION_1));
	assert_false(nvsp_msg_type_allowed(0, V61));
	assert_false(nvsp_msg_type_allowed(3, V61));
	assert_false(nvsp_msg_type_allowed(137, V61));
}

static void
test_nvsp_msg_type_peek(void **state)
{
	uint8_t b[4] = { 0x6b, 0, 0, 0 };
	uint32_t t = 5;

	(void)state;
	assert_int_equal(nvsp_msg_type(b, 3, &t), -EINVAL);
	assert_int_equal(nvsp_msg_type(b, 4, &t), 0);
	assert_int_equal(t, NVSP_MSG_TYPE_SEND_RNDIS_PKT);
}

static void
test_nvsp_msg_guest_bytes(void **state)
{
	uint8_t b[48], zero[40] = { 0 };
	uint64_t caps;

	(void)state;
	memset(b, 0xee, sizeof(b));
	assert_int_equal(nvsp_build_init(b, sizeof(b), NVSP_VERSION_5), 40);
	assert_int_equal(get32(b, 0), 1);
	assert_int_equal(get32(b + 4, 0), 0x50000);
	assert_int_equal(get32(b + 8, 0), 0x50000);
	assert_memory_equal(b + 12, zero, 28);
	assert_int_equal(b[40], 0xee); /* nothing past 40 bytes */

	assert_int_equal(nvsp_build_ndis_config(b, 40, 1514,
						NVSP_NDIS_CAP_SRIOV |
						NVSP_NDIS_CAP_IEEE8021Q), 40);
	assert_int_equal(get32(b, 0), 125);
	assert_int_equal(get32(b + 4, 0), 1514);
	assert_int_equal(get32(b + 8, 0), 0);
	memcpy(&caps, b + 12, sizeof(caps));
	assert_true(caps == 0xc);

	assert_int_equal(nvsp_build_ndis_version(b, 40, 0x0006001e), 40);
	assert_int_equal(get32(b, 0), 100);
	assert_int_equal(get32(b + 4, 0), 6);
	assert_int_equal(get32(b + 8, 0), 30);

	assert_int_equal(nvsp_build_send_recv_buf(b, 40, 0x1234,
						  NVSP_RECV_BUF_ID), 40);
	assert_int_equal(get32(b, 0), 101);
	assert_int_equal(get32(b + 4, 0), 0x1234);
	assert_int_equal(get32(b + 8, 0), 0xcafe); /* u16 id, zero padded */

	assert_int_equal(nvsp_build_revoke_send_buf(b, 40, NVSP_SEND_BUF_ID),
			 40);
	assert_int_equal(get32(b, 0), 106);
	assert_int_equal(get32(b + 4, 0), 0xface);

	assert_int_equal(nvsp_build_rndis_pkt(b, 40, 1, 7, 300), 40);
	assert_int_equal(get32(b, 0), 107);
	assert_int_equal(get32(b + 4, 0), 1);
	assert_int_equal(get32(b + 8, 0), 7);
	assert_int_equal(get32(b + 12, 0), 300);

	assert_int_equal(nvsp_build_subchannel_req(b, 40, 3), 40);
	assert_int_equal(get32(b, 0), 133);
	assert_int_equal(get32(b + 4, 0), 1);
	assert_int_equal(get32(b + 8, 0), 3);
}

static void
test_nvsp_msg_guest_build_errors(void **state)
{
	uint8_t b[40];

	(void)state;
	assert_int_equal(nvsp_build_init(b, 39, V61), -ENOBUFS);
	assert_int_equal(nvsp_build_init(b, 40, 0x30000), -EINVAL);
	assert_int_equal(nvsp_build_ndis_version(b, 40, 0), -EINVAL);
	assert_int_equal(nvsp_build_rndis_pkt(b, 40, 2, 0, 0), -EINVAL);
	assert_int_equal(nvsp_build_rndis_pkt(b, 40, 0,
					      NVSP_SECTION_INDEX_NONE, 1),
			 -EINVAL);
	assert_int_equal(nvsp_build_rndis_pkt_complete(b, 40, 0), -EINVAL);
	assert_int_equal(nvsp_build_subchannel_req(b, 40, 0), -EINVAL);
	assert_int_equal(nvsp_build_switch_data_path(b, 40, 2), -EINVAL);
	assert_int_equal(nvsp_build_revoke_recv_buf(b, 8, 1), -ENOBUFS);
}

static void
test_nvsp_msg_request_roundtrip(void **state)
{
	struct nvsp_request r;
	uint8_t b[40];

	(void)state;
	nvsp_build_init(b, 40, NVSP_VERSION_4);
	assert_int_equal(nvsp_host_parse_request(b, 40, 0, &r), 0);
	assert_int_equal(r.type, NVSP_MSG_TYPE_INIT);
	assert_int_equal(r.init.min_version, NVSP_VERSION_4);
	assert_int_equal(r.init.max_version, NVSP_VERSION_4);

	nvsp_build_ndis_config(b, 40, 9000, 1ull << 40 | NVSP_NDIS_CAP_RSC);
	assert_int_equal(nvsp_host_parse_request(b, 40, V61, &r), 0);
	assert_int_equal(r.ndis_config.mtu, 9000);
	assert_true(r.ndis_config.capabilities == (1ull << 40 | 0x80));

	nvsp_build_ndis_version(b, 40, NVSP_NDIS_VERSION_6_1);
	assert_int_equal(nvsp_host_parse_request(b, 40, NVSP_VERSION_1, &r), 0);
	assert_int_equal(r.ndis_version.major, 6);
	assert_int_equal(r.ndis_version.minor, 1);

	nvsp_build_send_send_buf(b, 40, 99, NVSP_SEND_BUF_ID);
	assert_int_equal(nvsp_host_parse_request(b, 40, V61, &r), 0);
	assert_int_equal(r.type, NVSP_MSG_TYPE_SEND_SEND_BUF);
	assert_int_equal(r.buf.gpadl, 99);
	assert_int_equal(r.buf.id, 0xface);

	nvsp_build_revoke_recv_buf(b, 40, NVSP_RECV_BUF_ID);
	assert_int_equal(nvsp_host_parse_request(b, 40, V61, &r), 0);
	assert_int_equal(r.revoke.id, 0xcafe);

	nvsp_build_rndis_pkt(b, 40, 0, NVSP_SECTION_INDEX_NONE, 0);
	assert_int_equal(nvsp_host_parse_request(b, 40, V61, &r), 0);
	assert_int_equal(r.rndis_pkt.channel_type, 0);
	assert_int_equal(r.rndis_pkt.section_index, NVSP_SECTION_INDEX_NONE);

	nvsp_build_rndis_pkt_complete(b, 40, NVSP_STATUS_FAILURE);
	/* Linux's RX ACK is only 8 bytes long. */
	assert_int_equal(nvsp_host_parse_request(b, 8, V61, &r), 0);
	assert_int_equal(r.rndis_complete.status, NVSP_STATUS_FAILURE);

	nvsp_build_subchannel_req(b, 40, 7);
	assert_int_equal(nvsp_host_parse_request(b, 40, NVSP_VERSION_5, &r), 0);
	assert_int_equal(r.subchannel.op, 1);
	assert_int_equal(r.subchannel.num_subchannels, 7);

	nvsp_build_switch_data_path(b, 40, NVSP_DATAPATH_VF);
	assert_int_equal(nvsp_host_parse_request(b, 40, NVSP_VERSION_4, &r), 0);
	assert_int_equal(r.switch_data_path.active_datapath, 1);

	msg3(b, NVSP_MSG_TYPE_OID_QUERY_EX, 0x01020304, 0x00010202, 0);
	assert_int_equal(nvsp_host_parse_request(b, 12, NVSP_VERSION_5, &r), 0);
	assert_int_equal(r.oid_query.oid, 0x00010202);
}

static void
test_nvsp_msg_request_errors(void **state)
{
	struct nvsp_request r;
	uint8_t b[40];

	(void)state;
	nvsp_build_init(b, 40, V61);
	assert_int_equal(nvsp_host_parse_request(b, 3, 0, &r), -EINVAL);
	assert_int_equal(nvsp_host_parse_request(b, 11, 0, &r), -EINVAL);
	assert_int_equal(nvsp_host_parse_request(b, 12, 0, &r), 0);

	/* Gating: nothing but INIT before negotiation, then by version. */
	nvsp_build_ndis_version(b, 40, NVSP_NDIS_VERSION_6_30);
	assert_int_equal(nvsp_host_parse_request(b, 40, 0, &r), -EPROTO);
	assert_int_equal(r.type, 0);
	nvsp_build_ndis_config(b, 40, 1514, 0);
	assert_int_equal(nvsp_host_parse_request(b, 40, NVSP_VERSION_1, &r),
			 -EPROTO);
	assert_int_equal(nvsp_host_parse_request(b, 19, NVSP_VERSION_2, &r),
			 -EINVAL);
	nvsp_build_subchannel_req(b, 40, 1);
	assert_int_equal(nvsp_host_parse_request(b, 40, NVSP_VERSION_4, &r),
			 -EPROTO);
	nvsp_build_switch_data_path(b, 40, 0);
	assert_int_equal(nvsp_host_parse_request(b, 40, NVSP_VERSION_2, &r),
			 -EPROTO);
	assert_int_equal(nvsp_host_parse_request(b, 7, NVSP_VERSION_4, &r),
			 -EINVAL);
	put32(b + 4, 0, 2);
	assert_int_equal(nvsp_host_parse_request(b, 8, NVSP_VERSION_4, &r),
			 -EINVAL);

	/* Host->guest, deprecated and unknown types are not requests. */
	msg3(b, NVSP_MSG_TYPE_INIT_COMPLETE, 0, 0, 1);
	assert_int_equal(nvsp_host_parse_request(b, 40, V61, &r), -EPROTO);
	msg3(b, NVSP_MSG_TYPE_SEND_INDIRECTION_TABLE, 16, 12, 0);
	assert_int_equal(nvsp_host_parse_request(b, 40, V61, &r), -EPROTO);
	msg3(b, NVSP_MSG_TYPE_SEND_CHIMNEY_PKT, 0, 0, 0);
	assert_int_equal(nvsp_host_parse_request(b, 40, V61, &r), -EPROTO);
	msg3(b, 0xdeadbeef, 0, 0, 0);
	assert_int_equal(nvsp_host_parse_request(b, 40, V61, &r), -EPROTO);

	msg3(b, NVSP_MSG_TYPE_SEND_RNDIS_PKT, 2, NVSP_SECTION_INDEX_NONE, 0);
	assert_int_equal(nvsp_host_parse_request(b, 40, V61, &r), -EINVAL);
	assert_int_equal(nvsp_host_parse_request(b, 15, V61, &r), -EINVAL);
	nvsp_build_send_recv_buf(b, 40, 1, 1);
	assert_int_equal(nvsp_host_parse_request(b, 9, V61, &r), -EINVAL);
	assert_int_equal(nvsp_host_parse_request(b, 10, V61, &r), 0);
}

static void
test_nvsp_msg_init_complete(void **state)
{
	struct nvsp_init_info ii;
	uint8_t b[40];

	(void)state;
	memset(b, 0xee, sizeof(b));
	assert_int_equal(nvsp_host_build_init_complete(b, 40, V61,
						       NVSP_STATUS_SUCCESS), 40);
	assert_int_equal(get32(b, 0), 2);
	assert_int_equal(get32(b + 4, 0), 0xffffffff);
	assert_int_equal(get32(b + 8, 0), 34);
	assert_int_equal(get32(b + 12, 0), 1);
	assert_int_equal(get32(b + 36, 0), 0);
	assert_int_equal(nvsp_parse_init_complete(b, 40, &ii), 0);
	assert_int_equal(ii.max_mdl_chain_len, 34);

	assert_int_equal(nvsp_host_build_init_complete(b, 40, NVSP_VERSION_1,
						       NVSP_STATUS_SUCCESS), 28);
	assert_int_equal(get32(b + 4, 0), 2);

	/* Refused: smallest size, and -ENOTSUP so the guest tries on. */
	assert_int_equal(nvsp_host_build_init_complete(b, 40, V61,
						       NVSP_STATUS_NONE), 28);
	assert_int_equal(nvsp_parse_init_complete(b, 28, &ii), -ENOTSUP);
	assert_int_equal(ii.status, NVSP_STATUS_NONE);

	assert_int_equal(nvsp_host_build_init_complete(b, 27, 0, 0), -ENOBUFS);
	msg3(b, NVSP_MSG_TYPE_INIT_COMPLETE, 0, 0, 1);
	assert_int_equal(nvsp_parse_init_complete(b, 15, &ii), -EINVAL);
	assert_int_equal(nvsp_parse_init_complete(b, 16, &ii), 0);
	put32(b, 0, NVSP_MSG_TYPE_INIT);
	assert_int_equal(nvsp_parse_init_complete(b, 16, &ii), -EPROTO);
	assert_int_equal(nvsp_parse_init_complete(b, 2, &ii), -EINVAL);
}

static void
test_nvsp_msg_recv_buf_complete(void **state)
{
	struct nvsp_recv_buf_info ri;
	uint8_t b[40];

	(void)state;
	assert_int_equal(nvsp_host_build_recv_buf_complete(b, 40,
			NVSP_VERSION_5, NVSP_STATUS_SUCCESS, 1792, 100), 28);
	assert_int_equal(get32(b, 0), 102);
	assert_int_equal(get32(b + 4, 0), 1);
	assert_int_equal(get32(b + 8, 0), 1);
	assert_int_equal(get32(b + 12, 0), 0);
	assert_int_equal(get32(b + 16, 0), 1792);
	assert_int_equal(get32(b + 20, 0), 100);
	assert_int_equal(get32(b + 24, 0), 179200);
	assert_int_equal(nvsp_parse_recv_buf_complete(b, 28, 179200, &ri), 0);
	assert_int_equal(ri.sub_alloc_size, 1792);
	assert_int_equal(ri.num_sub_allocs, 100);
	assert_int_equal(nvsp_parse_recv_buf_complete(b, 28, 179199, &ri),
			 -ERANGE);
	assert_int_equal(nvsp_parse_recv_buf_complete(b, 27, 1u << 30, &ri),
			 -EINVAL);

	put32(b + 8, 0, 2);
	assert_int_equal(nvsp_parse_recv_buf_complete(b, 28, 1u << 30, &ri),
			 -EINVAL);
	put32(b + 8, 0, 1);
	put32(b + 12, 0, 4);
	assert_int_equal(nvsp_parse_recv_buf_complete(b, 28, 1u << 30, &ri),
			 -ERANGE);
	put32(b + 12, 0, 0);
	put32(b + 16, 0, 67);
	assert_int_equal(nvsp_parse_recv_buf_complete(b, 28, 1u << 30, &ri),
			 -EINVAL);
	put32(b + 16, 0, 68);
	put32(b + 20, 0, 0);
	assert_int_equal(nvsp_parse_recv_buf_complete(b, 28, 1u << 30, &ri),
			 -EINVAL);
	/* 0x10000 * 0x10000 wraps to 0 in 32 bits. */
	put32(b + 16, 0, 0x10000);
	put32(b + 20, 0, 0x10000);
	assert_int_equal(nvsp_parse_recv_buf_complete(b, 28, UINT32_MAX, &ri),
			 -ERANGE);
	put32(b + 4, 0, NVSP_STATUS_FAILURE);
	assert_int_equal(nvsp_parse_recv_buf_complete(b, 28, UINT32_MAX, &ri),
			 -EPROTO);
	assert_int_equal(ri.status, NVSP_STATUS_FAILURE);
	put32(b, 0, NVSP_MSG_TYPE_SEND_SEND_BUF_COMPLETE);
	assert_int_equal(nvsp_parse_recv_buf_complete(b, 28, UINT32_MAX, &ri),
			 -EPROTO);

	assert_int_equal(nvsp_host_build_recv_buf_complete(b, 40, V61,
			NVSP_STATUS_SUCCESS, 0x10000, 0x10000), -ERANGE);
	assert_int_equal(nvsp_host_build_recv_buf_complete(b, 40, V61,
			NVSP_STATUS_SUCCESS, 0, 1), -EINVAL);
	assert_int_equal(nvsp_host_build_recv_buf_complete(b, 39, V61,
			NVSP_STATUS_FAILURE, 0, 0), -ENOBUFS);
	assert_int_equal(nvsp_host_build_recv_buf_complete(b, 40, V61,
			NVSP_STATUS_FAILURE, 0, 0), 40);
	assert_int_equal(get32(b + 8, 0), 0); /* no section on failure */
}

static void
test_nvsp_msg_send_buf_complete(void **state)
{
	struct nvsp_send_buf_info si;
	uint8_t b[40];

	(void)state;
	assert_int_equal(nvsp_host_build_send_buf_complete(b, 40, V61,
			NVSP_STATUS_SUCCESS, 6144), 40);
	assert_int_equal(get32(b + 8, 0), 6144);
	assert_int_equal(nvsp_parse_send_buf_complete(b, 40, 16u << 20, &si), 0);
	assert_int_equal(si.section_size, 6144);
	assert_int_equal(si.section_count, (16u << 20) / 6144);
	assert_int_equal(nvsp_parse_send_buf_complete(b, 12, 6144, &si), 0);
	assert_int_equal(si.section_count, 1);
	assert_int_equal(nvsp_parse_send_buf_complete(b, 12, 6143, &si),
			 -ERANGE);
	assert_int_equal(nvsp_parse_send_buf_complete(b, 11, 1u << 20, &si),
			 -EINVAL);
	put32(b + 8, 0, 0);
	assert_int_equal(nvsp_parse_send_buf_complete(b, 12, 1u << 20, &si),
			 -EINVAL);
	put32(b + 8, 0, 64);
	assert_int_equal(nvsp_parse_send_buf_complete(b, 12, 1u << 20, &si),
			 -EINVAL);
	put32(b + 8, 0, 70);
	assert_int_equal(nvsp_parse_send_buf_complete(b, 12, 1u << 20, &si),
			 -EINVAL);
	put32(b + 8, 0, 6144);
	put32(b + 4, 0, NVSP_STATUS_BUSY);
	assert_int_equal(nvsp_parse_send_buf_complete(b, 12, 1u << 20, &si),
			 -EPROTO);
	assert_int_equal(nvsp_host_build_send_buf_complete(b, 40, V61,
			NVSP_STATUS_SUCCESS, 0), -EINVAL);
}

static void
test_nvsp_msg_subchannel(void **state)
{
	struct nvsp_subchannel_info sc;
	uint8_t b[40];

	(void)state;
	assert_int_equal(nvsp_host_build_subchannel_resp(b, 40, V61,
			NVSP_STATUS_SUCCESS, 3), 40);
	assert_int_equal(nvsp_parse_subchannel_resp(b, 40, 3, &sc), 0);
	assert_int_equal(sc.num_subchannels, 3);
	assert_int_equal(nvsp_parse_subchannel_resp(b, 40, 4, &sc), 0);
	assert_int_equal(nvsp_parse_subchannel_resp(b, 40, 2, &sc), -ERANGE);
	assert_int_equal(nvsp_parse_subchannel_resp(b, 11, 3, &sc), -EINVAL);
	nvsp_host_build_subchannel_resp(b, 40, NVSP_VERSION_5,
					NVSP_STATUS_FAILURE, 0);
	assert_int_equal(nvsp_parse_subchannel_resp(b, 28, 3, &sc), -EPROTO);
	/* The guest's own request is not a response. */
	nvsp_build_init(b, 40, V61);
	assert_int_equal(nvsp_parse_subchannel_resp(b, 40, 3, &sc), -EPROTO);
}

static void
test_nvsp_msg_rndis_pkt(void **state)
{
	struct nvsp_rndis_pkt_info pi;
	uint32_t st;
	uint8_t b[40];

	(void)state;
	assert_int_equal(nvsp_host_build_rndis_pkt(b, 40, NVSP_VERSION_5, 1),
			 28);
	assert_int_equal(nvsp_parse_rndis_pkt(b, 28, &pi), 0);
	assert_int_equal(pi.channel_type, 1);
	assert_int_equal(pi.section_index, NVSP_SECTION_INDEX_NONE);
	assert_int_equal(pi.section_size, 0);
	assert_int_equal(nvsp_parse_rndis_pkt(b, 15, &pi), -EINVAL);
	assert_int_equal(nvsp_host_build_rndis_pkt(b, 40, V61, 2), -EINVAL);

	assert_int_equal(nvsp_host_build_rndis_pkt_complete(b, 40, V61,
			NVSP_STATUS_FAILURE), 40);
	assert_int_equal(nvsp_parse_rndis_pkt_complete(b, 8, &st), 0);
	assert_int_equal(st, NVSP_STATUS_FAILURE);
	assert_int_equal(nvsp_parse_rndis_pkt_complete(b, 7, &st), -EINVAL);
	assert_int_equal(nvsp_parse_rndis_pkt(b, 40, &pi), -EPROTO);
}

/* The inlined completion reader answers exactly as the parser does. */
static void
test_nvsp_msg_rndis_complete_inline(void **state)
{
	static const uint32_t types[] = {
		NVSP_MSG_TYPE_SEND_RNDIS_PKT_COMPLETE,
		NVSP_MSG_TYPE_SEND_RNDIS_PKT, 0, UINT32_MAX,
	};
	uint32_t st_a, st_b, i, t;
	size_t len;
	uint8_t b[40];

	(void)state;
	for (t = 0; t < HV_ARRAY_SIZE(types); t++) {
		memset(b, 0, sizeof(b));
		memcpy(b, &types[t], 4);
		for (i = 0; i < 8; i++)
			b[4 + i] = (uint8_t)(0x11 * (i + 1));
		for (len = 0; len <= sizeof(b); len++) {
			st_a = st_b = 12345;
			assert_int_equal(nvsp_rndis_pkt_complete_status(b, len,
									&st_a),
					 nvsp_parse_rndis_pkt_complete(b, len,
								       &st_b));
			assert_int_equal(st_a, st_b);
		}
	}
}

static void
test_nvsp_msg_vf_and_datapath(void **state)
{
	struct nvsp_vf_info vf;
	uint32_t dp;
	uint8_t b[40];

	(void)state;
	assert_int_equal(nvsp_host_build_vf_association(b, 40, NVSP_VERSION_5,
							true, 0x1234), 28);
	assert_int_equal(get32(b + 4, 0), 1);
	assert_int_equal(get32(b + 8, 0), 0x1234);
	assert_int_equal(nvsp_parse_vf_association(b, 28, &vf), 0);
	assert_true(vf.allocated);
	assert_int_equal(vf.serial, 0x1234);
	assert_int_equal(nvsp_parse_vf_association(b, 11, &vf), -EINVAL);
	put32(b + 4, 0, 2);
	assert_int_equal(nvsp_parse_vf_association(b, 12, &vf), -EINVAL);
	nvsp_host_build_vf_association(b, 40, V61, false, 9);
	assert_int_equal(nvsp_parse_vf_association(b, 40, &vf), 0);
	assert_false(vf.allocated);

	assert_int_equal(nvsp_host_build_switch_data_path(b, 40, V61, 0), 40);
	assert_int_equal(nvsp_parse_switch_data_path(b, 40, &dp), 0);
	assert_int_equal(dp, NVSP_DATAPATH_SYNTHETIC);
	assert_int_equal(nvsp_parse_switch_data_path(b, 7, &dp), -EINVAL);
	put32(b + 4, 0, 7);
	assert_int_equal(nvsp_parse_switch_data_path(b, 8, &dp), -EINVAL);
	assert_int_equal(nvsp_host_build_switch_data_path(b, 40, V61, 2),
			 -EINVAL);
	assert_int_equal(nvsp_parse_vf_association(b, 40, &vf), -EPROTO);
}

static void
test_nvsp_msg_indirection_roundtrip(void **state)
{
	struct nvsp_indirection_info t;
	uint32_t table[16];
	uint8_t b[128];

	(void)state;
	for (uint32_t i = 0; i < 16; i++)
		table[i] = i % 3;
	assert_int_equal(nvsp_host_build_indirection_table(b, sizeof(b), V61,
							   table), 76);
	assert_int_equal(get32(b + 4, 0), 16);
	assert_int_equal(get32(b + 8, 0), 12);
	assert_int_equal(get32(b + 12 + 4 * 5, 0), 2);
	assert_int_equal(nvsp_parse_indirection_table(b, 76, V61, &t), 0);
	assert_memory_equal(t.table, table, sizeof(table));
	assert_true(nvsp_indirection_table_valid(&t, 3));
	assert_false(nvsp_indirection_table_valid(&t, 2));

	assert_int_equal(nvsp_host_build_indirection_table(b, sizeof(b),
			NVSP_VERSION_6, table), 104);
	assert_int_equal(get32(b + 8, 0), 40);
	assert_int_equal(nvsp_parse_indirection_table(b, 104, NVSP_VERSION_6,
						      &t), 0);
	assert_memory_equal(t.table, table, sizeof(table));
	assert_int_equal(nvsp_host_build_indirection_table(b, 103,
			NVSP_VERSION_6, table), -ENOBUFS);
}

static void
test_nvsp_msg_indirection_errors(void **state)
{
	struct nvsp_indirection_info t;
	uint8_t b[128] = { 0 };

	(void)state;
	msg3(b, NVSP_MSG_TYPE_SEND_INDIRECTION_TABLE, 16, 12, 0);
	for (uint32_t i = 0; i < 16; i++)
		put32(b + 12 + 4 * i, 0, 1);
	for (uint32_t i = 0; i < 16; i++)
		put32(b + 40 + 4 * i, 0, 2);
	assert_int_equal(nvsp_parse_indirection_table(b, 11, V61, &t), -EINVAL);
	assert_int_equal(nvsp_parse_indirection_table(b, 75, V61, &t), -ERANGE);
	assert_int_equal(nvsp_parse_indirection_table(b, 76, V61, &t), 0);
	/* Both tables overlap: entries 0-6 from the first, 7-15 the second. */
	assert_int_equal(t.table[6], 1);
	assert_int_equal(t.table[7], 2);
	/* NVSP <= 6 with room at 40: the reported offset is not trusted. */
	assert_int_equal(nvsp_parse_indirection_table(b, 104, NVSP_VERSION_6,
						      &t), 0);
	assert_int_equal(t.table[0], 2);
	assert_int_equal(nvsp_parse_indirection_table(b, 104, V61, &t), 0);
	assert_int_equal(t.table[0], 1);
	/* Too short for the quirk: fall back to the reported offset. */
	assert_int_equal(nvsp_parse_indirection_table(b, 103, NVSP_VERSION_5,
						      &t), 0);
	assert_int_equal(t.table[0], 1);

	put32(b + 8, 0, 8); /* overlaps the header */
	assert_int_equal(nvsp_parse_indirection_table(b, 128, V61, &t), -ERANGE);
	/* Unaligned but inside: the table is copied bytewise. */
	put32(b + 8, 0, 63);
	assert_int_equal(nvsp_parse_indirection_table(b, 128, V61, &t), 0);
	put32(b + 8, 0, 64);
	assert_int_equal(nvsp_parse_indirection_table(b, 128, V61, &t), 0);
	put32(b + 8, 0, 65);
	assert_int_equal(nvsp_parse_indirection_table(b, 128, V61, &t), -ERANGE);
	put32(b + 8, 0, UINT32_MAX);
	assert_int_equal(nvsp_parse_indirection_table(b, 128, V61, &t), -ERANGE);
	put32(b + 8, 0, 12);
	put32(b + 4, 0, 15);
	assert_int_equal(nvsp_parse_indirection_table(b, 128, V61, &t), -EINVAL);
	put32(b + 4, 0, 16);
	put32(b, 0, NVSP_MSG_TYPE_SEND_VF_ASSOCIATION);
	assert_int_equal(nvsp_parse_indirection_table(b, 128, V61, &t), -EPROTO);
}

static void
test_nvsp_msg_host_helpers(void **state)
{
	struct nvsp_rndis_pkt_info p = { 0, 3, 100 };
	uint32_t v = 1;

	(void)state;
	assert_int_equal(nvsp_host_negotiate(V61, V61, &v), 0);
	assert_int_equal(v, V61);
	assert_int_equal(nvsp_host_negotiate(NVSP_VERSION_1, NVSP_VERSION_1,
					     &v), 0);
	assert_int_equal(v, NVSP_VERSION_1);
	assert_int_equal(nvsp_host_negotiate(0x30000, 0x30000, &v), -ENOTSUP);
	assert_int_equal(v, 0);
	assert_int_equal(nvsp_host_negotiate(V61, NVSP_VERSION_1, &v),
			 -ENOTSUP);
	assert_int_equal(nvsp_host_negotiate(0, 0x50001, &v), 0);
	assert_int_equal(v, NVSP_VERSION_5);

	assert_int_equal(nvsp_host_mtu(1500), 1514);
	assert_int_equal(nvsp_host_mtu(1514), 1514);
	assert_int_equal(nvsp_host_mtu(9216), 9216);
	assert_int_equal(nvsp_host_mtu(9217), 1514);

	assert_int_equal(nvsp_host_section_check(&p, 6144, 4), 0);
	p.section_index = 4;
	assert_int_equal(nvsp_host_section_check(&p, 6144, 4), -ERANGE);
	p.section_index = 3;
	p.section_size = 6145;
	assert_int_equal(nvsp_host_section_check(&p, 6144, 4), -ERANGE);
	p.section_size = 0;
	assert_int_equal(nvsp_host_section_check(&p, 6144, 4), -ERANGE);
	p.section_index = NVSP_SECTION_INDEX_NONE;
	assert_int_equal(nvsp_host_section_check(&p, 6144, 4), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nvsp_msg_versions),
		cmocka_unit_test(test_nvsp_msg_gating),
		cmocka_unit_test(test_nvsp_msg_type_peek),
		cmocka_unit_test(test_nvsp_msg_guest_bytes),
		cmocka_unit_test(test_nvsp_msg_guest_build_errors),
		cmocka_unit_test(test_nvsp_msg_request_roundtrip),
		cmocka_unit_test(test_nvsp_msg_request_errors),
		cmocka_unit_test(test_nvsp_msg_init_complete),
		cmocka_unit_test(test_nvsp_msg_recv_buf_complete),
		cmocka_unit_test(test_nvsp_msg_send_buf_complete),
		cmocka_unit_test(test_nvsp_msg_subchannel),
		cmocka_unit_test(test_nvsp_msg_rndis_pkt),
		cmocka_unit_test(test_nvsp_msg_vf_and_datapath),
		cmocka_unit_test(test_nvsp_msg_indirection_roundtrip),
		cmocka_unit_test(test_nvsp_msg_indirection_errors),
		cmocka_unit_test(test_nvsp_msg_host_helpers),
		cmocka_unit_test(test_nvsp_msg_rndis_complete_inline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
