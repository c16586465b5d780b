/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fast RX path: several frames per transfer-page packet (one ACK
 * frees them all), bursts that stop cleanly on a full ring, the RNDIS_ACK
 * fast path rejecting what the full parser rejects, the
 * "checksums known good" and "same layout" flags, and the reused RNDIS
 * header (byte for byte what the encoder writes, whatever changes
 * between frames).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "emu_offload.h"
#include "net_harness.h"

#define NF 200u
#define FLEN 90u

static uint8_t frames[NF][FLEN];
static const void *ptrs[NF];
static size_t lens[NF];
static int rcs[NF];

static int
setup_up(void **state)
{
	ng_setup_default(state);
	ng_bring_up(*state);
	ng_set_filter(*state, RNDIS_PACKET_TYPE_DIRECTED);
	return 0;
}

/*
 * Leniency, and why the strict host cannot be used: test_emu_net_ack_rejects
 * and the block/segment packet tests send ACKs a real host refuses (a
 * later range of a packet, a duplicate, an unknown id) and then go on
 * using the same channel to check that the refused ACK freed nothing and
 * that the packet's own ACK still frees it whole. The strict host stops
 * the channel at the first bad ACK (as Azure does; test_emu_net_data's
 * test_rx_double_ack and test_rx_ack_wrong_channel cover that), which
 * would end those tests at their first check.
 * EMU_LENIENT_RX_ACK only keeps the channel running: the ACK is still
 * refused, counted and logged, which is what the tests assert.
 */
static void
cfg_lenient_ack(struct emu_net_config *nc)
{
	nc->lenient = EMU_LENIENT_RX_ACK;
}

static void
cfg_hash(struct emu_net_config *nc)
{
	nc->rx_hash_ppi = true;
}

static void
cfg_hash_exact(struct emu_net_config *nc)
{
	nc->rx_hash_ppi = true;
	nc->lenient = EMU_LENIENT_RX_EXACT;
}

static int
setup_with(void **state, void (*fn)(struct emu_net_config *))
{
	struct ng_opts o = { .max_version = NVSP_VERSION_61, .net_cfg = fn };

	ng_setup(state, &o);
	ng_bring_up(*state);
	ng_set_filter(*state, RNDIS_PACKET_TYPE_DIRECTED);
	return 0;
}

static int
setup_lenient_ack(void **state)
{
	return setup_with(state, cfg_lenient_ack);
}

static int
setup_hash(void **state)
{
	return setup_with(state, cfg_hash);
}

static int
setup_hash_exact(void **state)
{
	return setup_with(state, cfg_hash_exact);
}

/* Two system pages per direction: a burst fills the ring. */
static int
setup_small_ring(void **state)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct ng_opts o = { .max_version = NVSP_VERSION_61 };

	o.ring_size = 2u * (size_t)(pg > 0 ? pg : 4096);
	ng_setup(state, &o);
	ng_bring_up(*state);
	ng_set_filter(*state, RNDIS_PACKET_TYPE_DIRECTED);
	return 0;
}

/* n frames to the NIC, frame i filled with byte i (after the MAC). */
static void
make_frames(struct g *g, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		memset(frames[i], (int)i, FLEN);
		memcpy(frames[i], emu_dev_mac(g->dev), 6);
		ptrs[i] = frames[i];
		lens[i] = FLEN;
		rcs[i] = 1;
	}
}

/* Next transfer-page packet: check each range holds frame first+k. */
static void
expect_xfer(struct g *g, struct vmbus_pkt_info *pi, uint32_t nranges,
	    unsigned int first)
{
	struct vmbus_xfer_page_range r;
	struct rndis_pkt_info pk;
	uint32_t k;

	assert_int_equal(ng_recv_pkt(g, 0, pi), 0);
	assert_int_equal(pi->type, VMBUS_PKT_DATA_XFER_PAGES);
	assert_int_equal(pi->range_count, nranges);
	assert_true(pi->trans_id < g->nic->sub_count);
	for (k = 0; k < nranges; k++) {
		assert_int_equal(vmbus_pkt_xfer_range(pi, k, &r), 0);
		assert_int_equal(vmbus_pkt_xfer_range_check(&r, (uint32_t)g->recv_size), 0);
		/* The first range is the packet's id sub-allocation. */
		if (k == 0)
			assert_int_equal(r.byte_offset,
					 pi->trans_id * g->nic->sub_size);
		assert_int_equal(rndis_pkt_parse(g->recvbuf + r.byte_offset,
						 r.byte_count, &pk), 0);
		assert_int_equal(pk.data_len, FLEN);
		assert_memory_equal(g->recvbuf + r.byte_offset + pk.data_off,
				    frames[first + k], FLEN);
	}
}

static void
test_emu_net_rx_multi_range(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;
	struct vmbus_xfer_page_range r1;
	uint32_t nfree = g->nic->sub_nfree;
	uint64_t id, acks = ng_qstats(g, 0).acks_received;

	make_frames(g, 5);
	assert_int_equal(emu_nic_rx_burst(g->nic, ptrs, lens, 5, 0, rcs), 5);
	assert_int_equal(rcs[0] | rcs[1] | rcs[2] | rcs[3] | rcs[4], 0);
	assert_int_equal(ng_qstats(g, 0).rx_packets, 5);
	assert_int_equal(ng_qstats(g, 0).rx_bytes, 5 * FLEN);
	assert_int_equal(g->nic->sub_nfree, nfree - 5);
	/* One packet for the five frames. */
	expect_xfer(g, &pi, 5, 0);
	id = pi.trans_id;
	assert_int_equal(vmbus_pkt_xfer_range(&pi, 1, &r1), 0);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
	/* The packet's single ACK frees all five. */
	ng_ack(g, 0, id);
	ng_pump(g);
	assert_int_equal(g->nic->sub_nfree, nfree);
	assert_int_equal(ng_qstats(g, 0).acks_received, acks + 5);
	assert_int_equal(ng_protocol_errors(g), 0);
	/* A second ACK of it stops the channel, as a real host does. */
	ng_ack(g, 0, id);
	ng_pump(g);
	assert_int_equal(ng_protocol_errors(g), 1);
	assert_int_equal(ng_qstats(g, 0).rx_ack_errors, 1);
	assert_true(ng_logged(g, "protocol error: NVSP RNDIS_ACK: duplicate: trans_id"));
	assert_true(ng_logged(g, "channel stopped"));
	assert_true(g->nic->q[0]->broken);
	assert_int_equal(g->nic->sub_nfree, nfree);
	(void)r1;
}

