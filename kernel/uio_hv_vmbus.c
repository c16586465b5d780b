// SPDX-License-Identifier: GPL-2.0
/*
 * uio_hv_vmbus: hands one VMBus device (a synthetic NIC) to userspace
 * through /dev/uioN with the five maps of uio_hv_generic's ABI
 * (drivers/common/hv/hv_uio_abi.h), so DPDK's vmbus bus and our netvsc
 * PMD can drive it. It coexists with the distribution's uio_hv_generic
 * and behaves the same on every kernel it builds for:
 *
 *  - userspace owns the inbound interrupt mask: the kernel writes it only
 *    when userspace writes to /dev/uioN, and then for every channel;
 *  - an interrupt of any channel (primary or sub-channel) is an event;
 *  - channels without a monitor page are accepted; enabling interrupts
 *    rings their doorbell (vmbus_set_event) so the host rechecks them;
 *  - the interrupt and monitor maps are one Hyper-V page (4 KiB), their
 *    offset in the system page that holds them is the map's "offset";
 *    the rings and buffers are sized in system pages (uhv_sizes.h);
 *  - a channel's "ring" file exists only once its ring is open, so a
 *    ring that userspace can see is always mappable. A sub-channel's
 *    "add" uevent is held back until its ring file exists (a filter on
 *    the device's channels kset), so userspace that reacts to uevents
 *    never sees a sub-channel without its ring; the primary's file is
 *    announced by a change uevent: when probe runs before the vmbus core
 *    has added the primary's directory (every offer after the driver is
 *    loaded, re-offers included), the file is created the moment the
 *    core's add_channel_work, which adds it, has finished;
 *  - rescind: read/write on /dev/uioN fail with EIO and the device is
 *    unregistered so the host can offer it again;
 *  - ring and buffer sizes are module parameters; memory is allocated on
 *    the channel's NUMA node;
 *  - it binds only devices named explicitly: by instance GUID in the
 *    "devices" parameter, or by driver_override. Loading it never takes
 *    the management NIC.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/hyperv.h>
#include <linux/kernel.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/topology.h>
#include <linux/uio_driver.h>
#include <linux/uuid.h>
#include <linux/version.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include "hv_uio_abi.h"
#include "hv_vmbus_private.h"
#include "uhv_sizes.h"

#define DRV_NAME "uio_hv_vmbus"
#define DRV_VERSION "1.0"

static unsigned int ring_size_kb = HV_UIO_DEFAULT_RING_SIZE / 1024;
module_param(ring_size_kb, uint, 0644);
MODULE_PARM_DESC(ring_size_kb,
		 "Ring size per direction and channel in KiB, header included (default 2048)");

static unsigned int recv_buf_kb = HV_UIO_DEFAULT_RECV_BUF_SIZE / 1024;
module_param(recv_buf_kb, uint, 0644);
MODULE_PARM_DESC(recv_buf_kb, "NIC receive buffer in KiB (default 31744)");

static unsigned int send_buf_kb = HV_UIO_DEFAULT_SEND_BUF_SIZE / 1024;
module_param(send_buf_kb, uint, 0644);
MODULE_PARM_DESC(send_buf_kb, "NIC send buffer in KiB (default 16384)");

static char *devices;
module_param(devices, charp, 0644);
MODULE_PARM_DESC(devices,
		 "Instance GUIDs this driver may bind, separated by commas (nothing else is bound)");

static const struct hv_vmbus_device_id nic_class = { HV_NIC_GUID };

/* Runs ring_work; destroyed (drained) at unload. */
static struct workqueue_struct *uhv_wq;

struct uhv_dev {
	struct uio_info info;
	struct hv_device *hdev;
	atomic_t opens;
	int node;
	size_t ring_bytes;		/* one direction, header included */
	struct bin_attribute ring_attr;	/* channels/<relid>/ring, any channel */
	bool primary_ring_file;
	bool irq_state_set;		/* userspace wrote at least once */
	s32 irq_state;			/* its last write, applied to new channels */
	struct work_struct ring_work;	/* primary's ring file, after the core */
	bool ring_queued;
	bool ring_orphaned;		/* removed under ring_work: it frees us */

