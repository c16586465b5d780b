/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A VF netdev's PCI device, from sysfs (hn_vf_pci.h). The links and files
 * read are the kernel's, but a name that is not a PCI address or an id
 * that is not hex is refused: it becomes a device name we probe.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hn_vf_pci.h"

/* The last component of the link at path, or -ENODEV. */
static int
link_base(const char *path, char *out, size_t len)
{
	char target[PATH_MAX];
	const char *b;
	ssize_t n = readlink(path, target, sizeof(target) - 1);

	if (n <= 0)
		return -ENODEV;
	target[n] = '\0';
	b = strrchr(target, '/');
	b = b != NULL ? b + 1 : target;
	if (strlen(b) >= len)
		return -EINVAL;
	strcpy(out, b);
	return 0;
}

/* dddd:bb:dd.f, lower-case hex, as the kernel names PCI devices. */
static bool
pci_addr_ok(const char *a)
{
	static const char form[] = "hhhh:hh:hh.h";
	size_t i;

	if (strlen(a) != sizeof(form) - 1)
		return false;
	for (i = 0; form[i] != '\0'; i++) {
		if (form[i] == 'h' ? !isxdigit((unsigned char)a[i]) ||
		    isupper((unsigned char)a[i]) : a[i] != form[i])
			return false;
	}
	/* Device 0..0x1f, function 0..7. */
	return strtoul(a + 8, NULL, 16) <= 0x1f && a[11] <= '7';
}

/* A sysfs id file: "0x" and four hex digits, a newline. */
static int
read_id(const char *path, uint16_t *out)
{
	char buf[16], *end;
	unsigned long v;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -ENODEV;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EINVAL;
	buf[n] = '\0';
	if (strncmp(buf, "0x", 2) != 0 || !isxdigit((unsigned char)buf[2]))
		return -EINVAL;
	v = strtoul(buf + 2, &end, 16);
	if (v > 0xffff || (*end != '\0' && *end != '\n'))
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

int
hn_vf_pci_resolve(const char *sysfs, const char *ifname,
		  const uint8_t mac[6], struct hn_vf_pci *out)
{
	char dev[PATH_MAX - 16], path[PATH_MAX], sub[32];
	int rc;

	memset(out, 0, sizeof(*out));
	if (ifname[0] == '\0' || strchr(ifname, '/') != NULL ||
	    strcmp(ifname, ".") == 0 || strcmp(ifname, "..") == 0)
		return -EINVAL;
	if ((size_t)snprintf(dev, sizeof(dev), "%s/class/net/%s/device", sysfs,
			     ifname) >= sizeof(dev))
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/subsystem", dev);
	rc = link_base(path, sub, sizeof(sub));
	if (rc != 0)
		return rc == -EINVAL ? -ENODEV : rc;
	if (strcmp(sub, "pci") != 0)
		return -ENODEV;
	rc = link_base(dev, out->addr, sizeof(out->addr));
	if (rc != 0 || !pci_addr_ok(out->addr))
		return rc == -ENODEV ? rc : -EINVAL;
	snprintf(path, sizeof(path), "%s/vendor", dev);
	rc = read_id(path, &out->vendor);
	if (rc == 0) {
		snprintf(path, sizeof(path), "%s/device", dev);
		rc = read_id(path, &out->device);
	}
	if (rc != 0)
		return rc;
	out->mana = out->vendor == HN_PCI_VENDOR_MICROSOFT &&
		    out->device == HN_PCI_DEVICE_MANA_VF;
	if (out->mana)
		snprintf(out->args, sizeof(out->args),
			 "mac=%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
			 mac[2], mac[3], mac[4], mac[5]);
	return 0;
}

int
hn_vf_pci_probe_str(const struct hn_vf_pci *p, char *out, size_t len)
{
	int n;

	if (p->addr[0] == '\0')
		return -EINVAL;
	n = snprintf(out, len, "%s%s%s", p->addr, p->args[0] != '\0' ? "," : "",
		     p->args);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static bool
port_is(const struct hn_vf_port_ident *p, const char *pci_addr, int ifindex,
	const uint8_t mac[6])
{
	if (p->excluded || memcmp(p->mac, mac, sizeof(p->mac)) != 0)
		return false;
	if (pci_addr != NULL)
		return strncmp(p->dev, pci_addr, sizeof(p->dev)) == 0;
	return ifindex > 0 && p->if_index == ifindex;
}

int
hn_vf_port_select(const struct hn_vf_port_ident *ports, unsigned int n,
		  const char *pci_addr, int ifindex, const uint8_t mac[6])
{
	unsigned int i;
	int found = -ENOENT;

	for (i = 0; i < n; i++) {
		if (!port_is(&ports[i], pci_addr, ifindex, mac))
			continue;
		if (found >= 0)
			return -EEXIST;
		found = (int)i;
	}
	return found;
}
