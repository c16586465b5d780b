/* SPDX-License-Identifier: BSD-3-Clause */
/* Backends against a fake network service (fake_net.c). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "emu_backend.h"
#include "fake_net.h"

static struct emu_nic nic;

static int
setup(void **state)
{
	(void)state;
	fake_nic_init(&nic);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	emu_nic_set_backend(&nic, NULL);
	return 0;
}

static struct emu_backend *
make_gen(unsigned int flows, unsigned int size, uint64_t count, bool start)
{
	struct emu_gen_config g;
	struct emu_backend *be = NULL;

	emu_gen_config_defaults(&g);
	g.flows = flows;
	g.size = size;
	g.count = count;
	g.burst = 4;
	g.start = start;
	assert_int_equal(emu_gen_create(&g, 1518, &be), 0);
	emu_nic_set_backend(&nic, be);
	return be;
}

static uint64_t
frame_seq(const struct fake_frame *f)
{
	uint64_t seq;

	memcpy(&seq, f->data + 46, 8);
	return seq;
}

static bool
ipv4_csum_ok(const uint8_t *ip)
{
	uint32_t sum = 0;
	int i;

	for (i = 0; i < 20; i += 2)
		sum += (uint32_t)ip[i] << 8 | ip[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

static void
test_emu_backend_parse_tap(void **state)
{
	struct emu_backend_spec s;
	const char *why;

	(void)state;
	assert_int_equal(emu_backend_parse("tap:vtap0,netns=ns1,ip=10.9.8.7/24",
					   &s, &why), 0);
	assert_int_equal(s.kind, EMU_BACKEND_TAP);
	assert_string_equal(s.tap.ifname, "vtap0");
	assert_string_equal(s.tap.netns, "ns1");
	assert_true(s.tap.has_ip);
	assert_int_equal(s.tap.ip[0], 10);
	assert_int_equal(s.tap.ip[3], 7);
	assert_int_equal(s.tap.prefix, 24);
	assert_int_equal(emu_backend_parse("tap", &s, &why), 0);
	assert_string_equal(s.tap.ifname, "");
	assert_int_equal(emu_backend_parse("tap:a,ip=10.0.0.1/33", &s, &why), -EINVAL);
	assert_int_equal(emu_backend_parse("tap:a,ip=300.0.0.1/8", &s, &why), -EINVAL);
	assert_int_equal(emu_backend_parse("tap:a,netns=../x", &s, &why), -EINVAL);
	assert_int_equal(emu_backend_parse("tap:a,mtu=9000", &s, &why), -EINVAL);
	assert_int_equal(emu_backend_parse("tap:averyveryverylongname", &s, &why),
			 -EINVAL);
}

static void
test_emu_backend_parse_gen(void **state)
{
	struct emu_backend_spec s;
	const char *why;

	(void)state;
	assert_int_equal(emu_backend_parse("gen:flows=8,size=128,count=1000,rate=5",
					   &s, &why), 0);
	assert_int_equal(s.kind, EMU_BACKEND_GEN);
	assert_int_equal(s.gen.flows, 8);
	assert_int_equal(s.gen.size, 128);
	assert_int_equal(s.gen.count, 1000);
	assert_int_equal(s.gen.rate, 5);
	assert_true(s.gen.start);
	assert_int_equal(emu_backend_parse("gen", &s, &why), 0);
	assert_int_equal(s.gen.flows, 1);
	assert_int_equal(s.gen.size, 64);
	assert_int_equal(emu_backend_parse("gen:size=59", &s, &why), -EINVAL);
	assert_int_equal(emu_backend_parse("gen:flows=0", &s, &why), -EINVAL);
	assert_int_equal(emu_backend_parse("gen:count=-1", &s, &why), -EINVAL);
	assert_int_equal(emu_backend_parse("gen:burst=2000", &s, &why), -EINVAL);
	assert_int_equal(emu_backend_parse("gen:drain=1,batch=4096", &s, &why), 0);
	assert_true(s.gen.drain);
	assert_int_equal(s.gen.batch, 4096);
	assert_int_equal(emu_backend_parse("gen:drain=2", &s, &why), -EINVAL);
	assert_int_equal(emu_backend_parse("sink", &s, &why), 0);
	assert_int_equal(s.kind, EMU_BACKEND_SINK);
	assert_int_equal(emu_backend_parse("sink:x=1", &s, &why), -EINVAL);
	assert_int_equal(emu_backend_parse("loopy", &s, &why), -EINVAL);
	assert_int_equal(emu_backend_parse("none", &s, &why), 0);
	assert_int_equal(s.kind, EMU_BACKEND_NONE);
}

static void
test_emu_backend_gen_frames(void **state)
{
	struct emu_backend *be = make_gen(4, 64, 10, true);
	struct emu_backend_counters c;
	uint32_t srcs[4];
	unsigned int i, p;

	(void)state;
	/* Burst 4: three polls for 10 frames, then nothing more. */
	for (p = 0; p < 5; p++)
		be->ops->poll(be);
	assert_int_equal(nic.nframes, 10);
	for (i = 0; i < nic.nframes; i++) {
		const uint8_t *f = nic.frames[i].data;

		assert_int_equal(nic.frames[i].len, 64);
		assert_memory_equal(f, nic.mac, 6);
		assert_int_equal(f[12] << 8 | f[13], 0x0800);
		assert_true(ipv4_csum_ok(f + 14));
		assert_int_equal(f[14 + 9], 17);
		assert_int_equal(f[38] << 8 | f[39], 64 - 34);
		assert_int_equal(frame_seq(&nic.frames[i]), i);
		if (i < 4)
			memcpy(&srcs[i], f + 26, 4);
		else
			assert_memory_equal(f + 26, &srcs[i % 4], 4);
	}
	/* Four distinct flows. */
	for (i = 1; i < 4; i++)
		assert_memory_not_equal(&srcs[0], &srcs[i], 4);
	emu_backend_counters(be, &c);
	assert_int_equal(c.to_guest, 10);
	assert_int_equal(c.to_guest_bytes, 640);
}

