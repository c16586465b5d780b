/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receive: frames are copied straight from the host's receive buffer into
 * the application's mbufs. A transfer-page packet whose frames do not all
 * fit in this burst stays parked (its frames still in the receive buffer,
 * unacknowledged) and the next burst continues it; while it is parked no
 * more data is read, so a slow application backs the host up instead of
 * losing frames. One ACK per transfer-page packet, one signal per burst.
 */
#include <errno.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_net.h>
#include <rte_prefetch.h>

#include "hn_var.h"
#include "hn_rx_ext.h"
#include "rndis_rx.h"

/* Frames up to this long are copied with one fixed-size copy. */
#define HN_RX_SMALL 64u
/* Mbufs taken from the pool at once. */
#define HN_RX_BULK 64u

/* data_off, refcnt, nb_segs and port in one store. */
static inline void
hn_rx_rearm(struct rte_mbuf *m, uint64_t v)
{
	RTE_BUILD_BUG_ON(offsetof(struct rte_mbuf, rearm_data) % 8 != 0);
	*(uint64_t *)(void *)((uint8_t *)m +
			      offsetof(struct rte_mbuf, rearm_data)) = v;
}

/* The rearm_data word of a fresh mbuf of this queue. */
static void
hn_rx_mbuf_template(struct hn_rx_queue *rxq)
{
	struct rte_mbuf mb = { .buf_len = 0 };
	uint32_t room = rte_pktmbuf_data_room_size(rxq->mp);

	mb.nb_segs = 1;
	mb.data_off = (uint16_t)RTE_MIN((uint32_t)RTE_PKTMBUF_HEADROOM, room);
	mb.port = rxq->port_id;
	rte_mbuf_refcnt_set(&mb, 1);
	memcpy(&rxq->mbuf_init, (uint8_t *)&mb +
	       offsetof(struct rte_mbuf, rearm_data), sizeof(rxq->mbuf_init));
	/* Pinned external buffers keep their flag for the mbuf's life. */
	rxq->ol_base = (rte_pktmbuf_priv_flags(rxq->mp) &
			RTE_PKTMBUF_POOL_F_PINNED_EXT_BUF) ?
		RTE_MBUF_F_EXTERNAL : 0;
	rxq->seg_room = room - mb.data_off;
}

int
hn_rx_queue_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc,
		  unsigned int socket, const struct rte_eth_rxconf *conf,
		  struct rte_mempool *mp)
{
	struct hn_data *hv = dev->data->dev_private;
	struct hn_rx_queue *rxq;
	int rc;

	RTE_SET_USED(nb_desc);
	RTE_SET_USED(conf);
	hn_rx_queue_release(dev, qid);
	rxq = rte_zmalloc_socket("hn_rxq", sizeof(*rxq), RTE_CACHE_LINE_SIZE,
				 (int)socket);
	if (rxq == NULL)
		return -ENOMEM;
	rxq->hv = hv;
	rxq->hc = hn_queue_chan(hv, qid);
	rxq->mp = mp;
	rxq->port_id = hv->port_id;
	rxq->queue_id = qid;
	hn_rx_mbuf_template(rxq);
	rc = hn_zx_queue_setup(rxq);
	if (rc != 0) {
		rte_free(rxq);
		return rc;
	}
	dev->data->rx_queues[qid] = rxq;
	return 0;
}

void
hn_rx_queue_release(struct rte_eth_dev *dev, uint16_t qid)
{
	struct hn_rx_queue *rxq = dev->data->rx_queues[qid];

	if (rxq == NULL)
		return;
	dev->data->rx_queues[qid] = NULL;
	rte_free(rxq);
}

