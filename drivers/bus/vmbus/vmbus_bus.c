/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "vmbus" bus as EAL sees it: driver registration, scan, allow/block
 * lists, probe (map, then hand to the driver), unplug, rescind.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_eal.h>
#include <rte_interrupts.h>

#include "vmbus_private.h"
#include "linux/vmbus_sysfs.h"

RTE_LOG_REGISTER(vmbus_logtype_bus, bus.vmbus, NOTICE);

/*
 * How long a probe waits for parts of a device the kernel publishes
 * after the rest (the UIO node and maps, the primary's ring file after a
 * re-offer), and how often it looks. Long enough for a busy kernel,
 * short enough for a hotplug caller that can simply try again.
 */
#define VMBUS_PUBLISH_WAIT_MS 1000u
#define VMBUS_PUBLISH_POLL_MS 10u

/*
 * Devices this process saw with a primary ring file. Only for those is a
 * missing file after a re-offer known to be the kernel's race rather
 * than a kernel without subchannels (4.16). Primary process only.
 */
#define VMBUS_RING_SEEN_MAX 64u
static struct hv_guid ring_seen[VMBUS_RING_SEEN_MAX];
static unsigned int ring_seen_n, ring_seen_next;

void
rte_vmbus_register(struct rte_vmbus_driver *driver)
{
	TAILQ_INSERT_TAIL(&vmbus_bus.drivers, driver, next);
	VMBUS_LOG(DEBUG, "driver %s registered", driver->driver.name);
}

void
rte_vmbus_unregister(struct rte_vmbus_driver *driver)
{
	TAILQ_REMOVE(&vmbus_bus.drivers, driver, next);
	VMBUS_LOG(DEBUG, "driver %s unregistered", driver->driver.name);
}

static bool
driver_matches(const struct rte_vmbus_driver *drv,
	       const struct rte_vmbus_device *dev)
{
	const struct hv_guid *id;

	if (drv->id_table == NULL || drv->probe == NULL)
		return false;
	for (id = drv->id_table; !hv_guid_is_zero(id); id++) {
		if (hv_guid_equal(id, &dev->class_id))
			return true;
	}
	return false;
}

/* -a lists what to use, -b what to leave alone; neither: everything. */
static bool
dev_ignored(const struct rte_vmbus_device *dev)
{
	const struct rte_devargs *da = dev->device.devargs;

	if (vmbus_bus.bus.conf.scan_mode == RTE_BUS_SCAN_ALLOWLIST)
		return da == NULL || da->policy != RTE_DEV_ALLOWED;
	return da != NULL && da->policy == RTE_DEV_BLOCKED;
}

bool
rte_vmbus_device_rescinded(const struct rte_vmbus_device *dev)
{
	return __atomic_load_n(&dev->priv->rescinded, __ATOMIC_RELAXED) != 0;
}

unsigned int
rte_vmbus_max_channels(const struct rte_vmbus_device *dev)
{
	return vmbus_sysfs_has_ring_file(dev->priv->devdir, dev->relid) ?
		VMBUS_MAX_CHANNELS : 1;
}

static void
mark_chans_dead(struct vmbus_dev_priv *priv)
{
	unsigned int i;

	if (priv->primary != NULL)
		__atomic_store_n(&priv->primary->rescinded, 1, __ATOMIC_RELAXED);
	for (i = 0; i < VMBUS_MAX_CHANNELS; i++)
		if (priv->subchans[i] != NULL)
			__atomic_store_n(&priv->subchans[i]->rescinded, 1,
					 __ATOMIC_RELAXED);
}

/* Once per device: the driver's hook, then the application's callbacks. */
void
vmbus_dev_rescind(struct rte_vmbus_device *dev)
{
	if (__atomic_exchange_n(&dev->priv->rescinded, 1, __ATOMIC_SEQ_CST))
		return;
	VMBUS_LOG(NOTICE, "%s: rescinded by the host", dev->name);
	mark_chans_dead(dev->priv);
	if (dev->driver != NULL && dev->driver->rescind != NULL)
		dev->driver->rescind(dev);
	rte_dev_event_callback_process(dev->name, RTE_DEV_EVENT_REMOVE);
}

static void
watch_unregistered(struct rte_intr_handle *h, void *arg)
{
	(void)h;
	(void)arg;
}

/*
 * EAL interrupt thread: the watch fd is readable on every interrupt of
 * the device (the count is not needed: the channels that asked for Rx
 * interrupts are woken, vmbus_intr.c) and fails with EIO once rescinded.
 */
