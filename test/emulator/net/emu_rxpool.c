/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The receive buffer cut into sub-allocations, and who may use which,
 * as a real host splits them (docs/design/protocol.md, "Receive
 * buffer"): each is 256 + MTU + 36 bytes; ids 0..15 carry control
 * messages only; the rest is divided evenly among the active queues in
 * ascending queue order, (count - 16) / queues each, the last active
 * queue taking the remainder. A queue fills its transfer-page packets
 * from its own range only, so a guest that is slow to ACK one queue
 * starves that queue alone, and a queue missing from the indirection
 * table gets no receive buffers at all.
 *
 * Active queues: the open queues the guest's indirection table names
 * when RSS is on, otherwise every open queue. The split is redone when
 * that set or the table changes (looked at once per receive burst).
 * Sub-allocations the guest holds at that moment go back to whichever
 * queue owns them under the new split when they are ACKed.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "emu_net_priv.h"

void
emu_rxbuf_teardown(struct emu_nic *nic)
{
	free(nic->sub_free);
	free(nic->sub_next);
	free(nic->sub_link);
	free(nic->sub_busy);
	free(nic->sub_pool);
	free(nic->sub_chan);
	nic->sub_free = NULL;
	nic->sub_next = NULL;
	nic->sub_link = NULL;
	nic->sub_busy = NULL;
	nic->sub_pool = NULL;
	nic->sub_chan = NULL;
	memset(nic->pool, 0, sizeof(nic->pool));
	nic->pool_key.valid = false;
	nic->sub_nfree = 0;
	nic->sub_count = 0;
	nic->sub_size = 0;
	nic->rxbuf = NULL;
	nic->rxbuf_on = false;
	if (nic->rxb != NULL)
		nic->rxb->n = 0;
}

int
emu_rxbuf_setup(struct emu_nic *nic)
{
	size_t len = 0;
	uint8_t *p = emu_dev_map(nic->dev, HV_UIO_MAP_RECV_BUF, &len);
	uint32_t size, count, i;

	if (p == NULL || len > UINT32_MAX)
		return -ENOBUFS;
	size = EMU_NET_RX_HEADROOM + nic->mtu + EMU_NET_RX_FOOTER;
	count = (uint32_t)(len / size);
	if (count <= EMU_NET_CTRL_RESERVE)
		return -ENOBUFS;
	nic->sub_free = malloc(count * sizeof(*nic->sub_free));
	nic->sub_next = malloc(count * sizeof(*nic->sub_next));
	nic->sub_link = malloc(count * sizeof(*nic->sub_link));
	nic->sub_busy = calloc(count, 1);
	nic->sub_pool = calloc(count, 1);
	nic->sub_chan = calloc(count, 1);
	if (nic->sub_free == NULL || nic->sub_next == NULL ||
	    nic->sub_link == NULL ||
	    nic->sub_busy == NULL || nic->sub_pool == NULL ||
	    nic->sub_chan == NULL) {
		emu_rxbuf_teardown(nic);
		return -ENOMEM;
	}
	for (i = 0; i < count; i++)
		nic->sub_next[i] = EMU_SUB_NONE;
	nic->sub_size = size;
	nic->sub_count = count;
	nic->rxbuf = p;
	nic->rxbuf_size = (uint32_t)len;
	nic->rxbuf_on = true;
	nic->pool_key.valid = false;
	/* The header template holds msg_len = the old sub-allocation size. */
	if (nic->rxb != NULL)
		nic->rxb->tpl.valid = false;
	emu_rx_pools_update(nic);
	return 0;
}

/* Ids [start, end) become pool owner's; the free ones go on its stack,
 * lowest on top (handed out first). */
static void
pool_fill(struct emu_nic *nic, unsigned int owner, uint32_t start,
	  uint32_t end)
{
	struct emu_rx_pool *p = &nic->pool[owner];
	uint32_t id;

	p->free = nic->sub_free + start;
	p->n = 0;
	for (id = end; id > start; id--) {
		nic->sub_pool[id - 1] = (uint8_t)owner;
		if (nic->sub_busy[id - 1] == EMU_SUB_FREE)
			p->free[p->n++] = id - 1;
	}
	nic->sub_nfree += p->n;
}

static uint64_t
active_queues(const struct emu_nic *nic, uint64_t open)
{
	uint64_t act = 0;
	uint32_t i;

	if (nic->rss_on)
		for (i = 0; i < nic->rss_entries && i < EMU_NET_RSS_ENTRIES; i++)
			if (nic->rss_table[i] < EMU_NET_MAX_QUEUES)
				act |= 1ull << nic->rss_table[i];
	act &= open;
	return act != 0 ? act : open;
}

static void
pools_split(struct emu_nic *nic, uint64_t act)
{
	uint32_t data = nic->sub_count - EMU_NET_CTRL_RESERVE;
	uint32_t nact = (uint32_t)__builtin_popcountll(act), per, start, end, k = 0;
	unsigned int qi;

	memset(nic->pool, 0, sizeof(nic->pool));
	nic->sub_nfree = 0;
	pool_fill(nic, EMU_RX_POOL_CTRL, 0, EMU_NET_CTRL_RESERVE);
	if (nact == 0) {
		/* No queue open: the data ids wait, owned by queue 0. */
		act = 1;
		nact = 1;
	}
	per = data / nact;
	start = EMU_NET_CTRL_RESERVE;
	for (qi = 0; qi < EMU_NET_MAX_QUEUES; qi++) {
		if (!(act & (1ull << qi)))
			continue;
		k++;
		end = k == nact ? nic->sub_count : start + per;
		pool_fill(nic, qi, start, end);
		start = end;
	}
}

void
emu_rx_pools_update(struct emu_nic *nic)
{
	struct emu_rx_pool_key *k = &nic->pool_key;
	uint64_t open = 0;
	unsigned int i;
	size_t tlen = nic->rss_entries * sizeof(nic->rss_table[0]);

	if (!nic->rxbuf_on)
		return;
	for (i = 0; i < nic->q_end; i++)
		if (nic->q[i] != NULL)
			open |= 1ull << i;
	if (k->valid && k->open == open && k->rss_on == nic->rss_on &&
	    (!nic->rss_on || (k->rss_entries == nic->rss_entries &&
			      memcmp(k->table, nic->rss_table, tlen) == 0)))
		return;
	k->valid = true;
	k->open = open;
	k->rss_on = nic->rss_on;
	k->rss_entries = nic->rss_entries;
	memcpy(k->table, nic->rss_table, sizeof(k->table));
	pools_split(nic, active_queues(nic, open));
	for (i = 0; i < EMU_NET_RSS_ENTRIES; i++) {
		uint32_t qi = nic->rss_table[i];

		nic->rss_qmap[i] = (uint8_t)(qi < EMU_NET_MAX_QUEUES &&
					     (open & (1ull << qi)) ? qi : 0);
	}
}

typedef uint32_t rx_v4u __attribute__((vector_size(16)));

/*
 * The block first .. first + k - 1 of a packet (EMU_SUB_BLK): all its ids
 * go back at once when one pool owns them all (the pools were not split
 * again while the guest held them, nearly always), pushed so that the
 * pool hands them out again in ascending order (rx_fast_stage takes
 * blocks from the stack's top). Else id by id, each to its owner.
 */
static uint32_t
release_block(struct emu_nic *nic, uint32_t first, uint32_t k)
{
	const uint8_t *owner = nic->sub_pool + first;
	uint8_t cur = owner[0];
	uint64_t other = 0, w, x, cur8 = cur * 0x0101010101010101ull;
	rx_v4u want, step = { 4, 4, 4, 4 };
	struct emu_rx_pool *p;
	uint32_t j, *sp, last;

	/* Our own record, bounded all the same. */
	if (k == 0 || k > nic->sub_count - first)
		k = 1;
	/* The owners, sixteen bytes a round. */
	for (j = 0; j + 16 <= k; j += 16) {
		memcpy(&w, owner + j, sizeof(w));
		memcpy(&x, owner + j + 8, sizeof(x));
		other |= (w ^ cur8) | (x ^ cur8);
	}
	for (; j < k; j++)
		other |= (uint64_t)(owner[j] ^ cur);
	if (hv_unlikely(other != 0)) {
		for (j = 0; j < k; j++)
			emu_rx_sub_release(nic, first + j);
		return k;
	}
	p = &nic->pool[cur];
	sp = p->free + p->n;
	last = first + k - 1;
	/* The first id on top: last, last - 1, ..., first upwards. */
	want = (rx_v4u){ last, last - 1, last - 2, last - 3 };
	for (j = 0; j + 8 <= k; j += 8) {
		memcpy(sp + j, &want, sizeof(want));
		want -= step;
		memcpy(sp + j + 4, &want, sizeof(want));
		want -= step;
	}
	for (; j < k; j++)
		sp[j] = last - j;
	memset(nic->sub_busy + first, EMU_SUB_FREE, k);
	p->n += k;
	nic->sub_nfree += k;
	return k;
}

/*
 * A packet made of blocks: each block whole (EMU_SUB_SEG, sub_link). At
 * most count ids, the links bounded. Up to 16 blocks go back highest
 * first, so that the lowest ends on top and the pool hands them out in
 * ascending order: blocks next to each other in the buffer join into
 * one for the next packet (rx_stack_segs), which heals the pieces
 * partial takes leave.
 */
#define REL_BLOCKS 16u

static uint32_t
pkt_release_blks(struct emu_nic *nic, uint32_t first)
{
	uint32_t count = nic->sub_count, x = first, v, k, n = 0, ids = 0;
	uint32_t lo[REL_BLOCKS], len[REL_BLOCKS], j, t, u;
	unsigned int nb = 0;

	while (x < count && ids < count && emu_sub_is_blk(v = nic->sub_next[x])) {
		k = v & EMU_SUB_KMASK;
		if (k == 0 || k > count - x || k > count - ids)
			k = 1;
		ids += k;
		/* The link is read before the ids go back. */
		v = (v & EMU_SUB_SEG) ? nic->sub_link[x] : EMU_SUB_NONE;
		if (nb < REL_BLOCKS) {
			/* Kept sorted, highest lo first. */
			for (j = nb++; j > 0 && lo[j - 1] < x; j--) {
				lo[j] = lo[j - 1];
				len[j] = len[j - 1];
			}
			lo[j] = x;
			len[j] = k;
		} else {
			n += release_block(nic, x, k);
		}
		x = v;
	}
	for (j = 0; j < nb; j++) {
		t = lo[j];
		u = len[j];
		n += release_block(nic, t, u);
	}
	return n;
}

uint32_t
emu_rx_pkt_release(struct emu_nic *nic, uint32_t first)
{
	/* emu_rx_sub_release per id, with the arrays and the pool being
	 * filled in locals: the byte stores would otherwise make the
	 * compiler reload them each time. A packet's ids almost always
	 * come from one pool: the loop stays in the first id's and only
	 * an id of another pool switches. A freed id's sub_next is left as
	 * it was: it is written before it is read again (emu_rx_sub_alloc,
	 * or the staging of the packet that takes the id). */
	const uint32_t *nexts = nic->sub_next;
	uint32_t count = nic->sub_count;
	uint8_t *busy = nic->sub_busy;
	const uint8_t *owner = nic->sub_pool;
	struct emu_rx_pool *p;
	uint32_t left = count, n, *sp; /* sp: the pool's stack top */
	size_t idx = first; /* an index register: no widening per id */
	unsigned int cur;

	if (first >= count)
		return 0;
	if (emu_sub_is_blk(nexts[first]))
		return pkt_release_blks(nic, first);
	cur = owner[first];
	p = &nic->pool[cur];
	sp = p->free + p->n;
	/* The chain is ours, but bound the walk all the same: at most
	 * count ids (left counts them down), each below count. */
	for (;;) {
		/* The owner compared before the byte store (which may
		 * alias it): one read of it. */
		if (hv_unlikely(owner[idx] != cur)) {
			p->n = (uint32_t)(sp - p->free);
			cur = owner[idx];
			p = &nic->pool[cur];
			sp = p->free + p->n;
		}
		busy[idx] = EMU_SUB_FREE;
		*sp = (uint32_t)idx;
		idx = nexts[idx];
		if (hv_unlikely(--left == 0 || idx >= count))
			break;
		sp++;
	}
	sp++;
	p->n = (uint32_t)(sp - p->free);
	n = count - left;
	nic->sub_nfree += n;
	return n;
}
