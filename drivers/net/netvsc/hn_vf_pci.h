/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A VF netdev's PCI device, from sysfs: the name DPDK probes it by and
 * the devargs it needs. No DPDK here: unit-tested on a fake sysfs tree
 * (test/unit/test_vf_pci.c).
 */
#ifndef HN_VF_PCI_H
#define HN_VF_PCI_H

#include <stdbool.h>
#include <stddef.h>
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

/*
 * The string rte_dev_probe() takes for the VF's PCI function: its address,
 * then its devargs if any ("7870:00:02.0", "0000:00:02.0,mac=..."). 0, or
 * -EINVAL (no address), -ENAMETOOLONG (does not fit len).
 */
int hn_vf_pci_probe_str(const struct hn_vf_pci *p, char *out, size_t len);

/* An ethdev port as the VF's adoption sees it (hn_vf.c fills it). */
struct hn_vf_port_ident {
	uint16_t port;
	char dev[64];		/* its rte_device's name */
	int if_index;		/* the netdev it says it is bound to, or 0 */
	uint8_t mac[6];
	bool excluded;		/* never the VF: a synthetic NIC, another's */
};

/*
 * Which of n ports is the VF netdev's: one carrying mac, and either on
 * the netdev's PCI function (pci_addr, the rte_device name: a MANA
 * function has a port per NIC, hence the MAC) or, for a netdev without
 * one (pci_addr NULL), a port bound to it (ifindex: a stand-in such as
 * net_af_packet on it). The index, or -ENOENT (none), -EEXIST (more than
 * one: not guessed).
 */
int hn_vf_port_select(const struct hn_vf_port_ident *ports, unsigned int n,
		      const char *pci_addr, int ifindex, const uint8_t mac[6]);

#endif /* HN_VF_PCI_H */
