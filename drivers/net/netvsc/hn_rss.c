/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receive-side scaling: the Toeplitz key, the hash types and the
 * indirection table, sent to the host as RECEIVE_SCALE_PARAMETERS. The
 * table the application sees names queues; the host's names channels,
 * and queue q uses channel q (q modulo the channels when the host
 * granted fewer), so the one maps onto the other entry by entry.
 */
#include <errno.h>
#include <string.h>

#include "hn_var.h"

/* Default Toeplitz key: the one mlx5 uses, so flows land alike on a VF. */
static const uint8_t hn_rss_key_default[NDIS_RSS_KEY_SIZE] = {
	0x2c, 0xc6, 0x81, 0xd1, 0x5b, 0xdb, 0xf4, 0xf7,
	0xfc, 0xa2, 0x83, 0x19, 0xdb, 0x1a, 0x3e, 0x94,
	0x6b, 0x9e, 0x38, 0xd9, 0x2c, 0x9c, 0x03, 0xd1,
	0xad, 0x99, 0x44, 0xa7, 0xd9, 0x56, 0x3d, 0x59,
	0x06, 0x3c, 0x25, 0xf3, 0xfc, 0x1f, 0xdc, 0x2a,
};

#define HN_RSS_HF_DEFAULT (RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_TCP | \
			   RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_NONFRAG_IPV6_TCP)

void
hn_rss_init(struct hn_data *hv)
{
	memcpy(hv->rss_key, hn_rss_key_default, sizeof(hv->rss_key));
	hv->rss_hf = HN_RSS_HF_DEFAULT;
	hv->rss_reta_user = false;
	hv->rss_on = false;
}

/* NDIS hash types of the ethdev ones (all representable: checked before). */
static uint32_t
hn_rss_hash_info(uint64_t hf)
{
	uint32_t h = NDIS_HASH_FUNCTION_TOEPLITZ;

	if (hf & (RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_FRAG_IPV4 |
		  RTE_ETH_RSS_NONFRAG_IPV4_OTHER))
		h |= NDIS_HASH_IPV4;
	if (hf & RTE_ETH_RSS_NONFRAG_IPV4_TCP)
		h |= NDIS_HASH_TCP_IPV4;
	if (hf & (RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_FRAG_IPV6 |
		  RTE_ETH_RSS_NONFRAG_IPV6_OTHER))
		h |= NDIS_HASH_IPV6;
	if (hf & RTE_ETH_RSS_NONFRAG_IPV6_TCP)
		h |= NDIS_HASH_TCP_IPV6;
	if (hf & RTE_ETH_RSS_IPV6_EX)
		h |= NDIS_HASH_IPV6_EX;
	if (hf & RTE_ETH_RSS_IPV6_TCP_EX)
		h |= NDIS_HASH_TCP_IPV6_EX;
	if (hf & RTE_ETH_RSS_NONFRAG_IPV4_UDP)
		h |= NDIS_HASH_UDP_IPV4;
	if (hf & RTE_ETH_RSS_NONFRAG_IPV6_UDP)
		h |= NDIS_HASH_UDP_IPV6;
	if (hf & RTE_ETH_RSS_IPV6_UDP_EX)
		h |= NDIS_HASH_UDP_IPV6_EX;
	return h;
}

/* Entries the host's table has: its capability, at most ours. */
static uint32_t
hn_rss_entries(const struct hn_data *hv)
{
	uint32_t n = HN_RSS_TABLE;

	if (hv->rss_caps.num_ind_entries != 0)
		n = RTE_MIN(n, (uint32_t)hv->rss_caps.num_ind_entries);
	return n;
}

/*
 * Send the parameters for nrxq receive queues. The spread (entry i to
 * queue i mod nrxq) is rebuilt unless the application set a table that
 * still fits. A port that never scaled and has one channel sends nothing.
 */
int
hn_rss_set(struct hn_data *hv, uint16_t nrxq)
{
	uint32_t table[HN_RSS_TABLE], n = hn_rss_entries(hv), i;
	uint32_t nq = RTE_MIN((uint32_t)nrxq, hv->nchan);
	struct ndis_rss_cfg cfg;
	uint8_t buf[1024];
	int len, rc;

	if (!hv->have_rss_caps || nq == 0 || nrxq == 0)
		return 0;
	if (nq < 2 && !hv->rss_on)
		return 0;
	for (i = 0; i < n && hv->rss_reta_user; i++)
		if (hv->rss_reta[i] >= nrxq)
			hv->rss_reta_user = false;
	/* Only channels an Rx queue polls may receive. */
	for (i = 0; i < n; i++) {
		if (!hv->rss_reta_user)
			hv->rss_reta[i] = (uint16_t)(i % nrxq);
		table[i] = hv->rss_reta[i] % nq;
	}
	cfg.flags = 0;
	cfg.hash_info = hn_rss_hash_info(hv->rss_hf);
	cfg.key = hv->rss_key;
	cfg.table = table;
	cfg.table_entries = n;
	len = ndis_rss_params_build(buf, sizeof(buf), &cfg);
	if (len < 0)
		return len;
	rc = hn_rndis_set(hv, RNDIS_OID_GEN_RECEIVE_SCALE_PARAMETERS, buf,
			  (uint32_t)len);
	if (rc == 0)
		hv->rss_on = true;
	return rc;
}