/* One flow: after the first burst only the sequence numbers change, two
 * frames at a time, and an odd burst's last frame on its own. */
static void
test_emu_backend_gen_seq_only(void **state)
{
	struct emu_backend *be = make_gen(1, 64, 11, true);
	unsigned int i, p;

	(void)state;
	/* Bursts of 4, 4, 3. */
	for (p = 0; p < 4; p++)
		be->ops->poll(be);
	assert_int_equal(nic.nframes, 11);
	for (i = 0; i < nic.nframes; i++)
		assert_int_equal(frame_seq(&nic.frames[i]), i);
}

static void
test_emu_backend_gen_backpressure(void **state)
{
	struct emu_backend *be = make_gen(1, 60, 0, true);
	struct emu_backend_counters c;

	(void)state;
	nic.refuse_from = 3;
	nic.rx_ret = -EAGAIN;
	be->ops->poll(be);
	assert_int_equal(nic.nframes, 2);
	emu_backend_counters(be, &c);
	assert_int_equal(c.backpressure, 1);
	assert_int_equal(c.to_guest, 2);
	/* The refused frame is offered again: no gap in the sequence. */
	nic.refuse_from = 0;
	be->ops->poll(be);
	assert_int_equal(nic.nframes, 6);
	assert_int_equal(frame_seq(&nic.frames[2]), 2);
	assert_int_equal(frame_seq(&nic.frames[5]), 5);
}

/* A drain-mode generator (burst 4) over the fake NIC. */
static struct emu_backend *
make_drain_gen(uint64_t count, unsigned int batch)
{
	struct emu_gen_config g;
	struct emu_backend *be = NULL;

	emu_gen_config_defaults(&g);
	g.flows = 2;
	g.count = count;
	g.burst = 4;
	g.drain = true;
	g.batch = batch;
	assert_int_equal(emu_gen_create(&g, 1518, &be), 0);
	emu_nic_set_backend(&nic, be);
	return be;
}

/*
 * Drain mode's cycle: a batch is offered only while the NIC holds the
 * ring (every frame), as many as the NIC takes, published once; nothing
 * more is offered until the guest read it all; then it is counted and
 * the next batch follows at the next poll, from the refused frame on.
 */
