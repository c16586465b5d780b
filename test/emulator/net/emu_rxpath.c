/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host -> guest: the receive buffer cut into sub-allocations, RNDIS
 * messages written into them and announced with transfer-page packets,
 * and the guest's RNDIS_ACKs that give them back.
 *
 * A packet's trans_id is the index of its first sub-allocation: the
 * stock DPDK PMD uses the id as an index below the sub-allocation count
 * (and refcounts per packet), and openvmm does the same. A packet may
 * carry several frames, one range and one sub-allocation each; the later
 * ones are chained to the first (sub_next) and all are freed by the
 * packet's single ACK. The last EMU_NET_CTRL_RESERVE free
 * sub-allocations are kept for control messages so that a guest slow to
 * ACK data can still complete its RNDIS requests.
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

#include "emu_net_priv.h"
#include "emu_offload.h"

int
emu_rxbuf_setup(struct emu_nic *nic)
{
	size_t len = 0;
	uint8_t *p = emu_dev_map(nic->dev, HV_UIO_MAP_RECV_BUF, &len);
	uint32_t size, count, i;

	if (p == NULL || len > UINT32_MAX)
		return -ENOBUFS;
	/* Header and PPIs in front, then a frame of up to the MTU. */
	size = HV_ALIGN_UP(EMU_NET_RX_HEADROOM + nic->mtu, 64u);
	count = (uint32_t)(len / size);
	if (count <= EMU_NET_CTRL_RESERVE)
		return -ENOBUFS;
	nic->sub_free = malloc(count * sizeof(*nic->sub_free));
	nic->sub_next = malloc(count * sizeof(*nic->sub_next));
	nic->sub_busy = calloc(count, 1);
	if (nic->sub_free == NULL || nic->sub_next == NULL ||
	    nic->sub_busy == NULL) {
		emu_rxbuf_teardown(nic);
		return -ENOMEM;
	}
	/* Stack order: index 0 is handed out first. */
	for (i = 0; i < count; i++) {
		nic->sub_free[i] = count - 1 - i;
		nic->sub_next[i] = EMU_SUB_NONE;
	}
	nic->sub_nfree = count;
	nic->sub_size = size;
	nic->sub_count = count;
	nic->rxbuf = p;
	nic->rxbuf_size = (uint32_t)len;
	nic->rxbuf_on = true;
	return 0;
}

void
emu_rxbuf_teardown(struct emu_nic *nic)
{
	free(nic->sub_free);
	free(nic->sub_next);
	free(nic->sub_busy);
	nic->sub_free = NULL;
	nic->sub_next = NULL;
	nic->sub_busy = NULL;
	nic->sub_nfree = 0;
	nic->sub_count = 0;
	nic->sub_size = 0;
	nic->rxbuf = NULL;
	nic->rxbuf_on = false;
	if (nic->rxb != NULL)
		nic->rxb->n = 0;
}

static int
sub_alloc(struct emu_nic *nic, bool ctrl, uint32_t *idx)
{
	if (!nic->rxbuf_on || nic->sub_nfree == 0)
		return -EAGAIN;
	if (!ctrl && nic->sub_nfree <= EMU_NET_CTRL_RESERVE)
		return -EAGAIN;
	*idx = nic->sub_free[--nic->sub_nfree];
	nic->sub_busy[*idx] = ctrl ? EMU_SUB_CTRL : EMU_SUB_DATA;
	nic->sub_next[*idx] = EMU_SUB_NONE;
	return 0;
}

static void
sub_release(struct emu_nic *nic, uint32_t idx)
{
	nic->sub_busy[idx] = EMU_SUB_FREE;
	nic->sub_free[nic->sub_nfree++] = idx;
}

/* Free a packet's sub-allocations: first (its trans_id) and the chain.
 * Returns how many (the frames the packet carried). */