static void
test_emu_net_rx_max_ranges(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;
	uint32_t nfree = g->nic->sub_nfree;
	uint64_t ids[3];

	g->nic->rx_max_ranges = 3;
	make_frames(g, 7);
	assert_int_equal(emu_nic_rx_burst(g->nic, ptrs, lens, 7, 0, rcs), 7);
	expect_xfer(g, &pi, 3, 0);
	ids[0] = pi.trans_id;
	expect_xfer(g, &pi, 3, 3);
	ids[1] = pi.trans_id;
	expect_xfer(g, &pi, 1, 6);
	ids[2] = pi.trans_id;
	assert_int_equal(g->nic->sub_nfree, nfree - 7);
	ng_ack(g, 0, ids[1]);
	ng_pump(g);
	assert_int_equal(g->nic->sub_nfree, nfree - 4);
	ng_ack(g, 0, ids[0]);
	ng_ack(g, 0, ids[2]);
	ng_pump(g);
	assert_int_equal(g->nic->sub_nfree, nfree);
	assert_int_equal(ng_protocol_errors(g), 0);
}

/* A frame refused for good inside a burst does not end it. */
static void
test_emu_net_rx_burst_mixed(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;
	struct emu_nic_stats st;

	make_frames(g, 4);
	lens[1] = 10; /* shorter than an Ethernet header */
	assert_int_equal(emu_nic_rx_burst(g->nic, ptrs, lens, 4, 0, rcs), 4);
	assert_int_equal(rcs[0], 0);
	assert_int_equal(rcs[1], -EINVAL);
	assert_int_equal(rcs[2], 0);
	assert_int_equal(rcs[3], 0);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), 0);
	assert_int_equal(pi.range_count, 3);
	/* A frame the filter rejects stops the burst there. */
	make_frames(g, 3);
	frames[1][0] = 0x01; /* multicast */
	assert_int_equal(emu_nic_rx_burst(g->nic, ptrs, lens, 3, 0, rcs), 1);
	assert_int_equal(rcs[1], -ENETDOWN);
	emu_nic_stats(g->nic, &st);
	assert_true(st.rx_drop_filter >= 1);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), 0);
	assert_int_equal(pi.range_count, 1);
	/* Bad arguments. */
	assert_int_equal(emu_nic_rx_burst(g->nic, ptrs, lens, 1, 0x80, rcs), -EINVAL);
	assert_int_equal(emu_nic_rx_burst(g->nic, NULL, lens, 1, 0, rcs), -EINVAL);
	assert_int_equal(emu_nic_rx_burst(g->nic, ptrs, lens, 0, 0, rcs), 0);
	assert_int_equal(emu_nic_rx_flags(g->nic, frames[0], FLEN, 0x80), -EINVAL);
}

static void
test_emu_net_rx_burst_ring_full(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;
	uint32_t nfree = g->nic->sub_nfree, got = 0;
	uint64_t ids[NF];
	unsigned int np = 0, i;
	int k;

	g->nic->rx_max_ranges = 2;
	make_frames(g, NF);
	k = emu_nic_rx_burst(g->nic, ptrs, lens, NF, 0, rcs);
	/* Stopped at a packet boundary; that packet's buffers came back. */
	assert_true(k > 0 && k < (int)NF);
	assert_int_equal(k % 2, 0);
	assert_int_equal(rcs[k], -EAGAIN);
	assert_int_equal(ng_qstats(g, 0).rx_drop_ring_full, 1);
	assert_int_equal(ng_qstats(g, 0).rx_packets, (uint64_t)k);
	assert_int_equal(g->nic->sub_nfree, nfree - (uint32_t)k);
	while (ng_recv_pkt(g, 0, &pi) == 0) {
		assert_int_equal(pi.type, VMBUS_PKT_DATA_XFER_PAGES);
		got += pi.range_count;
		ids[np++] = pi.trans_id;
	}
	assert_int_equal(got, (uint32_t)k);
	for (i = 0; i < np; i++)
		ng_ack(g, 0, ids[i]);
	ng_pump(g);
	assert_int_equal(g->nic->sub_nfree, nfree);
	assert_int_equal(ng_protocol_errors(g), 0);
}

/* A completion carrying msg (mlen bytes) with id. */
static void
send_comp(struct g *g, uint64_t id, const void *msg, size_t mlen)
{
	uint8_t hdr[16];

	assert_int_equal(vmbus_pkt_build_comp(hdr, sizeof(hdr), mlen, id), 16);
	ng_send_pkt(g, 0, hdr, sizeof(hdr), msg, mlen);
	ng_pump(g);
}