static void
test_emu_backend_gen_drain_cycle(void **state)
{
	struct emu_backend *be = make_drain_gen(0, 0);
	struct emu_backend_counters c;
	unsigned int i;

	(void)state;
	nic.refuse_from = 11;
	nic.rx_ret = -EAGAIN;
	be->ops->poll(be);
	assert_int_equal(nic.holds, 1);
	assert_int_equal(nic.publishes, 1);
	assert_false(nic.held);
	assert_int_equal(nic.unheld_frames, 0);
	assert_int_equal(nic.nframes, 10);
	/* Not read yet: polls only look. */
	nic.refuse_from = 0;
	for (i = 0; i < 3; i++)
		be->ops->poll(be);
	assert_int_equal(nic.nframes, 10);
	assert_int_equal(nic.holds, 1);
	emu_backend_counters(be, &c);
	assert_int_equal(c.drain_batches, 0);
	/* Read but three buffers not ACKed: counted as read, then the
	 * polls wait for the ACKs. */
	nic.drained = true;
	nic.bufs_out = 3;
	be->ops->poll(be);
	be->ops->poll(be);
	emu_backend_counters(be, &c);
	assert_int_equal(c.drain_batches, 1);
	assert_int_equal(c.drain_frames, 10);
	assert_int_equal(c.drain_batch_max, 10);
	assert_int_equal(c.drain_acked_frames, 0);
	assert_int_equal(nic.holds, 1);
	/* ACKed: counted, no new batch in the same poll. */
	nic.bufs_out = 0;
	be->ops->poll(be);
	emu_backend_counters(be, &c);
	assert_int_equal(c.drain_acked_frames, 10);
	assert_int_equal(nic.holds, 1);
	/* The next batch starts with the refused frame. */
	nic.refuse_from = nic.rx_calls + 6;
	be->ops->poll(be);
	assert_int_equal(nic.nframes, 15);
	for (i = 0; i < nic.nframes; i++)
		assert_int_equal(frame_seq(&nic.frames[i]), i);
	assert_int_equal(nic.unheld_frames, 0);
	be->ops->poll(be);
	emu_backend_counters(be, &c);
	assert_int_equal(c.drain_batches, 2);
	assert_int_equal(c.drain_frames, 15);
	assert_int_equal(c.drain_acked_frames, 15);
	assert_int_equal(c.to_guest, 15);
}

/* batch=N caps a batch; with count=N the last batch is still timed to
 * its end, and nothing follows it. */
static void
test_emu_backend_gen_drain_batch_count(void **state)
{
	struct emu_backend *be = make_drain_gen(13, 6);
	struct emu_backend_counters c;
	unsigned int p;

	(void)state;
	nic.drained = true;
	for (p = 0; p < 12; p++)
		be->ops->poll(be);
	assert_int_equal(nic.nframes, 13);
	assert_int_equal(nic.publishes, 3);
	assert_int_equal(nic.unheld_frames, 0);
	emu_backend_counters(be, &c);
	assert_int_equal(c.drain_batches, 3);
	assert_int_equal(c.drain_frames, 13);
	assert_int_equal(c.drain_batch_max, 6);
}

static void
test_emu_backend_gen_not_ready(void **state)
{
	struct emu_backend *be = make_gen(1, 60, 5, true);
	struct emu_backend_counters c;

	(void)state;
	nic.refuse_from = 1;
	nic.rx_ret = -ENETDOWN;
	be->ops->poll(be);
	emu_backend_counters(be, &c);
	assert_int_equal(c.not_ready, 1);
	assert_int_equal(c.to_guest, 0);
	assert_int_equal(nic.nframes, 0);
}

static void
test_emu_backend_gen_start_stop(void **state)
{
	struct emu_backend *be = make_gen(1, 60, 3, false);
	struct emu_backend *sink = NULL;

	(void)state;
	be->ops->poll(be);
	assert_int_equal(nic.nframes, 0);
	assert_int_equal(emu_gen_set_running(be, true), 0);
	be->ops->poll(be);
	assert_int_equal(nic.nframes, 3);
	be->ops->poll(be);
	assert_int_equal(nic.nframes, 3);
	/* A finished generator started again sends count more. */
	assert_int_equal(emu_gen_set_running(be, true), 0);
	be->ops->poll(be);
	assert_int_equal(nic.nframes, 6);
	assert_int_equal(frame_seq(&nic.frames[5]), 5);
	assert_int_equal(emu_sink_create(&sink), 0);
	assert_int_equal(emu_gen_set_running(sink, true), -ENOTSUP);
	sink->ops->destroy(sink);
}

