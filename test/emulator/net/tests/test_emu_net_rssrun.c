/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RSS run (emu_rxrss.c: with RSS on, a burst's frames staged in a
 * packet per queue) against the general path (rx_frame_any: frame by
 * frame, a packet per run of consecutive frames of one queue), as the
 * checksum fast path is compared with the full parse: the same burst,
 * offered both ways (nic->rx_general forces the general path), must
 * give every queue the same RNDIS messages in the same order (header,
 * per-packet info, frame), the same per-frame results and the same
 * counters; only the packets may differ (fewer with the run, which the
 * test checks it used). The bursts mix what the run must decline or
 * decide like rss_pick: IPv4 TCP and UDP flows, fragments, other
 * protocols, IP options, bad lengths, non-IP, a VLAN tag, another
 * length, a bad checksum, frames the filter drops; IPv6 bursts; under
 * several sets of hash types, two table sizes, both filters, vouched
 * and summed frames.
 * Then a ring that fills: the run stops where the general path would
 * find no room, and after retries every queue got every frame once, in
 * order, as with the general path. Then what the run leaves to the
 * general path: frames too short for its memo (each at the end of a
 * page before an inaccessible one, so that a read past a frame faults),
 * and a queue's packet it could not allocate (calloc fails: this
 * program links with --wrap=calloc).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "emu_offload.h"
#include "net_harness.h"

#define NQ 4u
#define NF 240u
#define FMAX 128u
#define REC_MAX (NF * 256u)

static const uint8_t rss_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
	0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
	0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

static uint8_t frames[NF][FMAX];
static const void *ptrs[NF];
static size_t lens[NF];

/* What one way of offering a burst gave. */
struct outcome {
	int ret;
	int rc[NF];
	/* Per queue: the messages, each as its length then its bytes. */
	uint8_t rec[NQ][REC_MAX];
	size_t rec_len[NQ];
	unsigned int pkts;       /* transfer-page packets */
	uint64_t q[NQ][4];       /* rx_packets, rx_bytes, ring full, no buffer */
	struct emu_nic_stats st;
};

static struct outcome oa, ob, oc;

/*
 * calloc, with the allocations of an RSS run's queue packet (struct
 * emu_rx_qpkt, of no other size here) failing on demand: all while
 * qpkt_fail_all, else the qpkt_fail_at'th (from 1) after it was set.
 */
void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);
static bool qpkt_fail_all;
static unsigned int qpkt_fail_at, qpkt_tries, qpkt_failed;

void *
__wrap_calloc(size_t n, size_t size)
{
	if (n == 1 && size == sizeof(struct emu_rx_qpkt)) {
		qpkt_tries++;
		if (qpkt_fail_all || (qpkt_fail_at != 0 && --qpkt_fail_at == 0)) {
			qpkt_failed++;
			return NULL;
		}
	}
	return __real_calloc(n, size);
}

