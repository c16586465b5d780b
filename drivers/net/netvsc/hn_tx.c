/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transmit. Frames up to tx_copybreak (by default every frame that fits
 * a section) are copied into a send-buffer section, several
 * RNDIS messages per section up to the host's limits (packets per message
 * and transfer size from RNDIS INIT, alignment between messages), and the
 * mbuf is freed at once. Larger or segmented frames go as a page-buffer
 * packet: the RNDIS header from a per-descriptor slot, then the mbuf data
 * by IOVA split at 4 KiB Hyper-V pages, at most HN_GPA_MAX entries (else
 * the frame is copied). The mbuf is freed when the host completes it.
 *
 * Every send carries a transaction id from the queue's hv_xact table
 * (tagged with the queue and its setup epoch, a generation per slot) that
 * the completion echoes. Only a completion naming a send still pending
 * frees its descriptor; anything else (forged, duplicated, or late: the
 * send's queue was set up again since) is counted and logged, never acted
 * on. Statistics count a frame when the host got it (the VMBus send
 * succeeded), not when the application handed it over.
 *
 * A send still not completed when the port stops is counted lost but
 * not taken back: the host may still read its section, header slot and
 * mbuf. Its descriptor stays out of use ("abandoned") until its
 * completion comes after all, or the session that held it ends.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memzone.h>

#include "hn_var.h"

#define HN_NO_SECTION UINT32_MAX
/* The no-PPI RNDIS header of the fast path (msg_len, data_len patched). */
#define HN_TX_HDR0 ((uint32_t)sizeof(struct rndis_packet_msg))
/*
 * A page-buffer send holds its mbuf until the host completes it, so the
 * ring size is the most mbufs a queue keeps from the application: honour
 * the nb_desc it asked for (its mempool was sized for that), else the
 * queue can hold the whole pool and an application that only transmits
 * (it allocates before each burst) never calls us again to reap.
 */
#define HN_TXD_MIN 32u
#define HN_TXD_MAX 4096u
/* How long stop waits for completions before reclaiming. */
#define HN_RECLAIM_MS 1000u

_Static_assert(HN_TX_TAG(HN_MAX_CHANNELS - 1u, HN_TX_TAG_EPOCHS - 1u) <=
	       HV_XACT_TAG_MAX, "Tx tag must fit the hv_xact tag field");

int
hn_tx_queue_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc,
		  unsigned int socket, const struct rte_eth_txconf *conf)
{
	struct hn_data *hv = dev->data->dev_private;
	char name[RTE_MEMZONE_NAMESIZE];
	struct hn_tx_queue *txq;
	uint32_t i, n;

	RTE_SET_USED(conf);
	n = RTE_MIN(RTE_MAX((uint32_t)nb_desc, HN_TXD_MIN), HN_TXD_MAX);
	hn_tx_queue_release(dev, qid);
	txq = rte_zmalloc_socket("hn_txq", sizeof(*txq), RTE_CACHE_LINE_SIZE,
				 (int)socket);
	if (txq == NULL)
		return -ENOMEM;
	txq->hv = hv;
	txq->hc = hn_queue_chan(hv, qid);
	txq->port_id = hv->port_id;
	txq->queue_id = qid;
	txq->ntxd = n;
	txq->agg_txd = -1;
	txq->txd = rte_zmalloc_socket("hn_txd", n * sizeof(*txq->txd),
				      RTE_CACHE_LINE_SIZE, (int)socket);
	txq->free_txd = rte_malloc_socket("hn_txfree", n * sizeof(uint32_t),
					  RTE_CACHE_LINE_SIZE, (int)socket);
	txq->xslots = rte_malloc_socket("hn_txxact", n * sizeof(*txq->xslots),
					RTE_CACHE_LINE_SIZE, (int)socket);
	txq->sec_nwords = HV_SECTION_WORDS(RTE_MAX(hv->sec_count, 1u));
	txq->sec_words = rte_malloc_socket("hn_secmap",
					   txq->sec_nwords * sizeof(uint64_t),
					   RTE_CACHE_LINE_SIZE, (int)socket);
	snprintf(name, sizeof(name), "hn_txh_%u_%u", hv->port_id, qid);
	/* Headers are read by the host by IOVA: one contiguous, page-aligned
	 * zone whose slots never straddle a page. */
	txq->hdr_mz = rte_memzone_reserve_aligned(name, (size_t)n * HN_TXHDR_SLOT,
						  (int)socket, RTE_MEMZONE_IOVA_CONTIG,
						  HV_PAGE_SIZE);
	if (txq->txd == NULL || txq->free_txd == NULL || txq->sec_words == NULL ||
	    txq->xslots == NULL || txq->hdr_mz == NULL) {
		dev->data->tx_queues[qid] = txq;
		hn_tx_queue_release(dev, qid);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		txq->free_txd[i] = n - 1 - i;
	txq->nfree_txd = n;
	/* A new epoch: ids of this queue's earlier setups are unknown here. */
	if (hv_xact_init_tagged(&txq->xact, txq->xslots, n, 0,
				HN_TX_TAG(qid, hv->tx_epoch++)) != 0 ||
	    rndis_tmpl_init(&txq->tmpl[0], 0, 0) != 0 ||
	    txq->tmpl[0].hdr_len != HN_TX_HDR0 ||
	    rndis_tmpl_init(&txq->tmpl[1], RNDIS_META_VLAN, 0) != 0 ||
	    nvsp_build_rndis_pkt(txq->nv_pagebuf, sizeof(txq->nv_pagebuf),
				 NVSP_CHANNEL_TYPE_DATA, NVSP_SECTION_INDEX_NONE,
				 0) < 0) {
		dev->data->tx_queues[qid] = txq;
		hn_tx_queue_release(dev, qid);
		return -EINVAL;
	}
	dev->data->tx_queues[qid] = txq;
	return 0;
}

void
hn_tx_queue_release(struct rte_eth_dev *dev, uint16_t qid)
{
	struct hn_tx_queue *txq = dev->data->tx_queues[qid];
	uint32_t i;

	if (txq == NULL)
		return;
	if (txq->nabandoned != 0 && txq->hv->session_started && !txq->hv->dead)
		HN_LOG(WARNING, "port %u txq %u: released with %u sends the host"
		       " has not completed (it may still read their buffers)",
		       txq->port_id, txq->queue_id, txq->nabandoned);
	dev->data->tx_queues[qid] = NULL;
	if (txq->txd != NULL)
		for (i = 0; i < txq->ntxd; i++)
			rte_pktmbuf_free(txq->txd[i].m);
	rte_memzone_free(txq->hdr_mz);
	rte_free(txq->txd);
	rte_free(txq->free_txd);
	rte_free(txq->xslots);
	rte_free(txq->sec_words);
	rte_free(txq);
}

static uint32_t hn_tx_agg_max(const struct hn_data *hv);
static void hn_tx_free_done(struct hn_tx_queue *txq);

static inline void hn_txd_put(struct hn_tx_queue *txq, uint32_t idx);

/*
 * Abandoned sends whose slice is about to be rebuilt. After a new
 * session the host that held them is gone (their channel was closed);
 * within the same session (the queue layout changed) it may still read
 * them, which is logged.
 */
static void
hn_tx_release_abandoned(struct hn_tx_queue *txq, bool same_session)
{
	uint32_t i, n = txq->nabandoned;

	if (n == 0)
		return;
	for (i = 0; i < txq->ntxd; i++)
		if (txq->txd[i].abandoned)
			hn_txd_put(txq, i);
	if (same_session)
		HN_LOG(WARNING, "port %u txq %u: the send-buffer layout changed:"
		       " %u sends the host never completed are released",
		       txq->port_id, txq->queue_id, n);
}

/* Give each Tx queue its own slice of the send buffer (no shared lock). */
int
hn_tx_slice_sections(struct hn_data *hv)
{
	struct rte_eth_dev_data *d = hv->data;
	uint16_t nq = d->nb_tx_queues, q;

	if (nq == 0)
		return 0;
	for (q = 0; q < nq; q++) {
		struct hn_tx_queue *txq = d->tx_queues[q];
		uint32_t base = 0, cnt = 0;

		if (txq == NULL)
			continue;
		if (HV_SECTION_WORDS(hv->sec_count) > txq->sec_nwords) {
			/* A new session (MTU change) with more sections. */
			uint32_t nw = HV_SECTION_WORDS(hv->sec_count);
			uint64_t *w = rte_malloc_socket("hn_secmap",
							nw * sizeof(uint64_t),
							RTE_CACHE_LINE_SIZE,
							txq->hdr_mz->socket_id);

			if (w != NULL) {
				rte_free(txq->sec_words);
				txq->sec_words = w;
				txq->sec_nwords = nw;
			}
		}
		(void)hv_section_slice(hv->sec_count, nq, q, &base, &cnt);
		if (txq->sec_ready && txq->sec_session == hv->session_gen &&
		    txq->sec_base == base && txq->nsec == cnt && cnt != 0) {
			/* Same slice of the same send buffer: keep the map,
			 * abandoned sends keep their sections. */
		} else {
			hn_tx_release_abandoned(txq, txq->sec_session ==
						hv->session_gen);
			if (cnt == 0 ||
			    HV_SECTION_WORDS(hv->sec_count) > txq->sec_nwords ||
			    hv_section_init(&txq->secmap, txq->sec_words,
					    HV_SECTION_WORDS(hv->sec_count),
					    base, cnt) != 0)
				cnt = 0;
			txq->nsec = cnt;
			txq->sec_base = base;
			txq->sec_session = hv->session_gen;
			txq->sec_ready = cnt != 0;
			txq->sec_cursor = 0;
		}
		txq->agg_max = hn_tx_agg_max(hv);
		/* Frames the fast path copies: 1..fast_max bytes. */
		txq->fast_max = cnt == 0 || txq->agg_max <= HN_TX_HDR0 ? 0 :
			RTE_MIN(hv->tx_copybreak, txq->agg_max - HN_TX_HDR0);
	}
	return 0;
}

static inline void
hn_txd_put(struct hn_tx_queue *txq, uint32_t idx)
{
	struct hn_txd *d = &txq->txd[idx];

	/* Given up on (reclaim, failed send): its completion, should it
	 * still come, counts as late. */
	if (d->xid != 0) {
		(void)hv_xact_cancel(&txq->xact, d->xid, NULL);
		d->xid = 0;
	}
	if (d->abandoned) {
		d->abandoned = false;
		txq->nabandoned--;
	}
	if (d->m != NULL) {
		rte_pktmbuf_free(d->m);
		d->m = NULL;
	}
	/* Our own index, so a refusal means our bookkeeping broke. */
	if (d->section != HN_NO_SECTION &&
	    hv_section_give(&txq->secmap, d->section) != 0)
		HN_LOG(ERR, "port %u txq %u: section %u not ours to free",
		       txq->port_id, txq->queue_id, d->section);
	d->in_use = false;
	txq->free_txd[txq->nfree_txd++] = idx;
}

/*
 * A host that has not completed a send within host_timeout of the stop
 * that abandoned it never will (a live host completes every send, late
 * at worst): its descriptor is taken back when the queue runs short, so
 * a lost completion costs capacity for a while, never for good.
 */
static bool
hn_tx_expire_abandoned(struct hn_tx_queue *txq)
{
	uint64_t now = rte_get_timer_cycles();
	uint64_t tmo = rte_get_timer_hz() * txq->hv->host_timeout_ms / 1000;
	uint32_t i, n = 0;

	for (i = 0; i < txq->ntxd && txq->nabandoned != 0; i++) {
		struct hn_txd *d = &txq->txd[i];

		if (!d->abandoned || now - d->abandoned_at < tmo)
			continue;
		hn_txd_put(txq, i);
		n++;
	}
	if (n != 0)
		HN_LOG(WARNING, "port %u txq %u: %u sends not completed in %u ms"
		       " since the stop: their buffers are reused", txq->port_id,
		       txq->queue_id, n, txq->hv->host_timeout_ms);
	return n != 0;
}

static __rte_always_inline int32_t
hn_txd_get(struct hn_tx_queue *txq, bool section)
{
	uint32_t idx, sec = HN_NO_SECTION;
	struct hn_txd *d;

	while (txq->nfree_txd == 0 ||
	       (section && (txq->nsec == 0 ||
			    hv_section_take(&txq->secmap, &txq->sec_cursor,
					    &sec) != 0))) {
		if (txq->nabandoned != 0 && hn_tx_expire_abandoned(txq))
			continue;
		txq->st.no_desc++;
		return -1;
	}
	idx = txq->free_txd[--txq->nfree_txd];
	d = &txq->txd[idx];
	d->in_use = true;
	d->m = NULL;
	d->pkts = 0;
	d->bytes = 0;
	d->xid = 0;
	d->section = sec;
	return (int32_t)idx;
}

/*
 * The id of descriptor idx's send, registered just before it goes out.
 * Never fails while every pending send holds a descriptor (one slot
 * each); 0 if our bookkeeping broke.
 */
static inline uint64_t
hn_txd_register(struct hn_tx_queue *txq, uint32_t idx)
{
	uint64_t id;

	if (hv_xact_register(&txq->xact, HV_XACT_NVSP_RNDIS_DATA, idx,
			     UINT64_MAX, &id) != 0) {
		HN_LOG(ERR, "port %u txq %u: no transaction slot for send %u",
		       txq->port_id, txq->queue_id, idx);
		return 0;
	}
	txq->txd[idx].xid = id;
	return id;
}

/* A completion that names no pending send: counted by why, no action. */
static void
hn_tx_comp_refused(struct hn_chan *hc, int rc, uint64_t xid)
{
	enum hn_bad kind = HN_BAD_XID;

	if (rc == -EALREADY)
		kind = HN_BAD_DUP_XID;
	else if (rc == -ETIME)
		kind = HN_BAD_LATE_XID;
	hn_bad(hc, kind, "tx completion xid", xid);
}

void
hn_tx_comp(struct hn_chan *hc, const struct vmbus_pkt_info *pi)
{
	struct rte_eth_dev_data *d = hc->hv->data;
	uint32_t tag = hv_xact_id_tag(pi->trans_id), q, status, type;
	struct hv_xact_done done;
	struct hn_tx_queue *txq;
	int rc;

	q = HN_TX_TAG_QUEUE(tag);
	if (tag == 0 || q >= d->nb_tx_queues || d->tx_queues == NULL ||
	    (txq = d->tx_queues[q]) == NULL || txq->hc != hc) {
		hn_bad(hc, HN_BAD_XID, "tx completion xid", pi->trans_id);
		return;
	}
	/* The table checks epoch, slot and generation; it hands back the
	 * descriptor we registered (our own number, still checked). */
	rc = hv_xact_complete(&txq->xact, pi->trans_id,
			      HV_XACT_NVSP_RNDIS_DATA, &done);
	if (rc != 0) {
		hn_tx_comp_refused(hc, rc, pi->trans_id);
		return;
	}
	if (done.cookie >= txq->ntxd || !txq->txd[done.cookie].in_use ||
	    txq->txd[done.cookie].xid != pi->trans_id) {
		HN_LOG(ERR, "port %u txq %u: send %" PRIx64 " has no descriptor",
		       txq->port_id, txq->queue_id, pi->trans_id);
		return;
	}
	txq->txd[done.cookie].xid = 0;
	rc = nvsp_rndis_pkt_complete_status(pi->payload, pi->payload_len,
					    &status);
	if (rc == -EPROTO && pi->payload_len >= sizeof(type)) {
		memcpy(&type, pi->payload, sizeof(type));
		hn_bad(hc, HN_BAD_NVSP, "tx completion type", type);
	} else if (rc != 0) {
		hn_bad(hc, HN_BAD_NVSP, "tx completion len", pi->payload_len);
	} else if (status != NVSP_STATUS_SUCCESS) {
		txq->st.host_nak += txq->txd[done.cookie].pkts;
	}
	if (txq->txd[done.cookie].abandoned)
		txq->st.late_done += txq->txd[done.cookie].pkts;
	/* A page-buffer send's mbuf: freed in bulk with the others this
	 * poll completes (hn_tx_comp_flush), not one by one. */
	if (txq->txd[done.cookie].m != NULL) {
		if (hc->done_txq != txq) {
			hn_tx_comp_flush(hc);
			hc->done_txq = txq;
		}
		if (txq->ndone == RTE_DIM(txq->done))
			hn_tx_free_done(txq);
		txq->done[txq->ndone++] = txq->txd[done.cookie].m;
		txq->txd[done.cookie].m = NULL;
	}
	hn_txd_put(txq, (uint32_t)done.cookie);
}

/* The mbufs the completions of this poll released (end of hn_chan_poll). */
void
hn_tx_comp_flush(struct hn_chan *hc)
{
	struct hn_tx_queue *txq = hc->done_txq;

	if (txq == NULL)
		return;
	hc->done_txq = NULL;
	if (txq->ndone != 0)
		hn_tx_free_done(txq);
}

static inline int
hn_tx_meta(struct hn_tx_queue *txq, const struct rte_mbuf *m,
	   struct rndis_pkt_meta *meta)
{
	int rc;

	meta->present = 0;
	if (m->ol_flags & RTE_MBUF_F_TX_VLAN) {
		meta->present |= RNDIS_META_VLAN;
		meta->vlan_tci = m->vlan_tci;
	}
	if (likely(!(m->ol_flags & HN_TX_OFL_FLAGS)))
		return 0;
	rc = hn_offload_tx_meta(txq->hv, m, meta);
	if (rc == -EINVAL)
		txq->st.bad_offload++;
	return rc;
}

/* RNDIS header for a frame: the queue's template when it fits. */
static inline int
hn_tx_encode(const struct hn_tx_queue *txq, void *dst, uint32_t room,
	     const struct rndis_pkt_meta *meta, uint32_t frame_len)
{
	const struct rndis_pkt_tmpl *t = &txq->tmpl[meta->present != 0];

	if (likely(rndis_tmpl_matches(t, meta) && t->hdr_len <= room))
		return rndis_tmpl_put(t, dst, frame_len, meta);
	return rndis_pkt_encode(dst, room, meta, frame_len, 0);
}

/* Send the open aggregate. 0, -EAGAIN (kept open: retry) or -errno. */
static int
hn_tx_flush(struct hn_tx_queue *txq)
{
	struct hn_txd *d;
	uint8_t nv[NVSP_REQ_SIZE];
	uint64_t xid;
	int rc;

	if (txq->agg_txd < 0)
		return 0;
	d = &txq->txd[txq->agg_txd];
	if (d->pkts == 0) {
		hn_txd_put(txq, (uint32_t)txq->agg_txd);
		txq->agg_txd = -1;
		return 0;
	}
	nvsp_build_rndis_pkt(nv, sizeof(nv), NVSP_CHANNEL_TYPE_DATA, d->section,
			     txq->agg_off);
	xid = hn_txd_register(txq, (uint32_t)txq->agg_txd);
	rc = xid == 0 ? -ENOSPC :
		rte_vmbus_chan_send(txq->hc->chan, nv, sizeof(nv), xid,
				    RTE_VMBUS_FLAG_COMPLETION_REQUESTED,
				    &txq->hc->need_sig);
	if (rc == -EAGAIN) {
		/* Not sent: the aggregate stays open, unregistered. */
		(void)hv_xact_cancel(&txq->xact, xid, NULL);
		d->xid = 0;
		txq->st.ring_full++;
		return rc;
	}
	if (rc == 0) {
		txq->st.packets += d->pkts;
		txq->st.bytes += d->bytes;
		txq->st.chimney += d->pkts;
		txq->st.agg_msgs++;
	} else {
		txq->st.errors += d->pkts;
		if (rc != -ENOSPC)
			hn_host_dead(txq->hv, rc);
		hn_txd_put(txq, (uint32_t)txq->agg_txd);
	}
	txq->agg_txd = -1;
	return rc;
}

static void
hn_tx_copy_data(uint8_t *dst, const struct rte_mbuf *m)
{
	for (; m != NULL; m = m->next) {
		rte_memcpy(dst, rte_pktmbuf_mtod(m, const void *), m->data_len);
		dst += m->data_len;
	}
}

static uint32_t
hn_tx_agg_max(const struct hn_data *hv)
{
	return RTE_MIN(hv->sec_size, hv->max_xfer);
}

/*
 * Free the copied mbufs. The usual ones (direct, one segment, refcnt 1,
 * all from one pool) go back with one bulk put; anything else the
 * generic way.
 */
static void
hn_tx_free_done(struct hn_tx_queue *txq)
{
	struct rte_mbuf **v = txq->done;
	struct rte_mempool *mp = v[0]->pool;
	uint32_t i, k = 0, n = txq->ndone;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = v[i];

		if (likely(m->pool == mp && m->nb_segs == 1 && RTE_MBUF_DIRECT(m) &&
			   rte_mbuf_refcnt_read(m) == 1 && m->next == NULL))
			v[k++] = m;
		else
			rte_pktmbuf_free(m);
	}
	if (k != 0)
		rte_mempool_put_bulk(mp, (void **)v, k);
	txq->ndone = 0;
}