/*
 * The generator's EMU_RX_PERIOD(flows) promise (frames a flow count
 * apart share their length and first EMU_RX_PERIOD_BYTES bytes, which
 * the host's RSS run relies on): kept by every burst, including those
 * after a refused frame, which start on another flow and refill the
 * slots. The fake NIC checks every frame the promise covers.
 */
static void
test_emu_backend_gen_period(void **state)
{
	struct emu_backend *be = NULL;
	struct emu_gen_config gc;
	unsigned int p;

	(void)state;
	emu_gen_config_defaults(&gc);
	gc.flows = 3;
	gc.size = 64;
	gc.burst = 8;
	gc.start = true;
	assert_int_equal(emu_gen_create(&gc, 1518, &be), 0);
	emu_nic_set_backend(&nic, be);
	for (p = 0; p < 12; p++) {
		/* Polls 4 and 8 take two frames only. */
		nic.refuse_from = p == 4 || p == 8 ? nic.rx_calls + 3u : 0;
		nic.rx_ret = -EAGAIN;
		be->ops->poll(be);
	}
	assert_true(nic.burst_calls >= 12);
	assert_int_equal(nic.period_errors, 0);
	assert_int_equal(nic.rx_flags >> EMU_RX_PERIOD_SHIFT, 3);
	/* Frames of one flow three apart, as delivered too. */
	assert_true(nic.nframes > 40);
	for (p = 3; p < nic.nframes; p++)
		assert_memory_equal(nic.frames[p].data + 26,
				    nic.frames[p - 3].data + 26, 4);
}

static void
test_emu_backend_sink_seq(void **state)
{
	struct emu_backend *gen = make_gen(2, 80, 4, true);
	struct emu_backend *sink = NULL;
	struct emu_backend_counters c;
	uint8_t other[60] = { 0 };
	unsigned int order[] = { 0, 1, 3, 2 };
	unsigned int i;

	(void)state;
	gen->ops->poll(gen);
	assert_int_equal(nic.nframes, 4);
	assert_int_equal(emu_sink_create(&sink), 0);
	for (i = 0; i < 4; i++)
		sink->ops->xmit(sink, nic.frames[order[i]].data,
				nic.frames[order[i]].len);
	sink->ops->xmit(sink, other, sizeof(other));
	emu_backend_counters(sink, &c);
	assert_int_equal(c.from_guest, 5);
	assert_int_equal(c.from_guest_bytes, 4 * 80 + 60);
	/* 0 1 3 2: "3" and "2" each break the sequence. */
	assert_int_equal(c.seq_errors, 2);
	assert_int_equal(c.to_guest, 0);
	sink->ops->destroy(sink);
}

static void
test_emu_backend_loop(void **state)
{
	struct emu_backend *be = NULL;
	struct emu_backend_counters c;
	uint8_t f[3][100];
	int i;

	(void)state;
	assert_int_equal(emu_loop_backend_create(1518, &be), 0);
	emu_nic_set_backend(&nic, be);
	for (i = 0; i < 3; i++) {
		memset(f[i], 0xa0 + i, sizeof(f[i]));
		be->ops->xmit(be, f[i], (size_t)(60 + i));
	}
	/* Nothing goes back from inside xmit. */
	assert_int_equal(nic.rx_calls, 0);
	nic.refuse_from = 2;
	nic.rx_ret = -EAGAIN;
	be->ops->poll(be);
	assert_int_equal(nic.nframes, 1);
	nic.refuse_from = 0;
	be->ops->poll(be);
	assert_int_equal(nic.nframes, 3);
	/* Each poll offered what was queued as one burst. */
	assert_int_equal(nic.burst_calls, 2);
	for (i = 0; i < 3; i++) {
		assert_int_equal(nic.frames[i].len, 60 + i);
		assert_memory_equal(nic.frames[i].data, f[i], 60 + i);
	}
	emu_backend_counters(be, &c);
	assert_int_equal(c.from_guest, 3);
	assert_int_equal(c.to_guest, 3);
	assert_int_equal(c.backpressure, 1);
	/* Too long for a slot: dropped, counted. */
	be->ops->xmit(be, f, 2000);
	emu_backend_counters(be, &c);
	assert_int_equal(c.drops, 1);
}

