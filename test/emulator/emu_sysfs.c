/* SPDX-License-Identifier: BSD-3-Clause */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu_sysfs.h"

#define EMU_ROOT_MARKER ".vmbus-emu-root"
#define UIO_DRIVER_VERSION "0.02.1"
/* Any major works: nothing opens the node as a char device. */
#define EMU_UIO_MAJOR 243

int
emu_path(char *out, size_t n, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(out, n, fmt, ap);
	va_end(ap);
	if (len < 0)
		return -EINVAL;
	return (size_t)len < n ? 0 : -ENAMETOOLONG;
}

int
emu_sysfs_mkdirs(const char *path)
{
	char buf[PATH_MAX];
	char *p;
	int ret = emu_path(buf, sizeof(buf), "%s", path);

	if (ret != 0)
		return ret;
	for (p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return -errno;
		*p = c;
		if (c == '\0')
			return 0;
	}
}

int
emu_sysfs_write(const char *dir, const char *name, const char *fmt, ...)
{
	char tmp[PATH_MAX], dst[PATH_MAX], text[256];
	va_list ap;
	int fd, len, ret;

	va_start(ap, fmt);
	len = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(text))
		return -EINVAL;
	ret = emu_path(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	if (ret == 0)
		ret = emu_path(dst, sizeof(dst), "%s/%s", dir, name);
	if (ret != 0)
		return ret;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, text, (size_t)len) != len) {
		ret = errno ? -errno : -EIO;
		close(fd);
		unlink(tmp);
		return ret;
	}
	close(fd);
	return rename(tmp, dst) == 0 ? 0 : -errno;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path) == 0 ? 0 : -1;
	return unlink(path) == 0 ? 0 : -1;
}

int
emu_sysfs_rmtree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -errno;
}

static bool
dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	bool empty = true;

	if (d == NULL)
		return false;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			empty = false;
			break;
		}
	}
	closedir(d);
	return empty;
}

static int
clear_old_root(const char *root)
{
	char marker[PATH_MAX];
	int ret;

	if (access(root, F_OK) != 0)
		return 0;
	ret = emu_path(marker, sizeof(marker), "%s/%s", root, EMU_ROOT_MARKER);
	if (ret != 0)
		return ret;
	if (access(marker, F_OK) != 0 && !dir_is_empty(root))
		return -EEXIST;
	return emu_sysfs_rmtree(root);
}

int
emu_sysfs_root_create(const char *root)
{
	static const char *const dirs[] = {
		"sys/bus/vmbus/devices", "sys/class/uio", "dev", "regions",
	};
	static const char *const drivers[] = { "uio_hv_generic", "hv_netvsc" };
	char path[PATH_MAX];
	size_t i;
	int ret = clear_old_root(root);

	if (ret == 0)
		ret = emu_sysfs_mkdirs(root);
	if (ret == 0)
		ret = emu_sysfs_write(root, EMU_ROOT_MARKER, "%d\n", (int)getpid());
	for (i = 0; ret == 0 && i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		ret = emu_path(path, sizeof(path), "%s/%s", root, dirs[i]);
		if (ret == 0)
			ret = emu_sysfs_mkdirs(path);
	}
	for (i = 0; ret == 0 && i < sizeof(drivers) / sizeof(drivers[0]); i++) {
		ret = emu_path(path, sizeof(path), "%s/sys/bus/vmbus/drivers/%s",
			       root, drivers[i]);
		if (ret == 0)
			ret = emu_sysfs_mkdirs(path);
		/* Write-only control files; nothing acts on them (yet). */
		if (ret == 0)
			ret = emu_sysfs_write(path, "bind", "%s", "");
		if (ret == 0)
			ret = emu_sysfs_write(path, "unbind", "%s", "");
		if (ret == 0)
			ret = emu_sysfs_write(path, "new_id", "%s", "");
	}
	return ret;
}

void
emu_sysfs_root_remove(const char *root)
{
	emu_sysfs_rmtree(root);
}

static int
dev_dir(char *out, size_t n, const char *root, const char *guid)
{
	return emu_path(out, n, "%s/sys/bus/vmbus/devices/%s", root, guid);
}

