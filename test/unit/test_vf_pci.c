/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hn_vf_pci_resolve (drivers/net/netvsc/hn_vf_pci.c) on fake sysfs trees
 * laid out as the kernel's: class/net/<if>/device a link to the PCI
 * device's directory, whose subsystem links to bus/pci. And the pieces of
 * adopting or probing a PCI VF that need no DPDK: the string given to
 * rte_dev_probe, and which ethdev port is the VF's (hn_vf_port_select),
 * on made-up port lists.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "hn_vf_pci.h"

static const uint8_t mac[6] = { 0x00, 0x15, 0x5d, 0x0a, 0xbc, 0xde };
static char root[PATH_MAX];

static void
mkdirs(const char *rel)
{
	char p[PATH_MAX], *s;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	for (s = p + strlen(root) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		(void)mkdir(p, 0755);
		*s = '/';
	}
	(void)mkdir(p, 0755);
}

static void
put(const char *rel, const char *text)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
link_to(const char *rel, const char *target)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	assert_int_equal(symlink(target, p), 0);
}

/* A PCI function at addr with the given ids, netdev ifname on it. */
static void
pci_netdev(const char *ifname, const char *addr, const char *vendor,
	   const char *device)
{
	char d[PATH_MAX], rel[PATH_MAX], tgt[PATH_MAX];

	snprintf(d, sizeof(d), "devices/pci0000:00/%s", addr);
	mkdirs(d);
	mkdirs("bus/pci");
	snprintf(rel, sizeof(rel), "%s/subsystem", d);
	link_to(rel, "../../../bus/pci");
	snprintf(rel, sizeof(rel), "%s/vendor", d);
	put(rel, vendor);
	snprintf(rel, sizeof(rel), "%s/device", d);
	put(rel, device);
	snprintf(rel, sizeof(rel), "%s/net/%s", d, ifname);
	mkdirs(rel);
	snprintf(rel, sizeof(rel), "%s/net/%s/device", d, ifname);
	snprintf(tgt, sizeof(tgt), "../../../%s", addr);
	link_to(rel, tgt);
	mkdirs("class/net");
	snprintf(rel, sizeof(rel), "class/net/%s", ifname);
	snprintf(d, sizeof(d), "../../devices/pci0000:00/%s/net/%s", addr, ifname);
	link_to(rel, d);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/test_vf_pci.XXXXXX");
	assert_non_null(mkdtemp(root));
	return 0;
}

static int
teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_mellanox(void **state)
{
	struct hn_vf_pci p;

	(void)state;
	pci_netdev("enP30832s1", "7870:00:02.0", "0x15b3\n", "0x101a\n");
	assert_int_equal(hn_vf_pci_resolve(root, "enP30832s1", mac, &p), 0);
	assert_string_equal(p.addr, "7870:00:02.0");
	assert_int_equal(p.vendor, 0x15b3);
	assert_int_equal(p.device, 0x101a);
	assert_false(p.mana);
	assert_string_equal(p.args, "");
}

static void
test_mana_gets_mac(void **state)
{
	struct hn_vf_pci p;

	(void)state;
	pci_netdev("enP1s2", "0000:00:02.0", "0x1414\n", "0x00ba\n");
	assert_int_equal(hn_vf_pci_resolve(root, "enP1s2", mac, &p), 0);
	assert_string_equal(p.addr, "0000:00:02.0");
	assert_true(p.mana);
	assert_string_equal(p.args, "mac=00:15:5d:0a:bc:de");
}

