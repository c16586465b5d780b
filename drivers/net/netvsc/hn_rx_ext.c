/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Zero-copy receive: slots of held transfer-page packets, the deferred
 * ACKs, the receive buffer's IOVAs, and the rules at stop and close.
 *
 * The rule at close: a port may close while the application still holds
 * external mbufs (their packets are simply never ACKed: the host takes
 * its buffer back with the channel), but the receive buffer stays mapped
 * and the slots they reference stay allocated until every one is freed;
 * removing the device (which unmaps the buffer) is refused with -EBUSY
 * until then.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_malloc.h>
#include <rte_memory.h>

#include "hn_rx_ext.h"

/* Closed ports' channels whose packets the application still holds. */
static struct hn_zx_orphan {
	struct hn_zx *zx;
	const struct rte_vmbus_device *dev;
	struct hn_zx_orphan *next;
} *hn_zx_orphans;
static rte_spinlock_t hn_zx_orphans_lock = RTE_SPINLOCK_INITIALIZER;
static uint32_t hn_zx_serial;

/* The last mbuf of a held packet was freed, on any lcore: hand the slot
 * to the channel's Rx burst, which sends the ACK. The ring holds every
 * slot, so the enqueue cannot fail. */
static void
hn_zx_free_cb(void *addr, void *opaque)
{
	struct hn_zx_slot *s = opaque;

	RTE_SET_USED(addr);
	(void)rte_ring_mp_enqueue(s->zx->done, s);
}

static void
hn_zx_put(struct hn_zx *zx, struct hn_zx_slot *s)
{
	zx->held--;
	zx->held_bytes -= s->bytes;
	zx->free[zx->nfree++] = (uint16_t)(s - zx->slot);
}

/*
 * The receive buffer's IOVA by 4 KiB page, looked up once at the first
 * zero-copy queue setup. It is not DPDK memory: the kernel allocated it
 * page by page, so with IOVA as PA each page's frame comes from the
 * pagemap (one read for the whole buffer, after touching every page: a
 * page not faulted in has no frame there). A page without one stays
 * RTE_BAD_IOVA and its frames are copied.
 */
