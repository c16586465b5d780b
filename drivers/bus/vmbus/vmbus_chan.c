/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Channels on top of the ring core: open (primary on map 0, subchannels
 * on their ring files), send and receive, signalling, interrupts,
 * counters. The ring rules (when to signal, how to validate) live in
 * drivers/common/hv/vmbus_ring.c; this file only decides how a signal
 * reaches the host in the UIO model.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_malloc.h>

#include "hv_chan_geom.h"
#include "vmbus_private.h"
#include "vmbus_pkt.h"
#include "vmbus_ring_inline.h"
#include "linux/vmbus_sysfs.h"

/* Largest inband/completion header: the descriptor alone. */
#define VMBUS_INBAND_HDR_MAX sizeof(struct vmbus_pkt_desc)

/*
 * Opening and closing change the primary's channel table and chan->dev,
 * which only the primary has: a secondary uses the channels it is given.
 */
static bool
chan_owner(void)
{
	return rte_eal_process_type() == RTE_PROC_PRIMARY;
}

static bool
chan_dead(const struct rte_vmbus_chan *chan)
{
	return __atomic_load_n(&chan->rescinded, __ATOMIC_RELAXED) != 0;
}

/* Attach the Tx and Rx rings of a ring region (hv_chan_geom.h). */
int
vmbus_chan_setup(struct rte_vmbus_chan *chan, void *base, size_t size)
{
	struct hv_chan_geom g;
	int ret;

	if (hv_chan_split(base, size, vmbus_page_size(), &g) != 0)
		return -EINVAL;
	ret = vmbus_ring_attach(&chan->tx, g.tx_hdr, g.tx_data, g.data_size);
	if (ret == 0)
		ret = vmbus_ring_attach(&chan->rx, g.rx_hdr, g.rx_data,
					g.data_size);
	rte_spinlock_init(&chan->tx_lock);
	return ret;
}

static struct rte_vmbus_chan *
chan_alloc(struct rte_vmbus_device *dev, uint32_t relid, uint16_t subchan_id,
	   uint32_t monitor_id)
{
	struct rte_vmbus_chan *chan;

	chan = rte_zmalloc_socket("vmbus_chan", sizeof(*chan),
				  RTE_CACHE_LINE_SIZE, dev->device.numa_node);
	/* The device's node may have no DPDK memory: any node will do. */
	if (chan == NULL && dev->device.numa_node != SOCKET_ID_ANY)
		chan = rte_zmalloc_socket("vmbus_chan", sizeof(*chan),
					  RTE_CACHE_LINE_SIZE, SOCKET_ID_ANY);
	if (chan == NULL)
		return NULL;
	chan->dev = dev;
	chan->relid = relid;
	chan->subchan_id = subchan_id;
	chan->monitor_id = monitor_id;
	chan->uio_minor = dev->uio_minor;
	chan->int_page = dev->resource[HV_UIO_MAP_INT_PAGE].addr;
	chan->monitor = dev->resource[HV_UIO_MAP_MONITOR_PAGE].addr;
	return chan;
}

int
rte_vmbus_chan_open(struct rte_vmbus_device *dev, struct rte_vmbus_chan **out)
{
	struct vmbus_dev_priv *priv = dev->priv;
	struct rte_vmbus_resource *r = &dev->resource[HV_UIO_MAP_TXRX_RING];
	struct rte_vmbus_chan *chan;
	int ret;

	if (!chan_owner())
		return -ENOTSUP;
	if (rte_vmbus_device_rescinded(dev))
		return -ENODEV;
	if (!priv->mapped)
		return -EINVAL;
	if (priv->primary != NULL)
		return -EEXIST;
	chan = chan_alloc(dev, dev->relid, 0, dev->monitor_id);
	if (chan == NULL)
		return -ENOMEM;
	ret = vmbus_chan_setup(chan, r->addr, (size_t)r->len);
	if (ret != 0) {
		VMBUS_LOG(ERR, "%s: primary ring unusable: %s", dev->name,
			strerror(-ret));
		rte_free(chan);
		return ret == -EINVAL ? -EIO : ret;
	}
	priv->primary = chan;
	*out = chan;
	return 0;
}

