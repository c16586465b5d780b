/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data path as strict as Azure's host (docs/emulator.md,
 * "Strictness"), each rule with a planted guest bug it catches:
 *
 * - receive layout: the frame sits 256 bytes into a range as long as
 *   the whole sub-allocation; a guest reading from the range start (or
 *   right after the PPIs) finds no frame there;
 * - receive pools: control ids 0..15, the rest split per active queue;
 * - RNDIS_ACK: a double ACK, or an ACK on the wrong channel, stops the
 *   channel (rx_ack_errors);
 * - transmit: aggregated messages at exactly msg_len (an unpadded
 *   msg_len fails the packet, tx_msg_len_errors), no frame of a failed
 *   packet leaves, inline 802.1Q tags are not L2 for offloads;
 * - completions held back: the guest runs out of send sections, and at
 *   tx_max_pending the host stops reading so the guest's ring fills;
 * - the RX size check and the not-ready counter.
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

#define FLEN 90u
#define NQ 4u

static uint8_t frames[400][FLEN];
static const void *ptrs[400];
static size_t lens[400];
static int rcs[400];

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
setup_up(void **state)
{
	return setup_with(state, NULL);
}

static void
cfg_tx_lenient(struct emu_net_config *nc)
{
	nc->lenient = EMU_LENIENT_TX_MSG_ALIGN | EMU_LENIENT_TX_INLINE_VLAN;
}

static int
setup_tx_lenient(void **state)
{
	return setup_with(state, cfg_tx_lenient);
}

static void
cfg_pending8(struct emu_net_config *nc)
{
	nc->tx_max_pending = 8;
}

/* A small ring, so that a stalled host lets the guest's ring fill. */
static int
setup_pending8(void **state)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct ng_opts o = { .max_version = NVSP_VERSION_61, .net_cfg = cfg_pending8 };

	o.ring_size = 2u * (size_t)(pg > 0 ? pg : 4096);
	ng_setup(state, &o);
	ng_bring_up(*state);
	return 0;
}

static void
make_frames(struct g *g, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		memset(frames[i], (int)(i + 1), FLEN);
		memcpy(frames[i], emu_dev_mac(g->dev), 6);
		frames[i][12] = 0x88;
		frames[i][13] = 0xb5;
		ptrs[i] = frames[i];
		lens[i] = FLEN;
	}
}

/* ---- Receive ---- */

/* Planted bug: a guest that takes the frame from the range start. */
static void
test_rx_layout_offset0_guest_fails(void **state)
{
	struct g *g = *state;
	struct vmbus_xfer_page_range r;
	struct vmbus_pkt_info pi;
	struct rndis_pkt_info pk;
	const uint8_t *m;

	make_frames(g, 1);
	assert_int_equal(emu_nic_rx(g->nic, frames[0], FLEN), 0);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), 0);
	assert_int_equal(vmbus_pkt_xfer_range(&pi, 0, &r), 0);
	m = g->recvbuf + r.byte_offset;
	/* The range and msg_len are the whole sub-allocation. */
	assert_int_equal(g->nic->sub_size, 256u + 1514u + 36u);
	assert_int_equal(r.byte_count, g->nic->sub_size);
	assert_int_equal(rndis_pkt_parse(m, r.byte_count, &pk), 0);
	assert_int_equal(pk.msg_len, g->nic->sub_size);
	/* The bug: the frame "at offset 0" is the RNDIS header ... */
	assert_memory_not_equal(m, frames[0], FLEN);
	/* ... and the frame is not right after the PPIs either ... */
	assert_memory_not_equal(m + sizeof(struct rndis_packet_msg) + 16u,
				frames[0], FLEN);
	/* ... nor is the range length the frame's length. */
	assert_int_not_equal(r.byte_count, FLEN);
	/* The right way: data_offset and data_len. */
	assert_int_equal(pk.data_off, 256);
	assert_int_equal(pk.data_len, FLEN);
	assert_memory_equal(m + pk.data_off, frames[0], FLEN);
	/* Checksum PPI only: no hash without --rx-hash-ppi. */
	assert_int_equal(pk.meta.present, RNDIS_META_CSUM);
	ng_ack(g, 0, pi.trans_id);
	assert_int_equal(ng_protocol_errors(g), 0);
}

