/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receive-side PACKET_MSG parser for a guest's hot path: the same rules
 * as rndis_pkt_parse() (rndis_ppi.h), inline and without the parts a
 * receiver does not need, so that it costs a few dozen instructions per
 * frame instead of a call, a memset and a generic PPI walk.
 *
 * Same contract, checked by the differential fuzz target and unit test:
 * it accepts exactly the messages rndis_pkt_parse() accepts, returns the
 * same error for the others, and yields the same frame offset, length
 * and metadata (present bits, checksum, VLAN, hash value and info). The
 * header is copied once and only the copy is checked and used; each PPI
 * header likewise. LSO and PKTINFO_ID values are validated and flagged in
 * present but not decoded (a receiver has no use for them).
 *
 * The common element is a u32 PPI in canonical form (size 16, value at
 * 12): one compare accepts it; anything else takes the general rules.
 * The common message (a host's untagged frame: one checksum PPI right
 * after the header) is recognised whole first (rndis_rx_parse_csum1).
 */
#ifndef RNDIS_RX_H
#define RNDIS_RX_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hv_compiler.h"
#include "rndis_ppi.h"
#include "rndis_wire.h"

/* What a receiver takes from a data message. */
struct rndis_rx_pkt {
	uint32_t data_off;   /* frame offset from the message start */
	uint32_t data_len;
	uint32_t present;    /* RNDIS_META_* */
	uint32_t csum;       /* RNDIS_RXCSUM_* */
	uint32_t hash_value;
	uint32_t hash_info;
	uint16_t vlan_tci;
};

/* Element types whose value rndis_pkt_parse() reads (types below 32). */
#define RNDIS_RX_KNOWN_LOW                                                    \
	((1u << RNDIS_PPI_CHECKSUM) | (1u << RNDIS_PPI_LSO) |                  \
	 (1u << RNDIS_PPI_VLAN) | (1u << RNDIS_PPI_HASH_VALUE) |               \
	 (1u << RNDIS_PPI_HASH_INFO))

static inline int
rndis_rx_known_ppi(uint32_t type)
{
	return type < 32 ? (RNDIS_RX_KNOWN_LOW >> type) & 1u :
			   type == RNDIS_PPI_PKTINFO_ID;
}

/* One known element's value (v: 4 readable bytes). */
static inline void
rndis_rx_apply(struct rndis_rx_pkt *p, uint32_t type, const uint8_t *v)
{
	uint32_t x;

	memcpy(&x, v, sizeof(x));
	if (type == RNDIS_PPI_CHECKSUM) {
		p->present |= RNDIS_META_CSUM;
		p->csum = x;
	} else if (type == RNDIS_PPI_HASH_VALUE) {
		p->present |= RNDIS_META_HASH_VALUE;
		p->hash_value = x;
	} else if (type == RNDIS_PPI_HASH_INFO) {
		p->present |= RNDIS_META_HASH_INFO;
		p->hash_info = x;
	} else if (type == RNDIS_PPI_VLAN) {
		p->present |= RNDIS_META_VLAN;
		p->vlan_tci = rndis_vlan_ppi_to_tci(x);
	} else if (type == RNDIS_PPI_LSO) {
		p->present |= RNDIS_META_LSO;
	} else if ((x & 0xFFu) == RNDIS_PKTINFO_ID_VERSION) {
		/* RNDIS_PPI_PKTINFO_ID; other versions are not ours */
		p->present |= RNDIS_META_PKTINFO_ID;
	}
}

/* The PPI elements: n bytes at q, all readable. (This and
 * rndis_rx_parse are always inlined: a caller with two copies of its
 * receive loop would otherwise get a call per frame.) */
static inline __attribute__((always_inline)) int
rndis_rx_ppis(struct rndis_rx_pkt *p, const uint8_t *q, uint32_t n)
{
	struct rndis_ppi_hdr h;

	while (n != 0) {
		if (n < sizeof(h))
			return -EINVAL;
		memcpy(&h, q, sizeof(h));
		if (!(h.size == RNDIS_PPI_U32_SIZE && h.ppi_offset == sizeof(h) &&
		      n >= RNDIS_PPI_U32_SIZE)) {
			/* General element rules (rndis_ppi_walk). */
			if (h.size < sizeof(h) || h.size > n ||
			    h.size % RNDIS_PPI_ALIGN != 0 ||
			    h.ppi_offset < sizeof(h) || h.ppi_offset >= h.size)
				return -EINVAL;
			if (rndis_rx_known_ppi(h.type) &&
			    h.size - h.ppi_offset < sizeof(uint32_t))
				return -EINVAL;
		}
		if (rndis_rx_known_ppi(h.type))
			rndis_rx_apply(p, h.type, q + h.ppi_offset);
		q += h.size;
		n -= h.size;
	}
	return 0;
}

/* The header and one canonical u32 PPI: seven 64-bit words and the value. */
#define RNDIS_RX_CSUM1_LEN                                                    \
	((uint32_t)(sizeof(struct rndis_packet_msg) + RNDIS_PPI_U32_SIZE))
_Static_assert(RNDIS_RX_CSUM1_LEN == 7 * sizeof(uint64_t) + sizeof(uint32_t),
	       "the words cover the header and one canonical u32 PPI");
