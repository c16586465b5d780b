/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Basic stats and xstats. Rx counts what was handed to the application,
 * Tx what the host accepted at send time; everything else (ring full,
 * host NAKs, lost completions, rejected host input by kind) is an xstat.
 * Counters are per queue or channel, each with one writer: the thread
 * that owns the queue (or holds the channel's lock). A reset never writes
 * them: a store racing a burst's read-modify-write is either lost or
 * undone by it (a counter would keep counts from before the reset). It
 * records where each counter stood instead, and reads subtract that.
 */
#include <assert.h>
#include <stdio.h>

#include "hn_var.h"

struct hn_xname {
	const char *name;
	size_t off;
};

#define HN_RX(f) { #f, offsetof(struct hn_rx_stats, f) }
#define HN_TX(f) { #f, offsetof(struct hn_tx_stats, f) }

static const struct hn_xname hn_rx_names[] = {
	HN_RX(packets), HN_RX(bytes), HN_RX(errors), HN_RX(nombuf),
	HN_RX(acks), HN_RX(csum_bad), HN_RX(discarded),
	HN_RX(extbuf), HN_RX(extbuf_fallback), HN_RX(extbuf_noncontig),
	HN_RX(acks_deferred),
};

static const struct hn_xname hn_tx_names[] = {
	HN_TX(packets), HN_TX(bytes), HN_TX(errors), HN_TX(chimney),
	HN_TX(pagebuf), HN_TX(copy_fallback), HN_TX(agg_msgs), HN_TX(ring_full),
	HN_TX(no_desc), HN_TX(host_nak), HN_TX(lost), HN_TX(too_big),
	HN_TX(bad_offload), HN_TX(linearized), HN_TX(late_done),
};

static const char *const hn_bad_names[HN_BAD_KINDS] = {
	"bad_packet", "bad_nvsp", "bad_range", "bad_rndis", "bad_frame_len",
	"bad_pageset", "bad_xid", "dup_xid", "bad_control", "late_xid",
};

/* Port-wide, summed over the queues: rx_<name> and tx_<name>. */
static const char *const hn_size_names[HN_SIZE_BINS + 2] = {
	"size_64_packets", "size_65_127_packets", "size_128_255_packets",
	"size_256_511_packets", "size_512_1023_packets",
	"size_1024_1518_packets", "size_1519_max_packets",
	"multicast_packets", "broadcast_packets",
};

#define HN_NRX RTE_DIM(hn_rx_names)
#define HN_NTX RTE_DIM(hn_tx_names)
#define HN_NSZ RTE_DIM(hn_size_names)

static_assert(sizeof(struct hn_rx_stats) % sizeof(uint64_t) == 0 &&
	      sizeof(struct hn_tx_stats) % sizeof(uint64_t) == 0 &&
	      sizeof(struct hn_size_stats) ==
		      (HN_SIZE_BINS + 2) * sizeof(uint64_t),
	      "counter blocks are arrays of uint64_t");

/* One counter word, read once: its writer may be running. */
static uint64_t
hn_word(const void *blk, size_t off)
{
	return *(const volatile uint64_t *)((const uint8_t *)blk + off);
}

/* A counter's count since the last reset. */
static uint64_t
hn_since(const void *st, const void *base, size_t off)
{
	return hn_word(st, off) - hn_word(base, off);
}

static void
hn_snapshot(void *base, const void *st, size_t len)
{
	size_t off;

	for (off = 0; off < len; off += sizeof(uint64_t))
		*(uint64_t *)((uint8_t *)base + off) = hn_word(st, off);
}

#define HN_RXC(q, f) hn_since(&(q)->st, &(q)->st_base, \
			      offsetof(struct hn_rx_stats, f))
#define HN_TXC(q, f) hn_since(&(q)->st, &(q)->st_base, \
			      offsetof(struct hn_tx_stats, f))

/* Size counter i (bins, then multicast, broadcast) summed over the Rx
 * (or Tx) queues. */
static uint64_t
hn_size_sum(const struct rte_eth_dev_data *d, bool rx, unsigned int i)
{
	uint16_t q, n = rx ? d->nb_rx_queues : d->nb_tx_queues;
	size_t w = i * sizeof(uint64_t);
	uint64_t v = 0;

	for (q = 0; q < n; q++) {
		const struct hn_rx_queue *rxq = rx ? d->rx_queues[q] : NULL;
		const struct hn_tx_queue *txq = rx ? NULL : d->tx_queues[q];

		if (rxq != NULL)
			v += hn_since(&rxq->st, &rxq->st_base,
				      offsetof(struct hn_rx_stats, sz) + w);
		if (txq != NULL)
			v += hn_since(&txq->st, &txq->st_base,
				      offsetof(struct hn_tx_stats, sz) + w);
	}
	return v;
}