static int
write_map(const char *uiodir, unsigned int k, const char *name, uint64_t size)
{
	char dir[PATH_MAX];
	int ret = emu_path(dir, sizeof(dir), "%s/maps/map%u", uiodir, k);

	if (ret == 0)
		ret = emu_sysfs_mkdirs(dir);
	if (ret == 0)
		ret = emu_sysfs_write(dir, "name", "%s\n", name);
	/* size and addr use the kernel's %pa format. */
	if (ret == 0)
		ret = emu_sysfs_write(dir, "size", "0x%016llx\n",
				      (unsigned long long)size);
	if (ret == 0)
		ret = emu_sysfs_write(dir, "addr", "0x%016llx\n", 0ULL);
	if (ret == 0)
		ret = emu_sysfs_write(dir, "offset", "0x%llx\n", 0ULL);
	return ret;
}

static int
create_uio(const struct emu_sysfs_dev *d, const char *devdir)
{
	char uiodir[PATH_MAX], link[PATH_MAX], target[PATH_MAX];
	unsigned int k;
	int ret = emu_path(uiodir, sizeof(uiodir), "%s/uio/uio%u", devdir, d->uio);

	if (ret == 0)
		ret = emu_sysfs_mkdirs(uiodir);
	if (ret == 0)
		ret = emu_sysfs_write(uiodir, "name", "uio_hv_generic\n");
	if (ret == 0)
		ret = emu_sysfs_write(uiodir, "version", UIO_DRIVER_VERSION "\n");
	if (ret == 0)
		ret = emu_sysfs_write(uiodir, "event", "0\n");
	if (ret == 0)
		ret = emu_sysfs_write(uiodir, "dev", "%d:%u\n", EMU_UIO_MAJOR, d->uio);
	for (k = 0; ret == 0 && k < HV_UIO_MAP_COUNT; k++)
		ret = write_map(uiodir, k, d->map_name[k], d->map_size[k]);
	if (ret == 0)
		ret = emu_path(link, sizeof(link), "%s/sys/class/uio/uio%u",
			       d->root, d->uio);
	if (ret == 0)
		ret = emu_path(target, sizeof(target),
			       "../../bus/vmbus/devices/%s/uio/uio%u", d->guid, d->uio);
	if (ret == 0 && symlink(target, link) != 0)
		ret = -errno;
	return ret;
}

int
emu_sysfs_dev_create(const struct emu_sysfs_dev *d)
{
	char dir[PATH_MAX], link[PATH_MAX];
	const char *drv = d->bound_uio ? "uio_hv_generic" : "hv_netvsc";
	int ret = dev_dir(dir, sizeof(dir), d->root, d->guid);

	if (ret == 0)
		ret = emu_sysfs_mkdirs(dir);
	if (ret == 0)
		ret = emu_sysfs_write(dir, "class_id", "{%s}\n", d->class_guid);
	if (ret == 0)
		ret = emu_sysfs_write(dir, "device_id", "{%s}\n", d->guid);
	/* Decimal without leading zeros: consumers parse with base 0. */
	if (ret == 0)
		ret = emu_sysfs_write(dir, "id", "%u\n", d->relid);
	if (ret == 0)
		ret = emu_sysfs_write(dir, "monitor_id", "%u\n", d->monitor_id);
	if (ret == 0)
		ret = emu_sysfs_write(dir, "numa_node", "0\n");
	if (ret == 0)
		ret = emu_sysfs_write(dir, "vendor", "0x1414\n");
	if (ret == 0)
		ret = emu_sysfs_write(dir, "device", "0x0\n");
	if (ret == 0)
		ret = emu_path(link, sizeof(link), "%s/driver", dir);
	if (ret == 0) {
		char target[64];

		snprintf(target, sizeof(target), "../../drivers/%s", drv);
		if (symlink(target, link) != 0)
			ret = -errno;
	}
	if (ret == 0)
		ret = emu_path(link, sizeof(link), "%s/channels", dir);
	if (ret == 0)
		ret = emu_sysfs_mkdirs(link);
	if (ret == 0 && d->bound_uio)
		ret = create_uio(d, dir);
	return ret;
}