/*
 * Copy m into the open aggregate, or a new one. 0 (m consumed), -ENOBUFS
 * (no descriptor or section: retry later), -EAGAIN (ring full).
 */
static int
hn_tx_copy(struct hn_tx_queue *txq, struct rte_mbuf *m,
	   const struct rndis_pkt_meta *meta, uint32_t need)
{
	struct hn_data *hv = txq->hv;
	uint32_t agg_max = hn_tx_agg_max(hv), start = 0;
	uint8_t *sec;
	struct hn_txd *d;
	int rc;

	if (txq->agg_txd >= 0) {
		d = &txq->txd[txq->agg_txd];
		start = RTE_ALIGN_CEIL(txq->agg_off, hv->pkt_align);
		if (d->pkts >= hv->max_pkts_per_msg || start + need > agg_max) {
			rc = hn_tx_flush(txq);
			if (rc == -EAGAIN)
				return rc;
		}
	}
	if (txq->agg_txd < 0) {
		int32_t idx = hn_txd_get(txq, true);

		if (idx < 0)
			return -ENOBUFS;
		txq->agg_txd = idx;
		txq->agg_off = 0;
		txq->agg_last = 0;
		start = 0;
	}
	d = &txq->txd[txq->agg_txd];
	sec = hv->send_buf + (size_t)d->section * hv->sec_size;
	if (d->pkts != 0) {
		/* Stepping by msg_len must land on this message. */
		rc = rndis_pkt_msg_len_align(sec + txq->agg_last,
					     agg_max - txq->agg_last, hv->pkt_align);
		if (rc < 0 || txq->agg_last + (uint32_t)rc != start)
			return -EINVAL;
	}
	rc = hn_tx_encode(txq, sec + start, agg_max - start, meta, m->pkt_len);
	if (rc < 0)
		return rc;
	hn_tx_copy_data(sec + start + rc, m);
	txq->agg_last = start;
	txq->agg_off = start + (uint32_t)rc + m->pkt_len;
	d->pkts++;
	d->bytes += m->pkt_len;
	if (txq->ndone == RTE_DIM(txq->done))
		hn_tx_free_done(txq);
	txq->done[txq->ndone++] = m;
	return 0;
}

