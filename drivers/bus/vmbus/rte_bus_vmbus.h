/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "vmbus" bus: Hyper-V synthetic devices (channels offered by the
 * host), matched to drivers by their class GUID.
 *
 * This is the driver-facing interface a PMD needs to register itself.
 * GUIDs are rte_uuid_t in the byte order rte_uuid_parse() produces from
 * the text form, which is how sysfs shows class and device ids; they are
 * compared only with each other, never with raw wire bytes.
 */
#ifndef RTE_BUS_VMBUS_H
#define RTE_BUS_VMBUS_H

#include <stdint.h>

#include <rte_common.h>
#include <rte_os.h>
#include <rte_uuid.h>
#include <dev_driver.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rte_vmbus_driver;

/* One channel offer as the bus found it. */
struct rte_vmbus_device {
	RTE_TAILQ_ENTRY(rte_vmbus_device) next;
	struct rte_device device;          /* generic part; name = device id */
	const struct rte_vmbus_driver *driver; /* set once probed */
	rte_uuid_t class_id;               /* device type, e.g. network */
	rte_uuid_t device_id;              /* instance id of this channel */
	char name[RTE_UUID_STRLEN];        /* storage for device.name */
};

/* Returns 0 when the driver took the device, -errno otherwise. */
typedef int (rte_vmbus_probe_t)(struct rte_vmbus_driver *drv,
	struct rte_vmbus_device *dev);
typedef int (rte_vmbus_remove_t)(struct rte_vmbus_device *dev);

struct rte_vmbus_driver {
	RTE_TAILQ_ENTRY(rte_vmbus_driver) next;
	struct rte_driver driver;          /* name set by the register macro */
	/* Class GUIDs this driver handles, ended by an all-zero GUID. */
	const rte_uuid_t *id_table;
	rte_vmbus_probe_t *probe;
	rte_vmbus_remove_t *remove;
	uint32_t drv_flags;
};

/* Add a driver to the bus; called from the driver's constructor. */
void rte_vmbus_register(struct rte_vmbus_driver *driver);

/* Remove a driver registered with rte_vmbus_register(). */
void rte_vmbus_unregister(struct rte_vmbus_driver *driver);

/* Convert the generic device handed to a driver back to a vmbus one. */
#define RTE_DEV_TO_VMBUS(ptr) \
	container_of(ptr, struct rte_vmbus_device, device)

/*
 * Register driver object drv under name nm; the name is what EAL shows
 * and what dpdk-pmdinfo extracts from the shared object.
 */
#define RTE_PMD_REGISTER_VMBUS(nm, drv) \
	RTE_INIT(vmbus_initfn_ ## nm) \
	{ \
		(drv).driver.name = RTE_STR(nm); \
		rte_vmbus_register(&(drv)); \
	} \
	RTE_PMD_EXPORT_NAME(nm, __COUNTER__)

#ifdef __cplusplus
}
#endif

#endif /* RTE_BUS_VMBUS_H */
