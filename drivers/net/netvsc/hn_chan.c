/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading one VMBus channel: completions go to the Tx queue or the control
 * waiter, host notifications and control RNDIS messages to the session,
 * receive data is parked (its ranges copied out, the frames still in the
 * receive buffer) until an Rx burst takes them. Nothing here drops data
 * because an application is slow. The park holds as many packets and
 * ranges as the host has receive sub-allocations, so an honest host can
 * never fill it: whoever reads (a Tx queue reaping completions, a control
 * wait, an Rx burst short of mbufs) gets past data to the completions
 * behind it, and the host feels backpressure through its receive buffer.
 * Should a host overfill it anyway, data waits in the ring as before; only
 * while the port is stopped may a control wait then read past data
 * (counted in rx discarded).
 */
#include <errno.h>
#include <string.h>

#include <rte_malloc.h>

#include "hn_var.h"
#include "hn_rx_ext.h"

/* Descriptor copy buffer; grown up to a VMBus packet's maximum. */
#define HN_CHAN_BUF_INIT 16384u
#define HN_CHAN_BUF_MAX (VMBUS_PKT_MAX_LEN + 64u)

int
hn_chan_init(struct hn_data *hv, uint16_t idx, struct rte_vmbus_chan *c)
{
	struct hn_chan *hc = &hv->chans[idx];
	int socket = hv->vmbus->device.numa_node;

	memset(hc, 0, sizeof(*hc));
	rte_spinlock_init(&hc->lock);
	hc->chan = c;
	hc->hv = hv;
	hc->idx = idx;
	hc->buf_size = HN_CHAN_BUF_INIT;
	hc->buf = rte_malloc_socket("hn_chan_buf", hc->buf_size,
				    RTE_CACHE_LINE_SIZE, socket);
	if (hn_chan_park_size(hc, hv->recv_sec_count) != 0) {
		hn_chan_fini(hc);
		return -ENOMEM;
	}
	/* Every RX ACK is the same message; build it once. */
	if (nvsp_build_rndis_pkt_complete(hc->ack_msg, sizeof(hc->ack_msg),
					  NVSP_STATUS_SUCCESS) < 0 ||
	    hc->buf == NULL) {
		hn_chan_fini(hc);
		return -ENOMEM;
	}
	return 0;
}

void
hn_chan_fini(struct hn_chan *hc)
{
	hn_zx_chan_gone(hc);
	rte_free(hc->buf);
	rte_free(hc->park);
	rte_free(hc->park_r);
	hc->buf = NULL;
	hc->park = NULL;
	hc->park_r = NULL;
	hc->park_n = hc->park_cap = hc->park_rcap = 0;
	hc->chan = NULL;
}

/* The RX ACK: a completion echoing the transfer packet's id. */
static int
hn_chan_send_ack(struct hn_chan *hc, uint64_t xid)
{
	return rte_vmbus_chan_send_comp(hc->chan, hc->ack_msg,
					sizeof(hc->ack_msg), xid, &hc->need_sig);
}

/*
 * Only a stopped port's data may be read past: a running application
 * takes it in its next Rx bursts (a control wait or a starved Tx queue
 * just waits for that), while a stopping port clears its filter and must
 * not wait for frames nobody will ask for.
 */
static bool
hn_chan_may_discard(const struct hn_chan *hc)
{
	return !hc->hv->data->dev_started;
}

/* Frames a stopped port's control wait discarded, charged to the
 * channel's Rx queue. */
static void
hn_chan_count_dropped(struct hn_chan *hc, uint32_t n)
{
	struct rte_eth_dev_data *d = hc->hv->data;
	struct hn_rx_queue *rxq;

	if (hc->idx >= d->nb_rx_queues || d->rx_queues == NULL)
		return;
	rxq = d->rx_queues[hc->idx];
	if (rxq != NULL)
		rxq->st.discarded += n;
}

void
hn_chan_flush_acks(struct hn_chan *hc)
{
	uint32_t i = 0;

	while (i < hc->nacks && hn_chan_send_ack(hc, hc->acks[i]) == 0)
		i++;
	if (i == 0)
		return;
	memmove(hc->acks, hc->acks + i, (hc->nacks - i) * sizeof(hc->acks[0]));
	hc->nacks -= i;
}

