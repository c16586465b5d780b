/* SPDX-License-Identifier: BSD-3-Clause */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest_ops.h"

#define VMBUS_DEVS "/sys/bus/vmbus/devices"

int
guest_read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	char *nl;

	if (f == NULL)
		return -errno;
	if (fgets(buf, (int)len, f) == NULL) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	nl = strchr(buf, '\n');
	if (nl != NULL)
		*nl = '\0';
	return 0;
}

int
guest_read_ulong(const char *path, unsigned long *out)
{
	char buf[64], *end;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return -errno;
	if (fgets(buf, sizeof(buf), f) == NULL) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	errno = 0;
	*out = strtoul(buf, &end, 0);
	/* Exactly "<num>\n", like the EAL helper. */
	if (errno != 0 || end == buf || strcmp(end, "\n") != 0)
		return -EINVAL;
	return 0;
}

static int
read_guid(const char *dir, const char *attr, char *out, size_t len)
{
	char path[PATH_MAX], buf[80];
	char *p = buf;
	int ret;

	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	ret = guest_read_line(path, buf, sizeof(buf));
	if (ret != 0)
		return ret;
	if (*p == '{')
		p++;
	p[strcspn(p, "}")] = '\0';
	if (strlen(p) != 36)
		return -EINVAL;
	snprintf(out, len, "%s", p);
	return 0;
}

static int
scan_one(const char *name, struct guest_dev *d)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	int ret;

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(dir, sizeof(dir), VMBUS_DEVS "/%s", name);
	ret = read_guid(dir, "class_id", d->class_id, sizeof(d->class_id));
	if (ret == 0)
		ret = read_guid(dir, "device_id", d->device_id, sizeof(d->device_id));
	snprintf(path, sizeof(path), "%s/id", dir);
	if (ret == 0)
		ret = guest_read_ulong(path, &d->relid);
	snprintf(path, sizeof(path), "%s/monitor_id", dir);
	if (ret == 0)
		ret = guest_read_ulong(path, &d->monitor_id);
	snprintf(path, sizeof(path), "%s/numa_node", dir);
	if (ret == 0 && access(path, R_OK) != 0)
		ret = -errno;
	return ret;
}

int
guest_scan(struct guest_dev *devs, int max)
{
	DIR *d = opendir(VMBUS_DEVS);
	struct dirent *e;
	int n = 0, ret = 0;

	if (d == NULL)
		return -errno;
	while (ret == 0 && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == max) {
			ret = -ENOBUFS;
			break;
		}
		ret = scan_one(e->d_name, &devs[n]);
		if (ret == 0)
			n++;
	}
	closedir(d);
	return ret != 0 ? ret : n;
}

static int
find_uio(struct guest_dev *d)
{
	char dir[PATH_MAX];
	struct dirent *e;
	DIR *dp;
	int ret = -ENOENT;

	snprintf(dir, sizeof(dir), VMBUS_DEVS "/%s/uio", d->name);
	dp = opendir(dir);
	if (dp == NULL)
		return -errno;
	while ((e = readdir(dp)) != NULL) {
		if (sscanf(e->d_name, "uio%u", &d->uio) == 1) {
			ret = 0;
			break;
		}
	}
	closedir(dp);
	return ret;
}

int
guest_read_maps(struct guest_dev *d)
{
	char path[PATH_MAX];
	unsigned long size;
	unsigned int k;
	int ret = find_uio(d);

	for (k = 0; ret == 0 && k < HV_UIO_MAP_COUNT; k++) {
		snprintf(path, sizeof(path), VMBUS_DEVS "/%s/uio/uio%u/maps/map%u/name",
			 d->name, d->uio, k);
		ret = guest_read_line(path, d->map_name[k], sizeof(d->map_name[k]));
		snprintf(path, sizeof(path), VMBUS_DEVS "/%s/uio/uio%u/maps/map%u/size",
			 d->name, d->uio, k);
		if (ret == 0)
			ret = guest_read_ulong(path, &size);
		d->map_size[k] = size;
	}
	return ret;
}

int
guest_uio_open(unsigned int uio, int flags)
{
	char path[32];
	int fd;

	snprintf(path, sizeof(path), "/dev/uio%u", uio);
	fd = open(path, flags);
	return fd >= 0 ? fd : -errno;
}

void *
guest_uio_map(int fd, unsigned int k, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       (off_t)k * sysconf(_SC_PAGESIZE));

	return p == MAP_FAILED ? NULL : p;
}

void *
guest_map_ring(const struct guest_dev *d, unsigned long relid, size_t *len)
{
	char path[PATH_MAX];
	struct stat st;
	void *p;
	int fd;

	snprintf(path, sizeof(path), VMBUS_DEVS "/%s/channels/%lu/ring", d->name,
		 relid);
	if (access(path, R_OK | W_OK) != 0)
		return NULL;
	fd = open(path, O_RDWR);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || st.st_size == 0 ||
	    st.st_size % sysconf(_SC_PAGESIZE) != 0) {
		close(fd);
		return NULL;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return NULL;
	*len = (size_t)st.st_size;
	return p;
}