static void
test_emu_net_ack_rejects(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;
	uint32_t nfree = g->nic->sub_nfree;
	uint8_t m[40];
	uint64_t id, acks = ng_qstats(g, 0).acks_received;

	make_frames(g, 1);
	assert_int_equal(emu_nic_rx(g->nic, frames[0], FLEN), 0);
	expect_xfer(g, &pi, 1, 0);
	id = pi.trans_id;
	/* Not an ACK: another NVSP type, with the packet's own id. */
	assert_int_equal(nvsp_build_rndis_pkt(m, sizeof(m), NVSP_CHANNEL_TYPE_DATA,
					      0, 0), 40);
	send_comp(g, id, m, sizeof(m));
	assert_int_equal(ng_protocol_errors(g), 1);
	assert_true(ng_logged(g, "not an RNDIS_ACK (40 bytes)"));
	/* An empty completion. */
	send_comp(g, id, NULL, 0);
	assert_int_equal(ng_protocol_errors(g), 2);
	assert_true(ng_logged(g, "not an RNDIS_ACK (0 bytes)"));
	/* Out of range and never-sent ids. */
	ng_ack(g, 0, g->nic->sub_count);
	ng_pump(g);
	assert_int_equal(ng_protocol_errors(g), 3);
	ng_ack(g, 0, 777777);
	ng_pump(g);
	assert_int_equal(ng_protocol_errors(g), 4);
	assert_true(ng_logged(g, "protocol error: NVSP RNDIS_ACK: unknown trans_id 777777"));
	assert_int_equal(ng_qstats(g, 0).rx_ack_errors, 2);
	/* Lenient: counted and logged, the channel runs on. */
	assert_false(ng_logged(g, "channel stopped"));
	assert_false(g->nic->q[0]->broken);
	assert_int_equal(g->nic->sub_nfree, nfree - 1);
	assert_int_equal(ng_qstats(g, 0).acks_received, acks);
	/* A FAILURE status is still an ACK: the buffer comes back. */
	assert_int_equal(nvsp_build_rndis_pkt_complete(m, sizeof(m),
						       NVSP_STATUS_FAILURE), 40);
	send_comp(g, id, m, sizeof(m));
	assert_int_equal(ng_protocol_errors(g), 4);
	assert_int_equal(g->nic->sub_nfree, nfree);
	assert_int_equal(ng_qstats(g, 0).acks_received, acks + 1);
}

/* Before NVSP INIT no ACK is allowed: the fast path must not take it. */
static void
test_emu_net_ack_before_init(void **state)
{
	struct g *g = *state;
	uint8_t m[40];

	assert_int_equal(nvsp_build_rndis_pkt_complete(m, sizeof(m),
						       NVSP_STATUS_SUCCESS), 40);
	send_comp(g, 0, m, sizeof(m));
	assert_int_equal(ng_protocol_errors(g), 1);
	assert_true(ng_logged(g, "completion trans_id 0: not an RNDIS_ACK (40 bytes)"));
}

/* Ethernet + IPv4 + UDP (checksum 0) to the NIC, IPv4 checksum right. */
static size_t
udp_frame(struct g *g, uint8_t *f)
{
	struct emu_frame_info fi;
	size_t len = 60;

	memset(f, 0, len);
	memcpy(f, emu_dev_mac(g->dev), 6);
	f[12] = 0x08;
	f[14] = 0x45;
	f[17] = 46;   /* total length */
	f[22] = 64;
	f[23] = 17;
	f[26] = 10;
	f[30] = 10;
	f[37] = 9;    /* destination port */
	f[39] = 26;   /* UDP length */
	assert_int_equal(emu_frame_parse(f, len, &fi), 0);
	emu_ipv4_csum_set(f, &fi);
	return len;
}

static uint32_t
csum_ppi(struct g *g, const uint8_t *f, size_t len, uint32_t flags)
{
	struct rndis_pkt_info pk;
	uint32_t n;

	assert_int_equal(emu_nic_rx_flags(g->nic, f, len, flags), 0);
	n = ng_recv_rndis(g, 0, g->msg, sizeof(g->msg), NVSP_CHANNEL_TYPE_DATA);
	assert_int_equal(rndis_pkt_parse(g->msg, n, &pk), 0);
	assert_true(pk.meta.present & RNDIS_META_CSUM);
	return pk.meta.csum;
}

static void
test_emu_net_rx_csum_flag(void **state)
{
	struct g *g = *state;
	uint8_t f[64];
	size_t len = udp_frame(g, f);

	/* A correct frame reads the same with and without the flag. */
	assert_int_equal(csum_ppi(g, f, len, 0),
			 RNDIS_RXCSUM_IP_OK | RNDIS_RXCSUM_UDP_OK);
	assert_int_equal(csum_ppi(g, f, len, EMU_RX_CSUM_GOOD),
			 RNDIS_RXCSUM_IP_OK | RNDIS_RXCSUM_UDP_OK);
	/* Without the flag a bad checksum is found; the flag is a promise
	 * the backend makes, so the host takes its word. */
	f[24] ^= 0x55;
	assert_int_equal(csum_ppi(g, f, len, 0),
			 RNDIS_RXCSUM_IP_FAILED | RNDIS_RXCSUM_UDP_OK);
	assert_int_equal(csum_ppi(g, f, len, EMU_RX_CSUM_GOOD),
			 RNDIS_RXCSUM_IP_OK | RNDIS_RXCSUM_UDP_OK);
	/* Not IP: nothing to report either way. */
	f[12] = 0x88;
	f[13] = 0xb5;
	assert_int_equal(csum_ppi(g, f, len, EMU_RX_CSUM_GOOD), 0);
	assert_int_equal(ng_protocol_errors(g), 0);
}