void
hn_chan_ack(struct hn_chan *hc, uint64_t xid)
{
	int rc;

	if (hc->nacks == 0) {
		rc = hn_chan_send_ack(hc, xid);
		if (rc == 0)
			return;
		if (rc != -EAGAIN) {
			hn_host_dead(hc->hv, rc);
			return;
		}
	}
	/* Callers stop reading data while the backlog is full. */
	if (hc->nacks < HN_ACK_BACKLOG)
		hc->acks[hc->nacks++] = xid;
}

/*
 * Size the park for a receive buffer of sub_allocs sub-allocations: an
 * honest host has at most one range outstanding per sub-allocation, and
 * each packet has one at least. Ranges are kept contiguous per packet,
 * so up to one packet's worth is lost where they wrap. Only an empty park
 * is resized (sessions start with the filter off).
 */
int
hn_chan_park_size(struct hn_chan *hc, uint32_t sub_allocs)
{
	int socket = hc->hv->vmbus->device.numa_node;
	uint32_t pcap = RTE_MAX(RTE_MIN(sub_allocs, HN_PARK_RANGES_MAX), HN_PARK_MIN);
	uint32_t rcap = pcap + HN_XFER_RANGES_MAX;
	struct vmbus_xfer_page_range *r;
	struct hn_xfer *x;

	if (pcap == hc->park_cap)
		return 0;
	if (hc->park_n != 0)
		return -EBUSY;
	x = rte_zmalloc_socket("hn_park", (size_t)pcap * sizeof(*x),
			       RTE_CACHE_LINE_SIZE, socket);
	r = rte_malloc_socket("hn_park_ranges", (size_t)rcap * sizeof(*r),
			      RTE_CACHE_LINE_SIZE, socket);
	if (x == NULL || r == NULL) {
		rte_free(x);
		rte_free(r);
		return -ENOMEM;
	}
	rte_free(hc->park);
	rte_free(hc->park_r);
	hc->park = x;
	hc->park_r = r;
	hc->park_cap = pcap;
	hc->park_rcap = rcap;
	hc->park_head = 0;
	return 0;
}

/* Where n contiguous ranges fit after the newest parked packet, or NULL. */
static __rte_always_inline struct vmbus_xfer_page_range *
hn_park_room(const struct hn_chan *hc, uint32_t n)
{
	const struct hn_xfer *oldest, *newest;
	uint32_t o, t;

	if (likely(hc->park_n == 0))
		return hc->park_r; /* n <= HN_XFER_RANGES_MAX < park_rcap */
	if (hc->park_n == hc->park_cap)
		return NULL;
	oldest = &hc->park[hc->park_head];
	newest = &hc->park[hn_park_slot(hc, hc->park_n - 1)];
	o = (uint32_t)(oldest->r - hc->park_r);
	t = (uint32_t)(newest->r - hc->park_r) + newest->count;
	if (newest->r >= oldest->r) {
		/* In use: [o, t). */
		if (n <= hc->park_rcap - t)
			return hc->park_r + t;
		return n <= o ? hc->park_r : NULL;
	}
	/* In use: [o, end) and [0, t). */
	return n <= o - t ? hc->park_r + t : NULL;
}

/* The head packet leaves the park; its ACK is someone else's (zero-copy
 * receive sends it when the application frees its frames). */
void
hn_chan_unpark(struct hn_chan *hc)
{
	hc->park_head = hn_park_slot(hc, 1);
	hc->park_n--;
}

void
hn_chan_ack_xfer(struct hn_chan *hc)
{
	hn_chan_ack(hc, hc->park[hc->park_head].xid);
	hn_chan_unpark(hc);
}

/* Read the next packet into hc->buf; consume it unless peek. */
static int
hn_chan_fetch(struct hn_chan *hc, bool peek, uint32_t *len)
{
	int rc;

	for (;;) {
		*len = hc->buf_size;
		rc = peek ? rte_vmbus_chan_peek(hc->chan, hc->buf, len) :
			    rte_vmbus_chan_recv(hc->chan, hc->buf, len);
		if (rc != -ENOBUFS)
			break;
		if (*len > HN_CHAN_BUF_MAX || *len <= hc->buf_size)
			return -EIO;
		void *nb = rte_realloc(hc->buf, *len, RTE_CACHE_LINE_SIZE);
		if (nb == NULL)
			return -EAGAIN; /* try again next poll */
		hc->buf = nb;
		hc->buf_size = *len;
	}
	return rc;
}