static uint32_t
xs(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void
wr16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Frame kinds of the mixed bursts. */
enum kind {
	K_TCP4, K_UDP4, K_FRAG4, K_ICMP4, K_OPT4, K_SHORTTOT4, K_ARP, K_VLAN,
	K_LONG4, K_BADSUM4, K_BCAST, K_MCAST, K_TCP6, K_UDP6, K_FRAG6,
	/* UDP without a checksum (the loopback's testpmd frames), and
	 * such a frame padded (its IP length short of the frame's). */
	K_UDP0, K_UDP0PAD,
	K_KINDS
};

/* Frame i of the given kind to the NIC (len 64 unless the kind says). */
static size_t
make(const struct g *g, uint8_t *f, enum kind k, uint32_t *seed)
{
	bool v6 = k == K_TCP6 || k == K_UDP6 || k == K_FRAG6;
	size_t len = v6 ? 90u : k == K_LONG4 ? 90u : 64u;
	uint8_t *ip = f + 14, proto;
	uint32_t csf = 0;
	size_t i;

	for (i = 0; i < FMAX; i++)
		f[i] = (uint8_t)xs(seed);
	memcpy(f, emu_dev_mac(g->dev), 6);
	f[6] = 0x02;
	if (k == K_BCAST)
		memset(f, 0xff, 6);
	if (k == K_MCAST)
		f[0] = 0x01;
	proto = k == K_UDP4 || k == K_UDP6 || k == K_UDP0 || k == K_UDP0PAD ?
		EMU_IPPROTO_UDP :
		k == K_ICMP4 ? 1u : EMU_IPPROTO_TCP;
	if (k == K_ARP) {
		wr16(f + 12, 0x0806);
		return len;
	}
	if (v6) {
		wr16(f + 12, EMU_ETHERTYPE_IPV6);
		ip[0] = 0x60;
		wr16(ip + 4, (uint32_t)(len - 54));
		ip[6] = k == K_FRAG6 ? 44u : proto;
		ip[7] = 64;
		if (k == K_FRAG6) {
			/* A fragment header, then TCP. */
			ip[40] = EMU_IPPROTO_TCP;
			ip[41] = 0;
			return len;
		}
		if (proto == EMU_IPPROTO_TCP)
			ip[52] = 5 << 4;
		else
			wr16(ip + 44, (uint32_t)(len - 54));
		csf = RNDIS_TXCSUM_IPV6 |
		      (proto == EMU_IPPROTO_TCP ? RNDIS_TXCSUM_TCP :
						  RNDIS_TXCSUM_UDP);
		assert_int_equal(emu_csum_fill(f, len, csf, 54), 0);
		return len;
	}
	wr16(f + 12, EMU_ETHERTYPE_IPV4);
	ip[0] = k == K_OPT4 ? 0x46 : 0x45;
	wr16(ip + 2, k == K_SHORTTOT4 ? 19u :
		     k == K_UDP0PAD ? (uint32_t)(len - 18) : (uint32_t)(len - 14));
	wr16(ip + 6, k == K_FRAG4 ? 0x2000u : 0x4000u);
	ip[8] = 64;
	ip[9] = proto;
	if (k == K_SHORTTOT4 || k == K_OPT4 || k == K_ICMP4 || k == K_FRAG4)
		return len;
	if (proto == EMU_IPPROTO_TCP)
		ip[32] = 5 << 4;
	else
		wr16(ip + 24, (uint32_t)(len - (k == K_UDP0PAD ? 38 : 34)));
	csf = RNDIS_TXCSUM_IPV4 | RNDIS_TXCSUM_IP |
	      (proto == EMU_IPPROTO_TCP ? RNDIS_TXCSUM_TCP : RNDIS_TXCSUM_UDP);
	assert_int_equal(emu_csum_fill(f, len, csf, 34), 0);
	if (k == K_BADSUM4)
		ip[8] ^= 1; /* TTL: the header sum fails */
	if (k == K_UDP0 || k == K_UDP0PAD)
		wr16(ip + 26, 0); /* the sender did not sum */
	return len;
}

/* The tagged frame: a TCP frame with an 802.1Q tag inserted. */
static size_t
make_vlan(const struct g *g, uint8_t *f, uint32_t *seed)
{
	uint8_t plain[FMAX];
	size_t len = make(g, plain, K_TCP4, seed);
	int n = emu_vlan_insert(plain, len, 0x0123, f, FMAX);

	assert_true(n > 0);
	return (size_t)n;
}

/*
 * A burst: mostly frames of the common kind (TCP4 and UDP4 flows, or
 * their IPv6 versions), with one odd frame every few when mixed.
 */
static void
make_burst(const struct g *g, bool v6, bool mixed, uint32_t seed)
{
	static const enum kind odd4[] = {
		K_FRAG4, K_ICMP4, K_OPT4, K_SHORTTOT4, K_ARP, K_VLAN, K_LONG4,
		K_BADSUM4, K_BCAST, K_MCAST, K_TCP6, K_UDP0PAD,
	};
	static const enum kind odd6[] = { K_FRAG6, K_TCP4, K_ARP, K_MCAST };
	unsigned int i;
	enum kind k;

	for (i = 0; i < NF; i++) {
		uint32_t r = xs(&seed);

		k = v6 ? (r & 1u ? K_TCP6 : K_UDP6) :
			 (r & 1u ? K_TCP4 : r & 0x10000u ? K_UDP0 : K_UDP4);
		if (mixed && i > 0 && r % 7u == 0)
			k = v6 ? odd6[(r >> 8) % 4u] :
				 odd4[(r >> 8) % (sizeof(odd4) / sizeof(odd4[0]))];
		if (k == K_VLAN)
			lens[i] = make_vlan(g, frames[i], &seed);
		else
			lens[i] = make(g, frames[i], k, &seed);
		ptrs[i] = frames[i];
	}
}

static void
rec_put(struct outcome *o, unsigned int q, const void *p, size_t n)
{
	uint32_t len = (uint32_t)n;

	assert_true(o->rec_len[q] + sizeof(len) + n <= REC_MAX);
	memcpy(o->rec[q] + o->rec_len[q], &len, sizeof(len));
	memcpy(o->rec[q] + o->rec_len[q] + sizeof(len), p, n);
	o->rec_len[q] += sizeof(len) + n;
}

/* Everything the host sent on every queue: recorded, then ACKed. */
static void
drain(struct g *g, struct outcome *o)
{
	struct vmbus_xfer_page_range r;
	struct vmbus_pkt_info pi;
	struct rndis_pkt_info pk;
	struct rndis_packet_msg h;
	unsigned int q;
	uint32_t k;

	for (q = 0; q < NQ; q++) {
		while (ng_recv_pkt(g, q, &pi) == 0) {
			if (pi.type == VMBUS_PKT_COMPLETION)
				continue;
			assert_int_equal(pi.type, VMBUS_PKT_DATA_XFER_PAGES);
			o->pkts++;
			for (k = 0; k < pi.range_count; k++) {
				const uint8_t *m;

				assert_int_equal(vmbus_pkt_xfer_range(&pi, k, &r), 0);
				assert_int_equal(vmbus_pkt_xfer_range_check(
					&r, (uint32_t)g->recv_size), 0);
				m = g->recvbuf + r.byte_offset;
				assert_int_equal(rndis_pkt_parse(m, r.byte_count, &pk), 0);
				/* Header, per-packet info, frame: what a guest
				 * reads (the headroom between is not). */
				memcpy(&h, m, sizeof(h));
				rec_put(o, q, &r.byte_count, sizeof(r.byte_count));
				rec_put(o, q, m, sizeof(h));
				rec_put(o, q, m + RNDIS_BODY_OFFSET + h.ppi_offset,
					h.ppi_len);
				rec_put(o, q, m + pk.data_off, pk.data_len);
			}
			ng_ack(g, q, pi.trans_id);
		}
	}
	ng_pump(g);
}

static void
stats_take(const struct g *g, uint64_t out[NQ][4], struct emu_nic_stats *st)
{
	struct emu_chan_stats cs;
	unsigned int q;

	for (q = 0; q < NQ; q++) {
		emu_nic_chan_stats(g->nic, q, &cs);
		out[q][0] = cs.rx_packets;
		out[q][1] = cs.rx_bytes;
		out[q][2] = cs.rx_drop_ring_full;
		out[q][3] = cs.rx_drop_no_buffer;
	}
	emu_nic_stats(g->nic, st);
}

/* Offer frames [0, NF) one way, retrying from where a burst stopped on
 * a full ring (after the guest drained and ACKed) until all are in. */
static void
offer(struct g *g, struct outcome *o, bool general, uint32_t flags)
{
	uint64_t q0[NQ][4];
	struct emu_nic_stats s0;
	unsigned int i = 0, q, j, tries = 0;
	uint64_t *a = (uint64_t *)&o->st;
	const uint64_t *b = (const uint64_t *)&s0;

	memset(o, 0, sizeof(*o));
	stats_take(g, q0, &s0);
	g->nic->rx_general = general;
	for (;;) {
		int k = emu_nic_rx_burst(g->nic, ptrs + i, lens + i, NF - i, flags,
					 o->rc + i);

		assert_true(k >= 0 && (unsigned int)k <= NF - i);
		if (tries == 0)
			o->ret = k;
		drain(g, o);
		i += (unsigned int)k;
		if (i == NF)
			break;
		if (o->rc[i] != -EAGAIN) {
			/* Refused for good (filter): on with the next. */
			i++;
			if (i == NF)
				break;
		}
		assert_true(++tries < 10u * NF);
	}
	g->nic->rx_general = false;
	stats_take(g, o->q, &o->st);
	for (q = 0; q < NQ; q++)
		for (j = 0; j < 4; j++)
			o->q[q][j] -= q0[q][j];
	for (j = 0; j < sizeof(s0) / sizeof(uint64_t); j++)
		a[j] -= b[j];
}

static void
expect_same(const struct outcome *a, const struct outcome *b)
{
	unsigned int q;

	assert_int_equal(a->ret, b->ret);
	assert_memory_equal(a->rc, b->rc, sizeof(a->rc));
	for (q = 0; q < NQ; q++) {
		assert_int_equal(a->rec_len[q], b->rec_len[q]);
		assert_memory_equal(a->rec[q], b->rec[q], a->rec_len[q]);
		assert_memory_equal(a->q[q], b->q[q], sizeof(a->q[q]));
	}
	assert_memory_equal(&a->st, &b->st, sizeof(a->st));
}

/* RSS parameters as the guest sets them: hash types, key, and a table
 * of entry i -> (i * mul + 1) % NQ. */
static void
rss_set(struct g *g, uint32_t types, const uint8_t *key, unsigned int mul)
{
	static uint8_t obj[1024];
	uint32_t table[EMU_NET_RSS_ENTRIES];
	struct ndis_rss_cfg rc = {
		.hash_info = NDIS_HASH_FUNCTION_TOEPLITZ |
			     (types & ~NDIS_HASH_UDP_IPV4),
		.key = key,
		.table = table,
		.table_entries = EMU_NET_RSS_ENTRIES,
	};
	unsigned int i;
	int n;

	for (i = 0; i < EMU_NET_RSS_ENTRIES; i++)
		table[i] = (i * mul + 1u) % NQ;
	n = ndis_rss_params_build(obj, sizeof(obj), &rc);
	assert_true(n > 0);
	assert_int_equal(ng_rndis_set(g, RNDIS_OID_GEN_RECEIVE_SCALE_PARAMETERS,
				      obj, (uint32_t)n), RNDIS_STATUS_SUCCESS);
	assert_true(g->nic->rss_on);
	/* White-box: UDP hashing, which this version does not offer. */
	g->nic->rss_hash_info = NDIS_HASH_FUNCTION_TOEPLITZ | types;
}

/* Subchannels, then RSS as the guest sets it (Azure's hash types). */
static void
rss_up(struct g *g)
{
	struct nvsp_subchannel_info si;
	struct nvsp_indirection_info it;
	struct vmbus_pkt_info pi;
	static uint8_t obj[1024];
	uint32_t table[EMU_NET_RSS_ENTRIES];
	struct ndis_rss_cfg rc = {
		.hash_info = NDIS_HASH_FUNCTION_TOEPLITZ | NDIS_HASH_IPV4 |
			     NDIS_HASH_TCP_IPV4,
		.key = rss_key,
		.table = table,
		.table_entries = EMU_NET_RSS_ENTRIES,
	};
	uint8_t m[40];
	unsigned int i;
	int n;

	assert_int_equal(nvsp_build_subchannel_req(m, sizeof(m), NQ - 1), 40);
	ng_send_inband(g, 0, m, sizeof(m), 9, true);
	ng_expect_comp(g, 0, 9, &pi);
	assert_int_equal(nvsp_parse_subchannel_resp(pi.payload, pi.payload_len,
						    NQ - 1, &si), 0);
	assert_int_equal(si.num_subchannels, NQ - 1);
	for (i = 1; i < NQ; i++)
		ng_attach_rings(g, i);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), 0);
	assert_int_equal(nvsp_parse_indirection_table(pi.payload, pi.payload_len,
						      g->version, &it), 0);
	for (i = 0; i < EMU_NET_RSS_ENTRIES; i++)
		table[i] = (i * 7u + 1u) % NQ;
	n = ndis_rss_params_build(obj, sizeof(obj), &rc);
	assert_true(n > 0);
	assert_int_equal(ng_rndis_set(g, RNDIS_OID_GEN_RECEIVE_SCALE_PARAMETERS,
				      obj, (uint32_t)n), RNDIS_STATUS_SUCCESS);
	assert_true(g->nic->rss_on);
	/* White-box: entries naming a queue that is not open (the guest
	 * closed it again): its frames go to the primary. */
	for (i = 0; i < EMU_NET_RSS_ENTRIES; i += 9)
		g->nic->rss_table[i] = NQ + 5u;
	ng_set_filter(g, RNDIS_PACKET_TYPE_DIRECTED | RNDIS_PACKET_TYPE_BROADCAST);
}

