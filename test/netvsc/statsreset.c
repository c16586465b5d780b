/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stats reset while the data path polls, for statsreset.sh. The burst
 * updates its queue's counters on every call, empty or not, with plain
 * read-modify-writes; a reset that wrote them could be undone by a burst
 * running at that moment (the count from before the reset stored back).
 * The PMD's reset records where each counter stood instead, and every
 * read subtracts that.
 *
 *   nv_statsreset EAL-ARGS -- NB_QUEUES FRAMES RESETS
 *
 * Port 0 gets NB_QUEUES queues with IPv4 RSS; the worker lcore polls them
 * all until told to stop. The program prints "statsreset: polling", waits
 * for FRAMES frames (the script starts the emulator's generator), checks
 * that the port counted them, then resets and reads the basic stats
 * RESETS times while the worker keeps polling the (now quiet) queues,
 * and prints
 *   "statsreset: received F frames, ipackets P"
 *   "statsreset: R resets, K read back non-zero (first: V)"
 *   "statsreset: xstats after the last reset: rx_qN_packets sum S"
 *   "statsreset: resets done"
 * then waits for FRAMES more (the script starts the generator again) and
 * prints what the port counted since the last reset:
 *   "statsreset: after the resets: received F2 frames, ipackets P2"
 * Exit 0 when K and S are 0, P equals FRAMES and P2 FRAMES. With VF
 * steering (statsreset.sh vf) the frames come through the VF: its
 * stand-in PMD updates its counters on every burst as ours does.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "nv_xstat.h"

#define PORT 0
#define MAX_Q 16u

static uint16_t nq;
static volatile int stop;
static uint64_t received; /* written by the worker only */

static int
poll_all(void *arg)
{
	struct rte_mbuf *m[32];
	uint16_t q, n;

	(void)arg;
	while (!stop)
		for (q = 0; q < nq; q++) {
			n = rte_eth_rx_burst(PORT, q, m, RTE_DIM(m));
			rte_pktmbuf_free_bulk(m, n);
			__atomic_fetch_add(&received, n, __ATOMIC_RELEASE);
		}
	return 0;
}

static int
setup(void)
{
	struct rte_eth_conf conf;
	struct rte_mempool *mp;
	uint16_t q;
	int rc;

	mp = rte_pktmbuf_pool_create("nv_sr", 4096, 256, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (mp == NULL)
		return -ENOMEM;
	memset(&conf, 0, sizeof(conf));
	conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IPV4;
	rc = rte_eth_dev_configure(PORT, nq, nq, &conf);
	for (q = 0; rc == 0 && q < nq; q++) {
		rc = rte_eth_rx_queue_setup(PORT, q, 512, rte_socket_id(),
					    NULL, mp);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(PORT, q, 512,
						    rte_socket_id(), NULL);
	}
	return rc == 0 ? rte_eth_dev_start(PORT) : rc;
}

static uint64_t
rx_xstats_sum(void)
{
	char name[RTE_ETH_XSTATS_NAME_SIZE];
	uint64_t sum = 0;
	uint16_t q;

	for (q = 0; q < nq; q++) {
		snprintf(name, sizeof(name), "rx_q%u_packets", q);
		sum += nv_xstat(PORT, name);
	}
	return sum;
}

int
main(int argc, char **argv)
{
	uint64_t frames, resets, i, bad = 0, first = 0, counted;
	struct rte_eth_stats st;
	time_t end;
	int ret;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "statsreset: EAL init failed\n");
		return 1;
	}
	argv += ret;
	if (argc - ret != 4 || rte_lcore_count() < 2) {
		fprintf(stderr, "statsreset: usage: EAL-ARGS (2 lcores) --"
			" NB_QUEUES FRAMES RESETS\n");
		return 1;
	}
	nq = (uint16_t)atoi(argv[1]);
	frames = strtoull(argv[2], NULL, 0);
	resets = strtoull(argv[3], NULL, 0);
	if (nq == 0 || nq > MAX_Q) {
		fprintf(stderr, "statsreset: NB_QUEUES 1..%u\n", MAX_Q);
		return 1;
	}
	ret = setup();
	if (ret != 0) {
		fprintf(stderr, "statsreset: port setup: %s\n", strerror(-ret));
		return 1;
	}
	rte_eal_remote_launch(poll_all, NULL, rte_get_next_lcore(-1, 1, 0));
	printf("statsreset: polling\n");
	fflush(stdout);
	/* A hang guard: the script's generator sends FRAMES frames. */
	end = time(NULL) + 120;
	while (__atomic_load_n(&received, __ATOMIC_ACQUIRE) < frames &&
	       time(NULL) < end)
		rte_pause();
	rte_eth_stats_get(PORT, &st);
	counted = st.ipackets;
	printf("statsreset: received %" PRIu64 " frames, ipackets %" PRIu64 "\n",
	       __atomic_load_n(&received, __ATOMIC_ACQUIRE), counted);
	for (i = 0; i < resets; i++) {
		rte_eth_stats_reset(PORT);
		rte_eth_stats_get(PORT, &st);
		if (st.ipackets != 0 || st.ibytes != 0) {
			if (bad++ == 0)
				first = st.ipackets;
		}
	}
	printf("statsreset: %" PRIu64 " resets, %" PRIu64
	       " read back non-zero (first: %" PRIu64 ")\n", resets, bad, first);
	i = rx_xstats_sum();
	printf("statsreset: xstats after the last reset: rx_qN_packets sum %"
	       PRIu64 "\n", i);
	printf("statsreset: resets done\n");
	fflush(stdout);
	end = time(NULL) + 120;
	while (__atomic_load_n(&received, __ATOMIC_ACQUIRE) < 2 * frames &&
	       time(NULL) < end)
		rte_pause();
	rte_eth_stats_get(PORT, &st);
	printf("statsreset: after the resets: received %" PRIu64
	       " frames, ipackets %" PRIu64 "\n",
	       __atomic_load_n(&received, __ATOMIC_ACQUIRE) - frames, st.ipackets);
	stop = 1;
	rte_eal_mp_wait_lcore();
	ret = bad == 0 && i == 0 && counted == frames && st.ipackets == frames &&
	      __atomic_load_n(&received, __ATOMIC_ACQUIRE) == 2 * frames ? 0 : 1;
	rte_eth_dev_stop(PORT);
	rte_eth_dev_close(PORT);
	rte_eal_cleanup();
	return ret;
}
