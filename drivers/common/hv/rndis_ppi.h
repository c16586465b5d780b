/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RNDIS data messages (PACKET_MSG) and their per-packet-info elements.
 *
 * The encoder writes the 44-byte header and the PPIs for a frame the
 * caller places at the returned data offset (the frame itself usually
 * travels as separate pages). The parser validates a received message
 * and walks its PPIs into a plain metadata struct. Both directions use
 * the same pair: the guest encodes TX and parses RX, the host emulator
 * the reverse.
 *
 * A send-buffer section or receive range may hold several concatenated
 * messages; rndis_msg_iter walks them by msg_len.
 */
#ifndef RNDIS_PPI_H
#define RNDIS_PPI_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rndis_wire.h"

/* Frames shorter than an Ethernet header are refused. */
#define RNDIS_PKT_MIN_FRAME 14u

/* rndis_pkt_meta.present: which fields carry a value. */
#define RNDIS_META_CSUM 0x01u
#define RNDIS_META_LSO 0x02u
#define RNDIS_META_VLAN 0x04u
#define RNDIS_META_HASH_VALUE 0x08u
#define RNDIS_META_HASH_INFO 0x10u
#define RNDIS_META_PKTINFO_ID 0x20u

/* Bytes one encoded u32 PPI takes: its header and its value. */
#define RNDIS_PPI_U32_SIZE ((uint32_t)sizeof(struct rndis_ppi_hdr) + 4u)

struct rndis_pkt_meta {
	uint32_t present;     /* RNDIS_META_* */
	/* TX: RNDIS_TXCSUM_* (see rndis_txcsum_value); RX: RNDIS_RXCSUM_*. */
	uint32_t csum;
	uint32_t lso_mss;     /* <= RNDIS_LSO2_MSS_MAX */
	uint16_t lso_tcp_off; /* TCP header offset in the frame */
	bool lso_ipv6;
	uint16_t vlan_tci;    /* 802.1Q TCI: PCP 15-13, DEI 12, VID 11-0 */
	uint32_t hash_value;  /* RX: RSS hash; TX: queue hint */
	uint32_t hash_info;   /* NDIS_HASH_FUNCTION_* | NDIS_HASH_* */
	uint8_t frag_flags;   /* RNDIS_PKTINFO_* (RSC) */
	uint16_t frag_id;
};

/* A validated PACKET_MSG. */
struct rndis_pkt_info {
	uint32_t msg_len;
	uint32_t data_off; /* frame offset from the message start */
	uint32_t data_len;
	struct rndis_pkt_meta meta;
};

/* Cursor over concatenated RNDIS messages in one buffer. */
struct rndis_msg_iter {
	const uint8_t *buf;
	size_t len;
	size_t off;
	uint32_t align;
};

/* TX checksum request word: RNDIS_TXCSUM_* flags and the L4 offset. */
uint32_t
rndis_txcsum_value(uint32_t flags, uint16_t l4_offset);

/* The VLAN PPI orders the TCI fields differently from 802.1Q. */
uint32_t
rndis_vlan_tci_to_ppi(uint16_t tci);
uint16_t
rndis_vlan_ppi_to_tci(uint32_t ppi);

/* LSOv2 PPI word of meta: 0, or -EINVAL if MSS or TCP offset is bad. */
int
rndis_lso_value(const struct rndis_pkt_meta *meta, uint32_t *value);

/* PKTINFO_ID PPI word (RSC fragments). */
static inline uint32_t
rndis_pktinfo_id_value(uint8_t frag_flags, uint16_t frag_id)
{
	return RNDIS_PKTINFO_ID_VERSION | (uint32_t)frag_flags << 8 |
	       (uint32_t)frag_id << 16;
}

/* Header plus PPI bytes rndis_pkt_encode writes for this metadata. */
uint32_t
rndis_pkt_hdr_len(const struct rndis_pkt_meta *meta);

/*
 * Write a PACKET_MSG header and PPIs into buf for a frame of frame_len
 * bytes. The frame goes right after the PPIs if frame_off is 0, else at
 * frame_off from the message start (a host leaves headroom there).
 * Returns the frame offset, or -EINVAL (bad metadata or frame_len 0),
 * -ENOBUFS (buf too small for header and PPIs), -EMSGSIZE (PPIs do not
 * fit before frame_off, or the message exceeds 32 bits).
 */
int
rndis_pkt_encode(void *buf, size_t len, const struct rndis_pkt_meta *meta,
		 uint32_t frame_len, uint32_t frame_off);

/* Store one element's value; value_len bytes are readable at v. */
static inline __attribute__((always_inline)) int
rndis_ppi_apply(uint32_t type, const uint8_t *v, uint32_t value_len,
		struct rndis_pkt_meta *meta)
{
	uint32_t x;

