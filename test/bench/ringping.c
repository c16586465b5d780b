/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench-ringping: round-trip latency of one packet at a time through an
 * emulated NIC whose backend sends every frame back (vmbus-emu --backend
 * loop). Only one packet is ever in flight, so each sample is the full
 * path: guest TX, host TX parse, backend, host RX, guest RX poll.
 *
 *   bench-ringping EAL-ARGS -- [-n COUNT] [-w WARMUP] [-s SIZE] [-i]
 *
 * -i: Rx interrupt mode: after sending, the thread sleeps in
 * rte_epoll_wait on the queue's event fd until the answer's interrupt
 * (rte_eth_dev_rx_intr_enable before, _disable after), instead of
 * polling; a PMD without Rx interrupts fails port setup.
 *
 * Prints one line: "ringping n=... lost=... p50=... p99=... p999=...
 * min=... max=..." (microseconds) "eal=DIR" (the DPDK it ran on). Built against the DPDK 22.11 API; the
 * same binary runs on Debian's DPDK or ours, whichever the loader finds
 * (both are 22.11, same sonames), so the PMD is the only variable.
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

#define RP_PORT 0
#define RP_DESC 512
#define RP_MAGIC 0x52504e47u /* tags our frames among anything else */

struct rp_opts {
	unsigned int count, warmup, size;
	int intr;
};

static int parse_opts(int argc, char **argv, struct rp_opts *o)
{
	int c;

	o->count = 10000;
	o->warmup = 1000;
	o->size = 64;
	o->intr = 0;
	while ((c = getopt(argc, argv, "n:w:s:i")) != -1) {
		unsigned long v;
		char *end;

		if (c == 'i') {
			o->intr = 1;
			continue;
		}
		if (!optarg)
			return -1;
		v = strtoul(optarg, &end, 0);
		if (*end || v > 1000000)
			return -1;
		if (c == 'n')
			o->count = (unsigned int)v;
		else if (c == 'w')
			o->warmup = (unsigned int)v;
		else if (c == 's')
			o->size = (unsigned int)v;
		else
			return -1;
	}
	if (o->count == 0 || o->size < 60 || o->size > 1514)
		return -1;
	return 0;
}

static int port_setup(struct rte_mempool *mp, int intr)
{
	struct rte_eth_conf conf;
	int rc;

	memset(&conf, 0, sizeof(conf));
	conf.intr_conf.rxq = intr ? 1 : 0;
	rc = rte_eth_dev_configure(RP_PORT, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(RP_PORT, 0, RP_DESC, rte_socket_id(), NULL, mp);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(RP_PORT, 0, RP_DESC, rte_socket_id(), NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(RP_PORT);
	if (rc == 0 && intr)
		rc = rte_eth_dev_rx_intr_ctl_q(RP_PORT, 0, RTE_EPOLL_PER_THREAD,
					       RTE_INTR_EVENT_ADD, NULL);
	if (rc == 0)
		/* Loopback frames keep our own MAC as destination; promiscuous
		 * mode only guards against a PMD that filters them anyway. */
		(void)rte_eth_promiscuous_enable(RP_PORT);
	return rc;
}

/* One frame: our MAC to our MAC, an experimental ethertype, then the tag
 * and the sequence number that identify the answer. */
static struct rte_mbuf *make_frame(struct rte_mempool *mp, const struct rte_ether_addr *mac,
				   unsigned int size, uint32_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_ether_hdr *eh;
	uint32_t *tag;

	if (!m)
		return NULL;
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)size);
	if (!eh) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(eh, 0, size);
	rte_ether_addr_copy(mac, &eh->dst_addr);
	rte_ether_addr_copy(mac, &eh->src_addr);
	eh->ether_type = rte_cpu_to_be_16(0x88b5);
	tag = (uint32_t *)(eh + 1);
	tag[0] = RP_MAGIC;
	tag[1] = seq;
	return m;
}

static int is_answer(struct rte_mbuf *m, uint32_t seq)
{
	const uint32_t *tag;

	if (rte_pktmbuf_data_len(m) < sizeof(struct rte_ether_hdr) + 8)
		return 0;
	tag = rte_pktmbuf_mtod_offset(m, const uint32_t *, sizeof(struct rte_ether_hdr));
	return tag[0] == RP_MAGIC && tag[1] == seq;
}

