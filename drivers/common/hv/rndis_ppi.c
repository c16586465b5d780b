/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RNDIS PACKET_MSG encoder, parser and message iterator.
 * See rndis_ppi.h for the contract.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "hv_compiler.h"
#include "rndis_ppi.h"

uint32_t
rndis_txcsum_value(uint32_t flags, uint16_t l4_offset)
{
	uint32_t off = l4_offset & RNDIS_TXCSUM_L4_OFFSET_MAX;

	return (flags & 0xFFFFu) | (off << RNDIS_TXCSUM_L4_OFFSET_SHIFT);
}

uint32_t
rndis_vlan_tci_to_ppi(uint16_t tci)
{
	uint32_t vid = tci & 0x0FFFu;
	uint32_t dei = (tci >> 12) & 0x1u;
	uint32_t pcp = (tci >> 13) & 0x7u;

	return pcp | (dei ? RNDIS_VLAN_CFI : 0) | (vid << RNDIS_VLAN_ID_SHIFT);
}

uint16_t
rndis_vlan_ppi_to_tci(uint32_t ppi)
{
	uint32_t pcp = ppi & RNDIS_VLAN_PRIO_MASK;
	uint32_t dei = (ppi & RNDIS_VLAN_CFI) ? 1u : 0u;
	uint32_t vid = (ppi >> RNDIS_VLAN_ID_SHIFT) & RNDIS_VLAN_ID_MASK;

	return (uint16_t)((pcp << 13) | (dei << 12) | vid);
}

/* Every RNDIS_META_* bit; each one present is one u32 PPI. */
#define RNDIS_META_ALL                                                        \
	(RNDIS_META_CSUM | RNDIS_META_LSO | RNDIS_META_VLAN |                  \
	 RNDIS_META_HASH_VALUE | RNDIS_META_HASH_INFO | RNDIS_META_PKTINFO_ID)
/* rndis_meta_count counts within one byte. */
_Static_assert(RNDIS_META_ALL <= 0xFFu, "RNDIS_META_* fit in a byte");

/*
 * Bits set in present (the known ones only). Branch-free: this runs for
 * every frame a host sends and every frame a guest sends, and a loop
 * over a table of flags cost more than the rest of the encoder.
 */
static uint32_t
rndis_meta_count(uint32_t present)
{
	uint32_t x = present & RNDIS_META_ALL;

	x = x - ((x >> 1) & 0x55u);
	x = (x & 0x33u) + ((x >> 2) & 0x33u);
	return (x + (x >> 4)) & 0x0Fu;
}

uint32_t
rndis_pkt_hdr_len(const struct rndis_pkt_meta *meta)
{
	return (uint32_t)sizeof(struct rndis_packet_msg) +
	       rndis_meta_count(meta->present) * RNDIS_PPI_U32_SIZE;
}

static uint8_t *
rndis_ppi_put(uint8_t *p, uint32_t type, uint32_t value)
{
	struct rndis_ppi_hdr h = {
		.size = RNDIS_PPI_U32_SIZE,
		.type = type,
		.ppi_offset = (uint32_t)sizeof(h),
	};

	memcpy(p, &h, sizeof(h));
	memcpy(p + sizeof(h), &value, sizeof(value));
	return p + RNDIS_PPI_U32_SIZE;
}

int
rndis_lso_value(const struct rndis_pkt_meta *meta, uint32_t *value)
{
	if (meta->lso_mss == 0 || meta->lso_mss > RNDIS_LSO2_MSS_MAX ||
	    meta->lso_tcp_off > RNDIS_LSO2_TCP_OFFSET_MAX)
		return -EINVAL;
	*value = meta->lso_mss |
		 ((uint32_t)meta->lso_tcp_off << RNDIS_LSO2_TCP_OFFSET_SHIFT) |
		 RNDIS_LSO2_TYPE_V2 | (meta->lso_ipv6 ? RNDIS_LSO2_IPV6 : 0);
	return 0;
}

/*
 * Write the PPIs in a fixed order. The LSO word comes in already checked
 * (lso): nothing here can fail once the caller validated the metadata.
 */
static void
rndis_ppis_put(uint8_t *p, const struct rndis_pkt_meta *meta, uint32_t lso)
{
	if (meta->present & RNDIS_META_CSUM)
		p = rndis_ppi_put(p, RNDIS_PPI_CHECKSUM, meta->csum);
	if (meta->present & RNDIS_META_LSO)
		p = rndis_ppi_put(p, RNDIS_PPI_LSO, lso);
	if (meta->present & RNDIS_META_VLAN)
		p = rndis_ppi_put(p, RNDIS_PPI_VLAN,
				  rndis_vlan_tci_to_ppi(meta->vlan_tci));
	if (meta->present & RNDIS_META_HASH_VALUE)
		p = rndis_ppi_put(p, RNDIS_PPI_HASH_VALUE, meta->hash_value);
	if (meta->present & RNDIS_META_HASH_INFO)
		p = rndis_ppi_put(p, RNDIS_PPI_HASH_INFO, meta->hash_info);
	if (meta->present & RNDIS_META_PKTINFO_ID)
		rndis_ppi_put(p, RNDIS_PPI_PKTINFO_ID,
			      rndis_pktinfo_id_value(meta->frag_flags,
						     meta->frag_id));
}

