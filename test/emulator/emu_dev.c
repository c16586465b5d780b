/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One emulated NIC: what uio_hv_generic would set up at probe (regions,
 * sysfs, /dev/uioN) and its channel life cycle.
 *
 * Interrupt-mask behaviour (cfg.old_irq_mask selects the old one):
 *  - current kernels open a channel with the inbound interrupt_mask = 1
 *    and mask again in the channel callback before notifying; a guest
 *    write of 1/0 sets the mask to 0/1 on the primary and on every
 *    subchannel.
 *  - old kernels left the freshly zeroed mask at 0, never auto-masked and
 *    only touched the primary on irq control.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "emu_internal.h"
#include "hv_chan_geom.h"

static size_t
sys_page(void)
{
	long p = sysconf(_SC_PAGESIZE);

	return p > 0 ? (size_t)p : HV_PAGE_SIZE;
}

static const struct emu_config *
cfg_of(const struct emu_dev *dev)
{
	return &dev->host->cfg;
}

static void irq_late_cancel(struct emu_dev *dev);

/* The channel's ring region split as guests split it (hv_chan_geom.h). */
static struct hv_chan_geom
ring_geom(const struct emu_chan *ch)
{
	struct hv_chan_geom g = { 0 };

	/* Ring sizes are validated when the region is created. */
	(void)hv_chan_split(ch->ring->base, ch->ring->size, sys_page(), &g);
	return g;
}

static struct emu_ring
ring_half(const struct emu_chan *ch, bool second)
{
	struct hv_chan_geom g = ring_geom(ch);
	struct emu_ring r = {
		.hdr = second ? g.rx_hdr : g.tx_hdr,
		.data = second ? g.rx_data : g.tx_data,
		.data_size = g.data_size,
	};

	return r;
}

struct emu_ring
emu_chan_g2h(const struct emu_chan *ch)
{
	return ring_half(ch, false);
}

struct emu_ring
emu_chan_h2g(const struct emu_chan *ch)
{
	return ring_half(ch, true);
}

/* What hv_ringbuffer_init does on every channel open. */
static void
ring_reset(struct emu_chan *ch, bool mask_inbound)
{
	struct hv_chan_geom g = ring_geom(ch);

	hv_chan_reset_headers(&g, mask_inbound);
}

static void
call_chan_hook(struct emu_chan *ch, bool open)
{
	struct emu_host *h = ch->dev->host;

	if (h->ops == NULL)
		return;
	if (open && h->ops->chan_open != NULL)
		h->ops->chan_open(h->ops_arg, ch);
	if (!open && h->ops->chan_close != NULL)
		h->ops->chan_close(h->ops_arg, ch);
}

static int
uio_open_cb(void *arg)
{
	struct emu_dev *dev = arg;

	if (dev->rescinded)
		return -ENODEV;
	ring_reset(&dev->chan[0], !cfg_of(dev)->old_irq_mask);
	dev->open = true;
	call_chan_hook(&dev->chan[0], true);
	return 0;
}

static void
subchan_teardown(struct emu_chan *ch)
{
	call_chan_hook(ch, false);
	emu_sysfs_chan_remove(ch->dev->host->root, ch->dev->guid, ch->relid);
	emu_region_destroy(&ch->own);
	memset(ch, 0, sizeof(*ch));
}

/* The kernel's channel close: subchannels go away, the primary stays. */
static void
uio_close_cb(void *arg)
{
	struct emu_dev *dev = arg;
	unsigned int i;

	for (i = 1; i < EMU_MAX_CHANS; i++)
		if (dev->chan[i].used)
			subchan_teardown(&dev->chan[i]);
	call_chan_hook(&dev->chan[0], false);
	emu_guestmem_clear(&dev->mem);
	irq_late_cancel(dev);
	dev->open = false;
}