/* Control messages travel in the receive buffer too: one per range. */
static void
hn_chan_ctl_ranges(struct hn_chan *hc, const struct vmbus_pkt_info *pi)
{
	struct hn_data *hv = hc->hv;
	struct vmbus_xfer_page_range r;
	uint32_t i;

	for (i = 0; i < pi->range_count; i++) {
		if (vmbus_pkt_xfer_range(pi, i, &r) != 0 ||
		    vmbus_pkt_xfer_range_check(&r, hv->recv_size) != 0) {
			hn_bad(hc, HN_BAD_RANGE, "ctl range offset", r.byte_offset);
			continue;
		}
		hn_ctl_rndis_msg(hc, hv->recv_buf + r.byte_offset, r.byte_count);
	}
}

/* Ranges of a data packet worth keeping. */
static uint32_t
hn_xfer_nranges(struct hn_chan *hc, const struct vmbus_pkt_info *pi, bool quiet)
{
	uint32_t n = pi->range_count;

	/* vmbus_pkt_parse() vouches that range_count ranges are there. */
	if (n > pi->ranges_len / sizeof(struct vmbus_xfer_page_range))
		n = pi->ranges_len / sizeof(struct vmbus_xfer_page_range);
	if (n > HN_XFER_RANGES_MAX) {
		if (!quiet)
			hn_bad(hc, HN_BAD_PKT, "range_count", pi->range_count);
		n = HN_XFER_RANGES_MAX;
	}
	return n;
}

/*
 * Copy the ranges of a data packet so that it can wait in the park. They
 * come from our private copy of the packet; each is checked against the
 * receive buffer when its frame is delivered (hn_rx.c). Returns false if
 * the park has no room (the caller decides what becomes of the packet).
 */
static bool
hn_chan_park(struct hn_chan *hc, const struct vmbus_pkt_info *pi)
{
	uint32_t n = hn_xfer_nranges(hc, pi, false);
	struct vmbus_xfer_page_range *r;
	struct hn_xfer *x;

	if (n == 0) {
		hn_chan_ack(hc, pi->trans_id);
		return true;
	}
	r = hn_park_room(hc, n);
	if (r == NULL)
		return false;
	x = &hc->park[hn_park_slot(hc, hc->park_n)];
	memcpy(r, pi->ranges, (size_t)n * sizeof(*r));
	x->r = r;
	x->xid = pi->trans_id;
	x->count = n;
	x->next = 0;
	hc->park_n++;
	return true;
}

/*
 * Transfer-page packet; returns 1 if handled, 0 if it must stay in the
 * ring (only when peeked).
 */
static int
hn_chan_xfer(struct hn_chan *hc, enum hn_poll_mode mode,
	     const struct vmbus_pkt_info *pi, bool peeked)
{
	struct nvsp_rndis_pkt_info np;
	uint32_t len;
	int rc;

	if (nvsp_parse_rndis_pkt(pi->payload, pi->payload_len, &np) != 0) {
		hn_bad(hc, HN_BAD_NVSP, "rndis pkt", pi->payload_len);
		np.channel_type = UINT32_MAX;
	} else if (pi->xfer_pageset_id != NVSP_RECV_BUF_ID) {
		hn_bad(hc, HN_BAD_PAGESET, "xfer_pageset_id", pi->xfer_pageset_id);
		np.channel_type = UINT32_MAX;
	}
	/* Data that does not fit the park waits in the ring (the host sees
	 * backpressure) unless nobody can ever take it. */
	if (np.channel_type == NVSP_CHANNEL_TYPE_DATA && peeked &&
	    hn_park_room(hc, RTE_MAX(hn_xfer_nranges(hc, pi, true), 1u)) == NULL &&
	    (mode != HN_POLL_CTL || !hn_chan_may_discard(hc)))
		return 0;
	if (peeked) {
		struct vmbus_pkt_info again;

		/* Consume it; the copy may differ from the peek (and the
		 * buffer may move): parse it anew. */
		rc = hn_chan_fetch(hc, false, &len);
		if (rc != 0)
			return rc == -EAGAIN ? 0 : rc;
		if (vmbus_pkt_parse(hc->buf, len, &again) != 0 ||
		    again.type != VMBUS_PKT_DATA_XFER_PAGES) {
			hn_bad(hc, HN_BAD_PKT, "packet changed after peek", again.type);
			return 1;
		}
		return hn_chan_xfer(hc, HN_POLL_CTL, &again, false);
	}
	switch (np.channel_type) {
	case NVSP_CHANNEL_TYPE_CONTROL:
		hn_chan_ctl_ranges(hc, pi);
		break;
	case NVSP_CHANNEL_TYPE_DATA:
		if (hn_chan_park(hc, pi))
			return 1;
		/* A control wait must get past data nobody can take now (or
		 * the host changed the packet between peek and read). */
		hn_chan_count_dropped(hc, pi->range_count);
		break;
	default:
		break;
	}
	hn_chan_ack(hc, pi->trans_id);
	return 1;
}