	void *recv_buf;
	struct vmbus_gpadl recv_gpadl;
	char recv_name[32];
	void *send_buf;
	struct vmbus_gpadl send_gpadl;
	char send_name[32];
};

/* Is guid listed in the devices parameter? */
static bool uhv_listed(const guid_t *guid)
{
	char *copy, *cur, *tok;
	bool found = false;

	kernel_param_lock(THIS_MODULE);
	copy = devices ? kstrdup(devices, GFP_KERNEL) : NULL;
	kernel_param_unlock(THIS_MODULE);
	if (!copy)
		return false;
	cur = copy;
	while (!found && (tok = strsep(&cur, ", \n")) != NULL) {
		guid_t want;

		if (*tok == '{')
			tok++;
		if (strlen(tok) >= UUID_STRING_LEN &&
		    (tok[UUID_STRING_LEN] == '\0' || tok[UUID_STRING_LEN] == '}')) {
			tok[UUID_STRING_LEN] = '\0';
			found = guid_parse(tok, &want) == 0 && guid_equal(&want, guid);
		}
	}
	kfree(copy);
	return found;
}

static bool uhv_allowed(struct hv_device *hdev)
{
	if (hdev->driver_override && strcmp(hdev->driver_override, DRV_NAME) == 0)
		return true;
	return uhv_listed(&hdev->dev_instance);
}

static int uhv_channel_node(struct vmbus_channel *chan)
{
	int node = cpu_to_node(chan->target_cpu);

	return node_online(node) ? node : NUMA_NO_NODE;
}

/*
 * Ring pages of one channel on its NUMA node, in the fields the vmbus
 * core reads in vmbus_connect_ring() and frees in vmbus_free_ring().
 */
static int uhv_alloc_ring(struct vmbus_channel *chan, size_t bytes)
{
	unsigned int order = get_order(2 * bytes);
	struct page *page;

	page = alloc_pages_node(uhv_channel_node(chan),
				GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN, order);
	if (!page)
		return -ENOMEM;
	chan->ringbuffer_page = page;
	chan->ringbuffer_pagecount = (2 * bytes) >> PAGE_SHIFT;
	chan->ringbuffer_send_offset = bytes >> PAGE_SHIFT;
	return 0;
}

/* Unmask (state 1) or mask (0) one channel's inbound interrupts. */
static void uhv_set_irq(struct vmbus_channel *chan, s32 state)
{
	if (!chan->inbound.ring_buffer)
		return;
	WRITE_ONCE(chan->inbound.ring_buffer->interrupt_mask, !state);
	if (state && !chan->offermsg.monitor_allocated) {
		/* No monitor page: the host only looks again when signalled. */
		virt_mb();
		vmbus_set_event(chan);
	}
}

/* write(2) on /dev/uioN: the state applies to every channel. */
static int uhv_irqcontrol(struct uio_info *info, s32 state)
{
	struct uhv_dev *ud = info->priv;
	struct vmbus_channel *primary = ud->hdev->channel, *sc;

	mutex_lock(hvl_channel_mutex());
	ud->irq_state = state;
	ud->irq_state_set = true;
	uhv_set_irq(primary, state);
	list_for_each_entry(sc, &primary->sc_list, sc_list)
		uhv_set_irq(sc, state);
	mutex_unlock(hvl_channel_mutex());
	return 0;
}

/* Host interrupt on any channel; the mask is left to userspace. */
static void uhv_channel_cb(void *context)
{
	struct vmbus_channel *chan = context;
	struct hv_device *hdev = chan->primary_channel ?
		chan->primary_channel->device_obj : chan->device_obj;
	struct uhv_dev *ud = hv_get_drvdata(hdev);

	if (ud)
		uio_event_notify(&ud->info);
}

/* Primary rescinded: userspace sees EIO, the host may offer again. */
static void uhv_rescind(struct vmbus_channel *chan)
{
	struct uhv_dev *ud = hv_get_drvdata(chan->device_obj);

	if (ud) {
		ud->info.irq = 0;	/* uio core: read/write give EIO */
		uio_event_notify(&ud->info);
	}
	vmbus_device_unregister(chan->device_obj);
}

