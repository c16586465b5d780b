/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared memory regions backing the UIO maps and channel rings: files on
 * the instance's tmpfs root, mapped MAP_SHARED by the emulator and (via
 * the shim or the sysfs ring file) by the guest. Files rather than bare
 * memfds because a channel's sysfs "ring" must be a real file and the
 * primary's is the same memory as map0 (a hard link).
 */
#ifndef EMU_REGION_H
#define EMU_REGION_H

#include <limits.h>
#include <stddef.h>

struct emu_region {
	void *base;	    /* NULL when not created */
	size_t size;
	char path[PATH_MAX];
};

/* Create path (must not exist) of size bytes, zero-filled, and map it. */
int emu_region_create(struct emu_region *r, const char *path, size_t size);

/* Another name for the same memory (a hard link). */
int emu_region_link(const struct emu_region *r, const char *newpath);

/* Unmap and unlink; safe on a zeroed or already destroyed region. */
void emu_region_destroy(struct emu_region *r);

#endif /* EMU_REGION_H */
