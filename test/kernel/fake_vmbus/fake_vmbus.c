// SPDX-License-Identifier: GPL-2.0
/*
 * fake_vmbus: test-only stand-in for hv_vmbus, so UIO glue drivers (ours
 * and the distribution's unmodified uio_hv_generic.ko) load and probe in
 * a QEMU guest that has no Hyper-V.
 *
 * It registers a "vmbus" bus, exports the hv_vmbus symbols those drivers
 * import (after the build, patch_crc.py gives the exports the CRCs of the
 * real hv_vmbus so modversions accept them), and plays the host through
 * debugfs, /sys/kernel/debug/fake_vmbus/ctl:
 *   offer         offer the synthetic NIC (primary channel 14)
 *   sub N         offer N sub-channels (relids 15...)
 *   kick RELID    host interrupt on a channel; delivered only when the
 *                 channel is open and its inbound interrupt_mask is 0
 *   rescind       rescind the NIC (sub-channels first, as the host does)
 *   hold          the next sub-channel offers stop after their directory
 *                 and "add" uevent, before the driver's callback (the
 *                 window in which the real core's add_channel_work is
 *                 between the two, stretched so a test can look at it)
 *   release       run the held callbacks, in offer order
 * and /sys/kernel/debug/fake_vmbus/stats (counters the test asserts),
 * /sys/kernel/debug/fake_vmbus/numa (on which NUMA node the pages the
 * guest handed to the "host" lie: every open ring and every GPADL).
 *
 * The ordering of the real core is kept where drivers depend on it: a
 * device is registered (and probed) from its primary channel's
 * add_channel_work, before its channels/ directory exists; a
 * sub-channel's directory exists before the driver's sub-channel
 * callback runs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/gfp.h>
#include <linux/hyperv.h>
#include <linux/kobject.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/sysfs.h>
#include <linux/topology.h>
#include <linux/uaccess.h>
#include <linux/version.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include "hv_vmbus_layout.h"

#define NIC_RELID 14u
#define NIC_MONITOR_ID 3u
#define MAX_SUBS 8u

static bool monitor = true;
module_param(monitor, bool, 0444);
MODULE_PARM_DESC(monitor, "Offer channels with a monitor id (default yes)");

/* A CPU of another NUMA node than the test's puts the NIC on that node. */
static unsigned int cpu;
module_param(cpu, uint, 0444);
MODULE_PARM_DESC(cpu, "Target CPU of every channel (default 0)");

static char *instance = "f8615163-0001-1000-2000-00155d000001";
module_param(instance, charp, 0444);
MODULE_PARM_DESC(instance, "Instance GUID of the offered NIC");

/* The private struct of hv_vmbus, laid out as the target's BTF says. */
struct vmbus_connection {
	char raw[HVL_CONNECTION_SIZE];
} __aligned(8);
struct vmbus_connection vmbus_connection;
EXPORT_SYMBOL_GPL(vmbus_connection);

/* Preferred ring sizes by device type: none. */
const struct vmbus_device vmbus_devs[HV_UNKNOWN + 1];
EXPORT_SYMBOL_GPL(vmbus_devs);

static struct device *fv_root;
static struct dentry *fv_debugfs;
static struct hv_device *fv_nic;	/* current offer, or NULL */
static DEFINE_MUTEX(fv_ctl_lock);
static atomic_t fv_next_gpadl = ATOMIC_INIT(0xe1e10);
static atomic_t fv_gpadls, fv_rings, fv_delivered, fv_masked, fv_closed;
static atomic_t fv_set_events;

/*
 * Pages per NUMA node of each GPADL the guest established, counted when
 * it was established (the host sees the guest-physical pages then).
 * Nodes from FV_NODES on are counted together.
 */
#define FV_NODES 4
#define FV_GPADLS 16
struct fv_gpadl_nodes {
	u32 handle;		/* 0: free slot */
	u32 pages;
	u32 on[FV_NODES + 1];
};
static struct fv_gpadl_nodes fv_gpadl_nodes[FV_GPADLS];
static DEFINE_SPINLOCK(fv_gpadl_lock);

static void *conn_ptr(unsigned int off)
{
	return vmbus_connection.raw + off;
}

static struct mutex *fv_channel_mutex(void)
{
	BUILD_BUG_ON(HVL_MUTEX_SIZE != sizeof(struct mutex));
	return conn_ptr(HVL_CONNECTION_CHANNEL_MUTEX);
}

/* ------------------------------------------------------------ bus */

struct fv_dynid {
	struct list_head node;
	struct hv_vmbus_device_id id;
};

static const struct hv_vmbus_device_id fv_null_id;

static const struct hv_vmbus_device_id *fv_get_id(const struct hv_driver *drv,
						  const guid_t *type)
{
	const struct hv_vmbus_device_id *id;
	struct fv_dynid *dyn;

	list_for_each_entry(dyn, &drv->dynids.list, node)
		if (guid_equal(&dyn->id.guid, type))
			return &dyn->id;
	for (id = drv->id_table; id && !guid_is_null(&id->guid); id++)
		if (guid_equal(&id->guid, type))
			return id;
	return NULL;
}

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
static int fv_match(struct device *dev, const struct device_driver *drv)
#else
static int fv_match(struct device *dev, struct device_driver *drv)
#endif
{
	struct hv_device *hdev = device_to_hv_device(dev);
	const struct hv_driver *hdrv = container_of(drv, struct hv_driver, driver);

	if (hdev->driver_override)
		return strcmp(hdev->driver_override, drv->name) == 0;
	return fv_get_id(hdrv, &hdev->dev_type) != NULL;
}

