/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host -> guest: RNDIS messages written into receive sub-allocations
 * (emu_rxpool.c) and announced with transfer-page packets, and the
 * guest's RNDIS_ACKs that give them back.
 *
 * Laid out as a real host lays them out (docs/design/protocol.md,
 * "Receive packets"): a data frame starts 256 bytes into its
 * sub-allocation, after the header and a checksum (and VLAN) PPI, and
 * both msg_len and the range length are the whole sub-allocation; a
 * guest must find the frame through data_offset and data_len. Up to 375
 * frames share one transfer-page packet. Control messages use their
 * exact length. EMU_LENIENT_RX_EXACT brings back the compact layout
 * (frame right after the PPIs, exact lengths).
 *
 * A packet's trans_id is the index of its first sub-allocation: the
 * stock DPDK PMD uses the id as an index below the sub-allocation count
 * (and refcounts per packet), and openvmm does the same. A packet may
 * carry several frames, one range and one sub-allocation each; the later
 * ones are chained to the first (sub_next) and all are freed by the
 * packet's single ACK, which must come on the channel the packet went
 * out on. An ACK naming anything else stops that channel, as a real
 * host does (EMU_LENIENT_RX_ACK only counts it).
 *
 * Cost matters here (docs/benchmarks.md: the emulator must never be the
 * bottleneck): untagged frames are copied once, straight into their
 * sub-allocation; a burst shares one VMBus packet per channel; the ACK
 * is checked without the generic NVSP parser when it is a plain one.
 *
 * This file holds the control messages' sends, the burst's entry, the
 * general per-frame path (filter, checksum, RSS pick, header templates)
 * that decides about any frame, and the ACK. While a burst's frames
 * share the template, runs take them instead, a call away:
 * emu_rxfast.c for queue 0 alone, emu_rxrss.c with RSS on; their
 * shared inline helpers are in emu_rx_inline.h.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "emu_net_priv.h"
#include "emu_offload.h"
#include "emu_rx_inline.h"

/* Transfer-page packet with n ranges; trans_id = first sub-allocation. */
static int
send_xfer(struct emu_net_queue *q, struct vmbus_xfer_page_range *r,
	  uint32_t n, uint32_t first, uint32_t chan_type, bool bad_range)
{
	struct emu_nic *nic = q->nic;
	uint8_t hdr[VMBUS_PKT_XFER_HDR_LEN(EMU_NET_RX_RANGES_MAX)];
	uint8_t m[NVSP_RESP_SIZE_V61];
	struct hv_sg sg[2];
	int mlen, hlen;

	if (bad_range) {
		/* Starts inside, ends past the buffer: guests must refuse it. */
		r[0].byte_offset = nic->rxbuf_size - 8u;
		emu_net_log(nic, "fault bad-xfer-range: range %u+%u",
			    r[0].byte_offset, r[0].byte_count);
	}
	mlen = nvsp_host_build_rndis_pkt(m, sizeof(m), nic->version, chan_type);
	if (mlen < 0)
		return mlen;
	hlen = vmbus_pkt_build_xfer(hdr, sizeof(hdr), nic->rxbuf_id, r, n,
				    (size_t)mlen, first, 0);
	if (hlen < 0)
		return hlen;
	sg[0].base = hdr;
	sg[0].len = (uint32_t)hlen;
	sg[1].base = m;
	sg[1].len = (uint32_t)mlen;
	return emu_net_send(q, sg, 2);
}

/*
 * A packet of n ranges (r, right after its header xh): send_xfer
 * without copying the ranges into a header of its own. The general
 * path's packets and the RSS run's (emu_rxrss.c).
 */
int
emu_rx_send_xfer_batch(struct emu_net_queue *q, struct vmbus_xfer_page_hdr *xh,
		       struct vmbus_xfer_page_range *r, uint32_t n,
		       uint32_t first, bool bad_range)
{
	struct emu_nic *nic = q->nic;
	uint8_t m[NVSP_RESP_SIZE_V61];
	struct hv_sg sg[2];
	int mlen, hlen;

	if (bad_range) {
		/* Starts inside, ends past the buffer: guests must refuse it. */
		r[0].byte_offset = nic->rxbuf_size - 8u;
		emu_net_log(nic, "fault bad-xfer-range: range %u+%u",
			    r[0].byte_offset, r[0].byte_count);
	}
	mlen = nvsp_host_build_rndis_pkt(m, sizeof(m), nic->version,
					 NVSP_CHANNEL_TYPE_DATA);
	if (mlen < 0)
		return mlen;
	/* Every range is a staged sub-allocation's: none is empty. */
	hlen = vmbus_pkt_build_xfer_hdr(xh, nic->rxbuf_id, n, (size_t)mlen,
					first, 0);
	if (hlen < 0)
		return hlen;
	sg[0].base = xh;
	sg[0].len = (uint32_t)hlen;
	sg[1].base = m;
	sg[1].len = (uint32_t)mlen;
	return emu_net_send(q, sg, 2);
}