/* Checksum flags of each combination of the host's six result bits. */
#define HN_CS(c)                                                              \
	(((c) & RNDIS_RXCSUM_IP_OK ? RTE_MBUF_F_RX_IP_CKSUM_GOOD :             \
	  (c) & RNDIS_RXCSUM_IP_FAILED ? RTE_MBUF_F_RX_IP_CKSUM_BAD : 0) |     \
	 ((c) & (RNDIS_RXCSUM_TCP_OK | RNDIS_RXCSUM_UDP_OK) ?                   \
		  RTE_MBUF_F_RX_L4_CKSUM_GOOD :                                \
	  (c) & (RNDIS_RXCSUM_TCP_FAILED | RNDIS_RXCSUM_UDP_FAILED) ?           \
		  RTE_MBUF_F_RX_L4_CKSUM_BAD : 0))
#define HN_CS4(c) HN_CS(c), HN_CS((c) + 1), HN_CS((c) + 2), HN_CS((c) + 3)
#define HN_CS16(c) HN_CS4(c), HN_CS4((c) + 4), HN_CS4((c) + 8), HN_CS4((c) + 12)
static const uint64_t hn_csum_flags[64] = {
	HN_CS16(0), HN_CS16(16), HN_CS16(32), HN_CS16(48),
};
_Static_assert((RNDIS_RXCSUM_TCP_FAILED | RNDIS_RXCSUM_UDP_FAILED |
		RNDIS_RXCSUM_IP_FAILED | RNDIS_RXCSUM_TCP_OK |
		RNDIS_RXCSUM_UDP_OK | RNDIS_RXCSUM_IP_OK) == 0x3Fu,
	       "the checksum result bits index hn_csum_flags");

/* Offload flags from the host's per-packet info. */
static inline uint64_t
hn_rx_flags(struct rte_mbuf *m, const struct rndis_rx_pkt *p,
	    struct hn_rx_queue *rxq)
{
	uint64_t fl = 0;

	if (p->present & RNDIS_META_CSUM) {
		fl = hn_csum_flags[p->csum & 0x3Fu];
		if (unlikely(fl & (RTE_MBUF_F_RX_IP_CKSUM_BAD |
				   RTE_MBUF_F_RX_L4_CKSUM_BAD)))
			rxq->st.csum_bad++;
	}
	if (unlikely(p->present & (RNDIS_META_HASH_VALUE | RNDIS_META_VLAN))) {
		if (p->present & RNDIS_META_HASH_VALUE) {
			m->hash.rss = p->hash_value;
			fl |= RTE_MBUF_F_RX_RSS_HASH;
		}
		if (p->present & RNDIS_META_VLAN) {
			/* The host always strips the tag into the PPI. */
			m->vlan_tci = p->vlan_tci;
			fl |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
		}
	}
	return fl;
}

/*
 * Packet type of a one-segment frame: exactly what rte_net_get_ptype()
 * returns for L2/L3/L4 (what dev_supported_ptypes advertises), worked out
 * inline for plain Ethernet with IPv4 (no options, not a fragment), IPv6
 * (TCP or UDP next) and non-IP frames; anything else asks the library.
 */
static inline uint32_t
hn_rx_ptype(const struct rte_mbuf *m, const uint8_t *f, uint32_t len)
{
	static const uint32_t l4[256] = {
		[IPPROTO_TCP] = RTE_PTYPE_L4_TCP,
		[IPPROTO_UDP] = RTE_PTYPE_L4_UDP,
		[IPPROTO_SCTP] = RTE_PTYPE_L4_SCTP,
	};
	uint16_t et;
	uint8_t proto;

	memcpy(&et, f + 12, sizeof(et));
	if (et == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
		uint16_t frag;

		if (len < 14 + 20 || f[14] != 0x45)
			goto slow;
		memcpy(&frag, f + 14 + 6, sizeof(frag));
		if (frag & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK |
					    RTE_IPV4_HDR_MF_FLAG))
			goto slow;
		proto = f[14 + 9];
		/* A TCP header that does not fit: rte_net says L3 only. */
		if (proto == IPPROTO_TCP && len < 14 + 20 + 20)
			goto slow;
		return RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4 | l4[proto];
	}
	if (et == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6)) {
		if (len < 14 + 40)
			goto slow;
		proto = f[14 + 6];
		if (proto == IPPROTO_UDP)
			return RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV6 |
			       RTE_PTYPE_L4_UDP;
		if (proto == IPPROTO_TCP && len >= 14 + 40 + 20)
			return RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV6 |
			       RTE_PTYPE_L4_TCP;
		goto slow;
	}
	if (et != rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN) &&
	    et != rte_cpu_to_be_16(RTE_ETHER_TYPE_QINQ) &&
	    et != rte_cpu_to_be_16(RTE_ETHER_TYPE_MPLS) &&
	    et != rte_cpu_to_be_16(RTE_ETHER_TYPE_MPLSM))
		return RTE_PTYPE_L2_ETHER;
