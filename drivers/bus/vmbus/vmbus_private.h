/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal state of the vmbus bus shared by its source files. */
#ifndef VMBUS_PRIVATE_H
#define VMBUS_PRIVATE_H

#include <limits.h>
#include <stdbool.h>
#include <sys/queue.h>

#include <bus_driver.h>
#include <rte_log.h>
#include <rte_spinlock.h>

#include "rte_bus_vmbus.h"
#include "vmbus_ring.h"

extern int vmbus_logtype_bus;

#define VMBUS_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, vmbus_logtype_bus, "vmbus: " fmt "\n", \
		##__VA_ARGS__)

/* Where the kernel lists VMBus devices; absent outside Hyper-V guests. */
#define VMBUS_SYSFS_DEVICES "/sys/bus/vmbus/devices"

/* Channels per device: the kernel's limit for subchannels plus one. */
#define VMBUS_MAX_CHANNELS 64u

/* Largest GPA page-buffer packet we build (header on the stack). */
#define VMBUS_MAX_GPA 64u

RTE_TAILQ_HEAD(vmbus_device_list, rte_vmbus_device);
RTE_TAILQ_HEAD(vmbus_driver_list, rte_vmbus_driver);

struct vmbus_bus {
	struct rte_bus bus;               /* must stay first: EAL's handle */
	struct vmbus_device_list devices;
	struct vmbus_driver_list drivers;
};

extern struct vmbus_bus vmbus_bus;

/* A subchannel ring mapped by the primary, for secondaries to follow. */
struct vmbus_sub_map {
	uint32_t relid;
	void *addr;
	uint64_t len;
};

/* Per-process state of one device (malloc'd, never shared). */
struct vmbus_dev_priv {
	char devdir[PATH_MAX];
	bool uio_bound;                /* devdir/uio exists */
	bool mapped;
	int uio_fd;                    /* data fd: interrupts, doorbell */
	int watch_fd;                  /* second fd: rescind detection */
	struct rte_intr_handle *watch_handle;
	bool watching;                 /* watch callback registered */
	uint32_t rescinded;            /* atomic flag */
	struct rte_vmbus_chan *primary;
	struct rte_vmbus_chan *subchans[VMBUS_MAX_CHANNELS];
	unsigned int nb_sub_maps;
	struct vmbus_sub_map sub_maps[VMBUS_MAX_CHANNELS];
	/* Rx interrupts of this process, by subchannel id (vmbus_intr.c). */
	rte_spinlock_t intr_lock;
	struct vmbus_intr_slot {
		struct rte_vmbus_chan *chan;
		int efd;               /* eventfd, valid if chan != NULL */
		uint32_t enabled;      /* atomic: the driver waits for it */
	} intr[VMBUS_MAX_CHANNELS];
};

/*
 * A channel (rte_zmalloc'd: shared with secondaries). Lock: tx_lock
 * serialises writers of the Tx ring; the Rx ring has one reader.
 */
struct rte_vmbus_chan {
	struct vmbus_ring tx;          /* guest -> host: first half */
	struct vmbus_ring rx;          /* host -> guest: second half */
	rte_spinlock_t tx_lock;
	uint32_t relid;
	uint32_t monitor_id;
	uint16_t subchan_id;
	uint32_t uio_minor;            /* finds this process's uio fd */
	uint32_t rescinded;            /* atomic flag, set by the bus */
	struct vmbus_monitor_page *monitor;
	uint8_t *int_page;
	void *ring_base;               /* subchannels: own mapping */
	size_t ring_size;
	struct rte_vmbus_device *dev;  /* primary process only */
	struct rte_vmbus_chan_stats stats;
};

/* vmbus_scan.c */
int vmbus_scan_dir(const char *dir);
void vmbus_free_device(struct rte_vmbus_device *dev);
void vmbus_free_unclaimed(void);
struct rte_vmbus_device *vmbus_find_by_minor(uint32_t minor);
void vmbus_devargs_refresh(struct rte_vmbus_device *dev);

/* vmbus_uio.c */
size_t vmbus_page_size(void);
bool vmbus_uio_published(const struct rte_vmbus_device *dev);
int vmbus_uio_map(struct rte_vmbus_device *dev);
void vmbus_uio_unmap(struct rte_vmbus_device *dev);
int vmbus_uio_map_ring(struct rte_vmbus_device *dev, uint32_t relid,
	uint64_t size, void **addr);
void vmbus_uio_unmap_ring(struct rte_vmbus_device *dev, void *addr,
	uint64_t size);
int vmbus_uio_irq_write(struct rte_vmbus_device *dev, uint32_t value);
int vmbus_mp_init(void);
void vmbus_mp_fini(void);

/* vmbus_bus.c: the host withdrew dev (EIO on its UIO fd). */
void vmbus_dev_rescind(struct rte_vmbus_device *dev);

/* vmbus_intr.c */
void vmbus_intr_dispatch(struct rte_vmbus_device *dev);
void vmbus_intr_forget(struct rte_vmbus_device *dev,
	const struct rte_vmbus_chan *chan);
void vmbus_intr_fini(struct rte_vmbus_device *dev);

/* vmbus_chan.c */
int vmbus_chan_setup(struct rte_vmbus_chan *chan, void *base, size_t size);
void vmbus_chan_close_all(struct rte_vmbus_device *dev);

#endif /* VMBUS_PRIVATE_H */
