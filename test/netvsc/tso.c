/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One large TCP segment sent with TSO, for tso.sh: the host must cut it
 * into MSS-sized frames with correct IPv4 and TCP checksums, which the
 * Linux side behind the emulator's TAP checks (tso_rx.py and the
 * kernel's own counters).
 *
 *   nv_tso EAL-ARGS -- DST-MAC SRC-IP DST-IP DST-PORT PAYLOAD MSS
 *
 * Port 0 gets one queue pair with IPv4/TCP checksum, TSO and multi-segment
 * transmit; the frame is an mbuf chain of at most 2048 data bytes per
 * segment, prepared by rte_eth_tx_prepare (pseudo-header checksum) as
 * DPDK asks of TSO senders. Payload byte i is (i * 131 + (i >> 8)) & 0xff,
 * TCP sequence 1000, source port 40000. Prints "tso: sent N bytes in K
 * mbufs" once the PMD took it, then polls (receives and frees, reaps Tx
 * completions) until SIGTERM, then prints
 * "tso: tx N errors E linearized L" (port stats and the PMD's xstats)
 * and exits 0.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "nv_xstat.h"

#define PORT 0
#define SEG_DATA 2048u
#define HDRS (sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) + \
	      sizeof(struct rte_tcp_hdr))

static volatile sig_atomic_t quit;

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static int
setup(struct rte_mempool *mp)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	uint64_t want = RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_MULTI_SEGS |
		RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
	int rc;

	rc = rte_eth_dev_info_get(PORT, &info);
	if (rc != 0)
		return rc;
	if ((info.tx_offload_capa & want) != want) {
		fprintf(stderr, "tso: port offers tx offloads 0x%" PRIx64
			", want 0x%" PRIx64 "\n", info.tx_offload_capa, want);
		return -ENOTSUP;
	}
	memset(&conf, 0, sizeof(conf));
	conf.txmode.offloads = want;
	rc = rte_eth_dev_configure(PORT, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(PORT, 0, 512, 0, NULL, mp);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(PORT, 0, 512, 0, NULL);
	return rc == 0 ? rte_eth_dev_start(PORT) : rc;
}

/* Append len bytes to chain m (new segments of at most SEG_DATA). */
static int
put(struct rte_mempool *mp, struct rte_mbuf *m, const uint8_t *src, size_t len)
{
	while (len > 0) {
		struct rte_mbuf *last = rte_pktmbuf_lastseg(m);
		size_t room = RTE_MIN((size_t)rte_pktmbuf_tailroom(last),
				      (size_t)SEG_DATA - last->data_len);
		size_t n = RTE_MIN(room, len);
		char *dst;

		if (n == 0) {
			struct rte_mbuf *s = rte_pktmbuf_alloc(mp);

			if (s == NULL || rte_pktmbuf_chain(m, s) != 0) {
				rte_pktmbuf_free(s);
				return -ENOMEM;
			}
			continue;
		}
		dst = rte_pktmbuf_append(m, (uint16_t)n);
		if (dst == NULL)
			return -ENOMEM;
		memcpy(dst, src, n);
		src += n;
		len -= n;
	}
	return 0;
}

static struct rte_mbuf *
build(struct rte_mempool *mp, const struct rte_ether_addr *dst, uint32_t sip,
      uint32_t dip, uint16_t dport, uint32_t payload, uint16_t mss)
{
	uint8_t hdr[HDRS], *data;
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)hdr;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(ip + 1);
	struct rte_mbuf *m;
	uint32_t i;

	memset(hdr, 0, sizeof(hdr));
	eth->dst_addr = *dst;
	rte_eth_macaddr_get(PORT, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + sizeof(*tcp) + payload));
	ip->packet_id = rte_cpu_to_be_16(1);
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = sip;
	ip->dst_addr = dip;
	tcp->src_port = rte_cpu_to_be_16(40000);
	tcp->dst_port = rte_cpu_to_be_16(dport);
	tcp->sent_seq = rte_cpu_to_be_32(1000);
	tcp->data_off = (sizeof(*tcp) / 4) << 4;
	tcp->tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
	tcp->rx_win = rte_cpu_to_be_16(65535);

	data = malloc(payload);
	m = rte_pktmbuf_alloc(mp);
	if (data == NULL || m == NULL)
		goto fail;
	for (i = 0; i < payload; i++)
		data[i] = (uint8_t)(i * 131u + (i >> 8));
	if (put(mp, m, hdr, sizeof(hdr)) != 0 || put(mp, m, data, payload) != 0)
		goto fail;
	free(data);
	m->l2_len = sizeof(*eth);
	m->l3_len = sizeof(*ip);
	m->l4_len = sizeof(*tcp);
	m->tso_segsz = mss;
	m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM |
		RTE_MBUF_F_TX_TCP_SEG;
	return m;
fail:
	free(data);
	rte_pktmbuf_free(m);
	return NULL;
}

int
main(int argc, char **argv)
{
	struct rte_ether_addr dst;
	struct rte_eth_stats st;
	struct rte_mempool *mp;
	struct rte_mbuf *m, *rx[32];
	struct in_addr sip, dip;
	uint16_t n, nseg;
	uint32_t payload;
	int ret;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "tso: EAL init failed\n");
		return 1;
	}
	argv += ret;
	if (argc - ret != 7 || rte_ether_unformat_addr(argv[1], &dst) != 0 ||
	    inet_pton(AF_INET, argv[2], &sip) != 1 ||
	    inet_pton(AF_INET, argv[3], &dip) != 1) {
		fprintf(stderr, "tso: usage: EAL-ARGS -- DST-MAC SRC-IP DST-IP"
			" DST-PORT PAYLOAD MSS\n");
		return 1;
	}
	payload = (uint32_t)strtoul(argv[5], NULL, 0);
	if (payload == 0 || payload > 65535 - 40) {
		fprintf(stderr, "tso: payload %s out of range\n", argv[5]);
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	mp = rte_pktmbuf_pool_create("nv_tso", 1024, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	ret = mp == NULL ? -ENOMEM : setup(mp);
	if (ret != 0) {
		fprintf(stderr, "tso: port setup: %s\n", strerror(-ret));
		return 1;
	}
	m = build(mp, &dst, sip.s_addr, dip.s_addr,
		  (uint16_t)atoi(argv[4]), payload, (uint16_t)atoi(argv[6]));
	if (m == NULL) {
		fprintf(stderr, "tso: cannot build the frame\n");
		return 1;
	}
	nseg = m->nb_segs;
	if (rte_eth_tx_prepare(PORT, 0, &m, 1) != 1) {
		fprintf(stderr, "tso: tx_prepare refused the frame: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	ret = -1;
	while (!quit && ret != 1)
		ret = rte_eth_tx_burst(PORT, 0, &m, 1);
	if (ret == 1)
		printf("tso: sent %u bytes in %u mbufs\n",
		       (unsigned int)(HDRS + payload), nseg);
	fflush(stdout);
	while (!quit) {
		n = rte_eth_rx_burst(PORT, 0, rx, RTE_DIM(rx));
		rte_pktmbuf_free_bulk(rx, n);
		rte_eth_tx_done_cleanup(PORT, 0, 0);
	}
	rte_eth_stats_get(PORT, &st);
	printf("tso: tx %" PRIu64 " errors %" PRIu64 " linearized %" PRIu64 "\n",
	       st.opackets, st.oerrors, nv_xstat(PORT, "tx_q0_linearized"));
	fflush(stdout);
	rte_eth_dev_stop(PORT);
	rte_eth_dev_close(PORT);
	rte_eal_cleanup();
	return 0;
}