slow:
	return rte_net_get_ptype(m, NULL, RTE_PTYPE_L2_MASK |
				 RTE_PTYPE_L3_MASK | RTE_PTYPE_L4_MASK);
}

/* Copy len bytes into m, chaining segments when one is too small. */
static int
hn_rx_copy(struct hn_rx_queue *rxq, struct rte_mbuf *m, const uint8_t *src,
	   uint32_t len)
{
	struct rte_mbuf *seg = m;
	uint32_t left = len;

	/* m comes raw from the pool: its data_len is the last user's, and
	 * the tailroom below would start after it. */
	m->data_len = 0;
	for (;;) {
		uint32_t n = RTE_MIN(left, (uint32_t)rte_pktmbuf_tailroom(seg));

		rte_memcpy(rte_pktmbuf_mtod(seg, void *), src, n);
		seg->data_len = (uint16_t)n;
		src += n;
		left -= n;
		if (left == 0)
			break;
		seg->next = rte_pktmbuf_alloc(rxq->mp);
		if (seg->next == NULL || rte_pktmbuf_tailroom(seg->next) == 0)
			return -ENOMEM;
		seg = seg->next;
		m->nb_segs++;
	}
	m->pkt_len = len;
	return 0;
}

/* A range of the receive buffer (a private copy) that lies inside it. */
static inline bool
hn_rx_range_ok(const struct vmbus_xfer_page_range *r, uint32_t size)
{
	/* Subtract instead of adding: offset + count may wrap. */
	return r->byte_count != 0 && r->byte_offset <= size &&
	       r->byte_count <= size - r->byte_offset;
}

/* Messages of another layout than the common one (rndis_rx.h): out of
 * line, so that the receive loop keeps its registers. */
static __rte_noinline int
hn_rx_parse(const uint8_t *msg, uint32_t len, struct rndis_rx_pkt *p)
{
	return rndis_rx_parse(msg, len, p);
}

/*
 * Deliver frames of the parked packet; returns how many. Mbufs come raw
 * from the pool in one bulk get (a pool's mbufs are one segment, refcnt
 * 1, next NULL) and are set up with one store of the rearm template.
 * Compiled twice: zc (zero-copy receive, hn_rx_ext.h) is a constant, so
 * the copy-only instance is the plain copy path.
 */
