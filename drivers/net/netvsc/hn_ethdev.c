/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_netvsc: the poll-mode driver for Hyper-V synthetic network devices.
 *
 * Skeleton: it registers on the vmbus bus for the network class so that
 * EAL, the bus and the build/install plumbing can be exercised end to end;
 * probe declines every device until the NVSP/RNDIS data path is written.
 */
#include <errno.h>

#include <ethdev_driver.h>
#include <rte_log.h>

#include "rte_bus_vmbus.h"

RTE_LOG_REGISTER(hn_logtype_driver, pmd.net.netvsc, NOTICE);

#define HN_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, hn_logtype_driver, "hn_netvsc: " fmt "\n", \
		##__VA_ARGS__)

/* Synthetic network adapter class: f8615163-df3e-46c5-913f-f2d2f965ed0e. */
static const struct hv_guid hn_class_ids[] = {
	RTE_VMBUS_GUID(0xf8615163, 0xdf3e, 0x46c5, 0x913f, 0xf2d2f965ed0eULL),
	{ .b = { 0 } },
};

static int
hn_probe(struct rte_vmbus_driver *drv, struct rte_vmbus_device *dev)
{
	HN_LOG(NOTICE, "%s: %s cannot drive it yet (no data path): declined",
		dev->name, drv->driver.name);
	return -ENOTSUP;
}

static int
hn_remove(struct rte_vmbus_device *dev)
{
	HN_LOG(DEBUG, "%s: remove", dev->name);
	return 0;
}

static struct rte_vmbus_driver hn_driver = {
	.id_table = hn_class_ids,
	.probe = hn_probe,
	.remove = hn_remove,
};

RTE_PMD_REGISTER_VMBUS(net_netvsc, hn_driver);
RTE_PMD_REGISTER_KMOD_DEP(net_netvsc, "* uio_hv_generic");