static void
uio_write_cb(void *arg, uint32_t value)
{
	struct emu_dev *dev = arg;
	struct emu_host *h = dev->host;
	bool enable = value != HV_UIO_IRQ_DISABLE;
	unsigned int i, n = cfg_of(dev)->old_irq_mask ? 1 : EMU_MAX_CHANS;

	for (i = 0; i < n; i++) {
		if (!dev->chan[i].used)
			continue;
		__atomic_store_n(&emu_chan_h2g(&dev->chan[i]).hdr->interrupt_mask,
				 enable ? 0u : 1u, __ATOMIC_RELAXED);
	}
	/* Full barrier like the kernel: the mask is visible before we
	 * look at the ring on the guest's behalf. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (h->ops != NULL && h->ops->irq_control != NULL)
		h->ops->irq_control(h->ops_arg, dev, enable);
	if (h->ops != NULL && h->ops->doorbell != NULL)
		h->ops->doorbell(h->ops_arg, dev, value);
}

static void
uio_mem_cb(void *arg, const struct emu_mem_range *r, int fd)
{
	struct emu_dev *dev = arg;
	struct emu_host *h = dev->host;

	/* A bad range only costs the guest that translation. */
	if (emu_guestmem_add_fd(&dev->mem, r, fd) != 0)
		return;
	if (h->ops != NULL && h->ops->guest_mem != NULL)
		h->ops->guest_mem(h->ops_arg, dev);
}

static void
uio_frames_cb(void *arg, const struct emu_frame_extent *e, unsigned int n)
{
	struct emu_dev *dev = arg;

	/* A bad extent only costs the guest those translations. */
	(void)emu_guestmem_add_frames(&dev->mem, e, n);
}

/* A dead or refused opener's ranges; an open channel keeps its own. */
static void
uio_mem_abandon_cb(void *arg)
{
	struct emu_dev *dev = arg;

	if (!dev->open)
		emu_guestmem_clear(&dev->mem);
}

static const struct emu_uio_ops dev_uio_ops = {
	.open = uio_open_cb,
	.close = uio_close_cb,
	.write = uio_write_cb,
	.mem = uio_mem_cb,
	.frames = uio_frames_cb,
	.mem_abandon = uio_mem_abandon_cb,
};

static int
create_regions(struct emu_dev *dev)
{
	const struct emu_config *c = cfg_of(dev);
	size_t size[HV_UIO_MAP_COUNT] = {
		2 * c->ring_size, HV_PAGE_SIZE, HV_PAGE_SIZE, c->recv_size, c->send_size,
	};
	char path[PATH_MAX];
	unsigned int k;
	int ret = emu_path(path, sizeof(path), "%s/%s/uio%u", dev->host->root,
			   EMU_REGION_DIR, dev->sysfs.uio);

	if (ret == 0)
		ret = emu_sysfs_mkdirs(path);
	for (k = 0; ret == 0 && k < HV_UIO_MAP_COUNT; k++) {
		/* Pages smaller than the system page still map whole pages. */
		if (size[k] < sys_page())
			size[k] = sys_page();
		ret = emu_path(path, sizeof(path), "%s/%s/uio%u/map%u",
			       dev->host->root, EMU_REGION_DIR, dev->sysfs.uio, k);
		if (ret == 0)
			ret = emu_region_create(&dev->map[k], path, size[k]);
		dev->sysfs.map_size[k] = size[k];
	}
	return ret;
}

/*
 * NIC k of offer g: base + 16g + 2k (recv) and + 1 (send), wrapping
 * inside [base, UINT32_MAX]. The kernel takes GPADL handles from one
 * global counter, so a re-offered device's buffers get new ones.
 */
static uint32_t
gpadl_handle(const struct emu_dev *dev, unsigned int sel)
{
	const struct emu_config *c = cfg_of(dev);
	/* emu_config_check keeps base <= UINT32_MAX - 2 * EMU_MAX_NICS. */
	uint64_t span = (uint64_t)UINT32_MAX - c->gpadl_base + 1;
	uint64_t off = (uint64_t)dev->generation * 2u * EMU_MAX_NICS +
		       2u * dev->index + sel;

	return (uint32_t)(c->gpadl_base + off % span);
}

static void
set_gpadls(struct emu_dev *dev)
{
	struct emu_sysfs_dev *s = &dev->sysfs;

	dev->gpadl[HV_UIO_MAP_RECV_BUF] = gpadl_handle(dev, 0);
	dev->gpadl[HV_UIO_MAP_SEND_BUF] = gpadl_handle(dev, 1);
	/* Decimal: consumers parse with base 0, a leading 0 would be octal. */
	snprintf(s->map_name[3], sizeof(s->map_name[3]), HV_UIO_MAP_NAME_RECV_BUF "%u",
		 dev->gpadl[HV_UIO_MAP_RECV_BUF]);
	snprintf(s->map_name[4], sizeof(s->map_name[4]), HV_UIO_MAP_NAME_SEND_BUF "%u",
		 dev->gpadl[HV_UIO_MAP_SEND_BUF]);
}

