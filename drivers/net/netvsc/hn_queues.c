/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The channel set behind the queues, changed at every configure: queue i
 * uses channel i (subchannel id i), so growing opens subchannels (asking
 * the host for more when it granted fewer than needed) and shrinking
 * closes the channels past the new count, after the host was told to
 * steer nothing there and everything they still hold was answered.
 *
 * In the UIO model a subchannel the host offered stays open in the
 * kernel until the device's file is closed; "closing" it here unmaps its
 * ring, and growing again maps it anew without a new request. A host
 * (OpenVMM) also takes another SUBCHANNEL request in the same session
 * when more queues are asked for than it granted.
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>

#include "hn_var.h"

static uint32_t
hn_subchans_open(const struct hn_data *hv)
{
	uint32_t i, n = 0;

	for (i = 1; i < HN_MAX_CHANNELS; i++)
		n += hv->chans[i].chan != NULL;
	return n;
}

/*
 * Map subchannels the host offered until `total` are open. The offers of
 * a fresh request arrive after its completion, possibly much later.
 */
static int
hn_subchans_map(struct hn_data *hv, uint32_t total)
{
	uint64_t deadline = rte_get_timer_cycles() +
		rte_get_timer_hz() * hv->host_timeout_ms / 1000;
	int rc;

	while (hn_subchans_open(hv) < total) {
		struct rte_vmbus_chan *c;
		uint16_t id;

		rc = rte_vmbus_subchan_open(hv->chans[0].chan, &c);
		if (rc == -EAGAIN || rc == -ENOENT) {
			if (rte_get_timer_cycles() > deadline) {
				HN_LOG(ERR, "port %u: %u of %u subchannels open after %u ms",
				       hv->port_id, hn_subchans_open(hv), total,
				       hv->host_timeout_ms);
				return -ETIMEDOUT;
			}
			rte_delay_us_sleep(1000);
			continue;
		}
		if (rc != 0) {
			HN_LOG(ERR, "port %u: subchannel open: %s", hv->port_id,
			       strerror(-rc));
			return rc;
		}
		id = rte_vmbus_chan_subchan_id(c);
		/* Queue i uses channel i: ids must be 1..63, each once. */
		if (id == 0 || id >= HN_MAX_CHANNELS || hv->chans[id].chan != NULL ||
		    hn_chan_init(hv, id, c) != 0) {
			HN_LOG(ERR, "port %u: subchannel id %u unusable", hv->port_id, id);
			rte_vmbus_chan_close(c);
			return -EINVAL;
		}
		if (rte_vmbus_chan_monitor_id(c) != RTE_VMBUS_NO_MONITOR)
			(void)rte_vmbus_chan_set_latency(c, hv->latency_us * 1000u);
	}
	return 0;
}

/*
 * Answer everything a channel about to close still holds: receive
 * packets (ACKed, counted as discarded: their queue is gone) and control
 * or completion messages. The host steers nothing new here any more.
 */
static void
hn_chan_drain(struct hn_chan *hc)
{
	struct hn_data *hv = hc->hv;
	uint64_t deadline = rte_get_timer_cycles() +
		rte_get_timer_hz() * hv->host_timeout_ms / 1000;
	int rc;

	rte_spinlock_lock(&hc->lock);
	for (;;) {
		rc = hn_chan_poll(hc, HN_POLL_CTL, 256);
		/* The park may hold thousands: ACK as the backlog allows. */
		while (hc->park_n != 0 && hc->nacks < HN_ACK_BACKLOG)
			hn_chan_ack_xfer(hc);
		if (hc->nacks != 0)
			hn_chan_flush_acks(hc);
		if (rc <= 0 && hc->nacks == 0 && hc->park_n == 0)
			break;
		if (rte_get_timer_cycles() > deadline) {
			HN_LOG(WARNING, "port %u chan %u: closed with %u ACKs unsent",
			       hv->port_id, hc->idx, hc->nacks + hc->park_n);
			break;
		}
		if (rc <= 0)
			rte_delay_us_sleep(100);
	}
	if (hc->need_sig) {
		hc->need_sig = false;
		(void)rte_vmbus_chan_signal(hc->chan);
	}
	rte_spinlock_unlock(&hc->lock);
}

static void
hn_chans_close_from(struct hn_data *hv, uint32_t first)
{
	uint32_t i, n = 0;

	for (i = HN_MAX_CHANNELS - 1; i >= first && i > 0; i--) {
		struct hn_chan *hc = &hv->chans[i];

		if (hc->chan == NULL)
			continue;
		if (!hv->dead)
			hn_chan_drain(hc);
		rte_vmbus_chan_close(hc->chan);
		hn_chan_fini(hc);
		n++;
	}
	if (n != 0)
		HN_LOG(INFO, "port %u: closed %u subchannel(s) from %u", hv->port_id,
		       n, first);
}

/* Queues set up before this configure follow the new channel set. */
static void
hn_queues_rechan(struct hn_data *hv)
{
	struct rte_eth_dev_data *d = hv->data;
	uint16_t q;

	for (q = 0; q < d->nb_rx_queues; q++) {
		struct hn_rx_queue *rxq = d->rx_queues[q];

		if (rxq != NULL)
			rxq->hc = hn_queue_chan(hv, q);
	}
	for (q = 0; q < d->nb_tx_queues; q++) {
		struct hn_tx_queue *txq = d->tx_queues[q];

		if (txq != NULL)
			txq->hc = hn_queue_chan(hv, q);
	}
}

int
hn_queues_configure(struct hn_data *hv, uint32_t nq)
{
	uint32_t want = nq - 1, avail;
	int rc = 0;

	if (nq == 0 || nq > HN_MAX_CHANNELS)
		return -EINVAL;
	if (nq > hv->nchan) {
		if (want > hv->subch_granted)
			rc = hn_subchan_open(hv, want);
		avail = hv->subch_granted;
		if (avail > hn_subchans_open(hv))
			(void)hn_subchans_map(hv, avail);
		/* Use the contiguous prefix 0..n-1. */
		while (hv->nchan < HN_MAX_CHANNELS &&
		       hv->chans[hv->nchan].chan != NULL)
			hv->nchan++;
		HN_LOG(INFO, "port %u: %u channels (asked %u)", hv->port_id,
		       RTE_MIN(hv->nchan, nq), nq);
		if (hv->nchan == 1) {
			HN_LOG(ERR, "port %u: no subchannels: %u queues impossible",
			       hv->port_id, nq);
			return rc != 0 ? rc : -ENODEV;
		}
	}
	if (hv->nchan > nq || hn_subchans_open(hv) > hv->nchan - 1) {
		/* The host first, then the channels it no longer uses. */
		if (hv->nchan > nq && hv->rss_on && !hv->dead) {
			rc = hn_rss_set(hv, (uint16_t)nq);
			if (rc != 0)
				return rc;
		}
		hn_chans_close_from(hv, RTE_MIN(hv->nchan, nq));
		hv->nchan = RTE_MIN(hv->nchan, nq);
	}
	hn_queues_rechan(hv);
	if (hv->nchan < nq)
		HN_LOG(WARNING, "port %u: %u queues on %u channels", hv->port_id,
		       nq, hv->nchan);
	return 0;
}
