/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * LD_PRELOAD companion for running Debian's stock dpdk-testpmd with
 * Debian's stock netvsc PMD (DPDK 22.11.11), unmodified.
 *
 * That PMD never marks its queues started, so the ethdev layer reports
 * every queue as RTE_ETH_QUEUE_STATE_STOPPED, and testpmd 22.11 skips
 * forwarding streams whose queues are stopped: the forwarding lcore spins
 * without ever calling the PMD's rx/tx burst. On the emulator this shows
 * as frames delivered to the guest's ring that nobody reads.
 *
 * This wrapper reports the queues as started, which is what the PMD
 * should have recorded in dev_start. testpmd only asks when it starts
 * forwarding on started ports, so no stopped queue is misreported in
 * practice. It changes nothing else and is only ever preloaded into the
 * stock reference peer.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>

#include <rte_ethdev.h>

typedef int (*rxq_info_fn)(uint16_t, uint16_t, struct rte_eth_rxq_info *);
typedef int (*txq_info_fn)(uint16_t, uint16_t, struct rte_eth_txq_info *);

int rte_eth_rx_queue_info_get(uint16_t port_id, uint16_t queue_id,
			      struct rte_eth_rxq_info *qinfo);
int rte_eth_tx_queue_info_get(uint16_t port_id, uint16_t queue_id,
			      struct rte_eth_txq_info *qinfo);

int
rte_eth_rx_queue_info_get(uint16_t port_id, uint16_t queue_id,
			  struct rte_eth_rxq_info *qinfo)
{
	static rxq_info_fn real;
	int rc;

	if (real == NULL)
		real = (rxq_info_fn)dlsym(RTLD_NEXT, "rte_eth_rx_queue_info_get");
	if (real == NULL)
		return -ENOTSUP;
	rc = real(port_id, queue_id, qinfo);
	if (rc == 0 && qinfo->queue_state == RTE_ETH_QUEUE_STATE_STOPPED)
		qinfo->queue_state = RTE_ETH_QUEUE_STATE_STARTED;
	return rc;
}

int
rte_eth_tx_queue_info_get(uint16_t port_id, uint16_t queue_id,
			  struct rte_eth_txq_info *qinfo)
{
	static txq_info_fn real;
	int rc;

	if (real == NULL)
		real = (txq_info_fn)dlsym(RTLD_NEXT, "rte_eth_tx_queue_info_get");
	if (real == NULL)
		return -ENOTSUP;
	rc = real(port_id, queue_id, qinfo);
	if (rc == 0 && qinfo->queue_state == RTE_ETH_QUEUE_STATE_STOPPED)
		qinfo->queue_state = RTE_ETH_QUEUE_STATE_STARTED;
	return rc;
}