_Static_assert(offsetof(struct rndis_packet_msg, ppi_offset) == 28 &&
		       offsetof(struct rndis_packet_msg, vc_handle) == 36,
	       "the words' halves are the fields compared below");

/*
 * The layout hosts use for an untagged frame: exactly one element, a
 * checksum PPI in canonical form, right after the header (ppi_offset 36,
 * ppi_len 16), and the frame at or after its end. Checked on whole words,
 * each read once, so that the common message costs a few dozen
 * instructions. 1 if it is such a message (data_off, data_len, present
 * and csum set; the other fields are not touched, present says they are
 * absent), 0 if the general rules must decide (good or bad message).
 */
static inline __attribute__((always_inline)) int
rndis_rx_parse_csum1(const uint8_t *b, uint32_t len, struct rndis_rx_pkt *p)
{
	uint64_t w0, w1, w2, w3, w4, w5, w6, bad, msg_len, doff, dlen;
	uint32_t value;

	if (len < RNDIS_RX_CSUM1_LEN)
		return 0;
	/* Each word is read once, into a local (a register, not a buffer). */
	memcpy(&w0, b, sizeof(w0));
	memcpy(&w1, b + 8, sizeof(w1));
	memcpy(&w2, b + 16, sizeof(w2));
	memcpy(&w3, b + 24, sizeof(w3));
	memcpy(&w4, b + 32, sizeof(w4));
	memcpy(&w5, b + 40, sizeof(w5));
	memcpy(&w6, b + 48, sizeof(w6));
	memcpy(&value, b + 56, sizeof(value));
	/* type; oob offset, length, count; ppi_offset, ppi_len, vc_handle;
	 * the element's size, type and value offset (not reserved). */
	bad = ((uint32_t)w0 ^ RNDIS_MSG_PACKET) | w2 |
	      (w3 ^ ((uint64_t)RNDIS_PACKET_BODY_MIN << 32)) |
	      (w4 ^ RNDIS_PPI_U32_SIZE) |
	      ((w5 >> 32) ^ RNDIS_PPI_U32_SIZE) |
	      (w6 ^ ((uint64_t)sizeof(struct rndis_ppi_hdr) << 32));
	msg_len = w0 >> 32;
	doff = (uint32_t)w1;
	dlen = w1 >> 32;
	/* The frame from past the element to msg_len, msg_len in the range. */
	if (bad != 0 ||
	    doff < RNDIS_PACKET_BODY_MIN + RNDIS_PPI_U32_SIZE ||
	    dlen < RNDIS_PKT_MIN_FRAME || msg_len > len ||
	    RNDIS_BODY_OFFSET + doff + dlen > msg_len)
		return 0;
	p->data_off = (uint32_t)(RNDIS_BODY_OFFSET + doff);
	p->data_len = (uint32_t)dlen;
	p->present = RNDIS_META_CSUM;
	p->csum = value;
	return 1;
}

/*
 * Validate the PACKET_MSG of len bytes at buf and fill p. Returns 0,
 * -EPROTO (not a PACKET_MSG) or -EINVAL (malformed), as rndis_pkt_parse.
 */
static inline __attribute__((always_inline)) int
rndis_rx_parse(const void *buf, uint32_t len, struct rndis_rx_pkt *p)
{
	const uint8_t *b = (const uint8_t *)buf;
	struct rndis_packet_msg m;
	uint64_t data_abs, ppi_abs;

	*p = (struct rndis_rx_pkt){ .present = 0 };
	if (hv_likely(rndis_rx_parse_csum1(b, len, p)))
		return 0;
	if (len < sizeof(struct rndis_msg_hdr))
		return -EINVAL;
	memcpy(&m.type, b, sizeof(m.type));
	if (m.type != RNDIS_MSG_PACKET)
		return -EPROTO;
	if (len < sizeof(m))
		return -EINVAL;
	/* One private copy: every check and use below reads only it. */
	memcpy(&m, b, sizeof(m));
	data_abs = (uint64_t)RNDIS_BODY_OFFSET + m.data_offset;
	if (m.msg_len < sizeof(m) || m.msg_len > len ||
	    (m.oob_data_offset | m.oob_data_len | m.num_oob_data_elements |
	     m.vc_handle) != 0 ||
	    m.data_len < RNDIS_PKT_MIN_FRAME ||
	    m.data_offset < RNDIS_PACKET_BODY_MIN ||
	    data_abs + m.data_len > m.msg_len)
		return -EINVAL;
	p->data_off = (uint32_t)data_abs;
	p->data_len = m.data_len;
	if (m.ppi_len == 0)
		return 0;
	ppi_abs = (uint64_t)RNDIS_BODY_OFFSET + m.ppi_offset;
	if (m.ppi_offset < RNDIS_PACKET_BODY_MIN ||
	    m.ppi_offset % RNDIS_PPI_ALIGN != 0 ||
	    ppi_abs + m.ppi_len > data_abs)
		return -EINVAL;
	return rndis_rx_ppis(p, b + ppi_abs, m.ppi_len);
}

#endif /* RNDIS_RX_H */
