/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The emulated VF's veth pair, through libnl-route-3: created down (the
 * host end with a jumbo MTU, VF_HOST_MTU), IPv6 turned off on both ends (the kernel's own neighbour discovery would
 * otherwise show up as frames nobody sent), then brought up with the
 * guest end's alias carrying the serial.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

#include "emu_net_priv.h"

/* The host end's MTU: Azure's VFs take jumbo frames, and the guest sets
 * its end's (the PMD gives the VF its MTU); the host end must pass what
 * the host steers into it and what the guest sends (a packet socket's
 * send and veth's forwarding check the device's MTU). */
#define VF_HOST_MTU 9216u

bool
emu_vf_link_available(void)
{
	return true;
}

static int
nl_errno(int e)
{
	switch (e < 0 ? -e : e) {
	case NLE_EXIST: return -EEXIST;
	case NLE_PERM: return -EPERM;
	case NLE_NODEV: case NLE_OBJ_NOTFOUND: return -ENODEV;
	case NLE_NOMEM: return -ENOMEM;
	case NLE_INVAL: return -EINVAL;
	default: return -EIO;
	}
}

static void
no_ipv6(const char *ifname)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
		 ifname);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;		/* no IPv6 in this kernel: nothing to silence */
	if (write(fd, "1", 1) != 1) {
		/* Best effort; the stats would show the stray frames. */
	}
	close(fd);
}

static int
bring_up(struct nl_sock *sk, const char *name, const char *alias)
{
	struct rtnl_link *orig = NULL, *chg;
	int rc = rtnl_link_get_kernel(sk, 0, name, &orig);

	if (rc < 0)
		return nl_errno(rc);
	chg = rtnl_link_alloc();
	if (chg == NULL) {
		rtnl_link_put(orig);
		return -ENOMEM;
	}
	rtnl_link_set_flags(chg, IFF_UP);
	if (alias != NULL)
		rtnl_link_set_ifalias(chg, alias);
	rc = rtnl_link_change(sk, orig, chg, 0);
	rtnl_link_put(chg);
	rtnl_link_put(orig);
	return rc < 0 ? nl_errno(rc) : 0;
}

static struct nl_sock *
connect_route(void)
{
	struct nl_sock *sk = nl_socket_alloc();

	if (sk != NULL && nl_connect(sk, NETLINK_ROUTE) < 0) {
		nl_socket_free(sk);
		sk = NULL;
	}
	return sk;
}

int
emu_vf_link_create(const char *host, const char *guest, const uint8_t mac[6],
		   const char *alias)
{
	struct nl_sock *sk = connect_route();
	struct rtnl_link *link, *peer;
	struct nl_addr *addr;
	int rc;

	if (sk == NULL)
		return -EIO;
	link = rtnl_link_veth_alloc();
	addr = nl_addr_build(AF_LLC, mac, 6);
	if (link == NULL || addr == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	rtnl_link_set_name(link, host);
	rtnl_link_set_mtu(link, VF_HOST_MTU);
	peer = rtnl_link_veth_get_peer(link);
	rtnl_link_set_name(peer, guest);
	rtnl_link_set_addr(peer, addr);
	rtnl_link_put(peer);
	rc = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
	rc = rc < 0 ? nl_errno(rc) : 0;
	if (rc == 0) {
		no_ipv6(host);
		no_ipv6(guest);
		rc = bring_up(sk, host, NULL);
		if (rc == 0)
			rc = bring_up(sk, guest, alias);
	}
out:
	if (addr != NULL)
		nl_addr_put(addr);
	if (link != NULL)
		rtnl_link_put(link);
	nl_socket_free(sk);
	return rc;
}

int
emu_vf_link_delete(const char *host)
{
	struct nl_sock *sk = connect_route();
	struct rtnl_link *link;
	int rc;

	if (sk == NULL)
		return -EIO;
	link = rtnl_link_alloc();
	if (link == NULL) {
		nl_socket_free(sk);
		return -ENOMEM;
	}
	rtnl_link_set_name(link, host);
	rc = rtnl_link_delete(sk, link);
	rtnl_link_put(link);
	nl_socket_free(sk);
	return rc < 0 ? nl_errno(rc) : 0;
}
