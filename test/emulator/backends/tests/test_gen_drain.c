/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The generator's drain mode against the real network service and the
 * scripted guest of net_harness.c: each batch reaches the guest only
 * when the generator publishes it, whole; nothing more is published
 * until the guest has read it all and given its buffers back; every
 * frame arrives once, in order;
 * the drain counters add up to what the guest received; the strict
 * host finds nothing wrong.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu_backend.h"
#include "net_harness.h"

#define FRAMES 3000u
#define SEQ_OFF 46u	/* the generator's sequence number in a frame */

static int
setup_up(void **state)
{
	ng_setup_default(state);
	ng_bring_up(*state);
	ng_set_filter(*state, RNDIS_PACKET_TYPE_DIRECTED);
	return 0;
}

static struct emu_backend *
drain_gen(struct g *g, uint64_t count, unsigned int batch)
{
	struct emu_gen_config c;
	struct emu_backend *be = NULL;

	emu_gen_config_defaults(&c);
	c.flows = 3;
	c.size = 64;
	c.count = count;
	c.burst = 32;
	c.drain = true;
	c.batch = batch;
	assert_int_equal(emu_gen_create(&c, 1518, &be), 0);
	emu_nic_set_backend(g->nic, be);
	return be;
}

/* The host's published write index of queue 0's host->guest ring. */
static uint32_t
published(const struct g *g)
{
	return g->rx[0].hdr->write_index;
}

/*
 * Read the next transfer-page packet, check its frames carry *seq on,
 * ACK it later (ids[]); -EAGAIN when the ring is empty.
 */
static int
read_packet(struct g *g, uint64_t *seq, uint64_t *ids, unsigned int *nids)
{
	struct vmbus_xfer_page_range r;
	struct vmbus_pkt_info pi;
	struct rndis_pkt_info pk;
	uint64_t got;
	uint32_t k;
	int rc = ng_recv_pkt(g, 0, &pi);

	if (rc != 0)
		return rc;
	assert_int_equal(pi.type, VMBUS_PKT_DATA_XFER_PAGES);
	for (k = 0; k < pi.range_count; k++) {
		assert_int_equal(vmbus_pkt_xfer_range(&pi, k, &r), 0);
		assert_int_equal(vmbus_pkt_xfer_range_check(&r, (uint32_t)g->recv_size), 0);
		assert_int_equal(rndis_pkt_parse(g->recvbuf + r.byte_offset,
						 r.byte_count, &pk), 0);
		assert_int_equal(pk.data_len, 64);
		memcpy(&got, g->recvbuf + r.byte_offset + pk.data_off + SEQ_OFF,
		       sizeof(got));
		if (got != *seq)
			fail_msg("frame %llu arrived where %llu was due",
				 (unsigned long long)got, (unsigned long long)*seq);
		(*seq)++;
	}
	ids[(*nids)++] = pi.trans_id;
	return 0;
}