static void
fill_identity(struct emu_dev *dev, unsigned int index)
{
	const struct emu_config *c = cfg_of(dev);
	struct emu_sysfs_dev *s = &dev->sysfs;

	dev->index = index;
	/* Stable per index so that scripts can use -a vmbus:<guid>. */
	snprintf(dev->guid, sizeof(dev->guid), "76d4a3e2-9c1b-4f0e-a5d7-%012x",
		 index + 1);
	memcpy(dev->mac, c->mac, sizeof(dev->mac));
	dev->mac[5] = (uint8_t)(dev->mac[5] + index);
	s->root = dev->host->root;
	s->guid = dev->guid;
	s->class_guid = VMBUS_CLASS_NETWORK;
	s->uio = index;
	s->relid = c->relid_base + index * EMU_RELID_STRIDE;
	s->monitor_id = c->monitor_base + index * EMU_MONITOR_STRIDE;
	s->bound_uio = !c->unbound;
	snprintf(s->map_name[0], sizeof(s->map_name[0]), HV_UIO_MAP_NAME_TXRX_RING);
	snprintf(s->map_name[1], sizeof(s->map_name[1]), HV_UIO_MAP_NAME_INT_PAGE);
	snprintf(s->map_name[2], sizeof(s->map_name[2]), HV_UIO_MAP_NAME_MONITOR_PAGE);
	set_gpadls(dev);
}

static int
start_uio(struct emu_dev *dev)
{
	char path[PATH_MAX];
	int ret = emu_path(path, sizeof(path), "%s/dev/uio%u", dev->host->root,
			   dev->sysfs.uio);

	return ret ? ret : emu_uio_listen(&dev->uio, dev->host->loop, path,
					  &dev_uio_ops, dev);
}

static void
oneshot_cancel(struct emu_dev *dev, int *fdp)
{
	if (*fdp < 0)
		return;
	emu_loop_del(dev->host->loop, *fdp);
	close(*fdp);
	*fdp = -1;
}