int
rndis_pkt_encode(void *buf, size_t len, const struct rndis_pkt_meta *meta,
		 uint32_t frame_len, uint32_t frame_off)
{
	struct rndis_packet_msg m = { .type = RNDIS_MSG_PACKET };
	uint32_t hdr_len = rndis_pkt_hdr_len(meta);
	uint32_t ppi_len = hdr_len - (uint32_t)sizeof(m);
	uint32_t lso = 0;

	if (buf == NULL || frame_len == 0)
		return -EINVAL;
	/* Refuse bad LSO values before writing anything. */
	if ((meta->present & RNDIS_META_LSO) && rndis_lso_value(meta, &lso) != 0)
		return -EINVAL;
	if (frame_off == 0)
		frame_off = hdr_len;
	if (frame_off < hdr_len)
		return -EMSGSIZE;
	if ((uint64_t)frame_off + frame_len > INT32_MAX)
		return -EMSGSIZE;
	if (len < hdr_len)
		return -ENOBUFS;
	rndis_ppis_put((uint8_t *)buf + sizeof(m), meta, lso);
	m.msg_len = frame_off + frame_len;
	m.data_offset = frame_off - RNDIS_BODY_OFFSET;
	m.data_len = frame_len;
	if (ppi_len != 0) {
		m.ppi_offset = RNDIS_PACKET_BODY_MIN;
		m.ppi_len = ppi_len;
	}
	memcpy(buf, &m, sizeof(m));
	return (int)frame_off;
}

int
rndis_pkt_parse(const void *buf, size_t len, struct rndis_pkt_info *out)
{
	struct rndis_packet_msg m;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len < sizeof(struct rndis_msg_hdr))
		return -EINVAL;
	memcpy(&m, buf, sizeof(struct rndis_msg_hdr));
	if (m.type != RNDIS_MSG_PACKET)
		return -EPROTO;
	if (len < sizeof(m))
		return -EINVAL;
	/* One private copy: every check and use below reads only it. */
	memcpy(&m, buf, sizeof(m));
	rc = rndis_pkt_hdr_check(&m, len);
	if (rc != 0)
		return rc;
	if (m.ppi_len != 0) {
		rc = rndis_ppi_walk((const uint8_t *)buf + RNDIS_BODY_OFFSET +
					    m.ppi_offset,
				    m.ppi_len, &out->meta);
		if (rc != 0)
			return rc;
	}
	out->msg_len = m.msg_len;
	out->data_off = RNDIS_BODY_OFFSET + m.data_offset;
	out->data_len = m.data_len;
	return 0;
}

static bool
rndis_align_ok(uint32_t align)
{
	/* Largest alignment accepted: one page, as for INIT_CMPLT. */
	return align <= (1u << RNDIS_PKT_ALIGN_FACTOR_MAX) &&
	       (align & (align - 1)) == 0;
}

int
rndis_pkt_msg_len_align(void *msg, size_t room, uint32_t align)
{
	struct rndis_msg_hdr h;
	uint64_t padded;

	if (align == 0 || !rndis_align_ok(align) || room < sizeof(h))
		return -EINVAL;
	memcpy(&h, msg, sizeof(h));
	padded = HV_ALIGN_UP((uint64_t)h.msg_len, align);
	if (padded > room || padded > INT32_MAX)
		return -ENOBUFS;
	h.msg_len = (uint32_t)padded;
	memcpy(msg, &h, sizeof(h));
	return (int)padded;
}

int
rndis_msg_iter_init(struct rndis_msg_iter *it, const void *buf, size_t len,
		    uint32_t align)
{
	if (!rndis_align_ok(align))
		return -EINVAL;
	*it = (struct rndis_msg_iter){
		.buf = buf,
		.len = buf != NULL ? len : 0,
		.align = align > 1 ? align : 1,
	};
	return 0;
}

int
rndis_msg_iter_next(struct rndis_msg_iter *it, const void **msg,
		    uint32_t *msg_len)
{
	struct rndis_msg_hdr h;
	size_t left;

	if (it->off >= it->len || it->len - it->off < sizeof(h))
		return -ENOENT;
	left = it->len - it->off;
	memcpy(&h, it->buf + it->off, sizeof(h));
	if (h.msg_len < sizeof(h) || h.msg_len > left) {
		/* Park at the end so a caller that retries cannot spin. */
		it->off = it->len;
		return -EINVAL;
	}
	*msg = it->buf + it->off;
	*msg_len = h.msg_len;
	it->off += h.msg_len;
	/* Padding may run past the buffer end: that is just the end. */
	it->off = HV_ALIGN_UP(it->off, (size_t)it->align);
	return 0;
}
