/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow control and delivery conditions: a full host->guest ring, a
 * receive buffer the guest does not give back, packet filter 0, link
 * down, a slow control plane, and buffers the guest revokes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net_harness.h"

#define RX_MAX_TRIES 5000

static int
setup_up(void **state)
{
	ng_setup_default(state);
	ng_bring_up(*state);
	return 0;
}

/* A host that answers revokes and keeps the channel (--lenient revoke). */
static int
setup_up_lenient_revoke(void **state)
{
	const struct ng_opts o = { .max_version = NVSP_VERSION_61,
				   .lenient = EMU_LENIENT_REVOKE };

	ng_setup(state, &o);
	ng_bring_up(*state);
	return 0;
}

/* Two system pages per direction: the ring fills long before the buffer. */
static int
setup_small_ring(void **state)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct ng_opts o = { .max_version = NVSP_VERSION_61 };

	o.ring_size = 2u * (size_t)(pg > 0 ? pg : 4096);
	ng_setup(state, &o);
	ng_bring_up(*state);
	return 0;
}

static int
offer(struct g *g, uint8_t tag)
{
	uint8_t f[100];

	memset(f, tag, sizeof(f));
	memcpy(f, emu_dev_mac(g->dev), 6);
	return emu_nic_rx(g->nic, f, sizeof(f));
}

/* Offer frames until the host pushes back; returns how many went in. */
static unsigned int
fill(struct g *g)
{
	unsigned int n = 0;
	int rc;

	while ((rc = offer(g, (uint8_t)n)) == 0 && n < RX_MAX_TRIES)
		n++;
	assert_int_equal(rc, -EAGAIN);
	return n;
}

/* Read and ACK one data packet; returns its first payload byte. */
static uint8_t
take(struct g *g)
{
	struct rndis_pkt_info pk;
	uint32_t n = ng_recv_rndis(g, 0, g->msg, sizeof(g->msg),
				   NVSP_CHANNEL_TYPE_DATA);

	assert_int_equal(rndis_pkt_parse(g->msg, n, &pk), 0);
	assert_int_equal(pk.data_len, 100);
	return g->msg[pk.data_off + 6];
}

static void
test_emu_net_ring_full(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;
	unsigned int n, i;

	ng_set_filter(g, RNDIS_PACKET_TYPE_DIRECTED);
	n = fill(g);
	assert_true(n > 0);
	assert_int_equal(ng_qstats(g, 0).rx_drop_ring_full, 1);
	assert_int_equal(ng_qstats(g, 0).rx_drop_no_buffer, 0);
	assert_int_equal(ng_qstats(g, 0).rx_packets, n);
	/* Drain in order; delivery resumes once there is room. */
	for (i = 0; i < n; i++)
		assert_int_equal(take(g), (uint8_t)i);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
	assert_int_equal(offer(g, 0xee), 0);
	assert_int_equal(take(g), 0xee);
	assert_int_equal(ng_qstats(g, 0).rx_drop_ring_full, 1);
	assert_int_equal(ng_protocol_errors(g), 0);
}

static void
test_emu_net_buffer_exhausted(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;
	uint64_t first = 0;
	uint8_t req[64];
	unsigned int n, i;

	ng_set_filter(g, RNDIS_PACKET_TYPE_DIRECTED);
	n = fill(g);
	/* Every data sub-allocation is out; a reserve is left for control. */
	assert_int_equal(n, g->nic->sub_count - EMU_NET_CTRL_RESERVE);
	assert_int_equal(ng_qstats(g, 0).rx_drop_no_buffer, 1);
	assert_int_equal(ng_qstats(g, 0).rx_drop_ring_full, 0);
	assert_int_equal(offer(g, 1), -EAGAIN);
	assert_int_equal(ng_qstats(g, 0).rx_drop_no_buffer, 2);
	/* The control plane still works meanwhile. */
	ng_rndis_send(g, req, rndis_keepalive_req_build(req, sizeof(req), 77));
	/* Skip to the keepalive reply: data packets read, not ACKed. */
	for (i = 0; i < n; i++) {
		assert_int_equal(ng_recv_pkt(g, 0, &pi), 0);
		assert_int_equal(pi.type, VMBUS_PKT_DATA_XFER_PAGES);
		assert_true(pi.trans_id < g->nic->sub_count);
		if (i == 0)
			first = pi.trans_id;
	}
	assert_true(ng_recv_rndis(g, 0, g->msg, sizeof(g->msg),
				  NVSP_CHANNEL_TYPE_CONTROL) >= 16);
	/* One ACK gives one buffer back. */
	ng_ack(g, 0, first);
	assert_int_equal(offer(g, 2), 0);
	assert_int_equal(offer(g, 3), -EAGAIN);
	assert_int_equal(ng_protocol_errors(g), 0);
}