/* The bytes of the loop test's frame number seq. */
static size_t
loop_frame(uint8_t *f, unsigned int seq)
{
	size_t len = 20 + seq % 120; /* below, inside and above 32..64 */

	memset(f, (int)(seq * 7u), len);
	f[0] = (uint8_t)seq;
	f[1] = (uint8_t)(seq >> 8);
	return len;
}

/*
 * The loop ring across its end: three rounds of 200 frames through 512
 * slots, the third from slot 400 to slot 87 (two bursts: up to the end,
 * then from the start). Every frame comes back whole and in order; a
 * refusal other than -EAGAIN drops that frame and the rest still go.
 */
static void
test_emu_backend_loop_wrap(void **state)
{
	struct emu_backend *be = NULL;
	struct emu_backend_counters c;
	static uint8_t pkt[200 * 150];
	struct emu_frame_span sp[200];
	uint8_t f[200];
	unsigned int k, round, seq = 0, want = 0, calls;
	uint64_t bytes = 0;
	uint32_t off;
	size_t len;

	(void)state;
	assert_int_equal(emu_loop_backend_create(1518, &be), 0);
	emu_nic_set_backend(&nic, be);
	for (round = 0; round < 3; round++) {
		/* Frame by frame, or (round 2, across the ring's end) as
		 * one packet's burst. */
		for (k = 0, off = 0; k < 200; k++) {
			len = loop_frame(round == 2 ? pkt + off : f, seq++);
			bytes += len;
			if (round != 2) {
				be->ops->xmit(be, f, len);
				continue;
			}
			sp[k].off = off;
			sp[k].len = (uint32_t)len;
			off += (uint32_t)len + 3; /* gaps between frames */
		}
		if (round == 2)
			be->ops->xmit_burst(be, pkt, sp, 200);
		calls = nic.burst_calls;
		nic.nframes = 0;
		be->ops->poll(be);
		assert_int_equal(nic.nframes, 200);
		assert_int_equal(nic.burst_calls - calls, round == 2 ? 2u : 1u);
		for (k = 0; k < 200; k++) {
			len = loop_frame(f, want++);
			assert_int_equal(nic.frames[k].len, len);
			assert_memory_equal(nic.frames[k].data, f, len);
		}
	}
	emu_backend_counters(be, &c);
	assert_int_equal(c.from_guest, 600);
	assert_int_equal(c.to_guest, 600);
	assert_int_equal(c.to_guest_bytes, bytes);
	assert_int_equal(c.drops, 0);
	/* From the 6th frame of the next 10 on, the NIC says too big. */
	for (k = 0; k < 10; k++) {
		len = loop_frame(f, seq++);
		be->ops->xmit(be, f, len);
	}
	nic.refuse_from = nic.rx_calls + 6;
	nic.rx_ret = -EMSGSIZE;
	be->ops->poll(be);
	emu_backend_counters(be, &c);
	assert_int_equal(c.to_guest, 605);
	assert_int_equal(c.drops, 5);
	nic.refuse_from = 0;
	/* Nothing left queued. */
	calls = nic.burst_calls;
	be->ops->poll(be);
	assert_int_equal(nic.burst_calls, calls);
	/* A burst past the ring's 512 slots, one frame too long for a slot:
	 * both dropped and counted, the rest kept in order. */
	for (k = 0; k < 200; k++) {
		sp[k].off = 0;
		sp[k].len = k == 5 ? 1519 : 60;
	}
	memset(pkt, 0x5a, 1519);
	be->ops->xmit_burst(be, pkt, sp, 200);
	be->ops->xmit_burst(be, pkt, sp, 200);
	be->ops->xmit_burst(be, pkt, sp, 200);
	emu_backend_counters(be, &c);
	assert_int_equal(c.from_guest, 610 + 600);
	assert_int_equal(c.drops, 5 + 3 + (597 - 512));
	nic.nframes = 0;
	be->ops->poll(be);
	emu_backend_counters(be, &c);
	assert_int_equal(c.to_guest, 605 + 512);
	assert_int_equal(nic.frames[0].len, 60);
	assert_int_equal(nic.frames[0].data[59], 0x5a);
	/* Minimum frames by burst onto an empty ring: the third burst
	 * starts 14 slots before the ring's end and goes on from its start,
	 * every frame whole. */
	for (round = 0; round < 3; round++) {
		for (k = 0; k < 200; k++) {
			sp[k].off = k * 64;
			sp[k].len = 60;
			memset(pkt + k * 64, (int)(k + round), 60);
		}
		be->ops->xmit_burst(be, pkt, sp, 200);
		nic.nframes = 0;
		be->ops->poll(be);
		assert_int_equal(nic.nframes, 200);
		for (k = 0; k < 200; k++) {
			assert_int_equal(nic.frames[k].len, 60);
			assert_memory_equal(nic.frames[k].data, pkt + k * 64, 60);
		}
	}
	emu_backend_counters(be, &c);
	assert_int_equal(c.to_guest, 605 + 512 + 600);
}