int
emu_rx_send_ctrl(struct emu_nic *nic, const void *msg, uint32_t len)
{
	struct emu_net_queue *q = nic->q[0];
	struct vmbus_xfer_page_range r;
	uint32_t idx;
	int rc;

	if (q == NULL || q->broken || !nic->rxbuf_on)
		return -EAGAIN;
	if (len > nic->sub_size)
		return -EMSGSIZE;
	rc = emu_rx_sub_alloc(nic, EMU_RX_POOL_CTRL, &idx);
	if (rc != 0)
		return rc;
	nic->sub_chan[idx] = 0;
	memcpy(nic->rxbuf + (size_t)idx * nic->sub_size, msg, len);
	r.byte_count = len;
	r.byte_offset = idx * nic->sub_size;
	rc = send_xfer(q, &r, 1, idx, NVSP_CHANNEL_TYPE_CONTROL, false);
	if (rc != 0)
		emu_rx_sub_release(nic, idx);
	return rc;
}

/* ---- Data frames from the wire ---- */

static inline __attribute__((always_inline)) bool
filter_pass(const struct emu_nic *nic, const uint8_t *dst)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint32_t f = nic->filter;

	if (f & RNDIS_PACKET_TYPE_PROMISCUOUS)
		return true;
	if (memcmp(dst, bcast, sizeof(bcast)) == 0)
		return (f & RNDIS_PACKET_TYPE_BROADCAST) != 0;
	if (dst[0] & 1u)
		return (f & (RNDIS_PACKET_TYPE_MULTICAST |
			     RNDIS_PACKET_TYPE_ALL_MULTICAST)) != 0;
	return (f & RNDIS_PACKET_TYPE_DIRECTED) &&
	       memcmp(dst, emu_dev_mac(nic->dev), 6) == 0;
}

/* RSS: the queue the indirection table names, and the hash PPIs in
 * meta when the host is configured to send them. */
static unsigned int
rss_pick(const struct emu_nic *nic, const uint8_t *f, size_t len,
	 struct rndis_pkt_meta *meta)
{
	uint8_t in[36];
	uint32_t type = 0, hash;
	size_t n;
	unsigned int qi;

	if (!nic->rss_on || nic->rss_entries == 0)
		return 0;
	n = emu_rss_input(f, len, nic->rss_hash_info & NDIS_HASH_TYPE_MASK, in,
			  &type);
	if (n == 0)
		return 0;
	/* Rows for rss_key: synced at the burst's start. */
	hash = emu_toeplitz_hash(&nic->rss_tz, in, n);
	if (nic->net->cfg.rx_hash_ppi) {
		meta->present |= RNDIS_META_HASH_VALUE | RNDIS_META_HASH_INFO;
		meta->hash_value = hash;
		meta->hash_info = NDIS_HASH_FUNCTION_TOEPLITZ | type;
	}
	qi = nic->rss_table[hash % nic->rss_entries];
	/* A queue the guest closed again falls back to the primary. */
	return qi < EMU_NET_MAX_QUEUES && nic->q[qi] != NULL ? qi : 0;
}

/* Hardening faults on the RNDIS message just written. */
static void
corrupt_msg(struct emu_nic *nic, uint8_t *msg, uint32_t *msg_len)
{
	struct rndis_packet_msg h;
	uint32_t v;

	if (hv_likely(nic->faults[EMU_FAULT_BAD_RNDIS_LEN] == 0 &&
		      nic->faults[EMU_FAULT_BAD_PPI] == 0))
		return;
	memcpy(&h, msg, sizeof(h));
	if (emu_fault_take(nic, EMU_FAULT_BAD_RNDIS_LEN)) {
		h.msg_len = *msg_len + nic->sub_size;
		memcpy(msg, &h, sizeof(h));
		emu_net_log(nic, "fault bad-rndis-len: msg_len %u in a %u-byte range",
			    h.msg_len, *msg_len);
	}
	if (h.ppi_len != 0 && emu_fault_take(nic, EMU_FAULT_BAD_PPI)) {
		v = 0;
		memcpy(msg + RNDIS_BODY_OFFSET + h.ppi_offset, &v, sizeof(v));
		emu_net_log(nic, "fault bad-ppi: first PPI size 0");
	}
}