static void
watch_cb(void *arg)
{
	struct rte_vmbus_device *dev = arg;
	struct vmbus_dev_priv *priv = dev->priv;
	uint32_t count;
	ssize_t n = read(priv->watch_fd, &count, sizeof(count));

	if (n == (ssize_t)sizeof(count)) {
		vmbus_intr_dispatch(dev);
		return;
	}
	if (n < 0 && errno != EIO)
		return;
	/* EOF-like: stop watching a dead fd before anything else. */
	rte_intr_callback_unregister_pending(priv->watch_handle, watch_cb, dev,
					     watch_unregistered);
	priv->watching = false;
	vmbus_dev_rescind(dev);
}

static int
watch_start(struct rte_vmbus_device *dev)
{
	struct vmbus_dev_priv *priv = dev->priv;
	char path[64];
	int ret;

	snprintf(path, sizeof(path), "/dev/uio%u", dev->uio_minor);
	priv->watch_fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (priv->watch_fd < 0)
		return -errno;
	priv->watch_handle = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (priv->watch_handle == NULL)
		return -ENOMEM;
	if (rte_intr_fd_set(priv->watch_handle, priv->watch_fd) != 0 ||
	    rte_intr_type_set(priv->watch_handle, RTE_INTR_HANDLE_EXT) != 0)
		return -EINVAL;
	ret = rte_intr_callback_register(priv->watch_handle, watch_cb, dev);
	if (ret != 0)
		return ret;
	priv->watching = true;
	return 0;
}

static void
watch_stop(struct rte_vmbus_device *dev)
{
	struct vmbus_dev_priv *priv = dev->priv;

	if (priv->watching)
		rte_intr_callback_unregister_sync(priv->watch_handle, watch_cb,
						  dev);
	priv->watching = false;
	rte_intr_instance_free(priv->watch_handle);
	priv->watch_handle = NULL;
	if (priv->watch_fd >= 0)
		close(priv->watch_fd);
	priv->watch_fd = -1;
}

/* ms until ready(dev) held, or -ETIMEDOUT after VMBUS_PUBLISH_WAIT_MS. */
static int
wait_published(bool (*ready)(const struct rte_vmbus_device *),
	       const struct rte_vmbus_device *dev)
{
	unsigned int waited = 0;

	for (;;) {
		if (ready(dev))
			return (int)waited;
		if (waited >= VMBUS_PUBLISH_WAIT_MS)
			return -ETIMEDOUT;
		rte_delay_us_sleep(VMBUS_PUBLISH_POLL_MS * 1000u);
		waited += VMBUS_PUBLISH_POLL_MS;
	}
}

static bool
ring_seen_before(const struct hv_guid *id)
{
	unsigned int i;

	for (i = 0; i < ring_seen_n; i++)
		if (hv_guid_equal(&ring_seen[i], id))
			return true;
	return false;
}

static void
ring_seen_add(const struct hv_guid *id)
{
	if (ring_seen_before(id))
		return;
	/* Full: forget the oldest, which costs at most a wrong guess. */
	ring_seen[ring_seen_next] = *id;
	ring_seen_next = (ring_seen_next + 1) % VMBUS_RING_SEEN_MAX;
	if (ring_seen_n < VMBUS_RING_SEEN_MAX)
		ring_seen_n++;
}

static bool
primary_ring_ready(const struct rte_vmbus_device *dev)
{
	return vmbus_sysfs_has_ring_file(dev->priv->devdir, dev->relid);
}

/*
 * rte_vmbus_max_channels() decides multi-queue by the primary's
 * channels/<relid>/ring, which kernels without f31fe8165d36 create late
 * after a re-offer (or not at all). Wait for it while the channel
 * directory exists or the device had the file before. Still missing:
 * a device known to have it fails with -EAGAIN (the application can
 * probe again; silently losing its queues would be worse), any other is
 * taken as a kernel without subchannels.
 */
static int
wait_primary_ring(struct rte_vmbus_device *dev)
{
	struct vmbus_sysfs_chan sc;
	const char *bad;
	bool seen = ring_seen_before(&dev->device_id);
	int ret = vmbus_sysfs_read_chan(dev->priv->devdir, dev->relid,
					vmbus_page_size(), &sc, &bad);

	if (ret == -ENOENT && !seen)
		return 0;
	if (ret != -ENOENT && ret != -EAGAIN) {
		/* Present (0) or malformed: nothing to wait for. */
		if (primary_ring_ready(dev))
			ring_seen_add(&dev->device_id);
		return 0;
	}
	ret = wait_published(primary_ring_ready, dev);
	if (ret >= 0) {
		VMBUS_LOG(DEBUG, "%s: channels/%u/ring appeared after %d ms",
			dev->name, dev->relid, ret);
		ring_seen_add(&dev->device_id);
		return 0;
	}
	if (seen) {
		VMBUS_LOG(ERR, "%s: channels/%u/ring still missing %u ms after"
			" the offer (kernel without f31fe8165d36?); probe the"
			" device again later", dev->name, dev->relid,
			VMBUS_PUBLISH_WAIT_MS);
		return -EAGAIN;
	}
	VMBUS_LOG(NOTICE, "%s: no channels/%u/ring after %u ms: one channel"
		" only (kernel without subchannel support)", dev->name,
		dev->relid, VMBUS_PUBLISH_WAIT_MS);
	return 0;
}

