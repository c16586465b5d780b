/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Offloads: what the port advertises (only what the host's NDIS_OFFLOAD
 * object says it does), turning them on with the RNDIS offload parameters
 * at configure, and the per-packet info of a transmitted frame (checksum
 * request, LSOv2 with the host's size and segment limits). Also the linear
 * copy of a frame spread over more pages than one VMBus packet can name
 * (a TSO frame from GRO, say): hosts take HN_GPA_MAX page ranges.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_mbuf.h>

#include "hn_var.h"

/* Linear copies of frames with too many pages: a few in flight per port. */
#define HN_BIG_MBUFS 63u
#define HN_BIG_ROOM UINT16_MAX

#define HN_TX_CSUM_OFL (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | \
			RTE_ETH_TX_OFFLOAD_TCP_CKSUM | \
			RTE_ETH_TX_OFFLOAD_UDP_CKSUM)

static bool
hn_has(uint32_t caps, uint32_t bits)
{
	return (caps & bits) == bits;
}

void
hn_offload_capa(const struct hn_data *hv, uint64_t *tx, uint64_t *rx)
{
	const struct ndis_offload *o = &hv->hw_caps;

	*tx = RTE_ETH_TX_OFFLOAD_MULTI_SEGS | RTE_ETH_TX_OFFLOAD_VLAN_INSERT;
	*rx = RTE_ETH_RX_OFFLOAD_SCATTER | RTE_ETH_RX_OFFLOAD_VLAN_STRIP;
	if (!hv->have_hw_caps)
		return;
	if (o->csum.ip4_txenc & NDIS_OFFLOAD_ENCAP_8023) {
		if (hn_has(o->csum.ip4_txcsum, NDIS_CSUM_CAP_IP4))
			*tx |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
		/* An ethdev flag covers both families. */
		if (hn_has(o->csum.ip4_txcsum, NDIS_CSUM_CAP_TCP4 | NDIS_CSUM_CAP_TCP4OPT) &&
		    hn_has(o->csum.ip6_txcsum, NDIS_CSUM_CAP_TCP6 | NDIS_CSUM_CAP_TCP6OPT))
			*tx |= RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
		if (hn_has(o->csum.ip4_txcsum, NDIS_CSUM_CAP_UDP4) &&
		    hn_has(o->csum.ip6_txcsum, NDIS_CSUM_CAP_UDP6))
			*tx |= RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	}
	if (o->csum.ip4_rxenc & NDIS_OFFLOAD_ENCAP_8023) {
		if (hn_has(o->csum.ip4_rxcsum, NDIS_CSUM_CAP_IP4))
			*rx |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
		if (hn_has(o->csum.ip4_rxcsum, NDIS_CSUM_CAP_TCP4) &&
		    hn_has(o->csum.ip6_rxcsum, NDIS_CSUM_CAP_TCP6))
			*rx |= RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
		if (hn_has(o->csum.ip4_rxcsum, NDIS_CSUM_CAP_UDP4) &&
		    hn_has(o->csum.ip6_rxcsum, NDIS_CSUM_CAP_UDP6))
			*rx |= RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
	}
	/* TSO needs the checksums it implies and an IPv4 LSOv2 the host
	 * can cut into at least two segments. */
	if ((o->lsov2.ip4_encap & NDIS_OFFLOAD_ENCAP_8023) &&
	    o->lsov2.ip4_maxsz > RTE_ETHER_MAX_LEN &&
	    (*tx & RTE_ETH_TX_OFFLOAD_TCP_CKSUM) &&
	    (*tx & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM))
		*tx |= RTE_ETH_TX_OFFLOAD_TCP_TSO;
}

static uint8_t
hn_csum_param(bool tx, bool rx)
{
	if (tx && rx)
		return NDIS_OFFLOAD_PARAM_TXRX;
	if (tx)
		return NDIS_OFFLOAD_PARAM_TX;
	return rx ? NDIS_OFFLOAD_PARAM_RX : NDIS_OFFLOAD_PARAM_OFF;
}