static bool
relid_open(const struct vmbus_dev_priv *priv, uint32_t relid)
{
	unsigned int i;

	for (i = 0; i < VMBUS_MAX_CHANNELS; i++)
		if (priv->subchans[i] != NULL &&
		    priv->subchans[i]->relid == relid)
			return true;
	return false;
}

static int
free_sub_slot(const struct vmbus_dev_priv *priv)
{
	unsigned int i;

	for (i = 1; i < VMBUS_MAX_CHANNELS; i++)
		if (priv->subchans[i] == NULL)
			return (int)i;
	return -ENOSPC;
}

/* Map and attach the subchannel described by sc. */
static int
subchan_create(struct rte_vmbus_device *dev, const struct vmbus_sysfs_chan *sc,
	       struct rte_vmbus_chan **out)
{
	struct vmbus_dev_priv *priv = dev->priv;
	struct rte_vmbus_chan *chan;
	void *addr = NULL;
	int slot = free_sub_slot(priv), ret;

	if (slot < 0)
		return slot;
	chan = chan_alloc(dev, sc->relid, (uint16_t)sc->subchannel_id,
			  sc->monitor_id);
	if (chan == NULL)
		return -ENOMEM;
	ret = vmbus_uio_map_ring(dev, sc->relid, sc->ring_size, &addr);
	if (ret == 0) {
		chan->ring_base = addr;
		chan->ring_size = (size_t)sc->ring_size;
		ret = vmbus_chan_setup(chan, addr, chan->ring_size);
		if (ret != 0)
			vmbus_uio_unmap_ring(dev, addr, sc->ring_size);
	}
	if (ret != 0) {
		rte_free(chan);
		return ret == -EINVAL ? -EIO : ret;
	}
	priv->subchans[slot] = chan;
	*out = chan;
	return 0;
}

/*
 * Drivers index their queues by subchannel id (the host's offer index),
 * so the bus vouches for it: below VMBUS_MAX_CHANNELS and not the id of
 * a subchannel already open. Anything else is a broken host: -EINVAL.
 */
static int
check_subchan_id(const struct rte_vmbus_device *dev,
		 const struct vmbus_sysfs_chan *sc)
{
	const struct vmbus_dev_priv *priv = dev->priv;
	unsigned int i;

	if (sc->subchannel_id >= VMBUS_MAX_CHANNELS) {
		VMBUS_LOG(ERR, "%s: channels/%u/subchannel_id %u is not below"
			" %u", dev->name, sc->relid, sc->subchannel_id,
			VMBUS_MAX_CHANNELS);
		return -EINVAL;
	}
	for (i = 0; i < VMBUS_MAX_CHANNELS; i++) {
		if (priv->subchans[i] != NULL &&
		    priv->subchans[i]->subchan_id == sc->subchannel_id) {
			VMBUS_LOG(ERR, "%s: channels/%u/subchannel_id %u is"
				" already relid %u's", dev->name, sc->relid,
				sc->subchannel_id, priv->subchans[i]->relid);
			return -EINVAL;
		}
	}
	return 0;
}

/* Look at channels/<relid>: 1 = opened, 0 = not a candidate, <0 error. */
static int
try_subchan(struct rte_vmbus_device *dev, uint32_t relid, bool *retry,
	    struct rte_vmbus_chan **out)
{
	struct vmbus_sysfs_chan sc;
	const char *bad;
	int ret;

	ret = vmbus_sysfs_read_chan(dev->priv->devdir, relid,
				    vmbus_page_size(), &sc, &bad);
	if (ret == -EAGAIN || ret == -ENOENT) {
		/* Being published (or removed) right now: look again later. */
		*retry = true;
		return 0;
	}
	if (ret != 0) {
		VMBUS_LOG(ERR, "%s: channels/%u/%s: %s", dev->name, relid,
			bad != NULL ? bad : "?", strerror(-ret));
		return ret;
	}
	if (sc.subchannel_id == 0)
		return 0;
	ret = check_subchan_id(dev, &sc);
	if (ret != 0)
		return ret;
	ret = subchan_create(dev, &sc, out);
	return ret == 0 ? 1 : ret;
}