static int fv_probe(struct device *dev)
{
	struct hv_device *hdev = device_to_hv_device(dev);
	struct hv_driver *hdrv = drv_to_hv_drv(dev->driver);
	const struct hv_vmbus_device_id *id = fv_get_id(hdrv, &hdev->dev_type);

	return hdrv->probe(hdev, id ? id : &fv_null_id);
}

static void fv_remove(struct device *dev)
{
	struct hv_device *hdev = device_to_hv_device(dev);
	struct hv_driver *hdrv = drv_to_hv_drv(dev->driver);

	if (hdrv->remove)
		hdrv->remove(hdev);
}

static ssize_t new_id_store(struct device_driver *drv, const char *buf,
			    size_t count)
{
	struct hv_driver *hdrv = drv_to_hv_drv(drv);
	struct fv_dynid *dyn;
	char text[UUID_STRING_LEN + 1];
	guid_t guid;

	if (count < UUID_STRING_LEN)
		return -EINVAL;
	memcpy(text, buf, UUID_STRING_LEN);
	text[UUID_STRING_LEN] = '\0';
	if (guid_parse(text, &guid))
		return -EINVAL;
	if (fv_get_id(hdrv, &guid))
		return -EEXIST;
	dyn = kzalloc(sizeof(*dyn), GFP_KERNEL);
	if (!dyn)
		return -ENOMEM;
	dyn->id.guid = guid;
	spin_lock(&hdrv->dynids.lock);
	list_add_tail(&dyn->node, &hdrv->dynids.list);
	spin_unlock(&hdrv->dynids.lock);
	return driver_attach(drv) ?: count;
}
static DRIVER_ATTR_WO(new_id);

static struct attribute *fv_drv_attrs[] = {
	&driver_attr_new_id.attr,
	NULL,
};
ATTRIBUTE_GROUPS(fv_drv);

static ssize_t class_id_show(struct device *dev, struct device_attribute *a,
			     char *buf)
{
	return sysfs_emit(buf, "{%pUl}\n", &device_to_hv_device(dev)->dev_type);
}
static DEVICE_ATTR_RO(class_id);

static ssize_t device_id_show(struct device *dev, struct device_attribute *a,
			      char *buf)
{
	return sysfs_emit(buf, "{%pUl}\n", &device_to_hv_device(dev)->dev_instance);
}
static DEVICE_ATTR_RO(device_id);

static ssize_t id_show(struct device *dev, struct device_attribute *a, char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  device_to_hv_device(dev)->channel->offermsg.child_relid);
}
static DEVICE_ATTR_RO(id);

static ssize_t monitor_id_show(struct device *dev, struct device_attribute *a,
			       char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  device_to_hv_device(dev)->channel->offermsg.monitorid);
}
static DEVICE_ATTR_RO(monitor_id);

static ssize_t numa_node_show(struct device *dev, struct device_attribute *a,
			      char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  cpu_to_node(device_to_hv_device(dev)->channel->target_cpu));
}
static DEVICE_ATTR_RO(numa_node);

static ssize_t driver_override_show(struct device *dev,
				    struct device_attribute *a, char *buf)
{
	struct hv_device *hdev = device_to_hv_device(dev);
	ssize_t len;

	device_lock(dev);
	len = sysfs_emit(buf, "%s\n", hdev->driver_override);
	device_unlock(dev);
	return len;
}

static ssize_t driver_override_store(struct device *dev,
				     struct device_attribute *a,
				     const char *buf, size_t count)
{
	int ret = driver_set_override(dev, &device_to_hv_device(dev)->driver_override,
				      buf, count);

	return ret ? ret : count;
}
static DEVICE_ATTR_RW(driver_override);

static struct attribute *fv_dev_attrs[] = {
	&dev_attr_class_id.attr,
	&dev_attr_device_id.attr,
	&dev_attr_id.attr,
	&dev_attr_monitor_id.attr,
	&dev_attr_numa_node.attr,
	&dev_attr_driver_override.attr,
	NULL,
};

static umode_t fv_dev_visible(struct kobject *kobj, struct attribute *attr,
			      int idx)
{
	struct hv_device *hdev = device_to_hv_device(kobj_to_dev(kobj));

	/* As the real core: no monitor page, no monitor_id. */
	if (attr == &dev_attr_monitor_id.attr &&
	    !hdev->channel->offermsg.monitor_allocated)
		return 0;
	return attr->mode;
}

static const struct attribute_group fv_dev_group = {
	.attrs = fv_dev_attrs,
	.is_visible = fv_dev_visible,
};
static const struct attribute_group *fv_dev_groups[] = { &fv_dev_group, NULL };

static struct bus_type fv_bus = {
	.name = "vmbus",
	.match = fv_match,
	.probe = fv_probe,
	.remove = fv_remove,
	.dev_groups = fv_dev_groups,
	.drv_groups = fv_drv_groups,
};

int __vmbus_driver_register(struct hv_driver *hdrv, struct module *owner,
			    const char *mod_name)
{
	hdrv->driver.name = hdrv->name;
	hdrv->driver.owner = owner;
	hdrv->driver.mod_name = mod_name;
	hdrv->driver.bus = &fv_bus;
	spin_lock_init(&hdrv->dynids.lock);
	INIT_LIST_HEAD(&hdrv->dynids.list);
	return driver_register(&hdrv->driver);
}
EXPORT_SYMBOL_GPL(__vmbus_driver_register);