static int uhv_ring_mmap(struct file *filp, struct kobject *kobj,
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
			 const struct bin_attribute *attr,
#else
			 struct bin_attribute *attr,
#endif
			 struct vm_area_struct *vma)
{
	struct vmbus_channel *chan = container_of(kobj, struct vmbus_channel, kobj);

	if (chan->state != CHANNEL_OPENED_STATE || !chan->ringbuffer_page)
		return -ENODEV;
	return vm_iomap_memory(vma, page_to_phys(chan->ringbuffer_page),
			       (size_t)chan->ringbuffer_pagecount << PAGE_SHIFT);
}

/*
 * The vmbus core adds a sub-channel's directory and sends its "add"
 * uevent before it calls the driver (uhv_new_channel), and no driver can
 * make a file in a directory that does not exist yet. What it can do is
 * hold the announcement: every event of a sub-channel that has not been
 * announced and whose ring is not open is dropped; uhv_new_channel sends
 * the "add" itself once the ring file exists. The primary passes (its
 * directory is announced before any driver runs: its ring file gets a
 * change uevent instead), and so does everything after the "add".
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
static int uhv_chan_uevent_filter(const struct kobject *kobj)
#else
static int uhv_chan_uevent_filter(struct kobject *kobj)
#endif
{
	const struct vmbus_channel *chan =
		container_of(kobj, struct vmbus_channel, kobj);

	return !chan->primary_channel || kobj->state_add_uevent_sent ||
	       READ_ONCE(chan->state) == CHANNEL_OPENED_STATE;
}

static const struct kset_uevent_ops uhv_chan_uevent_ops = {
	.filter = uhv_chan_uevent_filter,
};

/*
 * Install the filter on the device's channels/ kset (the core creates it
 * without uevent_ops): once it exists, and before userspace can ask for
 * sub-channels (it needs the device open and, for the bus, the primary's
 * ring file). Removed in remove: the kset outlives the module.
 */
static void uhv_hold_sub_uevents(struct hv_device *hdev)
{
	struct kset *kset = READ_ONCE(hdev->channels_kset);

	if (kset && !kset->uevent_ops)
		WRITE_ONCE(kset->uevent_ops, &uhv_chan_uevent_ops);
}

static void uhv_release_sub_uevents(struct hv_device *hdev)
{
	struct kset *kset = hdev->channels_kset;

	if (kset && kset->uevent_ops == &uhv_chan_uevent_ops)
		WRITE_ONCE(kset->uevent_ops, NULL);
}

/* Sub-channel offered (process context, its directory already exists). */
static void uhv_new_channel(struct vmbus_channel *sc)
{
	struct hv_device *hdev = sc->primary_channel->device_obj;
	struct uhv_dev *ud = hv_get_drvdata(hdev);
	int ret;

	if (!ud)
		return;
	ret = uhv_alloc_ring(sc, ud->ring_bytes);
	if (ret) {
		dev_err(&hdev->device, "sub-channel %u: no ring memory\n",
			sc->offermsg.child_relid);
		return;
	}
	set_channel_read_mode(sc, HV_CALL_ISR);
	ret = vmbus_connect_ring(sc, uhv_channel_cb, sc);
	if (ret) {
		dev_err(&hdev->device, "sub-channel %u: open failed: %d\n",
			sc->offermsg.child_relid, ret);
		vmbus_free_ring(sc);
		return;
	}
	mutex_lock(hvl_channel_mutex());
	if (ud->irq_state_set)
		uhv_set_irq(sc, ud->irq_state);
	mutex_unlock(hvl_channel_mutex());
	/* Last: the file, then the announcement the filter held back. */
	ret = sysfs_create_bin_file(&sc->kobj, &ud->ring_attr);
	if (ret)
		dev_err(&hdev->device, "sub-channel %u: ring file: %d\n",
			sc->offermsg.child_relid, ret);
	else
		kobject_uevent(&sc->kobj, sc->kobj.state_add_uevent_sent ?
			       KOBJ_CHANGE : KOBJ_ADD);
}

static int uhv_primary_ring_file(struct uhv_dev *ud)
{
	struct vmbus_channel *chan = ud->hdev->channel;
	int ret;

	if (!chan->kobj.state_in_sysfs)
		return -EAGAIN;
	uhv_hold_sub_uevents(ud->hdev);
	ret = sysfs_create_bin_file(&chan->kobj, &ud->ring_attr);
	if (ret == 0) {
		ud->primary_ring_file = true;
		kobject_uevent(&chan->kobj, KOBJ_CHANGE);
	}
	return ret;
}