int
rte_vmbus_subchan_open(struct rte_vmbus_chan *primary,
		       struct rte_vmbus_chan **out)
{
	uint32_t relids[VMBUS_MAX_CHANNELS * 2];
	struct rte_vmbus_device *dev;
	unsigned int n, i;
	bool retry = false;
	int ret;

	if (!chan_owner())
		return -ENOTSUP;
	dev = primary->dev;
	if (dev == NULL || primary->subchan_id != 0)
		return -EINVAL;
	if (rte_vmbus_device_rescinded(dev))
		return -ENODEV;
	ret = vmbus_sysfs_list_chans(dev->priv->devdir, relids,
				     RTE_DIM(relids), &n);
	if (ret == -ENOENT)
		return -ENOENT;
	if (ret != 0) {
		VMBUS_LOG(ERR, "%s: channels/: %s", dev->name, strerror(-ret));
		return ret;
	}
	for (i = 0; i < n; i++) {
		if (relids[i] == dev->relid || relid_open(dev->priv, relids[i]))
			continue;
		ret = try_subchan(dev, relids[i], &retry, out);
		if (ret != 0)
			return ret < 0 ? ret : 0;
	}
	return retry ? -EAGAIN : -ENOENT;
}

static void
forget_chan(struct vmbus_dev_priv *priv, const struct rte_vmbus_chan *chan)
{
	unsigned int i;

	if (priv->primary == chan)
		priv->primary = NULL;
	for (i = 0; i < VMBUS_MAX_CHANNELS; i++)
		if (priv->subchans[i] == chan)
			priv->subchans[i] = NULL;
}

void
rte_vmbus_chan_close(struct rte_vmbus_chan *chan)
{
	struct rte_vmbus_device *dev;

	if (chan == NULL || !chan_owner())
		return;
	dev = chan->dev;
	if (dev != NULL) {
		vmbus_intr_forget(dev, chan);
		forget_chan(dev->priv, chan);
		if (chan->ring_base != NULL)
			vmbus_uio_unmap_ring(dev, chan->ring_base,
					     chan->ring_size);
	}
	rte_free(chan);
}

/* Channels the driver left open when the device goes away. */
void
vmbus_chan_close_all(struct rte_vmbus_device *dev)
{
	struct vmbus_dev_priv *priv = dev->priv;
	unsigned int i;

	for (i = 0; i < VMBUS_MAX_CHANNELS; i++)
		if (priv->subchans[i] != NULL)
			rte_vmbus_chan_close(priv->subchans[i]);
	if (priv->primary != NULL)
		rte_vmbus_chan_close(priv->primary);
}

uint32_t
rte_vmbus_chan_relid(const struct rte_vmbus_chan *chan)
{
	return chan->relid;
}

uint16_t
rte_vmbus_chan_subchan_id(const struct rte_vmbus_chan *chan)
{
	return chan->subchan_id;
}

uint32_t
rte_vmbus_chan_monitor_id(const struct rte_vmbus_chan *chan)
{
	return chan->monitor_id;
}

int
rte_vmbus_chan_set_latency(struct rte_vmbus_chan *chan, uint32_t ns)
{
	uint32_t units = ns / 100;
	uint16_t *slot;

	if (chan->monitor == NULL ||
	    (slot = hv_chan_monitor_latency(chan->monitor,
					     chan->monitor_id)) == NULL)
		return -ENOTSUP;
	if (units >= UINT16_MAX)
		return -ERANGE;
	__atomic_store_n(slot, (uint16_t)units, __ATOMIC_RELAXED);
	return 0;
}

/*
 * Doorbell for a channel without a monitor id: the relid bit in the
 * guest->host half of the interrupt page, then a write of 1 to the UIO
 * fd so the kernel signals the host (and enables the device's
 * interrupts, which is what that write means to the kernel).
 */
