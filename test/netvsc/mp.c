/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * symmetric_mp style forwarder for the multi-process test (mp.sh): each
 * process polls one Rx queue of port 0 and sends what it receives back
 * out on the Tx queue of the same number.
 *
 *   nv_mp EAL-ARGS -- QUEUE NB_QUEUES
 *
 * The primary (QUEUE 0) configures NB_QUEUES queues with RSS and starts
 * the port; a secondary (--proc-type=secondary) only attaches and polls
 * its queue. Each prints "mp: ready" when polling, on SIGUSR1
 * "mp: progress q<Q> rx N tx M drop D", and on SIGTERM
 * "mp: q<Q> rx N tx M drop D xstat X busy B", then exits 0: D frames the
 * Tx queue refused (freed), X the PMD's rx_q<Q>_packets as this process
 * reads it, B its tx_q<Q>_no_desc + tx_q<Q>_ring_full (why it refused).
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "nv_xstat.h"

#define PORT 0
#define BURST 32

static volatile sig_atomic_t quit, report;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		report = 1;
	else
		quit = 1;
}

static int
setup_primary(uint16_t nq)
{
	struct rte_mempool *mp;
	struct rte_eth_conf conf;
	uint16_t q;
	int rc;

	mp = rte_pktmbuf_pool_create("nv_mp", 8192, 256, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (mp == NULL)
		return -ENOMEM;
	memset(&conf, 0, sizeof(conf));
	if (nq > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IPV4;
	}
	rc = rte_eth_dev_configure(PORT, nq, nq, &conf);
	for (q = 0; q < nq && rc == 0; q++) {
		rc = rte_eth_rx_queue_setup(PORT, q, 512, 0, NULL, mp);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(PORT, q, 512, 0, NULL);
	}
	return rc == 0 ? rte_eth_dev_start(PORT) : rc;
}

/* The PMD's own count DIR_q<q>_WHAT, read in this process. */
static uint64_t
xstat_q(const char *dir, uint16_t q, const char *what)
{
	char name[RTE_ETH_XSTATS_NAME_SIZE];

	snprintf(name, sizeof(name), "%s_q%u_%s", dir, q, what);
	return nv_xstat(PORT, name);
}

int
main(int argc, char **argv)
{
	struct rte_eth_dev_info info;
	struct rte_mbuf *pkts[BURST];
	uint64_t rx = 0, tx = 0, drop = 0;
	uint16_t q, nq, n, sent;
	int ret;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "mp: EAL init failed\n");
		return 1;
	}
	if (argc - ret != 3) {
		fprintf(stderr, "mp: usage: EAL-ARGS -- QUEUE NB_QUEUES\n");
		return 1;
	}
	q = (uint16_t)atoi(argv[ret + 1]);
	nq = (uint16_t)atoi(argv[ret + 2]);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGUSR1, on_signal);
	if (rte_eal_process_type() == RTE_PROC_PRIMARY) {
		ret = setup_primary(nq);
		if (ret != 0) {
			fprintf(stderr, "mp: port setup: %s\n", strerror(-ret));
			return 1;
		}
	}
	/* The secondary sees the primary's configuration. */
	if (rte_eth_dev_info_get(PORT, &info) != 0 || info.nb_rx_queues != nq ||
	    q >= nq) {
		fprintf(stderr, "mp: port 0 has %u Rx queues, want queue %u of %u\n",
			info.nb_rx_queues, q, nq);
		return 1;
	}
	printf("mp: ready (%s, queue %u of %u)\n",
	       rte_eal_process_type() == RTE_PROC_PRIMARY ? "primary" :
	       "secondary", q, nq);
	fflush(stdout);
	while (!quit) {
		n = rte_eth_rx_burst(PORT, q, pkts, BURST);
		rx += n;
		sent = rte_eth_tx_burst(PORT, q, pkts, n);
		tx += sent;
		drop += n - sent;
		while (sent < n)
			rte_pktmbuf_free(pkts[sent++]);
		if (report) {
			report = 0;
			printf("mp: progress q%u rx %" PRIu64 " tx %" PRIu64
			       " drop %" PRIu64 "\n", q, rx, tx, drop);
			fflush(stdout);
		}
	}
	printf("mp: q%u rx %" PRIu64 " tx %" PRIu64 " drop %" PRIu64 " xstat %"
	       PRIu64 " busy %" PRIu64 "\n", q, rx, tx, drop,
	       xstat_q("rx", q, "packets"),
	       xstat_q("tx", q, "no_desc") + xstat_q("tx", q, "ring_full"));
	fflush(stdout);
	if (rte_eal_process_type() == RTE_PROC_PRIMARY)
		rte_eth_dev_stop(PORT);
	rte_eth_dev_close(PORT);
	rte_eal_cleanup();
	return 0;
}