static void
test_emu_net_filter_and_link(void **state)
{
	struct g *g = *state;
	struct emu_nic_stats st;
	uint64_t before;

	/* Filter still 0 after RNDIS INIT: nothing is delivered. */
	emu_nic_stats(g->nic, &st);
	before = st.rx_drop_filter;
	assert_int_equal(offer(g, 1), -ENETDOWN);
	emu_nic_stats(g->nic, &st);
	assert_int_equal(st.rx_drop_filter, before + 1);
	ng_set_filter(g, RNDIS_PACKET_TYPE_DIRECTED);
	assert_int_equal(offer(g, 2), 0);
	assert_int_equal(take(g), 2);
	/* Link down: refused and counted, whatever the filter says. */
	assert_int_equal(emu_nic_set_link(g->nic, false), 0);
	ng_pump(g);
	ng_expect_indication(g, RNDIS_STATUS_MEDIA_DISCONNECT);
	assert_int_equal(offer(g, 3), -ENETDOWN);
	emu_nic_stats(g->nic, &st);
	assert_int_equal(st.rx_drop_filter, before + 2);
	assert_int_equal(emu_nic_set_link(g->nic, true), 0);
	ng_pump(g);
	ng_expect_indication(g, RNDIS_STATUS_MEDIA_CONNECT);
	assert_int_equal(offer(g, 4), 0);
	assert_int_equal(take(g), 4);
	/* Back to 0: nothing again. */
	ng_set_filter(g, 0);
	assert_int_equal(offer(g, 5), -ENETDOWN);
	assert_int_equal(ng_qstats(g, 0).rx_packets, 2);
}