static int
signal_by_int_page(struct rte_vmbus_chan *chan)
{
	struct rte_vmbus_device *dev = vmbus_find_by_minor(chan->uio_minor);
	uint32_t *word = NULL, mask = 0;

	if (chan->int_page != NULL)
		word = hv_chan_int_page_word(chan->int_page, chan->relid, &mask);
	if (word == NULL || dev == NULL)
		return -ENODEV;
	__atomic_fetch_or(word, mask, __ATOMIC_SEQ_CST);
	return vmbus_uio_irq_write(dev, HV_UIO_IRQ_ENABLE);
}

static int
signal_host(struct rte_vmbus_chan *chan)
{
	uint32_t *word = NULL, mask = 0;
	int ret = 0;

	if (chan->monitor != NULL)
		word = hv_chan_monitor_word(chan->monitor, chan->monitor_id,
					    &mask);
	if (word != NULL) {
		/* The host polls and clears pending bits: set ours only. */
		__atomic_fetch_or(word, mask, __ATOMIC_SEQ_CST);
	} else {
		ret = signal_by_int_page(chan);
	}
	if (ret == 0)
		__atomic_fetch_add(&chan->stats.signals, 1, __ATOMIC_RELAXED);
	return ret;
}

int
rte_vmbus_chan_signal(struct rte_vmbus_chan *chan)
{
	if (chan_dead(chan))
		return -ENODEV;
	/* The host masks its Tx-ring interrupt while it drains that ring. */
	if (__atomic_load_n(&chan->tx.hdr->interrupt_mask, __ATOMIC_ACQUIRE))
		return 0;
	return signal_host(chan);
}

/* Write hdr + data under the Tx lock and account for it. */
static int
chan_write(struct rte_vmbus_chan *chan, const void *hdr, uint32_t hlen,
	   const void *data, uint32_t len, bool *need_sig)
{
	struct hv_sg sg[2] = { { hdr, hlen }, { data, len } };
	bool sig = false;
	int ret;

	if (chan_dead(chan))
		return -ENODEV;
	rte_spinlock_lock(&chan->tx_lock);
	ret = vmbus_ring_write(&chan->tx, sg, len != 0 ? 2 : 1, &sig);
	if (ret == 0) {
		chan->stats.tx_packets++;
		chan->stats.tx_bytes += len;
	} else if (ret == -EAGAIN) {
		chan->stats.ring_full++;
	} else if (ret == -EIO) {
		__atomic_fetch_add(&chan->stats.corrupt, 1, __ATOMIC_RELAXED);
	}
	rte_spinlock_unlock(&chan->tx_lock);
	if (ret != 0 || !sig)
		return ret;
	if (need_sig != NULL) {
		*need_sig = true;
		return 0;
	}
	return signal_host(chan);
}

int
rte_vmbus_chan_send(struct rte_vmbus_chan *chan, const void *data,
		    uint32_t len, uint64_t xactid, uint32_t flags,
		    bool *need_sig)
{
	uint8_t hdr[VMBUS_INBAND_HDR_MAX];
	int hlen;

	if (chan == NULL || (data == NULL && len != 0) ||
	    (flags & ~RTE_VMBUS_FLAG_COMPLETION_REQUESTED) != 0)
		return -EINVAL;
	hlen = vmbus_pkt_build_inband(hdr, sizeof(hdr), len, xactid,
				      (uint16_t)flags);
	if (hlen < 0)
		return hlen;
	return chan_write(chan, hdr, (uint32_t)hlen, data, len, need_sig);
}

int
rte_vmbus_chan_send_comp(struct rte_vmbus_chan *chan, const void *data,
			 uint32_t len, uint64_t xactid, bool *need_sig)
{
	uint8_t hdr[VMBUS_INBAND_HDR_MAX];
	int hlen;

	if (chan == NULL || (data == NULL && len != 0))
		return -EINVAL;
	hlen = vmbus_pkt_build_comp(hdr, sizeof(hdr), len, xactid);
	if (hlen < 0)
		return hlen;
	return chan_write(chan, hdr, (uint32_t)hlen, data, len, need_sig);
}

