/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Burst wrappers installed when VF steering is on: Rx polls the synthetic
 * queue and, while a VF is attached, the VF's queue of the same index; Tx
 * goes to the VF while the host steers to it, else synthetic. Without a VF
 * the cost is one load and one branch per burst. See hn_vf.h for why the
 * busy flag and the fence make retiring a VF port safe without a lock.
 */
#include <rte_atomic.h>
#include <rte_ethdev.h>

#include "hn_vf.h"

static inline uint16_t
vf_enter(struct hn_vf_q *vq)
{
	vq->busy = 1;
	/* Our busy store before our second read of the port (Dekker). */
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
	return vq->port;
}

static inline void
vf_leave(struct hn_vf_q *vq)
{
	__atomic_store_n(&vq->busy, 0, __ATOMIC_RELEASE);
}

uint16_t
hn_vf_recv_pkts(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	struct hn_rx_queue *rxq = q;
	struct hn_vf_q *vq = &rxq->hv->vf->rxq[rxq->queue_id];
	uint16_t nb = hn_recv_pkts(q, pkts, n);
	uint16_t port, i, k = 0;

	if (likely(vq->port == HN_VF_NONE) || nb == n)
		return nb;
	port = vf_enter(vq);
	if (port != HN_VF_NONE) {
		k = rte_eth_rx_burst(port, rxq->queue_id, pkts + nb,
				     (uint16_t)(n - nb));
		/* One writer (this queue's lcore): a plain increment. */
		if (k < n - nb)
			vq->drained = vq->drained + 1;
	}
	vf_leave(vq);
	/* The application sees one port: ours. */
	for (i = nb; i < nb + k; i++)
		pkts[i]->port = rxq->port_id;
	return nb + k;
}

uint16_t
hn_vf_xmit_pkts(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	struct hn_tx_queue *txq = q;
	struct hn_vf_q *vq = &txq->hv->vf->txq[txq->queue_id];
	uint16_t port, nb;

	if (likely(vq->port == HN_VF_NONE))
		return hn_xmit_pkts(q, pkts, n);
	port = vf_enter(vq);
	if (port != HN_VF_NONE)
		nb = rte_eth_tx_burst(port, txq->queue_id, pkts, n);
	else
		nb = hn_xmit_pkts(q, pkts, n);
	vf_leave(vq);
	return nb;
}