/* The UIO node and its maps, which may trail the sysfs entry. */
static int
wait_uio(struct rte_vmbus_device *dev)
{
	int ret = wait_published(vmbus_uio_published, dev);

	if (ret > 0)
		VMBUS_LOG(DEBUG, "%s: /dev/uio%u ready after %d ms", dev->name,
			dev->uio_minor, ret);
	if (ret >= 0)
		return 0;
	VMBUS_LOG(ERR, "%s: /dev/uio%u or its maps still missing after %u ms"
		" (device being published or removed); probe it again later",
		dev->name, dev->uio_minor, VMBUS_PUBLISH_WAIT_MS);
	return -EAGAIN;
}

static void
dev_release(struct rte_vmbus_device *dev)
{
	watch_stop(dev);
	vmbus_intr_fini(dev);
	if (rte_eal_process_type() == RTE_PROC_PRIMARY)
		vmbus_chan_close_all(dev);
	vmbus_uio_unmap(dev);
}

static int
dev_acquire(struct rte_vmbus_device *dev)
{
	int ret = wait_uio(dev);

	if (ret != 0)
		return ret;
	/* Secondaries follow the primary, which waited already. */
	if (rte_eal_process_type() == RTE_PROC_PRIMARY)
		ret = wait_primary_ring(dev);
	if (ret != 0)
		return ret;
	ret = vmbus_uio_map(dev);
	if (ret == 0)
		ret = watch_start(dev);
	if (ret != 0) {
		VMBUS_LOG(ERR, "%s: cannot set up the device: %s", dev->name,
			strerror(-ret));
		dev_release(dev);
	}
	return ret;
}

/*
 * A fresh session with the host: close the uio fd (the kernel closes the
 * primary channel, the host forgets the session) and open it again. The
 * regions may move; every channel must be closed first.
 */
int
rte_vmbus_device_reopen(struct rte_vmbus_device *dev)
{
	struct vmbus_dev_priv *priv = dev->priv;
	unsigned int i;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return -ENOTSUP;
	if (rte_vmbus_device_rescinded(dev))
		return -ENODEV;
	if (priv == NULL || !priv->mapped)
		return -EINVAL;
	if (priv->primary != NULL)
		return -EBUSY;
	for (i = 0; i < VMBUS_MAX_CHANNELS; i++)
		if (priv->subchans[i] != NULL)
			return -EBUSY;
	dev_release(dev);
	return dev_acquire(dev);
}

/* Map, then offer to the drivers in registration order. */
static int
probe_with(struct rte_vmbus_driver *drv, struct rte_vmbus_device *dev)
{
	int ret;

	VMBUS_LOG(DEBUG, "probing %s with %s", dev->name, drv->driver.name);
	ret = dev_acquire(dev);
	if (ret != 0)
		return ret;
	ret = drv->probe(drv, dev);
	if (ret == 0) {
		dev->driver = drv;
		dev->device.driver = &drv->driver;
		return 0;
	}
	dev_release(dev);
	if (ret != -ENOTSUP)
		VMBUS_LOG(ERR, "%s: probe by %s failed: %s", dev->name,
			drv->driver.name, strerror(-ret));
	else
		VMBUS_LOG(INFO, "%s: declined by %s", dev->name,
			drv->driver.name);
	return ret;
}

static int
probe_one(struct rte_vmbus_device *dev)
{
	struct rte_vmbus_driver *drv;
	int ret;

	if (dev->driver != NULL)
		return 0;
	if (dev_ignored(dev)) {
		VMBUS_LOG(DEBUG, "%s: not allowed by -a/-b, skipped", dev->name);
		return -ENOTSUP;
	}
	RTE_TAILQ_FOREACH(drv, &vmbus_bus.drivers, next) {
		if (!driver_matches(drv, dev))
			continue;
		if (!dev->priv->uio_bound) {
			VMBUS_LOG(DEBUG, "%s: not managed by UIO, skipped",
				dev->name);
			return -ENOTSUP;
		}
		ret = probe_with(drv, dev);
		if (ret != -ENOTSUP)
			return ret;
	}
	return -ENOTSUP;
}