/* 375 frames in one transfer-page packet, the 376th in the next. */
static void
test_rx_375_ranges(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;
	uint64_t id1, acks = ng_qstats(g, 0).acks_received;

	make_frames(g, 376);
	assert_int_equal(emu_nic_rx_burst(g->nic, ptrs, lens, 376, 0, rcs), 376);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), 0);
	assert_int_equal(pi.range_count, 375);
	id1 = pi.trans_id;
	assert_int_equal(ng_recv_pkt(g, 0, &pi), 0);
	assert_int_equal(pi.range_count, 1);
	ng_ack(g, 0, id1);
	ng_ack(g, 0, pi.trans_id);
	assert_int_equal(ng_qstats(g, 0).acks_received, acks + 376);
	assert_int_equal(ng_protocol_errors(g), 0);
}

/* Ids 0..15 only for control messages; data never gets them. */
static void
test_rx_pool_control_reserve(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;
	uint32_t data = g->nic->sub_count - EMU_NET_CTRL_RESERVE, i, got = 0;
	uint32_t v;
	int k;

	make_frames(g, 1);
	/* Fill every data sub-allocation without ACKing. */
	for (i = 0; i < data; i++) {
		assert_int_equal(emu_nic_rx(g->nic, frames[0], FLEN), 0);
		ng_pump(g);
		while (ng_recv_pkt(g, 0, &pi) == 0) {
			assert_true(pi.trans_id >= EMU_NET_CTRL_RESERVE);
			got++;
		}
	}
	assert_int_equal(got, data);
	k = emu_nic_rx(g->nic, frames[0], FLEN);
	assert_int_equal(k, -EAGAIN);
	assert_int_equal(ng_qstats(g, 0).rx_drop_no_buffer, 1);
	/* Control still works, from the reserve. */
	assert_int_equal(ng_rndis_query(g, RNDIS_OID_GEN_LINK_SPEED, &v, 4), 4);
}

/* Open subchannels 1..n-1 the way the kernel face does. */
static void
open_subchannels(struct g *g, unsigned int n)
{
	struct emu_chan *p = emu_dev_primary(g->dev);
	unsigned int i;

	for (i = 1; i < n; i++) {
		assert_int_equal(emu_dev_add_subchan(g->dev, emu_chan_relid(p) + i, i,
						     EMU_NO_MONITOR, NULL), 0);
		ng_attach_rings(g, i);
	}
	assert_int_equal(emu_nic_nchan(g->nic), n);
}

/* Frames with RSS off go to queue 0: count what queue 0 may use. */
static uint32_t
fill_queue0(struct g *g)
{
	struct vmbus_pkt_info pi;
	uint32_t got = 0;

	make_frames(g, 1);
	while (emu_nic_rx(g->nic, frames[0], FLEN) == 0) {
		ng_pump(g);
		while (ng_recv_pkt(g, 0, &pi) == 0)
			got++;
	}
	return got;
}

/* The pool split per active queue: (count - 16) / queues each. */
static void
test_rx_pool_split_per_queue(void **state)
{
	struct g *g = *state;
	uint32_t per;

	open_subchannels(g, NQ);
	per = (g->nic->sub_count - EMU_NET_CTRL_RESERVE) / NQ;
	assert_int_equal(fill_queue0(g), per);
	assert_int_equal(ng_qstats(g, 0).rx_drop_no_buffer, 1);
}

/* Planted bug: ACKing a packet of queue 1 on queue 0 stops queue 0. */
static void
test_rx_ack_wrong_channel(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;
	unsigned int i;

	open_subchannels(g, 2);
	/* RSS on, every entry names queue 1. */
	for (i = 0; i < EMU_NET_RSS_ENTRIES; i++)
		g->nic->rss_table[i] = 1;
	g->nic->rss_entries = EMU_NET_RSS_ENTRIES;
	g->nic->rss_hash_info = NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4;
	g->nic->rss_on = true;
	{
		static uint8_t f[256];
		size_t flen = ng_tcp_frame(g, f, 10);

		assert_int_equal(emu_nic_rx(g->nic, f, flen), 0);
	}
	assert_int_equal(ng_recv_pkt(g, 1, &pi), 0);
	assert_int_equal(pi.type, VMBUS_PKT_DATA_XFER_PAGES);
	/* Queue 1 alone is active: it owns every data sub-allocation. */
	assert_int_equal(g->nic->sub_pool[pi.trans_id], 1);
	ng_ack(g, 0, pi.trans_id);
	assert_int_equal(ng_qstats(g, 0).rx_ack_errors, 1);
	assert_true(ng_logged(g, "the packet went out on channel 1; channel stopped"));
	assert_true(g->nic->q[0]->broken);
	assert_false(g->nic->q[1]->broken);
}