int
hn_stats_get(struct rte_eth_dev *dev, struct rte_eth_stats *st)
{
	struct rte_eth_dev_data *d = dev->data;
	uint16_t q;

	st->rx_nombuf = 0;
	for (q = 0; q < d->nb_rx_queues; q++) {
		const struct hn_rx_queue *rxq = d->rx_queues[q];
		uint64_t pk, by, er;

		if (rxq == NULL)
			continue;
		pk = HN_RXC(rxq, packets);
		by = HN_RXC(rxq, bytes);
		er = HN_RXC(rxq, errors);
		st->ipackets += pk;
		st->ibytes += by;
		st->ierrors += er;
		st->imissed += HN_RXC(rxq, discarded);
		st->rx_nombuf += HN_RXC(rxq, nombuf);
		if (q < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			st->q_ipackets[q] = pk;
			st->q_ibytes[q] = by;
			st->q_errors[q] = er;
		}
	}
	for (q = 0; q < d->nb_tx_queues; q++) {
		const struct hn_tx_queue *txq = d->tx_queues[q];
		uint64_t pk, by;

		if (txq == NULL)
			continue;
		pk = HN_TXC(txq, packets);
		by = HN_TXC(txq, bytes);
		st->opackets += pk;
		st->obytes += by;
		st->oerrors += HN_TXC(txq, errors) + HN_TXC(txq, lost);
		if (q < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			st->q_opackets[q] = pk;
			st->q_obytes[q] = by;
		}
	}
	return 0;
}

int
hn_stats_reset(struct rte_eth_dev *dev)
{
	struct rte_eth_dev_data *d = dev->data;
	struct hn_data *hv = d->dev_private;
	uint16_t q;
	uint32_t c;

	for (q = 0; q < d->nb_rx_queues; q++) {
		struct hn_rx_queue *rxq = d->rx_queues[q];

		if (rxq != NULL)
			hn_snapshot(&rxq->st_base, &rxq->st, sizeof(rxq->st));
	}
	for (q = 0; q < d->nb_tx_queues; q++) {
		struct hn_tx_queue *txq = d->tx_queues[q];

		if (txq != NULL)
			hn_snapshot(&txq->st_base, &txq->st, sizeof(txq->st));
	}
	for (c = 0; c < hv->nchan; c++)
		hn_snapshot(hv->chans[c].bad_base, hv->chans[c].bad,
			    sizeof(hv->chans[c].bad));
	return 0;
}

static unsigned int
hn_xstats_count(const struct rte_eth_dev *dev)
{
	const struct hn_data *hv = dev->data->dev_private;

	return dev->data->nb_rx_queues * HN_NRX +
		dev->data->nb_tx_queues * HN_NTX + hv->nchan * HN_BAD_KINDS +
		2 * HN_NSZ;
}

int
hn_xstats_get_names(struct rte_eth_dev *dev, struct rte_eth_xstat_name *names,
		    unsigned int n)
{
	const struct hn_data *hv = dev->data->dev_private;
	unsigned int cnt = hn_xstats_count(dev), k = 0, i;
	uint16_t q;

	if (names == NULL || n < cnt)
		return (int)cnt;
	for (q = 0; q < dev->data->nb_rx_queues; q++)
		for (i = 0; i < HN_NRX; i++)
			snprintf(names[k++].name, RTE_ETH_XSTATS_NAME_SIZE,
				 "rx_q%u_%s", q, hn_rx_names[i].name);
	for (q = 0; q < dev->data->nb_tx_queues; q++)
		for (i = 0; i < HN_NTX; i++)
			snprintf(names[k++].name, RTE_ETH_XSTATS_NAME_SIZE,
				 "tx_q%u_%s", q, hn_tx_names[i].name);
	for (q = 0; q < hv->nchan; q++)
		for (i = 0; i < HN_BAD_KINDS; i++)
			snprintf(names[k++].name, RTE_ETH_XSTATS_NAME_SIZE,
				 "chan%u_%s", q, hn_bad_names[i]);
	for (i = 0; i < 2 * HN_NSZ; i++)
		snprintf(names[k++].name, RTE_ETH_XSTATS_NAME_SIZE, "%s_%s",
			 i < HN_NSZ ? "rx" : "tx", hn_size_names[i % HN_NSZ]);
	return (int)k;
}

int
hn_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xs, unsigned int n)
{
	const struct hn_data *hv = dev->data->dev_private;
	unsigned int cnt = hn_xstats_count(dev), k = 0, i;
	uint16_t q;

	if (xs == NULL || n < cnt)
		return (int)cnt;
	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		const struct hn_rx_queue *rxq = dev->data->rx_queues[q];

		for (i = 0; i < HN_NRX; i++, k++) {
			xs[k].id = k;
			xs[k].value = rxq != NULL ?
				hn_since(&rxq->st, &rxq->st_base,
					 hn_rx_names[i].off) : 0;
		}
	}
	for (q = 0; q < dev->data->nb_tx_queues; q++) {
		const struct hn_tx_queue *txq = dev->data->tx_queues[q];

		for (i = 0; i < HN_NTX; i++, k++) {
			xs[k].id = k;
			xs[k].value = txq != NULL ?
				hn_since(&txq->st, &txq->st_base,
					 hn_tx_names[i].off) : 0;
		}
	}
	for (q = 0; q < hv->nchan; q++)
		for (i = 0; i < HN_BAD_KINDS; i++, k++) {
			xs[k].id = k;
			xs[k].value = hn_word(hv->chans[q].bad,
					      i * sizeof(uint64_t)) -
				      hv->chans[q].bad_base[i];
		}
	for (i = 0; i < 2 * HN_NSZ; i++, k++) {
		xs[k].id = k;
		xs[k].value = hn_size_sum(dev->data, i < HN_NSZ, i % HN_NSZ);
	}
	return (int)k;
}
