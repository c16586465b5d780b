/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal state of the vmbus bus shared by its source files. */
#ifndef VMBUS_PRIVATE_H
#define VMBUS_PRIVATE_H

#include <sys/queue.h>

#include <bus_driver.h>
#include <rte_log.h>

#include "rte_bus_vmbus.h"

extern int vmbus_logtype_bus;

#define VMBUS_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, vmbus_logtype_bus, "vmbus: " fmt "\n", \
		##__VA_ARGS__)

/* Where the kernel lists VMBus devices; absent outside Hyper-V guests. */
#define VMBUS_SYSFS_DEVICES "/sys/bus/vmbus/devices"

RTE_TAILQ_HEAD(vmbus_device_list, rte_vmbus_device);
RTE_TAILQ_HEAD(vmbus_driver_list, rte_vmbus_driver);

struct vmbus_bus {
	struct rte_bus bus;               /* must stay first: EAL's handle */
	struct vmbus_device_list devices;
	struct vmbus_driver_list drivers;
};

extern struct vmbus_bus vmbus_bus;

/* Populate vmbus_bus.devices from the directory dir; 0 or -errno. */
int vmbus_scan_dir(const char *dir);

/* Free every scanned device that no driver holds. */
void vmbus_free_unclaimed(void);

#endif /* VMBUS_PRIVATE_H */