/* Same metadata as the template's, the hash value aside? */
static bool
tpl_match(const struct emu_rx_hdr_tpl *t, const struct rndis_pkt_meta *meta)
{
	return t->valid && t->present == meta->present && t->csum == meta->csum &&
	       t->hash_info == meta->hash_info && t->vlan_tci == meta->vlan_tci;
}

/*
 * Keep the header just encoded at hdr as the template for meta. The hash
 * value's offset follows from the encoder's fixed PPI order; it is
 * checked against the bytes written, so an encoder that changed its
 * order only costs the template, never a wrong header.
 */
static void
tpl_store(struct emu_rx_hdr_tpl *t, const uint8_t *hdr, uint32_t hdr_len,
	  uint32_t ppi_end, uint32_t msg_len, const struct rndis_pkt_meta *meta)
{
	struct rndis_pkt_meta before = {
		.present = meta->present & (RNDIS_META_HASH_VALUE - 1u),
	};
	struct rndis_ppi_hdr ph;
	uint32_t v;

	t->valid = false;
	/* LSO and fragment PPIs have more fields than the key holds. */
	if (ppi_end > sizeof(t->bytes) ||
	    (meta->present & (RNDIS_META_LSO | RNDIS_META_PKTINFO_ID)) != 0)
		return;
	t->hash_off = 0;
	if (meta->present & RNDIS_META_HASH_VALUE) {
		t->hash_off = rndis_pkt_hdr_len(&before) + (uint32_t)sizeof(ph);
		if (t->hash_off + sizeof(v) > ppi_end)
			return;
		memcpy(&ph, hdr + t->hash_off - sizeof(ph), sizeof(ph));
		memcpy(&v, hdr + t->hash_off, sizeof(v));
		if (ph.type != RNDIS_PPI_HASH_VALUE || v != meta->hash_value)
			return;
	}
	memset(t->bytes, 0, sizeof(t->bytes));
	memcpy(t->bytes, hdr, ppi_end);
	t->hdr_len = hdr_len;
	t->msg_len = msg_len;
	t->present = meta->present;
	t->csum = meta->csum;
	t->hash_info = meta->hash_info;
	t->vlan_tci = meta->vlan_tci;
	t->valid = true;
}

/*
 * The template's header for a frame of len bytes. The block copy has a
 * fixed size (a few vector moves, no call); bytes past the PPIs land in
 * the headroom before the frame, where the frame is copied next, or
 * past msg_len: never read as data.
 */
static uint32_t
tpl_put(const struct emu_rx_hdr_tpl *t, uint8_t *dst, uint32_t len,
	const struct rndis_pkt_meta *meta)
{
	memcpy(dst, t->bytes, sizeof(t->bytes));
	put_u32(dst + offsetof(struct rndis_packet_msg, msg_len),
		t->msg_len != 0 ? t->msg_len : t->hdr_len + len);
	put_u32(dst + offsetof(struct rndis_packet_msg, data_len), len);
	if (t->hash_off != 0)
		put_u32(dst + t->hash_off, meta->hash_value);
	return t->hdr_len;
}

/*
 * The one copy of a received frame into its sub-allocation, for the
 * paths that copy frame by frame (a single-queue run copies its frames
 * in rx_copy_run; one that sums them, the loopback's minimum frames,
 * as it stages them).
 */
__attribute__((noinline)) void
emu_rx_frame_copy(uint8_t *dst, const uint8_t *f, size_t len)
{
	/* 64 bytes (RFC 2544's smallest, testpmd's): fixed moves, no
	 * offsets to work out. */
	if (len == 64) {
		memcpy(dst, f, 64);
		return;
	}
	/* Full-size frames next (rx_copy tests them after 32..64). */
	if (len - 257 <= 4096 - 257) {
		emu_copy_mid(dst, f, len);
		return;
	}
	rx_copy(dst, f, len);
}