static void
test_gen_drain_exactly_once(void **state)
{
	struct g *g = *state;
	struct emu_backend *be = drain_gen(g, FRAMES, 0);
	struct emu_backend_counters c;
	static uint64_t ids[FRAMES];
	uint64_t seq = 0, batch_start, batches = 0, max_batch = 0;
	unsigned int nids, i, rounds = 0, waited = 0;
	uint32_t wr;

	while (seq < FRAMES) {
		assert_true(++rounds < 100);
		wr = published(g);
		/* The generator fills a batch and publishes it. */
		ng_pump(g);
		if (published(g) == wr)
			fail_msg("round %u: the guest sees nothing after the "
				 "generator's fill: the batch was not published",
				 rounds);
		batches++;
		batch_start = seq;
		nids = 0;
		/* One packet read: the rest is waiting, so nothing new is
		 * published however often the host polls. */
		assert_int_equal(read_packet(g, &seq, ids, &nids), 0);
		if (!vmbus_ring_read_empty(&g->rx[0])) {
			wr = published(g);
			ng_pump(g);
			if (published(g) != wr)
				fail_msg("round %u: a new batch was published "
					 "before the guest had read the last one",
					 rounds);
			waited++;
		}
		while (read_packet(g, &seq, ids, &nids) == 0)
			;
		if (seq - batch_start > max_batch)
			max_batch = seq - batch_start;
		/* Everything read: nothing new until the buffers are back. */
		wr = published(g);
		ng_pump(g);
		if (published(g) != wr)
			fail_msg("round %u: a new batch was published before the "
				 "guest had ACKed the last one", rounds);
		/* ACK it all; the next pump counts the batch, takes the
		 * ACKs and fills the next one. */
		g->chan[0].mute = g->mute;
		for (i = 0; i < nids; i++)
			assert_int_equal(tg_ack(&g->chan[0], ids[i]), 0);
	}
	ng_pump(g);
	assert_int_equal(seq, FRAMES);
	/* The count is reached: nothing more. */
	assert_int_equal(read_packet(g, &seq, ids, &nids), -EAGAIN);
	emu_backend_counters(be, &c);
	assert_int_equal(c.to_guest, FRAMES);
	assert_int_equal(c.drain_frames, FRAMES);
	assert_int_equal(c.drain_batches, batches);
	assert_int_equal(c.drain_batch_max, max_batch);
	/* The guest ACKed every batch before the next: all timed to it. */
	assert_int_equal(c.drain_acked_frames, FRAMES);
	assert_int_equal(c.drops, 0);
	assert_int_equal(c.seq_errors, 0);
	/* Several batches: the buffer, not the count, bounds one. */
	assert_true(batches >= 2);
	assert_true(waited >= 1);
	assert_int_equal(ng_qstats(g, 0).rx_packets, FRAMES);
	assert_int_equal(ng_protocol_errors(g), 0);
	/* The stats line the benchmark reads (test/bench/lib.sh). */
	{
		char *text = NULL, want[160];
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		assert_non_null(f);
		be->ops->print_stats(be, f);
		fclose(f);
		snprintf(want, sizeof(want), "drain: batches %llu frames %u ",
			 (unsigned long long)batches, FRAMES);
		assert_non_null(strstr(text, want));
		snprintf(want, sizeof(want), " acked-frames %u ", FRAMES);
		assert_non_null(strstr(text, want));
		snprintf(want, sizeof(want), " recent %llu median-ps-per-frame ",
			 (unsigned long long)batches);
		assert_non_null(strstr(text, want));
		free(text);
	}
	print_message("drain: %llu batches, largest %llu frames\n",
		      (unsigned long long)batches, (unsigned long long)max_batch);
}

/* batch=N: no batch is larger. */
static void
test_gen_drain_batch_cap(void **state)
{
	struct g *g = *state;
	struct emu_backend *be = drain_gen(g, 100, 40);
	struct emu_backend_counters c;
	static uint64_t ids[100];
	uint64_t seq = 0;
	unsigned int nids, i, rounds = 0;

	while (seq < 100) {
		assert_true(++rounds < 10);
		ng_pump(g);
		nids = 0;
		while (read_packet(g, &seq, ids, &nids) == 0)
			;
		if (nids == 0)
			fail_msg("round %u: the guest sees nothing after the "
				 "generator's fill: the batch was not published",
				 rounds);
		for (i = 0; i < nids; i++)
			assert_int_equal(tg_ack(&g->chan[0], ids[i]), 0);
	}
	ng_pump(g);
	emu_backend_counters(be, &c);
	assert_int_equal(c.drain_batches, 3);
	assert_int_equal(c.drain_frames, 100);
	assert_int_equal(c.drain_batch_max, 40);
	assert_int_equal(ng_protocol_errors(g), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_gen_drain_exactly_once, setup_up, ng_teardown),
		cmocka_unit_test_setup_teardown(test_gen_drain_batch_cap, setup_up, ng_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
