/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Guest -> host SEND_RNDIS_PKT: gather the RNDIS bytes (send-buffer
 * section first, then the GPA ranges page by page, as openvmm does),
 * then either hand a control message to the RNDIS device or walk every
 * concatenated PACKET_MSG, do the offloads it asks for and give the
 * resulting frames to the backend. Every request is completed with
 * NVSP 108 carrying SUCCESS or FAILURE and the request's trans_id;
 * data completions wait in emu_txcomp.c.
 *
 * Read as a real host reads it (docs/design/protocol.md, "Transmit
 * parsing"): aggregated PACKET_MSGs follow each other at exactly
 * msg_len and fill the gathered bytes exactly, or the whole packet
 * fails and no frame of it leaves; the L2 header is 14 bytes, a VLAN
 * tag travels only as per-packet info, so offloads on a frame carrying
 * an inline 802.1Q tag fail. EMU_LENIENT_TX_MSG_ALIGN and
 * EMU_LENIENT_TX_INLINE_VLAN relax the two rules.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "emu_net_priv.h"
#include "emu_offload.h"

/*
 * A guest may send from a receive buffer (zero-copy forwarding, also
 * another NIC's), but only from sub-allocations it has not ACKed: a real
 * host reuses an ACKed one at once, so the frame would already be
 * another. One thread serves every NIC: reading another's state is safe.
 */
static bool
rxbuf_freed_nic(const struct emu_nic *nic, const uint8_t *src, uint32_t len)
{
	size_t off, i, last;

	if (nic->rxbuf == NULL || nic->sub_size == 0 || src < nic->rxbuf ||
	    src >= nic->rxbuf + (size_t)nic->sub_count * nic->sub_size)
		return false;
	off = (size_t)(src - nic->rxbuf);
	last = (off + len - 1) / nic->sub_size;
	for (i = off / nic->sub_size; i <= last && i < nic->sub_count; i++)
		if (nic->sub_busy[i] == EMU_SUB_FREE)
			return true;
	return false;
}

static bool
rxbuf_freed(const struct emu_nic *nic, const uint8_t *src, uint32_t len)
{
	const struct emu_net *net = nic->net;
	unsigned int i;

	if (rxbuf_freed_nic(nic, src, len))
		return true;
	for (i = 0; net != NULL && i < net->nnics; i++)
		if (net->nic[i] != NULL && net->nic[i] != nic &&
		    rxbuf_freed_nic(net->nic[i], src, len))
			return true;
	return false;
}

/* Append len bytes at guest page pfn + off (one page at most). */
static int
gather_page(struct emu_nic *nic, uint32_t *pos, uint64_t pfn, uint32_t off,
	    uint32_t len)
{
	const void *src;

	if (len > EMU_NET_GATHER_MAX - *pos)
		return -EMSGSIZE;
	src = emu_dev_translate(nic->dev, pfn, off, len);
	if (src == NULL)
		return -EFAULT;
	if (rxbuf_freed(nic, src, len))
		return -EACCES;
	emu_copy(nic->gather + *pos, src, len);
	*pos += len;
	return 0;
}

static int
gather_range(struct emu_net_queue *q, const struct vmbus_pkt_gpa_view *v,
	     uint32_t *pos)
{
	uint32_t left = v->byte_count, off = v->byte_offset, i;
	int rc;

	for (i = 0; left != 0; i++) {
		uint32_t n = HV_PAGE_SIZE - off < left ? HV_PAGE_SIZE - off : left;
		uint64_t pfn = vmbus_pkt_gpa_pfn(v, i);

		rc = gather_page(q->nic, pos, pfn, off, n);
		if (rc == -EFAULT)
			emu_net_proto_error(q->nic, q, "NVSP SEND_RNDIS_PKT: GPA page 0x%llx+%u len %u is not guest memory the host can reach",
					    (unsigned long long)pfn, off, n);
		if (rc == -EACCES)
			emu_net_proto_error(q->nic, q, "NVSP SEND_RNDIS_PKT: GPA page 0x%llx+%u len %u is in a receive-buffer sub-allocation the guest already ACKed",
					    (unsigned long long)pfn, off, n);
		if (rc != 0)
			return rc;
		left -= n;
		off = 0;
	}
	return 0;
}

static int
gather_gpa(struct emu_net_queue *q, const struct vmbus_pkt_info *pi,
	   uint32_t *pos)
{
	struct vmbus_pkt_gpa_iter it;
	struct vmbus_pkt_gpa_view v;
	int rc;

	vmbus_pkt_gpa_iter_init(&it, pi);
	while ((rc = vmbus_pkt_gpa_iter_next(&it, &v)) == 0) {
		rc = gather_range(q, &v, pos);
		if (rc != 0)
			return rc;
	}
	if (rc == -EINVAL)
		emu_net_proto_error(q->nic, q, "NVSP SEND_RNDIS_PKT: malformed GPA range");
	else if (rc == -EMSGSIZE)
		emu_net_proto_error(q->nic, q, "NVSP SEND_RNDIS_PKT: page ranges carry more than %u bytes",
				    EMU_NET_GATHER_MAX);
	return rc == -ENOENT ? 0 : rc;
}

/*
 * Section bytes first, then ranges: returns the gathered length or
 * -errno, *buf the bytes. A packet that is one send section only is
 * read in place (*buf in the send buffer): every length the walk and
 * the parser use is read once into a private copy and checked there,
 * and frames go to the backend from where they are, as a host's DMA
 * would take them. Anything with page ranges is gathered into
 * nic->gather.
 */
static int
gather(struct emu_net_queue *q, const struct vmbus_pkt_info *pi,
       const struct nvsp_rndis_pkt_info *rp, const uint8_t **buf)
{
	struct emu_nic *nic = q->nic;
	const uint8_t *sec = NULL;
	uint32_t pos = 0;
	int rc;

	*buf = nic->gather;
	if (rp->section_index != NVSP_SECTION_INDEX_NONE) {
		if (!nic->txbuf_on ||
		    nvsp_host_section_check(rp, nic->section_size,
					    nic->section_count) != 0) {
			emu_net_proto_error(nic, q, "NVSP SEND_RNDIS_PKT: send section %u size %u outside the send buffer (%u sections of %u)",
					    rp->section_index, rp->section_size,
					    nic->txbuf_on ? nic->section_count : 0,
					    nic->section_size);
			return -ERANGE;
		}
		sec = nic->txbuf + (size_t)rp->section_index * nic->section_size;
		pos = rp->section_size;
		if (pi->type != VMBUS_PKT_DATA_GPA_DIRECT && pos != 0) {
			*buf = sec;
			return (int)pos;
		}
		emu_copy(nic->gather, sec, pos);
	}
	if (pi->type == VMBUS_PKT_DATA_GPA_DIRECT) {
		rc = gather_gpa(q, pi, &pos);
		if (rc != 0)
			return rc;
	}
	if (pos == 0) {
		emu_net_proto_error(nic, q, "NVSP SEND_RNDIS_PKT: no section and no page ranges");
		return -EINVAL;
	}
	return (int)pos;
}

/* ---- Frames ---- */

struct tx_ctx {
	struct emu_net_queue *q;
	const struct rndis_pkt_meta *meta;
};

/* Hand one frame to the backend and count it. */
static inline void
xmit_raw(struct emu_net_queue *q, const uint8_t *f, size_t len)
{
	struct emu_nic *nic = q->nic;
	struct emu_chan_stats *st = &nic->qst[q->id];

	if (nic->be != NULL && nic->be->ops->xmit != NULL)
		nic->be->ops->xmit(nic->be, f, len);
	st->tx_packets++;
	st->tx_bytes += len;
}

static int
xmit_one(void *arg, const uint8_t *f, size_t len)
{
	struct tx_ctx *c = arg;
	struct emu_nic *nic = c->q->nic;
	int n;

	if (c->meta->present & RNDIS_META_VLAN) {
		n = emu_vlan_insert(f, len, c->meta->vlan_tci, nic->tagged,
				    EMU_NET_FRAME_MAX + EMU_VLAN_HLEN);
		if (n < 0)
			return n;
		f = nic->tagged;
		len = (size_t)n;
		nic->qst[c->q->id].tx_vlan++;
	}
	xmit_raw(c->q, f, len);
	return 0;
}

/* A frame with offloads or a VLAN tag to insert. */
static __attribute__((noinline)) int
tx_frame_offload(struct emu_net_queue *q, const uint8_t *msg,
		 const struct rndis_pkt_info *pk)
{
	const struct rndis_pkt_meta *m = &pk->meta;
	struct tx_ctx c = { q, m };
	struct emu_nic *nic = q->nic;
	uint8_t *f = nic->frame;
	size_t len = pk->data_len;
	bool offload;
	int rc;

	/* Private copy first: the offloads write into it, and msg may be
	 * the guest's send section, which it can change under our checks. */
	emu_copy(f, msg + pk->data_off, len);
	offload = (m->present & RNDIS_META_LSO) ||
		  ((m->present & RNDIS_META_CSUM) && (m->csum & 0xFFFFu) != 0);
	if (offload && f[12] == 0x81 && f[13] == 0x00 &&
	    !(nic->net->cfg.lenient & EMU_LENIENT_TX_INLINE_VLAN))
		return -EPROTONOSUPPORT;
	/* On the private copy, like every other check here. */
	rc = emu_tx_offload_check(nic, m, f, len);
	if (rc != 0) {
		nic->qst[q->id].tx_offload_refused++;
		return rc;
	}
	if (m->present & RNDIS_META_LSO) {
		rc = emu_lso_segment(f, len, m->lso_mss, m->lso_tcp_off,
				     m->lso_ipv6, nic->seg, EMU_NET_FRAME_MAX,
				     xmit_one, &c);
		if (rc < 0)
			return rc;
		nic->qst[q->id].tx_lso++;
		nic->qst[q->id].tx_lso_segments += (uint64_t)rc;
		return 0;
	}
	if (m->present & RNDIS_META_CSUM) {
		uint32_t flags = m->csum & 0xFFFFu;
		uint16_t l4 = (uint16_t)((m->csum >> RNDIS_TXCSUM_L4_OFFSET_SHIFT) &
					 RNDIS_TXCSUM_L4_OFFSET_MAX);

		if (flags != 0 && emu_csum_fill(f, len, flags, l4) != 0)
			return -EINVAL;
		nic->qst[q->id].tx_csum += flags != 0;
	}
	return xmit_one(&c, f, len);
}

/* A frame of a valid size with nothing to do to it. */
static inline bool
tx_plain(const struct rndis_pkt_info *pk)
{
	const struct rndis_pkt_meta *m = &pk->meta;

	return pk->data_len >= RNDIS_PKT_MIN_FRAME &&
	       pk->data_len <= EMU_NET_FRAME_MAX &&
	       !(m->present & (RNDIS_META_LSO | RNDIS_META_VLAN)) &&
	       (!(m->present & RNDIS_META_CSUM) || (m->csum & 0xFFFFu) == 0);
}

/* msg is the start the frame's data_off counts from. */
static inline __attribute__((always_inline)) int
tx_frame(struct emu_net_queue *q, const uint8_t *msg,
	 const struct rndis_pkt_info *pk)
{
	const struct rndis_pkt_meta *m = &pk->meta;
	size_t len = pk->data_len;

	if (len < RNDIS_PKT_MIN_FRAME || len > EMU_NET_FRAME_MAX)
		return -EMSGSIZE;
	/* Nothing to do to the frame: the gathered bytes are already a
	 * private copy, the backend takes them from there. */
	if (hv_likely(!(m->present & (RNDIS_META_LSO | RNDIS_META_VLAN)) &&
		      (!(m->present & RNDIS_META_CSUM) ||
		       (m->csum & 0xFFFFu) == 0))) {
		xmit_raw(q, msg + pk->data_off, len);
		return 0;
	}
	return tx_frame_offload(q, msg, pk);
}

static const char *
frame_error(int rc)
{
	switch (rc) {
	case -EMSGSIZE:
		return "frame length out of range";
	case -EINVAL:
		return "offload request does not match the frame (bad L4/TCP offset, MSS or protocol)";
	case -EPERM:
		return "offload not in force (the host does not offer it or the guest turned it off with OID_TCP_OFFLOAD_PARAMETERS)";
	case -E2BIG:
		return "LSO frame not smaller than the host's advertised maximum offload size";
	case -ERANGE:
		return "LSO MSS 0 or segments longer than the MTU";
	case -EPROTONOSUPPORT:
		return "offload on a frame with an inline 802.1Q tag (the host's L2 header is 14 bytes; VLAN only via per-packet info)";
	default:
		return "cannot segment";
	}
}

/* Log why message n + 1 at off does not fit; -EINVAL. */
static __attribute__((noinline)) int
tx_msg_len_error(struct emu_net_queue *q, uint32_t len, uint32_t off,
		 unsigned int n, uint32_t ml)
{
	struct emu_nic *nic = q->nic;
	uint32_t left = len - off;

	nic->qst[q->id].tx_msg_len_errors++;
	if (left < sizeof(struct rndis_msg_hdr))
		emu_net_proto_error(nic, q, "RNDIS PACKET_MSG #%u: %u bytes left after message #%u's msg_len (messages must fill the packet exactly)",
				    n + 1, left, n);
	else
		emu_net_proto_error(nic, q, "RNDIS PACKET_MSG #%u: msg_len %u at offset %u beyond the %u gathered bytes%s",
				    n + 1, ml, off, len,
				    n > 0 ? " (the previous msg_len does not lead to a message)" : "");
	return -EINVAL;
}

/*
 * The next message of the packet at *off: exactly at the previous
 * one's msg_len (EMU_LENIENT_TX_MSG_ALIGN: rounded up to 8, and fewer
 * than 8 bytes left are the end). 1 with msg and mlen set, 0 at the end,
 * -EINVAL (logged) when msg_len does not tile the bytes.
 */
static inline __attribute__((always_inline)) int
tx_next_msg(struct emu_net_queue *q, const uint8_t *buf, uint32_t len,
	    uint32_t *off, unsigned int n, const uint8_t **msg, uint32_t *mlen)
{
	struct emu_nic *nic = q->nic;
	bool lenient = nic->net->cfg.lenient & EMU_LENIENT_TX_MSG_ALIGN;
	uint32_t left = len - *off, ml;

	if (left == 0 || (lenient && left < sizeof(struct rndis_msg_hdr)))
		return 0;
	if (hv_unlikely(left < sizeof(struct rndis_msg_hdr)))
		return tx_msg_len_error(q, len, *off, n, 0);
	memcpy(&ml, buf + *off + 4, sizeof(ml));
	if (hv_unlikely(ml < sizeof(struct rndis_msg_hdr) || ml > left))
		return tx_msg_len_error(q, len, *off, n, ml);
	*msg = buf + *off;
	*mlen = ml;
	*off += ml;
	if (lenient)
		*off = HV_ALIGN_UP(*off, 1u << EMU_NET_RNDIS_ALIGN_SHIFT);
	if (*off > len)
		*off = len;
	return 1;
}

/*
 * rndis_pkt_parse inlined, by the same rules (rndis_pkt_hdr_check,
 * rndis_ppi_walk); any failure takes the full parser, so the error
 * returned is its.
 */
static inline __attribute__((always_inline)) int
tx_parse_msg(const uint8_t *msg, uint32_t mlen, struct rndis_pkt_info *pk)
{
	struct rndis_packet_msg m;

	if (hv_likely(mlen >= sizeof(m))) {
		/* One private copy: checks and uses read only it. */
		memcpy(&m, msg, sizeof(m));
		if (m.type == RNDIS_MSG_PACKET && rndis_pkt_hdr_check(&m, mlen) == 0) {
			pk->meta.present = 0;
			if (m.ppi_len == 0 ||
			    rndis_ppi_walk(msg + RNDIS_BODY_OFFSET + m.ppi_offset,
					   m.ppi_len, &pk->meta) == 0) {
				pk->msg_len = m.msg_len;
				pk->data_off = RNDIS_BODY_OFFSET + m.data_offset;
				pk->data_len = m.data_len;
				return 0;
			}
		}
	}
	return rndis_pkt_parse(msg, mlen, pk);
}

/* Log why message n (1-based) at off was refused with rc. */
static __attribute__((noinline)) void
tx_parse_error(struct emu_net_queue *q, const uint8_t *msg, uint32_t mlen,
	       unsigned int n, uint32_t off, int rc)
{
	struct emu_nic *nic = q->nic;
	uint32_t type;

	memcpy(&type, msg, sizeof(type));
	if (rc == -EPROTO && n > 1) {
		/* Landed off a message: the previous msg_len was wrong. */
		nic->qst[q->id].tx_msg_len_errors++;
		emu_net_proto_error(nic, q, "RNDIS PACKET_MSG #%u: offset %u holds type 0x%x, not a PACKET_MSG: message #%u's msg_len does not lead to the next message",
				    n, off, type, n - 1);
	} else {
		emu_net_proto_error(nic, q, "RNDIS PACKET_MSG #%u: %s (msg_len %u)",
				    n, rc == -EPROTO ? "not a data message" :
				    "malformed header or PPI", mlen);
	}
}

/* Validate message n (1-based) at msg into *pk; false (logged) if bad. */
static inline __attribute__((always_inline)) bool
tx_parse(struct emu_net_queue *q, const uint8_t *msg, uint32_t mlen,
	 unsigned int n, uint32_t off, struct rndis_pkt_info *pk)
{
	int rc = tx_parse_msg(msg, mlen, pk);

	if (hv_likely(rc == 0))
		return true;
	tx_parse_error(q, msg, mlen, n, off, rc);
	return false;
}

static __attribute__((noinline)) void
tx_frame_error(struct emu_net_queue *q, const struct rndis_pkt_info *pk,
	       unsigned int n, int rc)
{
	emu_net_proto_error(q->nic, q, "RNDIS PACKET_MSG #%u: %s (data_len %u)",
			    n, frame_error(rc), pk->data_len);
}

static inline __attribute__((always_inline)) bool
tx_frame_ok(struct emu_net_queue *q, const uint8_t *msg,
	    const struct rndis_pkt_info *pk, unsigned int n)
{
	int rc = tx_frame(q, msg, pk);

	if (hv_likely(rc == 0))
		return true;
	tx_frame_error(q, pk, n, rc);
	return false;
}

/* Where a frame the plain walk accepted sits in the packet. */
#define tx_span emu_frame_span

/*
 * The PPIs of a message tx_walk_plain looks at, by rndis_ppi_walk's
 * rules: true if they are well formed and ask for nothing to be done
 * to the frame (no LSO, no VLAN, a checksum PPI without flags). Any
 * other answer sends the packet to the full walk, which names the
 * problem; a false here never refuses anything by itself.
 */
static inline __attribute__((always_inline)) bool
tx_ppis_plain(const uint8_t *p, uint32_t n)
{
	struct rndis_ppi_hdr h;
	uint32_t x;

	while (n != 0) {
		if (n < sizeof(h))
			return false;
		memcpy(&h, p, sizeof(h));
		if (h.size < sizeof(h) || h.size > n ||
		    h.size % RNDIS_PPI_ALIGN != 0 ||
		    h.ppi_offset < sizeof(h) || h.ppi_offset >= h.size)
			return false;
		switch (h.type) {
		case RNDIS_PPI_CHECKSUM:
			if (h.size - h.ppi_offset < sizeof(x))
				return false;
			memcpy(&x, p + h.ppi_offset, sizeof(x));
			if ((x & 0xFFFFu) != 0)
				return false;
			break;
		case RNDIS_PPI_HASH_VALUE:
		case RNDIS_PPI_HASH_INFO:
		case RNDIS_PPI_PKTINFO_ID:
			/* Stored by the parser, used by nobody here. */
			if (h.size - h.ppi_offset < sizeof(x))
				return false;
			break;
		case RNDIS_PPI_LSO:
		case RNDIS_PPI_VLAN:
			return false;
		default:
			break; /* unknown: skipped, as the parser does */
		}
		p += h.size;
		n -= h.size;
	}
	return true;
}

/*
 * Work shared by the messages of a packet: the PPI offset and bytes (16
 * of them, one element with a 4-byte value: the stock guest's hash-value
 * PPI naming its queue, sent with every frame) and the data offset of
 * the last message whose PPIs passed, the bytes from the private copy
 * that was walked. A message with the same offsets passed the same
 * placement rules; with the same bytes too, the same walk.
 */
struct tx_ppi_seen {
	uint64_t w[2];
	uint32_t ppi_offset, data_offset; /* data_offset 0: none yet */
};

/*
 * The PPI rules of tx_walk_plain for the message m at msg (its header
 * rules passed: the frame at data_abs is inside it).
 */
static inline __attribute__((always_inline)) bool
tx_ppis_ok(struct tx_ppi_seen *c, const struct rndis_packet_msg *m,
	   const uint8_t *msg, uint64_t data_abs)
{
	const uint8_t *pp = msg + RNDIS_BODY_OFFSET + m->ppi_offset;
	uint64_t w[2];

	if (m->ppi_len == sizeof(w) && m->ppi_offset == c->ppi_offset &&
	    m->data_offset == c->data_offset) {
		/* The placement passed before: pp[0..16) is in the message. */
		memcpy(w, pp, sizeof(w)); /* one private copy, read once */
		if (w[0] == c->w[0] && w[1] == c->w[1])
			return true;
		if (!tx_ppis_plain((const uint8_t *)w, sizeof(w)))
			return false;
		memcpy(c->w, w, sizeof(w));
		return true;
	}
	/* PPIs sit between the header and the frame. */
	if (m->ppi_offset < RNDIS_PACKET_BODY_MIN ||
	    m->ppi_offset % RNDIS_PPI_ALIGN != 0 ||
	    (uint64_t)RNDIS_BODY_OFFSET + m->ppi_offset + m->ppi_len > data_abs)
		return false;
	if (m->ppi_len != sizeof(w))
		return tx_ppis_plain(pp, m->ppi_len);
	memcpy(w, pp, sizeof(w));
	if (!tx_ppis_plain((const uint8_t *)w, sizeof(w)))
		return false;
	memcpy(c->w, w, sizeof(w));
	c->ppi_offset = m->ppi_offset;
	c->data_offset = m->data_offset;
	return true;
}

/*
 * Bytes of a message compared with the last accepted one (struct
 * emu_tx_seen): the header and the PPIs of the stock guest's messages
 * (60 bytes) and of ours (44) fit.
 */
#define TX_SEEN_LEN 64u
_Static_assert(sizeof(((struct emu_tx_seen *)0)->w) == TX_SEEN_LEN,
	       "emu_tx_seen holds TX_SEEN_LEN bytes");
_Static_assert(sizeof(struct tx_span) == sizeof(uint64_t) &&
	       offsetof(struct tx_span, len) == sizeof(uint32_t),
	       "a span is { off, len } in 8 bytes");

typedef uint64_t tx_v2 __attribute__((vector_size(16)));

/* tx_seen_loop compares bytes 16..31 unmasked: below any data_abs. */
_Static_assert(RNDIS_BODY_OFFSET + RNDIS_PACKET_BODY_MIN >= 32 &&
	       offsetof(struct rndis_packet_msg, msg_len) + 4 <= 16,
	       "bytes 16..31 of a stored header are all compared");

/*
 * Are the first data_abs bytes at h, msg_len's aside, those of the
 * message accepted last? Every rule of tx_walk_plain but the two on
 * msg_len reads only those bytes (the header and the PPIs): equal bytes
 * pass them all again. The bytes are read once, into w (a private copy
 * the caller checks when they differ).
 */
static inline __attribute__((always_inline)) bool
tx_seen_same(const struct emu_tx_seen *s, const uint8_t *h, uint64_t *w)
{
	tx_v2 a0, a1, a2, a3, m0, m1, m2, m3, v0, v1, v2, v3, d;

	memcpy(&a0, h, 16);
	memcpy(&a1, h + 16, 16);
	memcpy(&a2, h + 32, 16);
	memcpy(&a3, h + 48, 16);
	memcpy(&m0, &s->mask[0], 16);
	memcpy(&m1, &s->mask[2], 16);
	memcpy(&m2, &s->mask[4], 16);
	memcpy(&m3, &s->mask[6], 16);
	memcpy(&v0, &s->w[0], 16);
	memcpy(&v1, &s->w[2], 16);
	memcpy(&v2, &s->w[4], 16);
	memcpy(&v3, &s->w[6], 16);
	d = ((a0 & m0) ^ v0) | ((a1 & m1) ^ v1) | ((a2 & m2) ^ v2) |
	    ((a3 & m3) ^ v3);
	if (hv_likely(s->data_abs != 0 && (d[0] | d[1]) == 0))
		return true;
	memcpy(w, &a0, 16);
	memcpy(w + 2, &a1, 16);
	memcpy(w + 4, &a2, 16);
	memcpy(w + 6, &a3, 16);
	return false;
}

/*
 * The messages from off on that repeat the last accepted one (s) byte
 * for byte, as tx_seen_same finds them, with s's mask and bytes loaded
 * once for the run (in registers: the loop makes no call). Each one's
 * msg_len is held against the bytes left as tx_walk_plain does. Returns
 * the offset after the run, *np, *bytes and sp[] advanced; it stops at a
 * message that differs, at the packet's end or at EMU_NET_TX_MSGS
 * messages, and returns UINT32_MAX for a msg_len out of range (the full
 * walk decides). v4: the mask's last 16 bytes are not all zero (a
 * header and PPIs past 48 bytes, the stock guest's); else three vectors
 * hold every byte compared (ours: 44).
 */
static inline __attribute__((always_inline)) uint32_t
tx_seen_loop(const struct emu_tx_seen *s, const uint8_t *buf, uint32_t len,
	     uint32_t off, unsigned int *np, struct tx_span *sp,
	     uint64_t *bytes, const bool v4)
{
	tx_v2 a0, a1, a2, a3, m0, m2, m3, v0, v1, v2, v3, d;
	uint32_t abs = s->data_abs, dl = s->data_len, need = abs + dl, ml;
	uint32_t lim = need > TX_SEEN_LEN ? need : TX_SEEN_LEN;
	unsigned int n = *np, room;
	struct tx_span *p = sp + n;
	/* The offset as a 64-bit index (buf + o is an address mode), and
	 * the bytes left past the message at o's header and frame (signed:
	 * below 0 past the last message, by less than need). */
	uint64_t o = off, span;
	int64_t rest;

	/* Fewer bytes left than the message needs (lim >= need): it cannot
	 * be one of these, the per-message rules name it. A message at o
	 * has lim bytes left while o <= last. */
	if (n >= EMU_NET_TX_MSGS || len < lim || off > len - lim)
		return off;
	room = EMU_NET_TX_MSGS - n;
	rest = (int64_t)len - off - need;
	/* The span { off + abs, dl } in one 64-bit word, walked along: a
	 * message's msg_len is added to both halves' low one (off + abs
	 * < len: no carry into dl). */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	span = (uint64_t)dl << 32 | (off + abs);
#else
	span = (uint64_t)(off + abs) << 32 | dl;
#endif
	memcpy(&m0, &s->mask[0], 16);
	memcpy(&m2, &s->mask[4], 16);
	memcpy(&m3, &s->mask[6], 16);
	memcpy(&v0, &s->w[0], 16);
	memcpy(&v1, &s->w[2], 16);
	memcpy(&v2, &s->w[4], 16);
	memcpy(&v3, &s->w[6], 16);
	/* Bytes 16..31 are below data_abs (>= 44, tx_seen_run), msg_len is
	 * in 0..15: their mask is all ones, and with v4 (data_abs > 48)
	 * that of bytes 32..47 too. */
	do {
		const uint8_t *h = buf + o;

		memcpy(&a0, h, 16);
		memcpy(&a1, h + 16, 16);
		memcpy(&a2, h + 32, 16);
		d = ((a0 & m0) ^ v0) | (a1 ^ v1);
		if (v4) {
			memcpy(&a3, h + 48, 16);
			d |= (a2 ^ v2) | ((a3 & m3) ^ v3);
		} else {
			d |= (a2 & m2) ^ v2;
		}
		if ((d[0] | d[1]) != 0)
			break;
		/* Not among the bytes compared: msg_len in [frame end,
		 * bytes left], one compare (left - need = rest). */
		memcpy(&ml, h + offsetof(struct rndis_packet_msg, msg_len),
		       sizeof(ml));
		if ((uint64_t)(uint32_t)(ml - need) > (uint64_t)rest)
			return UINT32_MAX;
		memcpy(p++, &span, sizeof(span));
		o += ml;
		rest -= ml;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		span += ml;
#else
		span += (uint64_t)ml << 32;
#endif
		/* The next one has lim bytes left (lim - need past its frame). */
	} while (--room != 0 && rest >= (int64_t)(lim - need));
	n = (unsigned int)(p - sp);
	*bytes += (uint64_t)(n - *np) * dl;
	*np = n;
	return (uint32_t)o;
}

/* tx_seen_loop for s (none yet: nothing taken). */
static inline __attribute__((always_inline)) uint32_t
tx_seen_run(const struct emu_tx_seen *s, const uint8_t *buf, uint32_t len,
	    uint32_t off, unsigned int *np, struct tx_span *sp, uint64_t *bytes)
{
	/* None yet; or a message tx_walk_plain never stores (the frame
	 * after the 44-byte header): tx_seen_loop counts on that. */
	if (s->data_abs < RNDIS_BODY_OFFSET + RNDIS_PACKET_BODY_MIN)
		return off;
	if ((s->mask[6] | s->mask[7]) != 0)
		return tx_seen_loop(s, buf, len, off, np, sp, bytes, true);
	return tx_seen_loop(s, buf, len, off, np, sp, bytes, false);
}

/* Keep the private copy w of an accepted message (header m). */
static __attribute__((noinline)) void
tx_seen_store(struct emu_tx_seen *s, const uint64_t *w,
	      const struct rndis_packet_msg *m, uint32_t data_abs)
{
	uint8_t bm[TX_SEEN_LEN];
	unsigned int i;

	memset(bm, 0, sizeof(bm));
	memset(bm, 0xff, data_abs);
	/* msg_len is checked per message. */
	memset(bm + offsetof(struct rndis_packet_msg, msg_len), 0,
	       sizeof(m->msg_len));
	memcpy(s->mask, bm, sizeof(bm));
	for (i = 0; i < 8; i++)
		s->w[i] = w[i] & s->mask[i];
	s->data_abs = data_abs;
	s->data_len = m->data_len;
}

/*
 * The strict walk for the common packet (docs/performance.md): every
 * message a PACKET_MSG at exactly the previous msg_len whose frame needs
 * nothing done to it. The rules are tx_next_msg's, rndis_pkt_hdr_check's,
 * rndis_ppi_walk's and tx_plain's, checked on one private copy of each
 * header (folded into one test), the PPIs read once. A message whose
 * header and PPIs are byte for byte those of the last one accepted on
 * the queue (s; the guest's aggregates repeat them) passed the same
 * rules: only its msg_len is held against the bytes left. Returns the
 * number of messages with sp[] filled, or 0 for anything else (a
 * message that is malformed or asks for an offload, more than
 * EMU_NET_TX_MSGS): the full walk then decides and logs it. No frame
 * has left by then. *bytes: the frames' bytes added up.
 */
static inline __attribute__((always_inline)) unsigned int
tx_walk_plain(struct emu_tx_seen *s, const uint8_t *buf, uint32_t len,
	      struct tx_span *sp, uint64_t *bytes)
{
	struct tx_ppi_seen seen = { { 0, 0 }, 0, 0 };
	uint32_t off = 0;
	unsigned int n = 0;

	do {
		struct rndis_packet_msg m;
		uint64_t w[TX_SEEN_LEN / 8];
		const uint8_t *h;
		uint32_t left;
		uint64_t data_abs;
		bool bad, copied = false;

		/* The guest's aggregates repeat the last accepted header. */
		off = tx_seen_run(s, buf, len, off, &n, sp, bytes);
		if (off == UINT32_MAX)
			return 0;
		if (off == len)
			break;
		h = buf + off;
		left = len - off;
		if (left < sizeof(m) || n == EMU_NET_TX_MSGS)
			return 0;
		if (left >= TX_SEEN_LEN) {
			/* Not s's bytes (else the run took it): w is the one
			 * read of these, all checks use it. */
			memcpy(w, h, sizeof(w));
			h = (const uint8_t *)w;
			copied = true;
		}
		memcpy(&m, h, sizeof(m));
		data_abs = (uint64_t)RNDIS_BODY_OFFSET + m.data_offset;
		/* msg_len in [44, left], no OOB data or VC, data_len in
		 * [14, frame max], the frame after the header and inside. */
		bad = m.type != RNDIS_MSG_PACKET;
		bad |= (m.oob_data_offset | m.oob_data_len |
			m.num_oob_data_elements | m.vc_handle) != 0;
		bad |= m.msg_len - (uint32_t)sizeof(m) > left - (uint32_t)sizeof(m);
		bad |= m.data_len - RNDIS_PKT_MIN_FRAME >
		       EMU_NET_FRAME_MAX - RNDIS_PKT_MIN_FRAME;
		bad |= m.data_offset < RNDIS_PACKET_BODY_MIN;
		bad |= data_abs + m.data_len > m.msg_len;
		if (bad)
			return 0;
		copied = copied && data_abs <= TX_SEEN_LEN;
		/* The stock guest sends a PPI with every frame. */
		if (m.ppi_len != 0) {
			if (!copied) {
				if (!tx_ppis_ok(&seen, &m, buf + off, data_abs))
					return 0;
			} else if (m.ppi_offset < RNDIS_PACKET_BODY_MIN ||
				   m.ppi_offset % RNDIS_PPI_ALIGN != 0 ||
				   (uint64_t)RNDIS_BODY_OFFSET + m.ppi_offset +
						   m.ppi_len > data_abs ||
				   !tx_ppis_plain(h + RNDIS_BODY_OFFSET + m.ppi_offset,
						  m.ppi_len)) {
				return 0;
			}
		}
		if (copied)
			tx_seen_store(s, w, &m, (uint32_t)data_abs);
		sp[n].off = off + (uint32_t)data_abs;
		sp[n].len = m.data_len;
		*bytes += m.data_len;
		off += m.msg_len;
		n++;
	} while (off != len);
	return n;
}

/*
 * tx_walk_plain's rules for a packet that is a single message of len
 * bytes, h (TX_SEEN_LEN bytes) the private copy of its first hlen (the
 * page-buffer fast path, emu_txgpa.c): true with the frame's offset and
 * length in the packet. The header and its PPIs must lie in h[0, hlen) and
 * msg_len must be len exactly (a message that does not fill the packet
 * has another after it); anything else is false and the full path
 * decides and names it. Only an accepted message updates s.
 */
bool
emu_tx_one_plain(struct emu_tx_seen *s, const uint8_t *h, uint32_t hlen,
		 uint32_t len, uint32_t *data_abs, uint32_t *data_len)
{
	struct rndis_packet_msg m;
	uint64_t w[TX_SEEN_LEN / 8];
	uint64_t abs;
	bool bad;

	if (len < TX_SEEN_LEN)
		return false;
	if (hlen > TX_SEEN_LEN)
		return false;
	/* Equal bytes: only those below s->data_abs are compared. */
	if (tx_seen_same(s, h, w) && s->data_abs <= hlen) {
		uint32_t ml;

		memcpy(&ml, h + offsetof(struct rndis_packet_msg, msg_len),
		       sizeof(ml));
		if (ml != len || ml < s->data_abs + s->data_len)
			return false;
		*data_abs = s->data_abs;
		*data_len = s->data_len;
		return true;
	}
	memcpy(&m, w, sizeof(m));
	abs = (uint64_t)RNDIS_BODY_OFFSET + m.data_offset;
	/* tx_walk_plain's test with left = len, plus the two above. */
	bad = m.type != RNDIS_MSG_PACKET;
	bad |= (m.oob_data_offset | m.oob_data_len |
		m.num_oob_data_elements | m.vc_handle) != 0;
	bad |= m.msg_len != len;
	bad |= m.data_len - RNDIS_PKT_MIN_FRAME >
	       EMU_NET_FRAME_MAX - RNDIS_PKT_MIN_FRAME;
	bad |= m.data_offset < RNDIS_PACKET_BODY_MIN;
	bad |= abs + m.data_len > m.msg_len;
	bad |= abs > hlen;
	if (bad)
		return false;
	if (m.ppi_len != 0 &&
	    (m.ppi_offset < RNDIS_PACKET_BODY_MIN ||
	     m.ppi_offset % RNDIS_PPI_ALIGN != 0 ||
	     (uint64_t)RNDIS_BODY_OFFSET + m.ppi_offset + m.ppi_len > abs ||
	     !tx_ppis_plain((const uint8_t *)w + RNDIS_BODY_OFFSET + m.ppi_offset,
			    m.ppi_len)))
		return false;
	tx_seen_store(s, w, &m, (uint32_t)abs);
	*data_abs = (uint32_t)abs;
	*data_len = m.data_len;
	return true;
}

/*
 * The n frames tx_walk_plain found, to the backend; held: buf is the
 * guest's send section, whose completion waits for emu_nic_tx_release.
 */
static inline __attribute__((always_inline)) void
tx_send_plain(struct emu_net_queue *q, const uint8_t *buf,
	      const struct tx_span *sp, unsigned int n, uint64_t bytes,
	      bool held)
{
	struct emu_nic *nic = q->nic;
	struct emu_chan_stats *st = &nic->qst[q->id];
	struct emu_backend *be = nic->be;
	unsigned int i;

	if (held && be != NULL && be->ops->xmit_burst_held != NULL) {
		be->ops->xmit_burst_held(be, buf, sp, n);
		nic->be_held = true;
	} else if (be != NULL && be->ops->xmit_burst != NULL) {
		be->ops->xmit_burst(be, buf, sp, n);
	} else if (be != NULL && be->ops->xmit != NULL) {
		void (*xmit)(struct emu_backend *, const void *, size_t) =
			be->ops->xmit;

		for (i = 0; i < n; i++)
			xmit(be, buf + sp[i].off, sp[i].len);
	}
	if (n > 1)
		st->tx_aggregated++;
	st->tx_packets += n;
	st->tx_bytes += bytes;
}

/*
 * tx_data's common packet, as tx_walk_plain takes it: every message
 * repeats the last one accepted on the queue (tx_seen_run takes them
 * all, up to the packet's end). A function of its own with few values
 * live, for callers that know EMU_LENIENT_TX_MSG_ALIGN is off: false,
 * with nothing sent, for anything else; tx_data then walks the packet
 * from its start by the same rules. buf is a send section (held).
 */
static __attribute__((noinline)) bool
tx_data_seen(struct emu_net_queue *q, const uint8_t *buf, uint32_t len)
{
	struct tx_span sp[EMU_NET_TX_MSGS];
	uint64_t bytes = 0;
	unsigned int n = 0;

	if (tx_seen_run(&q->tx_seen, buf, len, 0, &n, sp, &bytes) != len ||
	    n == 0)
		return false;
	tx_send_plain(q, buf, sp, n, bytes, true);
	return true;
}

/*
 * All messages of the packet; false if any was refused. Every message
 * is checked before the first frame leaves, as a real host drops the
 * whole packet. The first pass keeps what it parsed (the message's
 * offset in the gathered bytes goes into data_off), the second only
 * sends; a packet of more than EMU_NET_TX_MSGS messages (more than the
 * host offers, EMU_NET_RNDIS_MAX_PKTS) is walked and parsed again.
 */
static bool
tx_data(struct emu_net_queue *q, const uint8_t *buf, uint32_t len, bool held)
{
	struct emu_nic *nic = q->nic;
	struct emu_chan_stats *st = &nic->qst[q->id];
	struct rndis_pkt_info *pk = nic->tx_pk, *p;
	const uint8_t *msg = NULL;
	bool lenient = nic->net->cfg.lenient & EMU_LENIENT_TX_MSG_ALIGN;
	uint32_t mlen = 0, off = 0, start;
	unsigned int n = 0, i;

	if (hv_likely(!lenient)) {
		struct tx_span sp[EMU_NET_TX_MSGS];
		uint64_t bytes = 0;

		n = tx_walk_plain(&q->tx_seen, buf, len, sp, &bytes);
		if (hv_likely(n != 0)) {
			tx_send_plain(q, buf, sp, n, bytes, held);
			return true;
		}
	}
	/* tx_next_msg's walk, with the option read once. */
	p = pk;
	while (off < len) {
		uint32_t left = len - off;

		if (lenient && left < sizeof(struct rndis_msg_hdr))
			break;
		if (hv_unlikely(left < sizeof(struct rndis_msg_hdr)))
			return tx_msg_len_error(q, len, off, n, 0) == 0;
		memcpy(&mlen, buf + off + 4, sizeof(mlen));
		if (hv_unlikely(mlen < sizeof(struct rndis_msg_hdr) || mlen > left))
			return tx_msg_len_error(q, len, off, n, mlen) == 0;
		start = off;
		if (!tx_parse(q, buf + start, mlen, n + 1, start, p))
			return false;
		p->data_off += start;
		off += mlen;
		if (lenient)
			off = HV_ALIGN_UP(off, 1u << EMU_NET_RNDIS_ALIGN_SHIFT);
		if (off > len)
			off = len;
		/* Past EMU_NET_TX_MSGS, the last slot serves them all. */
		if (++n < EMU_NET_TX_MSGS + 1)
			p = &pk[n < EMU_NET_TX_MSGS ? n : EMU_NET_TX_MSGS];
	}
	if (n > 1)
		st->tx_aggregated++;
	if (hv_likely(n <= EMU_NET_TX_MSGS)) {
		void (*xmit)(struct emu_backend *, const void *, size_t) =
			nic->be != NULL ? nic->be->ops->xmit : NULL;
		uint64_t bytes = 0;
		unsigned int sent = 0;
		bool ok = true;

		/* Plain frames in a tight loop, the rest through tx_frame. */
		for (i = 0; i < n && ok; i++) {
			p = &pk[i];
			if (hv_likely(tx_plain(p))) {
				if (xmit != NULL)
					xmit(nic->be, buf + p->data_off, p->data_len);
				sent++;
				bytes += p->data_len;
				continue;
			}
			ok = tx_frame_ok(q, buf, p, i + 1);
		}
		st->tx_packets += sent;
		st->tx_bytes += bytes;
		return ok;
	}
	/* The same walk again, for the messages past EMU_NET_TX_MSGS. */
	off = 0;
	for (i = 0; i < n; i++) {
		/* In place, the guest may have changed the bytes since. */
		if (tx_next_msg(q, buf, len, &off, i, &msg, &mlen) != 1)
			return false;
		p = i < EMU_NET_TX_MSGS ? &pk[i] : &pk[EMU_NET_TX_MSGS];
		if (i >= EMU_NET_TX_MSGS) {
			if (tx_parse_msg(msg, mlen, p) != 0)
				return false; /* the guest changed the bytes */
			p->data_off += (uint32_t)(msg - buf);
		}
		if (!tx_frame_ok(q, buf, p, i + 1))
			return false;
	}
	return true;
}

static bool
is_data(const uint8_t *buf, uint32_t len)
{
	uint32_t type;

	if (len < sizeof(type))
		return false;
	memcpy(&type, buf, sizeof(type));
	return type == RNDIS_MSG_PACKET;
}

void
emu_tx_rndis_pkt(struct emu_net_queue *q, const struct vmbus_pkt_info *pi,
		 const struct nvsp_rndis_pkt_info *rp)
{
	struct emu_nic *nic = q->nic;
	bool rc_flag = pi->flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED;
	uint32_t status = NVSP_STATUS_FAILURE;
	const uint8_t *buf;
	int len = gather(q, pi, rp, &buf);
	bool data = len > 0 && is_data(buf, (uint32_t)len);

	if (len > 0 && data && !rc_flag) {
		/* Without RC there is no id to complete: a host refuses it. */
		emu_net_proto_error(nic, q, "RNDIS data packet without completion request");
		return;
	}
	if (len > 0 && data && nic->rndis != EMU_RNDIS_READY)
		emu_net_proto_error(nic, q, "RNDIS PACKET_MSG before RNDIS INITIALIZE");
	else if (len > 0 && data)
		status = tx_data(q, buf, (uint32_t)len, false) ? NVSP_STATUS_SUCCESS :
							  NVSP_STATUS_FAILURE;
	else if (len > 0) {
		/* The control path parses a private copy. */
		if (buf != nic->gather)
			memcpy(nic->gather, buf, (size_t)len);
		status = emu_rndis_control(q, nic->gather, (uint32_t)len);
	}
	if (data && status != NVSP_STATUS_SUCCESS)
		nic->qst[q->id].tx_errors++;
	if (rc_flag && data && status == NVSP_STATUS_SUCCESS)
		emu_tx_comp_post_ok(q, pi->trans_id);
	else if (rc_flag)
		emu_tx_comp_post(q, pi->trans_id, status, data);
	/* A control reply follows the completion of its request. */
	if (!data)
		emu_ctrl_flush(nic);
}

/*
 * The chimney send in one pass: an inband VMBus packet (completion
 * requested) carrying SEND_RNDIS_PKT with a send section whose bytes are
 * RNDIS data (the form both DPDK guests use for small frames). The full
 * path takes it through vmbus_pkt_parse, emu_nvsp_handle, on_rndis_pkt,
 * gather and emu_tx_rndis_pkt; this applies the same rules in place,
 * with the NIC's state (NVSP and RNDIS ready, the type allowed at this
 * version, no trace, no lenient rule) checked once a poll as
 * emu_tx_gpa_fast does (q->gpa, dropped at each poll's start and after
 * any packet the full path handled). Anything else, or anything wrong
 * before the RNDIS messages (a bad descriptor, a section outside the
 * send buffer, a control message), goes to the full path with nothing
 * changed, so its errors and logs are the full path's; from tx_data on,
 * the outcome (frames, counters, the completion's status) is the one
 * emu_tx_rndis_pkt gives a data packet.
 */
bool
emu_tx_inband_fast(struct emu_net_queue *q, uint32_t len)
{
	struct emu_nic *nic = q->nic;
	const uint8_t *pkt = nic->pkt, *buf;
	struct vmbus_pkt_desc d;
	struct {
		uint32_t type;
		uint32_t channel_type;
		uint32_t section_index;
		uint32_t section_size;
	} m;
	uint32_t hdr_len, pkt_len;

	/* vmbus_pkt_parse's descriptor rules, RC set (else a refusal). */
	if (len < sizeof(d))
		return false;
	memcpy(&d, pkt, sizeof(d));
	hdr_len = (uint32_t)d.offset8 * VMBUS_PKT_ALIGN;
	pkt_len = (uint32_t)d.len8 * VMBUS_PKT_ALIGN;
	if (d.type != VMBUS_PKT_DATA_INBAND || hdr_len < sizeof(d) ||
	    pkt_len < hdr_len || pkt_len > len ||
	    d.flags != VMBUS_PKT_FLAG_COMPLETION_REQUESTED ||
	    pkt_len - hdr_len < sizeof(m))
		return false;
	/* rndis_pkt_fast's message rules, with a section. */
	memcpy(&m, pkt + hdr_len, sizeof(m));
	if (m.type != NVSP_MSG_TYPE_SEND_RNDIS_PKT ||
	    m.channel_type > NVSP_CHANNEL_TYPE_CONTROL ||
	    m.section_index == NVSP_SECTION_INDEX_NONE)
		return false;
	if (hv_unlikely(!q->gpa.ok) && !emu_tx_fast_state_fill(q))
		return false;
	/* gather's: the section inside the send buffer, read in place. */
	if (!nic->txbuf_on || m.section_index >= nic->section_count ||
	    m.section_size > nic->section_size || m.section_size == 0)
		return false;
	buf = nic->txbuf + (size_t)m.section_index * nic->section_size;
	if (!is_data(buf, m.section_size))
		return false;
	/* Accepted: emu_tx_rndis_pkt's outcome for a data packet (q->gpa
	 * vouches that EMU_LENIENT_TX_MSG_ALIGN is off: tx_data_seen may
	 * take it). The section stays the guest's until the completion:
	 * the backend may hold its frames. */
	if (hv_likely(tx_data_seen(q, buf, m.section_size) ||
		      tx_data(q, buf, m.section_size, true))) {
		emu_tx_comp_post_ok(q, d.trans_id);
		return true;
	}
	nic->qst[q->id].tx_errors++;
	emu_tx_comp_post(q, d.trans_id, NVSP_STATUS_FAILURE, true);
	/* A refusal may have changed what the cache vouches for. */
	emu_tx_gpa_forget(q);
	return true;
}
