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
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "emu_csum_fast.h"
#include "emu_net_priv.h"
#include "emu_offload.h"
#include "emu_rss_fast.h"
#include "emu_rss_memo.h"

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
 * without copying the ranges into a header of its own.
 */
static int
send_xfer_batch(struct emu_net_queue *q, struct vmbus_xfer_page_hdr *xh,
		struct vmbus_xfer_page_range *r, uint32_t n, uint32_t first,
		bool bad_range)
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

static void
put_u32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
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

/* Up to 64 bytes (minimum frames): two overlapping fixed-size copies,
 * no call. 257 bytes to 4 KB (full-size frames): straight to the
 * vector copy for that range. Jumbo frames: streamed to the guest's
 * core (emu_copy_nt). */
static inline __attribute__((always_inline)) void
rx_copy(uint8_t *dst, const uint8_t *f, size_t len)
{
	if (len >= 32 && len <= 64) {
		memcpy(dst, f, 32);
		memcpy(dst + len - 32, f + len - 32, 32);
		return;
	}
	if (len - 257 <= 4096 - 257) {
		emu_copy_mid(dst, f, len);
		return;
	}
	if (len > 4096) {
		emu_copy_nt(dst, f, len);
		return;
	}
	emu_copy(dst, f, len);
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
	err = send_xfer_batch(nic->q[b->qi], &b->xh, b->r, n, b->sub[0],
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

typedef uint8_t rx_v16 __attribute__((vector_size(16)));

/* Bytes of the template copied by rx_fast: the PACKET_MSG header and a
 * checksum PPI (the rest of the block is headroom). */
#define RX_FAST_HDR 64u
_Static_assert(sizeof(struct rndis_packet_msg) + sizeof(struct rndis_ppi_hdr) +
	       sizeof(uint32_t) <= RX_FAST_HDR && RX_FAST_HDR <= EMU_RX_HDR_MAX,
	       "rx_fast copies the header and the checksum PPI");

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

/* 81 00 read as a host-order u16. */
static inline uint16_t
rx_tag_tpid_raw(void)
{
	static const uint8_t tpid[2] = { 0x81, 0x00 };
	uint16_t v;

	memcpy(&v, tpid, sizeof(v));
	return v;
}

/* The 6 bytes at p in the low bits of a u64 (host order). */
static inline uint64_t
rx_mac48(const uint8_t *p)
{
	uint32_t lo;
	uint16_t hi;

	memcpy(&lo, p, sizeof(lo));
	memcpy(&hi, p + 4, sizeof(hi));
	return (uint64_t)lo | (uint64_t)hi << 32;
}

/* filter_pass with the filter and the NIC's MAC in registers (a run
 * reads them once): the same decisions in the same order. */
static inline __attribute__((always_inline)) bool
rx_filter_run(uint32_t filter, uint64_t mac, const uint8_t *dst)
{
	uint64_t d;

	if (filter & RNDIS_PACKET_TYPE_PROMISCUOUS)
		return true;
	d = rx_mac48(dst);
	if (d == 0xffffffffffffull)
		return (filter & RNDIS_PACKET_TYPE_BROADCAST) != 0;
	if (dst[0] & 1u)
		return (filter & (RNDIS_PACKET_TYPE_MULTICAST |
				  RNDIS_PACKET_TYPE_ALL_MULTICAST)) != 0;
	return (filter & RNDIS_PACKET_TYPE_DIRECTED) && d == mac;
}

/* Any other frame: out of line, off the loop's common path. */
static __attribute__((noinline, cold)) uint32_t
rx_csum_verify_other(const uint8_t *f, size_t len)
{
	return emu_csum_verify_parsed(f, len);
}

/* May rx_fast_run take frame f (the checks of rx_fast, verify: and
 * its checksum bits are the template's)? */
static inline __attribute__((always_inline)) bool
rx_fast_ok(const uint8_t *f, size_t len, size_t clen, uint32_t filter,
	   uint64_t mac, bool promisc, bool verify, uint32_t csum,
	   bool v4len)
{
	uint16_t type;
	uint32_t r;

	if (len != clen || f == NULL)
		return false;
	/* The common frame summed inline is IPv4 (08 00): not tagged.
	 * v4len: clen is a length it takes (checked once a run). */
	if (verify && v4len && hv_likely(emu_csum_verify_v4_sized(f, clen, &r)))
		return r == csum && (promisc || rx_filter_run(filter, mac, f));
	/* The EtherType as stored, 81 00 (802.1Q) in one compare. */
	memcpy(&type, f + 12, sizeof(type));
	return type != rx_tag_tpid_raw() &&
	       (promisc || rx_filter_run(filter, mac, f)) &&
	       (!verify || rx_csum_verify_other(f, clen) == csum);
}

/*
 * How many of the cnt frames at fp rx_fast_ok takes, from the first on:
 * the checks (and the sums) of a run in a loop of their own, with few
 * values live, before the staging loop takes that many without checks.
 */
static inline __attribute__((always_inline)) unsigned int
rx_fast_scan(const void *const *fp, const size_t *lp, unsigned int cnt,
	     size_t clen, uint32_t filter, uint64_t mac, bool promisc,
	     bool verify, uint32_t csum, bool v4len)
{
	size_t k; /* an index register, stepped without a 32-bit copy */

	/* Four a round where nothing is summed (one index step and
	 * compare for four frames' three tests). */
	if (!verify)
		for (k = 0; k + 4 <= cnt; k += 4) {
			if (!rx_fast_ok(fp[k], lp[k], clen, filter, mac, promisc,
					false, 0, false))
				return (unsigned int)k;
			if (!rx_fast_ok(fp[k + 1], lp[k + 1], clen, filter, mac,
					promisc, false, 0, false))
				return (unsigned int)k + 1;
			if (!rx_fast_ok(fp[k + 2], lp[k + 2], clen, filter, mac,
					promisc, false, 0, false))
				return (unsigned int)k + 2;
			if (!rx_fast_ok(fp[k + 3], lp[k + 3], clen, filter, mac,
					promisc, false, 0, false))
				return (unsigned int)k + 3;
		}
	else
		k = 0;
	for (; k < cnt; k++)
		if (!rx_fast_ok(fp[k], lp[k], clen, filter, mac, promisc, verify,
				csum, v4len))
			break;
	return (unsigned int)k;
}

/* rx_fast_scan of a run the backend vouched for (nothing summed): a
 * function of its own, so its loop has the registers to itself. */
static __attribute__((noinline)) unsigned int
rx_fast_scan_vouched(const void *const *fp, const size_t *lp, unsigned int cnt,
		     size_t clen, uint32_t filter, uint64_t mac)
{
	if (filter & RNDIS_PACKET_TYPE_PROMISCUOUS)
		return rx_fast_scan(fp, lp, cnt, clen, filter, mac, true, false,
				    0, false);
	return rx_fast_scan(fp, lp, cnt, clen, filter, mac, false, false, 0,
			    false);
}

/*
 * The loopback's common run (the guest's own minimum frames: IPv4, UDP
 * without a checksum, the template's bits IP_OK | UDP_OK): the frames
 * from the first on that rx_fast_ok takes for the same reason, with the
 * verdict's branches and its comparison left out (emu_cs_udp0_run_ok
 * holds only for unpadded frames emu_csum_verify_v4_sized answers those
 * bits for with a zero UDP checksum, test_emu_offload compares them).
 * It stops at any other frame: rx_fast_scan decides about that one, so
 * the frames taken are the ones rx_fast_scan alone takes.
 */
static inline __attribute__((always_inline)) unsigned int
rx_fast_scan_udp0(const void *const *fp, const size_t *lp, unsigned int cnt,
		  size_t clen, uint32_t filter, uint64_t mac, bool promisc)
{
	struct emu_cs_udp0_run r;
	size_t k;

	emu_cs_udp0_run_init(&r, clen);
	for (k = 0; k < cnt; k++) {
		const uint8_t *f = fp[k];

		if (lp[k] != clen || f == NULL || !emu_cs_udp0_run_ok(&r, f) ||
		    (!promisc && !rx_filter_run(filter, mac, f)))
			break;
	}
	return (unsigned int)k;
}

/* rx_fast_scan of a run that sums its frames: a function of its own
 * (one call a run), so its loop has the registers to itself. A frame
 * the common run's loop declines (a padded one, say) goes through
 * rx_fast_scan alone, and the loop takes up again after it. */
static __attribute__((noinline)) unsigned int
rx_fast_scan_verify(const void *const *fp, const size_t *lp, unsigned int cnt,
		    size_t clen, uint32_t filter, uint64_t mac, uint32_t csum)
{
	bool promisc = (filter & RNDIS_PACKET_TYPE_PROMISCUOUS) != 0;
	unsigned int k = 0;

	if (!emu_csum_v4_len_ok(clen))
		return rx_fast_scan(fp, lp, cnt, clen, filter, mac, false, true,
				    csum, false);
	if (csum != (RNDIS_RXCSUM_IP_OK | RNDIS_RXCSUM_UDP_OK) || clen < 42u)
		return rx_fast_scan(fp, lp, cnt, clen, filter, mac, false, true,
				    csum, true);
	while (k < cnt) {
		if (promisc)
			k += rx_fast_scan_udp0(fp + k, lp + k, cnt - k, clen,
					       filter, mac, true);
		else
			k += rx_fast_scan_udp0(fp + k, lp + k, cnt - k, clen,
					       filter, mac, false);
		if (k == cnt ||
		    rx_fast_scan(fp + k, lp + k, 1, clen, filter, mac, false,
				 true, csum, true) == 0)
			break;
		k++;
	}
	return k;
}

/*
 * The copies of m staged frames: frame k to base (the buffer plus the
 * header's length) + r[k].byte_offset. Full-size frames in one call
 * (emu_copy_mid_run: the length's way into the copy found once), the
 * 64-byte ones as four fixed moves each, any other length per frame.
 */
_Static_assert(sizeof(struct vmbus_xfer_page_range) == 2 * sizeof(uint32_t),
	       "a range is two u32s: emu_copy_mid_run steps 2 of them");

static __attribute__((noinline)) void
rx_copy_run(uint8_t *base, const struct vmbus_xfer_page_range *r,
	    const void *const *fp, size_t m, size_t clen)
{
	size_t k;

	if (clen - 257 <= 4096 - 257) {
		emu_copy_mid_run(base, &r->byte_offset, 2, fp, m, clen);
		return;
	}
	if (clen == 64) {
		for (k = 0; k < m; k++)
			memcpy(base + r[k].byte_offset, fp[k], 64);
		return;
	}
	for (k = 0; k < m; k++)
		rx_copy(base + r[k].byte_offset, fp[k], clen);
}

/* Header and range of a staged frame in sub-allocation idx (small: and
 * the frame f). */
static inline __attribute__((always_inline)) void
rx_stage_one(uint8_t *rxbuf, uint32_t idx, uint32_t size, uint32_t ml,
	     rx_v16 h0, rx_v16 h1, rx_v16 h2, rx_v16 h3,
	     struct vmbus_xfer_page_range *rp, const uint8_t *f, uint32_t hl,
	     size_t clen, const bool small)
{
	uint64_t at = (uint64_t)idx * size;
	uint8_t *dst = rxbuf + at;

	memcpy(dst, &h0, 16);
	memcpy(dst + 16, &h1, 16);
	memcpy(dst + 32, &h2, 16);
	memcpy(dst + 48, &h3, 16);
	/* small: the frame (32..64 bytes) in the same pass, no call (a
	 * constant clen: fixed offsets from one address). */
	if (small) {
		uint8_t *fd = dst + hl;

		memcpy(fd, f, 32);
		memcpy(fd + clen - 32, f + clen - 32, 32);
	}
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* The range, { byte_count, byte_offset }, in one store. */
	at = at << 32 | ml;
	memcpy(rp, &at, sizeof(at));
#else
	rp->byte_count = ml;
	rp->byte_offset = (uint32_t)at;
#endif
}

/*
 * Are the top k ids of a pool's stack (top[-1] the next handed out) the
 * block lo .. lo + k - 1, in either order? A block release leaves its
 * block ascending from the top, a chain release descending: either way
 * the frames can take them in ascending order. Eight a round.
 */
typedef uint32_t rx_v4u __attribute__((vector_size(16)));

static inline __attribute__((always_inline)) bool
rx_stack_block(const uint32_t *top, uint32_t k, uint32_t *lo)
{
	const uint32_t *s = top - k; /* s[m] must be a + m * d */
	uint32_t a = s[0], d, m, bad;
	rx_v4u want, step, acc = { 0, 0, 0, 0 }, v, w;

	if (k == 1) {
		*lo = a;
		return true;
	}
	/* The ends first: a stack that is no block nearly always fails
	 * there, without the loop. */
	d = s[1] - a;
	if ((d != 1u && d != UINT32_MAX) || s[k - 1] != a + (k - 1) * d)
		return false;
	want = (rx_v4u){ a, a + d, a + 2u * d, a + 3u * d };
	step = (rx_v4u){ 4u * d, 4u * d, 4u * d, 4u * d };
	for (m = 0; m + 8 <= k; m += 8) {
		memcpy(&v, s + m, sizeof(v));
		memcpy(&w, s + m + 4, sizeof(w));
		acc |= v ^ want;
		want += step;
		acc |= w ^ want;
		want += step;
	}
	bad = acc[0] | acc[1] | acc[2] | acc[3];
	for (; m < k; m++)
		bad |= s[m] ^ (a + m * d);
	/* Ids are below sub_count: a match cannot wrap around. */
	*lo = d == 1u ? a : a - (k - 1);
	return bad == 0;
}

/* rx_stage_one for the k frames at fp in the block idx, idx + 1, ...:
 * the destination and the range step by the sub-allocation's size. */
static inline __attribute__((always_inline)) void
rx_stage_block(uint8_t *rxbuf, uint32_t idx, uint32_t size, uint32_t ml,
	       rx_v16 h0, rx_v16 h1, rx_v16 h2, rx_v16 h3,
	       struct vmbus_xfer_page_range *rp, const void *const *fp,
	       uint32_t k, uint32_t hl, size_t clen, const bool small)
{
	uint64_t at = (uint64_t)idx * size;
	uint8_t *dst = rxbuf + at;
	/* { byte_count, byte_offset } as one u64 (little-endian) */
	uint64_t rv = at << 32 | ml, step = (uint64_t)size << 32;
	struct vmbus_xfer_page_range *rend = rp + k;

	for (; rp != rend; rp++, fp++, dst += size, rv += step) {
		memcpy(dst, &h0, 16);
		memcpy(dst + 16, &h1, 16);
		memcpy(dst + 32, &h2, 16);
		memcpy(dst + 48, &h3, 16);
		if (small) {
			const uint8_t *f = *fp;
			uint8_t *fd = dst + hl;

			memcpy(fd, f, 32);
			memcpy(fd + clen - 32, f + clen - 32, 32);
		}
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		memcpy(rp, &rv, sizeof(rv));
#else
		rp->byte_count = ml;
		rp->byte_offset = (uint32_t)(rv >> 32);
#endif
	}
}

/* The ranges of k frames in the block idx, idx + 1, ... (their headers
 * and frames are written by emu_copy_mid_blk): two a store. */
typedef uint64_t rx_v2u __attribute__((vector_size(16)));

static inline __attribute__((always_inline)) void
rx_stage_ranges(uint32_t idx, uint32_t size, uint32_t ml,
		struct vmbus_xfer_page_range *rp, uint32_t k)
{
	uint64_t at = (uint64_t)idx * size;
	uint32_t j;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* { byte_count, byte_offset } as one u64 */
	uint64_t rv = at << 32 | ml, step = (uint64_t)size << 32;
	rx_v2u v = { rv, rv + step }, st = { 2 * step, 2 * step };

	for (j = 0; j + 2 <= k; j += 2) {
		memcpy(rp + j, &v, sizeof(v));
		v += st;
	}
	if (j < k) {
		rv = v[0];
		memcpy(rp + j, &rv, sizeof(rv));
	}
#else
	for (j = 0; j < k; j++) {
		rp[j].byte_count = ml;
		rp[j].byte_offset = (uint32_t)(at + (uint64_t)j * size);
	}
#endif
}

/* A block of the stack's top: ids lo .. lo + k - 1. */
struct rx_seg {
	uint32_t lo, k;
};

/* More blocks than this in a packet: a chain is as cheap. */
#define RX_SEGS_MAX 16u

/*
 * The top k ids of a pool's stack as blocks (each ascending or
 * descending from the top), in the order they are popped: how many (0:
 * more than RX_SEGS_MAX). Partial takes when the guest holds most
 * buffers leave the stack in a few pieces; a piece's release puts it
 * back ascending, next to the rest of its block, so pieces join again.
 */
static __attribute__((noinline)) unsigned int
rx_stack_segs(const uint32_t *top, uint32_t k, struct rx_seg *sg)
{
	const uint32_t *p = top, *end = top - k;
	unsigned int ns = 0;
	uint32_t t, d, e, len;

	while (p != end) {
		t = p[-1];
		d = 1u;
		if (p - 1 != end) {
			d = p[-2] - t;
			if (d != 1u && d != UINT32_MAX)
				d = 1u;
		}
		len = 1;
		e = t + d;
		/* Eight ids a round while they follow (p[-1 - len] must be
		 * e, p[-2 - len] e + d, ...), then one by one. */
		if (p - end >= 9) {
			rx_v4u wb = { e + 3u * d, e + 2u * d, e + d, e };
			rx_v4u wa = wb + 4u * d, st = { 8u * d, 8u * d, 8u * d, 8u * d };
			rx_v4u v, w, x;
			rx_v2u y;

			while ((size_t)(p - end) >= len + 8u) {
				memcpy(&v, p - len - 8, sizeof(v));
				memcpy(&w, p - len - 4, sizeof(w));
				x = (v ^ wa) | (w ^ wb);
				memcpy(&y, &x, sizeof(y));
				if ((y[0] | y[1]) != 0)
					break;
				len += 8;
				e += 8u * d;
				wa += st;
				wb += st;
			}
		}
		for (; p - len != end && p[-1 - (ptrdiff_t)len] == e; e += d)
			len++;
		if (ns == RX_SEGS_MAX)
			return 0;
		/* Ids are below sub_count: a descending run cannot wrap. */
		sg[ns].lo = d == 1u ? t : t - (len - 1);
		sg[ns].k = len;
		ns++;
		p -= len;
	}
	return ns;
}

/*
 * A new packet of the ns blocks sg (the frames at fp, ranges at rp, in
 * that order): busy marks, each block's EMU_SUB_BLK record and link,
 * ranges, headers and (mid, small) the frames. Out of line: the packet
 * of one block is the common one. Returns the packet's last id.
 */
static __attribute__((noinline)) uint32_t
rx_stage_segs(struct emu_nic *nic, const struct rx_seg *sg, unsigned int ns,
	      const uint8_t *hdr, uint32_t ml, struct vmbus_xfer_page_range *rp,
	      const void *const *fp, uint32_t hl, size_t clen, bool small,
	      bool mid)
{
	uint8_t *rxbuf = nic->rxbuf, *busy = nic->sub_busy;
	uint32_t *nexts = nic->sub_next, *links = nic->sub_link;
	uint32_t size = nic->sub_size, lo, k;
	rx_v16 h0, h1, h2, h3;
	unsigned int j;

	memcpy(&h0, hdr, 16);
	memcpy(&h1, hdr + 16, 16);
	memcpy(&h2, hdr + 32, 16);
	memcpy(&h3, hdr + 48, 16);
	for (j = 0; j < ns; j++) {
		lo = sg[j].lo;
		k = sg[j].k;
		busy[lo] = j == 0 ? EMU_SUB_DATA : EMU_SUB_MEMBER;
		memset(busy + lo + 1, EMU_SUB_MEMBER, k - 1);
		nexts[lo] = EMU_SUB_BLK | (j + 1 < ns ? EMU_SUB_SEG : 0u) | k;
		if (j + 1 < ns)
			links[lo] = sg[j + 1].lo;
		if (mid) {
			rx_stage_ranges(lo, size, ml, rp, k);
			emu_copy_mid_blk(rxbuf + (size_t)lo * size, size, hdr,
					 hl, fp, k, clen);
		} else if (small) {
			rx_stage_block(rxbuf, lo, size, ml, h0, h1, h2, h3, rp,
				       fp, k, hl, clen, true);
		} else {
			rx_stage_block(rxbuf, lo, size, ml, h0, h1, h2, h3, rp,
				       fp, k, hl, clen, false);
		}
		rp += k;
		fp += k;
	}
	nic->sub_chan[sg[0].lo] = 0;
	return sg[ns - 1].lo + sg[ns - 1].k - 1;
}

/* Frames between two sorts of a pool's stack: one sort (two passes
 * over the ids, ~4e5 instructions for 37000) costs 0.1 instructions a
 * frame. */
#define RX_HEAL_FRAMES (1ull << 22)

/*
 * Queue 0's free stack rebuilt sorted, highest id at the bottom: handed
 * out ascending from then on, in blocks as long as the free ids allow.
 * A start that left the stack in pieces (packets of partial takes, the
 * general path's single ids) otherwise stays in pieces: a packet's
 * release puts back what it took. The stack holds exactly queue 0's
 * free ids (owner 0, EMU_SUB_FREE); they are counted first and the
 * stack is left as it is if that does not hold. Which free ids come
 * next is the host's choice: the guest sees nothing else change.
 */
static __attribute__((noinline, cold)) void
rx_pool_heal(struct emu_nic *nic, uint32_t *pfree, uint32_t pn)
{
	const uint8_t *busy = nic->sub_busy, *owner = nic->sub_pool;
	uint32_t id, n = 0;

	nic->rx_heal_next = nic->qst[0].rx_packets + RX_HEAL_FRAMES;
	_Static_assert(EMU_SUB_FREE == 0, "free and owned by queue 0: both bytes 0");
	for (id = 0; id < nic->sub_count; id++)
		n += (owner[id] | busy[id]) == 0;
	if (n != pn)
		return;
	for (id = nic->sub_count; id > 0; id--)
		if ((owner[id - 1] | busy[id - 1]) == 0)
			*pfree++ = id - 1;
}

/* rx_stack_segs of queue 0's stack (pn ids at pfree) when its top is
 * not one block, sorted first when that is due (then nearly always one
 * block). */
static inline unsigned int
rx_stack_split(struct emu_nic *nic, uint32_t *pfree, uint32_t pn,
	       uint32_t take, struct rx_seg *sg)
{
	if (hv_unlikely(nic->qst[0].rx_packets >= nic->rx_heal_next))
		rx_pool_heal(nic, pfree, pn);
	return rx_stack_segs(pfree + pn, take, sg);
}

/*
 * rx_fast for frames i.. of the burst, with what the burst shares (pool,
 * packet, template, filter) in locals: the same rules and the same
 * state changes, frame by frame. Returns the first frame it did not
 * take (n: all); the caller's general path decides about that one.
 *
 * The frames are checked (and summed) first, in a loop of their own
 * (rx_fast_scan), then staged (id, chain, header, range) in a loop
 * without calls or checks, where the header stays in vector registers,
 * and copied after it; a packet's first frame is staged
 * before that loop. Of b->sub only the first id (the packet's, for
 * rx_flush) and the last (the chain's end, for the next frame) are
 * read: those two are stored, once per run.
 */
static inline __attribute__((always_inline)) unsigned int
rx_fast_stage(struct emu_nic *nic, const void *const *frames,
	      const size_t *lens, unsigned int i, unsigned int n, int *rc,
	      const bool promisc, const bool verify, const bool small,
	      const size_t fixed)
{
	struct emu_rx_batch *b = nic->rxb;
	const struct emu_rx_hdr_tpl *t = &b->tpl;
	struct emu_rx_pool *p = &nic->pool[0];
	uint8_t *rxbuf = nic->rxbuf, *busy = nic->sub_busy;
	uint8_t hdr[RX_FAST_HDR];
	const void *const *fp, *const *fend;
	struct vmbus_xfer_page_range *rp, *rp0;
	uint32_t *nexts = nic->sub_next, *pfree = p->free, *ptop;
	uint32_t pn = p->n, bn = b->n, size = nic->sub_size;
	uint32_t hl = t->hdr_len, ml = t->msg_len, csum = t->csum;
	uint32_t maxr = nic->rx_max_ranges != 0 ? nic->rx_max_ranges : 1u;
	uint32_t prev = bn != 0 ? b->sub[bn - 1] : 0, start = i, room, idx;
	uint32_t filter = nic->filter;
	uint64_t mac = promisc ? 0 : rx_mac48(emu_dev_mac(nic->dev));
	/* fixed: the caller saw that length (the copies' offsets are then
	 * constants). */
	size_t clen = fixed != 0 ? fixed : b->csum_len;
	rx_v16 h0, h1, h2, h3;
	unsigned int lim = n, take;
	uint32_t blk_lo = 0;
	bool blk = false, copied = false, mid;
	struct rx_seg sg[RX_SEGS_MAX];
	unsigned int nseg;

	if ((bn != 0 && b->qi != 0) || clen < EMU_ETH_HLEN ||
	    clen > (size_t)nic->mtu)
		return i;
	/* emu_copy_mid_blk's lengths; hl >= RX_FAST_HDR (rx_fast_check). */
	mid = !small && clen - 257 <= 4096 - 257;
	/* The frames this run can take: room in the pool and the packet. */
	room = bn < maxr ? maxr - bn : 0;
	if (room > pn)
		room = pn;
	if (room < lim - i)
		lim = i + room;
	/* Every frame of the run has this header: held in registers. */
	memcpy(hdr, t->bytes, RX_FAST_HDR);
	put_u32(hdr + offsetof(struct rndis_packet_msg, msg_len), ml);
	put_u32(hdr + offsetof(struct rndis_packet_msg, data_len), (uint32_t)clen);
	memcpy(&h0, hdr, 16);
	memcpy(&h1, hdr + 16, 16);
	memcpy(&h2, hdr + 32, 16);
	memcpy(&h3, hdr + 48, 16);
	/* The frames the run takes (none: the general path decides). */
	if (verify)
		take = rx_fast_scan_verify(frames + i, lens + i, lim - i, clen,
					   filter, mac, csum);
	else
		take = rx_fast_scan_vouched(frames + i, lens + i, lim - i,
					    clen, filter, mac);
	if (take == 0)
		return i;
	/* Walked with pointers: the id stores (bytes) may alias anything,
	 * so anything read through b would be read again after each. */
	fp = frames + i;
	fend = fp + take;
	rp = rp0 = b->r + bn;
	/* The pool's stack, popped from its top (take <= pn). */
	ptop = pfree + pn;
	if (bn == 0 && rx_stack_block(ptop, take, &idx)) {
		/* A new packet whose ids are one block (the pool hands
		 * them out so, nearly always), taken in ascending order:
		 * marked and released as a whole (EMU_SUB_BLK), no chain,
		 * each range the last one plus the sub-allocation's size. */
		ptop -= take;
		blk = true;
		busy[idx] = EMU_SUB_DATA;
		memset(busy + idx + 1, EMU_SUB_MEMBER, take - 1);
		nexts[idx] = EMU_SUB_BLK | take;
		b->qi = 0;
		b->first_frame = i;
		b->bytes = 0;
		b->sub[0] = idx;
		nic->sub_chan[idx] = 0;
		blk_lo = idx;
		/* Full-size frames: headers with the copies. */
		if (mid)
			rx_stage_ranges(idx, size, ml, rp, take);
		else
			rx_stage_block(rxbuf, idx, size, ml, h0, h1, h2, h3, rp,
				       fp, take, hl, clen, small);
		rp += take;
		fp = fend;
		prev = idx + take - 1;
	} else if (bn == 0 && (nseg = rx_stack_split(nic, pfree, pn, take,
						      sg)) != 0) {
		/* The same with a few blocks (EMU_SUB_SEG). */
		ptop -= take;
		blk = true;
		copied = mid;
		b->qi = 0;
		b->first_frame = i;
		b->bytes = 0;
		b->sub[0] = sg[0].lo;
		prev = rx_stage_segs(nic, sg, nseg, hdr, ml, rp, fp, hl, clen,
				     small, mid);
		rp += take;
		fp = fend;
	} else if (bn == 0) {
		/* A new packet's first frame: its id names the packet. */
		idx = *--ptop;
		busy[idx] = EMU_SUB_DATA;
		b->qi = 0;
		b->first_frame = i;
		b->bytes = 0;
		b->sub[0] = idx;
		nic->sub_chan[idx] = 0;
		rx_stage_one(rxbuf, idx, size, ml, h0, h1, h2, h3, rp, *fp, hl,
			     clen, small);
		rp++;
		prev = idx;
		fp++;
	} else {
		/* Frames added to a packet: as a chain. */
		emu_rx_blk_chain(nexts, nic->sub_link, nic->sub_count,
				 b->sub[0]);
	}
	for (; fp != fend; fp++) {
		idx = *--ptop;
		busy[idx] = EMU_SUB_MEMBER;
		nexts[prev] = idx;
		rx_stage_one(rxbuf, idx, size, ml, h0, h1, h2, h3, rp, *fp, hl,
			     clen, small);
		rp++;
		prev = idx;
	}
	i = (unsigned int)(fp - frames);
	bn += (uint32_t)(rp - rp0);
	/* What the loop left out, for all its frames at once: the
	 * packet's last id ends the chain, every frame is the same size,
	 * and the copies. */
	if (i != start) {
		b->sub[bn - 1] = prev;
		if (!blk)
			nexts[prev] = EMU_SUB_NONE;
		memset(rc + start, 0, (i - start) * sizeof(*rc));
		if (small || copied) {
			/* Copied while staged. */
		} else if (blk && mid) {
			emu_copy_mid_blk(rxbuf + (size_t)blk_lo * size, size, hdr,
					 hl, frames + start, i - start, clen);
		} else if (verify) {
			for (fp = frames + start; rp0 != rp; rp0++, fp++)
				rx_copy(rxbuf + rp0->byte_offset + hl, *fp, clen);
		} else {
			rx_copy_run(rxbuf + hl, rp0, frames + start,
				    (size_t)(rp - rp0), clen);
		}
	}
	p->n = (uint32_t)(ptop - pfree);
	nic->sub_nfree -= i - start;
	b->n = bn;
	b->bytes += (uint64_t)(i - start) * clen;
	return i;
}

/* rx_fast_stage for frames the backend vouched for (to a promiscuous
 * guest: no filter), and for the others (functions of their own: each
 * loop gets the registers to itself). */
static __attribute__((noinline)) unsigned int
rx_fast_run_promisc(struct emu_nic *nic, const void *const *frames,
		    const size_t *lens, unsigned int i, unsigned int n, int *rc)
{
	/* 64-byte frames copied as they are staged (as rx_fast_run_verify
	 * does): no second pass through the ranges. */
	if (nic->rxb->csum_len == 64)
		return rx_fast_stage(nic, frames, lens, i, n, rc, true, false,
				     true, 64);
	return rx_fast_stage(nic, frames, lens, i, n, rc, true, false, false, 0);
}

static __attribute__((noinline)) unsigned int
rx_fast_run_vouched(struct emu_nic *nic, const void *const *frames,
		    const size_t *lens, unsigned int i, unsigned int n, int *rc)
{
	if (nic->rxb->csum_len == 64)
		return rx_fast_stage(nic, frames, lens, i, n, rc, false, false,
				     true, 64);
	return rx_fast_stage(nic, frames, lens, i, n, rc, false, false, false,
			     0);
}

static __attribute__((noinline)) unsigned int
rx_fast_run_verify(struct emu_nic *nic, const void *const *frames,
		   const size_t *lens, unsigned int i, unsigned int n, int *rc)
{
	size_t clen = nic->rxb->csum_len;

	/* Minimum frames (32..64 bytes) are copied as they are staged; the
	 * 64-byte ones (RFC 2544's smallest, testpmd's) with four fixed
	 * moves. */
	if (clen == 64)
		return rx_fast_stage(nic, frames, lens, i, n, rc, false, true,
				     true, 64);
	if (clen - 32u <= 32u)
		return rx_fast_stage(nic, frames, lens, i, n, rc, false, true,
				     true, 0);
	return rx_fast_stage(nic, frames, lens, i, n, rc, false, true, false,
			     0);
}

static inline unsigned int
rx_fast_run(struct emu_nic *nic, const void *const *frames, const size_t *lens,
	    unsigned int i, unsigned int n, int *rc)
{
	if (nic->rxb->verify)
		return rx_fast_run_verify(nic, frames, lens, i, n, rc);
	if (nic->filter & RNDIS_PACKET_TYPE_PROMISCUOUS)
		return rx_fast_run_promisc(nic, frames, lens, i, n, rc);
	return rx_fast_run_vouched(nic, frames, lens, i, n, rc);
}

/* ---- RSS: one run over several queues ---- */

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
	err = send_xfer_batch(nic->q[qi], &qp->xh, qp->r, n, qp->first,
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
 * With RSS on, frames i.. of a burst whose template fits them (rss_tpl),
 * in two passes: first every frame is checked (rx_fast_run's checks,
 * each frame with its own checksum bits) and given the queue rss_pick
 * would name, its index from the run's first frame appended to that
 * queue's list (qp->frame); then each queue's frames are staged as
 * rx_fast_stage stages one queue's, with its pool, chain and ranges in
 * registers, and sent: a packet per queue, not per run of consecutive
 * frames of one queue (test_emu_net_rssrun compares the frames, their
 * queues, the messages and the counters with the general path's). A
 * run takes at most EMU_NET_RX_RANGES_MAX frames, so no list fills
 * during the first pass; each packet is sized once, to its ring's room
 * and its pool, and the first frame a queue's packet cannot take ends
 * the run for every queue: the general path takes that frame (or counts
 * it and stops the burst there, with the ring's wait for room set) and
 * the run goes on after it. The caller sent the general path's packet
 * and checked rx_rss_sort_ok; every packet is sent before the run
 * returns, so the general path's packet (b) and the run's never hold
 * frames at the same time and each queue gets its frames in order.
 */

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
	memcpy(hdr, t->bytes, RX_FAST_HDR);
	put_u32(hdr + offsetof(struct rndis_packet_msg, msg_len), ml);
	put_u32(hdr + offsetof(struct rndis_packet_msg, data_len), (uint32_t)clen);
	memcpy(&h0, hdr, 16);
	memcpy(&h1, hdr + 16, 16);
	memcpy(&h2, hdr + 32, 16);
	memcpy(&h3, hdr + 48, 16);
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
static __attribute__((noinline)) unsigned int
rx_rss_run_promisc(struct emu_nic *nic, const void *const *frames,
		   const size_t *lens, unsigned int i, unsigned int n, int *rc)
{
	if (rx_rss_sort_ok(nic))
		return rx_rss_sort_stage(nic, frames, lens, i, n, rc, true, false, 0);
	return i;
}

static __attribute__((noinline)) unsigned int
rx_rss_run_vouched(struct emu_nic *nic, const void *const *frames,
		   const size_t *lens, unsigned int i, unsigned int n, int *rc)
{
	if (rx_rss_sort_ok(nic))
		return rx_rss_sort_stage(nic, frames, lens, i, n, rc, false, false,
					 0);
	return i;
}

static __attribute__((noinline)) unsigned int
rx_rss_run_verify(struct emu_nic *nic, const void *const *frames,
		  const size_t *lens, unsigned int i, unsigned int n, int *rc)
{
	/* 64-byte frames (RFC 2544's smallest, testpmd's): the length a
	 * constant, as rx_fast_run_verify does. */
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

static inline unsigned int
rx_rss_run(struct emu_nic *nic, const void *const *frames, const size_t *lens,
	   unsigned int i, unsigned int n, int *rc)
{
	if (nic->rxb->verify)
		return rx_rss_run_verify(nic, frames, lens, i, n, rc);
	if (nic->filter & RNDIS_PACKET_TYPE_PROMISCUOUS)
		return rx_rss_run_promisc(nic, frames, lens, i, n, rc);
	return rx_rss_run_vouched(nic, frames, lens, i, n, rc);
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