void vmbus_driver_unregister(struct hv_driver *hdrv)
{
	struct fv_dynid *dyn, *tmp;

	driver_unregister(&hdrv->driver);
	list_for_each_entry_safe(dyn, tmp, &hdrv->dynids.list, node) {
		list_del(&dyn->node);
		kfree(dyn);
	}
}
EXPORT_SYMBOL_GPL(vmbus_driver_unregister);

/* ------------------------------------------------------------ channels */

struct fv_chan_attr {
	struct attribute attr;
	ssize_t (*show)(struct vmbus_channel *chan, char *buf);
};

static ssize_t fv_chan_show(struct kobject *kobj, struct attribute *attr,
			    char *buf)
{
	struct fv_chan_attr *a = container_of(attr, struct fv_chan_attr, attr);

	return a->show(container_of(kobj, struct vmbus_channel, kobj), buf);
}

static const struct sysfs_ops fv_chan_ops = { .show = fv_chan_show };

static ssize_t subchannel_id_show(struct vmbus_channel *c, char *buf)
{
	return sysfs_emit(buf, "%u\n", c->offermsg.offer.sub_channel_index);
}

static ssize_t chan_monitor_id_show(struct vmbus_channel *c, char *buf)
{
	return sysfs_emit(buf, "%u\n", c->offermsg.monitorid);
}

static ssize_t cpu_show(struct vmbus_channel *c, char *buf)
{
	return sysfs_emit(buf, "%u\n", c->target_cpu);
}

/* The guest's inbound mask, as the real "in_mask" shows it. */
static ssize_t in_mask_show(struct vmbus_channel *c, char *buf)
{
	if (!c->inbound.ring_buffer)
		return -EINVAL;
	return sysfs_emit(buf, "%u\n", READ_ONCE(c->inbound.ring_buffer->interrupt_mask));
}

static ssize_t events_show(struct vmbus_channel *c, char *buf)
{
	return sysfs_emit(buf, "%llu\n", c->sig_events);
}

static struct fv_chan_attr chan_attr_subchannel_id = {
	.attr = { .name = "subchannel_id", .mode = 0444 }, .show = subchannel_id_show };
static struct fv_chan_attr chan_attr_monitor_id = {
	.attr = { .name = "monitor_id", .mode = 0444 }, .show = chan_monitor_id_show };
static struct fv_chan_attr chan_attr_cpu = {
	.attr = { .name = "cpu", .mode = 0444 }, .show = cpu_show };
static struct fv_chan_attr chan_attr_in_mask = {
	.attr = { .name = "in_mask", .mode = 0444 }, .show = in_mask_show };
static struct fv_chan_attr chan_attr_events = {
	.attr = { .name = "events", .mode = 0444 }, .show = events_show };

static struct attribute *fv_chan_attrs[] = {
	&chan_attr_subchannel_id.attr,
	&chan_attr_monitor_id.attr,
	&chan_attr_cpu.attr,
	&chan_attr_in_mask.attr,
	&chan_attr_events.attr,
	NULL,
};

static umode_t fv_chan_visible(struct kobject *kobj, struct attribute *attr,
			       int idx)
{
	struct vmbus_channel *c = container_of(kobj, struct vmbus_channel, kobj);

	if (attr == &chan_attr_monitor_id.attr && !c->offermsg.monitor_allocated)
		return 0;
	return attr->mode;
}

static const struct attribute_group fv_chan_group = {
	.attrs = fv_chan_attrs,
	.is_visible = fv_chan_visible,
};
static const struct attribute_group *fv_chan_groups[] = { &fv_chan_group, NULL };

#ifdef FV_RING_SYSFS
/*
 * Kernels with hv_create_ring_sysfs() (6.15, and stable backports such
 * as Debian's 6.12.95): the core owns each channel's "ring" file and
 * shows it whenever a driver asked for it, also when the channel's
 * directory is only created later (re-offer). One attribute per relid,
 * sized from the channel's ring.
 */
static struct bin_attribute fv_ring_attrs[1 + MAX_SUBS];

static int fv_ring_mmap(struct file *filp, struct kobject *kobj,
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
			const struct bin_attribute *attr,
#else
			struct bin_attribute *attr,
#endif
			struct vm_area_struct *vma)
{
	struct vmbus_channel *c = container_of(kobj, struct vmbus_channel, kobj);

	if (!c->mmap_ring_buffer)
		return -ENODEV;
	return c->mmap_ring_buffer(c, vma);
}

static struct bin_attribute *fv_ring_attr(struct vmbus_channel *c)
{
	u32 i = c->offermsg.child_relid - NIC_RELID;

	return i < ARRAY_SIZE(fv_ring_attrs) ? &fv_ring_attrs[i] : NULL;
}

static int fv_ring_file_add(struct vmbus_channel *c)
{
	struct bin_attribute *a = fv_ring_attr(c);

	if (!a)
		return -EINVAL;
	if (!c->kobj.state_in_sysfs)
		return 0;	/* fv_add_chan_kobj adds it with the directory */
	sysfs_bin_attr_init(a);
	a->attr.name = "ring";
	a->attr.mode = 0600;
	a->size = (size_t)c->ringbuffer_pagecount << PAGE_SHIFT;
	a->mmap = fv_ring_mmap;
	return sysfs_create_bin_file(&c->kobj, a);
}

int hv_create_ring_sysfs(struct vmbus_channel *c,
			 int (*fn)(struct vmbus_channel *c, struct vm_area_struct *vma));
