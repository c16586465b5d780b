/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RNDIS data-header template: a PACKET_MSG header and its PPIs laid out
 * once for a fixed set of per-packet infos (RNDIS_META_* bits), then
 * copied and patched per packet: msg_len, data_len and each PPI's value.
 *
 * Both data paths send many frames with the same PPI set: the guest's Tx
 * (hash value as queue hint, checksum request, VLAN, LSO) and the host's
 * Rx (checksum result, VLAN, hash). rndis_pkt_encode() writes the same
 * bytes but works out the layout for every frame; the template does it
 * once. The layout comes from rndis_pkt_encode() itself (the template is
 * built by encoding and then locating each PPI's value), so the two can
 * never disagree.
 *
 * The frame goes at frame_off from the message start (0: right after
 * the PPIs, as guests send; a host may leave headroom, e.g. 256). The
 * bytes between the PPIs and frame_off are not written.
 */
#ifndef RNDIS_TMPL_H
#define RNDIS_TMPL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rndis_ppi.h"
#include "rndis_wire.h"

/* Header and all six u32 PPIs: 44 + 6 * 16 bytes, rounded to 16. */
#define RNDIS_TMPL_MAX 144u

struct rndis_pkt_tmpl {
	uint8_t bytes[RNDIS_TMPL_MAX];
	uint32_t hdr_len;   /* header + PPIs; 0: not initialised */
	uint32_t frame_off; /* from the message start */
	uint32_t present;   /* RNDIS_META_* */
	/* Offset of each PPI's u32 value in bytes; 0 if absent. */
	uint16_t off_csum;
	uint16_t off_lso;
	uint16_t off_vlan;
	uint16_t off_hash_value;
	uint16_t off_hash_info;
	uint16_t off_pktinfo;
};

/*
 * Lay out the template for the PPI set present (RNDIS_META_* bits;
 * others -EINVAL), frame at frame_off (0: right after the PPIs;
 * otherwise >= the header, else -EMSGSIZE).
 */
int
rndis_tmpl_init(struct rndis_pkt_tmpl *t, uint32_t present,
		uint32_t frame_off);

/* Does meta carry exactly the template's PPI set? */
static inline bool
rndis_tmpl_matches(const struct rndis_pkt_tmpl *t,
		   const struct rndis_pkt_meta *meta)
{
	return t->hdr_len != 0 && t->present == meta->present;
}

static inline void
rndis_tmpl_put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

/*
 * Write the header for a frame of frame_len bytes (1..INT32_MAX -
 * frame_off) and meta's values into dst (room for t->hdr_len bytes).
 * meta must match the template (rndis_tmpl_matches). Returns the frame
 * offset, or -EINVAL (bad LSO values, frame_len out of range); nothing
 * is written then.
 */
static inline int
rndis_tmpl_put(const struct rndis_pkt_tmpl *t, void *dst, uint32_t frame_len,
	       const struct rndis_pkt_meta *meta)
{
	uint8_t *d = (uint8_t *)dst;
	uint32_t lso = 0;

	if (frame_len == 0 || frame_len > (uint32_t)INT32_MAX - t->frame_off)
		return -EINVAL;
	if (t->off_lso != 0 && rndis_lso_value(meta, &lso) != 0)
		return -EINVAL;
	memcpy(d, t->bytes, t->hdr_len);
	rndis_tmpl_put32(d + offsetof(struct rndis_packet_msg, msg_len),
			 t->frame_off + frame_len);
	rndis_tmpl_put32(d + offsetof(struct rndis_packet_msg, data_len),
			 frame_len);
	if (t->off_csum != 0)
		rndis_tmpl_put32(d + t->off_csum, meta->csum);
	if (t->off_lso != 0)
		rndis_tmpl_put32(d + t->off_lso, lso);
	if (t->off_vlan != 0)
		rndis_tmpl_put32(d + t->off_vlan,
				 rndis_vlan_tci_to_ppi(meta->vlan_tci));
	if (t->off_hash_value != 0)
		rndis_tmpl_put32(d + t->off_hash_value, meta->hash_value);
	if (t->off_hash_info != 0)
		rndis_tmpl_put32(d + t->off_hash_info, meta->hash_info);
	if (t->off_pktinfo != 0)
		rndis_tmpl_put32(d + t->off_pktinfo,
				 rndis_pktinfo_id_value(meta->frag_flags,
							meta->frag_id));
	return (int)t->frame_off;
}

#endif /* RNDIS_TMPL_H */
