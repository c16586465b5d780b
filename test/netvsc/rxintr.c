/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An l3fwd-power style responder for the Rx-interrupt test (rxintr.sh):
 * port 0 with Rx interrupts on, one lcore polling all queues, answering
 * ARP requests and ICMP echo requests; after a few empty rounds it
 * enables every queue's interrupt and sleeps in rte_epoll_wait on their
 * event fds with no timeout, so an idle process uses no CPU and only a
 * frame wakes it.
 *
 *   nv_rxintr EAL-ARGS -- QUEUES
 *
 * Prints "rxintr: ready" once it first sleeps. SIGUSR1 prints the
 * counters ("rxintr: stats ..."); SIGTERM prints them and exits 0.
 * wakeups counts returns from the wait with an event, empty those after
 * which a whole round found nothing (a spurious wakeup).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_interrupts.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#define PORT 0
#define BURST 32
#define MAX_Q 8
/* Empty rounds before sleeping: a reply's completion comes right after. */
#define IDLE_ROUNDS 4

static volatile sig_atomic_t quit, report;

static struct {
	uint64_t rx, tx, answered, wakeups, empty, sleeps;
} st;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		report = 1;
	else
		quit = 1;
}

/* No SA_RESTART: the wait must return to report or quit. */
static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
}

static void
print_stats(void)
{
	printf("rxintr: stats rx %" PRIu64 " tx %" PRIu64 " answered %" PRIu64
	       " sleeps %" PRIu64 " wakeups %" PRIu64 " empty %" PRIu64 "\n",
	       st.rx, st.tx, st.answered, st.sleeps, st.wakeups, st.empty);
	fflush(stdout);
}

static bool
answer_arp(struct rte_ether_hdr *eth, struct rte_ether_addr *mac)
{
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(eth + 1);
	uint32_t ip;

	if (a->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST))
		return false;
	a->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	/* Whoever is asked for: we are it. */
	ip = a->arp_data.arp_tip;
	a->arp_data.arp_tha = a->arp_data.arp_sha;
	a->arp_data.arp_tip = a->arp_data.arp_sip;
	a->arp_data.arp_sha = *mac;
	a->arp_data.arp_sip = ip;
	eth->dst_addr = eth->src_addr;
	eth->src_addr = *mac;
	return true;
}

static bool
answer_icmp(struct rte_mbuf *m, struct rte_ether_hdr *eth,
	    struct rte_ether_addr *mac)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_icmp_hdr *icmp;
	uint32_t ihl, len, addr;

	if (m->data_len < sizeof(*eth) + sizeof(*ip))
		return false;
	ihl = (uint32_t)(ip->version_ihl & 0xf) * 4;
	len = rte_be_to_cpu_16(ip->total_length);
	if (ip->next_proto_id != IPPROTO_ICMP || ihl < sizeof(*ip) ||
	    len < ihl + sizeof(*icmp) || sizeof(*eth) + len > m->data_len)
		return false;
	icmp = (struct rte_icmp_hdr *)((uint8_t *)ip + ihl);
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST)
		return false;
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, len - ihl);
	addr = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = addr;
	eth->dst_addr = eth->src_addr;
	eth->src_addr = *mac;
	return true;
}

/* Answer what deserves it in place; drop the rest. Returns frames kept. */
static uint16_t
answer(struct rte_mbuf **pkts, uint16_t n, struct rte_ether_addr *mac)
{
	uint16_t i, k = 0;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct rte_ether_hdr *eth =
			rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
		bool ok = false;

		if (m->data_len >= sizeof(*eth) + sizeof(struct rte_arp_hdr) &&
		    eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP))
			ok = answer_arp(eth, mac);
		else if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
			ok = answer_icmp(m, eth, mac);
		if (ok)
			pkts[k++] = m;
		else
			rte_pktmbuf_free(m);
	}
	return k;
}

/* One round over every queue; the frames received. */
static uint16_t
poll_all(uint16_t nq, struct rte_ether_addr *mac)
{
	struct rte_mbuf *pkts[BURST];
	uint16_t q, n, k, sent, total = 0;

	for (q = 0; q < nq; q++) {
		n = rte_eth_rx_burst(PORT, q, pkts, BURST);
		st.rx += n;
		total += n;
		k = answer(pkts, n, mac);
		sent = rte_eth_tx_burst(PORT, q, pkts, k);
		st.tx += sent;
		st.answered += k;
		while (sent < k)
			rte_pktmbuf_free(pkts[sent++]);
	}
	return total;
}