static __rte_always_inline uint16_t
hn_rx_deliver_t(struct hn_rx_queue *rxq, struct rte_mbuf **pkts, uint16_t n,
		const bool zc)
{
	struct hn_chan *hc = rxq->hc;
	struct hn_data *hv = rxq->hv;
	struct hn_xfer *x = hn_chan_parked(hc);
	const uint8_t *rb = hv->recv_buf;
	const uint32_t rsize = hv->recv_size;
	const uint32_t max_len = hv->max_frame + RTE_VLAN_HLEN;
	const uint64_t mbuf_init = rxq->mbuf_init;
	const uint32_t seg_room = rxq->seg_room;
	const uint64_t ol_base = rxq->ol_base;
	struct rte_mbuf *pool[HN_RX_BULK];
	uint32_t want = RTE_MIN((uint32_t)n, x->count - x->next);
	const struct vmbus_xfer_page_range *rr = x->r;
	uint32_t next = x->next, count = x->count;
	uint64_t bytes = 0;
	uint32_t nb = 0, np;
	struct hn_zx_slot *zs = NULL;
	uint32_t zn = 0;

	want = RTE_MIN(want, HN_RX_BULK);
	if (likely(rte_mempool_get_bulk(rxq->mp, (void **)pool, want) == 0)) {
		np = want;
	} else if (rte_mempool_get(rxq->mp, (void **)pool) == 0) {
		np = 1;
	} else {
		rxq->st.nombuf++;
		return 0;
	}
	if (zc)
		zs = hn_zx_begin(rxq, x);
	while (next < count && nb < np) {
		const struct vmbus_xfer_page_range r = rr[next];
		const uint8_t *msg, *f;
		struct rndis_rx_pkt p;
		struct rte_mbuf *m;
		bool ext = false;

		if (next + 1 < count) {
			/* Header and (where hosts put it) the frame. */
			const uint8_t *nx = rb + rr[next + 1].byte_offset;

			rte_prefetch0(nx);
			rte_prefetch0(nx + 256);
		}
		next++;
		if (unlikely(!hn_rx_range_ok(&r, rsize))) {
			hn_bad(hc, HN_BAD_RANGE, "data range offset", r.byte_offset);
			continue;
		}
		msg = rb + r.byte_offset;
		if (likely(rndis_rx_parse_csum1(msg, r.byte_count, &p)))
			;
		else if (unlikely(hn_rx_parse(msg, r.byte_count, &p) != 0)) {
			hn_bad(hc, HN_BAD_RNDIS, "rndis data msg_len", r.byte_count);
			rxq->st.errors++;
			continue;
		}
		if (unlikely(p.data_len > max_len)) {
			hn_bad(hc, HN_BAD_FRAME_LEN, "data_len", p.data_len);
			rxq->st.errors++;
			continue;
		}
		m = pool[nb];
		hn_rx_rearm(m, mbuf_init);
		f = msg + p.data_off;
		if (zc && p.data_len > rxq->copybreak) {
			if (zs != NULL && hn_zx_attach(hv, zs, m, f, p.data_len) == 0) {
				ext = true;
				zn++;
				rxq->st.extbuf++;
				goto filled;
			}
			if (zs == NULL)
				rxq->st.extbuf_fallback++;
			else
				rxq->st.extbuf_noncontig++;
		}
		if (likely(p.data_len <= HN_RX_SMALL && HN_RX_SMALL <= seg_room &&
			   (uint64_t)p.data_off + HN_RX_SMALL <= r.byte_count)) {
			/* Small frame: one fixed-size copy (the bytes past it
			 * come from the same validated range, land in tailroom
			 * and are never part of the frame). */
			memcpy(rte_pktmbuf_mtod(m, void *), f, HN_RX_SMALL);
			m->data_len = (uint16_t)p.data_len;
			m->pkt_len = p.data_len;
		} else if (likely(p.data_len <= seg_room)) {
			rte_memcpy(rte_pktmbuf_mtod(m, void *), f, p.data_len);
			m->data_len = (uint16_t)p.data_len;
			m->pkt_len = p.data_len;
		} else if (hn_rx_copy(rxq, m, f, p.data_len) != 0) {
			/* The frame stays parked for the next burst. */
			next--;
			rte_pktmbuf_free(m);
			if (nb + 1u < np)
				rte_mempool_put_bulk(rxq->mp, (void **)(pool + nb + 1),
						     np - nb - 1u);
			rxq->st.nombuf++;
			np = nb;
			break;
		}
filled:
		m->ol_flags = ol_base | hn_rx_flags(m, &p, rxq) |
			      (ext ? RTE_MBUF_F_EXTERNAL : 0);
		/* Read from our copy: the host may rewrite the buffer. */
		m->packet_type = hn_rx_ptype(m, rte_pktmbuf_mtod(m, uint8_t *),
					     m->data_len);
		bytes += p.data_len;
		hn_size_add(&rxq->st.sz, hn_size_class(m));
		pkts[nb++] = m;
	}
	if (nb < np)
		rte_mempool_put_bulk(rxq->mp, (void **)(pool + nb), np - nb);
	x->next = next;
	rxq->st.bytes += bytes;
	if (zc && hn_zx_end(rxq, zs, zn, next == count))
		return (uint16_t)nb; /* ACKed when the frames are freed */
	if (next == count) {
		hn_chan_ack_xfer(hc);
		rxq->st.acks++;
	}
	return (uint16_t)nb;
}