/* Planted bug: a double ACK stops the channel. */
static void
test_rx_double_ack(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;

	make_frames(g, 3);
	assert_int_equal(emu_nic_rx_burst(g->nic, ptrs, lens, 3, 0, rcs), 3);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), 0);
	ng_ack(g, 0, pi.trans_id);
	assert_int_equal(ng_qstats(g, 0).rx_ack_errors, 0);
	ng_ack(g, 0, pi.trans_id);
	assert_int_equal(ng_qstats(g, 0).rx_ack_errors, 1);
	assert_true(ng_logged(g, "NVSP RNDIS_ACK: duplicate: trans_id"));
	assert_true(g->nic->q[0]->broken);
	/* Stopped: nothing is read or answered any more. */
	ng_rndis_send(g, g->msg, rndis_keepalive_req_build(g->msg, sizeof(g->msg), 9));
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
}

/* Untagged frames get no 4 extra bytes; tagged ones do. */
static void
test_rx_size_check(void **state)
{
	struct g *g = *state;
	static uint8_t f[1600];
	struct emu_nic_stats st;
	struct vmbus_pkt_info pi;

	memset(f, 0x11, sizeof(f));
	memcpy(f, emu_dev_mac(g->dev), 6);
	f[12] = 0x88;
	f[13] = 0xb5;
	assert_int_equal(emu_nic_rx(g->nic, f, 1514), 0);
	assert_int_equal(emu_nic_rx(g->nic, f, 1515), -EMSGSIZE);
	assert_int_equal(emu_nic_rx(g->nic, f, 1518), -EMSGSIZE);
	f[12] = 0x81;
	f[13] = 0x00;
	assert_int_equal(emu_nic_rx(g->nic, f, 1518), 0);
	assert_int_equal(emu_nic_rx(g->nic, f, 1519), -EMSGSIZE);
	emu_nic_stats(g->nic, &st);
	assert_int_equal(st.rx_drop_too_big, 3);
	while (ng_recv_pkt(g, 0, &pi) == 0)
		ng_ack(g, 0, pi.trans_id);
}

/* Before the guest is up, drops are "not ready", not "filter". */
static void
test_rx_not_ready(void **state)
{
	struct g *g = *state;
	struct emu_nic_stats st;

	make_frames(g, 1);
	assert_int_equal(emu_nic_rx(g->nic, frames[0], FLEN), -ENETDOWN);
	emu_nic_stats(g->nic, &st);
	assert_int_equal(st.rx_drop_not_ready, 1);
	assert_int_equal(st.rx_drop_filter, 0);
}

/* ---- Transmit ---- */

/* Two PACKET_MSGs in section 2: the first of flen0, padded or not. */
static uint32_t
tx_two_in_section(struct g *g, size_t flen0, bool pad_msg_len, uint64_t id)
{
	struct rndis_pkt_meta meta = { .present = 0 };
	uint8_t *sec = g->sendbuf + 2u * NG_SECTION, m[40];
	uint32_t ml, at;
	int off;

	off = rndis_pkt_encode(sec, NG_SECTION, &meta, (uint32_t)flen0, 0);
	assert_true(off > 0);
	memcpy(sec + off, frames[0], flen0);
	ml = (uint32_t)off + (uint32_t)flen0;
	at = (ml + 7u) & ~7u;
	assert_true(at != ml); /* the bug needs padding to matter */
	if (pad_msg_len)
		memcpy(sec + 4, &at, 4);
	memset(sec + ml, 0, at - ml);
	off = rndis_pkt_encode(sec + at, NG_SECTION - at, &meta, FLEN, 0);
	assert_true(off > 0);
	memcpy(sec + at + off, frames[1], FLEN);
	assert_int_equal(nvsp_build_rndis_pkt(m, sizeof(m), NVSP_CHANNEL_TYPE_DATA, 2,
					      at + (uint32_t)off + FLEN), 40);
	ng_send_inband(g, 0, m, sizeof(m), id, true);
	return ng_expect_tx_comp(g, 0, id);
}

