/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receive: frames are copied straight from the host's receive buffer into
 * the application's mbufs. A transfer-page packet whose frames do not all
 * fit in this burst stays parked (its frames still in the receive buffer,
 * unacknowledged) and the next burst continues it; while it is parked no
 * more data is read, so a slow application backs the host up instead of
 * losing frames. One ACK per transfer-page packet, one signal per burst.
 */
#include <errno.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_net.h>
#include <rte_prefetch.h>

#include "hn_var.h"

/* Mbufs taken from the pool at once. */
#define HN_RX_BULK 64u

int
hn_rx_queue_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc,
		  unsigned int socket, const struct rte_eth_rxconf *conf,
		  struct rte_mempool *mp)
{
	struct hn_data *hv = dev->data->dev_private;
	struct hn_rx_queue *rxq;

	RTE_SET_USED(nb_desc);
	RTE_SET_USED(conf);
	hn_rx_queue_release(dev, qid);
	rxq = rte_zmalloc_socket("hn_rxq", sizeof(*rxq), RTE_CACHE_LINE_SIZE,
				 (int)socket);
	if (rxq == NULL)
		return -ENOMEM;
	rxq->hv = hv;
	rxq->hc = hn_queue_chan(hv, qid);
	rxq->mp = mp;
	rxq->port_id = hv->port_id;
	rxq->queue_id = qid;
	dev->data->rx_queues[qid] = rxq;
	return 0;
}

void
hn_rx_queue_release(struct rte_eth_dev *dev, uint16_t qid)
{
	struct hn_rx_queue *rxq = dev->data->rx_queues[qid];

	if (rxq == NULL)
		return;
	dev->data->rx_queues[qid] = NULL;
	rte_free(rxq);
}

static void
hn_rx_meta(struct rte_mbuf *m, const struct rndis_pkt_meta *meta,
	   struct hn_rx_queue *rxq)
{
	uint64_t fl = 0;

	if (meta->present & RNDIS_META_HASH_VALUE) {
		m->hash.rss = meta->hash_value;
		fl |= RTE_MBUF_F_RX_RSS_HASH;
	}
	if (meta->present & RNDIS_META_VLAN) {
		/* The host always strips the tag into the PPI. */
		m->vlan_tci = meta->vlan_tci;
		fl |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
	}
	if (meta->present & RNDIS_META_CSUM) {
		uint32_t c = meta->csum;

		if (c & RNDIS_RXCSUM_IP_OK)
			fl |= RTE_MBUF_F_RX_IP_CKSUM_GOOD;
		else if (c & RNDIS_RXCSUM_IP_FAILED)
			fl |= RTE_MBUF_F_RX_IP_CKSUM_BAD;
		if (c & (RNDIS_RXCSUM_TCP_OK | RNDIS_RXCSUM_UDP_OK))
			fl |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
		else if (c & (RNDIS_RXCSUM_TCP_FAILED | RNDIS_RXCSUM_UDP_FAILED))
			fl |= RTE_MBUF_F_RX_L4_CKSUM_BAD;
		if (fl & (RTE_MBUF_F_RX_IP_CKSUM_BAD | RTE_MBUF_F_RX_L4_CKSUM_BAD))
			rxq->st.csum_bad++;
	}
	m->ol_flags = fl;
}

/* Copy len bytes into m, chaining segments when one is too small. */
static int
hn_rx_copy(struct hn_rx_queue *rxq, struct rte_mbuf *m, const uint8_t *src,
	   uint32_t len)
{
	struct rte_mbuf *seg = m;
	uint32_t left = len;

	for (;;) {
		uint32_t n = RTE_MIN(left, (uint32_t)rte_pktmbuf_tailroom(seg));

		rte_memcpy(rte_pktmbuf_mtod(seg, void *), src, n);
		seg->data_len = (uint16_t)n;
		src += n;
		left -= n;
		if (left == 0)
			break;
		seg->next = rte_pktmbuf_alloc(rxq->mp);
		if (seg->next == NULL || rte_pktmbuf_tailroom(seg->next) == 0)
			return -ENOMEM;
		seg = seg->next;
		m->nb_segs++;
	}
	m->pkt_len = len;
	return 0;
}