/*
 * Frames the loop holds in the guest's memory (xmit_held,
 * xmit_burst_held) come back with the bytes they had when they were
 * sent, whatever the guest writes there after release (it may reuse
 * its buffers once the completions went out): release(deliver) offers
 * them from where they lie and copies those the guest refused
 * (-EAGAIN) into their slots; release(false) copies them all. Rounds of
 * 150 frames across the ring's end (512 slots), refused from a frame
 * that moves each round; in order, none lost, none twice.
 */
static void
test_emu_backend_loop_held(void **state)
{
	static uint8_t src[150][300];
	static size_t lens[150];
	struct emu_backend *be = NULL;
	struct emu_backend_counters c;
	struct emu_frame_span sp[4];
	unsigned int round, k, got, seq = 0;

	(void)state;
	assert_int_equal(emu_loop_backend_create(1518, &be), 0);
	emu_nic_set_backend(&nic, be);
	assert_non_null(be->ops->xmit_held);
	assert_non_null(be->ops->xmit_burst_held);
	assert_non_null(be->ops->release);
	for (round = 0; round < 8; round++) {
		/* 150 frames: singles, then packets of four (one of them a
		 * minimum frame the loop copies at once). */
		for (k = 0; k < 150; k++) {
			lens[k] = k % 4 == 1 ? 60 : 65 + (seq * 37u) % 230;
			memset(src[k], (int)(seq & 0xff), sizeof(src[k]));
			src[k][0] = (uint8_t)k;
			src[k][1] = (uint8_t)round;
			seq++;
		}
		for (k = 0; k < 50; k++)
			be->ops->xmit_held(be, src[k], lens[k]);
		for (; k < 150; k += 4) {
			unsigned int j, n = 150 - k < 4 ? 150 - k : 4;

			for (j = 0; j < n; j++) {
				sp[j].off = (uint32_t)((k + j) * sizeof(src[0]));
				sp[j].len = (uint32_t)lens[k + j];
			}
			be->ops->xmit_burst_held(be, src[0], sp, n);
		}
		/* Nothing goes back from inside xmit. */
		assert_int_equal(nic.rx_calls, 0);
		nic.nframes = 0;
		if (round % 2 == 0) {
			/* The guest takes some, then is busy. */
			nic.refuse_from = 1 + round * 17;
			nic.rx_ret = -EAGAIN;
			be->ops->release(be, true);
			got = nic.nframes;
			assert_int_equal(got, round * 17);
		} else {
			be->ops->release(be, false);
			got = 0;
			assert_int_equal(nic.nframes, 0);
		}
		/* Completions went out: the guest writes over its buffers. */
		memset(src, 0xEE, sizeof(src));
		nic.refuse_from = 0;
		nic.rx_calls = 0;
		be->ops->poll(be);
		assert_int_equal(nic.nframes, 150);
		for (k = 0; k < 150; k++) {
			uint8_t want[300];

			memset(want, (int)((seq - 150 + k) & 0xff), sizeof(want));
			want[0] = (uint8_t)k;
			want[1] = (uint8_t)round;
			assert_int_equal(nic.frames[k].len, lens[k]);
			assert_memory_equal(nic.frames[k].data, want, lens[k]);
		}
		nic.rx_calls = 0;
	}
	emu_backend_counters(be, &c);
	assert_int_equal(c.from_guest, 8 * 150);
	assert_int_equal(c.to_guest, 8 * 150);
	assert_int_equal(c.drops, 0);
}