/* Planted bug: msg_len left unpadded between aggregated messages. */
static void
test_tx_unpadded_msg_len(void **state)
{
	struct g *g = *state;

	make_frames(g, 2);
	assert_int_equal(tx_two_in_section(g, 61, false, 11), NVSP_STATUS_FAILURE);
	assert_int_equal(ng_qstats(g, 0).tx_msg_len_errors, 1);
	assert_int_equal(ng_qstats(g, 0).tx_errors, 1);
	assert_true(ng_logged(g, "protocol error: RNDIS PACKET_MSG #2: "));
	/* The whole packet failed: not even the first frame left. */
	assert_int_equal(g->cap.n, 0);
	/* Padded correctly, both go out. */
	assert_int_equal(tx_two_in_section(g, 61, true, 12), NVSP_STATUS_SUCCESS);
	assert_int_equal(g->cap.n, 2);
	assert_int_equal(g->cap.len[0], 61);
	assert_memory_equal(g->cap.f[1], frames[1], FLEN);
	assert_int_equal(ng_qstats(g, 0).tx_msg_len_errors, 1);
}

/* The same bug with --lenient tx-msg-align passes (the old behaviour). */
static void
test_tx_unpadded_lenient(void **state)
{
	struct g *g = *state;

	make_frames(g, 2);
	assert_int_equal(tx_two_in_section(g, 61, false, 11), NVSP_STATUS_SUCCESS);
	assert_int_equal(g->cap.n, 2);
	assert_int_equal(ng_qstats(g, 0).tx_msg_len_errors, 0);
}

/* Bytes left over after the last message fail the packet. */
static void
test_tx_trailing_bytes(void **state)
{
	struct g *g = *state;
	struct rndis_pkt_meta meta = { .present = 0 };
	uint8_t *sec = g->sendbuf + 4u * NG_SECTION, m[40];
	int off;

	make_frames(g, 1);
	off = rndis_pkt_encode(sec, NG_SECTION, &meta, FLEN, 0);
	assert_true(off > 0);
	memcpy(sec + off, frames[0], FLEN);
	assert_int_equal(nvsp_build_rndis_pkt(m, sizeof(m), NVSP_CHANNEL_TYPE_DATA, 4,
					      (uint32_t)off + FLEN + 6u), 40);
	ng_send_inband(g, 0, m, sizeof(m), 21, true);
	assert_int_equal(ng_expect_tx_comp(g, 0, 21), NVSP_STATUS_FAILURE);
	assert_int_equal(ng_qstats(g, 0).tx_msg_len_errors, 1);
	assert_true(ng_logged(g, "6 bytes left after message #1's msg_len"));
	assert_int_equal(g->cap.n, 0);
}

/*
 * Three plain PACKET_MSGs in section 6; with set, the third one's
 * header word at byte woff is val (the one-pass walk for plain frames:
 * each header rule must still fail the whole packet).
 */
static uint32_t
tx_three_in_section(struct g *g, const struct rndis_pkt_meta *meta, bool set,
		    uint32_t woff, uint32_t val, uint64_t id)
{
	uint8_t *sec = g->sendbuf + 6u * NG_SECTION, m[40];
	uint32_t at = 0, third = 0;
	unsigned int i;
	int off;

	for (i = 0; i < 3; i++) {
		off = rndis_pkt_encode(sec + at, NG_SECTION - at, meta, FLEN, 0);
		assert_true(off > 0);
		memcpy(sec + at + off, frames[i], FLEN);
		if (i == 2)
			third = at;
		at += (uint32_t)off + FLEN;
	}
	if (set)
		memcpy(sec + third + woff, &val, 4);
	assert_int_equal(nvsp_build_rndis_pkt(m, sizeof(m), NVSP_CHANNEL_TYPE_DATA, 6, at), 40);
	ng_send_inband(g, 0, m, sizeof(m), id, true);
	return ng_expect_tx_comp(g, 0, id);
}

struct tx_bad_word {
	uint32_t woff, val;
	const char *log;
};

