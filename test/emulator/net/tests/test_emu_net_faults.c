/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every injected fault corrupts exactly the packet(s) it names, in the
 * way it names, and then the host behaves again.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "net_harness.h"

static int
setup_up(void **state)
{
	struct g *g;

	ng_setup_default(state);
	g = *state;
	ng_bring_up(g);
	ng_set_filter(g, RNDIS_PACKET_TYPE_DIRECTED);
	return 0;
}

/* A 60-byte frame in send section 1, completion requested. */
static void
tx_section(struct g *g, uint64_t id)
{
	struct rndis_pkt_meta meta = { 0 };
	uint8_t *sec = g->sendbuf + NG_SECTION, m[40], f[60];
	int off;

	memset(f, 0x3c, sizeof(f));
	memcpy(f, emu_dev_mac(g->dev), 6);
	off = rndis_pkt_encode(sec, NG_SECTION, &meta, sizeof(f), 0);
	assert_true(off > 0);
	memcpy(sec + off, f, sizeof(f));
	assert_int_equal(nvsp_build_rndis_pkt(m, sizeof(m), NVSP_CHANNEL_TYPE_DATA, 1,
					      (uint32_t)off + sizeof(f)), 40);
	ng_send_inband(g, 0, m, sizeof(m), id, true);
}

static void
rx_frame(struct g *g)
{
	uint8_t f[80];

	memset(f, 0x11, sizeof(f));
	memcpy(f, emu_dev_mac(g->dev), 6);
	assert_int_equal(emu_nic_rx(g->nic, f, sizeof(f)), 0);
}

/* Next transfer-page packet, unchecked; the guest ACKs it like a driver. */
static void
next_xfer(struct g *g, struct vmbus_xfer_page_range *r)
{
	struct vmbus_pkt_info pi;

	assert_int_equal(ng_recv_pkt(g, 0, &pi), 0);
	assert_int_equal(pi.type, VMBUS_PKT_DATA_XFER_PAGES);
	assert_int_equal(vmbus_pkt_xfer_range(&pi, 0, r), 0);
	ng_ack(g, 0, pi.trans_id);
}

static int
rx_parse(struct g *g, struct rndis_pkt_info *pk)
{
	struct vmbus_xfer_page_range r;

	next_xfer(g, &r);
	if (vmbus_pkt_xfer_range_check(&r, (uint32_t)g->recv_size) != 0)
		return -ERANGE;
	return rndis_pkt_parse(g->recvbuf + r.byte_offset, r.byte_count, pk);
}

static void
test_emu_net_fault_drop_completion(void **state)
{
	struct g *g = *state;
	uint64_t sent = ng_qstats(g, 0).completions_sent;
	struct vmbus_pkt_info pi;

	assert_int_equal(emu_nic_inject_fault(g->nic, EMU_FAULT_DROP_COMPLETION, 1), 0);
	tx_section(g, 101);
	/* The frame went out, its completion did not. */
	assert_int_equal(g->cap.n, 1);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
	tx_section(g, 102);
	assert_int_equal(ng_expect_tx_comp(g, 0, 102), NVSP_STATUS_SUCCESS);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
	assert_int_equal(ng_qstats(g, 0).completions_sent, sent + 1);
	assert_true(ng_logged(g, "fault drop-completion: id 101"));
}

static void
test_emu_net_fault_dup_completion(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;

	assert_int_equal(emu_nic_inject_fault(g->nic, EMU_FAULT_DUP_COMPLETION, 1), 0);
	tx_section(g, 201);
	assert_int_equal(ng_expect_tx_comp(g, 0, 201), NVSP_STATUS_SUCCESS);
	assert_int_equal(ng_expect_tx_comp(g, 0, 201), NVSP_STATUS_SUCCESS);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
	tx_section(g, 202);
	assert_int_equal(ng_expect_tx_comp(g, 0, 202), NVSP_STATUS_SUCCESS);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
	assert_int_equal(g->cap.n, 2);
}

static void
test_emu_net_fault_unknown_completion(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;

	assert_int_equal(emu_nic_inject_fault(g->nic, EMU_FAULT_UNKNOWN_COMPLETION,
					      1), 0);
	tx_section(g, 301);
	/* An id the guest never used, then the real completion. */
	assert_int_equal(ng_expect_tx_comp(g, 0, ~(uint64_t)301), NVSP_STATUS_SUCCESS);
	assert_int_equal(ng_expect_tx_comp(g, 0, 301), NVSP_STATUS_SUCCESS);
	tx_section(g, 302);
	assert_int_equal(ng_expect_tx_comp(g, 0, 302), NVSP_STATUS_SUCCESS);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
}

