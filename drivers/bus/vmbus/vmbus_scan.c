/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device discovery. Each directory under /sys/bus/vmbus/devices is one
 * channel offer. A device whose attributes cannot be read or parsed is
 * reported (file and content) and skipped; the scan goes on, because one
 * odd device (another driver's, or one being torn down) must not hide
 * the others.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_devargs.h>
#include <rte_memory.h>

#include "vmbus_private.h"
#include "linux/vmbus_sysfs.h"

/* Printable copy of a sysfs value for a log line. */
static void
escape_value(const char *in, size_t len, char *out, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 5 < size; i++) {
		unsigned char c = (unsigned char)in[i];

		if (isprint(c) && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
	}
	out[o] = '\0';
}

/* Say what is wrong with dir/file, with its content if it has any. */
static void
report_bad_attr(const char *dir, const char *file, int err)
{
	char raw[VMBUS_SYSFS_VALUE_MAX], text[4 * VMBUS_SYSFS_VALUE_MAX + 8];
	size_t len = 0;
	int ret = vmbus_sysfs_read(dir, file, raw, sizeof(raw), &len);

	if (ret == 0) {
		escape_value(raw, len, text, sizeof(text));
		VMBUS_LOG(ERR, "%s/%s: bad value \"%s\" (%s), device skipped",
			dir, file, text, strerror(-err));
	} else {
		VMBUS_LOG(ERR, "%s/%s: %s, device skipped", dir, file,
			strerror(-err));
	}
}

static struct rte_vmbus_device *
find_by_id(const struct hv_guid *id)
{
	struct rte_vmbus_device *dev;

	RTE_TAILQ_FOREACH(dev, &vmbus_bus.devices, next) {
		if (hv_guid_equal(&dev->device_id, id))
			return dev;
	}
	return NULL;
}

struct rte_vmbus_device *
vmbus_find_by_minor(uint32_t minor)
{
	struct rte_vmbus_device *dev;

	RTE_TAILQ_FOREACH(dev, &vmbus_bus.devices, next) {
		if (dev->priv != NULL && dev->priv->mapped &&
		    dev->uio_minor == minor)
			return dev;
	}
	return NULL;
}

/* The -a/-b or hotplug devargs naming dev, compared as GUIDs. */
void
vmbus_devargs_refresh(struct rte_vmbus_device *dev)
{
	struct rte_devargs *da;

	dev->device.devargs = NULL;
	RTE_EAL_DEVARGS_FOREACH("vmbus", da) {
		struct hv_guid id;

		if (hv_guid_parse(da->name, strlen(da->name), &id) == 0 &&
		    hv_guid_equal(&id, &dev->device_id)) {
			dev->device.devargs = da;
			return;
		}
	}
}

/*
 * numa_node as a DPDK socket id. A node beyond what this DPDK was built
 * for would index its per-socket tables out of range: use any socket.
 */
static int
numa_socket(const char *devdir, int node)
{
	if (node < 0)
		return SOCKET_ID_ANY;
	if (node >= RTE_MAX_NUMA_NODES) {
		VMBUS_LOG(WARNING, "%s/numa_node: %d beyond RTE_MAX_NUMA_NODES"
			" (%d), using any socket", devdir, node,
			RTE_MAX_NUMA_NODES);
		return SOCKET_ID_ANY;
	}
	return node;
}

/* What a (re)scan learns of a device nobody holds. */
static void
refresh_device(struct rte_vmbus_device *dev, const char *devdir,
	       const struct vmbus_sysfs_dev *sd)
{
	/* Old kernels name the entry after the relid, not the GUID. */
	snprintf(dev->priv->devdir, sizeof(dev->priv->devdir), "%s", devdir);
	dev->class_id = sd->class_id;
	dev->relid = sd->relid;
	dev->monitor_id = sd->monitor_id;
	dev->device.numa_node = numa_socket(devdir, sd->numa_node);
	vmbus_devargs_refresh(dev);
	dev->priv->uio_bound = vmbus_sysfs_uio_minor(devdir,
						     &dev->uio_minor) == 0;
}

static struct rte_vmbus_device *
new_device(const char *devdir, const struct vmbus_sysfs_dev *sd)
{
	struct rte_vmbus_device *dev = calloc(1, sizeof(*dev));
	struct vmbus_dev_priv *priv = calloc(1, sizeof(*priv));

	if (dev == NULL || priv == NULL) {
		free(dev);
		free(priv);
		return NULL;
	}
	priv->uio_fd = -1;
	priv->watch_fd = -1;
	dev->priv = priv;
	dev->device_id = sd->device_id;
	hv_guid_format(&dev->device_id, dev->name);
	dev->device.name = dev->name;
	dev->device.bus = &vmbus_bus.bus;
	refresh_device(dev, devdir, sd);
	return dev;
}

/* Add the device in dir/entry; 0, or -ENOMEM which stops the scan. */
static int
scan_one(const char *dir, const char *entry)
{
	char devdir[PATH_MAX], cls[HV_GUID_STR_LEN];
	struct vmbus_sysfs_dev sd;
	struct rte_vmbus_device *dev;
	const char *bad = NULL;
	int n, ret;

	n = snprintf(devdir, sizeof(devdir), "%s/%s", dir, entry);
	if (n < 0 || (size_t)n >= sizeof(devdir)) {
		VMBUS_LOG(ERR, "%s/%s: path too long, skipped", dir, entry);
		return 0;
	}
	ret = vmbus_sysfs_read_dev(devdir, &sd, &bad);
	if (ret != 0) {
		report_bad_attr(devdir, bad != NULL ? bad : "?", ret);
		return 0;
	}
	dev = find_by_id(&sd.device_id);
	if (dev != NULL) {
		/*
		 * Rescan (hotplug) of a device nobody holds, say after a
		 * probe that failed: the host may have re-offered it since,
		 * with another relid, and devargs or the binding may have
		 * changed. A device in use keeps what it was mapped with.
		 */
		if (dev->driver == NULL && !dev->priv->mapped)
			refresh_device(dev, devdir, &sd);
		return 0;
	}
	dev = new_device(devdir, &sd);
	if (dev == NULL)
		return -ENOMEM;
	TAILQ_INSERT_TAIL(&vmbus_bus.devices, dev, next);
	hv_guid_format(&dev->class_id, cls);
	VMBUS_LOG(DEBUG, "found %s class %s relid %u%s", dev->name, cls,
		dev->relid, dev->priv->uio_bound ? "" : " (not bound to UIO)");
	return 0;
}

int
vmbus_scan_dir(const char *dir)
{
	struct dirent *e;
	unsigned int count = 0;
	DIR *d;
	int ret = 0;

	d = opendir(dir);
	if (d == NULL) {
		/* Not a Hyper-V guest (or no vmbus driver): no devices. */
		if (errno == ENOENT) {
			VMBUS_LOG(DEBUG, "%s absent: 0 VMBus devices", dir);
			return 0;
		}
		ret = -errno;
		VMBUS_LOG(ERR, "cannot open %s: %s", dir, strerror(-ret));
		return ret;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		ret = scan_one(dir, e->d_name);
		if (ret < 0)
			break;
		count++;
	}
	closedir(d);
	VMBUS_LOG(DEBUG, "scanned %s: %u entries", dir, count);
	return ret;
}

void
vmbus_free_device(struct rte_vmbus_device *dev)
{
	TAILQ_REMOVE(&vmbus_bus.devices, dev, next);
	free(dev->priv);
	free(dev);
}

void
vmbus_free_unclaimed(void)
{
	struct rte_vmbus_device *dev, *tmp;

	for (dev = TAILQ_FIRST(&vmbus_bus.devices); dev != NULL; dev = tmp) {
		tmp = TAILQ_NEXT(dev, next);
		if (dev->driver == NULL && !dev->priv->mapped)
			vmbus_free_device(dev);
	}
}
