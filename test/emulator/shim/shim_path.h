/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pure helpers of the shim: which paths belong to the emulator and how a
 * UIO mmap offset selects a map. No libc state, no syscalls: unit tested.
 */
#ifndef SHIM_PATH_H
#define SHIM_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * If path names something under /sys/bus/vmbus, /sys/class/uio or is
 * /dev/uio<N>, write root + path to out and return 1. Return 0 when the
 * path is not ours (out untouched), -ENAMETOOLONG if out is too small.
 */
int shim_path_rewrite(const char *root, const char *path, char *out,
		      size_t outlen);

/* True if path is exactly "/dev/uio<decimal N>"; stores N. */
bool shim_path_uio_index(const char *path, unsigned int *index);

/*
 * The kernel's checks for mmap of a UIO fd: MAP_SHARED, offset a multiple
 * of the page size selecting map offset / pagesz < map_count, length
 * non-zero. Stores the map index. Returns 0 or -EINVAL.
 */
int shim_uio_mmap_index(uint64_t offset, size_t len, int flags, size_t pagesz,
			unsigned int map_count, unsigned int *index);

/* The length must not exceed the region rounded up to whole pages. */
int shim_uio_mmap_len_ok(size_t len, uint64_t region_size, size_t pagesz);

/*
 * If path starts with root followed by one of the rewritten prefixes,
 * strip root in place (realpath results must look like real sysfs).
 */
void shim_path_strip_root(const char *root, char *path);

#endif /* SHIM_PATH_H */
