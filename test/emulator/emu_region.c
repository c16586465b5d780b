/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "emu_region.h"

int
emu_region_create(struct emu_region *r, const char *path, size_t size)
{
	void *base;
	int fd, ret;

	memset(r, 0, sizeof(*r));
	if (size == 0)
		return -EINVAL;
	if (snprintf(r->path, sizeof(r->path), "%s", path) >= (int)sizeof(r->path))
		return -ENAMETOOLONG;
	/* 0600 like the kernel's ring attribute: only the owner maps it. */
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) != 0) {
		ret = -errno;
		goto fail;
	}
	base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		ret = -errno;
		goto fail;
	}
	close(fd);
	r->base = base;
	r->size = size;
	return 0;
fail:
	close(fd);
	unlink(path);
	r->path[0] = '\0';
	return ret;
}

int
emu_region_link(const struct emu_region *r, const char *newpath)
{
	if (r->base == NULL)
		return -EINVAL;
	return link(r->path, newpath) == 0 ? 0 : -errno;
}

void
emu_region_destroy(struct emu_region *r)
{
	if (r->base != NULL)
		munmap(r->base, r->size);
	if (r->path[0] != '\0')
		unlink(r->path);
	memset(r, 0, sizeof(*r));
}