/* RNDIS header, PPIs and the frame, written once into sub-allocation idx. */
static int
rx_write(struct emu_nic *nic, uint32_t idx, const uint8_t *f, size_t len,
	 const struct rndis_pkt_meta *meta, uint32_t *msg_len)
{
	struct emu_rx_hdr_tpl *t = &nic->rxb->tpl;
	uint8_t *dst = nic->rxbuf + (size_t)idx * nic->sub_size;
	int off;

	/* rx_frame_check bounds len by the MTU, sub_size has the headroom:
	 * the template's header and the frame always fit. */
	if (tpl_match(t, meta) && len != 0 &&
	    (size_t)t->hdr_len + len <= nic->sub_size) {
		off = (int)tpl_put(t, dst, (uint32_t)len, meta);
	} else {
		off = rndis_pkt_encode(dst, nic->sub_size, meta, (uint32_t)len,
				       nic->rx_frame_off);
		if (off < 0 || (size_t)off + len > nic->sub_size)
			return off < 0 ? off : -EMSGSIZE;
		/* A real host claims the whole sub-allocation. */
		if (nic->rx_frame_off != 0)
			put_u32(dst + offsetof(struct rndis_packet_msg, msg_len),
				nic->sub_size);
		tpl_store(t, dst, (uint32_t)off, rndis_pkt_hdr_len(meta),
			  nic->rx_frame_off != 0 ? nic->sub_size : 0, meta);
	}
	emu_rx_frame_copy(dst + off, f, len);
	*msg_len = nic->rx_frame_off != 0 ? nic->sub_size :
					    (uint32_t)off + (uint32_t)len;
	corrupt_msg(nic, dst, msg_len);
	return 0;
}

/* Guest and link state: the same for every frame of a burst. */
static int
rx_ready(struct emu_nic *nic)
{
	if (!emu_dev_is_open(nic->dev) || !emu_nvsp_ready(nic) ||
	    nic->rndis != EMU_RNDIS_READY || nic->q[0] == NULL ||
	    nic->rxb == NULL || !nic->rxbuf_on) {
		nic->st.rx_drop_not_ready++;
		return -ENETDOWN;
	}
	if (!nic->link_up || nic->filter == 0) {
		nic->st.rx_drop_filter++;
		return -ENETDOWN;
	}
	emu_rx_pools_update(nic);
	return 0;
}

static int
rx_frame_check(struct emu_nic *nic, const uint8_t *frame, size_t len)
{
	if (frame == NULL || len < EMU_ETH_HLEN) {
		nic->rx_drop_other++;
		return -EINVAL;
	}
	/* A tag goes to a PPI, so it does not count against the MTU; an
	 * untagged frame gets no extra 4 bytes. */
	if (len > (size_t)nic->mtu &&
	    (len > (size_t)nic->mtu + EMU_VLAN_HLEN || frame[12] != 0x81 ||
	     frame[13] != 0x00)) {
		nic->st.rx_drop_too_big++;
		return -EMSGSIZE;
	}
	if (!filter_pass(nic, frame)) {
		nic->st.rx_drop_filter++;
		return -ENETDOWN;
	}
	return 0;
}

/* RNDIS_RXCSUM_* bits for frame f (see the EMU_RX_* flags). */
static uint32_t
rx_csum(struct emu_rx_batch *b, const uint8_t *f, size_t len, uint32_t flags)
{
	if (!(flags & EMU_RX_CSUM_GOOD))
		return emu_csum_verify(f, len);
	if (!(flags & EMU_RX_SAME_LAYOUT))
		return emu_csum_good(f, len);
	if (!b->csum_known || b->csum_len != len) {
		b->csum = emu_csum_good(f, len);
		b->csum_len = len;
		b->csum_known = true;
	}
	return b->csum;
}

/*
 * Per-packet info of a frame. Hosts always strip an 802.1Q tag into the
 * VLAN PPI: only a tagged frame is copied (to nic->frame) for that; *f
 * and *len then describe the stripped copy.
 */
static int
rx_meta(struct emu_nic *nic, const uint8_t **f, size_t *len, uint32_t flags,
	struct rndis_pkt_meta *meta)
{
	const uint8_t *p = *f;
	bool tagged;
	uint16_t tci;
	int n;

	memset(meta, 0, sizeof(*meta));
	meta->present = RNDIS_META_CSUM;
	if (*len >= EMU_ETH_HLEN + EMU_VLAN_HLEN && p[12] == 0x81 && p[13] == 0x00) {
		n = emu_vlan_strip(p, *len, nic->frame, EMU_NET_FRAME_MAX,
				   &tagged, &tci);
		if (n < (int)EMU_ETH_HLEN) {
			nic->rx_drop_other++;
			return -EINVAL;
		}
		meta->present |= RNDIS_META_VLAN;
		meta->vlan_tci = tci;
		*f = nic->frame;
		*len = (size_t)n;
	}
	meta->csum = rx_csum(nic->rxb, *f, *len, flags);
	return 0;
}

/*
 * Send the packet being assembled. On a full ring its sub-allocations
 * are given back and -EAGAIN says the burst must stop at its first
 * frame; any other failure drops its frames for good (rc[] of the
 * frames before end that were staged becomes -EIO) and returns 0.
 */
