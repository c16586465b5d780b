/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The generic faults (emu_nic_mutate, emu_nic_reply_delay/drop): for
 * every message kind, one mutation that the guest's validators in
 * drivers/common/hv must reject, with the validator's verdict asserted;
 * then control replies delayed on their own clocks, held for ever and
 * dropped, NVSP replies included.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "net_harness.h"

static uint64_t
mutated(const struct g *g)
{
	struct emu_nic_stats st;

	emu_nic_stats(g->nic, &st);
	return st.mutated;
}

static int
setup_up(void **state)
{
	ng_setup_default(state);
	ng_bring_up(*state);
	ng_set_filter(*state, RNDIS_PACKET_TYPE_DIRECTED);
	return 0;
}

static void
inject_frame(struct g *g)
{
	uint8_t f[80];

	memset(f, 0x33, sizeof(f));
	memcpy(f, emu_dev_mac(g->dev), 6);
	assert_int_equal(emu_nic_rx(g->nic, f, sizeof(f)), 0);
}

/* A frame from the wire; the guest reads the raw packet (not ACKed). */
static void
offer_frame(struct g *g, struct vmbus_pkt_info *pi)
{
	inject_frame(g);
	assert_int_equal(ng_recv_pkt(g, 0, pi), 0);
	assert_int_equal(pi->type, VMBUS_PKT_DATA_XFER_PAGES);
}

/* ---- NVSP ---- */

static void
test_mutate_nvsp_status(void **state)
{
	struct g *g = *state;
	struct nvsp_init_info ii;
	struct vmbus_pkt_info pi;
	uint8_t m[40];

	assert_int_equal(emu_nic_mutate(g->nic, "nvsp", "status",
					NVSP_STATUS_FAILURE, 1), 0);
	assert_int_equal(nvsp_build_init(m, sizeof(m), NVSP_VERSION_61), 40);
	ng_send_inband(g, 0, m, sizeof(m), 1, true);
	ng_expect_comp(g, 0, 1, &pi);
	assert_int_equal(nvsp_parse_init_complete(pi.payload, pi.payload_len, &ii),
			 -ENOTSUP);
	assert_int_equal(ii.status, NVSP_STATUS_FAILURE);
	assert_int_equal(mutated(g), 1);
	assert_true(ng_logged(g, "fault mutate: nvsp"));
}

static void
test_mutate_nvsp_offset(void **state)
{
	struct g *g = *state;
	struct nvsp_recv_buf_info ri;
	struct vmbus_pkt_info pi;
	uint8_t m[40];

	ng_nvsp_init(g, NVSP_VERSION_61, NVSP_STATUS_SUCCESS);
	ng_nvsp_config(g, 0);
	/* num_sections (byte 8) must be 1. */
	assert_int_equal(emu_nic_mutate(g->nic, "nvsp", "8/4", 2, 1), 0);
	assert_int_equal(nvsp_build_send_recv_buf(m, sizeof(m),
			 emu_dev_gpadl(g->dev, HV_UIO_MAP_RECV_BUF),
			 NVSP_RECV_BUF_ID), 40);
	ng_send_inband(g, 0, m, sizeof(m), 7, true);
	ng_expect_comp(g, 0, 7, &pi);
	assert_int_equal(nvsp_parse_recv_buf_complete(pi.payload, pi.payload_len,
						      (uint32_t)g->recv_size, &ri),
			 -EINVAL);
	assert_int_equal(ri.num_sections, 2);
}

static void
test_mutate_trans_id(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;
	uint8_t m[40];

	assert_int_equal(emu_nic_mutate(g->nic, "nvsp", "trans-id", 0x99, 1), 0);
	assert_int_equal(nvsp_build_init(m, sizeof(m), NVSP_VERSION_61), 40);
	ng_send_inband(g, 0, m, sizeof(m), 1, true);
	/* The guest matches completions to requests: 0x99 is none of its. */
	assert_int_equal(ng_recv_pkt(g, 0, &pi), 0);
	assert_int_equal(pi.type, VMBUS_PKT_COMPLETION);
	assert_int_equal(pi.trans_id, 0x99);
}

static void
test_mutate_tx_comp(void **state)
{
	struct g *g = *state;
	struct rndis_pkt_meta meta = { 0 };
	struct vmbus_pkt_info pi;
	uint8_t frame[60], m[40];
	uint32_t status;
	int off;

	assert_int_equal(emu_nic_mutate(g->nic, "tx-comp", "type", 0, 1), 0);
	memset(frame, 0x5a, sizeof(frame));
	off = rndis_pkt_encode(g->sendbuf, NG_SECTION, &meta, sizeof(frame), 0);
	assert_true(off > 0);
	memcpy(g->sendbuf + off, frame, sizeof(frame));
	assert_int_equal(nvsp_build_rndis_pkt(m, sizeof(m), NVSP_CHANNEL_TYPE_DATA, 0,
					      (uint32_t)off + sizeof(frame)), 40);
	ng_send_inband(g, 0, m, sizeof(m), 0x77, true);
	ng_expect_comp(g, 0, 0x77, &pi);
	assert_int_equal(nvsp_parse_rndis_pkt_complete(pi.payload, pi.payload_len,
						       &status), -EPROTO);
}