static int
setup_rss(void **state)
{
	struct ng_opts o = { .max_version = NVSP_VERSION_61 };

	ng_setup(state, &o);
	ng_bring_up(*state);
	rss_up(*state);
	return 0;
}

/* One page per direction and one frame per packet: bursts fill rings. */
static int
setup_rss_small_ring(void **state)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct ng_opts o = { .max_version = NVSP_VERSION_61 };

	o.ring_size = 2u * (size_t)(pg > 0 ? pg : 4096);
	ng_setup(state, &o);
	ng_bring_up(*state);
	rss_up(*state);
	return 0;
}

static void
test_emu_net_rss_run_matches_general(void **state)
{
	static const uint32_t types[] = {
		NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4,
		NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4 | NDIS_HASH_UDP_IPV4 |
			NDIS_HASH_IPV6 | NDIS_HASH_TCP_IPV6 | NDIS_HASH_UDP_IPV6,
		NDIS_HASH_IPV4,
		NDIS_HASH_TCP_IPV4 | NDIS_HASH_TCP_IPV6,
		NDIS_HASH_IPV6 | NDIS_HASH_UDP_IPV6,
	};
	static const uint32_t flags[] = {
		EMU_RX_CSUM_GOOD | EMU_RX_SAME_LAYOUT, 0,
	};
	struct g *g = *state;
	unsigned int ti, fi, pi, v6, mixed, pa = 0, pb = 0, cases = 0;
	uint32_t seed = 1;

	for (ti = 0; ti < 2 * sizeof(types) / sizeof(types[0]); ti++) {
		/* White-box: the types the capabilities would not offer, and
		 * a table whose size is not a power of two. */
		g->nic->rss_hash_info = NDIS_HASH_FUNCTION_TOEPLITZ |
					types[ti % (sizeof(types) / sizeof(types[0]))];
		g->nic->rss_entries = ti < sizeof(types) / sizeof(types[0]) ?
				      EMU_NET_RSS_ENTRIES : 100u;
		for (pi = 0; pi < 2; pi++) {
			ng_set_filter(g, pi ? RNDIS_PACKET_TYPE_PROMISCUOUS :
					      RNDIS_PACKET_TYPE_DIRECTED |
					      RNDIS_PACKET_TYPE_BROADCAST);
			for (fi = 0; fi < 2; fi++) {
				for (v6 = 0; v6 < 2; v6++) {
					for (mixed = 0; mixed < 2; mixed++) {
						make_burst(g, v6, mixed, ++seed);
						offer(g, &oa, true, flags[fi]);
						offer(g, &ob, false, flags[fi]);
						expect_same(&oa, &ob);
						pa += oa.pkts;
						pb += ob.pkts;
						cases++;
					}
				}
			}
		}
	}
	print_message("packets: general %u, run %u\n", pa, pb);
	/* The run took frames: it sent far fewer packets. */
	assert_int_equal(cases, 160);
	assert_true(pb * 2u < pa);
	assert_int_equal(ng_protocol_errors(g), 0);
}