int hv_create_ring_sysfs(struct vmbus_channel *c,
			 int (*fn)(struct vmbus_channel *c, struct vm_area_struct *vma))
{
	c->mmap_ring_buffer = fn;
	c->ring_sysfs_visible = true;
	return fv_ring_file_add(c);
}
EXPORT_SYMBOL_GPL(hv_create_ring_sysfs);

int hv_remove_ring_sysfs(struct vmbus_channel *c);
int hv_remove_ring_sysfs(struct vmbus_channel *c)
{
	struct bin_attribute *a = fv_ring_attr(c);

	if (c->ring_sysfs_visible && a && c->kobj.state_in_sysfs)
		sysfs_remove_bin_file(&c->kobj, a);
	c->ring_sysfs_visible = false;
	c->mmap_ring_buffer = NULL;
	return 0;
}
EXPORT_SYMBOL_GPL(hv_remove_ring_sysfs);
#endif

static void fv_uncount_ring(struct vmbus_channel *c)
{
	if (c->ringbuffer_gpadlhandle.size) {
		c->ringbuffer_gpadlhandle.size = 0;
		atomic_dec(&fv_rings);
	}
}

static void fv_free_channel_mem(struct vmbus_channel *c)
{
	/*
	 * The channel is gone (rescind, or the stub unloads): whatever ring
	 * it still has goes with it, as hv_process_channel_removal() would.
	 */
	if (c->ringbuffer_page)
		__free_pages(c->ringbuffer_page,
			     get_order(c->ringbuffer_pagecount << PAGE_SHIFT));
	fv_uncount_ring(c);
	kfree(c);
}

static void fv_chan_release(struct kobject *kobj)
{
	fv_free_channel_mem(container_of(kobj, struct vmbus_channel, kobj));
}

static struct kobj_type fv_chan_ktype = {
	.sysfs_ops = &fv_chan_ops,
	.default_groups = fv_chan_groups,
	.release = fv_chan_release,
};

static int fv_add_chan_kobj(struct hv_device *hdev, struct vmbus_channel *c)
{
	int ret;

	c->kobj.kset = hdev->channels_kset;
	ret = kobject_init_and_add(&c->kobj, &fv_chan_ktype, NULL, "%u",
				   c->offermsg.child_relid);
	if (ret) {
		kobject_put(&c->kobj);
		return ret;
	}
#ifdef FV_RING_SYSFS
	if (c->ring_sysfs_visible)
		fv_ring_file_add(c);
#endif
	kobject_uevent(&c->kobj, KOBJ_ADD);
	return 0;
}

/* Placeholder until an offer gives the work its function (as the core does). */
static void fv_no_work(struct work_struct *w)
{
}

static struct vmbus_channel *fv_new_channel(u32 relid, u16 sub_index)
{
	struct vmbus_channel *c = kzalloc(sizeof(*c), GFP_KERNEL);

	if (!c)
		return NULL;
	INIT_LIST_HEAD(&c->sc_list);
	INIT_WORK(&c->add_channel_work, fv_no_work);
	spin_lock_init(&c->sched_lock);
	init_completion(&c->rescind_event);
	c->state = CHANNEL_OFFER_STATE;
	c->offermsg.child_relid = relid;
	c->offermsg.offer.sub_channel_index = sub_index;
	c->offermsg.monitor_allocated = monitor;
	c->offermsg.monitorid = monitor ? NIC_MONITOR_ID + sub_index : 0;
	c->monitor_grp = c->offermsg.monitorid / 32;
	c->monitor_bit = c->offermsg.monitorid % 32;
	c->device_id = HV_NIC;
	c->target_cpu = cpu;
	return c;
}

/* ------------------------------------------------------------ rings */

int vmbus_alloc_ring(struct vmbus_channel *c, u32 send_size, u32 recv_size)
{
	struct page *page;

	if (send_size % PAGE_SIZE || recv_size % PAGE_SIZE || !send_size ||
	    !recv_size)
		return -EINVAL;
	/* As the real core: on the target CPU's node, else anywhere. */
	page = alloc_pages_node(cpu_to_node(c->target_cpu),
				GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN,
				get_order(send_size + recv_size));
	if (!page)
		page = alloc_pages(GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN,
				   get_order(send_size + recv_size));
	if (!page)
		return -ENOMEM;
	c->ringbuffer_page = page;
	c->ringbuffer_pagecount = (send_size + recv_size) >> PAGE_SHIFT;
	c->ringbuffer_send_offset = send_size >> PAGE_SHIFT;
	return 0;
}
EXPORT_SYMBOL_GPL(vmbus_alloc_ring);

void vmbus_free_ring(struct vmbus_channel *c)
{
	c->outbound.ring_buffer = NULL;
	c->inbound.ring_buffer = NULL;
	if (c->ringbuffer_page) {
		__free_pages(c->ringbuffer_page,
			     get_order(c->ringbuffer_pagecount << PAGE_SHIFT));
		c->ringbuffer_page = NULL;
	}
	fv_uncount_ring(c);
}
EXPORT_SYMBOL_GPL(vmbus_free_ring);