static int
rx_flush(struct emu_nic *nic, int *rc, unsigned int end)
{
	struct emu_rx_batch *b = nic->rxb;
	struct emu_chan_stats *st = &nic->qst[b->qi];
	uint32_t n = b->n;
	unsigned int j;
	int err;

	if (n == 0)
		return 0;
	b->n = 0;
	err = emu_rx_send_xfer_batch(nic->q[b->qi], &b->xh, b->r, n,
				     b->sub[0],
				     emu_fault_take(nic, EMU_FAULT_BAD_XFER_RANGE));
	if (err == 0) {
		st->rx_packets += n;
		st->rx_bytes += b->bytes;
		return 0;
	}
	(void)emu_rx_pkt_release(nic, b->sub[0]);
	if (err == -EAGAIN) {
		st->rx_drop_ring_full++;
		return -EAGAIN;
	}
	for (j = b->first_frame; j < end; j++)
		if (rc[j] == 0)
			rc[j] = -EIO;
	return 0;
}

/* Append sub-allocation idx (msg_len bytes, a frame of len) to the packet. */
static inline __attribute__((always_inline)) void
batch_add(struct emu_nic *nic, unsigned int qi, unsigned int i, uint32_t idx,
	  uint32_t msg_len, size_t len)
{
	struct emu_rx_batch *b = nic->rxb;

	if (b->n == 0) {
		b->qi = qi;
		b->first_frame = i;
		b->bytes = 0;
		nic->sub_chan[idx] = (uint8_t)qi;
	} else {
		nic->sub_busy[idx] = EMU_SUB_MEMBER;
		emu_rx_blk_chain(nic->sub_next, nic->sub_link, nic->sub_count,
				 b->sub[0]);
		nic->sub_next[b->sub[b->n - 1]] = idx;
	}
	b->sub[b->n] = idx;
	b->r[b->n].byte_count = msg_len;
	b->r[b->n].byte_offset = idx * nic->sub_size;
	b->n++;
	b->bytes += len;
}

/* A flush before frame i failed on a full ring: stop at its first frame. */
static int
batch_stop(struct emu_rx_batch *b)
{
	b->stopped = true;
	b->stop = b->first_frame;
	b->rc[b->first_frame] = -EAGAIN;
	return -EAGAIN;
}


/* May rx_fast (RSS on: the RSS run) use the template for the burst's
 * frames of csum_len? */
static void
rx_fast_check(struct emu_nic *nic)
{
	struct emu_rx_batch *b = nic->rxb;
	const struct emu_rx_hdr_tpl *t = &b->tpl;
	bool ok = b->csum_known && t->valid &&
		  t->present == RNDIS_META_CSUM && t->csum == b->csum &&
		  t->hash_info == 0 && t->vlan_tci == 0 && t->hash_off == 0 &&
		  t->msg_len == nic->sub_size &&
		  t->hdr_len >= RX_FAST_HDR &&
		  (size_t)t->hdr_len + b->csum_len <= nic->sub_size;

	b->tpl_fast = b->fast && ok;
	b->rss_tpl = b->rss_fast && ok;
}

/*
 * The common frame of a b->fast burst, with what the burst shares
 * looked at once (rx_fast_check): untagged, of the length whose checksum
 * bits are known, through the filter, for queue 0 with room in its
 * packet and pool. The same steps as the general path below; false:
 * take that path.
 */
static inline __attribute__((always_inline)) bool
rx_fast(struct emu_nic *nic, unsigned int i, const uint8_t *f, size_t len)
{
	struct emu_rx_batch *b = nic->rxb;
	const struct emu_rx_hdr_tpl *t = &b->tpl;
	struct emu_rx_pool *p = &nic->pool[0];
	uint8_t *dst;
	uint32_t idx;

	/* Unverified frames are summed in rx_fast_run or the general path. */
	if (b->verify)
		return false;
	if (len != b->csum_len || len < EMU_ETH_HLEN || len > (size_t)nic->mtu ||
	    (f[12] == 0x81 && f[13] == 0x00))
		return false;
	if (p->n == 0 || (b->n != 0 && (b->qi != 0 || b->n >= nic->rx_max_ranges)) ||
	    !filter_pass(nic, f))
		return false;
	if (emu_rx_sub_alloc(nic, 0, &idx) != 0)
		return false;
	dst = nic->rxbuf + (size_t)idx * nic->sub_size;
	memcpy(dst, t->bytes, RX_FAST_HDR);
	put_u32(dst + offsetof(struct rndis_packet_msg, msg_len), t->msg_len);
	put_u32(dst + offsetof(struct rndis_packet_msg, data_len), (uint32_t)len);
	emu_rx_frame_copy(dst + t->hdr_len, f, len);
	batch_add(nic, 0, i, idx, t->msg_len, len);
	return true;
}