/*
 * Full rings: the run sizes each packet to its ring's room and leaves a
 * frame that does not fit to the general path, which stops the burst
 * there (-EAGAIN). Frames before it are in, none after; after the
 * guest drains and the rest is offered again, every queue holds what
 * the general path gives it, in order.
 */
static void
test_emu_net_rss_run_ring_full(void **state)
{
	struct g *g = *state;
	unsigned int fi, i;
	uint64_t full = 0;

	g->nic->rx_max_ranges = 1;
	for (fi = 0; fi < 2; fi++) {
		make_burst(g, false, fi == 1, 77u + fi);
		offer(g, &oa, true, fi ? 0 : EMU_RX_CSUM_GOOD | EMU_RX_SAME_LAYOUT);
		offer(g, &ob, false, fi ? 0 : EMU_RX_CSUM_GOOD | EMU_RX_SAME_LAYOUT);
		/* Both stopped on a full ring at first. */
		assert_true(oa.ret < (int)NF && ob.ret < (int)NF);
		for (i = 0; i < NQ; i++) {
			assert_int_equal(oa.rec_len[i], ob.rec_len[i]);
			assert_memory_equal(oa.rec[i], ob.rec[i], oa.rec_len[i]);
			assert_int_equal(oa.q[i][0], ob.q[i][0]);
			full += ob.q[i][2];
		}
	}
	assert_true(full > 0);
	assert_int_equal(ng_protocol_errors(g), 0);
}