/* Each case fails the whole packet with its message; then a clean one. */
static void
tx_aggregate_cases(struct g *g, const struct rndis_pkt_meta *meta,
		   const struct tx_bad_word *bad, unsigned int nbad)
{
	unsigned int i;

	make_frames(g, 3);
	for (i = 0; i < nbad; i++) {
		g->nlog = 0; /* each case's own message */
		assert_int_equal(tx_three_in_section(g, meta, true, bad[i].woff,
						     bad[i].val, 100 + i),
				 NVSP_STATUS_FAILURE);
		assert_int_equal(ng_qstats(g, 0).tx_errors, i + 1);
		assert_true(ng_logged(g, bad[i].log));
		assert_int_equal(g->cap.n, 0);
	}
	assert_int_equal(tx_three_in_section(g, meta, false, 0, 0, 200),
			 NVSP_STATUS_SUCCESS);
	assert_int_equal(g->cap.n, 3);
	/* Plain frames: the packet's three in one backend call. */
	assert_int_equal(g->cap.bursts, 1);
	for (i = 0; i < 3; i++) {
		assert_int_equal(g->cap.len[i], FLEN);
		assert_memory_equal(g->cap.f[i], frames[i], FLEN);
	}
	assert_int_equal(ng_qstats(g, 0).tx_errors, nbad);
}

/* Every header rule, broken in the last message of an aggregate. */
static void
test_tx_aggregate_header_rules(void **state)
{
	static const struct tx_bad_word bad[] = {
		{ 0, 5, "holds type 0x5, not a PACKET_MSG" },	/* type */
		{ 8, 35, "#3: malformed header or PPI" },	/* data_offset < 36 */
		{ 8, 48, "#3: malformed header or PPI" },	/* frame past msg_len */
		{ 12, 13, "#3: malformed header or PPI" },	/* data_len < 14 */
		{ 16, 4, "#3: malformed header or PPI" },	/* oob_data_offset */
		{ 20, 4, "#3: malformed header or PPI" },	/* oob_data_len */
		{ 24, 1, "#3: malformed header or PPI" },	/* num_oob_data_elements */
		{ 36, 1, "#3: malformed header or PPI" },	/* vc_handle */
		{ 32, 8, "#3: malformed header or PPI" },	/* ppi_len, no room */
		/* Nothing but msg_len or data_len differs from the messages
		 * before: the plain walk checks these two alone. */
		{ 4, 60, "#3: malformed header or PPI" },	/* msg_len < frame end */
		{ 12, 9100, "#3: malformed header or PPI" },	/* data_len past msg_len */
		/* The rest equal to the accepted messages' bytes (the walk
		 * reuses their verdict): msg_len past the packet's end. */
		{ 4, 142, "msg_len 142 at offset 268 beyond the 402 gathered bytes" },
	};
	struct rndis_pkt_meta meta = { .present = 0 };

	tx_aggregate_cases(*state, &meta, bad, sizeof(bad) / sizeof(bad[0]));
}

/*
 * The same with a hash-value PPI in every message (as the stock guest
 * sends): header at 0, element at 44 (size, type, offset), value at 56,
 * frame at 60.
 */
static void
test_tx_aggregate_ppi_rules(void **state)
{
	static const struct tx_bad_word bad[] = {
		{ 28, 38, "#3: malformed header or PPI" },	/* ppi_offset % 4 */
		{ 28, 32, "#3: malformed header or PPI" },	/* ppi_offset < 36 */
		{ 32, 20, "#3: malformed header or PPI" },	/* PPIs into the frame */
		{ 44, 0, "#3: malformed header or PPI" },	/* element size 0 */
		{ 44, 14, "#3: malformed header or PPI" },	/* size % 4 */
		{ 44, 20, "#3: malformed header or PPI" },	/* size past ppi_len */
		{ 52, 16, "#3: malformed header or PPI" },	/* value offset = size */
		{ 52, 8, "#3: malformed header or PPI" },	/* value offset < 12 */
		{ 52, 14, "#3: malformed header or PPI" },	/* 2 value bytes */
		/* Header and PPI bytes those of the accepted messages (their
		 * verdict is reused), msg_len alone wrong: one byte short of
		 * the frame's end, past the packet's end. */
		{ 4, 149, "#3: malformed header or PPI" },
		{ 4, 158, "msg_len 158 at offset 300 beyond the 450 gathered bytes" },
	};
	struct rndis_pkt_meta meta = { .present = RNDIS_META_HASH_VALUE,
				       .hash_value = 0x1234 };
	struct g *g = *state;

	tx_aggregate_cases(g, &meta, bad, sizeof(bad) / sizeof(bad[0]));
	/* Another hash value in the last message is a PPI like the others:
	 * the host reuses what it learnt of the first two only for equal
	 * bytes, these it reads again, and the packet goes out. */
	assert_int_equal(tx_three_in_section(g, &meta, true, 56, 0x5678, 300),
			 NVSP_STATUS_SUCCESS);
	assert_int_equal(g->cap.n, 6);
	assert_memory_equal(g->cap.f[5], frames[2], FLEN);
	assert_int_equal(ng_qstats(g, 0).tx_errors, sizeof(bad) / sizeof(bad[0]));
}