/* Page ranges of m after the header; 0 if more than max are needed. */
static uint32_t
hn_tx_fill_gpa(const struct rte_mbuf *m, struct rte_vmbus_gpa *g, uint32_t max)
{
	uint32_t k = 0;

	for (; m != NULL; m = m->next) {
		rte_iova_t iova = rte_mbuf_data_iova(m);
		uint32_t left = m->data_len;

		while (left != 0) {
			uint32_t off = (uint32_t)(iova & HV_PAGE_MASK);
			uint32_t n = RTE_MIN(left, HV_PAGE_SIZE - off);

			if (k == max)
				return 0;
			g[k].pfn = iova >> HV_PAGE_SHIFT;
			g[k].offset = off;
			g[k].len = n;
			k++;
			iova += n;
			left -= n;
		}
	}
	return k;
}

static inline void
hn_tx_put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

/*
 * 0 (sent), 1 (needs the copy path), -EAGAIN, -ENOBUFS, -errno. meta
 * NULL: a frame without per-packet info (1..65535 bytes, one segment),
 * whose header is the queue's no-PPI template patched with its length.
 */
static int
hn_tx_gpa(struct hn_tx_queue *txq, struct rte_mbuf *m,
	  const struct rndis_pkt_meta *meta)
{
	struct rte_vmbus_gpa g[HN_GPA_MAX];
	rte_iova_t hiova;
	uint8_t *hdr;
	uint64_t xid;
	uint32_t k;
	int32_t idx;
	int hl, rc;

	k = hn_tx_fill_gpa(m, g + 1, HN_GPA_MAX - 1);
	if (k == 0)
		return 1;
	idx = hn_txd_get(txq, false);
	if (idx < 0)
		return -ENOBUFS;
	hdr = (uint8_t *)txq->hdr_mz->addr + (size_t)idx * HN_TXHDR_SLOT;
	if (meta == NULL) {
		memcpy(hdr, txq->tmpl[0].bytes, HN_TX_HDR0);
		hn_tx_put32(hdr + offsetof(struct rndis_packet_msg, msg_len),
			    HN_TX_HDR0 + m->pkt_len);
		hn_tx_put32(hdr + offsetof(struct rndis_packet_msg, data_len),
			    m->pkt_len);
		hl = (int)HN_TX_HDR0;
	} else {
		hl = hn_tx_encode(txq, hdr, HN_TXHDR_SLOT, meta, m->pkt_len);
		if (hl < 0) {
			hn_txd_put(txq, (uint32_t)idx);
			return hl;
		}
	}
	hiova = txq->hdr_mz->iova + (rte_iova_t)idx * HN_TXHDR_SLOT;
	g[0].pfn = hiova >> HV_PAGE_SHIFT;
	g[0].offset = (uint32_t)(hiova & HV_PAGE_MASK);
	g[0].len = (uint32_t)hl;
	xid = hn_txd_register(txq, (uint32_t)idx);
	rc = xid == 0 ? -ENOSPC :
		rte_vmbus_chan_send_gpa(txq->hc->chan, g, k + 1,
					txq->nv_pagebuf,
					sizeof(txq->nv_pagebuf), xid,
					RTE_VMBUS_FLAG_COMPLETION_REQUESTED,
					&txq->hc->need_sig);
	if (rc != 0) {
		/* Not sent (or never to be): the id is cancelled by put. */
		hn_txd_put(txq, (uint32_t)idx);
		if (rc == -EAGAIN)
			txq->st.ring_full++;
		else if (rc != -ENOSPC)
			hn_host_dead(txq->hv, rc);
		return rc;
	}
	txq->txd[idx].m = m;
	txq->txd[idx].pkts = 1;
	txq->txd[idx].bytes = m->pkt_len;
	txq->st.packets++;
	txq->st.bytes += m->pkt_len;
	txq->st.pagebuf++;
	return 0;
}

