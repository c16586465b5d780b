/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the PACKET_MSG parser on the whole input, then the message
 * iterator with each message parsed in turn. An accepted frame must lie
 * inside the message; the frame is read so the sanitizers can check it,
 * and the metadata must survive an encode/parse round trip.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "rndis_ppi.h"
#include "rndis_rx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Re-encoding what was parsed must parse back to the same metadata. */
static void
check_reencode(const struct rndis_pkt_info *pi)
{
	struct rndis_pkt_info again;
	uint8_t *b;
	size_t len = sizeof(struct rndis_packet_msg) +
		     6 * RNDIS_PPI_U32_SIZE + pi->data_len;
	int off;

	b = calloc(1, len);
	if (b == NULL)
		return;
	off = rndis_pkt_encode(b, len, &pi->meta, pi->data_len, 0);
	/* LSO with MSS 0 is valid to parse but refused by the encoder. */
	if (off > 0) {
		if (rndis_pkt_parse(b, (size_t)off + pi->data_len, &again) != 0 ||
		    again.meta.present != pi->meta.present ||
		    again.meta.csum != pi->meta.csum ||
		    again.meta.vlan_tci != pi->meta.vlan_tci ||
		    again.meta.hash_value != pi->meta.hash_value ||
		    again.meta.hash_info != pi->meta.hash_info ||
		    again.meta.lso_mss != pi->meta.lso_mss ||
		    again.meta.frag_id != pi->meta.frag_id)
			abort();
	}
	free(b);
}

/* The receive fast path's parser must agree with the reference one. */
static void
check_rx_parse(const uint8_t *msg, size_t len, int rc,
	       const struct rndis_pkt_info *pi)
{
	struct rndis_rx_pkt rp;
	const uint32_t mask = RNDIS_META_CSUM | RNDIS_META_LSO |
			      RNDIS_META_VLAN | RNDIS_META_HASH_VALUE |
			      RNDIS_META_HASH_INFO | RNDIS_META_PKTINFO_ID;

	if (len > UINT32_MAX)
		return;
	if (rndis_rx_parse(msg, (uint32_t)len, &rp) != rc)
		abort();
	if (rc != 0)
		return;
	if (rp.data_off != pi->data_off || rp.data_len != pi->data_len ||
	    rp.present != (pi->meta.present & mask))
		abort();
	if (((rp.present & RNDIS_META_CSUM) && rp.csum != pi->meta.csum) ||
	    ((rp.present & RNDIS_META_VLAN) &&
	     rp.vlan_tci != pi->meta.vlan_tci) ||
	    ((rp.present & RNDIS_META_HASH_VALUE) &&
	     rp.hash_value != pi->meta.hash_value) ||
	    ((rp.present & RNDIS_META_HASH_INFO) &&
	     rp.hash_info != pi->meta.hash_info))
		abort();
}

static void
check_pkt(const uint8_t *msg, size_t len)
{
	struct rndis_pkt_info pi;
	volatile uint8_t sink = 0;
	int rc = rndis_pkt_parse(msg, len, &pi);

	check_rx_parse(msg, len, rc, &pi);
	if (rc != 0)
		return;
	if (pi.msg_len > len || pi.data_len < RNDIS_PKT_MIN_FRAME ||
	    (uint64_t)pi.data_off + pi.data_len > pi.msg_len)
		abort();
	for (uint32_t i = 0; i < pi.data_len; i++)
		sink ^= msg[pi.data_off + i];
	(void)sink;
	check_reencode(&pi);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rndis_msg_iter it;
	const void *msg;
	uint32_t msg_len;
	size_t n = 0;

	check_pkt(data, size);
	if (rndis_msg_iter_init(&it, data, size, 8) != 0)
		abort();
	while (rndis_msg_iter_next(&it, &msg, &msg_len) == 0) {
		/* Each message takes at least 8 bytes: bounded walk. */
		if (++n > size / 8)
			abort();
		check_pkt(msg, msg_len);
	}
	return 0;
}