/* ---- RNDIS control ---- */

static void
test_mutate_rndis_comp(void **state)
{
	struct g *g = *state;
	struct rndis_query_result qr;
	struct vmbus_pkt_info pi;
	struct vmbus_xfer_page_range r;
	uint8_t req[64];

	/* msg_len smaller than the header. */
	assert_int_equal(emu_nic_mutate(g->nic, "rndis-comp", "msg-len", 4, 1), 0);
	ng_rndis_send(g, req, rndis_query_req_build(req, sizeof(req), 40,
						 RNDIS_OID_GEN_LINK_SPEED, NULL, 0));
	do
		assert_int_equal(ng_recv_pkt(g, 0, &pi), 0);
	while (pi.type == VMBUS_PKT_COMPLETION);
	assert_int_equal(vmbus_pkt_xfer_range(&pi, 0, &r), 0);
	assert_int_equal(rndis_query_cmplt_parse(g->recvbuf + r.byte_offset,
						 r.byte_count, &qr), -EINVAL);
	ng_ack(g, 0, pi.trans_id);
	assert_int_equal(mutated(g), 1);
}

static void
test_mutate_indication(void **state)
{
	struct g *g = *state;
	struct rndis_status_ind ind;
	struct vmbus_xfer_page_range r;
	struct vmbus_pkt_info pi;

	/* The status buffer points outside the message. */
	assert_int_equal(emu_nic_mutate(g->nic, "indication", "buf-off", 0x10000, 1), 0);
	assert_int_equal(emu_nic_set_link_speed(g->nic, 400000), 0);
	ng_pump(g);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), 0);
	assert_int_equal(vmbus_pkt_xfer_range(&pi, 0, &r), 0);
	assert_int_equal(rndis_indicate_status_parse(g->recvbuf + r.byte_offset,
						     r.byte_count, &ind), -EINVAL);
	ng_ack(g, 0, pi.trans_id);
}

/* ---- Received data ---- */

static void
test_mutate_xfer_range(void **state)
{
	struct g *g = *state;
	struct vmbus_xfer_page_range r;
	struct vmbus_pkt_info pi;

	assert_int_equal(emu_nic_mutate(g->nic, "xfer", "range0-off",
					(uint32_t)g->recv_size - 4u, 1), 0);
	offer_frame(g, &pi);
	assert_int_equal(vmbus_pkt_xfer_range(&pi, 0, &r), 0);
	assert_int_equal(vmbus_pkt_xfer_range_check(&r, (uint32_t)g->recv_size),
			 -ERANGE);
}

static void
test_mutate_xfer_count(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;
	uint32_t len;

	/* More ranges than the packet holds: the descriptor parser refuses. */
	assert_int_equal(emu_nic_mutate(g->nic, "xfer", "range-count", 1000, 1), 0);
	inject_frame(g);
	assert_int_equal(vmbus_ring_read(&g->rx[0], g->pkt, sizeof(g->pkt), &len), 0);
	assert_int_equal(vmbus_pkt_parse(g->pkt, len, &pi), -EINVAL);
}

static void
test_mutate_rndis_data(void **state)
{
	struct g *g = *state;
	struct vmbus_xfer_page_range r;
	struct vmbus_pkt_info pi;
	struct rndis_pkt_info pk;

	/* A frame beyond the message, then a PPI of size 0. */
	assert_int_equal(emu_nic_mutate(g->nic, "rndis-data", "data-off", 0x100000, 1), 0);
	offer_frame(g, &pi);
	assert_int_equal(vmbus_pkt_xfer_range(&pi, 0, &r), 0);
	assert_int_not_equal(rndis_pkt_parse(g->recvbuf + r.byte_offset,
					     r.byte_count, &pk), 0);
	ng_ack(g, 0, pi.trans_id);
	assert_int_equal(emu_nic_mutate(g->nic, "rndis-data", "ppi0-size", 0, 1), 0);
	offer_frame(g, &pi);
	assert_int_equal(vmbus_pkt_xfer_range(&pi, 0, &r), 0);
	assert_int_not_equal(rndis_pkt_parse(g->recvbuf + r.byte_offset,
					     r.byte_count, &pk), 0);
	ng_ack(g, 0, pi.trans_id);
	assert_int_equal(mutated(g), 2);
}

/* ---- Ring indices ---- */

static void
test_mutate_ring(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;

	assert_int_equal(emu_nic_mutate(g->nic, "ring", "h2g-write", 0xfffffff0u, 1), 0);
	assert_int_equal(emu_nic_mutate(g->nic, "ring", "3", 1, 1), -EINVAL);
	inject_frame(g);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EIO);
}