	switch (type) {
	case RNDIS_PPI_CHECKSUM:
	case RNDIS_PPI_LSO:
	case RNDIS_PPI_VLAN:
	case RNDIS_PPI_HASH_VALUE:
	case RNDIS_PPI_HASH_INFO:
	case RNDIS_PPI_PKTINFO_ID:
		break;
	default:
		return 0; /* unknown or unused: skip */
	}
	if (value_len < sizeof(x))
		return -EINVAL;
	memcpy(&x, v, sizeof(x));
	switch (type) {
	case RNDIS_PPI_CHECKSUM:
		meta->present |= RNDIS_META_CSUM;
		meta->csum = x;
		break;
	case RNDIS_PPI_LSO:
		meta->present |= RNDIS_META_LSO;
		meta->lso_mss = x & RNDIS_LSO2_MSS_MAX;
		meta->lso_tcp_off = (uint16_t)((x >> RNDIS_LSO2_TCP_OFFSET_SHIFT) &
					       RNDIS_LSO2_TCP_OFFSET_MAX);
		meta->lso_ipv6 = (x & RNDIS_LSO2_IPV6) != 0;
		break;
	case RNDIS_PPI_VLAN:
		meta->present |= RNDIS_META_VLAN;
		meta->vlan_tci = rndis_vlan_ppi_to_tci(x);
		break;
	case RNDIS_PPI_HASH_VALUE:
		meta->present |= RNDIS_META_HASH_VALUE;
		meta->hash_value = x;
		break;
	case RNDIS_PPI_HASH_INFO:
		meta->present |= RNDIS_META_HASH_INFO;
		meta->hash_info = x;
		break;
	default: /* RNDIS_PPI_PKTINFO_ID; other versions are not ours */
		if ((x & 0xFFu) != RNDIS_PKTINFO_ID_VERSION)
			break;
		meta->present |= RNDIS_META_PKTINFO_ID;
		meta->frag_flags = (uint8_t)(x >> 8);
		meta->frag_id = (uint16_t)(x >> 16);
		break;
	}
	return 0;
}

/*
 * Walk n bytes of PPI elements into meta (rndis_pkt_parse's rules;
 * inline for hosts that parse every frame). Each element is at least a header long,
 * so the walk always advances; any bad element rejects the packet.
 */
static inline __attribute__((always_inline)) int
rndis_ppi_walk(const uint8_t *p, uint32_t n, struct rndis_pkt_meta *meta)
{
	struct rndis_ppi_hdr h;
	int rc;

	while (n != 0) {
		if (n < sizeof(h))
			return -EINVAL;
		memcpy(&h, p, sizeof(h));
		if (h.size < sizeof(h) || h.size > n ||
		    h.size % RNDIS_PPI_ALIGN != 0)
			return -EINVAL;
		if (h.ppi_offset < sizeof(h) || h.ppi_offset >= h.size)
			return -EINVAL;
		rc = rndis_ppi_apply(h.type, p + h.ppi_offset,
				     h.size - h.ppi_offset, meta);
		if (rc != 0)
			return rc;
		p += h.size;
		n -= h.size;
	}
	return 0;
}

/*
 * Header rules of a PACKET_MSG whose private copy is m, with len bytes
 * available; all sums in 64 bits. 0 or -EINVAL. Inline: a host runs it
 * for every frame (rndis_pkt_parse applies it too).
 */
static inline int
rndis_pkt_hdr_check(const struct rndis_packet_msg *m, size_t len)
{
	uint64_t data_abs = (uint64_t)RNDIS_BODY_OFFSET + m->data_offset;
	uint64_t ppi_abs = (uint64_t)RNDIS_BODY_OFFSET + m->ppi_offset;

	if (m->msg_len < sizeof(*m) || m->msg_len > len)
		return -EINVAL;
	/* Connectionless devices have no out-of-band data or VC handles. */
	if (m->oob_data_offset != 0 || m->oob_data_len != 0 ||
	    m->num_oob_data_elements != 0 || m->vc_handle != 0)
		return -EINVAL;
	if (m->data_len < RNDIS_PKT_MIN_FRAME ||
	    m->data_offset < RNDIS_PACKET_BODY_MIN ||
	    data_abs + m->data_len > m->msg_len)
		return -EINVAL;
	if (m->ppi_len == 0)
		return 0;
	/* PPIs sit between the header and the frame. */
	if (m->ppi_offset < RNDIS_PACKET_BODY_MIN ||
	    m->ppi_offset % RNDIS_PPI_ALIGN != 0 ||
	    ppi_abs + m->ppi_len > data_abs)
		return -EINVAL;
	return 0;
}

/*
 * Validate one PACKET_MSG of len bytes and fill out. Returns 0, -EPROTO
 * (not a PACKET_MSG) or -EINVAL (malformed header or PPI element).
 * Unknown PPI types are skipped.
 */
int
rndis_pkt_parse(const void *buf, size_t len, struct rndis_pkt_info *out);

/*
 * Round the msg_len of the message at msg up to align (a power of two)
 * so that the next aggregated message starts aligned; room is how many
 * bytes from msg the caller may use. Returns the new msg_len, -EINVAL,
 * or -ENOBUFS.
 */
int
rndis_pkt_msg_len_align(void *msg, size_t room, uint32_t align);

/*
 * Walk the messages of buf. Each message starts at the previous one's
 * msg_len rounded up to align (0 or 1: no rounding; otherwise a power of
 * two up to 4096). Fewer than 8 bytes left is the end.
 */
int
rndis_msg_iter_init(struct rndis_msg_iter *it, const void *buf, size_t len,
		    uint32_t align);
/*
 * 0 with *msg and *msg_len set (msg_len >= 8 and inside the buffer),
 * -ENOENT at the end, -EINVAL on a bad msg_len (the walk stops there).
 */
int
rndis_msg_iter_next(struct rndis_msg_iter *it, const void **msg,
		    uint32_t *msg_len);

#endif /* RNDIS_PPI_H */
