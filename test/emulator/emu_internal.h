/* SPDX-License-Identifier: BSD-3-Clause */
/* Structures shared by emu_host.c and emu_dev.c; not for the service. */
#ifndef EMU_INTERNAL_H
#define EMU_INTERNAL_H

#include <limits.h>

#include "emu.h"
#include "emu_region.h"
#include "emu_sysfs.h"
#include "emu_uio.h"

struct emu_chan {
	struct emu_dev *dev;
	bool used;
	uint32_t relid;
	uint32_t subchan_id;	/* 0 = primary */
	uint32_t monitor_id;
	struct emu_region own;	/* subchannel ring; primary uses map0 */
	struct emu_region *ring;
	void *priv;
};

struct emu_dev {
	struct emu_host *host;
	unsigned int index;
	char guid[40];
	uint8_t mac[6];
	uint32_t gpadl[HV_UIO_MAP_COUNT];
	struct emu_sysfs_dev sysfs;
	struct emu_region map[HV_UIO_MAP_COUNT];
	struct emu_chan chan[EMU_MAX_CHANS];	/* [0] = primary */
	struct emu_uio uio;
	struct emu_guestmem mem;
	bool open;
	bool rescinded;
	uint32_t generation;	/* offers so far after the first (re-offers) */
	int ring_timer_fd;	/* timerfd of a late primary ring file, or -1 */
	int irq_timer_fd;	/* timerfd of late interrupt callbacks, or -1 */
	uint64_t irq_late;	/* channels (bit = index) whose callback is due */
	uint32_t irq_count;
	uint64_t gpa_invalid;	/* GPAs outside the guest's page table */
	void *priv;
};

struct emu_host {
	struct emu_config cfg;
	char root[PATH_MAX];
	bool root_created;
	struct emu_loop *loop;
	struct emu_dev *dev[EMU_MAX_NICS];
	unsigned int ndevs;
	const struct emu_service_ops *ops;
	void *ops_arg;
};

int emu_dev_create(struct emu_host *h, unsigned int index, struct emu_dev **out);
void emu_dev_destroy(struct emu_dev *dev);

#endif /* EMU_INTERNAL_H */