/* Interrupt mode: sleep until queue 0's event fd fires (or the limit). */
static void wait_rx(uint64_t limit)
{
	struct rte_epoll_event ev;
	uint64_t now = rte_rdtsc();
	int ms;

	if (now >= limit)
		return;
	ms = (int)((limit - now) * 1000 / rte_get_tsc_hz()) + 1;
	/* 1: data came before the unmask; poll instead of sleeping. */
	if (rte_eth_dev_rx_intr_enable(RP_PORT, 0) == 0)
		(void)rte_epoll_wait(RTE_EPOLL_PER_THREAD, &ev, 1, ms);
	(void)rte_eth_dev_rx_intr_disable(RP_PORT, 0);
}

/* Sends frame SEQ and polls (or sleeps, intr) until it comes back.
 * Returns the round trip in TSC cycles, or 0 when it was lost (no
 * answer within a second). */
static uint64_t ping_once(struct rte_mempool *mp, const struct rte_ether_addr *mac,
			  unsigned int size, uint32_t seq, int intr)
{
	struct rte_mbuf *m = make_frame(mp, mac, size, seq), *rx[32];
	uint64_t t0, limit;
	int found = 0;

	if (!m)
		return 0;
	t0 = rte_rdtsc();
	limit = t0 + rte_get_tsc_hz();
	while (rte_eth_tx_burst(RP_PORT, 0, &m, 1) == 0)
		if (rte_rdtsc() > limit) {
			rte_pktmbuf_free(m);
			return 0;
		}
	while (!found && rte_rdtsc() < limit) {
		uint16_t n = rte_eth_rx_burst(RP_PORT, 0, rx, 32), i;

		for (i = 0; i < n; i++) {
			found |= is_answer(rx[i], seq);
			rte_pktmbuf_free(rx[i]);
		}
		if (!found && n == 0 && intr)
			wait_rx(limit);
	}
	return found ? rte_rdtsc() - t0 : 0;
}

/* Which DPDK the loader chose (both installs use the same sonames): the
 * directory of the mapped librte_eal, for the report. */
static void eal_dir(char *out, size_t len)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];

	snprintf(out, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '/'), *slash;

		if (!p || !strstr(p, "/librte_eal.so"))
			continue;
		slash = strrchr(p, '/');
		*slash = '\0';
		snprintf(out, len, "%s", p);
		break;
	}
	fclose(f);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double us_at(const uint64_t *s, unsigned int n, double q, double hz)
{
	unsigned int i = (unsigned int)(q * (n - 1) + 0.5);

	return (double)s[i] * 1e6 / hz;
}

int main(int argc, char **argv)
{
	struct rte_ether_addr mac;
	struct rte_mempool *mp;
	struct rp_opts o;
	char eal[256];
	unsigned int i, got = 0, lost = 0;
	uint64_t *samples;
	double hz;
	int used;

	used = rte_eal_init(argc, argv);
	if (used < 0) {
		fprintf(stderr, "ringping: EAL init failed\n");
		return 1;
	}
	argc -= used;
	argv += used;
	if (parse_opts(argc, argv, &o) < 0) {
		fprintf(stderr, "usage: bench-ringping EAL-ARGS -- [-n COUNT] [-w WARMUP] [-s 60..1514] [-i]\n");
		return 2;
	}
	if (rte_eth_dev_count_avail() < 1) {
		fprintf(stderr, "ringping: no ethernet port probed\n");
		return 1;
	}
	mp = rte_pktmbuf_pool_create("rp_pool", 2047, 64, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     rte_socket_id());
	samples = calloc(o.count, sizeof(*samples));
	if (!mp || !samples || port_setup(mp, o.intr) != 0 || rte_eth_macaddr_get(RP_PORT, &mac) != 0) {
		fprintf(stderr, "ringping: port setup failed\n");
		return 1;
	}
	hz = (double)rte_get_tsc_hz();
	for (i = 0; i < o.warmup + o.count; i++) {
		uint64_t c = ping_once(mp, &mac, o.size, i, o.intr);

		if (c == 0)
			lost++;
		else if (i >= o.warmup)
			samples[got++] = c;
	}
	rte_eth_dev_stop(RP_PORT);
	rte_eth_dev_close(RP_PORT);
	if (got == 0) {
		fprintf(stderr, "ringping: every packet was lost (%u)\n", lost);
		return 1;
	}
	qsort(samples, got, sizeof(*samples), cmp_u64);
	eal_dir(eal, sizeof(eal));
	printf("ringping n=%u lost=%u p50=%.2f p99=%.2f p999=%.2f min=%.2f max=%.2f eal=%s\n",
	       got, lost, us_at(samples, got, 0.50, hz), us_at(samples, got, 0.99, hz),
	       us_at(samples, got, 0.999, hz), us_at(samples, got, 0.0, hz),
	       us_at(samples, got, 1.0, hz), eal);
	free(samples);
	rte_eal_cleanup();
	return 0;
}
