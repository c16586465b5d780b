/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Strict reading of what the vmbus core and uio_hv_generic publish in
 * sysfs. No DPDK here: the bus calls it, and the unit tests run it
 * against fixture trees.
 *
 * Formats (docs/design/protocol.md, "sysfs"):
 *  - ids (id, monitor_id, subchannel_id, channel dir names): decimal,
 *    no sign, no leading zero except "0" itself (so "010" is an error and
 *    never octal 8), ending in exactly one "\n";
 *  - numa_node: as ids, or "-1\n";
 *  - map sizes: "0x" followed by 1..16 hex digits and "\n" (%pa);
 *  - GUIDs: 36-character canonical form, with or without braces, "\n";
 *  - map names: "txrx_rings", "int_page", "monitor_page",
 *    "recv:<decimal gpadl>", "send:<decimal gpadl>", "\n".
 * Anything else is -EINVAL; a value too long for its buffer is
 * -EMSGSIZE; a missing file is -ENOENT.
 */
#ifndef VMBUS_SYSFS_H
#define VMBUS_SYSFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv_guid.h"
#include "hv_uio_abi.h"

/* Longest attribute value we ever accept, newline and NUL included. */
#define VMBUS_SYSFS_VALUE_MAX 64u

/* monitor_id when the file is absent: the channel has no monitor page. */
#define VMBUS_SYSFS_NO_MONITOR 0xffu

/* Largest relid a channel may have (bits of the int page's send half). */
#define VMBUS_SYSFS_RELID_MAX 16383u

/* numa_node value when absent or -1. */
#define VMBUS_SYSFS_NUMA_ANY (-1)

/* ---- Parsers of one value (buf need not be NUL-terminated) ---- */

/* Decimal <= max, then "\n". */
int vmbus_sysfs_parse_u32(const char *buf, size_t len, uint32_t max,
			  uint32_t *out);

/* "0x<hex>\n", at most 16 digits. */
int vmbus_sysfs_parse_hex_u64(const char *buf, size_t len, uint64_t *out);

/* "{guid}\n" or "guid\n". */
int vmbus_sysfs_parse_guid(const char *buf, size_t len, struct hv_guid *out);

/* Decimal up to 4095 or "-1", then "\n"; -1 becomes VMBUS_SYSFS_NUMA_ANY. */
int vmbus_sysfs_parse_numa(const char *buf, size_t len, int *out);

/*
 * Name of map idx. *gpadl receives the handle of the recv/send maps
 * (non-zero) and 0 for the others. -EINVAL if the name is not the one
 * map idx must have, or the handle is missing or malformed.
 */
int vmbus_sysfs_parse_map_name(const char *buf, size_t len,
			       enum hv_uio_map idx, uint32_t *gpadl);

/*
 * A channel region (map 0 or a channels/<relid>/ring file) of size bytes
 * on a system with page_size pages: two equal halves, each a multiple of
 * 4096 and larger than one system page (header page plus data).
 * 0 or -EINVAL.
 */
int vmbus_sysfs_check_ring_size(uint64_t size, size_t page_size);

/* ---- Readers of files ---- */

/*
 * Read dir/name into buf (NUL-terminated, *len bytes without the NUL).
 * 0, -ENOENT, -EMSGSIZE (longer than size - 1), -ENAMETOOLONG, -errno.
 */
int vmbus_sysfs_read(const char *dir, const char *name, char *buf,
		     size_t size, size_t *len);

/* What the bus needs from /sys/bus/vmbus/devices/<name>/. */
struct vmbus_sysfs_dev {
	struct hv_guid class_id;
	struct hv_guid device_id;
	uint32_t relid;       /* primary channel */
	uint32_t monitor_id;  /* VMBUS_SYSFS_NO_MONITOR if absent */
	int numa_node;        /* VMBUS_SYSFS_NUMA_ANY if absent */
};

/*
 * Read the identity of the device in devdir. On error *bad names the
 * attribute at fault (file name) so the caller can report it.
 */
int vmbus_sysfs_read_dev(const char *devdir, struct vmbus_sysfs_dev *out,
			 const char **bad);

/*
 * The UIO minor of the device: the one "uio<N>" entry of devdir/uio.
 * -ENOENT if the device is not bound to uio_hv_generic, -EINVAL for a
 * malformed or second entry.
 */
int vmbus_sysfs_uio_minor(const char *devdir, uint32_t *minor);

struct vmbus_sysfs_map {
	uint64_t size;
	uint32_t gpadl; /* recv/send maps only */
};

/*
 * Read devdir/uio/uio<minor>/maps/map<i>/{name,size} for i < nmaps and
 * check there is no map<nmaps>. nmaps is 3 (any class) or 5 (network).
 * Map 0 is checked with vmbus_sysfs_check_ring_size, maps 1 and 2 must be
 * at least 4096 bytes. *bad_map and *bad_file say where an error is.
 */
int vmbus_sysfs_read_maps(const char *devdir, uint32_t minor,
			  unsigned int nmaps, size_t page_size,
			  struct vmbus_sysfs_map *maps, unsigned int *bad_map,
			  const char **bad_file);

/* One channel of the device, from devdir/channels/<relid>/. */
struct vmbus_sysfs_chan {
	uint32_t relid;
	uint32_t subchannel_id;
	uint32_t monitor_id;  /* VMBUS_SYSFS_NO_MONITOR if absent */
	uint64_t ring_size;
};

/*
 * Read channels/<relid>/. The kernel publishes these files one by one
 * and the ring may appear late (after a re-offer), so:
 *   -ENOENT  the directory is not there (yet),
 *   -EAGAIN  the directory is incomplete (no ring or no subchannel_id):
 *            retry later,
 *   -EINVAL  a value is malformed (*bad names the file): do not retry.
 */
int vmbus_sysfs_read_chan(const char *devdir, uint32_t relid,
			  size_t page_size, struct vmbus_sysfs_chan *out,
			  const char **bad);

/*
 * Relids of devdir/channels/ (names that are strict decimals; dot names
 * such as the kernel's or an emulator's temporary entries are ignored,
 * other names are -EINVAL). At most max are stored, *n gets the number
 * found; -ENOBUFS if there were more. -ENOENT without a channels dir.
 */
int vmbus_sysfs_list_chans(const char *devdir, uint32_t *relids,
			   unsigned int max, unsigned int *n);

/* True if channels/<relid>/ring exists: the kernel supports subchannels. */
bool vmbus_sysfs_has_ring_file(const char *devdir, uint32_t relid);

#endif /* VMBUS_SYSFS_H */