/*
 * The common frame: one segment, no offload, small. Appended to the open
 * aggregate with the queue's no-PPI header; the previous message's
 * msg_len is padded to where this one starts (which we computed, so it
 * is never read back from the shared section).
 */
static inline int
hn_tx_copy_fast(struct hn_tx_queue *txq, struct rte_mbuf *m, uint32_t len)
{
	struct hn_data *hv = txq->hv;
	uint32_t need = HN_TX_HDR0 + len, start = 0;
	struct hn_txd *d;
	uint8_t *sec, *dst;

	if (txq->agg_txd >= 0) {
		d = &txq->txd[txq->agg_txd];
		start = RTE_ALIGN_CEIL(txq->agg_off, hv->pkt_align);
		if (d->pkts >= hv->max_pkts_per_msg ||
		    start + need > txq->agg_max) {
			if (hn_tx_flush(txq) == -EAGAIN)
				return -EAGAIN;
			start = 0;
		}
	}
	if (txq->agg_txd < 0) {
		int32_t idx = hn_txd_get(txq, true);

		if (idx < 0)
			return -ENOBUFS;
		txq->agg_txd = idx;
		txq->agg_off = 0;
		txq->agg_last = 0;
	}
	d = &txq->txd[txq->agg_txd];
	sec = hv->send_buf + (size_t)d->section * hv->sec_size;
	if (d->pkts != 0)
		hn_tx_put32(sec + txq->agg_last +
			    offsetof(struct rndis_packet_msg, msg_len),
			    start - txq->agg_last);
	dst = sec + start;
	memcpy(dst, txq->tmpl[0].bytes, HN_TX_HDR0);
	hn_tx_put32(dst + offsetof(struct rndis_packet_msg, msg_len), need);
	hn_tx_put32(dst + offsetof(struct rndis_packet_msg, data_len), len);
	rte_memcpy(dst + HN_TX_HDR0, rte_pktmbuf_mtod(m, const void *), len);
	txq->agg_last = start;
	txq->agg_off = start + need;
	d->pkts++;
	d->bytes += len;
	if (unlikely(txq->ndone == RTE_DIM(txq->done)))
		hn_tx_free_done(txq);
	txq->done[txq->ndone++] = m;
	return 0;
}