/*
 * Probe ran before the vmbus core added channels/<relid>: the core adds
 * it in the same add_channel_work that probes, right after probe
 * returns, so waiting for that work to finish is waiting for the
 * directory (an event, not a poll; no time limit to outrun on a slow VM).
 */
static void uhv_ring_work(struct work_struct *work)
{
	struct uhv_dev *ud = container_of(work, struct uhv_dev, ring_work);
	int ret;

	flush_work(&ud->hdev->channel->add_channel_work);
	if (READ_ONCE(ud->ring_orphaned)) {
		/* The core failed the offer and removed the device meanwhile. */
		kfree(ud);
		return;
	}
	ret = uhv_primary_ring_file(ud);
	if (ret)
		dev_err(&ud->hdev->device, "no ring file for the primary channel: %d\n", ret);
}

/* First open of /dev/uioN opens the primary channel. */
static int uhv_open(struct uio_info *info, struct inode *inode)
{
	struct uhv_dev *ud = info->priv;
	struct vmbus_channel *chan = ud->hdev->channel;
	int ret;

	if (atomic_inc_return(&ud->opens) != 1)
		return 0;
	uhv_hold_sub_uevents(ud->hdev);
	vmbus_set_sc_create_callback(chan, uhv_new_channel);
	ret = vmbus_connect_ring(chan, uhv_channel_cb, chan);
	if (ret)
		atomic_dec(&ud->opens);
	return ret;
}

/* Last close: the vmbus core closes the sub-channels too. */
static int uhv_release(struct uio_info *info, struct inode *inode)
{
	struct uhv_dev *ud = info->priv;

	if (atomic_dec_and_test(&ud->opens))
		return vmbus_disconnect_ring(ud->hdev->channel);
	return 0;
}

static void uhv_free_buffers(struct uhv_dev *ud)
{
	struct vmbus_channel *chan = ud->hdev->channel;

	if (ud->send_gpadl.gpadl_handle)
		vmbus_teardown_gpadl(chan, &ud->send_gpadl);
	/* Memory the host may still see (CoCo re-encryption failed) leaks. */
	if (ud->send_buf && !ud->send_gpadl.decrypted)
		vfree(ud->send_buf);
	if (ud->recv_gpadl.gpadl_handle)
		vmbus_teardown_gpadl(chan, &ud->recv_gpadl);
	if (ud->recv_buf && !ud->recv_gpadl.decrypted)
		vfree(ud->recv_buf);
	ud->send_buf = ud->recv_buf = NULL;
}

/* A NIC buffer: NUMA-local, handed to the host, named "<prefix><gpadl>". */
static int uhv_buffer(struct uhv_dev *ud, unsigned int kb, const char *prefix,
		      void **buf, struct vmbus_gpadl *gpadl, char *name,
		      size_t name_len, struct uio_mem *mem)
{
	size_t bytes = uhv_buf_bytes(kb, PAGE_SIZE);
	int ret;

	*buf = vzalloc_node(bytes, ud->node);
	if (!*buf)
		return -ENOMEM;
	ret = vmbus_establish_gpadl(ud->hdev->channel, *buf, bytes, gpadl);
	if (ret)
		return ret;
	snprintf(name, name_len, "%s%u", prefix, gpadl->gpadl_handle);
	mem->name = name;
	mem->addr = (uintptr_t)*buf;
	mem->size = bytes;
	mem->memtype = UIO_MEM_VIRTUAL;
	return 0;
}

