/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sysfs attribute parsing for the vmbus bus. See vmbus_sysfs.h for the
 * formats. Every parser is strict on purpose: the values come from the
 * kernel, and something that does not look exactly like the kernel's
 * output means a different kernel ABI or a broken tree, which must be
 * reported rather than guessed at (strtoul's base 0 would read "010" as
 * octal 8 and "0x10" as 16 for a decimal id).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv_chan_geom.h"
#include "vmbus_sysfs.h"

#define HV_PAGE 4096u

/* Value text without its mandatory final newline; -EINVAL if absent. */
static int
strip_newline(const char *buf, size_t len, size_t *body)
{
	if (buf == NULL || len < 2 || buf[len - 1] != '\n')
		return -EINVAL;
	*body = len - 1;
	return 0;
}

/* Strict decimal digits of buf[0..len): no sign, no leading zero. */
static int
parse_decimal(const char *buf, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || (buf[0] == '0' && len > 1))
		return -EINVAL;
	for (i = 0; i < len; i++) {
		unsigned int d;

		if (buf[i] < '0' || buf[i] > '9')
			return -EINVAL;
		d = (unsigned int)(buf[i] - '0');
		if (d > max || v > (max - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int
vmbus_sysfs_parse_u32(const char *buf, size_t len, uint32_t max,
		      uint32_t *out)
{
	uint64_t v;
	size_t body;
	int ret = strip_newline(buf, len, &body);

	if (ret == 0)
		ret = parse_decimal(buf, body, max, &v);
	if (ret != 0)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int
vmbus_sysfs_parse_hex_u64(const char *buf, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t body, i;

	if (strip_newline(buf, len, &body) != 0 || body < 3 || body > 18 ||
	    buf[0] != '0' || (buf[1] != 'x' && buf[1] != 'X'))
		return -EINVAL;
	for (i = 2; i < body; i++) {
		int d = hv_hex_digit(buf[i]);

		if (d < 0)
			return -EINVAL;
		v = (v << 4) | (uint64_t)d;
	}
	*out = v;
	return 0;
}

int
vmbus_sysfs_parse_guid(const char *buf, size_t len, struct hv_guid *out)
{
	size_t body;

	/* hv_guid_parse forgives one newline: make sure there was one only. */
	if (strip_newline(buf, len, &body) != 0 ||
	    memchr(buf, '\n', body) != NULL || memchr(buf, '\0', body) != NULL)
		return -EINVAL;
	return hv_guid_parse(buf, body, out) == 0 ? 0 : -EINVAL;
}

int
vmbus_sysfs_parse_numa(const char *buf, size_t len, int *out)
{
	uint32_t v;

	if (len == 3 && memcmp(buf, "-1\n", 3) == 0) {
		*out = VMBUS_SYSFS_NUMA_ANY;
		return 0;
	}
	/* Linux has at most 1 << 10 nodes; 4095 leaves room. */
	if (vmbus_sysfs_parse_u32(buf, len, 4095, &v) != 0)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

static const char *const map_names[HV_UIO_MAP_COUNT] = {
	[HV_UIO_MAP_TXRX_RING] = HV_UIO_MAP_NAME_TXRX_RING,
	[HV_UIO_MAP_INT_PAGE] = HV_UIO_MAP_NAME_INT_PAGE,
	[HV_UIO_MAP_MONITOR_PAGE] = HV_UIO_MAP_NAME_MONITOR_PAGE,
	[HV_UIO_MAP_RECV_BUF] = HV_UIO_MAP_NAME_RECV_BUF,
	[HV_UIO_MAP_SEND_BUF] = HV_UIO_MAP_NAME_SEND_BUF,
};

int
vmbus_sysfs_parse_map_name(const char *buf, size_t len, enum hv_uio_map idx,
			   uint32_t *gpadl)
{
	const char *want;
	size_t body, wlen;
	uint64_t v;

	if ((unsigned int)idx >= HV_UIO_MAP_COUNT ||
	    strip_newline(buf, len, &body) != 0)
		return -EINVAL;
	want = map_names[idx];
	wlen = strlen(want);
	if (body < wlen || memcmp(buf, want, wlen) != 0)
		return -EINVAL;
	if (idx != HV_UIO_MAP_RECV_BUF && idx != HV_UIO_MAP_SEND_BUF) {
		*gpadl = 0;
		return body == wlen ? 0 : -EINVAL;
	}
	/* The kernel prints the handle with %u; 0 is never a valid GPADL. */
	if (parse_decimal(buf + wlen, body - wlen, UINT32_MAX, &v) != 0 ||
	    v == 0)
		return -EINVAL;
	*gpadl = (uint32_t)v;
	return 0;
}

int
vmbus_sysfs_check_ring_size(uint64_t size, size_t page_size)
{
	/* One rule for the bus, the emulator and the tests. */
	return hv_chan_ring_size_check(size, page_size);
}

static int
join_path(char *out, size_t size, const char *dir, const char *name)
{
	int n = snprintf(out, size, "%s/%s", dir, name);

	return (n < 0 || (size_t)n >= size) ? -ENAMETOOLONG : 0;
}

/* read() until EOF or the buffer is full; sysfs gives it all at once. */
static ssize_t
read_all(int fd, char *buf, size_t size)
{
	size_t got = 0;

	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int
vmbus_sysfs_read(const char *dir, const char *name, char *buf, size_t size,
		 size_t *len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd, ret;

	if (size < 2)
		return -EINVAL;
	ret = join_path(path, sizeof(path), dir, name);
	if (ret != 0)
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* One byte more than we keep tells an oversize value apart. */
	n = read_all(fd, buf, size);
	close(fd);
	if (n < 0)
		return (int)n;
	if ((size_t)n >= size)
		return -EMSGSIZE;
	buf[n] = '\0';
	*len = (size_t)n;
	return 0;
}

/* Read and parse one decimal attribute; absent files are -ENOENT. */
static int
read_u32(const char *dir, const char *name, uint32_t max, uint32_t *out)
{
	char buf[VMBUS_SYSFS_VALUE_MAX];
	size_t len;
	int ret = vmbus_sysfs_read(dir, name, buf, sizeof(buf), &len);

	return ret != 0 ? ret : vmbus_sysfs_parse_u32(buf, len, max, out);
}

static int
read_guid(const char *dir, const char *name, struct hv_guid *out)
{
	char buf[VMBUS_SYSFS_VALUE_MAX];
	size_t len;
	int ret = vmbus_sysfs_read(dir, name, buf, sizeof(buf), &len);

	return ret != 0 ? ret : vmbus_sysfs_parse_guid(buf, len, out);
}

/* An optional decimal attribute: absent gives dflt. */
static int
read_optional_u32(const char *dir, const char *name, uint32_t max,
		  uint32_t dflt, uint32_t *out)
{
	int ret = read_u32(dir, name, max, out);

	if (ret == -ENOENT) {
		*out = dflt;
		return 0;
	}
	return ret;
}

static int
read_numa(const char *dir, int *out)
{
	char buf[VMBUS_SYSFS_VALUE_MAX];
	size_t len;
	int ret = vmbus_sysfs_read(dir, "numa_node", buf, sizeof(buf), &len);

	if (ret == -ENOENT) {
		*out = VMBUS_SYSFS_NUMA_ANY;
		return 0;
	}
	return ret != 0 ? ret : vmbus_sysfs_parse_numa(buf, len, out);
}

int
vmbus_sysfs_read_dev(const char *devdir, struct vmbus_sysfs_dev *out,
		     const char **bad)
{
	int ret;

	*bad = "class_id";
	ret = read_guid(devdir, "class_id", &out->class_id);
	if (ret == 0) {
		*bad = "device_id";
		ret = read_guid(devdir, "device_id", &out->device_id);
	}
	if (ret == 0) {
		*bad = "id";
		ret = read_u32(devdir, "id", VMBUS_SYSFS_RELID_MAX, &out->relid);
		if (ret == 0 && out->relid == 0)
			ret = -EINVAL;
	}
	if (ret == 0) {
		/* Hidden by newer kernels for channels without a monitor. */
		*bad = "monitor_id";
		ret = read_optional_u32(devdir, "monitor_id", 127,
					VMBUS_SYSFS_NO_MONITOR,
					&out->monitor_id);
	}
	if (ret == 0) {
		*bad = "numa_node";
		ret = read_numa(devdir, &out->numa_node);
	}
	if (ret == 0)
		*bad = NULL;
	return ret;
}

int
vmbus_sysfs_uio_minor(const char *devdir, uint32_t *minor)
{
	char path[PATH_MAX];
	struct dirent *e;
	unsigned int found = 0;
	DIR *d;
	int ret = join_path(path, sizeof(path), devdir, "uio");

	if (ret != 0)
		return ret;
	d = opendir(path);
	if (d == NULL)
		return -errno;
	while ((e = readdir(d)) != NULL) {
		uint64_t v;

		if (e->d_name[0] == '.')
			continue;
		if (strncmp(e->d_name, "uio", 3) != 0 ||
		    parse_decimal(e->d_name + 3, strlen(e->d_name + 3),
				  UINT32_MAX, &v) != 0) {
			ret = -EINVAL;
			break;
		}
		*minor = (uint32_t)v;
		found++;
	}
	closedir(d);
	if (ret == 0 && found != 1)
		ret = found == 0 ? -ENOENT : -EINVAL;
	return ret;
}

static int
read_one_map(const char *mapsdir, unsigned int i, size_t page_size,
	     struct vmbus_sysfs_map *m, const char **bad)
{
	char dir[PATH_MAX], buf[VMBUS_SYSFS_VALUE_MAX];
	size_t len;
	int n, ret;

	n = snprintf(dir, sizeof(dir), "%s/map%u", mapsdir, i);
	if (n < 0 || (size_t)n >= sizeof(dir))
		return -ENAMETOOLONG;
	*bad = "name";
	ret = vmbus_sysfs_read(dir, "name", buf, sizeof(buf), &len);
	if (ret == 0)
		ret = vmbus_sysfs_parse_map_name(buf, len, (enum hv_uio_map)i,
						 &m->gpadl);
	if (ret != 0)
		return ret;
	*bad = "size";
	ret = vmbus_sysfs_read(dir, "size", buf, sizeof(buf), &len);
	if (ret == 0)
		ret = vmbus_sysfs_parse_hex_u64(buf, len, &m->size);
	if (ret != 0)
		return ret;
	if (i == HV_UIO_MAP_TXRX_RING)
		return vmbus_sysfs_check_ring_size(m->size, page_size);
	/* The int and monitor pages are one Hyper-V page at least. */
	return m->size < HV_PAGE ? -EINVAL : 0;
}

static bool
path_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

int
vmbus_sysfs_read_maps(const char *devdir, uint32_t minor, unsigned int nmaps,
		      size_t page_size, struct vmbus_sysfs_map *maps,
		      unsigned int *bad_map, const char **bad_file)
{
	char mapsdir[PATH_MAX], extra[PATH_MAX + 16];
	unsigned int i;
	int n, ret;

	if (nmaps != 3 && nmaps != HV_UIO_MAP_COUNT)
		return -EINVAL;
	n = snprintf(mapsdir, sizeof(mapsdir), "%s/uio/uio%u/maps", devdir,
		     minor);
	if (n < 0 || (size_t)n >= sizeof(mapsdir))
		return -ENAMETOOLONG;
	for (i = 0; i < nmaps; i++) {
		*bad_map = i;
		ret = read_one_map(mapsdir, i, page_size, &maps[i], bad_file);
		if (ret != 0)
			return ret;
	}
	/* A map we do not know of means a kernel ABI we do not know. */
	*bad_map = nmaps;
	*bad_file = "(unexpected map)";
	snprintf(extra, sizeof(extra), "%s/map%u", mapsdir, nmaps);
	return path_exists(extra) ? -EINVAL : 0;
}

static int
chan_dir(char *out, size_t size, const char *devdir, uint32_t relid)
{
	int n = snprintf(out, size, "%s/channels/%u", devdir, relid);

	return (n < 0 || (size_t)n >= size) ? -ENAMETOOLONG : 0;
}

/* Size of the ring file, -EAGAIN if it is not there yet. */
static int
ring_file_size(const char *dir, size_t page_size, uint64_t *size)
{
	char path[PATH_MAX];
	struct stat st;
	int ret = join_path(path, sizeof(path), dir, "ring");

	if (ret != 0)
		return ret;
	if (stat(path, &st) != 0)
		return errno == ENOENT ? -EAGAIN : -errno;
	if (!S_ISREG(st.st_mode) ||
	    vmbus_sysfs_check_ring_size((uint64_t)st.st_size, page_size) != 0)
		return -EINVAL;
	*size = (uint64_t)st.st_size;
	return 0;
}

int
vmbus_sysfs_read_chan(const char *devdir, uint32_t relid, size_t page_size,
		      struct vmbus_sysfs_chan *out, const char **bad)
{
	char dir[PATH_MAX];
	int ret = chan_dir(dir, sizeof(dir), devdir, relid);

	*bad = NULL;
	if (ret != 0)
		return ret;
	if (!path_exists(dir))
		return -ENOENT;
	out->relid = relid;
	*bad = "ring";
	ret = ring_file_size(dir, page_size, &out->ring_size);
	if (ret == 0) {
		*bad = "subchannel_id";
		ret = read_u32(dir, "subchannel_id", 0xffff,
			       &out->subchannel_id);
		if (ret == -ENOENT)
			ret = -EAGAIN;
	}
	if (ret == 0) {
		*bad = "monitor_id";
		ret = read_optional_u32(dir, "monitor_id", 127,
					VMBUS_SYSFS_NO_MONITOR,
					&out->monitor_id);
	}
	if (ret == 0)
		*bad = NULL;
	return ret;
}

int
vmbus_sysfs_list_chans(const char *devdir, uint32_t *relids, unsigned int max,
		       unsigned int *n)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int ret = join_path(path, sizeof(path), devdir, "channels");

	*n = 0;
	if (ret != 0)
		return ret;
	d = opendir(path);
	if (d == NULL)
		return -errno;
	while ((e = readdir(d)) != NULL) {
		uint64_t v;

		if (e->d_name[0] == '.')
			continue;
		if (parse_decimal(e->d_name, strlen(e->d_name),
				  VMBUS_SYSFS_RELID_MAX, &v) != 0 || v == 0) {
			ret = -EINVAL;
			break;
		}
		if (*n == max) {
			ret = -ENOBUFS;
			break;
		}
		relids[(*n)++] = (uint32_t)v;
	}
	closedir(d);
	return ret;
}

bool
vmbus_sysfs_has_ring_file(const char *devdir, uint32_t relid)
{
	char dir[PATH_MAX], path[PATH_MAX];

	if (chan_dir(dir, sizeof(dir), devdir, relid) != 0 ||
	    join_path(path, sizeof(path), dir, "ring") != 0)
		return false;
	return path_exists(path);
}
