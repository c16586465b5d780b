/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading one VMBus channel: completions go to the Tx queue or the control
 * waiter, host notifications and control RNDIS messages to the session,
 * receive data is parked (its ranges copied out, the frames still in the
 * receive buffer) until an Rx burst takes them. Nothing here drops data
 * because an application is slow: a parked packet blocks further reads of
 * data (the host then sees a full ring), whoever reads: the Rx burst, a
 * Tx queue reaping completions or a control wait. Only while the port is
 * stopped may a control wait read past data (counted in rx discarded).
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
	hc->park[0].r = rte_malloc_socket("hn_xfer", HN_PARK_MAX *
					  HN_XFER_RANGES_MAX * sizeof(*hc->park[0].r),
					  RTE_CACHE_LINE_SIZE, socket);
	for (unsigned int i = 1; hc->park[0].r != NULL && i < HN_PARK_MAX; i++)
		hc->park[i].r = hc->park[0].r + i * HN_XFER_RANGES_MAX;
	/* Every RX ACK is the same message; build it once. */
	if (nvsp_build_rndis_pkt_complete(hc->ack_msg, sizeof(hc->ack_msg),
					  NVSP_STATUS_SUCCESS) < 0 ||
	    hc->buf == NULL || hc->park[0].r == NULL) {
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
	rte_free(hc->park[0].r);
	hc->buf = NULL;
	memset(hc->park, 0, sizeof(hc->park));
	hc->park_n = 0;
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

/* The head packet leaves the park; its ACK is someone else's (zero-copy
 * receive sends it when the application frees its frames). */
void
hn_chan_unpark(struct hn_chan *hc)
{
	hc->park_head = (hc->park_head + 1) % HN_PARK_MAX;
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

/*
 * Copy the ranges of a data packet so that it can wait in the slot. They
 * come from our private copy of the packet; each is checked against the
 * receive buffer when its frame is delivered (hn_rx.c).
 */
static void
hn_chan_park(struct hn_chan *hc, const struct vmbus_pkt_info *pi)
{
	struct hn_xfer *x = &hc->park[(hc->park_head + hc->park_n) % HN_PARK_MAX];
	uint32_t n = pi->range_count;

	/* vmbus_pkt_parse() vouches that range_count ranges are there. */
	if (n > pi->ranges_len / sizeof(x->r[0]))
		n = pi->ranges_len / sizeof(x->r[0]);
	if (n > HN_XFER_RANGES_MAX) {
		hn_bad(hc, HN_BAD_PKT, "range_count", pi->range_count);
		n = HN_XFER_RANGES_MAX;
	}
	if (n == 0) {
		hn_chan_ack(hc, pi->trans_id);
		return;
	}
	memcpy(x->r, pi->ranges, (size_t)n * sizeof(x->r[0]));
	x->xid = pi->trans_id;
	x->count = n;
	x->next = 0;
	hc->park_n++;
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
	/* The parked packets go first; data waits in the ring (the host
	 * sees backpressure) unless nobody can ever take it. */
	if (np.channel_type == NVSP_CHANNEL_TYPE_DATA && peeked &&
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
		if (hc->park_n < HN_PARK_MAX) {
			hn_chan_park(hc, pi);
			return 1;
		}
		/* A control wait must get past data nobody can take now. */
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
	bool peek = hc->park_n == HN_PARK_MAX;
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
 * Read up to budget packets. Rx stops at the first data packet once one
 * is parked (the caller delivers it and calls again); Tx stops there too;
 * a control wait reads past it. Returns packets handled or -errno.
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
	while (n < budget) {
		/* Parking frees ring room (frames stay in the receive
		 * buffer); stop only when every slot is taken. */
		if (mode == HN_POLL_RX && hc->park_n == HN_PARK_MAX)
			break;
		/* No room to ACK more data: let the host drain first. */
		if (hc->nacks == HN_ACK_BACKLOG)
			break;
		rc = hn_chan_read_one(hc, mode);
		if (rc <= 0)
			break;
		n++;
	}
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