static inline unsigned int
rx_fast_run(struct emu_nic *nic, const void *const *frames, const size_t *lens,
	    unsigned int i, unsigned int n, int *rc)
{
	if (nic->rxb->verify)
		return emu_rx_fast_run_verify(nic, frames, lens, i, n, rc);
	if (nic->filter & RNDIS_PACKET_TYPE_PROMISCUOUS)
		return emu_rx_fast_run_promisc(nic, frames, lens, i, n, rc);
	return emu_rx_fast_run_vouched(nic, frames, lens, i, n, rc);
}

static inline unsigned int
rx_rss_run(struct emu_nic *nic, const void *const *frames, const size_t *lens,
	   unsigned int i, unsigned int n, int *rc)
{
	if (nic->rxb->verify)
		return emu_rx_rss_run_verify(nic, frames, lens, i, n, rc);
	if (nic->filter & RNDIS_PACKET_TYPE_PROMISCUOUS)
		return emu_rx_rss_run_promisc(nic, frames, lens, i, n, rc);
	return emu_rx_rss_run_vouched(nic, frames, lens, i, n, rc);
}

void
emu_rx_batch_free(struct emu_nic *nic)
{
	unsigned int qi;

	if (nic->rxb == NULL)
		return;
	for (qi = 0; qi < EMU_NET_MAX_QUEUES; qi++)
		free(nic->rxb->qp[qi]);
	free(nic->rxb);
	nic->rxb = NULL;
}

/* Any frame: the general path. */
static __attribute__((noinline)) int
rx_frame_any(struct emu_nic *nic, unsigned int i, const uint8_t *f,
	     size_t len, uint32_t flags)
{
	struct emu_rx_batch *b = nic->rxb;
	struct rndis_pkt_meta meta;
	uint32_t idx, msg_len = 0;
	unsigned int qi;
	int rc;

	/* Until this frame succeeded: it may change the checksum bits. */
	b->tpl_fast = false;
	b->rss_tpl = false;
	rc = rx_frame_check(nic, f, len);

	if (rc == 0)
		rc = rx_meta(nic, &f, &len, flags, &meta);
	if (rc != 0)
		return rc;
	qi = rss_pick(nic, f, len, &meta);
	/* One packet per channel run, of at most rx_max_ranges frames. */
	if (b->n != 0 && (b->qi != qi || b->n >= nic->rx_max_ranges) &&
	    rx_flush(nic, b->rc, i) == -EAGAIN)
		return batch_stop(b);
	if (emu_rx_sub_alloc(nic, qi, &idx) != 0) {
		nic->qst[qi].rx_drop_no_buffer++;
		return -EAGAIN;
	}
	if (rx_write(nic, idx, f, len, &meta, &msg_len) != 0) {
		emu_rx_sub_release(nic, idx);
		return -EIO;
	}
	batch_add(nic, qi, i, idx, msg_len, len);
	if (b->fast || b->rss_fast) {
		/* Unverified frames: the next ones may take the template if
		 * they sum to these bits (rx_fast_run checks each). */
		if (b->verify) {
			b->csum_known = meta.present == RNDIS_META_CSUM;
			b->csum = meta.csum;
			b->csum_len = len;
		}
		rx_fast_check(nic);
	}
	return 0;
}

/* The short path stays in it, the general one is a call away. */
__attribute__((noinline)) int
emu_rx_frame(struct emu_nic *nic, unsigned int i, const uint8_t *f,
	     size_t len, uint32_t flags)
{
	if (nic->rxb->tpl_fast && f != NULL && rx_fast(nic, i, f, len))
		return 0;
	return rx_frame_any(nic, i, f, len, flags);
}

int
emu_nic_rx_burst(struct emu_nic *nic, const void *const *frames,
		 const size_t *lens, unsigned int n, uint32_t flags, int *rc)
{
	if (nic == NULL || (flags & ~EMU_RX_FLAGS_ALL) != 0 || n > INT_MAX ||
	    (n != 0 && (frames == NULL || lens == NULL || rc == NULL)))
		return -EINVAL;
	if (n == 0)
		return 0;
	if (hv_unlikely(nic->vf_steer))
		return emu_vf_rx_burst(nic, frames, lens, n, flags, rc);
	return emu_rx_burst_synth(nic, frames, lens, n, flags, rc);
}