/* White-box RSS: every bucket on the primary, IPv4 and TCP/IPv4 hashed. */
static void
rss_on(struct g *g)
{
	unsigned int i;

	for (i = 0; i < sizeof(g->nic->rss_key); i++)
		g->nic->rss_key[i] = (uint8_t)(i * 37u + 11u);
	memset(g->nic->rss_table, 0, sizeof(g->nic->rss_table));
	g->nic->rss_entries = EMU_NET_RSS_ENTRIES;
	g->nic->rss_hash_info = NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4;
	g->nic->rss_on = true;
}

/* The header the encoder writes for frame f (as the host sees it):
 * returns the frame offset, *ppi_end where the PPIs end. */
static uint32_t
expect_hdr(struct g *g, const uint8_t *f, size_t len, uint8_t *out,
	   uint32_t *ppi_end)
{
	struct rndis_pkt_meta m = { .present = RNDIS_META_CSUM };
	uint8_t plain[FLEN + 8], in[36];
	uint32_t type;
	bool tagged;
	uint16_t tci;
	size_t n;
	int pl;

	pl = emu_vlan_strip(f, len, plain, sizeof(plain), &tagged, &tci);
	assert_true(pl >= 14);
	if (tagged) {
		m.present |= RNDIS_META_VLAN;
		m.vlan_tci = tci;
	}
	m.csum = emu_csum_verify(plain, (size_t)pl);
	n = emu_rss_input(plain, (size_t)pl, g->nic->rss_hash_info, in, &type);
	if (n != 0) {
		m.present |= RNDIS_META_HASH_VALUE | RNDIS_META_HASH_INFO;
		m.hash_value = ndis_toeplitz_hash(g->nic->rss_key,
						  sizeof(g->nic->rss_key), in, n);
		m.hash_info = NDIS_HASH_FUNCTION_TOEPLITZ | type;
	}
	pl = rndis_pkt_encode(out, 256, &m, (uint32_t)pl, g->nic->rx_frame_off);
	assert_true(pl > 0);
	*ppi_end = rndis_pkt_hdr_len(&m);
	if (g->nic->rx_frame_off != 0) {
		uint32_t ml = g->nic->sub_size;

		memcpy(out + 4, &ml, 4);
	}
	return (uint32_t)pl;
}

/*
 * Frames whose metadata changes in every way the RX path produces: new
 * hash values (other flows), lengths, a VLAN tag, no hash (not IP), a
 * checksum result. Every header must equal a fresh encoding.
 */
static void
test_emu_net_rx_hdr_template(void **state)
{
	static const size_t flen[] = { 60, 60, 60, 75, 64, 60, 90, 60, 60 };
	struct g *g = *state;
	struct vmbus_pkt_info pi;
	struct vmbus_xfer_page_range r;
	uint8_t want[256];
	unsigned int i, nf = sizeof(flen) / sizeof(flen[0]);
	uint32_t hl, pe;
	int tl;

	rss_on(g);
	for (i = 0; i < nf; i++) {
		lens[i] = udp_frame(g, frames[i]);
		frames[i][29] = (uint8_t)i; /* source address: another flow */
		frames[i][17] = (uint8_t)(flen[i] - 14);
		lens[i] = flen[i];
		ptrs[i] = frames[i];
	}
	frames[2][24] ^= 0x11;  /* IPv4 checksum now wrong */
	frames[4][12] = 0x88;   /* not IP: no hash PPIs */
	frames[4][13] = 0xb5;
	memset(frames[7], 0xff, 6); /* broadcast, same metadata as before */
	/* Frame 5 tagged: a VLAN PPI, then untagged frames again. */
	tl = emu_vlan_insert(frames[5], 60, 0x2abc, frames[NF - 1], FLEN);
	assert_int_equal(tl, 64);
	ptrs[5] = frames[NF - 1];
	lens[5] = (size_t)tl;
	ng_set_filter(g, RNDIS_PACKET_TYPE_DIRECTED | RNDIS_PACKET_TYPE_BROADCAST);
	assert_int_equal(emu_nic_rx_burst(g->nic, ptrs, lens, nf, 0, rcs), (int)nf);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), 0);
	assert_int_equal(pi.range_count, nf);
	for (i = 0; i < nf; i++) {
		const uint8_t *m;

		assert_int_equal(rcs[i], 0);
		assert_int_equal(vmbus_pkt_xfer_range(&pi, i, &r), 0);
		m = g->recvbuf + r.byte_offset;
		hl = expect_hdr(g, ptrs[i], lens[i], want, &pe);
		if (g->nic->rx_frame_off != 0) {
			/* The real host's layout: frame at 256, whole range. */
			assert_int_equal(hl, 256);
			assert_int_equal(r.byte_count, g->nic->sub_size);
		} else {
			assert_int_equal(r.byte_count, hl + (i == 5 ? 60u : lens[i]));
		}
		assert_memory_equal(m, want, pe);
		assert_memory_equal(m + hl, i == 5 ? frames[5] : ptrs[i],
				    i == 5 ? 12u : lens[i]);
	}
	ng_ack(g, 0, pi.trans_id);
	ng_pump(g);
	assert_int_equal(ng_protocol_errors(g), 0);
}

/* A fault that rewrites a header must not leak into the next frames. */
static void
test_emu_net_rx_hdr_template_fault(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;
	struct vmbus_xfer_page_range r;
	struct rndis_pkt_info pk;
	unsigned int i;

	make_frames(g, 4);
	assert_int_equal(emu_nic_inject_fault(g->nic, EMU_FAULT_BAD_RNDIS_LEN, 1), 0);
	assert_int_equal(emu_nic_rx_burst(g->nic, ptrs, lens, 4, 0, rcs), 4);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), 0);
	assert_int_equal(pi.range_count, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(vmbus_pkt_xfer_range(&pi, i, &r), 0);
		assert_int_equal(rndis_pkt_parse(g->recvbuf + r.byte_offset,
						 r.byte_count, &pk),
				 i == 0 ? -EINVAL : 0);
	}
	assert_int_equal(pk.data_len, FLEN);
}