int vmbus_connect_ring(struct vmbus_channel *c,
		       void (*cb)(void *context), void *context)
{
	char *base;
	unsigned long flags;

	if (!c->ringbuffer_page)
		return -EINVAL;
	if (c->rescind)
		return -ENODEV;
	if (c->state == CHANNEL_OPENED_STATE)
		return -EBUSY;
	/*
	 * Rings are counted when first opened, whoever allocated them
	 * (uio_hv_vmbus allocates its own, NUMA-local): each must be freed
	 * through vmbus_free_ring() before the channel goes.
	 */
	if (!c->ringbuffer_gpadlhandle.size) {
		c->ringbuffer_gpadlhandle.size = c->ringbuffer_pagecount << PAGE_SHIFT;
		atomic_inc(&fv_rings);
	}
	base = page_address(c->ringbuffer_page);
	c->outbound.ring_buffer = (struct hv_ring_buffer *)base;
	c->outbound.ring_size = c->ringbuffer_send_offset << PAGE_SHIFT;
	c->inbound.ring_buffer = (struct hv_ring_buffer *)
		(base + (c->ringbuffer_send_offset << PAGE_SHIFT));
	c->inbound.ring_size = (c->ringbuffer_pagecount - c->ringbuffer_send_offset)
		<< PAGE_SHIFT;
	c->outbound.ring_buffer->feature_bits.value = 1;
	c->inbound.ring_buffer->feature_bits.value = 1;
	c->ringbuffer_gpadlhandle.gpadl_handle = atomic_inc_return(&fv_next_gpadl);
	spin_lock_irqsave(&c->sched_lock, flags);
	c->onchannel_callback = cb;
	c->channel_callback_context = context;
	c->state = CHANNEL_OPENED_STATE;
	spin_unlock_irqrestore(&c->sched_lock, flags);
	return 0;
}
EXPORT_SYMBOL_GPL(vmbus_connect_ring);

static void fv_close_internal(struct vmbus_channel *c)
{
	unsigned long flags;

	spin_lock_irqsave(&c->sched_lock, flags);
	c->onchannel_callback = NULL;
	if (c->state == CHANNEL_OPENED_STATE) {
		c->state = CHANNEL_OPEN_STATE;
		atomic_inc(&fv_closed);
	}
	spin_unlock_irqrestore(&c->sched_lock, flags);
	c->ringbuffer_gpadlhandle.gpadl_handle = 0;
}

int vmbus_disconnect_ring(struct vmbus_channel *c)
{
	struct vmbus_channel *sc;

	if (c->primary_channel)
		return -EINVAL;
	mutex_lock(fv_channel_mutex());
	list_for_each_entry(sc, &c->sc_list, sc_list) {
		fv_close_internal(sc);
		vmbus_free_ring(sc);
	}
	fv_close_internal(c);
	mutex_unlock(fv_channel_mutex());
	return 0;
}
EXPORT_SYMBOL_GPL(vmbus_disconnect_ring);

int vmbus_open(struct vmbus_channel *c, u32 send_size, u32 recv_size,
	       void *userdata, u32 userdatalen,
	       void (*cb)(void *context), void *context)
{
	int ret = vmbus_alloc_ring(c, send_size, recv_size);

	if (ret)
		return ret;
	ret = vmbus_connect_ring(c, cb, context);
	if (ret)
		vmbus_free_ring(c);
	return ret;
}
EXPORT_SYMBOL_GPL(vmbus_open);

void vmbus_close(struct vmbus_channel *c)
{
	if (vmbus_disconnect_ring(c) == 0)
		vmbus_free_ring(c);
}
EXPORT_SYMBOL_GPL(vmbus_close);

static struct page *fv_buf_page(void *buf, size_t off)
{
	char *p = (char *)buf + off;

	return is_vmalloc_addr(p) ? vmalloc_to_page(p) : virt_to_page(p);
}

/* Where the buffer's pages are; a full table just leaves it out. */
static void fv_gpadl_note(u32 handle, void *buf, u32 size)
{
	struct fv_gpadl_nodes rec = { .handle = handle };
	unsigned long flags;
	size_t off;
	int i;

	for (off = 0; off < size; off += PAGE_SIZE) {
		int nid = page_to_nid(fv_buf_page(buf, off));

		rec.on[nid < FV_NODES ? nid : FV_NODES]++;
		rec.pages++;
	}
	spin_lock_irqsave(&fv_gpadl_lock, flags);
	for (i = 0; i < FV_GPADLS; i++) {
		if (!fv_gpadl_nodes[i].handle) {
			fv_gpadl_nodes[i] = rec;
			break;
		}
	}
	spin_unlock_irqrestore(&fv_gpadl_lock, flags);
}

static void fv_gpadl_forget(u32 handle)
{
	unsigned long flags;
	int i;

	spin_lock_irqsave(&fv_gpadl_lock, flags);
	for (i = 0; i < FV_GPADLS; i++)
		if (fv_gpadl_nodes[i].handle == handle)
			fv_gpadl_nodes[i].handle = 0;
	spin_unlock_irqrestore(&fv_gpadl_lock, flags);
}

int vmbus_establish_gpadl(struct vmbus_channel *c, void *kbuffer, u32 size,
			  struct vmbus_gpadl *gpadl)
{
	memset(gpadl, 0, sizeof(*gpadl));
	gpadl->gpadl_handle = atomic_inc_return(&fv_next_gpadl);
	gpadl->size = size;
	gpadl->buffer = kbuffer;
	atomic_inc(&fv_gpadls);
	fv_gpadl_note(gpadl->gpadl_handle, kbuffer, size);
	return 0;
}
EXPORT_SYMBOL_GPL(vmbus_establish_gpadl);

