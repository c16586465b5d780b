/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "vmbus" bus as EAL sees it: driver registration, scan, probe by
 * class GUID, device lookup. Channel setup and UIO mapping come later,
 * on top of drivers/common/hv.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_uuid.h>

#include "vmbus_private.h"

RTE_LOG_REGISTER(vmbus_logtype_bus, bus.vmbus, NOTICE);

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
vmbus_driver_matches(const struct rte_vmbus_driver *drv,
	const struct rte_vmbus_device *dev)
{
	const rte_uuid_t *id;

	if (drv->id_table == NULL)
		return false;
	for (id = drv->id_table; !rte_uuid_is_null(*id); id++) {
		if (rte_uuid_compare(*id, dev->class_id) == 0)
			return true;
	}
	return false;
}

/*
 * Offer dev to each matching driver until one takes it. A driver that
 * declines with -ENOTSUP is not an error: another may follow.
 */
static int
vmbus_probe_one(struct rte_vmbus_device *dev)
{
	struct rte_vmbus_driver *drv;
	int ret;

	if (dev->driver != NULL)
		return 0;
	RTE_TAILQ_FOREACH(drv, &vmbus_bus.drivers, next) {
		if (!vmbus_driver_matches(drv, dev))
			continue;
		VMBUS_LOG(DEBUG, "probing %s with %s", dev->name,
			drv->driver.name);
		ret = drv->probe(drv, dev);
		if (ret == 0) {
			dev->driver = drv;
			dev->device.driver = &drv->driver;
			return 0;
		}
		if (ret != -ENOTSUP) {
			VMBUS_LOG(ERR, "%s: probe by %s failed: %s", dev->name,
				drv->driver.name, strerror(-ret));
			return ret;
		}
		VMBUS_LOG(NOTICE, "%s: declined by %s (not supported)", dev->name,
			drv->driver.name);
	}
	return -ENOTSUP;
}

static int
vmbus_scan(void)
{
	return vmbus_scan_dir(VMBUS_SYSFS_DEVICES);
}

static int
vmbus_probe(void)
{
	struct rte_vmbus_device *dev;
	unsigned int probed = 0, failed = 0;
	int ret;

	RTE_TAILQ_FOREACH(dev, &vmbus_bus.devices, next) {
		ret = vmbus_probe_one(dev);
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
vmbus_plug(struct rte_device *dev)
{
	return vmbus_probe_one(RTE_DEV_TO_VMBUS(dev));
}

static int
vmbus_unplug(struct rte_device *rdev)
{
	struct rte_vmbus_device *dev = RTE_DEV_TO_VMBUS(rdev);
	const struct rte_vmbus_driver *drv = dev->driver;
	int ret = 0;

	if (drv == NULL)
		return 0;
	if (drv->remove != NULL)
		ret = drv->remove(dev);
	if (ret == 0) {
		dev->driver = NULL;
		dev->device.driver = NULL;
	}
	return ret;
}

/* Device names on this bus are the instance GUIDs. */
static int
vmbus_parse(const char *name, void *addr)
{
	rte_uuid_t id;

	if (strlen(name) != RTE_UUID_STRLEN - 1 || rte_uuid_parse(name, id) != 0)
		return 1;
	if (addr != NULL)
		memcpy(addr, id, sizeof(id));
	return 0;
}

static int
vmbus_cleanup(void)
{
	struct rte_vmbus_device *dev;
	int ret = 0;

	RTE_TAILQ_FOREACH(dev, &vmbus_bus.devices, next) {
		if (vmbus_unplug(&dev->device) != 0)
			ret = -EBUSY;
	}
	vmbus_free_unclaimed();
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