/* A checksum request on a frame with an inline tag: L2 is 14 bytes. */
static uint32_t
tx_inline_vlan(struct g *g)
{
	struct rndis_pkt_meta meta = { .present = RNDIS_META_CSUM };
	uint8_t *sec = g->sendbuf + 5u * NG_SECTION, m[40];
	static uint8_t f[256], t[260];
	size_t flen = ng_tcp_frame(g, f, 20);
	int off, tl;

	tl = emu_vlan_insert(f, flen, 0x0123, t, sizeof(t));
	assert_true(tl > 0);
	meta.csum = rndis_txcsum_value(RNDIS_TXCSUM_IPV4 | RNDIS_TXCSUM_TCP |
				       RNDIS_TXCSUM_IP, 38);
	off = rndis_pkt_encode(sec, NG_SECTION, &meta, (uint32_t)tl, 0);
	assert_true(off > 0);
	memcpy(sec + off, t, (size_t)tl);
	assert_int_equal(nvsp_build_rndis_pkt(m, sizeof(m), NVSP_CHANNEL_TYPE_DATA, 5,
					      (uint32_t)off + (uint32_t)tl), 40);
	ng_send_inband(g, 0, m, sizeof(m), 31, true);
	return ng_expect_tx_comp(g, 0, 31);
}

static void
test_tx_inline_vlan_strict(void **state)
{
	struct g *g = *state;

	assert_int_equal(tx_inline_vlan(g), NVSP_STATUS_FAILURE);
	assert_true(ng_logged(g, "offload on a frame with an inline 802.1Q tag"));
	assert_int_equal(g->cap.n, 0);
}

static void
test_tx_inline_vlan_lenient(void **state)
{
	struct g *g = *state;

	assert_int_equal(tx_inline_vlan(g), NVSP_STATUS_SUCCESS);
	assert_int_equal(g->cap.n, 1);
	assert_int_equal(emu_csum_verify(g->cap.f[0], g->cap.len[0]),
			 RNDIS_RXCSUM_IP_OK | RNDIS_RXCSUM_TCP_OK);
}

/* One frame in section sec, completion requested with id; no wait. */
static void
tx_post(struct g *g, unsigned int sec_idx, uint64_t id)
{
	struct rndis_pkt_meta meta = { .present = 0 };
	uint8_t *sec = g->sendbuf + sec_idx * NG_SECTION, m[40];
	int off = rndis_pkt_encode(sec, NG_SECTION, &meta, FLEN, 0);

	assert_true(off > 0);
	memcpy(sec + off, frames[0], FLEN);
	assert_int_equal(nvsp_build_rndis_pkt(m, sizeof(m), NVSP_CHANNEL_TYPE_DATA,
					      sec_idx, (uint32_t)off + FLEN), 40);
	ng_send_inband(g, 0, m, sizeof(m), id, true);
}

/*
 * Completions held back: the guest runs out of send sections (it may
 * reuse a section only after its completion), then gets all of them,
 * in order, once the host lets them go.
 */
static void
test_tx_out_of_sections(void **state)
{
	struct g *g = *state;
	uint32_t nsec = (256u * 1024u) / NG_SECTION, i;
	struct vmbus_pkt_info pi;

	make_frames(g, 1);
	emu_nic_set_tx_comp_delay(g->nic, UINT64_MAX);
	for (i = 0; i < nsec; i++)
		tx_post(g, i, 1000 + i);
	ng_pump(g);
	/* Every frame left, no completion came: no free section is left. */
	assert_int_equal(ng_qstats(g, 0).tx_packets, nsec);
	assert_int_equal(ng_qstats(g, 0).tx_pending, nsec);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
	emu_nic_set_tx_comp_delay(g->nic, 0);
	ng_pump(g);
	for (i = 0; i < nsec; i++)
		assert_int_equal(ng_expect_tx_comp(g, 0, 1000 + i), NVSP_STATUS_SUCCESS);
	assert_int_equal(ng_qstats(g, 0).tx_pending, 0);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
}

