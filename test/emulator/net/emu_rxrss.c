/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The receive path's RSS run: a burst's frames for several queues,
 * sorted by queue into a packet each (emu_rxpath.c has the burst and
 * the general per-frame path, emu_rxfast.c the single-queue run).
 *
 * With RSS on, frames i.. of a burst whose template fits them (rss_tpl),
 * in two passes: first every frame is checked (rx_fast_run's checks,
 * each frame with its own checksum bits) and given the queue rss_pick
 * (emu_rxpath.c) would name, its index from the run's first frame
 * appended to that queue's list (qp->frame); then each queue's frames
 * are staged as rx_fast_stage (emu_rxfast.c) stages one queue's, with
 * its pool, chain and ranges in registers, and sent: a packet per queue,
 * not per run of consecutive frames of one queue (test_emu_net_rssrun
 * compares the frames, their queues, the messages and the counters with
 * the general path's). A run takes at most EMU_NET_RX_RANGES_MAX frames,
 * so no list fills during the first pass; each packet is sized once, to
 * its ring's room and its pool, and the first frame a queue's packet
 * cannot take ends the run for every queue: the general path takes that
 * frame (or counts it and stops the burst there, with the ring's wait
 * for room set) and the run goes on after it. The caller sent the
 * general path's packet and checked rx_rss_sort_ok; every packet is sent
 * before the run returns, so the general path's packet (b) and the run's
 * never hold frames at the same time and each queue gets its frames in
 * order.
 *
 * Separate from the single-queue run: its queue pick (the memo,
 * emu_rss_memo.h, and the inline hash input, emu_rss_fast.h), its
 * per-queue packets and their sizing share nothing with that run but
 * the header and staging helpers of emu_rx_inline.h.
 */
#include <stdlib.h>
#include <string.h>

#include "emu_csum_fast.h"
#include "emu_net_priv.h"
#include "emu_offload.h"
#include "emu_rss_fast.h"
#include "emu_rss_memo.h"
#include "emu_rx_inline.h"

/* emu_rss_input for any frame the inline one declines (IPv6, a tagged
 * or odd IPv4 header): off the loop's common path. */
static __attribute__((noinline, cold)) size_t
rx_rss_input_other(const uint8_t *f, size_t len, uint32_t types, uint8_t *in,
		   uint32_t *type)
{
	return emu_rss_input(f, len, types, in, type);
}

/*
 * The queue rss_pick names for frame f (the run sends no hash PPIs).
 * known: f is a frame emu_rss_v4_n takes, its input length known_n
 * (at f + EMU_RSS_V4_IN_OFF); else emu_rss_input decides. tmask:
 * entries - 1 when the table's size is a power of two, else 0.
 */
static inline __attribute__((always_inline)) unsigned int
rx_rss_queue(const struct emu_nic *nic, const uint8_t *f, size_t len,
	     uint32_t types, bool known, size_t known_n, uint32_t tmask)
{
	const struct emu_toeplitz *tz = &nic->rss_tz;
	uint8_t in[EMU_TOEPLITZ_IN_MAX];
	uint32_t h;
	size_t n = known_n;

	/* The common frame's input lies in it: hashed where it is, with
	 * the length a constant. */
	if (hv_likely(known)) {
		if (hv_likely(n == 12))
			h = emu_toeplitz_hash_n(tz, f + EMU_RSS_V4_IN_OFF, 12);
		else if (n == 8)
			h = emu_toeplitz_hash_n(tz, f + EMU_RSS_V4_IN_OFF, 8);
		else
			return 0;
	} else {
		uint32_t type;

		n = rx_rss_input_other(f, len, types, in, &type);
		if (n == 0)
			return 0;
		h = emu_toeplitz_hash(tz, in, n);
	}
	/* The table resolved (a queue the guest closed again: the
	 * primary), as of this burst's emu_rx_pools_update. */
	return nic->rss_qmap[tmask != 0 ? h & tmask : h % nic->rss_entries];
}

/*
 * Send queue qi's packet. Sized to the ring's room, it fails only on a
 * stopped channel or a corrupt ring: its frames are then dropped for
 * good, as rx_flush drops them.
 */
static void
rx_qpkt_send(struct emu_nic *nic, unsigned int qi, struct emu_rx_qpkt *qp,
	     int *rc, size_t clen)
{
	struct emu_chan_stats *st = &nic->qst[qi];
	uint32_t n = qp->n, j;
	int err;

	qp->n = 0;
	nic->sub_next[qp->last] = EMU_SUB_NONE;
	err = emu_rx_send_xfer_batch(nic->q[qi], &qp->xh, qp->r, n,
				     qp->first,
				     emu_fault_take(nic, EMU_FAULT_BAD_XFER_RANGE));
	if (err == 0) {
		st->rx_packets += n;
		/* The run's frames are all clen bytes. */
		st->rx_bytes += (uint64_t)n * clen;
		return;
	}
	(void)emu_rx_pkt_release(nic, qp->first);
	if (err == -EAGAIN)
		st->rx_drop_ring_full++;
	for (j = 0; j < n; j++)
		rc[qp->frame[j]] = -EIO;
}

/*
 * rx_fast_ok for the RSS run, on a frame of the run's length (the
 * caller checked it), with a summed frame's checksum bits in *cs
 * instead of a compare with the template's: the run writes them into
 * each frame's checksum PPI, so frames with other bits (a TCP and a UDP
 * flow) stay in the run. Same checks in the same order otherwise.
 * verify: sum the frame (vouched frames: *cs untouched).
 */
static inline __attribute__((always_inline)) bool
rx_rss_ok(const uint8_t *f, size_t clen, uint32_t filter, uint64_t mac,
	  bool promisc, bool verify, bool v4len, uint32_t *cs)
{
	uint16_t type;

	/* Summed inline: untagged IPv4, 20-byte header, not a fragment,
	 * TCP or UDP with its header inside the IP length. */
	if (verify && v4len && hv_likely(emu_csum_verify_v4_sized(f, clen, cs)))
		return promisc || rx_filter_run(filter, mac, f);
	/* The EtherType as stored, 81 00 (802.1Q) in one compare. */
	memcpy(&type, f + 12, sizeof(type));
	if (type == rx_tag_tpid_raw() ||
	    !(promisc || rx_filter_run(filter, mac, f)))
		return false;
	if (verify)
		*cs = rx_csum_verify_other(f, clen);
	return true;
}

/*
 * Where the template's checksum value is (its one PPI, as the encoder
 * writes it), inside the bytes the run copies; 0: not so laid out.
 */
static uint32_t
rx_tpl_csum_off(const struct emu_rx_hdr_tpl *t)
{
	struct rndis_packet_msg h;
	struct rndis_ppi_hdr ph;
	uint32_t at, v;

	memcpy(&h, t->bytes, sizeof(h));
	if (h.ppi_len != RNDIS_PPI_U32_SIZE ||
	    h.ppi_offset > RX_FAST_HDR - RNDIS_BODY_OFFSET - RNDIS_PPI_U32_SIZE)
		return 0;
	at = RNDIS_BODY_OFFSET + h.ppi_offset;
	memcpy(&ph, t->bytes + at, sizeof(ph));
	memcpy(&v, t->bytes + at + sizeof(ph), sizeof(v));
	if (ph.size != RNDIS_PPI_U32_SIZE || ph.type != RNDIS_PPI_CHECKSUM ||
	    ph.ppi_offset != sizeof(ph) || v != t->csum)
		return 0;
	return at + (uint32_t)sizeof(ph);
}

/*
 * Ranges queue qi's packet may take now: the packet limit, what its ring
 * has room for (the host is the ring's only writer: the room can only
 * grow until the packet is sent) and its pool's free buffers (only this
 * packet takes from them during the run). 0: none, the general path
 * decides about the frame (and finds the ring full or the pool empty).
 */
static inline __attribute__((always_inline)) uint32_t
rx_rss_sort_cap(struct emu_nic *nic, unsigned int qi, uint32_t mlen,
		uint32_t maxr)
{
	struct emu_net_queue *q = nic->q[qi];
	uint32_t room, cap;

	if (q == NULL || q->broken || vmbus_ring_write_avail(&q->out, &room) != 0 ||
	    room < VMBUS_PKT_XFER_HDR_LEN(1) + mlen)
		return 0;
	cap = (uint32_t)((room - mlen - sizeof(struct vmbus_xfer_page_hdr)) /
			 sizeof(struct vmbus_xfer_page_range));
	if (cap > maxr)
		cap = maxr;
	return cap < nic->pool[qi].n ? cap : nic->pool[qi].n;
}

/*
 * The queue of frame f (clen bytes) the memo does not know: rx_rss_ok's
 * checks, then the input (inline for the common IPv4 frame, else
 * emu_rss_input) and the hash, the answer remembered for a frame hashed
 * inline. -1: the run does not
 * take f; else the queue, with RX_RSS_BYTES when it was found from the
 * frame's first EMU_RX_PERIOD_BYTES bytes (and its length) alone.
 */
#define RX_RSS_BYTES 0x100
static __attribute__((noinline)) int
rx_rss_pick_full(struct emu_nic *nic, const uint8_t *f, size_t clen,
		 uint64_t mac, bool promisc, uint32_t tmask)
{
	uint32_t types = nic->rss_hash_info & NDIS_HASH_TYPE_MASK, cs;
	struct emu_rss_v4_plan plan;
	unsigned int qi;
	bool known;
	size_t kn = 0;

	if (!rx_rss_ok(f, clen, nic->filter, mac, promisc, false, false, &cs))
		return -1;
	emu_rss_v4_plan_make(&plan, types);
	known = emu_rss_v4_n(f, clen, &plan, &kn);
	qi = rx_rss_queue(nic, f, clen, types, known, kn, tmask);
	if (!known)
		return (int)qi;
	emu_rss_memo_put(&nic->rxb->memo, f, qi);
	return (int)qi | RX_RSS_BYTES;
}

/* The queue of frame f as rx_rss_pick_full finds it, from the memo
 * when it knows the frame's bytes. */
static inline __attribute__((always_inline)) int
rx_rss_sort_pick(struct emu_nic *nic, struct emu_rss_memo *memo,
		 const uint8_t *f, size_t clen, uint32_t filter, uint64_t mac,
		 bool promisc, uint32_t tmask)
{
	unsigned int qi;

	if (hv_likely(emu_rss_memo_get(memo, f, &qi))) {
		/* Bytes 12..17 are those of a frame rx_rss_ok and
		 * emu_rss_v4_n took (08 00 45): not tagged. The filter
		 * reads others. */
		if (!promisc && !rx_filter_run(filter, mac, f))
			return -1;
		return (int)qi | RX_RSS_BYTES;
	}
	return rx_rss_pick_full(nic, f, clen, mac, promisc, tmask);
}

/*
 * A summed frame emu_cs_udp0_run_ok declines: rx_rss_ok's checks with
 * the sum (its checksum bits in *cs). false: the run does not take f.
 */
static __attribute__((noinline)) bool
rx_rss_verify_other(const uint8_t *f, size_t clen, uint32_t filter,
		    uint64_t mac, bool promisc, bool v4len, uint32_t *cs)
{
	return rx_rss_ok(f, clen, filter, mac, promisc, true, v4len, cs);
}

/*
 * rx_rss_sort_pick for a frame whose checksums are summed here (the
 * loopback's: the guest's frames, untrusted): the sum first (every
 * frame, its bits in *cs; the common minimum UDP frame without a
 * checksum through emu_cs_udp0_run_ok, which answers exactly the frames
 * emu_csum_verify_v4_sized gives IP_OK | UDP_OK with a zero UDP sum),
 * then the queue as the vouched frames get it: the queue is a function
 * of the bytes the memo compares whichever path summed the frame.
 */
static inline __attribute__((always_inline)) int
rx_rss_verify_pick(struct emu_nic *nic, struct emu_rss_memo *memo,
		   const uint8_t *f, size_t clen, uint32_t filter, uint64_t mac,
		   uint32_t tmask, const struct emu_cs_udp0_run *u, bool udp0,
		   bool v4len, uint32_t *cs, struct emu_rss_memo_u0 *last,
		   const bool promisc)
{
	uint64_t in0, in1;
	unsigned int qi;
	int r;

	if (hv_likely(udp0 && emu_cs_udp0_run_ok(u, f))) {
		*cs = RNDIS_RXCSUM_IP_OK | RNDIS_RXCSUM_UDP_OK;
		/* Such a frame's queue by its input alone: the run's last
		 * such frame's (a flow's frames come in trains), else the
		 * memo's. */
		in0 = emu_cs_ld64(f + 26);
		in1 = emu_cs_ld32(f + 34);
		if (((last->in0 ^ in0) | (last->in1 ^ in1)) == 0) {
			qi = last->qi;
		} else if (hv_likely(emu_rss_memo_u0_get(memo, f, &qi))) {
			last->in0 = in0;
			last->in1 = in1;
			last->qi = qi;
		} else {
			r = rx_rss_sort_pick(nic, memo, f, clen, filter, mac,
					     promisc, tmask);
			if (r >= 0 && (r & RX_RSS_BYTES))
				emu_rss_memo_u0_put(memo, f,
						    (unsigned int)r & 63u);
			return r;
		}
		if (!promisc && !rx_filter_run(filter, mac, f))
			return -1;
		return (int)qi;
	}
	if (!rx_rss_verify_other(f, clen, filter, mac, promisc, v4len, cs))
		return -1;
	return rx_rss_sort_pick(nic, memo, f, clen, filter, mac, promisc,
				tmask);
}

/*
 * The copies of the m frames of a queue's list: frame frames[fr[k]] to
 * base (the buffer plus the header's length) + r[k].byte_offset. A
 * function of its own, as rx_copy_run.
 */
static __attribute__((noinline)) void
rx_copy_list(uint8_t *base, const struct vmbus_xfer_page_range *r,
	     const void *const *frames, const uint32_t *fr, size_t m,
	     size_t clen)
{
	size_t k;

	for (k = 0; k < m; k++)
		emu_rx_frame_copy(base + r[k].byte_offset, frames[fr[k]], clen);
}

/* Stage queue qi's cnt frames (their indexes in qp->frame, into frames
 * and rc) and send its packet. */
static inline __attribute__((always_inline)) void
rx_rss_sort_send(struct emu_nic *nic, unsigned int qi, struct emu_rx_qpkt *qp,
		 uint32_t cnt, const void *const *frames, int *rc, size_t clen,
		 rx_v16 h0, rx_v16 h1, rx_v16 h2, rx_v16 h3)
{
	struct emu_rx_pool *p = &nic->pool[qi];
	const struct emu_rx_hdr_tpl *t = &nic->rxb->tpl;
	uint8_t *rxbuf = nic->rxbuf, *busy = nic->sub_busy;
	uint32_t *nexts = nic->sub_next, *pfree = p->free, *ptop = pfree + p->n;
	uint32_t size = nic->sub_size, hl = t->hdr_len, ml = t->msg_len;
	struct vmbus_xfer_page_range *rp = qp->r, *rend = rp + cnt;
	uint32_t idx, prev;

	/* The packet's first frame: its id names the packet. */
	idx = *--ptop;
	busy[idx] = EMU_SUB_DATA;
	nic->sub_chan[idx] = (uint8_t)qi;
	qp->first = idx;
	rx_stage_one(rxbuf, idx, size, ml, h0, h1, h2, h3, rp, NULL, hl, clen,
		     false);
	prev = idx;
	for (rp++; rp != rend; rp++) {
		idx = *--ptop;
		busy[idx] = EMU_SUB_MEMBER;
		nexts[prev] = idx;
		rx_stage_one(rxbuf, idx, size, ml, h0, h1, h2, h3, rp, NULL, hl,
			     clen, false);
		prev = idx;
	}
	p->n = (uint32_t)(ptop - pfree);
	qp->last = prev;
	qp->n = cnt;
	/* Vouched frames through the counted copy. */
	rx_copy_list(rxbuf + hl, qp->r, frames, qp->frame, cnt, clen);
	rx_qpkt_send(nic, qi, qp, rc, clen);
}

/*
 * rx_rss_sort_send for summed frames: each frame's own checksum bits
 * (csv, by run index) into its checksum PPI at co, and minimum frames
 * (32..64 bytes) copied as they are staged (rx_stage_one's small).
 */
static inline __attribute__((always_inline)) void
rx_rss_sort_send_verify(struct emu_nic *nic, unsigned int qi,
			struct emu_rx_qpkt *qp, uint32_t cnt,
			const void *const *frames, const uint32_t *csv, int *rc,
			size_t clen, uint32_t co, rx_v16 h0, rx_v16 h1,
			rx_v16 h2, rx_v16 h3, const bool small)
{
	struct emu_rx_pool *p = &nic->pool[qi];
	const struct emu_rx_hdr_tpl *t = &nic->rxb->tpl;
	uint8_t *rxbuf = nic->rxbuf, *busy = nic->sub_busy;
	uint32_t *nexts = nic->sub_next, *pfree = p->free, *ptop = pfree + p->n;
	uint32_t size = nic->sub_size, hl = t->hdr_len, ml = t->msg_len;
	const uint32_t *fr = qp->frame, *fend = fr + cnt;
	struct vmbus_xfer_page_range *rp = qp->r;
	const uint8_t *f = frames[*fr];
	uint32_t idx, prev;

	/* The packet's first frame (cnt >= 1): its id names the packet. */
	idx = *--ptop;
	busy[idx] = EMU_SUB_DATA;
	nic->sub_chan[idx] = (uint8_t)qi;
	qp->first = idx;
	for (;;) {
		rx_stage_one(rxbuf, idx, size, ml, h0, h1, h2, h3, rp, f, hl,
			     clen, small);
		put_u32(rxbuf + (size_t)idx * size + co, csv[*fr]);
		if (!small)
			rx_copy(rxbuf + (size_t)idx * size + hl, f, clen);
		prev = idx;
		if (++fr == fend)
			break;
		rp++;
		f = frames[*fr];
		idx = *--ptop;
		busy[idx] = EMU_SUB_MEMBER;
		nexts[prev] = idx;
	}
	p->n = (uint32_t)(ptop - pfree);
	qp->last = prev;
	qp->n = cnt;
	rx_qpkt_send(nic, qi, qp, rc, clen);
}

/*
 * May the RSS run take the burst's frames of csum_len: long enough for
 * the memo (which is synced to the configuration here), a table the
 * memo holds, a packet for each queue a frame may get? false: the run
 * takes none, the general path takes frame i as it takes any frame (a
 * packet of its own: the caller sent the general path's packet before
 * the run). Rare: frames shorter than EMU_RSS_MEMO_MIN_LEN bytes are no
 * IPv4 TCP or UDP frame, every table the guest may set fits
 * (EMU_NET_RSS_ENTRIES), and a queue's packet is allocated once (a
 * failed allocation is tried again by the next run).
 */
static __attribute__((noinline)) bool
rx_rss_sort_ok(struct emu_nic *nic)
{
	struct emu_rx_batch *b = nic->rxb;
	uint64_t qm;
	unsigned int qi;

	if (b->csum_len < EMU_RSS_MEMO_MIN_LEN ||
	    !emu_rss_memo_sync(&b->memo, b->csum_len,
			       nic->rss_hash_info & NDIS_HASH_TYPE_MASK,
			       nic->rss_entries, nic->rss_tz.key, nic->rss_qmap))
		return false;
	for (qm = b->memo.qmask; qm != 0; qm &= qm - 1u) {
		qi = (unsigned int)__builtin_ctzll(qm);
		if (b->qp[qi] == NULL) {
			b->qp[qi] = calloc(1, sizeof(*b->qp[qi]));
			if (b->qp[qi] == NULL)
				return false;
		}
	}
	return true;
}

static inline __attribute__((always_inline)) unsigned int
rx_rss_sort_stage(struct emu_nic *nic, const void *const *frames,
		  const size_t *lens, unsigned int i, unsigned int n, int *rc,
		  const bool promisc, const bool verify, const size_t fixed)
{
	struct emu_rx_batch *b = nic->rxb;
	const struct emu_rx_hdr_tpl *t = &b->tpl;
	struct emu_rss_memo *memo = &b->memo;
	uint32_t filter = nic->filter, ml = t->msg_len;
	uint32_t maxr = nic->rx_max_ranges != 0 ? nic->rx_max_ranges : 1u;
	uint32_t tmask = (nic->rss_entries & (nic->rss_entries - 1u)) == 0 ?
			 nic->rss_entries - 1u : 0;
	/* Summed frames: no promise of a period (they are untrusted). */
	uint32_t per = b->period != 0 && !verify ? b->period : UINT32_MAX;
	uint64_t mac = promisc ? 0 : rx_mac48(emu_dev_mac(nic->dev));
	uint64_t qm, used = 0;
	/* fixed: the caller saw that length (constant offsets). */
	size_t clen = fixed != 0 ? fixed : b->csum_len;
	uint8_t hdr[RX_FAST_HDR], m[NVSP_RESP_SIZE_V61];
	/* Per frame of the run: its queue, RX_RSS_BYTES when found from
	 * its first EMU_RX_PERIOD_BYTES bytes; summed frames: their
	 * checksum bits (csv). */
	uint32_t qsel[EMU_NET_RX_RANGES_MAX], csv[EMU_NET_RX_RANGES_MAX];
	uint32_t *wp[EMU_NET_MAX_QUEUES], cnt, cap, cut, j, co;
	struct emu_cs_udp0_run u;
	/* No frame's input: bytes 34..37 zero-extended never equal ~0. */
	struct emu_rss_memo_u0 last = { .in1 = EMU_RSS_MEMO_EMPTY };
	bool v4len = emu_csum_v4_len_ok(clen), udp0 = v4len && clen >= 42u;
	bool small = clen - 32u <= 32u;
	rx_v16 h0, h1, h2, h3;
	unsigned int k, qi, end, lim;
	int mlen, r;

	/* After the general path's packet (the caller sent it), for
	 * frames the MTU allows, with the template's checksum PPI where
	 * the run writes each frame's bits. */
	co = rx_tpl_csum_off(t);
	if (b->n != 0 || clen > (size_t)nic->mtu || co == 0)
		return i;
	if (verify && udp0)
		emu_cs_udp0_run_init(&u, clen);
	if (maxr > EMU_NET_RX_RANGES_MAX)
		maxr = EMU_NET_RX_RANGES_MAX;
	mlen = nvsp_host_build_rndis_pkt(m, sizeof(m), nic->version,
					 NVSP_CHANNEL_TYPE_DATA);
	if (mlen < 0)
		return i;
	for (qm = memo->qmask; qm != 0; qm &= qm - 1u) {
		qi = (unsigned int)__builtin_ctzll(qm);
		wp[qi] = b->qp[qi]->frame;
	}
	end = n - i > EMU_NET_RX_RANGES_MAX ? i + EMU_NET_RX_RANGES_MAX : n;
	/* Pass 1: the checks and the queue of every frame; from the
	 * period on (none: end), a frame whose counterpart p earlier got
	 * its queue from the first EMU_RX_PERIOD_BYTES bytes has those
	 * bytes (EMU_RX_PERIOD): its EtherType, the filter's address and
	 * its queue. */
	lim = per < end - i ? i + per : end;
	if (verify) {
		/* One index from the run's start for the frame, its length,
		 * its bits and its list entry. */
		const void *const *fr0 = frames + i;
		const size_t *len0 = lens + i;
		uint32_t at, nrun = lim - i;

		for (at = 0; at < nrun; at++) {
			const uint8_t *f = fr0[at];

			if (len0[at] != clen || f == NULL)
				break;
			r = rx_rss_verify_pick(nic, memo, f, clen, filter, mac,
					       tmask, &u, udp0, v4len, &csv[at],
					       &last, promisc);
			if (r < 0)
				break;
			*wp[r & 63]++ = at;
		}
		k = i + at;
	} else {
		for (k = i; k < lim; k++) {
			const uint8_t *f = frames[k];

			if (lens[k] != clen || f == NULL)
				break;
			r = rx_rss_sort_pick(nic, memo, f, clen, filter, mac,
					     promisc, tmask);
			if (r < 0)
				break;
			qsel[k - i] = (uint32_t)r;
			*wp[r & 63]++ = k - i;
		}
	}
	if (!verify && k == lim && k < end) {
		/* Indexed from the run's start, one index for all. */
		const void *const *fr0 = frames + i;
		const size_t *len0 = lens + i;
		uint32_t at, nrun = end - i;

		for (at = per; at < nrun; at++) {
			const uint8_t *f = fr0[at];

			if (len0[at] != clen || f == NULL)
				break;
			r = qsel[at - per];
			if (!(r & RX_RSS_BYTES)) {
				r = rx_rss_sort_pick(nic, memo, f, clen, filter,
						     mac, promisc, tmask);
				if (r < 0)
					break;
			}
			qsel[at] = (uint32_t)r;
			*wp[r & 63]++ = at;
		}
		k = i + at;
	}
	if (k == i)
		return i;
	/* The packets' sizes: the first frame a queue's cannot take ends
	 * the run (cut), for every queue. The lists hold indexes from the
	 * run's first frame. */
	cut = k - i;
	for (qm = memo->qmask; qm != 0; qm &= qm - 1u) {
		qi = (unsigned int)__builtin_ctzll(qm);
		cnt = (uint32_t)(wp[qi] - b->qp[qi]->frame);
		if (cnt == 0)
			continue;
		used |= 1ull << qi;
		cap = rx_rss_sort_cap(nic, qi, (uint32_t)mlen, maxr);
		if (cnt > cap && b->qp[qi]->frame[cap] < cut)
			cut = b->qp[qi]->frame[cap];
	}
	if (cut != k - i) {
		for (qm = used; qm != 0; qm &= qm - 1u) {
			qi = (unsigned int)__builtin_ctzll(qm);
			while (wp[qi] != b->qp[qi]->frame && wp[qi][-1] >= cut)
				wp[qi]--;
		}
		k = i + cut;
		if (k == i)
			return i;
	}
	/* Every frame before k is staged (a send that fails marks its own
	 * frames again). */
	memset(rc + i, 0, (k - i) * sizeof(*rc));
	nic->sub_nfree -= k - i;
	/* Pass 2: per queue, from the lowest-numbered. Every frame
	 * of the run has this header, whichever its queue. */
	rx_run_hdr(hdr, t, ml, clen, &h0, &h1, &h2, &h3);
	for (qm = used; qm != 0; qm &= qm - 1u) {
		struct emu_rx_qpkt *qp;

		qi = (unsigned int)__builtin_ctzll(qm);
		qp = b->qp[qi];
		j = (uint32_t)(wp[qi] - qp->frame);
		if (j == 0)
			continue;
		if (!verify)
			rx_rss_sort_send(nic, qi, qp, j, frames + i, rc + i, clen,
					 h0, h1, h2, h3);
		else if (small)
			rx_rss_sort_send_verify(nic, qi, qp, j, frames + i, csv,
						rc + i, clen, co, h0, h1, h2, h3,
						true);
		else
			rx_rss_sort_send_verify(nic, qi, qp, j, frames + i, csv,
						rc + i, clen, co, h0, h1, h2, h3,
						false);
	}
	return k;
}

/* The RSS run's variants: the two passes when rx_rss_sort_ok holds,
 * else no frame (the general path takes frame i). */
__attribute__((noinline)) unsigned int
emu_rx_rss_run_promisc(struct emu_nic *nic, const void *const *frames,
		       const size_t *lens, unsigned int i, unsigned int n, int *rc)
{
	if (rx_rss_sort_ok(nic))
		return rx_rss_sort_stage(nic, frames, lens, i, n, rc, true, false, 0);
	return i;
}

__attribute__((noinline)) unsigned int
emu_rx_rss_run_vouched(struct emu_nic *nic, const void *const *frames,
		       const size_t *lens, unsigned int i, unsigned int n, int *rc)
{
	if (rx_rss_sort_ok(nic))
		return rx_rss_sort_stage(nic, frames, lens, i, n, rc, false, false,
					 0);
	return i;
}

__attribute__((noinline)) unsigned int
emu_rx_rss_run_verify(struct emu_nic *nic, const void *const *frames,
		      const size_t *lens, unsigned int i, unsigned int n, int *rc)
{
	/* 64-byte frames (RFC 2544's smallest, testpmd's): the length a
	 * constant, as emu_rx_fast_run_verify does. */
	if (rx_rss_sort_ok(nic)) {
		if (nic->rxb->csum_len == 64 &&
		    (nic->filter & RNDIS_PACKET_TYPE_PROMISCUOUS))
			return rx_rss_sort_stage(nic, frames, lens, i, n, rc,
						 true, true, 64);
		if (nic->rxb->csum_len == 64)
			return rx_rss_sort_stage(nic, frames, lens, i, n, rc,
						 false, true, 64);
		return rx_rss_sort_stage(nic, frames, lens, i, n, rc, false,
					 true, 0);
	}
	return i;
}