static void
hn_big_pool(struct hn_data *hv)
{
	char name[RTE_MEMPOOL_NAMESIZE];

	if (hv->big_mp != NULL)
		return;
	snprintf(name, sizeof(name), "hn_big_%u", hv->port_id);
	/* Each object is IOVA-contiguous: a copy needs 17 ranges at most. */
	hv->big_mp = rte_pktmbuf_pool_create(name, HN_BIG_MBUFS, 0, 0,
					     HN_BIG_ROOM,
					     hv->vmbus->device.numa_node);
	if (hv->big_mp == NULL)
		HN_LOG(WARNING, "port %u: no pool for linear copies (%s): frames"
		       " over %u pages will be dropped", hv->port_id,
		       rte_strerror(rte_errno), HN_GPA_MAX - 1);
}

/*
 * Tell the host which offloads the application turned on (and that the
 * rest are off), as OID_TCP_OFFLOAD_PARAMETERS. Also at every new session
 * (MTU change): the host starts from its defaults.
 */
int
hn_offload_configure(struct hn_data *hv)
{
	const struct rte_eth_conf *c = &hv->data->dev_conf;
	uint64_t tx = c->txmode.offloads, rx = c->rxmode.offloads;
	const struct ndis_offload *o = &hv->hw_caps;
	struct ndis_offload_params p;
	bool tso = tx & RTE_ETH_TX_OFFLOAD_TCP_TSO;
	bool tcp_tx = (tx & RTE_ETH_TX_OFFLOAD_TCP_CKSUM) || tso;
	uint8_t buf[64];
	int len, rc;

	hv->tx_ofl = tx;
	hv->lso4_max = tso ? o->lsov2.ip4_maxsz : 0;
	hv->lso4_minsg = RTE_MAX(o->lsov2.ip4_minsg, 1u);
	hv->lso6_max = tso && (o->lsov2.ip6_encap & NDIS_OFFLOAD_ENCAP_8023) &&
		hn_has(o->lsov2.ip6_opts, NDIS_LSOV2_CAP_IP6EXT | NDIS_LSOV2_CAP_TCP6OPT) ?
		o->lsov2.ip6_maxsz : 0;
	hv->lso6_minsg = RTE_MAX(o->lsov2.ip6_minsg, 1u);
	if (tx & (RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_MULTI_SEGS))
		hn_big_pool(hv);
	if (!hv->have_hw_caps)
		return 0;
	memset(&p, 0, sizeof(p));
	p.ip4csum = hn_csum_param(tx & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM || tso,
				  rx & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM);
	p.tcp4csum = hn_csum_param(tcp_tx, rx & RTE_ETH_RX_OFFLOAD_TCP_CKSUM);
	p.tcp6csum = p.tcp4csum;
	p.udp4csum = hn_csum_param(tx & RTE_ETH_TX_OFFLOAD_UDP_CKSUM,
				   rx & RTE_ETH_RX_OFFLOAD_UDP_CKSUM);
	p.udp6csum = p.udp4csum;
	p.lsov2_ip4 = hv->lso4_max != 0 ? NDIS_OFFLOAD_LSO_ON : NDIS_OFFLOAD_LSO_OFF;
	p.lsov2_ip6 = hv->lso6_max != 0 ? NDIS_OFFLOAD_LSO_ON : NDIS_OFFLOAD_LSO_OFF;
	len = ndis_offload_params_build(buf, sizeof(buf), &p,
					NDIS_OFFLOAD_PARAMS_REV_2);
	if (len < 0)
		return len;
	rc = hn_rndis_set(hv, RNDIS_OID_TCP_OFFLOAD_PARAMETERS, buf,
			  (uint32_t)len);
	if (rc == 0)
		HN_LOG(INFO, "port %u: offloads tx 0x%" PRIx64 " rx 0x%" PRIx64
		       ", LSO up to %u bytes", hv->port_id, tx, rx, hv->lso4_max);
	return rc;
}

/*
 * Per-packet info for the offloads m asks for (any of HN_TX_OFL_FLAGS).
 * 0, or -EINVAL (a request the host would refuse: no IP family, MSS 0 or
 * segments over the MTU, TSO not enabled), -EMSGSIZE (over the host's LSO
 * size): the frame is dropped and counted.
 */