/* The layout flag: one parse per burst, per length, only with CSUM_GOOD. */
static void
test_emu_net_rx_same_layout(void **state)
{
	const uint32_t both = EMU_RX_CSUM_GOOD | EMU_RX_SAME_LAYOUT;
	const uint32_t ipudp = RNDIS_RXCSUM_IP_OK | RNDIS_RXCSUM_UDP_OK;
	struct g *g = *state;
	struct vmbus_pkt_info pi;
	struct vmbus_xfer_page_range r;
	struct rndis_pkt_info pk;
	unsigned int i;

	for (i = 0; i < 4; i++) {
		lens[i] = udp_frame(g, frames[i]);
		ptrs[i] = frames[i];
	}
	frames[1][24] ^= 0x11;            /* bad IPv4 checksum */
	frames[3][12] = 0x88;             /* not IP, and ... */
	lens[3] = 59;                     /* ... another length: parsed */
	for (unsigned int pass = 0; pass < 2; pass++) {
		uint32_t fl = pass == 0 ? both : EMU_RX_SAME_LAYOUT;
		const uint32_t want[2][4] = {
			{ ipudp, ipudp, ipudp, 0 },
			{ ipudp, RNDIS_RXCSUM_IP_FAILED | RNDIS_RXCSUM_UDP_OK,
			  ipudp, 0 },
		};

		assert_int_equal(emu_nic_rx_burst(g->nic, ptrs, lens, 4, fl, rcs), 4);
		assert_int_equal(ng_recv_pkt(g, 0, &pi), 0);
		assert_int_equal(pi.range_count, 4);
		for (i = 0; i < 4; i++) {
			assert_int_equal(vmbus_pkt_xfer_range(&pi, i, &r), 0);
			assert_int_equal(rndis_pkt_parse(g->recvbuf + r.byte_offset,
							 r.byte_count, &pk), 0);
			assert_int_equal(pk.meta.csum, want[pass][i]);
		}
		ng_ack(g, 0, pi.trans_id);
		ng_pump(g);
	}
	assert_int_equal(ng_protocol_errors(g), 0);
}

/* udp_frame at len bytes (60..1514): lengths and IPv4 checksum set. */
static void
udp_frame_len(struct g *g, uint8_t *f, size_t len)
{
	struct emu_frame_info fi;

	memset(f, 0, len);
	(void)udp_frame(g, f);
	f[16] = (uint8_t)((len - 14) >> 8);
	f[17] = (uint8_t)(len - 14);
	f[24] = 0;
	f[25] = 0;
	f[38] = (uint8_t)((len - 34) >> 8);
	f[39] = (uint8_t)(len - 34);
	assert_int_equal(emu_frame_parse(f, len, &fi), 0);
	emu_ipv4_csum_set(f, &fi);
}

/*
 * Full-size frames of a block packet: headers and frames written by one
 * emu_copy_mid_blk call, ranges two a store (odd and even counts).
 */
static void
test_emu_net_rx_block_full(void **state)
{
	const uint32_t both = EMU_RX_CSUM_GOOD | EMU_RX_SAME_LAYOUT;
	static uint8_t big[9][1514];
	const void *bp[9];
	size_t bl[9];
	struct g *g = *state;
	struct vmbus_pkt_info pi;
	struct vmbus_xfer_page_range r;
	struct rndis_pkt_info pk;
	uint32_t nfree = g->nic->sub_nfree, sz = g->nic->sub_size, k;
	unsigned int i, round, n;

	for (i = 0; i < 9; i++) {
		udp_frame_len(g, big[i], 1514);
		memset(big[i] + 42, (int)(0x30 + i), 1514 - 42);
		bp[i] = big[i];
		bl[i] = 1514;
	}
	for (round = 0; round < 4; round++) {
		/* 9 (an odd count: the last range stored alone), then 8 of
		 * the 9 that came back. */
		n = round < 2 ? 9 : 8;
		assert_int_equal(emu_nic_rx_burst(g->nic, bp, bl, n, both, rcs), (int)n);
		assert_int_equal(ng_recv_pkt(g, 0, &pi), 0);
		assert_int_equal(pi.range_count, n);
		/* The first burst's first frame makes the template. */
		if (round > 0)
			assert_true(emu_sub_is_blk(g->nic->sub_next[pi.trans_id]));
		for (k = 0; k < n; k++) {
			assert_int_equal(vmbus_pkt_xfer_range(&pi, k, &r), 0);
			if (round > 0)
				assert_int_equal(r.byte_offset, (pi.trans_id + k) * sz);
			assert_int_equal(r.byte_count, sz);
			assert_int_equal(rndis_pkt_parse(g->recvbuf + r.byte_offset,
							 r.byte_count, &pk), 0);
			assert_int_equal(pk.data_len, 1514);
			assert_int_equal(pk.meta.csum,
					 RNDIS_RXCSUM_IP_OK | RNDIS_RXCSUM_UDP_OK);
			assert_memory_equal(g->recvbuf + r.byte_offset + pk.data_off,
					    big[k], 1514);
		}
		ng_ack(g, 0, pi.trans_id);
		ng_pump(g);
		assert_int_equal(g->nic->sub_nfree, nfree);
	}
	assert_int_equal(ng_protocol_errors(g), 0);
}

/* Send the n frames at bp as one packet; returns its id after checking
 * every range holds its frame. */
static uint64_t
rx_seg_burst(struct g *g, const void **bp, size_t *bl, unsigned int n,
	     struct vmbus_pkt_info *pi)
{
	const uint32_t both = EMU_RX_CSUM_GOOD | EMU_RX_SAME_LAYOUT;
	struct vmbus_xfer_page_range r;
	struct rndis_pkt_info pk;
	uint32_t k;

