/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "shim_path.h"

/* A prefix matches a whole path component: "/sys/class/uio" or ".../". */
static bool
has_dir_prefix(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(path, prefix, n) != 0)
		return false;
	return path[n] == '\0' || path[n] == '/';
}

bool
shim_path_uio_index(const char *path, unsigned int *index)
{
	static const char dev[] = "/dev/uio";
	const char *p;
	unsigned long v = 0;

	if (strncmp(path, dev, sizeof(dev) - 1) != 0)
		return false;
	p = path + sizeof(dev) - 1;
	if (*p < '0' || *p > '9')
		return false;
	/* "uio01" is not a name the kernel would create. */
	if (p[0] == '0' && p[1] != '\0')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > 65535)
			return false;
	}
	if (*p != '\0')
		return false;
	*index = (unsigned int)v;
	return true;
}

static bool
is_emulated(const char *path)
{
	unsigned int idx;

	return has_dir_prefix(path, "/sys/bus/vmbus") ||
	       has_dir_prefix(path, "/sys/class/uio") ||
	       shim_path_uio_index(path, &idx);
}

int
shim_path_rewrite(const char *root, const char *path, char *out,
		  size_t outlen)
{
	size_t rl, pl;

	if (root == NULL || path == NULL || path[0] != '/' || !is_emulated(path))
		return 0;
	rl = strlen(root);
	pl = strlen(path);
	if (rl + pl + 1 > outlen)
		return -ENAMETOOLONG;
	memcpy(out, root, rl);
	memcpy(out + rl, path, pl + 1);
	return 1;
}

void
shim_path_strip_root(const char *root, char *path)
{
	size_t rl = strlen(root);

	if (rl == 0 || strncmp(path, root, rl) != 0 || path[rl] != '/')
		return;
	if (is_emulated(path + rl))
		memmove(path, path + rl, strlen(path + rl) + 1);
}

int
shim_uio_mmap_index(uint64_t offset, size_t len, int flags, size_t pagesz,
		    unsigned int map_count, unsigned int *index)
{
	int type = flags & MAP_TYPE;
	uint64_t idx;

	if (type != MAP_SHARED && type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (pagesz == 0 || len == 0 || offset % pagesz != 0)
		return -EINVAL;
	idx = offset / pagesz;
	if (idx >= map_count)
		return -EINVAL;
	*index = (unsigned int)idx;
	return 0;
}

int
shim_uio_mmap_len_ok(size_t len, uint64_t region_size, size_t pagesz)
{
	uint64_t pages;

	if (pagesz == 0 || region_size == 0)
		return -EINVAL;
	pages = region_size / pagesz + (region_size % pagesz != 0);
	if ((uint64_t)len > pages * pagesz)
		return -EINVAL;
	return 0;
}
