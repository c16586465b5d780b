/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Finding the VF's netdev: an rtnetlink socket (libnl-3) subscribed to
 * link events, primed with a dump, keeps vf->cand = the netdevs that
 * carry our MAC, with their state and serial. The serial of a netdev
 * without a PCI device comes from its alias "vf-serial:N" (how the
 * emulator's stand-in VF shows it); a PCI VF's would come from its slot.
 * Runs on the port's VF control thread only.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/rtnl.h>

#include "hn_vf.h"
#include "hn_vf_pci.h"

struct hn_vf_nl {
	struct nl_sock *sk;
	bool resync;		/* events were lost: dump again */
};

struct nl_ctx {
	struct hn_vf *vf;
	bool del;
};

bool
hn_vf_nl_available(void)
{
	return true;
}

static struct hn_vf_cand *
cand_find(struct hn_vf *vf, int ifindex)
{
	unsigned int i;

	for (i = 0; i < vf->ncand; i++)
		if (vf->cand[i].ifindex == ifindex)
			return &vf->cand[i];
	return NULL;
}

static void
cand_remove(struct hn_vf *vf, int ifindex)
{
	struct hn_vf_cand *c = cand_find(vf, ifindex);

	if (c == NULL)
		return;
	*c = vf->cand[--vf->ncand];
}

static bool
parse_serial(const char *alias, uint32_t *out)
{
	static const char pfx[] = "vf-serial:";
	unsigned long v;
	char *end;

	if (alias == NULL || strncmp(alias, pfx, sizeof(pfx) - 1) != 0)
		return false;
	alias += sizeof(pfx) - 1;
	errno = 0;
	v = strtoul(alias, &end, 10);
	if (errno != 0 || end == alias || *end != '\0' || alias[0] == '-' ||
	    v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static void
on_link(struct nl_object *obj, void *arg)
{
	struct nl_ctx *ctx = arg;
	struct hn_vf *vf = ctx->vf;
	struct rtnl_link *l = (struct rtnl_link *)obj;
	struct nl_addr *a = rtnl_link_get_addr(l);
	int ifindex = rtnl_link_get_ifindex(l);
	const char *name = rtnl_link_get_name(l);
	struct hn_vf_cand *c;
	bool ours;

	ours = a != NULL && nl_addr_get_len(a) == RTE_ETHER_ADDR_LEN &&
	       memcmp(nl_addr_get_binary_addr(a), &vf->hv->mac,
		      RTE_ETHER_ADDR_LEN) == 0;
	if (ctx->del || !ours || name == NULL) {
		cand_remove(vf, ifindex);
		return;
	}
	c = cand_find(vf, ifindex);
	if (c == NULL) {
		if (vf->ncand == HN_VF_CAND_MAX)
			return;
		c = &vf->cand[vf->ncand++];
		memset(c, 0, sizeof(*c));
		c->ifindex = ifindex;
	}
	snprintf(c->name, sizeof(c->name), "%s", name);
	/* Up and running: before the kernel activates a fresh netdev it
	 * drops what is sent to it. */
	c->up = (rtnl_link_get_flags(l) & (IFF_UP | IFF_RUNNING)) ==
		(IFF_UP | IFF_RUNNING);
	c->has_serial = parse_serial(rtnl_link_get_ifalias(l), &c->serial);
	/* A PCI VF (Azure's): its device name and probe devargs. */
	c->pci = hn_vf_pci_resolve("/sys", c->name, vf->hv->mac.addr_bytes,
				   &c->pci_dev) == 0;
}

static int
on_msg(struct nl_msg *msg, void *arg)
{
	struct hn_vf *vf = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nl_ctx ctx = { .vf = vf };

	if (h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK)
		return NL_OK;
	ctx.del = h->nlmsg_type == RTM_DELLINK;
	(void)nl_msg_parse(msg, on_link, &ctx);
	return NL_OK;
}

static int
dump(struct hn_vf *vf)
{
	vf->ncand = 0;
	vf->nl->resync = false;
	return nl_rtgen_request(vf->nl->sk, RTM_GETLINK, AF_UNSPEC,
				NLM_F_DUMP) < 0 ? -EIO : 0;
}

int
hn_vf_nl_open(struct hn_vf *vf)
{
	struct hn_vf_nl *nl = calloc(1, sizeof(*nl));

	if (nl == NULL)
		return -ENOMEM;
	nl->sk = nl_socket_alloc();
	if (nl->sk == NULL) {
		free(nl);
		return -ENOMEM;
	}
	nl_socket_disable_seq_check(nl->sk);
	nl_socket_disable_auto_ack(nl->sk);
	nl_socket_modify_cb(nl->sk, NL_CB_VALID, NL_CB_CUSTOM, on_msg, vf);
	if (nl_connect(nl->sk, NETLINK_ROUTE) < 0 ||
	    nl_socket_add_membership(nl->sk, RTNLGRP_LINK) < 0 ||
	    nl_socket_set_nonblocking(nl->sk) < 0) {
		nl_socket_free(nl->sk);
		free(nl);
		return -EIO;
	}
	vf->nl = nl;
	return dump(vf);
}

void
hn_vf_nl_close(struct hn_vf *vf)
{
	if (vf->nl == NULL)
		return;
	nl_socket_free(vf->nl->sk);
	free(vf->nl);
	vf->nl = NULL;
}

int
hn_vf_nl_poll(struct hn_vf *vf, int ms)
{
	struct pollfd p = { .fd = nl_socket_get_fd(vf->nl->sk), .events = POLLIN };
	int rc;

	if (vf->nl->resync && dump(vf) != 0)
		return -EIO;
	if (poll(&p, 1, ms) <= 0)
		return 0;
	for (;;) {
		rc = nl_recvmsgs_default(vf->nl->sk);
		if (rc == -NLE_AGAIN || rc == 0)
			return 0;
		if (rc < 0) {
			/* Overrun (ENOBUFS) or a bad message: start over. */
			HN_LOG(WARNING, "port %u: rtnetlink: %s; reading all links again",
			       vf->hv->port_id, nl_geterror(rc));
			vf->nl->resync = true;
			return 0;
		}
	}
}

/* The stand-in's MTU, set on its netdev (ethdev refuses it: net_af_packet
 * reports a 1518-byte maximum frame whatever its ring slots hold). Its own
 * socket: an answer on the event socket would be read as an event. */
int
hn_vf_nl_set_mtu(int ifindex, uint32_t mtu)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct rtnl_link *orig = NULL, *chg = NULL;
	int rc = -ENOMEM;

	if (sk == NULL)
		return -ENOMEM;
	if (nl_connect(sk, NETLINK_ROUTE) < 0) {
		rc = -EIO;
		goto out;
	}
	if (rtnl_link_get_kernel(sk, ifindex, NULL, &orig) < 0) {
		rc = -ENODEV;
		goto out;
	}
	chg = rtnl_link_alloc();
	if (chg == NULL)
		goto out;
	rtnl_link_set_mtu(chg, mtu);
	rc = rtnl_link_change(sk, orig, chg, 0) < 0 ? -EINVAL : 0;
out:
	if (chg != NULL)
		rtnl_link_put(chg);
	if (orig != NULL)
		rtnl_link_put(orig);
	nl_socket_free(sk);
	return rc;
}