	assert_int_equal(emu_nic_rx_burst(g->nic, bp, bl, n, both, rcs), (int)n);
	assert_int_equal(ng_recv_pkt(g, 0, pi), 0);
	assert_int_equal(pi->range_count, n);
	for (k = 0; k < n; k++) {
		assert_int_equal(vmbus_pkt_xfer_range(pi, k, &r), 0);
		assert_int_equal(rndis_pkt_parse(g->recvbuf + r.byte_offset,
						 r.byte_count, &pk), 0);
		assert_int_equal(pk.data_len, bl[k]);
		assert_memory_equal(g->recvbuf + r.byte_offset + pk.data_off,
				    bp[k], bl[k]);
	}
	return pi->trans_id;
}

/*
 * Two blocks on the stack's top (two packets ACKed in the order they
 * went out: the second's ids on top of the first's) make one packet of
 * two blocks (EMU_SUB_SEG): ranges block by block, the second block's
 * first id no packet's, one ACK frees both and puts them back as one
 * block (they are neighbours in the buffer); a tagged frame in the next
 * such burst (the general path adds it) turns the blocks into one chain,
 * and its ACK frees every id. len 60: headers staged, frames copied by
 * rx_copy_run; 64: frames copied as staged; 1514: headers and frames by
 * emu_copy_mid_blk.
 */
static void
rx_seg_pkt(struct g *g, size_t len)
{
	static uint8_t fr[16][1514];
	const void *bp[16];
	size_t bl[16];
	struct vmbus_pkt_info pi;
	struct vmbus_xfer_page_range r;
	uint32_t nfree = g->nic->sub_nfree, sz = g->nic->sub_size, k, v;
	uint64_t a, b, x, acks = ng_qstats(g, 0).acks_received;
	unsigned int i;

	for (i = 0; i < 16; i++) {
		udp_frame_len(g, fr[i], len);
		fr[i][len - 1] = (uint8_t)(0x40 + i);
		bp[i] = fr[i];
		bl[i] = len;
	}
	/* Blocks as the stack holds them: no sorting (test_emu_net_rx_heal). */
	g->nic->rx_heal_next = UINT64_MAX;
	/* The template, and a first block. */
	ng_ack(g, 0, rx_seg_burst(g, bp, bl, 8, &pi));
	ng_pump(g);
	a = rx_seg_burst(g, bp, bl, 8, &pi);
	b = rx_seg_burst(g, bp + 8, bl + 8, 8, &pi);
	assert_true(emu_sub_is_blk(g->nic->sub_next[a]));
	assert_true(emu_sub_is_blk(g->nic->sub_next[b]));
	assert_int_equal(b, a + 8);
	ng_ack(g, 0, a);
	ng_ack(g, 0, b);
	ng_pump(g);
	assert_int_equal(g->nic->sub_nfree, nfree);
	/* Popped: b's block, then a's. */
	x = rx_seg_burst(g, bp, bl, 16, &pi);
	assert_int_equal(x, b);
	v = g->nic->sub_next[x];
	assert_true(emu_sub_is_blk(v));
	assert_int_equal(v & (EMU_SUB_SEG | EMU_SUB_KMASK), EMU_SUB_SEG | 8);
	assert_int_equal(g->nic->sub_link[x], a);
	for (k = 0; k < 16; k++) {
		assert_int_equal(vmbus_pkt_xfer_range(&pi, k, &r), 0);
		assert_int_equal(r.byte_offset, (k < 8 ? b + k : a + k - 8) * sz);
	}
	assert_int_equal(g->nic->sub_nfree, nfree - 16);
	ng_ack(g, 0, a);
	ng_pump(g);
	assert_true(ng_logged(g, "is a later range of a packet"));
	assert_int_equal(g->nic->sub_nfree, nfree - 16);
	ng_ack(g, 0, x);
	ng_pump(g);
	assert_int_equal(g->nic->sub_nfree, nfree);
	assert_int_equal(ng_qstats(g, 0).acks_received, acks + 40);
	/* The two blocks went back highest first: one block of 16 now. */
	x = rx_seg_burst(g, bp, bl, 16, &pi);
	assert_int_equal(x, a);
	assert_int_equal(g->nic->sub_next[x], EMU_SUB_BLK | 16);
	ng_ack(g, 0, x);
	ng_pump(g);
	assert_int_equal(g->nic->sub_nfree, nfree);
	/* Split again (ACKed in order: b's block on top of a's), then
	 * frame 12 tagged. */
	a = rx_seg_burst(g, bp, bl, 8, &pi);
	b = rx_seg_burst(g, bp + 8, bl + 8, 8, &pi);
	ng_ack(g, 0, a);
	ng_ack(g, 0, b);
	ng_pump(g);
	fr[12][12] = 0x81;
	fr[12][13] = 0x00;
	bl[12] = len; /* tagged: 4 bytes of it become the VLAN PPI */
	assert_int_equal(emu_nic_rx_burst(g->nic, bp, bl, 16,
					  EMU_RX_CSUM_GOOD | EMU_RX_SAME_LAYOUT,
					  rcs), 16);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), 0);
	assert_int_equal(pi.range_count, 16);
	assert_false(emu_sub_is_blk(g->nic->sub_next[pi.trans_id]));
	assert_int_equal(g->nic->sub_nfree, nfree - 16);
	ng_ack(g, 0, pi.trans_id);
	ng_pump(g);
	assert_int_equal(g->nic->sub_nfree, nfree);
	assert_int_equal(ng_protocol_errors(g), 1);
}