static void
test_emu_net_fault_bad_xfer_range(void **state)
{
	struct g *g = *state;
	uint64_t acks = ng_qstats(g, 0).acks_received;
	struct vmbus_xfer_page_range r;
	struct rndis_pkt_info pk;

	assert_int_equal(emu_nic_inject_fault(g->nic, EMU_FAULT_BAD_XFER_RANGE, 1), 0);
	rx_frame(g);
	rx_frame(g);
	/* Starts inside the buffer, ends beyond it. */
	next_xfer(g, &r);
	assert_true(r.byte_offset < g->recv_size);
	assert_true((uint64_t)r.byte_offset + r.byte_count > g->recv_size);
	assert_int_equal(vmbus_pkt_xfer_range_check(&r, (uint32_t)g->recv_size),
			 -ERANGE);
	assert_int_equal(rx_parse(g, &pk), 0);
	assert_int_equal(pk.data_len, 80);
	/* Both ACKs were taken: the faulty packet still held a buffer. */
	assert_int_equal(ng_qstats(g, 0).acks_received, acks + 2);
	assert_int_equal(ng_protocol_errors(g), 0);
}

static void
test_emu_net_fault_bad_rndis_len(void **state)
{
	struct g *g = *state;
	struct vmbus_xfer_page_range r;
	struct rndis_pkt_info pk;
	struct rndis_peek peek;

	assert_int_equal(emu_nic_inject_fault(g->nic, EMU_FAULT_BAD_RNDIS_LEN, 1), 0);
	rx_frame(g);
	rx_frame(g);
	next_xfer(g, &r);
	assert_int_equal(vmbus_pkt_xfer_range_check(&r, (uint32_t)g->recv_size), 0);
	/* msg_len claims more than the range holds. */
	memcpy(&peek.msg_len, g->recvbuf + r.byte_offset + 4, 4);
	assert_true(peek.msg_len > r.byte_count);
	assert_int_equal(rndis_pkt_parse(g->recvbuf + r.byte_offset, r.byte_count,
					 &pk), -EINVAL);
	assert_int_equal(rx_parse(g, &pk), 0);
}

static void
test_emu_net_fault_bad_ppi(void **state)
{
	struct g *g = *state;
	struct vmbus_xfer_page_range r;
	struct rndis_pkt_info pk;
	struct rndis_packet_msg h;
	uint32_t size;

	assert_int_equal(emu_nic_inject_fault(g->nic, EMU_FAULT_BAD_PPI, 1), 0);
	rx_frame(g);
	rx_frame(g);
	next_xfer(g, &r);
	memcpy(&h, g->recvbuf + r.byte_offset, sizeof(h));
	assert_true(h.ppi_len != 0);
	memcpy(&size, g->recvbuf + r.byte_offset + RNDIS_BODY_OFFSET + h.ppi_offset, 4);
	assert_int_equal(size, 0);
	assert_int_equal(rndis_pkt_parse(g->recvbuf + r.byte_offset, r.byte_count,
					 &pk), -EINVAL);
	assert_int_equal(rx_parse(g, &pk), 0);
	assert_true(pk.meta.present & RNDIS_META_CSUM);
}

static void
test_emu_net_fault_bad_desc(void **state)
{
	struct g *g = *state;
	struct vmbus_ring_hdr *hdr = g->rx[0].hdr;
	struct vmbus_pkt_info pi;
	struct vmbus_pkt_desc d;
	uint32_t len, at;

	assert_int_equal(emu_nic_inject_fault(g->nic, EMU_FAULT_BAD_DESC, 1), 0);
	tx_section(g, 401);
	/* The ring frames it (len8 is sane); the packet parser refuses it,
	 * and the guest steps over it. */
	at = hdr->read_index;
	assert_int_equal(vmbus_ring_read(&g->rx[0], g->pkt, sizeof(g->pkt), &len), 0);
	memcpy(&d, g->pkt, sizeof(d));
	assert_int_equal(d.type, VMBUS_PKT_COMPLETION);
	assert_true(d.offset8 > d.len8);
	assert_int_equal(vmbus_pkt_parse(g->pkt, len, &pi), -EINVAL);
	assert_int_equal((at + len + 8u) % g->rx[0].data_size, g->rx[0].priv_index);
	(void)hdr;
	tx_section(g, 402);
	assert_int_equal(ng_expect_tx_comp(g, 0, 402), NVSP_STATUS_SUCCESS);
}

static void
test_emu_net_fault_disarm(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;

	assert_int_equal(emu_nic_inject_fault(g->nic, EMU_FAULT_DROP_COMPLETION, 5), 0);
	assert_int_equal(emu_nic_inject_fault(g->nic, EMU_FAULT_DROP_COMPLETION, 0), 0);
	tx_section(g, 501);
	assert_int_equal(ng_expect_tx_comp(g, 0, 501), NVSP_STATUS_SUCCESS);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
	assert_int_equal(emu_nic_inject_fault(g->nic, EMU_FAULT_COUNT, 1), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_emu_net_fault_drop_completion,
						setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_fault_dup_completion,
						setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_fault_unknown_completion,
						setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_fault_bad_xfer_range,
						setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_fault_bad_rndis_len,
						setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_fault_bad_ppi,
						setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_fault_bad_desc,
						setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_fault_disarm,
						setup_up, ng_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