int vmbus_teardown_gpadl(struct vmbus_channel *c, struct vmbus_gpadl *gpadl)
{
	if (gpadl->gpadl_handle) {
		fv_gpadl_forget(gpadl->gpadl_handle);
		gpadl->gpadl_handle = 0;
		atomic_dec(&fv_gpadls);
	}
	return 0;
}
EXPORT_SYMBOL_GPL(vmbus_teardown_gpadl);

void vmbus_set_sc_create_callback(struct vmbus_channel *primary,
				  void (*cb)(struct vmbus_channel *new_sc))
{
	primary->sc_creation_callback = cb;
}
EXPORT_SYMBOL_GPL(vmbus_set_sc_create_callback);

void vmbus_set_chn_rescind_callback(struct vmbus_channel *c,
				    void (*cb)(struct vmbus_channel *))
{
	c->chn_rescind_callback = cb;
}
EXPORT_SYMBOL_GPL(vmbus_set_chn_rescind_callback);

/* Guest-to-host signal: counted, the test reads it from "events". */
void vmbus_set_event(struct vmbus_channel *c)
{
	c->sig_events++;
	atomic_inc(&fv_set_events);
}
EXPORT_SYMBOL_GPL(vmbus_set_event);

void vmbus_setevent(struct vmbus_channel *c)
{
	vmbus_set_event(c);
}
EXPORT_SYMBOL_GPL(vmbus_setevent);

/* ------------------------------------------------------------ devices */

static void fv_dev_release(struct device *dev)
{
	struct hv_device *hdev = device_to_hv_device(dev);
	struct vmbus_channel *c = hdev->channel;

	if (c->kobj.state_initialized)
		kobject_put(&c->kobj);
	else
		fv_free_channel_mem(c);
	kfree(hdev->driver_override);
	kfree(hdev);
}

void vmbus_device_unregister(struct hv_device *hdev)
{
	device_unregister(&hdev->device);
}
EXPORT_SYMBOL_GPL(vmbus_device_unregister);

/*
 * Registration runs in the primary's add_channel_work on a workqueue of
 * its own, as in vmbus_add_channel_work(): a driver that waits for the
 * channel directory by flushing that work is tested for real.
 */
static struct workqueue_struct *fv_pri_wq;
static int fv_offer_ret;

static void fv_offer_work(struct work_struct *w)
{
	struct vmbus_channel *c = container_of(w, struct vmbus_channel, add_channel_work);
	struct hv_device *hdev = c->device_obj;
	int ret;

	/* As vmbus_device_register: probe first, channels/ afterwards. */
	ret = device_register(&hdev->device);
	if (ret) {
		put_device(&hdev->device);
		fv_offer_ret = ret;
		return;
	}
	hdev->channels_kset = kset_create_and_add("channels", NULL,
						  &hdev->device.kobj);
	if (!hdev->channels_kset) {
		device_unregister(&hdev->device);
		fv_offer_ret = -ENOMEM;
		return;
	}
	ret = fv_add_chan_kobj(hdev, c);
	if (ret) {
		kset_unregister(hdev->channels_kset);
		device_unregister(&hdev->device);
		fv_offer_ret = ret;
		return;
	}
	c->probe_done = true;
	get_device(&hdev->device);
	fv_nic = hdev;
	fv_offer_ret = 0;
}

static int fv_offer(void)
{
	static const guid_t nic = GUID_INIT(0xf8615163, 0xdf3e, 0x46c5, 0x91,
					    0x3f, 0xf2, 0xd2, 0xf9, 0x65, 0xed, 0x0e);
	struct hv_device *hdev;
	struct vmbus_channel *c;

	if (fv_nic)
		return -EBUSY;
	if (cpu >= nr_cpu_ids || !cpu_online(cpu))
		return -EINVAL;
	hdev = kzalloc(sizeof(*hdev), GFP_KERNEL);
	c = fv_new_channel(NIC_RELID, 0);
	if (!hdev || !c) {
		kfree(hdev);
		kfree(c);
		return -ENOMEM;
	}
	hdev->dev_type = nic;
	if (guid_parse(instance, &hdev->dev_instance)) {
		kfree(hdev);
		kfree(c);
		return -EINVAL;
	}
	c->offermsg.offer.if_type = hdev->dev_type;
	c->offermsg.offer.if_instance = hdev->dev_instance;
	c->device_obj = hdev;
	hdev->channel = c;
	hdev->device_id = HV_NIC;
	dev_set_name(&hdev->device, "%pUl", &hdev->dev_instance);
	hdev->device.bus = &fv_bus;
	hdev->device.parent = fv_root;
	hdev->device.release = fv_dev_release;
	INIT_WORK(&c->add_channel_work, fv_offer_work);
	/* The write returns once the core's part of the offer is done. */
	queue_work(fv_pri_wq, &c->add_channel_work);
	flush_workqueue(fv_pri_wq);
	return fv_offer_ret;
}

/* Sub-channels offered while "hold" was on, waiting for "release". */
static bool fv_hold;
static struct vmbus_channel *fv_held[MAX_SUBS];
static unsigned int fv_nheld;

static int fv_hold_offers(void)
{
	fv_hold = true;
	return 0;
}

static int fv_release(void)
{
	unsigned int i;

	for (i = 0; i < fv_nheld; i++) {
		struct vmbus_channel *sc = fv_held[i];

		if (sc->primary_channel->sc_creation_callback)
			sc->primary_channel->sc_creation_callback(sc);
		sc->probe_done = true;
	}
	fv_nheld = 0;
	fv_hold = false;
	return 0;
}

