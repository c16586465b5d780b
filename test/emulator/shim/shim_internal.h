/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared between the files of libvmbus_emu_shim.so. */
#ifndef SHIM_INTERNAL_H
#define SHIM_INTERNAL_H

#include <dlfcn.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The next definition of fn after ours (normally glibc's; under ASan the
 * sanitizer's interceptor sits in front of us and calls us as "real").
 * Cached per call site; the race on first use stores the same value.
 */
#define SHIM_REAL(fn)                                                      \
	(__extension__({                                                   \
		static void *shim_r_;                                      \
		void *shim_p_ = __atomic_load_n(&shim_r_, __ATOMIC_ACQUIRE); \
		if (shim_p_ == NULL) {                                     \
			shim_p_ = dlsym(RTLD_NEXT, #fn);                   \
			__atomic_store_n(&shim_r_, shim_p_, __ATOMIC_RELEASE); \
		}                                                          \
		(__typeof__(&fn))shim_p_;                                  \
	}))

/* $VMBUS_EMU_ROOT, or NULL when unset (then the shim is transparent). */
const char *shim_root(void);

/*
 * path itself if it is not ours, buf holding the rewritten path, or NULL
 * with errno = ENAMETOOLONG. buf must have PATH_MAX bytes.
 */
const char *shim_map_path(const char *path, char *buf);

/* /dev/uioN: connect to the emulator and do the handshake; fd or -1. */
int shim_uio_open(unsigned int minor, int flags);
/* Is fd one of our uio sockets (fd number, device and inode match)? */
bool shim_uio_lookup(int fd, unsigned int *minor);

/* Hand the process's shared mappings to the emulator (emu_proto.h). */
int shim_mem_send(int sock);

/* /proc/self/pagemap with per-run frame numbers (shim_pagemap.c). */
bool shim_pagemap_path(const char *path);
int shim_pagemap_open(int flags);
/* 1 with *ret set if fd is such a pagemap (at NULL: its file position). */
int shim_pagemap_read(int fd, void *buf, size_t count, const uint64_t *at,
		      ssize_t *ret);
/* Send the frames of the shared mappings (EMU_MSG_FRAMES). */
int shim_pagemap_send(int sock);

#endif /* SHIM_INTERNAL_H */