static int
hn_zx_iova_table(struct hn_data *hv)
{
	size_t n = ((size_t)hv->recv_size + HV_PAGE_SIZE - 1) >> HV_PAGE_SHIFT;
	size_t psz = (size_t)sysconf(_SC_PAGESIZE), nsys, i, good = 0;
	uintptr_t base = (uintptr_t)hv->recv_buf;
	uint64_t *ent = NULL;
	int fd = -1;

	hv->rb_iova = rte_malloc("hn_rb_iova", sizeof(rte_iova_t) * n, 0);
	if (hv->rb_iova == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		hv->rb_iova[i] = RTE_BAD_IOVA;
	if (rte_eal_iova_mode() == RTE_IOVA_VA) {
		for (i = 0; i < n; i++)
			hv->rb_iova[i] = base + i * HV_PAGE_SIZE;
		return 0;
	}
	if (psz < HV_PAGE_SIZE || base % psz != 0)
		goto out;
	nsys = ((size_t)hv->recv_size + psz - 1) / psz;
	for (i = 0; i < nsys; i++)
		(void)*(volatile const uint8_t *)(base + i * psz);
	ent = malloc(nsys * sizeof(*ent));
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (ent == NULL || fd < 0 ||
	    pread(fd, ent, nsys * sizeof(*ent), (off_t)(base / psz * sizeof(*ent))) !=
	    (ssize_t)(nsys * sizeof(*ent)))
		goto out;
	for (i = 0; i < n; i++) {
		size_t at = i * HV_PAGE_SIZE;
		uint64_t e = ent[at / psz];
		uint64_t pfn = e & ((UINT64_C(1) << 55) - 1);

		if (!(e >> 63) || pfn == 0)
			continue;
		hv->rb_iova[i] = pfn * psz + at % psz;
		good++;
	}
out:
	if (fd >= 0)
		close(fd);
	free(ent);
	if (good < n)
		HN_LOG(WARNING, "port %u: %zu of %zu receive-buffer pages have no"
		       " IOVA (pagemap unreadable?): their frames are copied",
		       hv->port_id, n - good, n);
	return 0;
}

static inline rte_iova_t
hn_zx_page(const struct hn_data *hv, uint32_t pg)
{
	return hv->rb_iova[pg];
}

rte_iova_t
hn_zx_iova(struct hn_data *hv, const uint8_t *f, uint32_t len)
{
	size_t off = (size_t)(f - hv->recv_buf);
	uint32_t pg = (uint32_t)(off >> HV_PAGE_SHIFT);
	uint32_t last = (uint32_t)((off + len - 1) >> HV_PAGE_SHIFT);
	rte_iova_t first = hn_zx_page(hv, pg);
	uint32_t p;

	if (first == RTE_BAD_IOVA)
		return RTE_BAD_IOVA;
	/* The receive buffer is not IOVA-contiguous (the kernel allocates
	 * it page by page): a frame across pages that are not adjacent has
	 * no single IOVA and is copied. */
	for (p = pg + 1; p <= last; p++)
		if (hn_zx_page(hv, p) !=
		    first + (rte_iova_t)(p - pg) * HV_PAGE_SIZE)
			return RTE_BAD_IOVA;
	return first + (off & HV_PAGE_MASK);
}

struct hn_zx_slot *
hn_zx_begin(struct hn_rx_queue *rxq, const struct hn_xfer *x)
{
	struct hn_data *hv = rxq->hv;
	struct hn_zx *zx = hv->zx[rxq->hc->idx];
	uint64_t bytes = 0, budget;
	struct hn_zx_slot *s;
	uint32_t i;

	if (zx->decided)
		return zx->cur;
	zx->decided = true;
	zx->cur = NULL;
	for (i = x->next; i < x->count; i++)
		bytes += RTE_MIN(x->r[i].byte_count, hv->recv_size);
	/*
	 * Each channel may hold half of its share of the receive buffer
	 * (the host splits it between the active queues); past that the
	 * packet is copied, so a slow application cannot starve the host.
	 */
	budget = hv->recv_size / (2u * RTE_MAX(hv->nchan, 1u));
	if (zx->nfree == 0 || zx->held_bytes + bytes > budget)
		return NULL;
	s = &zx->slot[zx->free[--zx->nfree]];
	s->xid = x->xid;
	s->bytes = (uint32_t)RTE_MIN(bytes, (uint64_t)UINT32_MAX);
	s->gen = zx->gen;
	rte_mbuf_ext_refcnt_set(&s->sh, 1);
	zx->held++;
	zx->held_bytes += s->bytes;
	zx->cur = s;
	return s;
}

bool
hn_zx_end(struct hn_rx_queue *rxq, struct hn_zx_slot *s, uint32_t zn,
	  bool done)
{
	struct hn_chan *hc = rxq->hc;
	struct hn_zx *zx = rxq->hv->zx[hc->idx];

	/* One update for the burst's frames, before the application can
	 * free any of them. */
	if (s != NULL && zn != 0)
		(void)rte_mbuf_ext_refcnt_update(&s->sh, (int16_t)zn);
	if (!done)
		return false;
	zx->decided = false;
	zx->cur = NULL;
	if (s == NULL)
		return false;
	/* Drop the driver's reference: the last one ACKs. */
	if (rte_mbuf_ext_refcnt_update(&s->sh, -1) == 0) {
		hn_zx_put(zx, s);
		return false;
	}
	rxq->st.acks_deferred++;
	hn_chan_unpark(hc);
	return true;
}

/* ACK what the application freed, as far as the ACK backlog has room. */
static void
hn_zx_drain_chan(struct hn_zx *zx, struct hn_chan *hc, struct hn_rx_stats *st)
{
	void *v[32];
	unsigned int n, i;

	while (rte_ring_count(zx->done) != 0 && hc->nacks < HN_ACK_BACKLOG) {
		n = rte_ring_sc_dequeue_burst(zx->done, v,
			RTE_MIN(RTE_DIM(v), HN_ACK_BACKLOG - hc->nacks), NULL);
		for (i = 0; i < n; i++) {
			struct hn_zx_slot *s = v[i];

			if (s->gen == zx->gen && hc->chan != NULL &&
			    !hc->hv->dead) {
				hn_chan_ack(hc, s->xid);
				if (st != NULL)
					st->acks++;
			}
			hn_zx_put(zx, s);
		}
	}
}

void
hn_zx_drain(struct hn_rx_queue *rxq, struct hn_zx *zx)
{
	if (rte_ring_count(zx->done) != 0)
		hn_zx_drain_chan(zx, rxq->hc, &rxq->st);
}

/* Slots the application freed after the channel closed: no ACK. */
static void
hn_zx_drop_done(struct hn_zx *zx)
{
	void *s;

	while (rte_ring_sc_dequeue(zx->done, &s) == 0)
		hn_zx_put(zx, s);
}

static struct hn_zx *
hn_zx_create(struct hn_data *hv, uint16_t idx)
{
	char name[RTE_RING_NAMESIZE];
	struct hn_zx *zx;
	uint32_t i;

	zx = rte_zmalloc_socket("hn_zx", sizeof(*zx), RTE_CACHE_LINE_SIZE,
				hv->vmbus->device.numa_node);
	if (zx == NULL)
		return NULL;
	snprintf(name, sizeof(name), "hn_zx%u_%u_%u", hv->port_id, idx,
		 __atomic_fetch_add(&hn_zx_serial, 1, __ATOMIC_RELAXED));
	zx->done = rte_ring_create(name, HN_ZX_SLOTS,
				   hv->vmbus->device.numa_node,
				   RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (zx->done == NULL) {
		rte_free(zx);
		return NULL;
	}
	zx->idx = idx;
	for (i = 0; i < HN_ZX_SLOTS; i++) {
		zx->slot[i].zx = zx;
		zx->slot[i].sh.free_cb = hn_zx_free_cb;
		zx->slot[i].sh.fcb_opaque = &zx->slot[i];
		zx->free[i] = (uint16_t)(HN_ZX_SLOTS - 1 - i);
	}
	zx->nfree = HN_ZX_SLOTS;
	return zx;
}

static void
hn_zx_free(struct hn_zx *zx)
{
	rte_ring_free(zx->done);
	rte_free(zx);
}

int
hn_zx_queue_setup(struct hn_rx_queue *rxq)
{
	struct hn_data *hv = rxq->hv;
	uint16_t idx = rxq->hc->idx;

	rxq->zc = false;
	if (!hv->rx_extmbuf)
		return 0;
	if (rxq->ol_base & RTE_MBUF_F_EXTERNAL) {
		HN_LOG(ERR, "port %u rx queue %u: rx_extmbuf_enable needs a mempool"
		       " without pinned external buffers", hv->port_id,
		       rxq->queue_id);
		return -ENOTSUP;
	}
	if (hv->rb_iova == NULL) {
		int rc = hn_zx_iova_table(hv);

		if (rc != 0)
			return rc;
	}
	/* Every channel a queue may be moved to later gets its state now. */
	for (uint32_t i = 0; i < HN_MAX_CHANNELS; i++) {
		if (hv->zx[i] != NULL || (i != idx && i >= hv->max_queues))
			continue;
		hv->zx[i] = hn_zx_create(hv, (uint16_t)i);
		if (hv->zx[i] == NULL)
			return -ENOMEM;
	}
	rxq->zc = true;
	rxq->copybreak = hv->rx_copybreak;
	return 0;
}

/* At stop and before close: the ACKs of everything already freed. */
void
hn_zx_flush(struct hn_data *hv)
{
	uint32_t i;

	for (i = 0; i < HN_MAX_CHANNELS; i++) {
		struct hn_zx *zx = hv->zx[i];
		struct hn_chan *hc = &hv->chans[i];

		if (zx == NULL || hc->chan == NULL)
			continue;
		rte_spinlock_lock(&hc->lock);
		hn_zx_drain_chan(zx, hc, NULL);
		if (hc->nacks != 0)
			hn_chan_flush_acks(hc);
		if (hc->need_sig) {
			hc->need_sig = false;
			(void)rte_vmbus_chan_signal(hc->chan);
		}
		rte_spinlock_unlock(&hc->lock);
	}
}

/* The channel closed (under no lock: nobody reads it any more): its
 * packets' ACKs are void, the host took its buffer back. */
void
hn_zx_chan_gone(struct hn_chan *hc)
{
	struct hn_zx *zx;

	if (hc->hv == NULL || hc->idx >= HN_MAX_CHANNELS)
		return;
	zx = hc->hv->zx[hc->idx];
	if (zx == NULL)
		return;
	zx->gen++;
	if (zx->decided && zx->cur != NULL &&
	    rte_mbuf_ext_refcnt_update(&zx->cur->sh, -1) == 0)
		hn_zx_put(zx, zx->cur);
	zx->decided = false;
	zx->cur = NULL;
	hn_zx_drop_done(zx);
}

/* After the channels closed. */
void
hn_zx_close(struct hn_data *hv)
{
	uint32_t i, held = 0;

	for (i = 0; i < HN_MAX_CHANNELS; i++) {
		struct hn_zx *zx = hv->zx[i];
		struct hn_zx_orphan *o;

		if (zx == NULL)
			continue;
		hv->zx[i] = NULL;
		hn_zx_drop_done(zx);
		if (zx->held == 0) {
			hn_zx_free(zx);
			continue;
		}
		held += zx->held;
		o = malloc(sizeof(*o));
		if (o == NULL)
			continue; /* kept forever: never freed under the mbufs */
		o->zx = zx;
		o->dev = hv->vmbus;
		rte_spinlock_lock(&hn_zx_orphans_lock);
		o->next = hn_zx_orphans;
		hn_zx_orphans = o;
		rte_spinlock_unlock(&hn_zx_orphans_lock);
	}
	if (held != 0)
		HN_LOG(ERR, "port %u: closed while the application holds zero-copy"
		       " mbufs of %u receive packets: the receive buffer stays"
		       " mapped, the device cannot be removed until they are freed",
		       hv->port_id, held);
	rte_free(hv->rb_iova);
	hv->rb_iova = NULL;
}

/* A new session (MTU change, nothing held): the receive buffer was
 * mapped again, its IOVA table is read again. */
int
hn_zx_remap(struct hn_data *hv)
{
	if (hv->rb_iova == NULL)
		return 0;
	rte_free(hv->rb_iova);
	hv->rb_iova = NULL;
	return hn_zx_iova_table(hv);
}

/* Receive packets of an open port the application holds. */
int
hn_zx_held(struct hn_data *hv)
{
	int held = 0;
	uint32_t i;

	for (i = 0; i < HN_MAX_CHANNELS; i++) {
		const struct hn_zx *zx = hv->zx[i];

		if (zx == NULL)
			continue;
		held += (int)zx->held - (int)rte_ring_count(zx->done);
		/* The packet being delivered holds the driver's reference. */
		if (zx->decided && zx->cur != NULL &&
		    rte_mbuf_ext_refcnt_read(&zx->cur->sh) == 1)
			held--;
	}
	return held;
}

/* Zero-copy mbufs of an open port the application holds: the slots'
 * reference counts (a free or done slot's is 0) less the driver's own. */
uint32_t
hn_zx_mbufs(struct hn_data *hv)
{
	uint32_t i, k, n = 0;

	for (i = 0; i < HN_MAX_CHANNELS; i++) {
		const struct hn_zx *zx = hv->zx[i];

		if (zx == NULL)
			continue;
		for (k = 0; k < HN_ZX_SLOTS; k++)
			n += rte_mbuf_ext_refcnt_read(&zx->slot[k].sh);
		if (zx->decided && zx->cur != NULL && n > 0)
			n--;
	}
	return n;
}

/* Receive packets of dev's closed ports still held (0: may unmap). */
int
hn_zx_busy(const struct rte_vmbus_device *dev)
{
	struct hn_zx_orphan **pp, *o;
	int held = 0;

	rte_spinlock_lock(&hn_zx_orphans_lock);
	for (pp = &hn_zx_orphans; (o = *pp) != NULL;) {
		if (o->dev != dev) {
			pp = &o->next;
			continue;
		}
		hn_zx_drop_done(o->zx);
		if (o->zx->held == 0) {
			*pp = o->next;
			hn_zx_free(o->zx);
			free(o);
			continue;
		}
		held += (int)o->zx->held;
		pp = &o->next;
	}
	rte_spinlock_unlock(&hn_zx_orphans_lock);
	return held;
}
