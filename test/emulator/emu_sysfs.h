/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fake sysfs/devfs tree under an instance root, laid out and
 * formatted like vmbus_drv + uio_hv_generic so that unmodified consumers
 * (DPDK's vmbus bus) parse it: <root>/sys/bus/vmbus/..., <root>/sys/class/
 * uio/..., <root>/dev/uioN (the socket lives in emu_uio.c).
 */
#ifndef EMU_SYSFS_H
#define EMU_SYSFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu_region.h"
#include "hv_uio_abi.h"

/* snprintf into out; -ENAMETOOLONG instead of silent truncation. */
int emu_path(char *out, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

int emu_sysfs_mkdirs(const char *path);

/*
 * Write an attribute file. Goes through a hidden temporary and rename()
 * so a concurrent fgets() sees either the old or the new text in full.
 */
int emu_sysfs_write(const char *dir, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* rm -rf; a missing path is not an error. */
int emu_sysfs_rmtree(const char *path);

/*
 * Make root an empty instance directory with the static skeleton
 * (drivers/, class/uio, dev/, regions/). An existing root is removed only
 * if it carries our marker or is empty, so a typo cannot wipe a tree.
 */
int emu_sysfs_root_create(const char *root);
void emu_sysfs_root_remove(const char *root);

struct emu_sysfs_dev {
	const char *root;
	const char *guid;      /* device_id, also the directory name */
	const char *class_guid;
	unsigned int uio;      /* uio minor */
	uint32_t relid;
	uint32_t monitor_id;
	bool bound_uio;        /* else bound to hv_netvsc: no uio/ */
	char map_name[HV_UIO_MAP_COUNT][32];
	uint64_t map_size[HV_UIO_MAP_COUNT];
};

/* devices/<guid>/ with its attributes, driver link, uio/ and class link. */
int emu_sysfs_dev_create(const struct emu_sysfs_dev *d);

/*
 * What vmbus_device_unregister leaves behind on rescind: nothing. The
 * class/uio link goes first, then devices/<guid>/ vanishes in one rename
 * (a scanner skips dot entries) before it is deleted.
 */
int emu_sysfs_dev_remove(const struct emu_sysfs_dev *d);

/* devices/<guid>/uio/uioN/event, the cumulative interrupt count. */
int emu_sysfs_dev_set_event(const struct emu_sysfs_dev *d, uint32_t count);

/* monitor_id of a channel the host does not monitor (= EMU_NO_MONITOR). */
#define EMU_SYSFS_NO_MONITOR UINT32_MAX

/*
 * Publish devices/<guid>/channels/<relid>/ atomically: built as
 * .tmp-<relid> (ring hard-linked from the region, subchannel_id,
 * monitor_id, cpu) and renamed into place, because a consumer that sees
 * a ring without subchannel_id treats it as a hard error. ring may be
 * NULL (device not bound to UIO). monitor_id EMU_SYSFS_NO_MONITOR: no
 * monitor_id file (a channel the host does not monitor).
 */
int emu_sysfs_chan_publish(const char *root, const char *guid, uint32_t relid,
			   uint32_t subchan_id, uint32_t monitor_id,
			   const struct emu_region *ring);
int emu_sysfs_chan_remove(const char *root, const char *guid, uint32_t relid);

/*
 * Add the ring file to a channel published without one: models the
 * re-offer race of kernels before 6.15 (fix f31fe8165d36), where
 * channels/<relid>/ exists for a while before its ring does.
 */
int emu_sysfs_chan_add_ring(const char *root, const char *guid, uint32_t relid,
			    const struct emu_region *ring);

#endif /* EMU_SYSFS_H */