/*
 * A pool's stack in pieces (ids interleaved: no block of two) is sorted
 * into blocks when a packet finds it so, but not again before
 * rx_heal_next frames.
 */
static void
test_emu_net_rx_heal(void **state)
{
	struct g *g = *state;
	static uint8_t fr[8][1514];
	const void *bp[8];
	size_t bl[8];
	struct vmbus_pkt_info pi;
	struct emu_rx_pool *p = &g->nic->pool[0];
	uint32_t nfree = g->nic->sub_nfree, j, t;
	uint64_t x;
	unsigned int i;

	for (i = 0; i < 8; i++) {
		udp_frame_len(g, fr[i], 64);
		bp[i] = fr[i];
		bl[i] = 64;
	}
	ng_ack(g, 0, rx_seg_burst(g, bp, bl, 8, &pi)); /* the template */
	ng_pump(g);
	assert_true(p->n >= 32);
	/* Top 32 ids: every other pair swapped, then every other id
	 * exchanged with one 16 below: nothing follows anything. */
	for (j = p->n - 32; j + 4 <= p->n; j += 4) {
		t = p->free[j];
		p->free[j] = p->free[j + 2];
		p->free[j + 2] = t;
	}
	for (j = p->n - 32; j < p->n - 16; j += 2) {
		t = p->free[j];
		p->free[j] = p->free[j + 16];
		p->free[j + 16] = t;
	}
	g->nic->rx_heal_next = UINT64_MAX;
	x = rx_seg_burst(g, bp, bl, 8, &pi);
	assert_false(g->nic->sub_next[x] == (EMU_SUB_BLK | 8));
	ng_ack(g, 0, x);
	ng_pump(g);
	g->nic->rx_heal_next = 0;
	x = rx_seg_burst(g, bp, bl, 8, &pi);
	assert_int_equal(g->nic->sub_next[x], EMU_SUB_BLK | 8);
	assert_true(g->nic->rx_heal_next > g->nic->qst[0].rx_packets);
	ng_ack(g, 0, x);
	ng_pump(g);
	assert_int_equal(g->nic->sub_nfree, nfree);
	assert_int_equal(ng_protocol_errors(g), 0);
}

static void
test_emu_net_rx_seg_pkt(void **state)
{
	rx_seg_pkt(*state, 60);
}

/* 64 bytes: copied as staged (emu_rx_fast_run_promisc / _vouched). */
static void
test_emu_net_rx_seg_pkt_64(void **state)
{
	rx_seg_pkt(*state, 64);
}

static void
test_emu_net_rx_seg_pkt_full(void **state)
{
	rx_seg_pkt(*state, 1514);
}

/*
 * A packet whose sub-allocations the pool hands out as one ascending
 * block is kept as a block (EMU_SUB_BLK: no chain) and released whole:
 * its ranges are consecutive, every frame lands where its range says,
 * its ACK frees all of them and the block comes out again the same;
 * its later ids are still not packets (an ACK naming one is refused);
 * a frame of the general path added to it turns it into a chain, and
 * the ACK still frees every sub-allocation.
 */
static void
test_emu_net_rx_block_pkt(void **state)
{
	const uint32_t both = EMU_RX_CSUM_GOOD | EMU_RX_SAME_LAYOUT;
	struct g *g = *state;
	struct vmbus_pkt_info pi;
	struct vmbus_xfer_page_range r;
	struct rndis_pkt_info pk;
	uint32_t nfree = g->nic->sub_nfree, sz = g->nic->sub_size, k;
	uint64_t id, id0 = 0, acks = ng_qstats(g, 0).acks_received;
	unsigned int i, round;

	for (i = 0; i < 8; i++) {
		lens[i] = udp_frame(g, frames[i]);
		frames[i][50] = (uint8_t)(0xa0 + i); /* payload: which frame */
		ptrs[i] = frames[i];
	}
	/* The first burst's first frame makes the header template (the
	 * general path): that packet is a chain. Its ids come back as the
	 * next packets' block. */
	assert_int_equal(emu_nic_rx_burst(g->nic, ptrs, lens, 8, both, rcs), 8);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), 0);
	assert_int_equal(pi.range_count, 8);
	id0 = pi.trans_id;
	assert_false(emu_sub_is_blk(g->nic->sub_next[id0]));
	ng_ack(g, 0, id0);
	ng_pump(g);
	acks += 8;
	for (round = 0; round < 3; round++) {
		assert_int_equal(emu_nic_rx_burst(g->nic, ptrs, lens, 8, both, rcs), 8);
		assert_int_equal(ng_recv_pkt(g, 0, &pi), 0);
		assert_int_equal(pi.range_count, 8);
		id = pi.trans_id;
		assert_true(emu_sub_is_blk(g->nic->sub_next[id]));
		assert_int_equal(id, id0);
		for (k = 0; k < 8; k++) {
			assert_int_equal(vmbus_pkt_xfer_range(&pi, k, &r), 0);
			assert_int_equal(r.byte_offset, (id + k) * sz);
			assert_int_equal(rndis_pkt_parse(g->recvbuf + r.byte_offset,
							 r.byte_count, &pk), 0);
			assert_int_equal(pk.data_len, lens[k]);
			assert_memory_equal(g->recvbuf + r.byte_offset + pk.data_off,
					    frames[k], lens[k]);
		}
		assert_int_equal(g->nic->sub_nfree, nfree - 8);
		if (round == 1) {
			/* A later range's id names no packet. */
			ng_ack(g, 0, id + 3);
			ng_pump(g);
			assert_true(ng_logged(g, "is a later range of a packet"));
			assert_int_equal(ng_protocol_errors(g), 1);
			assert_int_equal(g->nic->sub_nfree, nfree - 8);
		}
		ng_ack(g, 0, id);
		ng_pump(g);
		assert_int_equal(g->nic->sub_nfree, nfree);
		assert_int_equal(ng_qstats(g, 0).acks_received, acks + 8 * (round + 1));
	}
	/* Frame 3 tagged: the general path adds it to the block's packet. */
	frames[3][12] = 0x81;
	frames[3][13] = 0x00;
	assert_int_equal(emu_nic_rx_burst(g->nic, ptrs, lens, 8, both, rcs), 8);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), 0);
	assert_int_equal(pi.range_count, 8);
	assert_false(emu_sub_is_blk(g->nic->sub_next[pi.trans_id]));
	assert_int_equal(g->nic->sub_nfree, nfree - 8);
	ng_ack(g, 0, pi.trans_id);
	ng_pump(g);
	assert_int_equal(g->nic->sub_nfree, nfree);
	assert_int_equal(ng_qstats(g, 0).acks_received, acks + 32);
	assert_int_equal(ng_protocol_errors(g), 1);
}