static uint16_t
hn_rx_deliver(struct hn_rx_queue *rxq, struct rte_mbuf **pkts, uint16_t n)
{
	return hn_rx_deliver_t(rxq, pkts, n, false);
}

static uint16_t
hn_rx_deliver_zc(struct hn_rx_queue *rxq, struct rte_mbuf **pkts, uint16_t n)
{
	return hn_rx_deliver_t(rxq, pkts, n, true);
}

/* The burst proper, with the channel lock held; releases it. */
static __rte_noinline uint16_t
hn_recv_locked(struct hn_rx_queue *rxq, struct rte_mbuf **pkts, uint16_t n)
{
	struct hn_chan *hc = rxq->hc;
	struct hn_zx *zx = NULL;
	unsigned int polls = 0;
	uint16_t nb = 0;
	int rc;

	if (rxq->zc) {
		zx = rxq->hv->zx[hc->idx];
		if (zx != NULL)
			hn_zx_drain(rxq, zx);
	}
	/* Bounded: a host writing control packets forever cannot hold us. */
	while (nb < n && polls++ < 8) {
		uint32_t before;
		uint64_t nombuf;

		/* Drain the ring first: the host waits for its room. */
		if (hc->park_n < HN_RX_AHEAD) {
			rc = hn_chan_poll(hc, HN_POLL_RX, 32);
			if (rc < 0 && hc->park_n == 0)
				break;
		}
		if (hc->park_n == 0)
			break;
		/* Each delivery may ACK one packet: never more than the
		 * backlog holds while the host is not reading our ring. */
		if (unlikely(hc->nacks == HN_ACK_BACKLOG)) {
			hn_chan_flush_acks(hc);
			if (hc->nacks == HN_ACK_BACKLOG)
				break;
		}
		before = hc->park_n;
		nombuf = rxq->st.nombuf;
		if (zx != NULL)
			nb += hn_rx_deliver_zc(rxq, pkts + nb, n - nb);
		else
			nb += hn_rx_deliver(rxq, pkts + nb, n - nb);
		if (unlikely(rxq->st.nombuf != nombuf)) {
			/*
			 * The pool is empty: its mbufs may be page-buffer
			 * sends whose completions wait in the ring behind
			 * receive data. Park that data to get them (the
			 * application may not call tx_burst while it
			 * receives nothing).
			 */
			(void)hn_chan_poll(hc, HN_POLL_TX, 256);
			break;
		}
		if (hc->park_n == before)
			break; /* burst full */
	}
	if (hc->need_sig) {
		hc->need_sig = false;
		(void)rte_vmbus_chan_signal(hc->chan);
	}
	rte_spinlock_unlock(&hc->lock);
	rxq->st.packets += nb;
	return nb;
}

uint16_t
hn_recv_pkts(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	struct hn_rx_queue *rxq = q;
	struct hn_chan *hc = rxq->hc;

	if (unlikely(rxq->hv->dead) || !rte_spinlock_trylock(&hc->lock))
		return 0;
	hc->rx_bursts++;
	/*
	 * Nothing parked, owed or new: a poll of an idle queue costs this
	 * test, not a burst's setup (a polling application spends most of
	 * its calls here while it waits, and the sooner it looks again the
	 * sooner it sees the host's next packet). Zero-copy queues always
	 * take the burst: it returns the buffers the application freed.
	 */
	if (hc->park_n == 0 && hc->nacks == 0 && !hc->need_sig && !rxq->zc &&
	    rte_vmbus_chan_rx_empty(hc->chan)) {
		rte_spinlock_unlock(&hc->lock);
		return 0;
	}
	return hn_recv_locked(rxq, pkts, n);
}