int
rte_vmbus_chan_send_gpa(struct rte_vmbus_chan *chan,
			const struct rte_vmbus_gpa *gpa, uint32_t n,
			const void *data, uint32_t len, uint64_t xactid,
			uint32_t flags, bool *need_sig)
{
	uint8_t hdr[VMBUS_PKT_GPA_PAGES_HDR_LEN(VMBUS_MAX_GPA)];
	uint32_t i;
	int hlen;

	if (chan == NULL || gpa == NULL || n == 0 || n > VMBUS_MAX_GPA ||
	    (data == NULL && len != 0) ||
	    (flags & ~RTE_VMBUS_FLAG_COMPLETION_REQUESTED) != 0)
		return -EINVAL;
	/* Ranges go straight into the header, each checked on the way. */
	for (i = 0; i < n; i++)
		if (!vmbus_pkt_gpa_page_put(hdr, i, gpa[i].pfn, gpa[i].offset,
					    gpa[i].len))
			return -EINVAL;
	hlen = vmbus_pkt_build_gpa_hdr(hdr, sizeof(hdr), n, len, xactid,
				       (uint16_t)flags);
	if (hlen < 0)
		return hlen;
	return chan_write(chan, hdr, (uint32_t)hlen, data, len, need_sig);
}

static inline __attribute__((always_inline)) int
chan_read(struct rte_vmbus_chan *chan, void *buf, uint32_t *len, bool consume)
{
	uint32_t pkt_len = 0;
	int ret;

	if (chan == NULL || len == NULL || (buf == NULL && *len != 0))
		return -EINVAL;
	if (chan_dead(chan))
		return -ENODEV;
	/* Completions arrive one small packet after the other (one per
	 * page-buffer send): the common case inline, the rest as before. */
	if (consume)
		ret = vmbus_ring_read_inline(&chan->rx, buf, *len, &pkt_len);
	else
		ret = vmbus_ring_peek(&chan->rx, buf, *len, &pkt_len);
	if (ret == 0 || ret == -ENOBUFS)
		*len = pkt_len;
	if (ret == 0 && consume) {
		chan->stats.rx_packets++;
		chan->stats.rx_bytes += pkt_len;
	} else if (ret == -EIO) {
		__atomic_fetch_add(&chan->stats.corrupt, 1, __ATOMIC_RELAXED);
	}
	return ret;
}

int
rte_vmbus_chan_recv(struct rte_vmbus_chan *chan, void *buf, uint32_t *len)
{
	return chan_read(chan, buf, len, true);
}

bool
rte_vmbus_chan_rx_empty(const struct rte_vmbus_chan *chan)
{
	return !chan_dead(chan) && vmbus_ring_read_empty(&chan->rx);
}

int
rte_vmbus_chan_peek(struct rte_vmbus_chan *chan, void *buf, uint32_t *len)
{
	return chan_read(chan, buf, len, false);
}

int
rte_vmbus_chan_recv_commit(struct rte_vmbus_chan *chan)
{
	bool sig = false;
	int ret;

	if (chan_dead(chan))
		return -ENODEV;
	ret = vmbus_ring_commit(&chan->rx, &sig);
	if (ret == -EIO)
		__atomic_fetch_add(&chan->stats.corrupt, 1, __ATOMIC_RELAXED);
	/* The host waits for room (pending_send_sz) and now has it. */
	if (sig) {
		int sret = signal_host(chan);

		if (ret == 0)
			ret = sret;
	}
	return ret;
}

int
rte_vmbus_chan_stats_get(const struct rte_vmbus_chan *chan,
			 struct rte_vmbus_chan_stats *stats)
{
	if (chan == NULL || stats == NULL)
		return -EINVAL;
	*stats = chan->stats;
	stats->signals = __atomic_load_n(&chan->stats.signals, __ATOMIC_RELAXED);
	stats->corrupt = __atomic_load_n(&chan->stats.corrupt, __ATOMIC_RELAXED);
	return 0;
}

void
rte_vmbus_chan_stats_reset(struct rte_vmbus_chan *chan)
{
	memset(&chan->stats, 0, sizeof(chan->stats));
}