static int
intr_all(uint16_t nq, bool on)
{
	uint16_t q;
	int rc;

	for (q = 0; q < nq; q++) {
		rc = on ? rte_eth_dev_rx_intr_enable(PORT, q) :
			  rte_eth_dev_rx_intr_disable(PORT, q);
		if (rc != 0) {
			fprintf(stderr, "rxintr: intr %s q%u: %s\n",
				on ? "enable" : "disable", q, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/*
 * Sleep until a queue's event fd fires or a signal arrives: events seen,
 * 0 after a signal, -1 on failure.
 */
static int
sleep_on_queues(uint16_t nq, bool *ready_said)
{
	struct rte_epoll_event ev[MAX_Q];
	int n;

	if (intr_all(nq, true) != 0)
		return -1;
	st.sleeps++;
	if (!*ready_said) {
		printf("rxintr: ready\n");
		fflush(stdout);
		*ready_said = true;
	}
	n = rte_epoll_wait_interruptible(RTE_EPOLL_PER_THREAD, ev, nq, -1);
	if (n < 0 && errno == EINTR)
		n = 0;
	else if (n < 0)
		fprintf(stderr, "rxintr: wait failed: %s\n", strerror(errno));
	if (n > 0)
		st.wakeups++;
	return intr_all(nq, false) != 0 ? -1 : n;
}

static int
setup_port(uint16_t nq, struct rte_mempool *mp)
{
	struct rte_eth_conf conf;
	uint16_t q;
	int rc;

	memset(&conf, 0, sizeof(conf));
	conf.intr_conf.rxq = 1;
	if (nq > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IPV4;
	}
	rc = rte_eth_dev_configure(PORT, nq, nq, &conf);
	for (q = 0; q < nq && rc == 0; q++) {
		rc = rte_eth_rx_queue_setup(PORT, q, 256, 0, NULL, mp);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(PORT, q, 256, 0, NULL);
	}
	if (rc == 0)
		rc = rte_eth_dev_start(PORT);
	for (q = 0; q < nq && rc == 0; q++)
		rc = rte_eth_dev_rx_intr_ctl_q(PORT, q, RTE_EPOLL_PER_THREAD,
			RTE_INTR_EVENT_ADD, (void *)(uintptr_t)q);
	return rc;
}

int
main(int argc, char **argv)
{
	struct rte_ether_addr mac;
	struct rte_mempool *mp;
	bool ready = false, woke = false;
	unsigned int idle = 0;
	uint16_t nq;
	int ret;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "rxintr: EAL init failed\n");
		return 1;
	}
	argc -= ret;
	argv += ret;
	nq = argc > 1 ? (uint16_t)atoi(argv[1]) : 1;
	if (nq < 1 || nq > MAX_Q || rte_eth_dev_count_avail() < 1) {
		fprintf(stderr, "rxintr: want 1..%u queues and a port\n", MAX_Q);
		return 1;
	}
	catch_signals();
	mp = rte_pktmbuf_pool_create("rxintr", 4096, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (mp == NULL || rte_eth_macaddr_get(PORT, &mac) != 0) {
		fprintf(stderr, "rxintr: no mempool or MAC\n");
		return 1;
	}
	ret = setup_port(nq, mp);
	if (ret != 0) {
		fprintf(stderr, "rxintr: port setup failed: %s\n", strerror(-ret));
		return 1;
	}
	while (!quit) {
		if (report) {
			report = 0;
			print_stats();
		}
		if (poll_all(nq, &mac) != 0) {
			idle = 0;
			woke = false;
			continue;
		}
		if (++idle < IDLE_ROUNDS)
			continue;
		/* A wakeup that led to nothing at all. */
		if (woke)
			st.empty++;
		idle = 0;
		ret = sleep_on_queues(nq, &ready);
		if (ret < 0)
			break;
		woke = ret > 0;
	}
	print_stats();
	rte_eth_dev_stop(PORT);
	rte_eth_dev_close(PORT);
	rte_eal_cleanup();
	return ret < 0 ? 1 : 0;
}