/*
 * loop_xmit_burst's minimum-frame loop and its way out: bursts onto a
 * ring with room for them, where a frame that is not a minimum one
 * (100 bytes, 31 bytes) comes after minimum frames that loop already
 * copied, and a burst of minimum frames with fewer free slots than
 * frames. Every frame taken comes back whole and in order; the counters
 * are the frame-by-frame ones (a frame past a full ring is a drop).
 */
static void
test_emu_backend_loop_small(void **state)
{
	/* The last three: 64-byte packets (loop_xmit_burst's constant
	 * length), all of them, then leaving it for the minimum-frame
	 * loop, then for the general walk. */
	static const uint32_t lens[6][6] = {
		{ 60, 64, 32, 100, 60, 60 },
		{ 60, 61, 31, 60, 60, 60 },
		{ 60, 60, 60, 60, 60, 60 },
		{ 64, 64, 64, 64, 64, 64 },
		{ 64, 64, 60, 64, 32, 64 },
		{ 64, 64, 64, 100, 64, 64 },
	};
	struct emu_backend *be = NULL;
	struct emu_backend_counters c;
	static uint8_t pkt[6 * 128];
	struct emu_frame_span sp[6];
	uint64_t bytes = 0;
	unsigned int k, round;

	(void)state;
	assert_int_equal(emu_loop_backend_create(1518, &be), 0);
	emu_nic_set_backend(&nic, be);
	for (round = 0; round < 6; round++) {
		for (k = 0; k < 6; k++) {
			sp[k].off = k * 128;
			sp[k].len = lens[round][k];
			memset(pkt + k * 128, (int)(round * 16 + k + 1), 128);
			bytes += lens[round][k];
		}
		be->ops->xmit_burst(be, pkt, sp, 6);
		nic.nframes = 0;
		be->ops->poll(be);
		assert_int_equal(nic.nframes, 6);
		for (k = 0; k < 6; k++) {
			assert_int_equal(nic.frames[k].len, lens[round][k]);
			assert_memory_equal(nic.frames[k].data, pkt + k * 128,
					    lens[round][k]);
		}
	}
	emu_backend_counters(be, &c);
	assert_int_equal(c.from_guest, 36);
	assert_int_equal(c.from_guest_bytes, bytes);
	assert_int_equal(c.to_guest, 36);
	assert_int_equal(c.to_guest_bytes, bytes);
	assert_int_equal(c.drops, 0);
	/* 510 frames queued, then 6 64-byte frames: 2 taken, 4 dropped. */
	for (k = 0; k < 510; k++)
		be->ops->xmit(be, pkt, 60);
	for (k = 0; k < 6; k++)
		sp[k].len = 64;
	be->ops->xmit_burst(be, pkt, sp, 6);
	emu_backend_counters(be, &c);
	assert_int_equal(c.from_guest, 36 + 516);
	assert_int_equal(c.from_guest_bytes, bytes + 510 * 60 + 6 * 64);
	assert_int_equal(c.drops, 4);
	nic.nframes = 0;
	be->ops->poll(be);
	emu_backend_counters(be, &c);
	assert_int_equal(c.to_guest, 36 + 512);
	assert_int_equal(c.drops, 4);
}

static void
test_emu_backend_null_counters(void **state)
{
	struct emu_backend_counters c;

	(void)state;
	memset(&c, 0xff, sizeof(c));
	emu_backend_counters(NULL, &c);
	assert_int_equal(c.to_guest, 0);
	assert_int_equal(c.seq_errors, 0);
}

/* TAP tests need root and /dev/net/tun. */
static int
packet_socket(const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));

	if (s < 0)
		return -1;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (sll.sll_ifindex == 0 ||
	    bind(s, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
		close(s);
		return -1;
	}
	return s;
}

static void
marked_frame(uint8_t *f, size_t len, uint8_t mark)
{
	memset(f, mark, len);
	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x03", 12);
	f[12] = 0x88;	/* local experimental ethertype 0x88b5 */
	f[13] = 0xb5;
}