/* A timer of the loop that fires once, us microseconds from now. */
static int
oneshot_start(struct emu_dev *dev, uint64_t us, emu_loop_fd_cb fire, int *fdp)
{
	struct itimerspec its = {
		.it_value = { (time_t)(us / 1000000u), (long)(us % 1000000u) * 1000L },
	};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	int ret;

	if (fd < 0)
		return -errno;
	if (timerfd_settime(fd, 0, &its, NULL) != 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ret = emu_loop_add(dev->host->loop, fd, EPOLLIN, fire, dev);
	if (ret != 0) {
		close(fd);
		return ret;
	}
	*fdp = fd;
	return 0;
}

static void
ring_timer_cancel(struct emu_dev *dev)
{
	oneshot_cancel(dev, &dev->ring_timer_fd);
}

/* Late interrupt callbacks not yet run die with the channels. */
static void
irq_late_cancel(struct emu_dev *dev)
{
	oneshot_cancel(dev, &dev->irq_timer_fd);
	dev->irq_late = 0;
}

static void
ring_timer_fire(void *arg, uint32_t events)
{
	struct emu_dev *dev = arg;
	struct emu_chan *p = &dev->chan[0];
	uint64_t n;

	(void)events;
	if (read(dev->ring_timer_fd, &n, sizeof(n)) != (ssize_t)sizeof(n))
		return;
	ring_timer_cancel(dev);
	/* Nothing to report to: a guest waiting for the file just waits on. */
	(void)emu_sysfs_chan_add_ring(dev->host->root, dev->guid, p->relid, p->ring);
}

static int
ring_timer_start(struct emu_dev *dev, unsigned int ms)
{
	return oneshot_start(dev, (uint64_t)ms * 1000u, ring_timer_fire,
			     &dev->ring_timer_fd);
}

/*
 * What the kernel does when the host offers the device: regions, sysfs,
 * the primary's channel directory (ring possibly late) and /dev/uioN.
 */
static int
offer(struct emu_dev *dev, unsigned int ring_delay_ms)
{
	struct emu_chan *p = &dev->chan[0];
	bool bound = dev->sysfs.bound_uio;
	bool late = bound && ring_delay_ms != 0;
	int ret = 0;

	if (bound)
		ret = create_regions(dev);
	if (ret == 0)
		ret = emu_sysfs_dev_create(&dev->sysfs);
	if (ret == 0)
		ret = emu_sysfs_chan_publish(dev->host->root, dev->guid, p->relid, 0,
					     p->monitor_id,
					     bound && !late ? p->ring : NULL);
	if (ret == 0 && late)
		ret = ring_timer_start(dev, ring_delay_ms);
	if (ret == 0 && bound) {
		ring_reset(p, !cfg_of(dev)->old_irq_mask);
		ret = start_uio(dev);
	}
	return ret;
}

static void
destroy_regions(struct emu_dev *dev)
{
	unsigned int k;

	for (k = 0; k < HV_UIO_MAP_COUNT; k++)
		emu_region_destroy(&dev->map[k]);
}

/* Undo offer(): what vmbus_device_unregister does. */
static void
unoffer(struct emu_dev *dev)
{
	emu_uio_rescind(&dev->uio);
	ring_timer_cancel(dev);
	(void)emu_sysfs_dev_remove(&dev->sysfs);
	/* The guest's own mappings keep the (unlinked) memory alive. */
	destroy_regions(dev);
}

int
emu_dev_create(struct emu_host *h, unsigned int index, struct emu_dev **out)
{
	struct emu_dev *dev = calloc(1, sizeof(*dev));
	struct emu_chan *p;
	int ret;

	if (dev == NULL)
		return -ENOMEM;
	dev->host = h;
	dev->uio.lfd = -1;
	dev->ring_timer_fd = -1;
	dev->irq_timer_fd = -1;
	emu_guestmem_init(&dev->mem);
	dev->mem.gpa_is_va = h->cfg.gpa_is_va;
	fill_identity(dev, index);
	p = &dev->chan[0];
	p->dev = dev;
	p->used = true;
	p->relid = dev->sysfs.relid;
	p->monitor_id = dev->sysfs.monitor_id;
	p->ring = &dev->map[HV_UIO_MAP_TXRX_RING];
	ret = offer(dev, 0);
	if (ret != 0) {
		emu_dev_destroy(dev);
		return ret;
	}
	*out = dev;
	return 0;
}

void
emu_dev_destroy(struct emu_dev *dev)
{
	if (dev == NULL)
		return;
	emu_uio_destroy(&dev->uio);
	ring_timer_cancel(dev);
	irq_late_cancel(dev);
	if (dev->open)
		uio_close_cb(dev);
	emu_guestmem_clear(&dev->mem);
	destroy_regions(dev);
	free(dev);
}

static bool
relid_in_use(const struct emu_dev *dev, uint32_t relid, uint32_t subchan_id)
{
	unsigned int i;

	for (i = 0; i < EMU_MAX_CHANS; i++) {
		const struct emu_chan *c = &dev->chan[i];

		if (c->used && (c->relid == relid || c->subchan_id == subchan_id))
			return true;
	}
	return false;
}

static struct emu_chan *
free_chan_slot(struct emu_dev *dev)
{
	unsigned int i;

	for (i = 1; i < EMU_MAX_CHANS; i++)
		if (!dev->chan[i].used)
			return &dev->chan[i];
	return NULL;
}

int
emu_dev_add_subchan(struct emu_dev *dev, uint32_t relid, uint32_t subchan_id,
		    uint32_t monitor_id, struct emu_chan **out)
{
	struct emu_host *h = dev->host;
	struct emu_chan *ch;
	char path[PATH_MAX];
	int ret;

	if (relid == 0 || relid >= VMBUS_RELID_MAX || subchan_id == 0 ||
	    subchan_id >= EMU_MAX_CHANS ||
	    (monitor_id >= VMBUS_MONITOR_ID_MAX && monitor_id != EMU_NO_MONITOR))
		return -ERANGE;
	if (!dev->open || dev->rescinded)
		return -EPROTO;
	if (relid_in_use(dev, relid, subchan_id))
		return -EEXIST;
	ch = free_chan_slot(dev);
	if (ch == NULL)
		return -ENOBUFS;
	ret = emu_path(path, sizeof(path), "%s/%s/uio%u/chan%u", h->root,
		       EMU_REGION_DIR, dev->sysfs.uio, relid);
	if (ret == 0)
		ret = emu_region_create(&ch->own, path, 2 * h->cfg.ring_size);
	if (ret != 0)
		return ret;
	ch->dev = dev;
	ch->relid = relid;
	ch->subchan_id = subchan_id;
	ch->monitor_id = monitor_id;
	ch->ring = &ch->own;
	ring_reset(ch, !h->cfg.old_irq_mask);
	ret = emu_sysfs_chan_publish(h->root, dev->guid, relid, subchan_id,
				     monitor_id, ch->ring);
	if (ret != 0) {
		emu_region_destroy(&ch->own);
		return ret;
	}
	ch->used = true;
	call_chan_hook(ch, true);
	if (out != NULL)
		*out = ch;
	return 0;
}

/* The guest kernel's channel callback: mask (current kernels), notify. */
static void
irq_callback(struct emu_dev *dev, struct emu_chan *ch)
{
	if (!cfg_of(dev)->old_irq_mask)
		__atomic_store_n(&emu_chan_h2g(ch).hdr->interrupt_mask, 1u,
				 __ATOMIC_RELEASE);
}

static void
irq_notify(struct emu_dev *dev)
{
	dev->irq_count++;
	emu_sysfs_dev_set_event(&dev->sysfs, dev->irq_count);
	emu_uio_notify(&dev->uio, dev->irq_count);
}

/*
 * --irq-late-us: the callbacks run late, as when the guest's CPU is slow
 * to take the interrupt. Meanwhile the channel stays unmasked, and a
 * guest that polled the packet in and unmasked again (to sleep) gets the
 * mask set behind its back: only the interrupt count that comes with it
 * tells it so. Signals of a channel whose callback is still due are one.
 */
static void
irq_late_fire(void *arg, uint32_t events)
{
	struct emu_dev *dev = arg;
	uint64_t n, due = dev->irq_late;
	unsigned int i;

	(void)events;
	if (read(dev->irq_timer_fd, &n, sizeof(n)) != (ssize_t)sizeof(n))
		return;
	irq_late_cancel(dev);
	if (!dev->open || dev->rescinded || due == 0)
		return;
	for (i = 0; i < EMU_MAX_CHANS; i++)
		if ((due >> i & 1u) != 0 && dev->chan[i].used)
			irq_callback(dev, &dev->chan[i]);
	irq_notify(dev);
}

int
emu_dev_raise_irq(struct emu_dev *dev, struct emu_chan *ch)
{
	struct vmbus_ring_hdr *rx;
	unsigned int idx;

	if (!dev->open || dev->rescinded || ch == NULL || !ch->used ||
	    ch->dev != dev)
		return -EPROTO;
	rx = emu_chan_h2g(ch).hdr;
	/* The host signals only a reader that asked for it. */
	if (__atomic_load_n(&rx->interrupt_mask, __ATOMIC_ACQUIRE) != 0)
		return 0;
	if (cfg_of(dev)->irq_late_us == 0) {
		irq_callback(dev, ch);
		irq_notify(dev);
		return 1;
	}
	idx = (unsigned int)(ch - dev->chan);
	dev->irq_late |= UINT64_C(1) << idx;
	if (dev->irq_timer_fd < 0 &&
	    oneshot_start(dev, cfg_of(dev)->irq_late_us, irq_late_fire,
			  &dev->irq_timer_fd) != 0) {
		/* No timer: the callback runs now rather than never. */
		dev->irq_late = 0;
		irq_callback(dev, ch);
		irq_notify(dev);
	}
	return 1;
}

int
emu_dev_rescind(struct emu_dev *dev)
{
	if (dev->rescinded)
		return -EPROTO;
	dev->rescinded = true;
	/* The host stops serving now, not when the guest notices: the
	 * service lets go of the rings before they are unmapped. */
	if (dev->open)
		uio_close_cb(dev);
	unoffer(dev);
	/* Ranges of openers still mid-handshake die with their sockets. */
	emu_guestmem_clear(&dev->mem);
	return 0;
}

int
emu_dev_reoffer(struct emu_dev *dev, unsigned int ring_delay_ms)
{
	int ret;

	if (!dev->rescinded)
		return -EPROTO;
	dev->generation++;
	set_gpadls(dev);
	/* A new uio device: its event counter starts from 0. */
	dev->irq_count = 0;
	ret = offer(dev, ring_delay_ms);
	if (ret != 0) {
		unoffer(dev);
		return ret;
	}
	dev->rescinded = false;
	return 0;
}

bool
emu_dev_is_rescinded(const struct emu_dev *dev)
{
	return dev->rescinded;
}