/*
 * Handle the next packet. Returns 1 if one was handled, 0 if nothing
 * (ring empty, or the next packet must wait), -ENODEV/-EIO if the
 * channel is dead.
 */
static int
hn_chan_read_one(struct hn_chan *hc, enum hn_poll_mode mode)
{
	struct vmbus_pkt_info pi;
	/* Data we could not park must stay in the ring: look before taking. */
	bool peek = hn_park_room(hc, HN_XFER_RANGES_MAX) == NULL;
	uint32_t len;
	int rc;

	rc = hn_chan_fetch(hc, peek, &len);
	if (rc == -EAGAIN)
		return 0;
	if (rc != 0) {
		hn_host_dead(hc->hv, rc);
		return rc;
	}
	rc = vmbus_pkt_parse(hc->buf, len, &pi);
	if (rc == 0 && pi.type == VMBUS_PKT_DATA_XFER_PAGES)
		return hn_chan_xfer(hc, mode, &pi, peek);
	if (peek) {
		/* Not data: consume it now that we know. */
		rc = hn_chan_fetch(hc, false, &len);
		if (rc != 0)
			return rc == -EAGAIN ? 0 : rc;
		rc = vmbus_pkt_parse(hc->buf, len, &pi);
	}
	if (rc != 0) {
		struct vmbus_pkt_desc d;

		/* Consumed; the ring's framing (len8) was sound. */
		memcpy(&d, hc->buf, sizeof(d));
		if (rc == -ENOTSUP)
			hn_bad(hc, HN_BAD_PKT, "packet type", d.type);
		else
			hn_bad(hc, HN_BAD_PKT, "descriptor offset8", d.offset8);
		return 1;
	}
	switch (pi.type) {
	case VMBUS_PKT_COMPLETION:
		if (pi.trans_id & HN_XID_CTL)
			hn_ctl_comp(hc, &pi);
		else
			hn_tx_comp(hc, &pi);
		break;
	case VMBUS_PKT_DATA_INBAND:
		hn_ctl_inband(hc, &pi);
		break;
	case VMBUS_PKT_DATA_XFER_PAGES:
		return hn_chan_xfer(hc, mode, &pi, false);
	default:
		hn_bad(hc, HN_BAD_PKT, "packet type", pi.type);
		break;
	}
	return 1;
}

/*
 * Read up to budget packets. Rx stops once HN_RX_AHEAD packets are parked
 * (the caller delivers them and calls again); Tx and control waits park
 * all the data they meet to get at what lies behind it. Returns packets
 * handled or -errno.
 */
int
hn_chan_poll(struct hn_chan *hc, enum hn_poll_mode mode, unsigned int budget)
{
	unsigned int n = 0;
	int rc = 0;

	if (hc->hv->dead)
		return -ENODEV;
	if (hc->nacks != 0)
		hn_chan_flush_acks(hc);
	/* Most polls of a quiet queue end here, at one load of the ring's
	 * write index (a ring read would find the same). */
	if (rte_vmbus_chan_rx_empty(hc->chan))
		budget = 0;
	while (n < budget) {
		/* Parking frees ring room (frames stay in the receive
		 * buffer); an Rx burst reads only a little ahead. */
		if (mode == HN_POLL_RX && hc->park_n >= HN_RX_AHEAD)
			break;
		/* No room to ACK more data: let the host drain first. */
		if (hc->nacks == HN_ACK_BACKLOG)
			break;
		rc = hn_chan_read_one(hc, mode);
		if (rc <= 0)
			break;
		n++;
	}
	hn_tx_comp_flush(hc);
	if (n != 0) {
		int c = rte_vmbus_chan_recv_commit(hc->chan);

		if (c != 0)
			hn_host_dead(hc->hv, c);
	}
	if (hc->need_sig) {
		hc->need_sig = false;
		(void)rte_vmbus_chan_signal(hc->chan);
	}
	return rc < 0 ? rc : (int)n;
}
