/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Queue introspection for the application: receive frames waiting,
 * descriptor status, and reaping Tx completions on demand. There is no
 * descriptor ring to look at: receive frames wait as parked transfer-page
 * packets (hn_chan.c) and Tx descriptors come from a free list, so the
 * answers are given in those terms (docs/pmd.md).
 */
#include <errno.h>

#include "hn_var.h"

/* Frames parked on a channel and not yet delivered. Lock held. */
static uint32_t
hn_parked_frames(const struct hn_chan *hc)
{
	uint32_t i, n = 0;

	for (i = 0; i < hc->park_n; i++) {
		const struct hn_xfer *x = &hc->park[hn_park_slot(hc, i)];

		n += x->count - x->next;
	}
	return n;
}

/*
 * Frames received and not yet taken: the ring is read into the park first
 * (as an Rx burst does), so frames the host already wrote count too, up
 * to what an Rx burst reads ahead.
 */
static int
hn_rx_waiting(struct hn_rx_queue *rxq)
{
	struct hn_chan *hc = rxq->hc;
	uint32_t n;

	if (rxq->hv->dead)
		return 0;
	if (!rte_spinlock_trylock(&hc->lock))
		return -EBUSY;
	if (hc->park_n < HN_RX_AHEAD)
		(void)hn_chan_poll(hc, HN_POLL_RX, 32);
	n = hn_parked_frames(hc);
	if (hc->need_sig) {
		hc->need_sig = false;
		(void)rte_vmbus_chan_signal(hc->chan);
	}
	rte_spinlock_unlock(&hc->lock);
	return (int)RTE_MIN(n, (uint32_t)INT32_MAX);
}

uint32_t
hn_rx_queue_count(void *q)
{
	int n = hn_rx_waiting(q);

	return n < 0 ? 0 : (uint32_t)n;
}

int
hn_rx_descriptor_status(void *q, uint16_t offset)
{
	int n = hn_rx_waiting(q);

	if (n < 0)
		return n;
	return offset < (uint32_t)n ? RTE_ETH_RX_DESC_DONE : RTE_ETH_RX_DESC_AVAIL;
}

/* The offset-th next descriptor is free when more than offset are. */
int
hn_tx_descriptor_status(void *q, uint16_t offset)
{
	struct hn_tx_queue *txq = q;

	if (offset >= txq->ntxd)
		return -EINVAL;
	return offset < txq->nfree_txd ? RTE_ETH_TX_DESC_DONE :
		RTE_ETH_TX_DESC_FULL;
}

/* Reap completions now; returns the descriptors freed (at most free_cnt
 * is a hint: every completion read frees its descriptor). */
int
hn_tx_done_cleanup(void *q, uint32_t free_cnt)
{
	struct hn_tx_queue *txq = q;
	struct hn_chan *hc = txq->hc;
	uint32_t before;
	int rc;

	RTE_SET_USED(free_cnt);
	if (txq->hv->dead)
		return -ENODEV;
	if (!rte_spinlock_trylock(&hc->lock))
		return -EBUSY;
	before = txq->nfree_txd;
	rc = hn_chan_poll(hc, HN_POLL_TX, 2u * txq->ntxd + 16u);
	if (hc->need_sig) {
		hc->need_sig = false;
		(void)rte_vmbus_chan_signal(hc->chan);
	}
	rte_spinlock_unlock(&hc->lock);
	if (rc < 0)
		return rc;
	return (int)(txq->nfree_txd - before);
}

void
hn_rxq_info_get(struct rte_eth_dev *dev, uint16_t qid,
		struct rte_eth_rxq_info *qinfo)
{
	const struct hn_rx_queue *rxq = dev->data->rx_queues[qid];

	qinfo->mp = rxq->mp;
	qinfo->scattered_rx = dev->data->scattered_rx;
	/* No descriptor ring: the receive packets a queue may hold. */
	qinfo->nb_desc = (uint16_t)RTE_MIN(rxq->hc->park_cap, (uint32_t)UINT16_MAX);
	qinfo->conf.offloads = dev->data->dev_conf.rxmode.offloads;
}

void
hn_txq_info_get(struct rte_eth_dev *dev, uint16_t qid,
		struct rte_eth_txq_info *qinfo)
{
	const struct hn_tx_queue *txq = dev->data->tx_queues[qid];

	qinfo->nb_desc = (uint16_t)RTE_MIN(txq->ntxd, (uint32_t)UINT16_MAX);
	qinfo->conf.offloads = dev->data->dev_conf.txmode.offloads;
}
