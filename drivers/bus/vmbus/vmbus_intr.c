/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rx interrupts per channel. The kernel has one event for the whole
 * device (every channel's interrupt bumps the same /dev/uioN count), so
 * a per-queue wakeup needs a fan-out: each channel a driver waits on gets
 * an eventfd of this process, and the EAL interrupt thread, which reads
 * every interrupt of the device anyway (the rescind watch in
 * vmbus_bus.c), writes the eventfd of each enabled channel whose ring
 * has data. An application sleeps in epoll on those eventfds.
 *
 * Interrupt masks: the bus writes each ring's interrupt_mask itself,
 * because current kernels leave it to userspace and old ones only own
 * the primary's (they set it on each interrupt; we clear it again on
 * enable). The host signals only an empty-to-non-empty transition of an
 * unmasked ring, so after unmasking we look at the ring once more and, if
 * data slipped in meanwhile, write the eventfd ourselves: nobody else
 * would. A write of 1 to the UIO fd (enable on the primary) also unmasks
 * every subchannel on kernels since late 2025, so disabled ones are
 * masked again right after; a write of 0 would mask the enabled
 * subchannels of other lcores, so disable never writes it.
 *
 * Current kernels mask a channel in their interrupt callback, which
 * runs some time after the host's signal. A thread that meanwhile polled
 * the packet in and enabled again (unmask, ring empty, sleep) finds the
 * mask set behind its back, and the host will never signal it again: a
 * lost wakeup. The callback's mask comes before its uio count, so the
 * dispatch, which runs on each count, unmasks every enabled channel
 * again and looks at its ring. Enable, disable and the dispatch write
 * masks under intr_lock, so a dispatch never unmasks a channel that
 * was disabled meanwhile.
 */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_eal.h>

#include "vmbus_private.h"

static bool
chan_dead(const struct rte_vmbus_chan *chan)
{
	return __atomic_load_n(&chan->rescinded, __ATOMIC_RELAXED) != 0;
}

/* This process's slot of chan, or NULL if it has none. */
static struct vmbus_intr_slot *
slot_of(const struct rte_vmbus_chan *chan, struct rte_vmbus_device **devp)
{
	struct rte_vmbus_device *dev = vmbus_find_by_minor(chan->uio_minor);
	struct vmbus_intr_slot *s;

	if (devp != NULL)
		*devp = dev;
	if (dev == NULL || chan->subchan_id >= VMBUS_MAX_CHANNELS)
		return NULL;
	s = &dev->priv->intr[chan->subchan_id];
	return s->chan == chan ? s : NULL;
}

/* Published data the reader has not consumed; a hint, may be stale. */
static bool
ring_has_data(const struct rte_vmbus_chan *chan)
{
	return __atomic_load_n(&chan->rx.hdr->write_index, __ATOMIC_ACQUIRE) !=
		__atomic_load_n(&chan->rx.hdr->read_index, __ATOMIC_ACQUIRE);
}

/*
 * The dispatch's unmask. Not vmbus_ring_intr_unmask(): that compares
 * with the reader's private index, which belongs to the polling thread.
 * The full fence orders the store before ring_has_data's loads (the
 * host's side: store write_index, load mask).
 */