/* The guest->host side: a read index beyond the ring. */
static void
test_mutate_ring_g2h(void **state)
{
	struct g *g = *state;
	uint8_t m[40];
	bool sig;
	struct hv_sg sg = { m, sizeof(m) };

	assert_int_equal(emu_nic_mutate(g->nic, "ring", "g2h-read", 0xfffffff0u, 1), 0);
	assert_int_equal(emu_nic_set_link_speed(g->nic, 400000), 0);
	ng_pump(g);
	assert_int_equal(mutated(g), 1);
	memset(m, 0, sizeof(m));
	assert_int_equal(vmbus_ring_write(&g->tx[0], &sg, 1, &sig), -EIO);
}

static void
test_mutate_args(void **state)
{
	struct g *g = *state;

	assert_int_equal(emu_nic_mutate(g->nic, "bogus", "type", 1, 1), -EINVAL);
	assert_int_equal(emu_nic_mutate(g->nic, "nvsp", "bogus", 1, 1), -EINVAL);
	assert_int_equal(emu_nic_mutate(g->nic, "nvsp", "4/3", 1, 1), -EINVAL);
	assert_int_equal(emu_nic_mutate(g->nic, "xfer", "pageset", 0x10000, 1), -ERANGE);
	assert_int_equal(emu_nic_mutate(g->nic, "nvsp", "0x10/1", 0xff, 1), 0);
	assert_int_equal(g->nic->mut_armed, 1);
}

/* ---- Control replies: delay, never, drop ---- */

static void
test_reply_drop_nvsp(void **state)
{
	struct g *g = *state;
	struct emu_nic_stats st;
	struct vmbus_pkt_info pi;
	uint8_t m[40];

	assert_int_equal(emu_nic_reply_drop(g->nic, "nvsp", 1), 0);
	assert_int_equal(nvsp_build_init(m, sizeof(m), NVSP_VERSION_61), 40);
	ng_send_inband(g, 0, m, sizeof(m), 1, true);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
	emu_nic_stats(g->nic, &st);
	assert_int_equal(st.replies_dropped, 1);
	assert_true(ng_logged(g, "fault reply-drop: NVSP reply dropped"));
	/* The INIT itself took effect; only its reply was lost. */
	assert_int_equal(g->nic->version, NVSP_VERSION_61);
}

static void
test_reply_delay_nvsp(void **state)
{
	struct g *g = *state;
	struct nvsp_init_info ii;
	struct vmbus_pkt_info pi;
	uint8_t m[40];

	assert_int_equal(emu_nic_reply_delay(g->nic, "nvsp", 60000, 1), 0);
	assert_int_equal(nvsp_build_init(m, sizeof(m), NVSP_VERSION_61), 40);
	ng_send_inband(g, 0, m, sizeof(m), 1, true);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
	assert_non_null(g->nic->ctrl_head);
	g->nic->ctrl_head->due_ns = 0; /* its time has come */
	ng_pump(g);
	ng_expect_comp(g, 0, 1, &pi);
	assert_int_equal(nvsp_parse_init_complete(pi.payload, pi.payload_len, &ii), 0);
}

/* A reply held for ever does not hold the later ones (own clocks). */
static void
test_reply_never_rndis(void **state)
{
	struct g *g = *state;
	struct rndis_cmplt_result cr;
	struct vmbus_pkt_info pi;
	uint8_t req[64];
	uint32_t n;

	assert_int_equal(emu_nic_reply_delay(g->nic, "rndis", EMU_REPLY_NEVER, 1), 0);
	ng_rndis_send(g, req, rndis_query_req_build(req, sizeof(req), 50,
						 RNDIS_OID_GEN_LINK_SPEED, NULL, 0));
	ng_expect_comp(g, 0, 0, &pi); /* the NVSP completion of the send */
	ng_pump(g);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
	ng_rndis_send(g, req, rndis_keepalive_req_build(req, sizeof(req), 51));
	n = ng_recv_rndis(g, 0, g->msg, sizeof(g->msg), NVSP_CHANNEL_TYPE_CONTROL);
	assert_int_equal(rndis_keepalive_cmplt_parse(g->msg, n, &cr), 0);
	assert_int_equal(cr.rid, 51);
	assert_non_null(g->nic->ctrl_head);
	assert_int_equal(g->nic->ctrl_head->due_ns, UINT64_MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mutate_nvsp_status, ng_setup_default, ng_teardown),
		cmocka_unit_test_setup_teardown(test_mutate_nvsp_offset, ng_setup_default, ng_teardown),
		cmocka_unit_test_setup_teardown(test_mutate_trans_id, ng_setup_default, ng_teardown),
		cmocka_unit_test_setup_teardown(test_mutate_tx_comp, setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_mutate_rndis_comp, setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_mutate_indication, setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_mutate_xfer_range, setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_mutate_xfer_count, setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_mutate_rndis_data, setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_mutate_ring, setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_mutate_ring_g2h, setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_mutate_args, ng_setup_default, ng_teardown),
		cmocka_unit_test_setup_teardown(test_reply_drop_nvsp, ng_setup_default, ng_teardown),
		cmocka_unit_test_setup_teardown(test_reply_delay_nvsp, ng_setup_default, ng_teardown),
		cmocka_unit_test_setup_teardown(test_reply_never_rndis, setup_up, ng_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