static uint32_t
pkt_release(struct emu_nic *nic, uint32_t first)
{
	uint32_t idx = first, next, n;

	/* The chain is ours, but bound the walk all the same. */
	for (n = 0; idx < nic->sub_count && n < nic->sub_count; n++) {
		next = nic->sub_next[idx];
		nic->sub_next[idx] = EMU_SUB_NONE;
		sub_release(nic, idx);
		idx = next;
	}
	return n;
}

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
	rc = sub_alloc(nic, true, &idx);
	if (rc != 0)
		return rc;
	memcpy(nic->rxbuf + (size_t)idx * nic->sub_size, msg, len);
	r.byte_count = len;
	r.byte_offset = idx * nic->sub_size;
	rc = send_xfer(q, &r, 1, idx, NVSP_CHANNEL_TYPE_CONTROL, false);
	if (rc != 0)
		sub_release(nic, idx);
	return rc;
}

/* ---- Data frames from the wire ---- */

static bool
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

/* RSS: hash PPIs in meta and the queue the indirection table names. */
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
	hash = ndis_toeplitz_hash(nic->rss_key, sizeof(nic->rss_key), in, n);
	meta->present |= RNDIS_META_HASH_VALUE | RNDIS_META_HASH_INFO;
	meta->hash_value = hash;
	meta->hash_info = NDIS_HASH_FUNCTION_TOEPLITZ | type;
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
	  const struct rndis_pkt_meta *meta)
{
	struct rndis_pkt_meta before = {
		.present = meta->present & (RNDIS_META_HASH_VALUE - 1u),
	};
	struct rndis_ppi_hdr ph;
	uint32_t v;

	t->valid = false;
	/* LSO and fragment PPIs have more fields than the key holds. */
	if (hdr_len > sizeof(t->bytes) ||
	    (meta->present & (RNDIS_META_LSO | RNDIS_META_PKTINFO_ID)) != 0)
		return;
	t->hash_off = 0;
	if (meta->present & RNDIS_META_HASH_VALUE) {
		t->hash_off = rndis_pkt_hdr_len(&before) + (uint32_t)sizeof(ph);
		if (t->hash_off + sizeof(v) > hdr_len)
			return;
		memcpy(&ph, hdr + t->hash_off - sizeof(ph), sizeof(ph));
		memcpy(&v, hdr + t->hash_off, sizeof(v));
		if (ph.type != RNDIS_PPI_HASH_VALUE || v != meta->hash_value)
			return;
	}
	memset(t->bytes, 0, sizeof(t->bytes));
	memcpy(t->bytes, hdr, hdr_len);
	t->hdr_len = hdr_len;
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
 * fixed size (a few vector moves, no call); bytes past the header land
 * where the frame is copied next or past msg_len, never read.
 */
static uint32_t
tpl_put(const struct emu_rx_hdr_tpl *t, uint8_t *dst, uint32_t len,
	const struct rndis_pkt_meta *meta)
{
	memcpy(dst, t->bytes, sizeof(t->bytes));
	put_u32(dst + offsetof(struct rndis_packet_msg, msg_len), t->hdr_len + len);
	put_u32(dst + offsetof(struct rndis_packet_msg, data_len), len);
	if (t->hash_off != 0)
		put_u32(dst + t->hash_off, meta->hash_value);
	return t->hdr_len;
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
		off = rndis_pkt_encode(dst, nic->sub_size, meta, (uint32_t)len, 0);
		if (off < 0 || (size_t)off + len > nic->sub_size)
			return off < 0 ? off : -EMSGSIZE;
		tpl_store(t, dst, (uint32_t)off, meta);
	}
	memcpy(dst + off, f, len);
	*msg_len = (uint32_t)off + (uint32_t)len;
	corrupt_msg(nic, dst, msg_len);
	return 0;
}

/* Guest and link state: the same for every frame of a burst. */
static int
rx_ready(struct emu_nic *nic)
{
	if (!emu_dev_is_open(nic->dev) || !emu_nvsp_ready(nic) ||
	    nic->rndis != EMU_RNDIS_READY || !nic->link_up || nic->q[0] == NULL ||
	    nic->filter == 0 || nic->rxb == NULL) {
		nic->st.rx_drop_filter++;
		return -ENETDOWN;
	}
	return 0;
}

