/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Zero-copy receive (rx_extmbuf_enable=1): frames longer than
 * rx_copybreak go to the application as mbufs whose external buffer is
 * the frame inside the host's receive buffer. The transfer-page packet
 * they came in is ACKed (its sub-allocations given back to the host)
 * only when the last mbuf of it is freed.
 *
 * Ownership: each channel has one hn_zx (hv->zx[idx]), touched only under
 * the channel lock, except the shared info's reference count (atomic, any
 * lcore) and the done ring (multi-producer enqueue from the free
 * callback, single-consumer dequeue by the Rx burst, which sends the
 * ACKs: the callback never touches the channel ring).
 */
#ifndef HN_RX_EXT_H
#define HN_RX_EXT_H

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "hn_var.h"

/* Transfer-page packets one channel may keep from the host at once. */
#define HN_ZX_SLOTS 256u

struct hn_zx;

/* One held transfer-page packet. Cache-aligned: the reference count is
 * written from any lcore. */
struct hn_zx_slot {
	struct rte_mbuf_ext_shared_info sh; /* refcnt: driver (1) + mbufs */
	struct hn_zx *zx;
	uint64_t xid;
	uint32_t bytes;  /* receive-buffer bytes its ranges span */
	uint32_t gen;    /* channel incarnation it came from */
} __rte_cache_aligned;

struct hn_zx {
	struct rte_ring *done;   /* slots whose last mbuf was freed */
	struct hn_data *hv;
	uint16_t idx;            /* channel */
	uint32_t gen;            /* bumped when the channel closes */
	bool decided;            /* the parked head packet has its mode */
	struct hn_zx_slot *cur;  /* its slot, NULL: copied */
	uint32_t held;           /* slots in use */
	uint64_t held_bytes;
	uint32_t nfree;
	uint16_t free[HN_ZX_SLOTS];
	struct hn_zx_slot slot[HN_ZX_SLOTS];
};

/* IOVA of len bytes at f in the receive buffer, RTE_BAD_IOVA unless they
 * are IOVA-contiguous (hn_rx_ext.c). */
rte_iova_t hn_zx_iova(struct hn_data *hv, const uint8_t *f, uint32_t len);

/* The parked head packet's slot (deciding its mode first), or NULL to
 * copy it. Under the channel lock. */
struct hn_zx_slot *hn_zx_begin(struct hn_rx_queue *rxq,
			       const struct hn_xfer *x);

/*
 * After a delivery of the head packet: zn frames went out as external
 * mbufs of slot s. If the packet is done and mbufs still reference it,
 * it is taken off the park without its ACK (returns true); otherwise the
 * caller ACKs as for a copied packet.
 */
bool hn_zx_end(struct hn_rx_queue *rxq, struct hn_zx_slot *s, uint32_t zn,
	       bool done);

/* Send the ACKs of packets the application has freed. Under the lock. */
void hn_zx_drain(struct hn_rx_queue *rxq, struct hn_zx *zx);

/* Port life cycle (hn_rx_ext.c). */
int hn_zx_queue_setup(struct hn_rx_queue *rxq);
void hn_zx_flush(struct hn_data *hv);
void hn_zx_chan_gone(struct hn_chan *hc);
void hn_zx_close(struct hn_data *hv);
int hn_zx_held(struct hn_data *hv);
int hn_zx_remap(struct hn_data *hv);
uint32_t hn_zx_mbufs(struct hn_data *hv);
int hn_zx_busy(const struct rte_vmbus_device *dev);

/* Frame f (len bytes, in the receive buffer) into m as an external
 * buffer of slot s; -1 (m untouched) if its IOVA is not contiguous. */
static inline int
hn_zx_attach(struct hn_data *hv, struct hn_zx_slot *s, struct rte_mbuf *m,
	     const uint8_t *f, uint32_t len)
{
	rte_iova_t iova = hn_zx_iova(hv, f, len);

	if (unlikely(iova == RTE_BAD_IOVA))
		return -1;
	rte_pktmbuf_attach_extbuf(m, (void *)(uintptr_t)f, iova, (uint16_t)len,
				  &s->sh);
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	return 0;
}

#endif /* HN_RX_EXT_H */