int
emu_rx_burst_synth(struct emu_nic *nic, const void *const *frames,
		   const size_t *lens, unsigned int n, uint32_t flags, int *rc)
{
	struct emu_rx_batch *b;
	unsigned int i;
	int r;

	r = rx_ready(nic);
	if (r != 0) {
		rc[0] = r;
		return 0;
	}
	if (nic->rss_on)
		emu_toeplitz_sync(&nic->rss_tz, nic->rss_key);
	b = nic->rxb;
	b->n = 0;
	b->rc = rc;
	b->stopped = false;
	b->csum_known = false;
	b->tpl_fast = false;
	b->rss_tpl = false;
	/* Frames the backend vouches for share the first one's checksum
	 * bits (EMU_RX_SAME_LAYOUT); any other burst sums every frame
	 * (verify) and may still share the template frame by frame. A
	 * vouched burst without the same layout sums nothing but parses
	 * every frame: the general path. */
	b->verify = !(flags & EMU_RX_CSUM_GOOD);
	b->period = (flags & (EMU_RX_CSUM_GOOD | EMU_RX_SAME_LAYOUT)) ==
		    (EMU_RX_CSUM_GOOD | EMU_RX_SAME_LAYOUT) ?
		    flags >> EMU_RX_PERIOD_SHIFT : 0;
	b->fast = (b->verify || (flags & EMU_RX_SAME_LAYOUT) != 0) &&
		  (!nic->rss_on || nic->rss_entries == 0) &&
		  nic->rx_frame_off != 0 && !nic->rx_general &&
		  nic->faults[EMU_FAULT_BAD_RNDIS_LEN] == 0 &&
		  nic->faults[EMU_FAULT_BAD_PPI] == 0;
	/* With RSS, the same for the RSS run, for a host that sends no
	 * hash PPIs (Azure's), and without a mutation armed (its packets
	 * are sized for the ring before they are sent). */
	b->rss_fast = (b->verify || (flags & EMU_RX_SAME_LAYOUT) != 0) &&
		      nic->rss_on && nic->rss_entries != 0 &&
		      !nic->net->cfg.rx_hash_ppi && nic->mut_armed == 0 &&
		      nic->rx_frame_off != 0 && !nic->rx_general &&
		      nic->faults[EMU_FAULT_BAD_RNDIS_LEN] == 0 &&
		      nic->faults[EMU_FAULT_BAD_PPI] == 0;
	/* A vouched burst of one layout: the first frame's checksum bits,
	 * as the general path's rx_meta finds them for an untagged frame,
	 * say whether the template of earlier bursts fits, so that the
	 * runs start at the first frame (not after a packet of its own).
	 * A summed burst: the first frame's bits as rx_frame_any leaves
	 * them after it (the runs sum that frame again, as every other). */
	if ((b->fast || b->rss_fast) && frames[0] != NULL &&
	    lens[0] >= EMU_ETH_HLEN &&
	    (((const uint8_t *)frames[0])[12] != 0x81 ||
	     ((const uint8_t *)frames[0])[13] != 0x00)) {
		if (b->verify) {
			b->csum = emu_csum_verify(frames[0], lens[0]);
			b->csum_len = lens[0];
			b->csum_known = true;
		} else {
			(void)rx_csum(b, frames[0], lens[0], flags);
		}
		rx_fast_check(nic);
	}
	for (i = 0; i < n; i++) {
		if (b->tpl_fast) {
			i = rx_fast_run(nic, frames, lens, i, n, rc);
			if (i == n)
				break;
		} else if (b->rss_tpl) {
			/* The general path's packet goes first: a queue's
			 * frames stay in order. */
			if (rx_flush(nic, rc, i) == -EAGAIN) {
				rc[b->first_frame] = -EAGAIN;
				return (int)b->first_frame;
			}
			i = rx_rss_run(nic, frames, lens, i, n, rc);
			if (i == n)
				break;
		}
		r = emu_rx_frame(nic, i, frames[i], lens[i], flags);
		if (b->stopped)
			return (int)b->stop;
		rc[i] = r;
		if (r == -EAGAIN || r == -ENETDOWN)
			break;
	}
	if (rx_flush(nic, rc, i) == -EAGAIN) {
		rc[b->first_frame] = -EAGAIN;
		return (int)b->first_frame;
	}
	return (int)i;
}

int
emu_nic_rx_flags(struct emu_nic *nic, const void *frame, size_t len,
		 uint32_t flags)
{
	int rc = 0;
	int n = emu_nic_rx_burst(nic, &frame, &len, 1, flags, &rc);

	return n < 0 ? n : rc;
}

int
emu_nic_rx(struct emu_nic *nic, const void *frame, size_t len)
{
	return emu_nic_rx_flags(nic, frame, len, 0);
}

/* ---- The guest's RNDIS_ACK ---- */

