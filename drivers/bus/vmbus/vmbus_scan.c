/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device discovery from sysfs. Each directory under
 * /sys/bus/vmbus/devices is one channel offer; its class_id and
 * device_id files hold "{guid}\n". The full bus (UIO mapping, channels)
 * builds on this; for now a device is just its identity.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_memory.h>

#include "vmbus_private.h"

/* "{" + 36 + "}" + "\n" fits; anything longer is not a GUID. */
#define VMBUS_GUID_TEXT_MAX 48

/*
 * Read dir/name (a small sysfs attribute) into buf as a string. sysfs
 * files can change under us, so a short or oversize read is an error
 * rather than something to retry.
 */
static int
vmbus_read_attr(const char *dir, const char *name, char *buf, size_t size)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd, len;

	len = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (len < 0 || (size_t)len >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return (int)n;
	if ((size_t)n == size - 1)
		return -EMSGSIZE;
	buf[n] = '\0';
	return 0;
}

/*
 * Parse the sysfs text form of a GUID: optional braces around the 36
 * character canonical form, optional trailing newline, nothing else.
 */
static int
vmbus_parse_guid_text(char *text, rte_uuid_t out)
{
	size_t len = strlen(text);

	if (len > 0 && text[len - 1] == '\n')
		text[--len] = '\0';
	if (len >= 2 && text[0] == '{' && text[len - 1] == '}') {
		text[--len] = '\0';
		text++;
		len--;
	}
	if (len != RTE_UUID_STRLEN - 1)
		return -EINVAL;
	return rte_uuid_parse(text, out) == 0 ? 0 : -EINVAL;
}

static int
vmbus_read_guid(const char *dir, const char *name, rte_uuid_t out)
{
	char text[VMBUS_GUID_TEXT_MAX];
	int ret;

	ret = vmbus_read_attr(dir, name, text, sizeof(text));
	if (ret < 0)
		return ret;
	return vmbus_parse_guid_text(text, out);
}

static struct rte_vmbus_device *
vmbus_find_by_id(const rte_uuid_t id)
{
	struct rte_vmbus_device *dev;

	RTE_TAILQ_FOREACH(dev, &vmbus_bus.devices, next) {
		if (rte_uuid_compare(dev->device_id, id) == 0)
			return dev;
	}
	return NULL;
}

/* Add the device described by directory dir/entry; 0 or -errno. */
static int
vmbus_scan_one(const char *dir, const char *entry)
{
	char path[PATH_MAX];
	struct rte_vmbus_device *dev;
	char class_text[RTE_UUID_STRLEN];
	int len, ret;

	len = snprintf(path, sizeof(path), "%s/%s", dir, entry);
	if (len < 0 || (size_t)len >= sizeof(path))
		return -ENAMETOOLONG;
	dev = calloc(1, sizeof(*dev));
	if (dev == NULL)
		return -ENOMEM;
	ret = vmbus_read_guid(path, "class_id", dev->class_id);
	if (ret == 0)
		ret = vmbus_read_guid(path, "device_id", dev->device_id);
	if (ret < 0) {
		VMBUS_LOG(WARNING, "%s: unreadable ids (%s), skipped", path,
			strerror(-ret));
		free(dev);
		return 0;
	}
	/* A rescan finds devices already listed: keep the first copy. */
	if (vmbus_find_by_id(dev->device_id) != NULL) {
		free(dev);
		return 0;
	}
	rte_uuid_unparse(dev->device_id, dev->name, sizeof(dev->name));
	rte_uuid_unparse(dev->class_id, class_text, sizeof(class_text));
	dev->device.name = dev->name;
	dev->device.bus = &vmbus_bus.bus;
	dev->device.numa_node = SOCKET_ID_ANY;
	TAILQ_INSERT_TAIL(&vmbus_bus.devices, dev, next);
	VMBUS_LOG(DEBUG, "found device %s class %s", dev->name, class_text);
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
		ret = vmbus_scan_one(dir, e->d_name);
		if (ret < 0)
			break;
		count++;
	}
	closedir(d);
	VMBUS_LOG(DEBUG, "scanned %s: %u entries", dir, count);
	return ret;
}

void
vmbus_free_unclaimed(void)
{
	struct rte_vmbus_device *dev, *tmp;

	for (dev = TAILQ_FIRST(&vmbus_bus.devices); dev != NULL; dev = tmp) {
		tmp = TAILQ_NEXT(dev, next);
		if (dev->driver != NULL)
			continue;
		TAILQ_REMOVE(&vmbus_bus.devices, dev, next);
		free(dev);
	}
}
