/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What DPDK's vmbus bus does to find and map a device, reduced to plain
 * libc calls on the real paths (/sys/bus/vmbus, /dev/uioN): the test
 * program runs under the shim, so these exercise it end to end.
 */
#ifndef GUEST_OPS_H
#define GUEST_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "hv_uio_abi.h"

#define GUEST_MAX_DEVS 8

struct guest_dev {
	char name[64];		/* directory name = device GUID */
	char class_id[64];	/* without braces */
	char device_id[64];
	unsigned long relid;
	unsigned long monitor_id;
	unsigned int uio;
	char map_name[HV_UIO_MAP_COUNT][64];
	uint64_t map_size[HV_UIO_MAP_COUNT];
};

/* Scan /sys/bus/vmbus/devices like vmbus_scan_one(); returns count or -errno. */
int guest_scan(struct guest_dev *devs, int max);

/* "<num>\n" with base 0, as eal_parse_sysfs_value() demands. */
int guest_read_ulong(const char *path, unsigned long *out);

/* First line of a file without the newline. */
int guest_read_line(const char *path, char *buf, size_t len);

/* Find uio/uioN and read the five maps' names and sizes. */
int guest_read_maps(struct guest_dev *d);

/* open("/dev/uioN", flags); -errno on failure. */
int guest_uio_open(unsigned int uio, int flags);

/* mmap map k of an open uio fd; NULL with errno set on failure. */
void *guest_uio_map(int fd, unsigned int k, size_t len);

/* Open and map channels/<relid>/ring; stores the size. */
void *guest_map_ring(const struct guest_dev *d, unsigned long relid, size_t *len);

#endif /* GUEST_OPS_H */