static int hn_tx_one_slow(struct hn_tx_queue *txq, struct rte_mbuf *m);

/* A frame over more pages than a packet names: send a linear copy. */
static int
hn_tx_linear(struct hn_tx_queue *txq, struct rte_mbuf *m,
	     const struct rndis_pkt_meta *meta)
{
	struct rte_mbuf *c;
	int rc = hn_offload_linearize(txq->hv, m, &c);

	if (rc != 0)
		return rc;
	rc = hn_tx_gpa(txq, c, meta);
	if (rc != 0) {
		rte_pktmbuf_free(c);
		return rc == 1 ? -EMSGSIZE : rc;
	}
	txq->st.linearized++;
	rte_pktmbuf_free(m);
	return 0;
}

static int
hn_tx_one(struct hn_tx_queue *txq, struct rte_mbuf *m)
{
	uint32_t len = m->pkt_len;
	int rc;

	if (likely((m->ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK) == 0 &&
		   m->nb_segs == 1)) {
		if (len - 1u < txq->fast_max)
			return hn_tx_copy_fast(txq, m, len);
		/*
		 * Longer than a copy may be (the slow path would decide the
		 * same): page buffers with the no-PPI header, without
		 * working out per-packet info. What was aggregated goes first.
		 */
		if (len != 0) {
			if (txq->agg_txd >= 0 && hn_tx_flush(txq) == -EAGAIN)
				return -EAGAIN;
			rc = hn_tx_gpa(txq, m, NULL);
			if (rc != 1)
				return rc;
		}
	}
	return hn_tx_one_slow(txq, m);
}