/*
 * A burst of a few flows, each frame repeated (what the generator
 * offers), plus frames that share a flow's addresses and ports but not
 * what decides the input length: the other protocol, a fragment, an IP
 * length too short for the TCP header. The RSS run remembers queues by
 * frame bytes (emu_rss_memo.h); none of these may share an answer, and
 * none may outlive the configuration it was found for; the same for
 * summed frames, whose run shares the memo. The burst
 * repeats every FLOW_PERIOD frames (EMU_RX_PERIOD's promise).
 */
enum { FLOWS = 6, FLOW_PERIOD = FLOWS * 5 };

static void
make_flow_burst(const struct g *g, size_t len, uint32_t seed)
{
	uint8_t base[FLOWS][FMAX];
	unsigned int i, fl, v;

	for (fl = 0; fl < FLOWS; fl++) {
		/* TCP flows, and UDP ones without a checksum (the
		 * loopback's: summed frames take their own path). */
		(void)make(g, base[fl], fl & 1u ? K_UDP0 : K_TCP4, &seed);
		/* The IP length of a 90-byte frame: a shorter frame of these
		 * bytes is not the common IPv4 frame. */
		wr16(base[fl] + 16, 90u - 14u);
		/* The UDP flows' 90-byte frames sum right (the loopback's
		 * common frame: the run's own path for them). */
		if (fl & 1u) {
			wr16(base[fl] + 38, 90u - 34u);
			assert_int_equal(emu_csum_fill(base[fl], 90,
						       RNDIS_TXCSUM_IPV4 |
						       RNDIS_TXCSUM_IP, 34), 0);
			wr16(base[fl] + 40, 0);
		}
	}
	for (i = 0; i < NF; i++) {
		uint8_t *f = frames[i];

		fl = i % FLOWS;
		v = (i / FLOWS) % 5u;
		memcpy(f, base[fl], FMAX);
		if (v == 1)
			f[23] ^= EMU_IPPROTO_UDP ^ EMU_IPPROTO_TCP; /* the other */
		else if (v == 2)
			wr16(f + 20, 0x2000u); /* MF: a fragment */
		else if (v == 3)
			wr16(f + 16, 20u + 8u); /* no room for TCP's header */
		else if (v == 4)
			f[35] ^= 0x55; /* the same addresses, another port */
		lens[i] = len;
		ptrs[i] = f;
	}
}