static void
unmask_again(const struct rte_vmbus_chan *chan)
{
	__atomic_store_n(&chan->rx.hdr->interrupt_mask, 0, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static void
wake(const struct vmbus_intr_slot *s)
{
	uint64_t one = 1;

	/* EAGAIN: the counter is saturated, the reader wakes anyway. */
	if (write(s->efd, &one, sizeof(one)) < 0) {
		/* Nothing to do: the fd is ours and nonblocking. */
	}
}

int
rte_vmbus_chan_intr_fd(struct rte_vmbus_chan *chan)
{
	struct rte_vmbus_device *dev;
	struct vmbus_intr_slot *s;
	int fd;

	if (chan == NULL)
		return -EINVAL;
	if (chan_dead(chan))
		return -ENODEV;
	s = slot_of(chan, &dev);
	if (s != NULL)
		return s->efd;
	if (dev == NULL || chan->subchan_id >= VMBUS_MAX_CHANNELS)
		return -ENODEV;
	s = &dev->priv->intr[chan->subchan_id];
	if (s->chan != NULL)
		return -EBUSY; /* a closed channel's slot not released */
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	rte_spinlock_lock(&dev->priv->intr_lock);
	s->efd = fd;
	__atomic_store_n(&s->enabled, 0, __ATOMIC_RELAXED);
	s->chan = chan;
	rte_spinlock_unlock(&dev->priv->intr_lock);
	return fd;
}

/* EAL interrupt thread, after it read one interrupt of dev. */
void
vmbus_intr_dispatch(struct rte_vmbus_device *dev)
{
	struct vmbus_dev_priv *priv = dev->priv;
	unsigned int i;

	rte_spinlock_lock(&priv->intr_lock);
	for (i = 0; i < VMBUS_MAX_CHANNELS; i++) {
		struct vmbus_intr_slot *s = &priv->intr[i];

		if (s->chan == NULL ||
		    __atomic_load_n(&s->enabled, __ATOMIC_ACQUIRE) == 0)
			continue;
		unmask_again(s->chan);
		if (ring_has_data(s->chan))
			wake(s);
	}
	rte_spinlock_unlock(&priv->intr_lock);
}

static void
release(struct vmbus_intr_slot *s)
{
	if (s->chan == NULL)
		return;
	close(s->efd);
	s->chan = NULL;
	s->efd = -1;
	__atomic_store_n(&s->enabled, 0, __ATOMIC_RELAXED);
}

/* A channel goes away: its eventfd with it. */
void
vmbus_intr_forget(struct rte_vmbus_device *dev,
		  const struct rte_vmbus_chan *chan)
{
	struct vmbus_dev_priv *priv = dev->priv;

	if (chan->subchan_id >= VMBUS_MAX_CHANNELS)
		return;
	rte_spinlock_lock(&priv->intr_lock);
	if (priv->intr[chan->subchan_id].chan == chan)
		release(&priv->intr[chan->subchan_id]);
	rte_spinlock_unlock(&priv->intr_lock);
}

/* The device is released in this process (the watch has stopped). */
void
vmbus_intr_fini(struct rte_vmbus_device *dev)
{
	struct vmbus_dev_priv *priv = dev->priv;
	unsigned int i;

	rte_spinlock_lock(&priv->intr_lock);
	for (i = 0; i < VMBUS_MAX_CHANNELS; i++)
		release(&priv->intr[i]);
	rte_spinlock_unlock(&priv->intr_lock);
}

/* After a UIO enable write unmasked them all: disabled ones masked again. */
static void
remask_disabled(struct rte_vmbus_device *dev)
{
	struct vmbus_dev_priv *priv = dev->priv;
	unsigned int i;

	rte_spinlock_lock(&priv->intr_lock);
	for (i = 1; i < VMBUS_MAX_CHANNELS; i++) {
		struct vmbus_intr_slot *s = &priv->intr[i];

		if (s->chan != NULL &&
		    __atomic_load_n(&s->enabled, __ATOMIC_ACQUIRE) == 0)
			vmbus_ring_intr_mask(&s->chan->rx);
	}
	rte_spinlock_unlock(&priv->intr_lock);
}

int
rte_vmbus_chan_intr_enable(struct rte_vmbus_chan *chan)
{
	struct rte_vmbus_device *dev;
	struct vmbus_intr_slot *s;
	bool pending;
	int ret;

	if (chan == NULL)
		return -EINVAL;
	if (chan_dead(chan))
		return -ENODEV;
	s = slot_of(chan, &dev);
	/* Before the unmask: an interrupt from then on must find it set. */
	if (s != NULL)
		__atomic_store_n(&s->enabled, 1, __ATOMIC_SEQ_CST);
	if (chan->subchan_id == 0) {
		if (dev == NULL)
			return -ENODEV;
		ret = vmbus_uio_irq_write(dev, HV_UIO_IRQ_ENABLE);
		if (ret != 0)
			return ret;
		remask_disabled(dev);
	}
	pending = vmbus_ring_intr_unmask(&chan->rx);
	if (pending && s != NULL)
		wake(s);
	return pending ? 1 : 0;
}

int
rte_vmbus_chan_intr_disable(struct rte_vmbus_chan *chan)
{
	struct rte_vmbus_device *dev;
	struct vmbus_intr_slot *s;

	if (chan == NULL)
		return -EINVAL;
	if (chan_dead(chan))
		return -ENODEV;
	s = slot_of(chan, &dev);
	if (dev != NULL)
		rte_spinlock_lock(&dev->priv->intr_lock);
	if (s != NULL)
		__atomic_store_n(&s->enabled, 0, __ATOMIC_SEQ_CST);
	vmbus_ring_intr_mask(&chan->rx);
	if (dev != NULL)
		rte_spinlock_unlock(&dev->priv->intr_lock);
	return 0;
}