static void
test_not_pci(void **state)
{
	struct hn_vf_pci p;

	(void)state;
	/* A veth: no device link. */
	mkdirs("devices/virtual/net/veth0");
	mkdirs("class/net");
	link_to("class/net/veth0", "../../devices/virtual/net/veth0");
	assert_int_equal(hn_vf_pci_resolve(root, "veth0", mac, &p), -ENODEV);
	/* A device on another bus. */
	mkdirs("devices/vmbus/dev1/net/eth0");
	mkdirs("bus/vmbus");
	link_to("devices/vmbus/dev1/subsystem", "../../../bus/vmbus");
	link_to("devices/vmbus/dev1/net/eth0/device", "../../../dev1");
	link_to("class/net/eth0", "../../devices/vmbus/dev1/net/eth0");
	assert_int_equal(hn_vf_pci_resolve(root, "eth0", mac, &p), -ENODEV);
	assert_int_equal(hn_vf_pci_resolve(root, "nosuch", mac, &p), -ENODEV);
}

static void
test_refused(void **state)
{
	struct hn_vf_pci p;

	(void)state;
	/* Names that would leave class/net. */
	assert_int_equal(hn_vf_pci_resolve(root, "../x", mac, &p), -EINVAL);
	assert_int_equal(hn_vf_pci_resolve(root, "..", mac, &p), -EINVAL);
	assert_int_equal(hn_vf_pci_resolve(root, "", mac, &p), -EINVAL);
	/* A device name that is not a PCI address. */
	pci_netdev("bad0", "0000:00:02.0,x=1", "0x15b3\n", "0x101a\n");
	assert_int_equal(hn_vf_pci_resolve(root, "bad0", mac, &p), -EINVAL);
	pci_netdev("bad1", "0000:00:20.0", "0x15b3\n", "0x101a\n");
	assert_int_equal(hn_vf_pci_resolve(root, "bad1", mac, &p), -EINVAL);
	/* Ids that are not "0x" and hex. */
	pci_netdev("bad2", "0000:00:03.0", "15b3\n", "0x101a\n");
	assert_int_equal(hn_vf_pci_resolve(root, "bad2", mac, &p), -EINVAL);
	pci_netdev("bad3", "0000:00:04.0", "0x15b3\n", "0x1234567\n");
	assert_int_equal(hn_vf_pci_resolve(root, "bad3", mac, &p), -EINVAL);
}

static void
test_probe_str(void **state)
{
	struct hn_vf_pci p;
	char s[64];

	(void)state;
	pci_netdev("enP30832s1", "7870:00:02.0", "0x15b3\n", "0x101a\n");
	assert_int_equal(hn_vf_pci_resolve(root, "enP30832s1", mac, &p), 0);
	assert_int_equal(hn_vf_pci_probe_str(&p, s, sizeof(s)), 0);
	assert_string_equal(s, "7870:00:02.0");
	pci_netdev("enP1s2", "0000:00:02.0", "0x1414\n", "0x00ba\n");
	assert_int_equal(hn_vf_pci_resolve(root, "enP1s2", mac, &p), 0);
	assert_int_equal(hn_vf_pci_probe_str(&p, s, sizeof(s)), 0);
	assert_string_equal(s, "0000:00:02.0,mac=00:15:5d:0a:bc:de");
	/* Exactly the room it needs, and one byte less. */
	assert_int_equal(hn_vf_pci_probe_str(&p, s, strlen("0000:00:02.0,mac=00:15:5d:0a:bc:de") + 1), 0);
	assert_int_equal(hn_vf_pci_probe_str(&p, s, strlen("0000:00:02.0,mac=00:15:5d:0a:bc:de")),
			 -ENAMETOOLONG);
	memset(&p, 0, sizeof(p));
	assert_int_equal(hn_vf_pci_probe_str(&p, s, sizeof(s)), -EINVAL);
}

static struct hn_vf_port_ident
port(uint16_t id, const char *dev, int if_index, const uint8_t *m, bool excluded)
{
	struct hn_vf_port_ident p;

	memset(&p, 0, sizeof(p));
	p.port = id;
	snprintf(p.dev, sizeof(p.dev), "%s", dev);
	p.if_index = if_index;
	memcpy(p.mac, m, sizeof(p.mac));
	p.excluded = excluded;
	return p;
}