/*
 * The common case without the generic NVSP parser: at least 8 bytes of
 * type 108 at a version whose rules allow it (cached per version). It
 * accepts exactly what nvsp_host_parse_request accepts as an ACK; any
 * other input takes the full parser, so errors are named as before.
 */
static bool
ack_fast(struct emu_nic *nic, const struct vmbus_pkt_info *pi,
	 uint32_t *status)
{
	struct {
		uint32_t type;
		uint32_t status;
	} m;

	if (pi->payload_len < sizeof(m))
		return false;
	memcpy(&m, pi->payload, sizeof(m));
	if (m.type != NVSP_MSG_TYPE_SEND_RNDIS_PKT_COMPLETE)
		return false;
	if (!nic->ack_cached || nic->ack_version != nic->version) {
		nic->ack_ok = nvsp_msg_type_allowed(m.type, nic->version);
		nic->ack_version = nic->version;
		nic->ack_cached = true;
	}
	if (!nic->ack_ok)
		return false;
	*status = m.status;
	return true;
}

enum ack_problem {
	ACK_OK,
	ACK_UNKNOWN,
	ACK_DUPLICATE,
	ACK_MEMBER,
	ACK_OTHER_CHANNEL,
};

static enum ack_problem
ack_check(const struct emu_nic *nic, const struct emu_net_queue *q, uint64_t id)
{
	if (id >= nic->sub_count)
		return ACK_UNKNOWN;
	if (nic->sub_busy[id] == EMU_SUB_FREE)
		return ACK_DUPLICATE;
	if (nic->sub_busy[id] == EMU_SUB_MEMBER)
		return ACK_MEMBER;
	if (nic->sub_chan[id] != q->id)
		return ACK_OTHER_CHANNEL;
	return ACK_OK;
}

/*
 * A real host stops the channel on an ACK it cannot match: the guest
 * has lost track of its receive buffers (EMU_LENIENT_RX_ACK: go on).
 */
static void
bad_ack(struct emu_net_queue *q, uint64_t id, enum ack_problem p)
{
	struct emu_nic *nic = q->nic;
	bool stop = !(nic->net->cfg.lenient & EMU_LENIENT_RX_ACK);
	const char *end = stop ? "; channel stopped" : "";
	unsigned long long x = (unsigned long long)id;

	nic->qst[q->id].rx_ack_errors++;
	if (p == ACK_UNKNOWN)
		emu_net_proto_error(nic, q, "NVSP RNDIS_ACK: unknown trans_id %llu (%u receive sub-allocations)%s",
				    x, nic->sub_count, end);
	else if (p == ACK_DUPLICATE)
		emu_net_proto_error(nic, q, "NVSP RNDIS_ACK: duplicate: trans_id %llu names no outstanding packet%s",
				    x, end);
	else if (p == ACK_MEMBER)
		emu_net_proto_error(nic, q, "NVSP RNDIS_ACK: trans_id %llu is a later range of a packet, not a packet's id%s",
				    x, end);
	else
		emu_net_proto_error(nic, q, "NVSP RNDIS_ACK: trans_id %llu: the packet went out on channel %u%s",
				    x, nic->sub_chan[id], end);
	if (stop)
		q->broken = true;
}

void
emu_rx_ack(struct emu_net_queue *q, const struct vmbus_pkt_info *pi)
{
	struct emu_nic *nic = q->nic;
	struct nvsp_request r;
	uint64_t id = pi->trans_id;
	uint32_t status = NVSP_STATUS_SUCCESS;
	enum ack_problem why;

	/* Completions of our own VF / data-path notifications. */
	if (id == EMU_NET_XID_VF_ASSOC || id == EMU_NET_XID_DATAPATH)
		return;
	if (!ack_fast(nic, pi, &status)) {
		if (nvsp_host_parse_request(pi->payload, pi->payload_len,
					    nic->version, &r) != 0 ||
		    r.type != NVSP_MSG_TYPE_SEND_RNDIS_PKT_COMPLETE) {
			emu_net_proto_error(nic, q, "completion trans_id %llu: not an RNDIS_ACK (%u bytes)",
					    (unsigned long long)id, pi->payload_len);
			return;
		}
		status = r.rndis_complete.status;
	}
	why = ack_check(nic, q, id);
	if (hv_unlikely(why != ACK_OK)) {
		bad_ack(q, id, why);
		return;
	}
	if (status != NVSP_STATUS_SUCCESS)
		emu_net_trace(nic, q, "RNDIS_ACK %llu with status %u",
			      (unsigned long long)id, status);
	/* Counted per frame, as when every frame had a packet of its own. */
	nic->qst[q->id].acks_received += emu_rx_pkt_release(nic, (uint32_t)id);
}