static int uhv_probe(struct hv_device *hdev, const struct hv_vmbus_device_id *id)
{
	struct vmbus_channel *chan = hdev->channel;
	struct uhv_dev *ud;
	int ret;

	if (!uhv_allowed(hdev))
		return -ENODEV;	/* not named by the administrator: not ours */

	ud = kzalloc(sizeof(*ud), GFP_KERNEL);
	if (!ud)
		return -ENOMEM;
	ud->hdev = hdev;
	ud->node = uhv_channel_node(chan);
	atomic_set(&ud->opens, 0);
	INIT_WORK(&ud->ring_work, uhv_ring_work);
	/* uhv_ring_bytes() assumes the core's one-system-page ring header. */
	BUILD_BUG_ON(sizeof(struct hv_ring_buffer) != PAGE_SIZE);
	BUILD_BUG_ON(UHV_HV_PAGE != HV_HYP_PAGE_SIZE);
	ud->ring_bytes = uhv_ring_bytes(ring_size_kb, PAGE_SIZE);
	/* The same rule as the core's (the QEMU suite fails on a warning). */
	WARN_ON_ONCE(ud->ring_bytes !=
		     VMBUS_RING_SIZE((size_t)uhv_clamp_kb(ring_size_kb, UHV_RING_KB_MIN,
							  UHV_RING_KB_MAX) * 1024));

	sysfs_bin_attr_init(&ud->ring_attr);
	ud->ring_attr.attr.name = "ring";
	ud->ring_attr.attr.mode = 0600;
	ud->ring_attr.size = 2 * ud->ring_bytes;
	ud->ring_attr.mmap = uhv_ring_mmap;

	ret = uhv_alloc_ring(chan, ud->ring_bytes);
	if (ret)
		goto free_ud;
	set_channel_read_mode(chan, HV_CALL_ISR);

	ud->info.name = DRV_NAME;
	ud->info.version = DRV_VERSION;
	ud->info.irqcontrol = uhv_irqcontrol;
	ud->info.open = uhv_open;
	ud->info.release = uhv_release;
	ud->info.irq = UIO_IRQ_CUSTOM;
	ud->info.priv = ud;

	ud->info.mem[HV_UIO_MAP_TXRX_RING].name = HV_UIO_MAP_NAME_TXRX_RING;
	ud->info.mem[HV_UIO_MAP_TXRX_RING].addr = page_to_phys(chan->ringbuffer_page);
	ud->info.mem[HV_UIO_MAP_TXRX_RING].size =
		(size_t)chan->ringbuffer_pagecount << PAGE_SHIFT;
	ud->info.mem[HV_UIO_MAP_TXRX_RING].memtype = UIO_MEM_IOVA;

	ud->info.mem[HV_UIO_MAP_INT_PAGE].name = HV_UIO_MAP_NAME_INT_PAGE;
	ud->info.mem[HV_UIO_MAP_INT_PAGE].addr = (uintptr_t)hvl_int_page();
	ud->info.mem[HV_UIO_MAP_INT_PAGE].size = HV_HYP_PAGE_SIZE;
	ud->info.mem[HV_UIO_MAP_INT_PAGE].offs =
		uhv_hv_page_offs((uintptr_t)hvl_int_page(), PAGE_SIZE);
	ud->info.mem[HV_UIO_MAP_INT_PAGE].memtype = UIO_MEM_LOGICAL;

	ud->info.mem[HV_UIO_MAP_MONITOR_PAGE].name = HV_UIO_MAP_NAME_MONITOR_PAGE;
	ud->info.mem[HV_UIO_MAP_MONITOR_PAGE].addr = (uintptr_t)hvl_monitor_page_out();
	ud->info.mem[HV_UIO_MAP_MONITOR_PAGE].size = HV_HYP_PAGE_SIZE;
	ud->info.mem[HV_UIO_MAP_MONITOR_PAGE].offs =
		uhv_hv_page_offs((uintptr_t)hvl_monitor_page_out(), PAGE_SIZE);
	ud->info.mem[HV_UIO_MAP_MONITOR_PAGE].memtype = UIO_MEM_LOGICAL;

	/* Only a NIC needs the buffers (about 47 MiB by default). */
	if (guid_equal(&hdev->dev_type, &nic_class.guid)) {
		ret = uhv_buffer(ud, recv_buf_kb, HV_UIO_MAP_NAME_RECV_BUF,
				 &ud->recv_buf, &ud->recv_gpadl, ud->recv_name,
				 sizeof(ud->recv_name),
				 &ud->info.mem[HV_UIO_MAP_RECV_BUF]);
		if (ret == 0)
			ret = uhv_buffer(ud, send_buf_kb, HV_UIO_MAP_NAME_SEND_BUF,
					 &ud->send_buf, &ud->send_gpadl,
					 ud->send_name, sizeof(ud->send_name),
					 &ud->info.mem[HV_UIO_MAP_SEND_BUF]);
		if (ret)
			goto free_buffers;
	}

	hv_set_drvdata(hdev, ud);
	vmbus_set_chn_rescind_callback(chan, uhv_rescind);
	ret = uio_register_device(&hdev->device, &ud->info);
	if (ret) {
		dev_err(&hdev->device, "uio registration failed: %d\n", ret);
		goto unset;
	}
	if (uhv_primary_ring_file(ud) == -EAGAIN) {
		ud->ring_queued = true;
		queue_work(uhv_wq, &ud->ring_work);
	}
	return 0;

unset:
	vmbus_set_chn_rescind_callback(chan, NULL);
	hv_set_drvdata(hdev, NULL);
free_buffers:
	uhv_free_buffers(ud);
	vmbus_free_ring(chan);
free_ud:
	kfree(ud);
	return ret;
}