/*
 * At tx_max_pending outstanding sends the host stops reading: the
 * guest's ring fills and its writes fail (out of descriptors), until
 * completions go out.
 */
static void
test_tx_pending_limit_stalls_ring(void **state)
{
	struct g *g = *state;
	struct hv_sg sg[2];
	uint8_t hdr[16], m[40];
	struct rndis_pkt_meta meta = { .present = 0 };
	uint8_t *sec = g->sendbuf;
	struct vmbus_pkt_info pi;
	unsigned int sent = 0, i;
	bool sig;
	int off;

	make_frames(g, 1);
	emu_nic_set_tx_comp_delay(g->nic, UINT64_MAX);
	off = rndis_pkt_encode(sec, NG_SECTION, &meta, FLEN, 0);
	memcpy(sec + off, frames[0], FLEN);
	assert_int_equal(nvsp_build_rndis_pkt(m, sizeof(m), NVSP_CHANNEL_TYPE_DATA,
					      0, (uint32_t)off + FLEN), 40);
	for (;;) {
		assert_int_equal(vmbus_pkt_build_inband(hdr, sizeof(hdr), sizeof(m),
							2000 + sent,
							VMBUS_PKT_FLAG_COMPLETION_REQUESTED), 16);
		sg[0] = (struct hv_sg){ hdr, sizeof(hdr) };
		sg[1] = (struct hv_sg){ m, sizeof(m) };
		if (vmbus_ring_write(&g->tx[0], sg, 2, &sig) != 0)
			break;
		/* A driver rings when the ring rules say so (strict doorbells). */
		if (sig)
			ng_doorbell(g, 0);
		sent++;
		ng_pump(g);
		assert_true(sent < 10000);
	}
	/* The host read 8, then stopped; the rest filled the ring. */
	assert_int_equal(ng_qstats(g, 0).tx_packets, 8);
	assert_int_equal(ng_qstats(g, 0).tx_pending, 8);
	assert_int_equal(ng_qstats(g, 0).tx_pending_full, 1);
	assert_true(sent > 8);
	/* Released: completions flow, the host reads on, all complete. */
	emu_nic_set_tx_comp_delay(g->nic, 0);
	for (i = 0; i < sent; i++) {
		ng_pump(g);
		ng_expect_tx_comp(g, 0, 2000 + i);
	}
	assert_int_equal(ng_qstats(g, 0).tx_packets, sent);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
	assert_int_equal(ng_protocol_errors(g), 0);
}

/* The dup-completion fault says so in the log. */
static void
test_tx_dup_completion_logged(void **state)
{
	struct g *g = *state;

	make_frames(g, 1);
	assert_int_equal(emu_nic_inject_fault(g->nic, EMU_FAULT_DUP_COMPLETION, 1), 0);
	tx_post(g, 7, 77);
	assert_int_equal(ng_expect_tx_comp(g, 0, 77), NVSP_STATUS_SUCCESS);
	assert_int_equal(ng_expect_tx_comp(g, 0, 77), NVSP_STATUS_SUCCESS);
	assert_true(ng_logged(g, "fault dup-completion: id 77 sent twice"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rx_layout_offset0_guest_fails, setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_rx_375_ranges, setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_rx_pool_control_reserve, setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_rx_pool_split_per_queue, setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_rx_ack_wrong_channel, setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_rx_double_ack, setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_rx_size_check, setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_rx_not_ready, ng_setup_default, ng_teardown),
		cmocka_unit_test_setup_teardown(test_tx_unpadded_msg_len, setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_tx_unpadded_lenient, setup_tx_lenient, ng_teardown),
		cmocka_unit_test_setup_teardown(test_tx_trailing_bytes, setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_tx_aggregate_header_rules, setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_tx_aggregate_ppi_rules, setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_tx_inline_vlan_strict, setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_tx_inline_vlan_lenient, setup_tx_lenient, ng_teardown),
		cmocka_unit_test_setup_teardown(test_tx_out_of_sections, setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_tx_pending_limit_stalls_ring, setup_pending8, ng_teardown),
		cmocka_unit_test_setup_teardown(test_tx_dup_completion_logged, setup_up, ng_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
