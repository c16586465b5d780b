/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Burst wrappers installed when VF steering is on: Rx polls the synthetic
 * queue and, while a VF is attached, the VF's queue of the same index; Tx
 * goes to the VF while the host steers to it, else synthetic. Without a VF
 * the cost is one load and one branch per burst. See hn_vf.h for why the
 * busy flag and the fence make retiring a VF port safe without a lock.
 * Frames taken back from a vanished VF (hn_vf_salvage.c) go on the
 * synthetic path before the next burst: one more load of the same cache
 * line.
 */
#include <stdbool.h>

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

/* The application sees one port: ours (four stores per round). */
static inline void
set_port(struct rte_mbuf **m, uint16_t k, uint16_t port)
{
	uint16_t i = 0;

	for (; i + 4 <= k; i += 4) {
		m[i]->port = port;
		m[i + 1]->port = port;
		m[i + 2]->port = port;
		m[i + 3]->port = port;
	}
	for (; i < k; i++)
		m[i]->port = port;
}

uint16_t
hn_vf_recv_pkts(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	struct hn_rx_queue *rxq = q;
	struct hn_vf_q *vq = &rxq->hv->vf->rxq[rxq->queue_id];
	uint16_t port, nb = 0, k = 0;
	bool syn = false;

	if (likely(vq->port == HN_VF_NONE))
		return hn_recv_pkts(q, pkts, n);
	/* While a VF is attached, the synthetic path (broadcast,
	 * multicast, the host's messages; its host waits, nothing is lost)
	 * is polled once every HN_VF_SYN_EVERY bursts, and at every burst
	 * while it fills them (the datapath is on its way back, or a
	 * broadcast storm): polling an empty channel costs more than a VF
	 * burst of frames. Polled whenever the VF's burst was not full, it
	 * cost 16 instructions a frame at 14 frames a burst. One writer
	 * (this queue's lcore): plain increments. */
	if (unlikely(++vq->skipped >= HN_VF_SYN_EVERY)) {
		syn = true;
		nb = hn_recv_pkts(q, pkts, n);
		if (nb == n)
			return nb;
	}
	port = vf_enter(vq);
	if (port != HN_VF_NONE) {
		/* rte_eth_rx_burst() without its callback check: the VF port
		 * is ours (owned), nobody registers callbacks on it. */
		const struct rte_eth_fp_ops *p = &rte_eth_fp_ops[port];

		k = p->rx_pkt_burst(p->rxq.data[rxq->queue_id], pkts + nb,
				    (uint16_t)(n - nb));
		if (k < n - nb)
			vq->drained = vq->drained + 1;
	}
	vf_leave(vq);
	set_port(pkts + nb, k, rxq->port_id);
	nb += k;
	if (syn)
		vq->skipped = 0;
	return nb;
}

uint16_t
hn_vf_xmit_pkts(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	struct hn_tx_queue *txq = q;
	struct hn_vf_q *vq = &txq->hv->vf->txq[txq->queue_id];
	uint16_t port, nb;

	/* Also with a VF attached again: the next removal takes back only
	 * into an empty list. */
	if (unlikely(vq->resend_n != 0))
		hn_vf_salvage_send(txq, vq);
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

/* Frames taken back from a vanished VF, oldest first; what the synthetic
 * queue has no room for now waits for the next burst. */
void
hn_vf_salvage_send(struct hn_tx_queue *txq, struct hn_vf_q *vq)
{
	uint32_t n = __atomic_load_n(&vq->resend_n, __ATOMIC_ACQUIRE);
	uint32_t i = vq->resend_i;

	while (i < n) {
		uint16_t k = hn_xmit_pkts(txq, vq->resend + i,
					  (uint16_t)RTE_MIN(n - i, 64u));
		if (k == 0)
			break;
		i += k;
	}
	vq->resend_i = i;
	if (i == n) {
		vq->resend_i = 0;
		__atomic_store_n(&vq->resend_n, 0, __ATOMIC_RELEASE);
	}
}
