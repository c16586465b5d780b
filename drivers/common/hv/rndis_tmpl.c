/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RNDIS data-header template (see rndis_tmpl.h).
 */
#include <errno.h>
#include <string.h>

#include "rndis_tmpl.h"

#define META_ALL                                                              \
	(RNDIS_META_CSUM | RNDIS_META_LSO | RNDIS_META_VLAN |                  \
	 RNDIS_META_HASH_VALUE | RNDIS_META_HASH_INFO | RNDIS_META_PKTINFO_ID)

_Static_assert(sizeof(struct rndis_packet_msg) + 6u * RNDIS_PPI_U32_SIZE <=
		       RNDIS_TMPL_MAX,
	       "the template holds the header and every PPI");

/* Record where the value of a PPI of type sits. */
static int
tmpl_note(struct rndis_pkt_tmpl *t, uint32_t type, uint16_t value_off)
{
	switch (type) {
	case RNDIS_PPI_CHECKSUM:
		t->off_csum = value_off;
		return 0;
	case RNDIS_PPI_LSO:
		t->off_lso = value_off;
		return 0;
	case RNDIS_PPI_VLAN:
		t->off_vlan = value_off;
		return 0;
	case RNDIS_PPI_HASH_VALUE:
		t->off_hash_value = value_off;
		return 0;
	case RNDIS_PPI_HASH_INFO:
		t->off_hash_info = value_off;
		return 0;
	case RNDIS_PPI_PKTINFO_ID:
		t->off_pktinfo = value_off;
		return 0;
	default:
		return -EPROTO;
	}
}

int
rndis_tmpl_init(struct rndis_pkt_tmpl *t, uint32_t present,
		uint32_t frame_off)
{
	/* Any valid values: the layout does not depend on them. */
	struct rndis_pkt_meta m = {
		.present = present, .lso_mss = 1, .lso_tcp_off = 0,
	};
	struct rndis_ppi_hdr ph;
	uint32_t hdr_len, off;
	int rc;

	if (t == NULL || (present & ~META_ALL) != 0)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	rc = rndis_pkt_encode(t->bytes, sizeof(t->bytes), &m, 1, frame_off);
	if (rc < 0)
		return rc;
	hdr_len = rndis_pkt_hdr_len(&m);
	/* Walk our own encoding: u32 elements back to back after 44. */
	for (off = sizeof(struct rndis_packet_msg); off < hdr_len;
	     off += RNDIS_PPI_U32_SIZE) {
		memcpy(&ph, t->bytes + off, sizeof(ph));
		if (ph.size != RNDIS_PPI_U32_SIZE || ph.ppi_offset != sizeof(ph) ||
		    tmpl_note(t, ph.type, (uint16_t)(off + sizeof(ph))) != 0) {
			memset(t, 0, sizeof(*t));
			return -EPROTO;
		}
	}
	t->hdr_len = hdr_len;
	t->frame_off = (uint32_t)rc;
	t->present = present;
	return 0;
}