static void
test_emu_net_slow_host(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;
	uint32_t v = RNDIS_PACKET_TYPE_DIRECTED;
	static uint8_t req[64];
	uint64_t deadline;
	int rc;

	emu_nic_set_ctrl_delay(g->nic, 400);
	ng_rndis_send(g, req, rndis_set_req_build(req, sizeof(req), 50,
			RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &v, 4));
	/* The request is completed at once; its reply waits. */
	ng_expect_comp(g, 0, 0, &pi);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
	/* The data path is not held up meanwhile (the SET already applied). */
	assert_int_equal(offer(g, 9), 0);
	assert_int_equal(take(g), 9);
	/* Bounded wait (generous: a loaded machine must not fail this). */
	deadline = emu_net_now_ns() + 10ull * 1000000000u;
	while ((rc = ng_recv_pkt(g, 0, &pi)) == -EAGAIN &&
	       emu_net_now_ns() < deadline) {
		usleep(5000);
		ng_pump(g);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(pi.type, VMBUS_PKT_DATA_XFER_PAGES);
	ng_ack(g, 0, pi.trans_id);
}

static void
revoke_buf(struct g *g, bool recv, uint16_t id)
{
	uint8_t m[40];

	assert_int_equal(recv ? nvsp_build_revoke_recv_buf(m, sizeof(m), id) :
				nvsp_build_revoke_send_buf(m, sizeof(m), id), 40);
	ng_send_inband(g, 0, m, sizeof(m), 60, true);
}

static void
test_emu_net_revoke_buffers(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;
	uint8_t m[40];

	ng_set_filter(g, RNDIS_PACKET_TYPE_DIRECTED);
	/* A wrong id names no buffer: refused, nothing revoked. */
	revoke_buf(g, false, 0x1234);
	assert_true(ng_logged(g, "REVOKE_SEND_BUF: id 0x1234 names no connected buffer"));
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
	revoke_buf(g, false, NVSP_SEND_BUF_ID);
	ng_expect_comp(g, 0, 60, &pi);
	/* Sections are gone: a packet naming one fails. */
	assert_int_equal(nvsp_build_rndis_pkt(m, sizeof(m), NVSP_CHANNEL_TYPE_DATA,
					      0, 100), 40);
	ng_send_inband(g, 0, m, sizeof(m), 61, true);
	assert_int_equal(ng_expect_tx_comp(g, 0, 61), NVSP_STATUS_FAILURE);
	/* The receive buffer: no more delivery until connected again. */
	revoke_buf(g, true, NVSP_RECV_BUF_ID);
	ng_expect_comp(g, 0, 60, &pi);
	assert_false(g->nic->rxbuf_on);
	assert_int_equal(offer(g, 1), -ENETDOWN);
	revoke_buf(g, true, NVSP_RECV_BUF_ID);
	assert_true(ng_logged(g, "REVOKE_RECV_BUF: id 0xcafe names no connected buffer"));
	assert_int_equal(ng_protocol_errors(g), 3);
	assert_int_equal(ng_nvsp_recv_buf(g, emu_dev_gpadl(g->dev, HV_UIO_MAP_RECV_BUF)),
			 NVSP_STATUS_SUCCESS);
	assert_int_equal(offer(g, 2), 0);
	assert_int_equal(take(g), 2);
}

/* The 4-byte interrupt count the host pushed to the guest's uio fd. */
static bool
irq_pending(struct g *g, uint32_t *count)
{
	return recv(g->sock, count, sizeof(*count), MSG_DONTWAIT) ==
	       (ssize_t)sizeof(*count);
}

/*
 * Host->guest signalling: an interrupt only when the guest unmasked its
 * inbound ring and the ring went from empty to non-empty; the current
 * kernel masks again on each interrupt, so the guest must re-enable.
 */
static void
test_emu_net_interrupts(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;
	uint32_t count;

	ng_set_filter(g, RNDIS_PACKET_TYPE_DIRECTED);
	while (ng_recv_pkt(g, 0, &pi) == 0)
		;
	assert_int_equal(vmbus_ring_commit(&g->rx[0], &(bool){false}), 0);
	while (irq_pending(g, &count))
		;
	uint64_t base = ng_qstats(g, 0).irqs_raised;

	/* Masked (as the kernel opened it): data arrives, no interrupt. */
	vmbus_ring_intr_mask(&g->rx[0]);
	assert_int_equal(offer(g, 1), 0);
	assert_int_equal(take(g), 1);
	assert_int_equal(ng_qstats(g, 0).irqs_raised, base);
	assert_false(irq_pending(g, &count));

	/* Unmasked and empty: exactly one interrupt, then masked again. */
	assert_false(vmbus_ring_intr_unmask(&g->rx[0]));
	assert_int_equal(offer(g, 2), 0);
	ng_pump(g);
	assert_int_equal(ng_qstats(g, 0).irqs_raised, base + 1);
	assert_true(irq_pending(g, &count));
	assert_int_equal(g->rx[0].hdr->interrupt_mask, 1);
	/* Not empty and masked: the second frame raises nothing. */
	assert_int_equal(offer(g, 3), 0);
	ng_pump(g);
	assert_int_equal(ng_qstats(g, 0).irqs_raised, base + 1);
	assert_int_equal(take(g), 2);
	assert_int_equal(take(g), 3);

	/* Re-enabled: the next empty->non-empty transition signals again. */
	assert_false(vmbus_ring_intr_unmask(&g->rx[0]));
	assert_int_equal(offer(g, 4), 0);
	ng_pump(g);
	assert_int_equal(ng_qstats(g, 0).irqs_raised, base + 2);
	uint32_t second;
	assert_true(irq_pending(g, &second));
	assert_int_equal(second, count + 1);
	assert_int_equal(take(g), 4);
	assert_int_equal(ng_protocol_errors(g), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_emu_net_ring_full,
						setup_small_ring, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_buffer_exhausted,
						setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_filter_and_link,
						setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_slow_host,
						setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_revoke_buffers,
						setup_up_lenient_revoke, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_interrupts,
						setup_up, ng_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