static void
test_port_select_pci(void **state)
{
	static const uint8_t other[6] = { 0x00, 0x15, 0x5d, 0x0a, 0xbc, 0xdf };
	struct hn_vf_port_ident ps[5];

	(void)state;
	/* The synthetic NIC itself carries our MAC: excluded. A Mellanox
	 * VF: the port on the netdev's function. */
	ps[0] = port(0, "f8615163-0000-1000-2000-000000000000", 0, mac, true);
	ps[1] = port(1, "7870:00:02.0", 7, mac, false);
	ps[2] = port(2, "0000:00:03.0", 8, other, false);
	assert_int_equal(hn_vf_port_select(ps, 3, "7870:00:02.0", 7, mac), 1);
	/* The function's address decides, not the netdev's index. */
	assert_int_equal(hn_vf_port_select(ps, 3, "7870:00:02.0", 99, mac), 1);
	assert_int_equal(hn_vf_port_select(ps, 3, "7870:00:04.0", 7, mac), -ENOENT);
	/* MANA: one function, a port per NIC (vPort); ours by MAC. */
	ps[0] = port(0, "0000:00:02.0", 0, other, false);
	ps[1] = port(1, "0000:00:02.0", 0, mac, false);
	ps[2] = port(2, "0000:00:02.0", 0, (const uint8_t[6]){ 2, 0, 0, 0, 0, 1 }, false);
	assert_int_equal(hn_vf_port_select(ps, 3, "0000:00:02.0", 5, mac), 1);
	assert_int_equal(hn_vf_port_select(ps, 3, "0000:00:02.0", 5, other), 0);
	/* Not probed yet (hot-add before a probe): none. */
	assert_int_equal(hn_vf_port_select(ps, 0, "0000:00:02.0", 5, mac), -ENOENT);
	/* Two ports of the function with our MAC: not guessed. */
	ps[3] = port(3, "0000:00:02.0", 0, mac, false);
	assert_int_equal(hn_vf_port_select(ps, 4, "0000:00:02.0", 5, mac), -EEXIST);
	/* A name that only starts like the address is another device. */
	ps[0] = port(0, "0000:00:02.0_representor_0", 0, mac, false);
	assert_int_equal(hn_vf_port_select(ps, 1, "0000:00:02.0", 5, mac), -ENOENT);
}

static void
test_port_select_netdev(void **state)
{
	struct hn_vf_port_ident ps[4];

	(void)state;
	/* A stand-in bound to the netdev (net_af_packet reports its
	 * ifindex and MAC), another on another netdev with our MAC. */
	ps[0] = port(0, "f8615163-0000-1000-2000-000000000000", 0, mac, true);
	ps[1] = port(1, "net_af_packet0", 12, mac, false);
	ps[2] = port(2, "net_af_packet1", 13, mac, false);
	assert_int_equal(hn_vf_port_select(ps, 3, NULL, 12, mac), 1);
	assert_int_equal(hn_vf_port_select(ps, 3, NULL, 13, mac), 2);
	assert_int_equal(hn_vf_port_select(ps, 3, NULL, 14, mac), -ENOENT);
	/* A port that shows no netdev (if_index 0) is never matched. */
	ps[1].if_index = 0;
	assert_int_equal(hn_vf_port_select(ps, 2, NULL, 0, mac), -ENOENT);
	/* On the netdev but with another MAC (it changed since): not ours. */
	ps[2].mac[5] ^= 1;
	assert_int_equal(hn_vf_port_select(ps, 3, NULL, 13, mac), -ENOENT);
	/* Excluded ports are never the VF, whatever they show. */
	ps[3] = port(3, "x", 14, mac, true);
	assert_int_equal(hn_vf_port_select(ps, 4, NULL, 14, mac), -ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mellanox, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mana_gets_mac, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_pci, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_str, setup, teardown),
		cmocka_unit_test(test_port_select_pci),
		cmocka_unit_test(test_port_select_netdev),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
