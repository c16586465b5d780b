/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A VF netdev's PCI device, from sysfs: the name DPDK probes it by and
 * the devargs it needs. No DPDK here: unit-tested on a fake sysfs tree
 * (test/unit/test_vf_pci.c).
 */
#ifndef HN_VF_PCI_H
#define HN_VF_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define HN_PCI_VENDOR_MICROSOFT 0x1414u
#define HN_PCI_DEVICE_MANA_VF 0x00bau

struct hn_vf_pci {
	char addr[16];		/* "0000:00:02.0": DPDK's PCI device name */
	uint16_t vendor, device;
	bool mana;
	/* Devargs for the probe: a MANA function carries several NICs
	 * (vPorts) and net_mana takes every one unless told which, by MAC. */
	char args[32];
};

/*
 * The PCI device behind netdev ifname, looked up under sysfs (the sysfs
 * root, "/sys" but for tests): <sysfs>/class/net/<ifname>/device links to
 * it, its subsystem is pci, vendor and device are hex ids. mac: the
 * synthetic NIC's. 0, or -ENODEV (no device, or not PCI), -EINVAL
 * (a name or id that is not well formed).
 */
int hn_vf_pci_resolve(const char *sysfs, const char *ifname,
		      const uint8_t mac[6], struct hn_vf_pci *out);

#endif /* HN_VF_PCI_H */