int
emu_sysfs_dev_set_event(const struct emu_sysfs_dev *d, uint32_t count)
{
	char dir[PATH_MAX];
	int ret = emu_path(dir, sizeof(dir), "%s/sys/bus/vmbus/devices/%s/uio/uio%u",
			   d->root, d->guid, d->uio);

	return ret ? ret : emu_sysfs_write(dir, "event", "%u\n", count);
}

int
emu_sysfs_chan_publish(const char *root, const char *guid, uint32_t relid,
		       uint32_t subchan_id, uint32_t monitor_id,
		       const struct emu_region *ring)
{
	char dev[PATH_MAX], tmp[PATH_MAX], dst[PATH_MAX], file[PATH_MAX];
	int ret = dev_dir(dev, sizeof(dev), root, guid);

	if (ret == 0)
		ret = emu_path(tmp, sizeof(tmp), "%s/channels/.tmp-%u", dev, relid);
	if (ret == 0)
		ret = emu_path(dst, sizeof(dst), "%s/channels/%u", dev, relid);
	if (ret == 0)
		ret = emu_path(file, sizeof(file), "%s/ring", tmp);
	if (ret != 0)
		return ret;
	emu_sysfs_rmtree(tmp);
	if (mkdir(tmp, 0755) != 0)
		return -errno;
	if (ring != NULL)
		ret = emu_region_link(ring, file);
	if (ret == 0)
		ret = emu_sysfs_write(tmp, "subchannel_id", "%u\n", subchan_id);
	/* Like the kernel, no file at all for an unmonitored channel. */
	if (ret == 0 && monitor_id != EMU_SYSFS_NO_MONITOR)
		ret = emu_sysfs_write(tmp, "monitor_id", "%u\n", monitor_id);
	if (ret == 0)
		ret = emu_sysfs_write(tmp, "cpu", "0\n");
	/* rename() of a directory onto a missing name is atomic. */
	if (ret == 0 && rename(tmp, dst) != 0)
		ret = -errno;
	if (ret != 0)
		emu_sysfs_rmtree(tmp);
	return ret;
}

int
emu_sysfs_chan_remove(const char *root, const char *guid, uint32_t relid)
{
	char dev[PATH_MAX], dir[PATH_MAX], dead[PATH_MAX];
	int ret = dev_dir(dev, sizeof(dev), root, guid);

	if (ret == 0)
		ret = emu_path(dir, sizeof(dir), "%s/channels/%u", dev, relid);
	if (ret == 0)
		ret = emu_path(dead, sizeof(dead), "%s/channels/.del-%u", dev, relid);
	if (ret != 0)
		return ret;
	/* Vanish in one step too: never a ring without its attributes. */
	if (rename(dir, dead) != 0)
		return errno == ENOENT ? 0 : -errno;
	return emu_sysfs_rmtree(dead);
}

int
emu_sysfs_chan_add_ring(const char *root, const char *guid, uint32_t relid,
			const struct emu_region *ring)
{
	char dev[PATH_MAX], file[PATH_MAX];
	int ret = dev_dir(dev, sizeof(dev), root, guid);

	if (ret == 0)
		ret = emu_path(file, sizeof(file), "%s/channels/%u/ring", dev, relid);
	/* link() is atomic: the file appears complete or not at all. */
	return ret ? ret : emu_region_link(ring, file);
}

int
emu_sysfs_dev_remove(const struct emu_sysfs_dev *d)
{
	char dir[PATH_MAX], dead[PATH_MAX], link[PATH_MAX];
	int ret = dev_dir(dir, sizeof(dir), d->root, d->guid);

	if (ret == 0)
		ret = emu_path(dead, sizeof(dead), "%s/sys/bus/vmbus/devices/.del-%s",
			       d->root, d->guid);
	if (ret == 0 && d->bound_uio)
		ret = emu_path(link, sizeof(link), "%s/sys/class/uio/uio%u", d->root,
			       d->uio);
	if (ret != 0)
		return ret;
	if (d->bound_uio && unlink(link) != 0 && errno != ENOENT)
		return -errno;
	if (rename(dir, dead) != 0)
		return errno == ENOENT ? 0 : -errno;
	return emu_sysfs_rmtree(dead);
}