static int
hn_tx_one_slow(struct hn_tx_queue *txq, struct rte_mbuf *m)
{
	struct hn_data *hv = txq->hv;
	struct rndis_pkt_meta meta;
	uint32_t need;
	int rc;

	rc = hn_tx_meta(txq, m, &meta);
	if (unlikely(rc != 0))
		return rc;
	need = rndis_pkt_hdr_len(&meta) + m->pkt_len;
	if (m->pkt_len <= hv->tx_copybreak && need <= hn_tx_agg_max(hv) &&
	    txq->nsec != 0)
		return hn_tx_copy(txq, m, &meta, need);
	/* Keep the order: what was aggregated goes first. */
	rc = hn_tx_flush(txq);
	if (rc == -EAGAIN)
		return rc;
	rc = hn_tx_gpa(txq, m, &meta);
	if (rc != 1)
		return rc;
	if (need <= hn_tx_agg_max(hv) && txq->nsec != 0) {
		txq->st.copy_fallback++;
		return hn_tx_copy(txq, m, &meta, need);
	}
	return hn_tx_linear(txq, m, &meta);
}

uint16_t
hn_xmit_pkts(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	struct hn_tx_queue *txq = q;
	struct hn_chan *hc = txq->hc;
	const unsigned int reap = 2u * n + 16u;
	uint16_t i;
	int rc = 0;

	if (unlikely(txq->hv->dead)) {
		/* Nobody will ever take them: drop rather than spin. */
		for (i = 0; i < n; i++)
			rte_pktmbuf_free(pkts[i]);
		txq->st.errors += n;
		return n;
	}
	if (!rte_spinlock_trylock(&hc->lock))
		return 0;
	if (txq->agg_txd >= 0 && hn_tx_flush(txq) == -EAGAIN)
		n = 0;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t cls;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		/* Before the send: a copied mbuf may be freed by it. */
		cls = hn_size_class(m);
		rc = hn_tx_one(txq, m);
		if (rc == -ENOBUFS) {
			/* Out of descriptors or sections: reap, then retry once. */
			(void)hn_chan_poll(hc, HN_POLL_TX, reap);
			rc = hn_tx_one(txq, m);
		}
		if (rc == -EAGAIN || rc == -ENOBUFS)
			break;
		if (rc == 0)
			hn_size_add(&txq->st.sz, cls);
		if (rc != 0) {
			/* Never sendable (too big, malformed): drop it. */
			if (rc == -EMSGSIZE)
				txq->st.too_big++;
			txq->st.errors++;
			rte_pktmbuf_free(m);
		}
	}
	/* On -EAGAIN the aggregate stays open and the next burst retries. */
	(void)hn_tx_flush(txq);
	/* The host first: what follows is our own bookkeeping. */
	if (hc->need_sig) {
		hc->need_sig = false;
		(void)rte_vmbus_chan_signal(hc->chan);
	}
	if (txq->ndone != 0)
		hn_tx_free_done(txq);
	/*
	 * Completions free descriptors. Reaped after the doorbell, while the
	 * host works on this burst: before it, every send (a lone packet's
	 * round trip) would wait for the reap. A queue short of descriptors
	 * or sections reaps at once, above.
	 */
	if (txq->nfree_txd < txq->ntxd)
		(void)hn_chan_poll(hc, HN_POLL_TX, reap);
	rte_spinlock_unlock(&hc->lock);
	return i;
}