static int fv_offer_subs(unsigned int n)
{
	struct vmbus_channel *primary, *sc;
	unsigned int have = 0, i;

	if (!fv_nic || n > MAX_SUBS)
		return -EINVAL;
	primary = fv_nic->channel;
	list_for_each_entry(sc, &primary->sc_list, sc_list)
		have++;
	for (i = have; i < have + n && i < MAX_SUBS; i++) {
		int ret;

		sc = fv_new_channel(NIC_RELID + 1 + i, i + 1);
		if (!sc)
			return -ENOMEM;
		sc->primary_channel = primary;
		sc->device_obj = fv_nic;
		sc->offermsg.offer.if_type = fv_nic->dev_type;
		sc->offermsg.offer.if_instance = fv_nic->dev_instance;
		mutex_lock(fv_channel_mutex());
		list_add_tail(&sc->sc_list, &primary->sc_list);
		mutex_unlock(fv_channel_mutex());
		/* As vmbus_add_channel_work: directory, then the callback. */
		ret = fv_add_chan_kobj(fv_nic, sc);
		if (ret) {
			mutex_lock(fv_channel_mutex());
			list_del(&sc->sc_list);
			mutex_unlock(fv_channel_mutex());
			return ret;
		}
		if (fv_hold) {
			fv_held[fv_nheld++] = sc;
			continue;
		}
		if (primary->sc_creation_callback)
			primary->sc_creation_callback(sc);
		sc->probe_done = true;
	}
	return 0;
}

static struct vmbus_channel *fv_find(u32 relid)
{
	struct vmbus_channel *c;

	if (!fv_nic)
		return NULL;
	if (fv_nic->channel->offermsg.child_relid == relid)
		return fv_nic->channel;
	list_for_each_entry(c, &fv_nic->channel->sc_list, sc_list)
		if (c->offermsg.child_relid == relid)
			return c;
	return NULL;
}

/* A host interrupt: only an open channel with interrupts unmasked gets it. */
static int fv_kick(u32 relid)
{
	struct vmbus_channel *c = fv_find(relid);
	unsigned long flags;
	bool delivered = false;

	if (!c)
		return -ENOENT;
	spin_lock_irqsave(&c->sched_lock, flags);
	if (c->onchannel_callback && c->inbound.ring_buffer &&
	    READ_ONCE(c->inbound.ring_buffer->interrupt_mask) == 0) {
		c->interrupts++;
		c->onchannel_callback(c->channel_callback_context);
		delivered = true;
	}
	spin_unlock_irqrestore(&c->sched_lock, flags);
	atomic_inc(delivered ? &fv_delivered : &fv_masked);
	return 0;
}

static void fv_remove_subs(struct hv_device *hdev)
{
	struct vmbus_channel *sc, *tmp;
	LIST_HEAD(gone);

	mutex_lock(fv_channel_mutex());
	list_for_each_entry_safe(sc, tmp, &hdev->channel->sc_list, sc_list) {
		fv_close_internal(sc);
		list_move(&sc->sc_list, &gone);
	}
	mutex_unlock(fv_channel_mutex());
	list_for_each_entry_safe(sc, tmp, &gone, sc_list) {
		list_del(&sc->sc_list);
		kobject_put(&sc->kobj);
	}
}

/*
 * The host takes the NIC away (host=true): a driver with a rescind
 * callback unregisters the device itself (as uio_hv_generic does),
 * otherwise the core does. When the stub unloads (host=false) no driver
 * callback runs: a driver unloaded earlier may have left a stale one
 * (uio_hv_generic never clears it; the real core would call it too).
 */
static int fv_rescind(bool host)
{
	struct hv_device *hdev = fv_nic;
	struct vmbus_channel *c, *sc;

	if (!hdev)
		return -ENOENT;
	c = hdev->channel;
	mutex_lock(fv_channel_mutex());
	list_for_each_entry(sc, &c->sc_list, sc_list)
		sc->rescind = true;
	mutex_unlock(fv_channel_mutex());
	c->rescind = true;
	fv_nheld = 0;		/* held offers die with their channels */
	fv_hold = false;
	/* The host rescinds sub-channels before the primary. */
	fv_remove_subs(hdev);
	if (host && c->chn_rescind_callback)
		c->chn_rescind_callback(c);
	else
		vmbus_device_unregister(hdev);
	if (c->kobj.state_in_sysfs)
		kobject_del(&c->kobj);
	kset_unregister(hdev->channels_kset);
	hdev->channels_kset = NULL;
	fv_nic = NULL;
	put_device(&hdev->device);
	return 0;
}

/* ------------------------------------------------------------ debugfs */

static ssize_t fv_ctl_write(struct file *file, const char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	char buf[64];
	unsigned int arg;
	int ret;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	mutex_lock(&fv_ctl_lock);
	if (sysfs_streq(buf, "offer"))
		ret = fv_offer();
	else if (sscanf(buf, "sub %u", &arg) == 1)
		ret = fv_offer_subs(arg);
	else if (sscanf(buf, "kick %u", &arg) == 1)
		ret = fv_kick(arg);
	else if (sysfs_streq(buf, "rescind"))
		ret = fv_rescind(true);
	else if (sysfs_streq(buf, "hold"))
		ret = fv_hold_offers();
	else if (sysfs_streq(buf, "release"))
		ret = fv_release();
	else
		ret = -EINVAL;
	mutex_unlock(&fv_ctl_lock);
	return ret ? ret : count;
}

