/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receive-side scaling: the Toeplitz key, the hash types and the
 * indirection table, sent to the host as RECEIVE_SCALE_PARAMETERS. The
 * table the application sees names queues; the host's names channels,
 * and queue q uses channel q (q modulo the channels when the host
 * granted fewer), so the one maps onto the other entry by entry.
 */
#include <errno.h>
#include <inttypes.h>
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
uint16_t
hn_rss_entries(const struct hn_data *hv)
{
	uint32_t n = HN_RSS_TABLE;

	if (hv->rss_caps.num_ind_entries != 0)
		n = RTE_MIN(n, (uint32_t)hv->rss_caps.num_ind_entries);
	return (uint16_t)n;
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
	/* No hash type: the host delivers everything on channel 0. */
	cfg.flags = hv->rss_hf == 0 ? NDIS_RSS_FLAG_DISABLE_RSS : 0;
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

/* The ethdev hash types the host's capabilities allow. */
uint64_t
hn_rss_hf_capa(const struct hn_data *hv)
{
	uint32_t c = hv->rss_caps.caps;
	uint64_t hf = 0;

	if (c & NDIS_RSS_CAP_HASH_IPV4)
		hf |= RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_FRAG_IPV4 |
			RTE_ETH_RSS_NONFRAG_IPV4_OTHER | RTE_ETH_RSS_NONFRAG_IPV4_TCP;
	if (c & NDIS_RSS_CAP_HASH_IPV6)
		hf |= RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_FRAG_IPV6 |
			RTE_ETH_RSS_NONFRAG_IPV6_OTHER | RTE_ETH_RSS_NONFRAG_IPV6_TCP;
	if (c & NDIS_RSS_CAP_HASH_IPV6_EX)
		hf |= RTE_ETH_RSS_IPV6_EX | RTE_ETH_RSS_IPV6_TCP_EX;
	if (c & NDIS_RSS_CAP_HASH_UDP_IPV4)
		hf |= RTE_ETH_RSS_NONFRAG_IPV4_UDP;
	if (c & NDIS_RSS_CAP_HASH_UDP_IPV6)
		hf |= RTE_ETH_RSS_NONFRAG_IPV6_UDP;
	if (c & NDIS_RSS_CAP_HASH_UDP_IPV6_EX)
		hf |= RTE_ETH_RSS_IPV6_UDP_EX;
	/* A host that names no type hashes TCP and IP as every host does. */
	return hf != 0 ? hf : HN_RSS_HF_DEFAULT;
}

static bool
hn_rss_usable(struct rte_eth_dev *dev)
{
	struct hn_data *hv = dev->data->dev_private;

	if (hv->have_rss_caps && hv->max_queues > 1)
		return true;
	HN_LOG(ERR, "port %u: the host offers no receive-side scaling",
	       hv->port_id);
	return false;
}

/* Validate and take a key and hash types (not yet sent). */
static int
hn_rss_take(struct hn_data *hv, const struct rte_eth_rss_conf *c)
{
	uint64_t bad = c->rss_hf & ~hn_rss_hf_capa(hv);

	if (c->rss_key != NULL && c->rss_key_len != NDIS_RSS_KEY_SIZE) {
		HN_LOG(ERR, "port %u: RSS key of %u bytes: the host takes %u",
		       hv->port_id, c->rss_key_len, NDIS_RSS_KEY_SIZE);
		return -EINVAL;
	}
	if (bad != 0) {
		HN_LOG(ERR, "port %u: RSS hash types 0x%" PRIx64 " not offered by"
		       " the host (it offers 0x%" PRIx64 ")", hv->port_id, bad,
		       hn_rss_hf_capa(hv));
		return -ENOTSUP;
	}
	if (c->rss_key != NULL)
		memcpy(hv->rss_key, c->rss_key, NDIS_RSS_KEY_SIZE);
	hv->rss_hf = c->rss_hf;
	return 0;
}

/* dev_configure: the application's RSS configuration, if it gave one. */
int
hn_rss_configure(struct rte_eth_dev *dev)
{
	struct hn_data *hv = dev->data->dev_private;
	const struct rte_eth_conf *conf = &dev->data->dev_conf;

	if (!(conf->rxmode.mq_mode & RTE_ETH_MQ_RX_RSS_FLAG) ||
	    !hv->have_rss_caps)
		return 0;
	/* rss_hf 0 leaves the types as they are (rss_hash_update turns
	 * scaling off). */
	if (conf->rx_adv_conf.rss_conf.rss_hf == 0 &&
	    conf->rx_adv_conf.rss_conf.rss_key == NULL)
		return 0;
	if (conf->rx_adv_conf.rss_conf.rss_hf == 0) {
		struct rte_eth_rss_conf c = conf->rx_adv_conf.rss_conf;

		c.rss_hf = hv->rss_hf;
		return hn_rss_take(hv, &c);
	}
	return hn_rss_take(hv, &conf->rx_adv_conf.rss_conf);
}

/* Send now if the port runs, else at start. */
static int
hn_rss_apply(struct rte_eth_dev *dev)
{
	struct hn_data *hv = dev->data->dev_private;

	if (!dev->data->dev_started)
		return 0;
	return hn_rss_set(hv, dev->data->nb_rx_queues);
}

int
hn_rss_hash_update(struct rte_eth_dev *dev, struct rte_eth_rss_conf *conf)
{
	struct hn_data *hv = dev->data->dev_private;
	uint8_t key[NDIS_RSS_KEY_SIZE];
	uint64_t hf = hv->rss_hf;
	int rc;

	if (!hn_rss_usable(dev))
		return -ENOTSUP;
	memcpy(key, hv->rss_key, sizeof(key));
	rc = hn_rss_take(hv, conf);
	if (rc == 0)
		rc = hn_rss_apply(dev);
	if (rc != 0) {
		memcpy(hv->rss_key, key, sizeof(key));
		hv->rss_hf = hf;
		return rc;
	}
	HN_LOG(INFO, "port %u: RSS hash types 0x%" PRIx64 "%s", hv->port_id,
	       hv->rss_hf, conf->rss_key != NULL ? ", new key" : "");
	return 0;
}

int
hn_rss_hash_conf_get(struct rte_eth_dev *dev, struct rte_eth_rss_conf *conf)
{
	struct hn_data *hv = dev->data->dev_private;

	if (!hn_rss_usable(dev))
		return -ENOTSUP;
	if (conf->rss_key != NULL) {
		if (conf->rss_key_len < NDIS_RSS_KEY_SIZE)
			return -EINVAL;
		memcpy(conf->rss_key, hv->rss_key, NDIS_RSS_KEY_SIZE);
	}
	conf->rss_key_len = NDIS_RSS_KEY_SIZE;
	conf->rss_hf = hv->rss_hf;
	return 0;
}

/* The table as it will be sent: the application's or the spread. */
static void
hn_rss_reta_current(struct hn_data *hv, uint16_t nrxq)
{
	uint32_t i;

	if (hv->rss_reta_user)
		return;
	for (i = 0; i < HN_RSS_TABLE; i++)
		hv->rss_reta[i] = (uint16_t)(i % RTE_MAX(nrxq, 1u));
}

/*
 * Shared start of a RETA update or query: RSS must be on, the caller's
 * table must be the host's size, and hv->rss_reta must hold the table in
 * force (the default spread unless the user set one).
 */
static int
hn_rss_reta_begin(struct rte_eth_dev *dev, uint16_t size)
{
	struct hn_data *hv = dev->data->dev_private;

	if (!hn_rss_usable(dev))
		return -ENOTSUP;
	if (size != hn_rss_entries(hv)) {
		HN_LOG(ERR, "port %u: RSS table of %u entries: the host's has %u",
		       hv->port_id, size, hn_rss_entries(hv));
		return -EINVAL;
	}
	hn_rss_reta_current(hv, dev->data->nb_rx_queues);
	return 0;
}

/* Entry i of ethdev's grouped RETA layout, or NULL when its mask bit is clear. */
static inline uint16_t *
hn_rss_reta_slot(struct rte_eth_rss_reta_entry64 *reta, uint32_t i)
{
	struct rte_eth_rss_reta_entry64 *g = &reta[i / RTE_ETH_RETA_GROUP_SIZE];
	uint32_t s = i % RTE_ETH_RETA_GROUP_SIZE;

	return (g->mask & (UINT64_C(1) << s)) ? &g->reta[s] : NULL;
}

int
hn_rss_reta_update(struct rte_eth_dev *dev,
		   struct rte_eth_rss_reta_entry64 *reta, uint16_t size)
{
	struct hn_data *hv = dev->data->dev_private;
	uint16_t old[HN_RSS_TABLE], nrxq = dev->data->nb_rx_queues;
	bool old_user = hv->rss_reta_user;
	uint32_t i;
	int rc;

	rc = hn_rss_reta_begin(dev, size);
	if (rc != 0)
		return rc;
	memcpy(old, hv->rss_reta, sizeof(old));
	for (i = 0; i < size; i++) {
		const uint16_t *q = hn_rss_reta_slot(reta, i);

		if (q == NULL)
			continue;
		if (*q >= nrxq) {
			HN_LOG(ERR, "port %u: RSS table entry %u: queue %u of %u",
			       hv->port_id, i, *q, nrxq);
			memcpy(hv->rss_reta, old, sizeof(old));
			return -EINVAL;
		}
		hv->rss_reta[i] = *q;
	}
	hv->rss_reta_user = true;
	rc = hn_rss_apply(dev);
	if (rc != 0) {
		memcpy(hv->rss_reta, old, sizeof(old));
		hv->rss_reta_user = old_user;
		return rc;
	}
	HN_LOG(INFO, "port %u: RSS table updated", hv->port_id);
	return 0;
}

int
hn_rss_reta_query(struct rte_eth_dev *dev,
		  struct rte_eth_rss_reta_entry64 *reta, uint16_t size)
{
	struct hn_data *hv = dev->data->dev_private;
	uint32_t i;
	int rc;

	rc = hn_rss_reta_begin(dev, size);
	if (rc != 0)
		return rc;
	for (i = 0; i < size; i++) {
		uint16_t *q = hn_rss_reta_slot(reta, i);

		if (q != NULL)
			*q = hv->rss_reta[i];
	}
	return 0;
}