static int
vmbus_scan(void)
{
	int ret = vmbus_mp_init();

	if (ret != 0)
		VMBUS_LOG(WARNING, "no multi-process support: %s",
			strerror(-ret));
	return vmbus_scan_dir(VMBUS_SYSFS_DEVICES);
}

static int
vmbus_probe(void)
{
	struct rte_vmbus_device *dev;
	unsigned int probed = 0, failed = 0;
	int ret;

	RTE_TAILQ_FOREACH(dev, &vmbus_bus.devices, next) {
		ret = probe_one(dev);
		if (ret == 0)
			probed++;
		else if (ret != -ENOTSUP)
			failed++;
	}
	VMBUS_LOG(DEBUG, "probe: %u device(s) taken, %u failed", probed,
		failed);
	return failed == 0 ? 0 : -EIO;
}

/*
 * Resume after start by walking the list rather than converting start
 * back with container_of, which would cast its const away.
 */
static struct rte_device *
vmbus_find_device(const struct rte_device *start, rte_dev_cmp_t cmp,
		  const void *data)
{
	struct rte_vmbus_device *dev = TAILQ_FIRST(&vmbus_bus.devices);

	if (start != NULL) {
		while (dev != NULL && &dev->device != start)
			dev = TAILQ_NEXT(dev, next);
		if (dev != NULL)
			dev = TAILQ_NEXT(dev, next);
	}
	for (; dev != NULL; dev = TAILQ_NEXT(dev, next)) {
		if (cmp(&dev->device, data) == 0)
			return &dev->device;
	}
	return NULL;
}

static int
vmbus_plug(struct rte_device *rdev)
{
	struct rte_vmbus_device *dev = RTE_DEV_TO_VMBUS(rdev);

	vmbus_devargs_refresh(dev);
	return probe_one(dev);
}

/* Detach the driver, unmap, forget the device (a rescan finds it again). */
static int
vmbus_unplug(struct rte_device *rdev)
{
	struct rte_vmbus_device *dev = RTE_DEV_TO_VMBUS(rdev);
	const struct rte_vmbus_driver *drv = dev->driver;
	int ret = 0;

	if (drv != NULL && drv->remove != NULL)
		ret = drv->remove(dev);
	if (ret != 0) {
		VMBUS_LOG(ERR, "%s: remove by %s failed: %s", dev->name,
			drv->driver.name, strerror(-ret));
		return ret;
	}
	dev->driver = NULL;
	dev->device.driver = NULL;
	if (dev->priv->mapped)
		dev_release(dev);
	if (dev->device.devargs != NULL) {
		rte_devargs_remove(dev->device.devargs);
		dev->device.devargs = NULL;
	}
	VMBUS_LOG(DEBUG, "%s: unplugged", dev->name);
	vmbus_free_device(dev);
	return 0;
}

/* Device names on this bus are instance GUIDs, braces optional. */
static int
vmbus_parse(const char *name, void *addr)
{
	struct hv_guid id;
	size_t len = strlen(name);

	if (len == 0 || name[len - 1] == '\n' ||
	    hv_guid_parse(name, len, &id) != 0)
		return 1;
	if (addr != NULL)
		memcpy(addr, &id, sizeof(id));
	return 0;
}

static int
vmbus_cleanup(void)
{
	struct rte_vmbus_device *dev, *tmp;
	int ret = 0;

	for (dev = TAILQ_FIRST(&vmbus_bus.devices); dev != NULL; dev = tmp) {
		tmp = TAILQ_NEXT(dev, next);
		if (vmbus_unplug(&dev->device) != 0)
			ret = -EBUSY;
	}
	vmbus_mp_fini();
	return ret;
}

struct vmbus_bus vmbus_bus = {
	.bus = {
		.scan = vmbus_scan,
		.probe = vmbus_probe,
		.find_device = vmbus_find_device,
		.plug = vmbus_plug,
		.unplug = vmbus_unplug,
		.parse = vmbus_parse,
		.cleanup = vmbus_cleanup,
	},
	.devices = TAILQ_HEAD_INITIALIZER(vmbus_bus.devices),
	.drivers = TAILQ_HEAD_INITIALIZER(vmbus_bus.drivers),
};

RTE_REGISTER_BUS(vmbus, vmbus_bus.bus);

int
rte_vmbus_irq_read(struct rte_vmbus_device *dev, uint32_t *count)
{
	ssize_t n;

	if (dev == NULL || count == NULL || !dev->priv->mapped)
		return -EINVAL;
	if (rte_vmbus_device_rescinded(dev))
		return -ENODEV;
	n = read(dev->priv->uio_fd, count, sizeof(*count));
	if (n == (ssize_t)sizeof(*count))
		return 0;
	if (n < 0 && errno == EIO) {
		vmbus_dev_rescind(dev);
		return -ENODEV;
	}
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return -EIO;
}