/* The burst's UDP flows in trains (what a loopback's queue gives back):
 * each frame of a flow four times in a row, the third with another
 * port (the summed run reuses the last frame's queue only for the same
 * input). */
static void
make_train_burst(void)
{
	unsigned int i, src;

	for (i = NF; i-- > 0;) {
		/* The UDP flows' frames of make_flow_burst: odd flows, v 0. */
		src = ((i / 4u) % (FLOWS / 2u)) * 2u + 1u;
		memcpy(frames[i], frames[src], FMAX);
		if (i % 4u == 2u)
			frames[i][35] ^= 0x55;
		lens[i] = lens[src];
		ptrs[i] = frames[i];
	}
}

static void
test_emu_net_rss_run_memo(void **state)
{
	static const uint8_t key2[40] = {
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x10, 0x32,
		0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe, 0xa5, 0x5a, 0x3c, 0xc3,
		0x0f, 0xf0, 0x96, 0x69, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
		0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00,
	};
	/* Each step changes one thing the remembered queues depend on. */
	static const struct {
		uint32_t types;
		const uint8_t *key;
		unsigned int mul;
		size_t len;
		uint32_t filter;
	} step[] = {
		{ NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4, rss_key, 7, 90,
		  RNDIS_PACKET_TYPE_PROMISCUOUS },
		{ NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4, rss_key, 7, 90,
		  RNDIS_PACKET_TYPE_PROMISCUOUS },
		{ NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4, rss_key, 7, 64,
		  RNDIS_PACKET_TYPE_PROMISCUOUS },
		{ NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4, rss_key, 7, 90,
		  RNDIS_PACKET_TYPE_DIRECTED },
		{ NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4, key2, 7, 90,
		  RNDIS_PACKET_TYPE_PROMISCUOUS },
		{ NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4, key2, 1, 90,
		  RNDIS_PACKET_TYPE_PROMISCUOUS },
		{ NDIS_HASH_IPV4, key2, 1, 90, RNDIS_PACKET_TYPE_PROMISCUOUS },
		{ NDIS_HASH_TCP_IPV4, key2, 1, 90,
		  RNDIS_PACKET_TYPE_PROMISCUOUS },
		{ NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4 | NDIS_HASH_UDP_IPV4, key2,
		  1, 90, RNDIS_PACKET_TYPE_PROMISCUOUS },
		{ NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4 | NDIS_HASH_UDP_IPV4,
		  rss_key, 7, 90, RNDIS_PACKET_TYPE_DIRECTED },
		{ NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4, rss_key, 7, 90,
		  RNDIS_PACKET_TYPE_PROMISCUOUS },
	};
	struct g *g = *state;
	unsigned int si, q, used;

	for (si = 0; si < sizeof(step) / sizeof(step[0]); si++) {
		rss_set(g, step[si].types, step[si].key, step[si].mul);
		ng_set_filter(g, step[si].filter);
		make_flow_burst(g, step[si].len, 500u);
		/* The run first, so that what it remembers from an earlier
		 * step is what it would use. */
		offer(g, &ob, false, EMU_RX_CSUM_GOOD | EMU_RX_SAME_LAYOUT);
		/* The burst repeats every FLOWS * 5 frames: with that
		 * promise, frames take the queue of the one a period
		 * earlier when it was found from the promised bytes. */
		offer(g, &oc, false, EMU_RX_CSUM_GOOD | EMU_RX_SAME_LAYOUT |
				     EMU_RX_PERIOD(FLOW_PERIOD));
		offer(g, &oa, true, EMU_RX_CSUM_GOOD | EMU_RX_SAME_LAYOUT);
		expect_same(&oa, &ob);
		expect_same(&oa, &oc);
		/* The flows spread over queues, in packets of the run. */
		for (q = 0, used = 0; q < NQ; q++)
			used += ob.q[q][0] != 0;
		assert_true(used >= 2);
		assert_true(ob.pkts < oa.pkts);
		/* Summed frames (the loopback's): the run, with the memo
		 * the vouched runs left, against the general path. */
		offer(g, &ob, false, 0);
		offer(g, &oa, true, 0);
		expect_same(&oa, &ob);
		assert_true(ob.pkts < oa.pkts);
		make_train_burst();
		offer(g, &ob, false, 0);
		offer(g, &oa, true, 0);
		expect_same(&oa, &ob);
	}
	assert_int_equal(ng_protocol_errors(g), 0);
}