int
hn_offload_tx_meta(const struct hn_data *hv, const struct rte_mbuf *m,
		   struct rndis_pkt_meta *meta)
{
	uint64_t fl = m->ol_flags;
	bool v6 = fl & RTE_MBUF_F_TX_IPV6;
	uint32_t l4off = (uint32_t)m->l2_len + m->l3_len, flags;

	if (!(fl & (RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6)) &&
	    (fl & (RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG)))
		return -EINVAL;
	if (fl & RTE_MBUF_F_TX_TCP_SEG) {
		uint32_t max = v6 ? hv->lso6_max : hv->lso4_max;
		uint32_t minsg = v6 ? hv->lso6_minsg : hv->lso4_minsg;
		uint32_t hdrs = l4off + m->l4_len;

		if (max == 0 || m->tso_segsz == 0 || m->l4_len == 0 ||
		    l4off > RNDIS_LSO2_TCP_OFFSET_MAX || m->pkt_len < hdrs)
			return -EINVAL;
		if (m->pkt_len - hdrs > (uint32_t)m->tso_segsz * (minsg - 1)) {
			/* Each segment must fit the MTU (a SYN's options
			 * may not: it is never cut). */
			if (hdrs + m->tso_segsz > hv->mtu + RTE_ETHER_HDR_LEN)
				return -EINVAL;
			if (m->pkt_len >= max)
				return -EMSGSIZE;
			meta->present |= RNDIS_META_LSO;
			meta->lso_mss = m->tso_segsz;
			meta->lso_tcp_off = (uint16_t)l4off;
			meta->lso_ipv6 = v6;
			return 0;
		}
		/* Fewer segments than the host cuts: one frame, checksums. */
		flags = RNDIS_TXCSUM_TCP | (v6 ? 0 : RNDIS_TXCSUM_IP);
	} else {
		flags = (fl & RTE_MBUF_F_TX_IP_CKSUM) && !v6 ? RNDIS_TXCSUM_IP : 0;
		switch (fl & RTE_MBUF_F_TX_L4_MASK) {
		case RTE_MBUF_F_TX_TCP_CKSUM:
			flags |= RNDIS_TXCSUM_TCP;
			break;
		case RTE_MBUF_F_TX_UDP_CKSUM:
			flags |= RNDIS_TXCSUM_UDP;
			break;
		case 0:
			break;
		default:
			return -EINVAL; /* SCTP: not offered */
		}
	}
	if (flags == 0)
		return 0;
	meta->present |= RNDIS_META_CSUM;
	meta->csum = rndis_txcsum_value(flags | (v6 ? RNDIS_TXCSUM_IPV6 :
						 RNDIS_TXCSUM_IPV4),
					(uint16_t)l4off);
	return 0;
}

/*
 * A copy of m in one IOVA-contiguous mbuf: 0, -ENOBUFS (all copies in
 * flight: retry once completions came back) or -EMSGSIZE (never).
 */
int
hn_offload_linearize(const struct hn_data *hv, const struct rte_mbuf *m,
		     struct rte_mbuf **out)
{
	const struct rte_mbuf *s;
	struct rte_mbuf *c;
	uint8_t *dst;

	if (hv->big_mp == NULL || m->pkt_len > HN_BIG_ROOM - RTE_PKTMBUF_HEADROOM)
		return -EMSGSIZE;
	c = rte_pktmbuf_alloc(hv->big_mp);
	if (c == NULL)
		return -ENOBUFS;
	if (m->pkt_len > rte_pktmbuf_tailroom(c)) {
		rte_pktmbuf_free(c);
		return -EMSGSIZE;
	}
	dst = rte_pktmbuf_mtod(c, uint8_t *);
	for (s = m; s != NULL; s = s->next) {
		rte_memcpy(dst, rte_pktmbuf_mtod(s, const void *), s->data_len);
		dst += s->data_len;
	}
	c->data_len = (uint16_t)m->pkt_len;
	c->pkt_len = m->pkt_len;
	c->ol_flags = m->ol_flags;
	c->vlan_tci = m->vlan_tci;
	c->tx_offload = m->tx_offload;
	*out = c;
	return 0;
}

void
hn_offload_fini(struct hn_data *hv)
{
	rte_mempool_free(hv->big_mp);
	hv->big_mp = NULL;
}