static void uhv_remove_common(struct hv_device *hdev)
{
	struct uhv_dev *ud = hv_get_drvdata(hdev);
	struct vmbus_channel *chan = hdev->channel, *sc;
	bool open, orphan = false;

	if (!ud)
		return;
	if (current_work() == &chan->add_channel_work) {
		/*
		 * The core's error path of the offer that probed us: ring_work
		 * may be waiting for this very work. Cancel it if it has not
		 * started, else hand ud over to it.
		 */
		WRITE_ONCE(ud->ring_orphaned, true);
		orphan = ud->ring_queued && !cancel_work(&ud->ring_work);
	} else {
		cancel_work_sync(&ud->ring_work);
	}
	mutex_lock(hvl_channel_mutex());
	list_for_each_entry(sc, &chan->sc_list, sc_list)
		sysfs_remove_bin_file(&sc->kobj, &ud->ring_attr);
	mutex_unlock(hvl_channel_mutex());
	if (ud->primary_ring_file)
		sysfs_remove_bin_file(&chan->kobj, &ud->ring_attr);
	uhv_release_sub_uevents(hdev);
	uio_unregister_device(&ud->info);
	/* The uio core calls no release after unregistering: close here. */
	open = atomic_read(&ud->opens) > 0;
	if (open)
		vmbus_disconnect_ring(chan);
	vmbus_set_chn_rescind_callback(chan, NULL);
	vmbus_set_sc_create_callback(chan, NULL);
	hv_set_drvdata(hdev, NULL);
	uhv_free_buffers(ud);
	if (open) {
		/*
		 * A process may still map the ring (a physical mapping that
		 * holds no page reference): leak it rather than hand the
		 * pages to someone else while that process writes to them.
		 */
		dev_notice(&hdev->device, "removed while open: ring memory kept\n");
		chan->ringbuffer_page = NULL;
	}
	vmbus_free_ring(chan);
	if (!orphan)
		kfree(ud);
}

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
static void uhv_remove(struct hv_device *hdev)
{
	uhv_remove_common(hdev);
}
#else
static int uhv_remove(struct hv_device *hdev)
{
	uhv_remove_common(hdev);
	return 0;
}
#endif

static const struct hv_vmbus_device_id uhv_id_table[] = {
	{ HV_NIC_GUID, },
	{ },
};
/* No MODULE_DEVICE_TABLE: nothing should load this driver but a person. */

static struct hv_driver uhv_driver = {
	.name = DRV_NAME,
	.id_table = uhv_id_table,
	.probe = uhv_probe,
	.remove = uhv_remove,
};

static int __init uhv_init(void)
{
	int ret;

	uhv_wq = alloc_workqueue(DRV_NAME, 0, 0);
	if (!uhv_wq)
		return -ENOMEM;
	ret = vmbus_driver_register(&uhv_driver);
	if (ret)
		destroy_workqueue(uhv_wq);
	return ret;
}

static void __exit uhv_exit(void)
{
	vmbus_driver_unregister(&uhv_driver);
	destroy_workqueue(uhv_wq);
}

module_init(uhv_init);
module_exit(uhv_exit);

MODULE_VERSION(DRV_VERSION);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("UIO access to explicitly named VMBus network devices");