/* Deliver frames of the parked packet; returns how many. */
static uint16_t
hn_rx_deliver(struct hn_rx_queue *rxq, struct rte_mbuf **pkts, uint16_t n)
{
	struct hn_chan *hc = rxq->hc;
	struct hn_data *hv = rxq->hv;
	struct hn_xfer *x = hn_chan_parked(hc);
	const uint8_t *rb = hv->recv_buf;
	struct rte_mbuf *pool[HN_RX_BULK];
	uint32_t want = RTE_MIN((uint32_t)n, x->count - x->next);
	uint16_t nb = 0, np = 0, used = 0;

	/* One pool access for the burst; the rest goes back at the end. */
	want = RTE_MIN(want, HN_RX_BULK);
	if (want > 1 && rte_pktmbuf_alloc_bulk(rxq->mp, pool, want) == 0)
		np = (uint16_t)want;
	while (x->next < x->count && nb < n) {
		const struct vmbus_xfer_page_range *r = &x->r[x->next];
		struct rndis_pkt_info pi;
		struct rte_mbuf *m;

		if (x->next + 1 < x->count)
			rte_prefetch0(rb + x->r[x->next + 1].byte_offset);
		if (rndis_pkt_parse(rb + r->byte_offset, r->byte_count, &pi) != 0) {
			hn_bad(hc, HN_BAD_RNDIS, "rndis data msg_len", r->byte_count);
			rxq->st.errors++;
			x->next++;
			continue;
		}
		if (pi.data_len > hv->max_frame + RTE_VLAN_HLEN) {
			hn_bad(hc, HN_BAD_FRAME_LEN, "data_len", pi.data_len);
			rxq->st.errors++;
			x->next++;
			continue;
		}
		m = used < np ? pool[used++] : rte_pktmbuf_alloc(rxq->mp);
		if (m == NULL) {
			rxq->st.nombuf++;
			hv->eth->data->rx_mbuf_alloc_failed++;
			break;
		}
		if (hn_rx_copy(rxq, m, rb + r->byte_offset + pi.data_off,
			       pi.data_len) != 0) {
			rte_pktmbuf_free(m);
			rxq->st.nombuf++;
			hv->eth->data->rx_mbuf_alloc_failed++;
			break;
		}
		m->port = rxq->port_id;
		hn_rx_meta(m, &pi.meta, rxq);
		m->packet_type = rte_net_get_ptype(m, NULL, RTE_PTYPE_L2_MASK |
						   RTE_PTYPE_L3_MASK |
						   RTE_PTYPE_L4_MASK);
		rxq->st.bytes += pi.data_len;
		pkts[nb++] = m;
		x->next++;
	}
	if (used < np)
		rte_pktmbuf_free_bulk(pool + used, np - used);
	if (x->next == x->count) {
		hn_chan_ack_xfer(hc);
		rxq->st.acks++;
	}
	return nb;
}

uint16_t
hn_recv_pkts(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	struct hn_rx_queue *rxq = q;
	struct hn_chan *hc = rxq->hc;
	unsigned int polls = 0;
	uint16_t nb = 0;
	int rc;

	if (unlikely(rxq->hv->dead) || !rte_spinlock_trylock(&hc->lock))
		return 0;
	hc->rx_bursts++;
	/* Bounded: a host writing control packets forever cannot hold us. */
	while (nb < n && polls++ < 8) {
		uint32_t before;

		/* Drain the ring first: the host waits for its room. */
		if (hc->park_n < HN_PARK_MAX) {
			rc = hn_chan_poll(hc, HN_POLL_RX, 32);
			if (rc < 0 && hc->park_n == 0)
				break;
		}
		if (hc->park_n == 0)
			break;
		before = hc->park_n;
		nb += hn_rx_deliver(rxq, pkts + nb, n - nb);
		if (hc->park_n == before)
			break; /* burst full or no mbufs */
	}
	if (hc->need_sig) {
		hc->need_sig = false;
		(void)rte_vmbus_chan_signal(hc->chan);
	}
	rte_spinlock_unlock(&hc->lock);
	rxq->st.packets += nb;
	return nb;
}