/*
 * A burst the backend does not vouch for (the loopback's): every frame
 * is summed, also those staged with the previous frame's header, so a
 * bad checksum among good frames of the same length is reported. pad:
 * bytes after the IP packet (60-byte frames are copied as they are
 * staged, longer ones after).
 */
static void
rx_verify_burst(struct g *g, size_t pad)
{
	const uint32_t ipudp = RNDIS_RXCSUM_IP_OK | RNDIS_RXCSUM_UDP_OK;
	const uint32_t want[8] = {
		ipudp, ipudp, ipudp, RNDIS_RXCSUM_IP_OK | RNDIS_RXCSUM_UDP_FAILED,
		ipudp, RNDIS_RXCSUM_IP_FAILED | RNDIS_RXCSUM_UDP_OK, ipudp, ipudp,
	};
	struct emu_frame_info fi;
	struct vmbus_pkt_info pi;
	struct vmbus_xfer_page_range r;
	struct rndis_pkt_info pk;
	unsigned int i;

	for (i = 0; i < 8; i++) {
		lens[i] = udp_frame(g, frames[i]);
		ptrs[i] = frames[i];
		frames[i][50] = (uint8_t)i; /* payload */
		memset(frames[i] + lens[i], 0x30 + (int)i, pad);
		lens[i] += pad;
	}
	/* Frames 2 and 3 carry a UDP checksum, 3's then broken; 5's IPv4
	 * checksum is wrong. */
	for (i = 2; i < 4; i++) {
		assert_int_equal(emu_frame_parse(frames[i], lens[i], &fi), 0);
		assert_int_equal(emu_l4_csum_set(frames[i], lens[i], &fi), 0);
	}
	frames[3][52] ^= 0x40;
	frames[5][24] ^= 0x11;
	assert_int_equal(emu_nic_rx_burst(g->nic, ptrs, lens, 8, 0, rcs), 8);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), 0);
	assert_int_equal(pi.range_count, 8);
	for (i = 0; i < 8; i++) {
		assert_int_equal(rcs[i], 0);
		assert_int_equal(vmbus_pkt_xfer_range(&pi, i, &r), 0);
		assert_int_equal(rndis_pkt_parse(g->recvbuf + r.byte_offset,
						 r.byte_count, &pk), 0);
		assert_int_equal(pk.meta.csum, want[i]);
		assert_int_equal(pk.data_len, lens[i]);
		assert_memory_equal(g->recvbuf + r.byte_offset + pk.data_off,
				    frames[i], lens[i]);
	}
	ng_ack(g, 0, pi.trans_id);
	ng_pump(g);
	assert_int_equal(ng_protocol_errors(g), 0);
}

static void
test_emu_net_rx_verify_burst(void **state)
{
	rx_verify_burst(*state, 0);
	rx_verify_burst(*state, FLEN - 62); /* 88 bytes */
}

/* A bad-desc fault still hits a header far longer than one descriptor. */
static void
test_emu_net_rx_bad_desc_long_header(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;
	struct vmbus_pkt_desc d;
	uint32_t len;

	make_frames(g, 30);
	assert_int_equal(emu_nic_inject_fault(g->nic, EMU_FAULT_BAD_DESC, 1), 0);
	assert_int_equal(emu_nic_rx_burst(g->nic, ptrs, lens, 30, 0, rcs), 30);
	assert_true(ng_logged(g, "fault bad-desc"));
	/* The ring frames it; the packet parser refuses it; it is all there. */
	assert_int_equal(vmbus_ring_read(&g->rx[0], g->pkt, sizeof(g->pkt), &len), 0);
	memcpy(&d, g->pkt, sizeof(d));
	assert_int_equal(d.type, VMBUS_PKT_DATA_XFER_PAGES);
	assert_true(d.offset8 > d.len8);
	assert_true(d.len8 * 8u >= VMBUS_PKT_XFER_HDR_LEN(30));
	assert_int_equal(vmbus_pkt_parse(g->pkt, len, &pi), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_emu_net_rx_multi_range, setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_rx_max_ranges, setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_rx_burst_mixed, setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_rx_burst_ring_full, setup_small_ring, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_ack_rejects, setup_lenient_ack, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_ack_before_init, ng_setup_default, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_rx_csum_flag, setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_rx_bad_desc_long_header, setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_rx_hdr_template, setup_hash, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_rx_hdr_template, setup_hash_exact, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_rx_hdr_template_fault, setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_rx_same_layout, setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_rx_block_pkt, setup_lenient_ack, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_rx_block_full, setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_rx_seg_pkt, setup_lenient_ack, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_rx_seg_pkt_full, setup_lenient_ack, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_rx_seg_pkt_64, setup_lenient_ack, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_rx_heal, setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_rx_verify_burst, setup_up, ng_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