static int
rx_frame_check(struct emu_nic *nic, const uint8_t *frame, size_t len)
{
	if (frame == NULL || len < EMU_ETH_HLEN) {
		nic->rx_drop_other++;
		return -EINVAL;
	}
	/* The tag goes to a PPI, so it does not count against the MTU. */
	if (len > (size_t)nic->mtu + EMU_VLAN_HLEN) {
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
	err = send_xfer(nic->q[b->qi], b->r, n, b->sub[0], NVSP_CHANNEL_TYPE_DATA,
			emu_fault_take(nic, EMU_FAULT_BAD_XFER_RANGE));
	if (err == 0) {
		st->rx_packets += n;
		st->rx_bytes += b->bytes;
		return 0;
	}
	(void)pkt_release(nic, b->sub[0]);
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
static void
batch_add(struct emu_nic *nic, unsigned int qi, unsigned int i, uint32_t idx,
	  uint32_t msg_len, size_t len)
{
	struct emu_rx_batch *b = nic->rxb;

	if (b->n == 0) {
		b->qi = qi;
		b->first_frame = i;
		b->bytes = 0;
	} else {
		nic->sub_busy[idx] = EMU_SUB_MEMBER;
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

/* Kept out of line: benchmarks count frames by its calls. */
__attribute__((noinline)) int
emu_rx_frame(struct emu_nic *nic, unsigned int i, const uint8_t *f,
	     size_t len, uint32_t flags)
{
	struct emu_rx_batch *b = nic->rxb;
	struct rndis_pkt_meta meta;
	uint32_t idx, msg_len = 0;
	unsigned int qi;
	int rc = rx_frame_check(nic, f, len);

	if (rc == 0)
		rc = rx_meta(nic, &f, &len, flags, &meta);
	if (rc != 0)
		return rc;
	qi = rss_pick(nic, f, len, &meta);
	/* One packet per channel run, of at most rx_max_ranges frames. */
	if (b->n != 0 && (b->qi != qi || b->n >= nic->rx_max_ranges) &&
	    rx_flush(nic, b->rc, i) == -EAGAIN)
		return batch_stop(b);
	if (sub_alloc(nic, false, &idx) != 0) {
		nic->qst[qi].rx_drop_no_buffer++;
		return -EAGAIN;
	}
	if (rx_write(nic, idx, f, len, &meta, &msg_len) != 0) {
		sub_release(nic, idx);
		return -EIO;
	}
	batch_add(nic, qi, i, idx, msg_len, len);
	return 0;
}

int
emu_nic_rx_burst(struct emu_nic *nic, const void *const *frames,
		 const size_t *lens, unsigned int n, uint32_t flags, int *rc)
{
	struct emu_rx_batch *b;
	unsigned int i;
	int r;

	if (nic == NULL || (flags & ~EMU_RX_FLAGS_ALL) != 0 || n > INT_MAX ||
	    (n != 0 && (frames == NULL || lens == NULL || rc == NULL)))
		return -EINVAL;
	if (n == 0)
		return 0;
	r = rx_ready(nic);
	if (r != 0) {
		rc[0] = r;
		return 0;
	}
	b = nic->rxb;
	b->n = 0;
	b->rc = rc;
	b->stopped = false;
	b->csum_known = false;
	for (i = 0; i < n; i++) {
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

void
emu_rx_ack(struct emu_net_queue *q, const struct vmbus_pkt_info *pi)
{
	struct emu_nic *nic = q->nic;
	struct nvsp_request r;
	uint64_t id = pi->trans_id;
	uint32_t status = NVSP_STATUS_SUCCESS;

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
	/* Only a packet's first sub-allocation is an outstanding id. */
	if (id >= nic->sub_count || (nic->sub_busy[id] != EMU_SUB_DATA &&
				     nic->sub_busy[id] != EMU_SUB_CTRL)) {
		emu_net_proto_error(nic, q, "NVSP RNDIS_ACK: unknown trans_id %llu (%u receive sub-allocations)",
				    (unsigned long long)id, nic->sub_count);
		return;
	}
	if (status != NVSP_STATUS_SUCCESS)
		emu_net_trace(nic, q, "RNDIS_ACK %llu with status %u",
			      (unsigned long long)id, status);
	/* Counted per frame, as when every frame had a packet of its own. */
	nic->qst[q->id].acks_received += pkt_release(nic, (uint32_t)id);
}