/*
 * Frames shorter than the RSS memo compares (EMU_RSS_MEMO_MIN_LEN): the
 * run leaves them to the general path. Runs of each length, 14 to 37
 * bytes: non-IP, IPv4 too short for its header, IPv4 whose addresses
 * are hashed (spread over the queues), some for another address (the
 * filter drops them); vouched and summed. Each frame ends where an
 * inaccessible page starts: reading past it faults.
 */
static void
make_short_burst(const struct g *g, uint32_t seed)
{
	static const size_t slen[] = { 34, 14, 37, 20, 33, 36 };
	unsigned int i, j;

	for (i = 0; i < NF; i++) {
		uint8_t *f = frames[i];
		size_t len = slen[(i / 20u) % (sizeof(slen) / sizeof(slen[0]))];

		for (j = 0; j < FMAX; j++)
			f[j] = (uint8_t)xs(&seed);
		memcpy(f, emu_dev_mac(g->dev), 6);
		f[6] = 0x02;
		if (i % 20u != 0 && xs(&seed) % 9u == 0)
			f[0] = 0x01; /* multicast: not for the filter */
		lens[i] = len;
		if (len < 34u) {
			/* IPv4 cut short, or another EtherType. */
			wr16(f + 12, len == 33u ? EMU_ETHERTYPE_IPV4 : 0x88b5u);
			continue;
		}
		/* IPv4, a 20-byte header and nothing after it (padding): the
		 * addresses are the input; TCP, so the IP length is too short
		 * for the ports. */
		wr16(f + 12, EMU_ETHERTYPE_IPV4);
		f[14] = 0x45;
		wr16(f + 16, 20u);
		wr16(f + 20, 0x4000u);
		f[22] = 64;
		f[23] = EMU_IPPROTO_TCP;
		assert_int_equal(emu_csum_fill(f, 34, RNDIS_TXCSUM_IPV4 |
					       RNDIS_TXCSUM_IP, 34), 0);
	}
}