static const struct file_operations fv_ctl_fops = {
	.owner = THIS_MODULE,
	.write = fv_ctl_write,
};

static int fv_stats_show(struct seq_file *m, void *v)
{
	seq_printf(m, "delivered=%d masked=%d set_events=%d gpadls=%d rings=%d closed=%d\n",
		   atomic_read(&fv_delivered), atomic_read(&fv_masked),
		   atomic_read(&fv_set_events), atomic_read(&fv_gpadls),
		   atomic_read(&fv_rings), atomic_read(&fv_closed));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(fv_stats);

static void fv_show_nodes(struct seq_file *m, const char *kind, u32 id,
			  u32 pages, const u32 *on)
{
	int i;

	seq_printf(m, "%s %u pages %u nodes", kind, id, pages);
	for (i = 0; i <= FV_NODES; i++)
		seq_printf(m, " %u", on[i]);
	seq_putc(m, '\n');
}

static void fv_show_ring(struct seq_file *m, struct vmbus_channel *c)
{
	u32 on[FV_NODES + 1] = { 0 };
	u32 i;

	if (!c->ringbuffer_page || c->state != CHANNEL_OPENED_STATE)
		return;
	for (i = 0; i < c->ringbuffer_pagecount; i++) {
		int nid = page_to_nid(c->ringbuffer_page + i);

		on[nid < FV_NODES ? nid : FV_NODES]++;
	}
	fv_show_nodes(m, "ring", c->offermsg.child_relid,
		      c->ringbuffer_pagecount, on);
}

/*
 * One line per open ring and per GPADL:
 *   <ring|gpadl> <relid|handle> pages <n> nodes <node 0> .. <node 3> <rest>
 */
static int fv_numa_show(struct seq_file *m, void *v)
{
	struct fv_gpadl_nodes recs[FV_GPADLS];
	struct vmbus_channel *sc;
	unsigned long flags;
	int i;

	mutex_lock(&fv_ctl_lock);
	if (fv_nic) {
		mutex_lock(fv_channel_mutex());
		fv_show_ring(m, fv_nic->channel);
		list_for_each_entry(sc, &fv_nic->channel->sc_list, sc_list)
			fv_show_ring(m, sc);
		mutex_unlock(fv_channel_mutex());
	}
	mutex_unlock(&fv_ctl_lock);
	spin_lock_irqsave(&fv_gpadl_lock, flags);
	memcpy(recs, fv_gpadl_nodes, sizeof(recs));
	spin_unlock_irqrestore(&fv_gpadl_lock, flags);
	for (i = 0; i < FV_GPADLS; i++)
		if (recs[i].handle)
			fv_show_nodes(m, "gpadl", recs[i].handle, recs[i].pages,
				      recs[i].on);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(fv_numa);

/* ------------------------------------------------------------ module */

static void fv_free_pages(void)
{
	void **pages = conn_ptr(HVL_CONNECTION_MONITOR_PAGES);

	free_page((unsigned long)*(void **)conn_ptr(HVL_CONNECTION_INT_PAGE));
	free_page((unsigned long)pages[0]);
	free_page((unsigned long)pages[1]);
}

static int __init fv_init(void)
{
	void **pages = conn_ptr(HVL_CONNECTION_MONITOR_PAGES);
	int ret;

	mutex_init(fv_channel_mutex());
	fv_pri_wq = alloc_workqueue("fv_pri_chan", WQ_MEM_RECLAIM, 1);
	if (!fv_pri_wq)
		return -ENOMEM;
	*(void **)conn_ptr(HVL_CONNECTION_INT_PAGE) = (void *)get_zeroed_page(GFP_KERNEL);
	pages[0] = (void *)get_zeroed_page(GFP_KERNEL);
	pages[1] = (void *)get_zeroed_page(GFP_KERNEL);
	if (!*(void **)conn_ptr(HVL_CONNECTION_INT_PAGE) || !pages[0] || !pages[1]) {
		fv_free_pages();
		destroy_workqueue(fv_pri_wq);
		return -ENOMEM;
	}
	/* Markers the test finds through the int_page and monitor_page maps. */
	strscpy(*(void **)conn_ptr(HVL_CONNECTION_INT_PAGE), "fake_vmbus:int_page", 32);
	strscpy((char *)pages[1] + 2048, "fake_vmbus:monitor_page1", 32);

	ret = bus_register(&fv_bus);
	if (ret)
		goto free;
	fv_root = root_device_register("fake_vmbus");
	if (IS_ERR(fv_root)) {
		ret = PTR_ERR(fv_root);
		goto bus;
	}
	fv_debugfs = debugfs_create_dir("fake_vmbus", NULL);
	debugfs_create_file("ctl", 0200, fv_debugfs, NULL, &fv_ctl_fops);
	debugfs_create_file("stats", 0444, fv_debugfs, NULL, &fv_stats_fops);
	debugfs_create_file("numa", 0444, fv_debugfs, NULL, &fv_numa_fops);
	return 0;
bus:
	bus_unregister(&fv_bus);
free:
	fv_free_pages();
	destroy_workqueue(fv_pri_wq);
	return ret;
}

static void __exit fv_exit(void)
{
	debugfs_remove_recursive(fv_debugfs);
	if (fv_nic)
		fv_rescind(false);
	root_device_unregister(fv_root);
	bus_unregister(&fv_bus);
	fv_free_pages();
	destroy_workqueue(fv_pri_wq);
}

module_init(fv_init);
module_exit(fv_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Test-only fake VMBus core with a synthetic NIC");