/* Stop: wait a little for completions, then take back what is left. */
void
hn_tx_reclaim(struct hn_tx_queue *txq)
{
	struct hn_chan *hc = txq->hc;
	uint64_t deadline = rte_get_timer_cycles() +
		rte_get_timer_hz() * HN_RECLAIM_MS / 1000;
	uint32_t i, n = 0;

	rte_spinlock_lock(&hc->lock);
	if (txq->agg_txd >= 0 && !txq->hv->dead && hn_tx_flush(txq) == 0 &&
	    hc->need_sig) {
		hc->need_sig = false;
		(void)rte_vmbus_chan_signal(hc->chan);
	}
	while (txq->nfree_txd + txq->nabandoned + (txq->agg_txd >= 0) <
	       txq->ntxd && !txq->hv->dead && rte_get_timer_cycles() < deadline) {
		/* Filter is off; data still in flight is dropped, counted. */
		if (hn_chan_poll(hc, HN_POLL_CTL, 256) <= 0) {
			rte_spinlock_unlock(&hc->lock);
			rte_delay_us_sleep(100);
			rte_spinlock_lock(&hc->lock);
		}
	}
	if (txq->agg_txd >= 0) {
		txq->st.errors += txq->txd[txq->agg_txd].pkts;
		hn_txd_put(txq, (uint32_t)txq->agg_txd);
		txq->agg_txd = -1;
	}
	for (i = 0; i < txq->ntxd; i++) {
		struct hn_txd *d = &txq->txd[i];

		if (!d->in_use || d->abandoned)
			continue;
		txq->st.lost += d->pkts;
		if (txq->hv->dead) {
			/* No host left to read it. */
			hn_txd_put(txq, i);
			continue;
		}
		d->abandoned = true;
		d->abandoned_at = rte_get_timer_cycles();
		txq->nabandoned++;
		n++;
	}
	rte_spinlock_unlock(&hc->lock);
	if (n != 0)
		HN_LOG(WARNING, "port %u txq %u: %u sends never completed by the"
		       " stop; their buffers stay with the host", txq->port_id,
		       txq->queue_id, n);
}
