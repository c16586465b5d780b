/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Generator and sink backends.
 *
 * The generator builds one frame template at creation (Ethernet, IPv4,
 * UDP, payload "EMUG" + 64-bit sequence number), a copy of it per frame
 * of a burst, and a small table of per-flow fields (source address, its
 * IPv4 header checksum, source port). Per frame it stores those three
 * fields and the sequence number into its copy; a poll hands the whole
 * burst to emu_nic_rx_burst, which copies the frames into the guest's
 * receive buffer and sends frames for the same channel in one VMBus
 * packet: no allocation, no copy of our own, no syscall. The UDP
 * checksum is 0 ("none"), legal for IPv4, and the IPv4 one is computed
 * here, so the frames are offered with EMU_RX_CSUM_GOOD (the host need
 * not sum them again); they differ only in those per-flow fields and the
 * payload, so also with EMU_RX_SAME_LAYOUT (the host parses one per
 * burst), and frames a flow count apart are the same flow's, so with
 * EMU_RX_PERIOD(flows) (the host finds a flow's RSS queue once a run). The burst's pointer and length arrays never change: they are
 * filled once.
 *
 * Drain mode (drain=1) measures the guest, not us: a batch of frames
 * goes into the receive buffer and the ring while the NIC holds back
 * the ring's write index (emu_nic_rx_hold), as many as fit (or batch=N),
 * then one publish hands them over; from then on a poll only looks
 * whether the guest has read everything (emu_nic_rx_drained: the time
 * from publish to then goes to drain_ns), then whether it has given
 * back every receive buffer of the batch (ACKed: drain_acked_ns). A
 * guest's driver may still be handing the last frames it read to the
 * application when the ring is empty; once their buffers are back it
 * is done with them (a driver that copies ACKs after the copy). The
 * next batch is filled at the following poll. ACKs that do not come
 * within GEN_DRAIN_ACK_WAIT_NS of the ring found empty (a guest that
 * holds buffers until more traffic comes) end the batch without them:
 * counted in drain_frames, not in drain_acked_frames.
 *
 * The sink side (of both) counts what the guest sends and, for frames in
 * the generator's format, checks that sequence numbers follow each other.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "be_internal.h"

#define GEN_ETH_LEN 14u
#define GEN_IP_OFF GEN_ETH_LEN
#define GEN_UDP_OFF (GEN_IP_OFF + 20u)
#define GEN_PAY_OFF (GEN_UDP_OFF + 8u)
#define GEN_SEQ_OFF (GEN_PAY_OFF + 4u)
#define GEN_MIN_FRAME 60u	/* Ethernet minimum without FCS */
#define GEN_MAGIC "EMUG"
/* While the guest is not ready, look again this often, not per poll. */
#define GEN_NOT_READY_BACKOFF_NS 1000000u
/* Drain mode: how long after the ring is read to wait for its ACKs. */
#define GEN_DRAIN_ACK_WAIT_NS 100000000u
/* Drain mode: ACKed batches whose time per frame the median is of. */
#define GEN_DRAIN_RECENT 1024u

struct gen_flow {
	uint8_t src_ip[4];
	uint8_t ip_csum[2];
	uint8_t src_port[2];
};

struct emu_gen {
	struct emu_be_base base;
	struct emu_gen_config cfg;
	uint8_t *frame;		 /* the template, cfg.size bytes */
	uint8_t *slots;		 /* cfg.burst copies of the template */
	const void **ptrs;	 /* a burst for emu_nic_rx_burst ... */
	size_t *lens;
	int *rcs;		 /* ... and its results */
	struct gen_flow *flows;	 /* cfg.flows entries */
	bool running;
	bool mac_set;		 /* template carries the NIC's MAC */
	uint64_t seq;		 /* next sequence number to deliver */
	uint64_t limit;		 /* stop before this seq; 0 = never */
	unsigned int next_flow;
	/* The slots carry the flow fields for this next_flow (UINT_MAX:
	 * none yet): then only the sequence numbers change. */
	unsigned int slots_flow;
	/* EMU_RX_PERIOD(flows): slot i and slot i + flows always carry the
	 * same flow, and frames differ only in their flow's fields and the
	 * payload; 0 for more flows than the flag can say. */
	uint32_t period;
	uint64_t start_ns;	 /* rate accounting: when running began ... */
	uint64_t start_seq;	 /* ... and the sequence number then */
	uint64_t retry_ns;	 /* not before this after -ENETDOWN */
	uint64_t expect_seq;	 /* sink: next sequence number expected */
	/* Drain mode: a batch of batch_n frames published at batch_ns,
	 * not yet read to the end and ACKed (draining); read_ns: when the
	 * ring was found read (0: not yet); bufs0: buffers the guest held
	 * before the batch. */
	bool draining;
	uint64_t batch_n, batch_ns, read_ns;
	uint32_t bufs0;
	/* Picoseconds per frame, publish to ACKed, of the last
	 * GEN_DRAIN_RECENT such batches (a ring; recent_n valid). On a
	 * shared machine a batch during which the guest or we were off the
	 * CPU takes milliseconds: the sums count it, the median does not. */
	uint32_t *recent;
	unsigned int recent_n, recent_pos;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	/* vDSO: no system call. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
ipv4_csum(const uint8_t *hdr)
{
	uint32_t sum = 0;
	unsigned int i;

	for (i = 0; i < 20; i += 2)
		sum += (uint32_t)hdr[i] << 8 | hdr[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Everything but the destination MAC, the per-flow fields and the seq. */
static void
build_template(uint8_t *f, unsigned int size)
{
	static const uint8_t src_mac[6] = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	uint8_t *ip = f + GEN_IP_OFF, *udp = f + GEN_UDP_OFF;

	memset(f, 0, size);
	memcpy(f + 6, src_mac, 6);
	put_be16(f + 12, 0x0800);
	ip[0] = 0x45;
	put_be16(ip + 2, (uint16_t)(size - GEN_ETH_LEN));
	ip[8] = 64;	/* TTL */
	ip[9] = 17;	/* UDP */
	ip[16] = 10;	/* destination 10.1.0.1 */
	ip[17] = 1;
	ip[19] = 1;
	put_be16(udp + 2, 9); /* discard */
	put_be16(udp + 4, (uint16_t)(size - GEN_UDP_OFF));
	memcpy(f + GEN_PAY_OFF, GEN_MAGIC, 4);
}

/* Flow k: source 10.0.(k>>8).(k&255), port 1024 + k % 60000. */
static void
build_flows(struct emu_gen *g)
{
	uint8_t hdr[20];
	unsigned int k;

	for (k = 0; k < g->cfg.flows; k++) {
		struct gen_flow *fl = &g->flows[k];

		fl->src_ip[0] = 10;
		fl->src_ip[1] = 0;
		fl->src_ip[2] = (uint8_t)(k >> 8);
		fl->src_ip[3] = (uint8_t)k;
		memcpy(hdr, g->frame + GEN_IP_OFF, 20);
		memcpy(hdr + 12, fl->src_ip, 4);
		put_be16(fl->ip_csum, ipv4_csum(hdr));
		put_be16(fl->src_port, (uint16_t)(1024u + k % 60000u));
	}
}

/* Frame f carries flow k's fields and sequence number seq. */
static void
fill_frame(const struct emu_gen *g, uint8_t *f, unsigned int k, uint64_t seq)
{
	const struct gen_flow *fl = &g->flows[k];

	memcpy(f + GEN_IP_OFF + 12, fl->src_ip, 4);
	memcpy(f + GEN_IP_OFF + 10, fl->ip_csum, 2);
	memcpy(f + GEN_UDP_OFF, fl->src_port, 2);
	memcpy(f + GEN_SEQ_OFF, &seq, 8);
}

/* The NIC's MAC, known once attached, into the template and every copy. */
static void
set_mac(struct emu_gen *g, const uint8_t *mac)
{
	unsigned int i;

	memcpy(g->frame, mac, 6);
	for (i = 0; i < g->cfg.burst; i++)
		memcpy(g->slots + (size_t)i * g->cfg.size, mac, 6);
	g->mac_set = true;
}

/* How many frames the rate and the count allow now (at most a burst). */
static uint64_t
gen_budget(struct emu_gen *g, uint64_t now)
{
	uint64_t want = g->cfg.burst;

	if (g->cfg.rate != 0) {
		/* Whole seconds and the rest separately: no overflow for
		 * any rate during centuries of running. */
		uint64_t dt = now - g->start_ns;
		uint64_t due = (dt / 1000000000u) * g->cfg.rate +
			       (dt % 1000000000u) * g->cfg.rate / 1000000000u;
		uint64_t done = g->seq - g->start_seq;

		want = due > done ? due - done : 0;
		if (want > g->cfg.burst)
			want = g->cfg.burst;
	}
	if (g->limit != 0 && g->limit - g->seq < want)
		want = g->limit - g->seq;
	return want;
}

/* Count frame outcomes as emu_be_to_guest does for single frames. */
static void
gen_count(struct emu_gen *g, int rc)
{
	if (rc == 0) {
		g->base.c.to_guest++;
		g->base.c.to_guest_bytes += g->cfg.size;
	} else if (rc == -EAGAIN) {
		g->base.c.backpressure++;
	} else if (rc == -ENETDOWN) {
		g->base.c.not_ready++;
	} else {
		g->base.c.drops++;
	}
}

/* How many of rc[0..n) before the first non-zero: eight at a time
 * while all are zero (the common case), then one by one. */
static unsigned int
rc_ok_prefix(const int *rc, unsigned int n)
{
	unsigned int i = 0;
	uint64_t w[4];

	for (; i + 8 <= n; i += 8) {
		memcpy(w, rc + i, sizeof(w));
		if ((w[0] | w[1] | w[2] | w[3]) != 0)
			break;
	}
	while (i < n && rc[i] == 0)
		i++;
	return i;
}

/* Offer frames seq .. seq+n-1; returns how many the NIC took. */
static unsigned int
gen_offer(struct emu_gen *g, unsigned int n, uint64_t now)
{
	unsigned int i, k = g->next_flow;
	uint64_t seq = g->seq;
	int done;

	if (g->slots_flow == k) {
		/* In locals: the byte stores could alias g. */
		uint8_t *at = g->slots + GEN_SEQ_OFF;
		size_t step = g->cfg.size;

#pragma GCC unroll 4
		for (i = 0; i < n; i++, at += step, seq++)
			memcpy(at, &seq, 8);
	} else {
		for (i = 0; i < n; i++) {
			uint8_t *f = g->slots + (size_t)i * g->cfg.size;

			fill_frame(g, f, k, seq + i);
			if (++k == g->cfg.flows)
				k = 0;
		}
		/* A burst that fills every slot and ends on the flow it
		 * started with lays them out for the next one too. */
		g->slots_flow = n == g->cfg.burst && k == g->next_flow ?
				k : UINT_MAX;
	}
	done = emu_nic_rx_burst(g->base.be.nic, g->ptrs, g->lens, n,
				EMU_RX_CSUM_GOOD | EMU_RX_SAME_LAYOUT |
				g->period, g->rcs);
	if (done < 0) {
		g->base.c.drops++;
		return 0;
	}
	i = rc_ok_prefix(g->rcs, (unsigned int)done);
	/* The common case in bulk, then one by one from the first refusal. */
	g->base.c.to_guest += i;
	g->base.c.to_guest_bytes += (uint64_t)i * g->cfg.size;
	for (; i < (unsigned int)done; i++)
		gen_count(g, g->rcs[i]);
	if ((unsigned int)done < n) {
		/* The frame the NIC could not take now comes again later. */
		gen_count(g, g->rcs[done]);
		if (g->rcs[done] == -ENETDOWN)
			g->retry_ns = now + GEN_NOT_READY_BACKOFF_NS;
	}
	return (unsigned int)done;
}

/* Frames seq .. seq+n-1 offered; the generator moves on past those
 * the NIC took (delivered or refused for good). */
static unsigned int
gen_step(struct emu_gen *g, unsigned int n, uint64_t now)
{
	n = gen_offer(g, n, now);
	g->seq += n;
	g->next_flow = (unsigned int)((g->next_flow + n) % g->cfg.flows);
	return n;
}

/*
 * Drain mode: the batch in flight is read to the end (count it), or a
 * new one is filled and published. The clock is read at publish and
 * when the guest is found done; between the two this poll costs one
 * look at the ring's indices.
 */
static void
gen_drain_poll(struct emu_gen *g, uint64_t now)
{
	struct emu_backend_counters *c = &g->base.c;
	struct emu_nic *nic = g->base.be.nic;
	uint64_t want, n = 0;
	unsigned int step, done;

	if (g->draining) {
		if (g->read_ns == 0) {
			if (!emu_nic_rx_drained(nic))
				return;
			g->read_ns = now_ns();
			c->drain_batches++;
			c->drain_frames += g->batch_n;
			c->drain_ns += g->read_ns - g->batch_ns;
			if (g->batch_n > c->drain_batch_max)
				c->drain_batch_max = g->batch_n;
		}
		if (emu_nic_rx_bufs_out(nic) > g->bufs0) {
			if (now_ns() - g->read_ns < GEN_DRAIN_ACK_WAIT_NS)
				return;
		} else {
			uint64_t ns = now_ns() - g->batch_ns;
			uint64_t ps = ns * 1000u / g->batch_n;

			c->drain_acked_frames += g->batch_n;
			c->drain_acked_ns += ns;
			g->recent[g->recent_pos] = ps > UINT32_MAX ? UINT32_MAX :
							    (uint32_t)ps;
			g->recent_pos = (g->recent_pos + 1) % GEN_DRAIN_RECENT;
			if (g->recent_n < GEN_DRAIN_RECENT)
				g->recent_n++;
		}
		g->draining = false;
		return;
	}
	want = g->cfg.batch != 0 ? g->cfg.batch : UINT64_MAX;
	if (g->limit != 0 && g->limit - g->seq < want)
		want = g->limit - g->seq;
	g->bufs0 = emu_nic_rx_bufs_out(nic);
	if (emu_nic_rx_hold(nic) != 0) {
		g->retry_ns = now + GEN_NOT_READY_BACKOFF_NS;
		return;
	}
	while (n < want) {
		step = want - n < g->cfg.burst ? (unsigned int)(want - n) :
						  g->cfg.burst;
		done = gen_step(g, step, now);
		n += done;
		if (done < step)
			break;	/* full (or not ready): the batch ends */
	}
	/* Before the publish: the guest may start reading at once. */
	g->batch_ns = now_ns();
	emu_nic_rx_publish(nic);
	g->batch_n = n;
	g->read_ns = 0;
	g->draining = n != 0;
}

static void
gen_poll(struct emu_backend *be)
{
	struct emu_gen *g = (struct emu_gen *)be;
	unsigned int n;
	uint64_t now;

	if (be->nic == NULL)
		return;
	/* A published batch is timed to its end, even the last one and
	 * after "gen stop". */
	if (g->draining) {
		gen_drain_poll(g, 0);
		return;
	}
	if (!g->running)
		return;
	if (g->limit != 0 && g->seq >= g->limit)
		return;
	now = now_ns();
	if (now < g->retry_ns)
		return;
	if (!g->mac_set)
		set_mac(g, emu_nic_mac(be->nic));
	if (g->cfg.drain) {
		gen_drain_poll(g, now);
		return;
	}
	n = (unsigned int)gen_budget(g, now);
	if (n == 0)
		return;
	/* Delivered, or refused for good (counted as drops): both done. */
	(void)gen_step(g, n, now);
}

static void
sink_xmit(struct emu_backend *be, const void *frame, size_t len)
{
	struct emu_gen *g = (struct emu_gen *)be;
	const uint8_t *f = frame;
	uint64_t seq;

	g->base.c.from_guest++;
	g->base.c.from_guest_bytes += len;
	if (len < GEN_SEQ_OFF + 8 || memcmp(f + GEN_PAY_OFF, GEN_MAGIC, 4) != 0 ||
	    f[12] != 0x08 || f[13] != 0x00 || f[GEN_IP_OFF + 9] != 17)
		return;
	memcpy(&seq, f + GEN_SEQ_OFF, 8);
	if (seq != g->expect_seq)
		g->base.c.seq_errors++;
	g->expect_seq = seq + 1;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Median picoseconds per frame of the recent ACKed batches (0: none). */
static uint32_t
gen_drain_median(const struct emu_gen *g)
{
	uint32_t v[GEN_DRAIN_RECENT];

	if (g->recent_n == 0)
		return 0;
	memcpy(v, g->recent, g->recent_n * sizeof(v[0]));
	qsort(v, g->recent_n, sizeof(v[0]), cmp_u32);
	return v[g->recent_n / 2];
}

static void
gen_print_stats(struct emu_backend *be, FILE *out)
{
	struct emu_gen *g = (struct emu_gen *)be;

	emu_be_print_counters(&g->base, be->ops->name, out);
	if (be->ops == &emu_gen_ops)
		fprintf(out, "generator: %s seq %" PRIu64 " count %" PRIu64
			" flows %u size %u rate %" PRIu64 "\n",
			g->running ? "running" : "stopped", g->seq, g->cfg.count,
			g->cfg.flows, g->cfg.size, g->cfg.rate);
	if (be->ops == &emu_gen_ops && g->cfg.drain)
		fprintf(out, "drain: batches %" PRIu64 " frames %" PRIu64
			" ns %" PRIu64 " max-batch %" PRIu64 " acked-frames %"
			PRIu64 " acked-ns %" PRIu64 " batch %u recent %u"
			" median-ps-per-frame %" PRIu32 "\n",
			g->base.c.drain_batches, g->base.c.drain_frames,
			g->base.c.drain_ns, g->base.c.drain_batch_max,
			g->base.c.drain_acked_frames, g->base.c.drain_acked_ns,
			g->cfg.batch, g->recent_n, gen_drain_median(g));
}

static void
gen_destroy(struct emu_backend *be)
{
	struct emu_gen *g = (struct emu_gen *)be;

	if (g == NULL)
		return;
	free(g->frame);
	free(g->slots);
	free(g->ptrs);
	free(g->lens);
	free(g->rcs);
	free(g->flows);
	free(g->recent);
	free(g);
}

const struct emu_backend_ops emu_gen_ops = {
	.name = "gen",
	.xmit = sink_xmit,
	.poll = gen_poll,
	.print_stats = gen_print_stats,
	.destroy = gen_destroy,
};

const struct emu_backend_ops emu_sink_ops = {
	.name = "sink",
	.xmit = sink_xmit,
	.print_stats = gen_print_stats,
	.destroy = gen_destroy,
};

int
emu_gen_create(const struct emu_gen_config *cfg, size_t max_frame,
	       struct emu_backend **out)
{
	struct emu_gen *g;
	unsigned int i;

	if (cfg->flows < 1 || cfg->flows > 65536 || cfg->burst < 1 ||
	    cfg->burst > 1024 || cfg->size < GEN_MIN_FRAME || cfg->size > max_frame)
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return -ENOMEM;
	g->cfg = *cfg;
	g->slots_flow = UINT_MAX;
	g->period = cfg->flows <= EMU_RX_PERIOD_MASK >> EMU_RX_PERIOD_SHIFT ?
		    EMU_RX_PERIOD(cfg->flows) : 0;
	g->frame = malloc(cfg->size);
	g->slots = malloc((size_t)cfg->burst * cfg->size);
	g->ptrs = calloc(cfg->burst, sizeof(*g->ptrs));
	g->lens = calloc(cfg->burst, sizeof(*g->lens));
	g->rcs = calloc(cfg->burst, sizeof(*g->rcs));
	g->flows = calloc(cfg->flows, sizeof(*g->flows));
	if (cfg->drain)
		g->recent = calloc(GEN_DRAIN_RECENT, sizeof(*g->recent));
	if (g->frame == NULL || g->slots == NULL || g->ptrs == NULL ||
	    g->lens == NULL || g->rcs == NULL || g->flows == NULL ||
	    (cfg->drain && g->recent == NULL)) {
		gen_destroy(&g->base.be);
		return -ENOMEM;
	}
	g->base.be.ops = &emu_gen_ops;
	g->base.kind = EMU_BACKEND_GEN;
	build_template(g->frame, cfg->size);
	build_flows(g);
	for (i = 0; i < cfg->burst; i++) {
		memcpy(g->slots + (size_t)i * cfg->size, g->frame, cfg->size);
		g->ptrs[i] = g->slots + (size_t)i * cfg->size;
		g->lens[i] = cfg->size;
	}
	if (cfg->start)
		emu_gen_set_running(&g->base.be, true);
	*out = &g->base.be;
	return 0;
}

int
emu_sink_create(struct emu_backend **out)
{
	struct emu_gen *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return -ENOMEM;
	g->base.be.ops = &emu_sink_ops;
	g->base.kind = EMU_BACKEND_SINK;
	*out = &g->base.be;
	return 0;
}

int
emu_gen_set_running(struct emu_backend *be, bool on)
{
	struct emu_gen *g;

	if (be == NULL || be->ops != &emu_gen_ops)
		return -ENOTSUP;
	g = (struct emu_gen *)be;
	/* Starting a generator that sent its count sends count more. */
	if (on && g->cfg.count != 0 && g->seq >= g->limit)
		g->limit = g->seq + g->cfg.count;
	if (on && !g->running) {
		g->start_ns = now_ns();
		g->start_seq = g->seq;
		g->retry_ns = 0;
	}
	g->running = on;
	return 0;
}