static bool
fake_has_mark(uint8_t mark)
{
	unsigned int i;

	for (i = 0; i < nic.nframes; i++)
		if (nic.frames[i].len >= 20 && nic.frames[i].data[12] == 0x88 &&
		    nic.frames[i].data[19] == mark)
			return true;
	return false;
}

static bool
sock_sees_mark(int s, uint8_t mark)
{
	uint8_t buf[2048];
	int tries;

	for (tries = 0; tries < 50; tries++) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(s, buf, sizeof(buf), 0);
		if (n >= 20 && buf[12] == 0x88 && buf[19] == mark)
			return true;
	}
	return false;
}

static void
test_emu_backend_tap(void **state)
{
	struct emu_tap_config cfg;
	struct emu_backend *be = NULL;
	struct emu_loop *loop;
	uint8_t f[64];
	int s, i, ret;

	(void)state;
	if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK) != 0)
		skip();
	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.ifname, "emubetst%d");
	cfg.has_ip = true;
	memcpy(cfg.ip, "\x0a\xc9\x00\x01", 4);
	cfg.prefix = 24;
	assert_int_equal(emu_loop_create(&loop), 0);
	ret = emu_tap_create(&cfg, loop, &be);
	if (ret == -EPERM || ret == -EACCES) {
		emu_loop_destroy(loop);
		skip();
	}
	assert_int_equal(ret, 0);
	emu_nic_set_backend(&nic, be);
	assert_non_null(emu_tap_ifname(be));
	assert_int_equal(strncmp(emu_tap_ifname(be), "emubetst", 8), 0);
	s = packet_socket(emu_tap_ifname(be));
	assert_true(s >= 0);
	/* guest -> tap -> kernel: a packet socket on the interface sees it */
	marked_frame(f, sizeof(f), 0x5a);
	be->ops->xmit(be, f, sizeof(f));
	assert_true(sock_sees_mark(s, 0x5a));
	/* kernel -> tap -> guest */
	marked_frame(f, sizeof(f), 0xa5);
	assert_int_equal(send(s, f, sizeof(f), 0), (ssize_t)sizeof(f));
	for (i = 0; i < 50 && !fake_has_mark(0xa5); i++)
		emu_loop_run_once(loop, 100);
	assert_true(fake_has_mark(0xa5));
	/* The kernel's queue towards us is the long one we asked for. */
	{
		char path[96], line[32] = "";
		FILE *q;

		snprintf(path, sizeof(path), "/sys/class/net/%s/tx_queue_len",
			 emu_tap_ifname(be));
		q = fopen(path, "r");
		assert_non_null(q);
		assert_non_null(fgets(line, sizeof(line), q));
		fclose(q);
		assert_int_equal(atoi(line), EMU_TAP_TXQLEN);
	}
	/*
	 * Kernel-side drops: while the loop does not read, the kernel's
	 * queue towards us overflows; the stats show its tx-dropped.
	 */
	for (i = 0; i < EMU_TAP_TXQLEN + 3000; i++)
		(void)send(s, f, sizeof(f), 0);
	{
		char *txt = NULL, *p;
		size_t tl = 0;
		FILE *mf = open_memstream(&txt, &tl);
		unsigned long long drops = 0;

		assert_non_null(mf);
		be->ops->print_stats(be, mf);
		fclose(mf);
		p = strstr(txt, " kernel: tx-dropped ");
		assert_non_null(p);
		assert_int_equal(sscanf(p, " kernel: tx-dropped %llu", &drops), 1);
		assert_true(drops > 0);
		free(txt);
	}
	close(s);
	emu_nic_set_backend(&nic, NULL);
	emu_loop_destroy(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emu_backend_parse_tap),
		cmocka_unit_test(test_emu_backend_parse_gen),
		cmocka_unit_test_setup_teardown(test_emu_backend_gen_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emu_backend_gen_seq_only,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_emu_backend_gen_backpressure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emu_backend_gen_drain_cycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emu_backend_gen_drain_batch_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emu_backend_gen_not_ready, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emu_backend_gen_start_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emu_backend_gen_period, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emu_backend_sink_seq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emu_backend_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emu_backend_loop_wrap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emu_backend_loop_small, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emu_backend_loop_held, setup, teardown),
		cmocka_unit_test(test_emu_backend_null_counters),
		cmocka_unit_test_setup_teardown(test_emu_backend_tap, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