/* Frame i moved to the end of page 2i of a mapping whose odd pages
 * are inaccessible. */
static void
guard_frames(uint8_t *map, size_t pg)
{
	unsigned int i;

	for (i = 0; i < NF; i++) {
		uint8_t *end = map + (2u * i + 1u) * pg;

		memcpy(end - lens[i], frames[i], lens[i]);
		ptrs[i] = end - lens[i];
	}
}

static void
test_emu_net_rss_run_short_frames(void **state)
{
	static const uint32_t flags[] = {
		EMU_RX_CSUM_GOOD | EMU_RX_SAME_LAYOUT, 0,
	};
	struct g *g = *state;
	long pgl = sysconf(_SC_PAGESIZE);
	size_t pg = (size_t)(pgl > 0 ? pgl : 4096), len = 2u * NF * pg;
	uint8_t *map = mmap(NULL, len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned int i, fi, pi, q, used;

	assert_true(map != MAP_FAILED);
	for (i = 0; i < NF; i++)
		assert_int_equal(mprotect(map + (2u * i + 1u) * pg, pg,
					  PROT_NONE), 0);
	for (pi = 0; pi < 2; pi++) {
		ng_set_filter(g, pi ? RNDIS_PACKET_TYPE_PROMISCUOUS :
				      RNDIS_PACKET_TYPE_DIRECTED |
				      RNDIS_PACKET_TYPE_BROADCAST);
		for (fi = 0; fi < 2; fi++) {
			make_short_burst(g, 31u + pi * 2u + fi);
			guard_frames(map, pg);
			offer(g, &ob, false, flags[fi]);
			offer(g, &oa, true, flags[fi]);
			expect_same(&oa, &ob);
			/* The addresses spread the IPv4 frames. */
			for (q = 0, used = 0; q < NQ; q++)
				used += ob.q[q][0] != 0;
			assert_true(used >= 2);
		}
	}
	assert_int_equal(munmap(map, len), 0);
	assert_int_equal(ng_protocol_errors(g), 0);
}

/*
 * No memory for a queue's packet (on a fresh NIC, whose run has none
 * yet): the frames the run cannot take go to the general path, none is
 * lost, and a later run tries again. Every allocation failing, then
 * one; then the run takes the frames (fewer packets).
 */
static void
test_emu_net_rss_run_alloc_fail(void **state)
{
	static const uint32_t flags[] = {
		EMU_RX_CSUM_GOOD | EMU_RX_SAME_LAYOUT, 0,
	};
	struct g *g = *state;
	unsigned int fi, step;

	for (step = 0; step < 3; step++) {
		for (fi = 0; fi < 2; fi++) {
			make_burst(g, false, true, 900u + step * 2u + fi);
			qpkt_tries = 0;
			qpkt_failed = 0;
			qpkt_fail_all = step == 0;
			/* The second allocation: a queue after the first
			 * the run needs. */
			qpkt_fail_at = step == 1 && fi == 0 ? 2u : 0u;
			offer(g, &ob, false, flags[fi]);
			qpkt_fail_all = false;
			qpkt_fail_at = 0;
			offer(g, &oa, true, flags[fi]);
			expect_same(&oa, &ob);
			if (step == 0) {
				/* The run tried, and left every frame. */
				assert_true(qpkt_failed > 0);
			} else if (step == 1 && fi == 0) {
				assert_int_equal(qpkt_failed, 1);
				assert_true(qpkt_tries > 2);
			} else if (step == 2) {
				/* Every queue's packet is there: no more
				 * allocations, the run's packets. */
				assert_int_equal(qpkt_tries, 0);
				assert_true(ob.pkts * 2u < oa.pkts);
			}
		}
	}
	assert_int_equal(ng_protocol_errors(g), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_emu_net_rss_run_matches_general,
						setup_rss, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_rss_run_memo,
						setup_rss, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_rss_run_ring_full,
						setup_rss_small_ring, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_rss_run_short_frames,
						setup_rss, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_rss_run_alloc_fail,
						setup_rss, ng_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
