/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A late interrupt must not silence a queue (rxlate.sh). On an emulator
 * with --backend loop (every frame sent comes back) and --irq-late-us
 * (the guest kernel's interrupt callback, which masks the channel,
 * runs that long after the host's signal), each round:
 *
 *   1. enables the Rx interrupt of queue 0, sends frame A and polls
 *      until it is back: the host saw the queue unmasked and signalled,
 *      and the kernel's callback for that signal is still due;
 *   2. stays enabled and waits SETTLE ms, in which the callback masks
 *      the channel behind the PMD's back and bumps the uio count; then
 *      takes what arrived meanwhile (completions) and its wakeups;
 *   3. sends frame B and sleeps in rte_epoll_wait: the interrupt for B
 *      must wake it. A PMD that does not unmask again on that count
 *      sleeps on B until the limit: "lost wakeup", exit 1.
 *
 *   nv_rxlate EAL-ARGS -- ROUNDS SETTLE-MS LIMIT-MS
 *
 * Prints "rxlate: ok rounds=N" on success.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_interrupts.h>
#include <rte_mbuf.h>

#define PORT 0
#define NDESC 512
#define TAG 0x524c4154u /* "RLAT": our frames among anything else */

static int
port_setup(struct rte_mempool *mp)
{
	struct rte_eth_conf conf;
	int rc;

	memset(&conf, 0, sizeof(conf));
	conf.intr_conf.rxq = 1;
	rc = rte_eth_dev_configure(PORT, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(PORT, 0, NDESC, rte_socket_id(), NULL, mp);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(PORT, 0, NDESC, rte_socket_id(), NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(PORT);
	if (rc == 0)
		rc = rte_eth_dev_rx_intr_ctl_q(PORT, 0, RTE_EPOLL_PER_THREAD,
					       RTE_INTR_EVENT_ADD, NULL);
	return rc;
}

static int
send_frame(struct rte_mempool *mp, const struct rte_ether_addr *mac,
	   uint32_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_ether_hdr *eh;
	uint32_t tag[2] = { TAG, seq };

	if (m == NULL)
		return -1;
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, 64);
	if (eh == NULL) {
		rte_pktmbuf_free(m);
		return -1;
	}
	memset(eh, 0, 64);
	rte_ether_addr_copy(mac, &eh->dst_addr);
	rte_ether_addr_copy(mac, &eh->src_addr);
	eh->ether_type = rte_cpu_to_be_16(0x88b5);
	/* After a 14-byte header: unaligned, so copied. */
	memcpy(eh + 1, tag, sizeof(tag));
	if (rte_eth_tx_burst(PORT, 0, &m, 1) == 1)
		return 0;
	rte_pktmbuf_free(m);
	return -1;
}

/* One rx burst; true if frame seq was among it. */
static bool
took(uint32_t seq)
{
	struct rte_mbuf *rx[32];
	uint16_t n = rte_eth_rx_burst(PORT, 0, rx, 32), i;
	bool found = false;

	for (i = 0; i < n; i++) {
		uint32_t t[2];

		if (rte_pktmbuf_data_len(rx[i]) >= sizeof(struct rte_ether_hdr) + 8) {
			memcpy(t, rte_pktmbuf_mtod_offset(rx[i], const uint8_t *,
							  sizeof(struct rte_ether_hdr)),
			       sizeof(t));
			found |= t[0] == TAG && t[1] == seq;
		}
		rte_pktmbuf_free(rx[i]);
	}
	return found;
}

static void
drain_rx(void)
{
	struct rte_mbuf *rx[32];
	uint16_t n;

	while ((n = rte_eth_rx_burst(PORT, 0, rx, 32)) != 0)
		rte_pktmbuf_free_bulk(rx, n);
}

static uint64_t
ms_now(void)
{
	return rte_get_timer_cycles() * 1000 / rte_get_timer_hz();
}

/* Poll until frame seq is back, at most limit ms. */
static bool
poll_for(uint32_t seq, unsigned int limit)
{
	uint64_t end = ms_now() + limit;

	while (ms_now() < end)
		if (took(seq))
			return true;
	return false;
}

/* Events already there (a wakeup for data we polled): consumed. */
static void
drain_events(void)
{
	struct rte_epoll_event ev[4];

	while (rte_epoll_wait(RTE_EPOLL_PER_THREAD, ev, 4, 0) > 0)
		;
}

static unsigned long
arg_ul(const char *s, unsigned long max)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	return *end == '\0' && v > 0 && v <= max ? v : 0;
}

static int
round_trip(struct rte_mempool *mp, const struct rte_ether_addr *mac,
	   unsigned int r, unsigned int settle, unsigned int limit)
{
	struct rte_epoll_event ev;
	uint32_t a = 2 * r, b = 2 * r + 1;
	uint64_t end;
	int n;

	if (rte_eth_dev_rx_intr_enable(PORT, 0) != 0) {
		printf("rxlate: round %u: rx_intr_enable failed\n", r);
		return -1;
	}
	if (send_frame(mp, mac, a) != 0 || !poll_for(a, limit)) {
		printf("rxlate: round %u: frame A not back within %u ms (polling)\n",
		       r, limit);
		return -1;
	}
	usleep(settle * 1000u);
	/*
	 * What came meanwhile (A's send completion, held by the host and
	 * written after we polled A) is taken with its wakeup: a wakeup
	 * consumed without its data is one the host never repeats (it
	 * signals only an empty ring's first packet), so B would find the
	 * ring not empty and sleep on, whatever the PMD does.
	 */
	drain_rx();
	drain_events();
	if (send_frame(mp, mac, b) != 0) {
		printf("rxlate: round %u: cannot send frame B\n", r);
		return -1;
	}
	/* Wake-ups for the Tx completion alone may come first. */
	end = ms_now() + limit;
	for (;;) {
		uint64_t now = ms_now();

		if (now >= end) {
			printf("rxlate: round %u: lost wakeup: no Rx interrupt in %u ms for frame B, which %s\n",
			       r, limit, took(b) ? "waited in the ring all along" :
			       "did not come back at all");
			return -1;
		}
		n = rte_epoll_wait(RTE_EPOLL_PER_THREAD, &ev, 1, (int)(end - now));
		if (n > 0 && took(b))
			break;
	}
	(void)rte_eth_dev_rx_intr_disable(PORT, 0);
	/* Leftovers of this round, so the next starts clean. */
	drain_rx();
	drain_events();
	return 0;
}

int
main(int argc, char **argv)
{
	struct rte_ether_addr mac;
	struct rte_mempool *mp;
	unsigned int rounds, settle, limit, r;
	int used = rte_eal_init(argc, argv);

	if (used < 0) {
		fprintf(stderr, "rxlate: EAL init failed\n");
		return 1;
	}
	argc -= used;
	argv += used;
	if (argc != 4 || (rounds = (unsigned int)arg_ul(argv[1], 100000)) == 0 ||
	    (settle = (unsigned int)arg_ul(argv[2], 60000)) == 0 ||
	    (limit = (unsigned int)arg_ul(argv[3], 600000)) == 0) {
		fprintf(stderr, "usage: nv_rxlate EAL-ARGS -- ROUNDS SETTLE-MS LIMIT-MS\n");
		return 2;
	}
	if (rte_eth_dev_count_avail() < 1) {
		fprintf(stderr, "rxlate: no ethernet port probed\n");
		return 1;
	}
	mp = rte_pktmbuf_pool_create("rxlate", 1023, 32, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (mp == NULL || port_setup(mp) != 0 ||
	    rte_eth_macaddr_get(PORT, &mac) != 0) {
		fprintf(stderr, "rxlate: port setup failed\n");
		return 1;
	}
	(void)rte_eth_promiscuous_enable(PORT);
	for (r = 0; r < rounds; r++)
		if (round_trip(mp, &mac, r, settle, limit) != 0)
			break;
	fflush(stdout);
	rte_eth_dev_stop(PORT);
	rte_eth_dev_close(PORT);
	rte_eal_cleanup();
	if (r < rounds)
		return 1;
	printf("rxlate: ok rounds=%u\n", rounds);
	return 0;
}
