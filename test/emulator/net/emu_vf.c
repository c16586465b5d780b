/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The VF behind an accelerated-networking association: a veth pair whose
 * guest end carries the NIC's MAC. Once the guest switched its data path
 * to it, unicast frames to that MAC go into the host end (and so reach
 * the guest through the VF); broadcast and multicast stay synthetic, as on
 * Azure. What the guest sends on the VF comes out of the host end and goes
 * to the NIC's backend like a synthetic send.
 *
 * Life cycle, in Azure's order (docs/emulator.md, "Accelerated
 * networking"): the netdev appears appear_ms after the association (or
 * before it); a revoke takes the VF away first, then the host switches the
 * guest back to synthetic, then withdraws the association. A graceful
 * revoke stops steering grace_ms before the netdev goes, so nothing is in
 * flight; an abrupt one removes the netdev at once and keeps steering into
 * the void for abrupt_lag_ms (counted as rx_lost).
 *
 * Runs on the emulator loop thread like the rest of the service.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "emu_net_priv.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

/* Frames read from the host end per tick (what the guest sent). */
#define VF_TX_BATCH 64u
#define VF_BUF_SIZE 16384u
#define VF_HOST_RCVBUF (16 << 20)

enum vf_state {
	VF_IDLE,	/* no netdev */
	VF_PENDING,	/* netdev due at due_ns */
	VF_STARTING,	/* created, waiting for the kernel to run both ends */
	VF_PRESENT,
	VF_DRAINING,	/* graceful revoke: not steering, netdev goes at due_ns */
	VF_LAGGING,	/* abrupt revoke: netdev gone, still steering until due_ns */
};

struct emu_vf {
	struct emu_vf_config cfg;
	enum vf_state state;
	uint64_t due_ns;
	uint64_t announce_ns;	/* "before": association not before this */
	int fd;			/* AF_PACKET socket on the host end, or -1 */
	int ifindex;		/* the host end's, which fd is bound to */
	struct emu_vf_stats st;
	uint8_t buf[VF_BUF_SIZE];
};

void
emu_vf_config_defaults(struct emu_vf_config *c)
{
	memset(c, 0, sizeof(*c));
	c->appear_ms = 1000;	/* Azure: about a second after the association */
	c->grace_ms = 100;
}

static uint64_t
ms_ns(unsigned int ms)
{
	return (uint64_t)ms * 1000000ull;
}

static bool
ifname_ok(const char *n)
{
	size_t len = strnlen(n, IFNAMSIZ);

	return len != 0 && len < IFNAMSIZ && strchr(n, '/') == NULL &&
	       strchr(n, ' ') == NULL && strcmp(n, ".") != 0 &&
	       strcmp(n, "..") != 0;
}

int
emu_nic_vf_attach(struct emu_nic *nic, const struct emu_vf_config *c)
{
	struct emu_vf *vf;

	if (nic->vf_offered || nic->vf != NULL)
		return -EBUSY;
	if (!ifname_ok(c->guest_ifname) || !ifname_ok(c->host_ifname) ||
	    strcmp(c->guest_ifname, c->host_ifname) == 0)
		return -EINVAL;
	if (!emu_vf_link_available())
		return -ENOTSUP;
	vf = calloc(1, sizeof(*vf));
	if (vf == NULL)
		return -ENOMEM;
	vf->cfg = *c;
	vf->fd = -1;
	vf->st.attached = true;
	nic->vf = vf;
	return 0;
}

static int
parse_u32(const char *v, uint32_t *out)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(v, &end, 0);
	if (errno != 0 || end == v || *end != '\0' || v[0] == '-' ||
	    x > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)x;
	return 0;
}

int
emu_nic_vf_set(struct emu_nic *nic, const char *key, const char *value)
{
	struct emu_vf_config *c;
	uint32_t v;

	if (nic->vf == NULL)
		return -ENOENT;
	c = &nic->vf->cfg;
	if (parse_u32(value, &v) != 0)
		return -EINVAL;
	if (strcmp(key, "appear-ms") == 0 && v <= 600000)
		c->appear_ms = v;
	else if (strcmp(key, "grace-ms") == 0 && v <= 600000)
		c->grace_ms = v;
	else if (strcmp(key, "lag-ms") == 0 && v <= 600000)
		c->abrupt_lag_ms = v;
	else if (strcmp(key, "before") == 0 && v <= 1)
		c->before = v == 1;
	else if (strcmp(key, "alias-serial") == 0) {
		c->alias_serial_set = true;
		c->alias_serial = v;
	} else
		return -EINVAL;
	return 0;
}

static int
open_host_end(struct emu_vf *vf)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(ETH_P_ALL) };
	int one = 1, rcvbuf = VF_HOST_RCVBUF;
	/*
	 * Protocol 0: the socket receives nothing until bind() names the
	 * protocol and the interface. Opened with ETH_P_ALL it would take
	 * every interface's frames until bound, and frames of other veths
	 * (other NICs' VFs, other tests) read in that gap were counted as
	 * sent by the guest (vf_io under load: 27 more frames back than
	 * testpmd sent).
	 */
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	sll.sll_ifindex = (int)if_nametoindex(vf->cfg.host_ifname);
	/* Our own sends into the guest are not the guest's sends. */
	(void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
			 sizeof(one));
	/* Room for what the guest sends while the loop is busy elsewhere
	 * (the default holds a few hundred frames); what still does not fit
	 * is counted (tx_dropped). */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (sll.sll_ifindex == 0 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
		int rc = -errno;

		close(fd);
		return rc != 0 ? rc : -ENODEV;
	}
	vf->fd = fd;
	vf->ifindex = sll.sll_ifindex;
	return 0;
}

static void
appear(struct emu_nic *nic)
{
	struct emu_vf *vf = nic->vf;
	char alias[64];
	int rc;

	snprintf(alias, sizeof(alias), "vf-serial:%u",
		 vf->cfg.alias_serial_set ? vf->cfg.alias_serial : nic->vf_serial);
	rc = emu_vf_link_create(vf->cfg.host_ifname, vf->cfg.guest_ifname,
				emu_nic_mac(nic), alias);
	if (rc == 0)
		rc = open_host_end(vf);
	if (rc != 0) {
		emu_net_log(nic, "VF %s: cannot create the device (%s): the association stays a message",
			    vf->cfg.guest_ifname, strerror(-rc));
		(void)emu_vf_link_delete(vf->cfg.host_ifname);
		vf->state = VF_IDLE;
		return;
	}
	vf->state = VF_STARTING;
	emu_net_log(nic, "VF %s created (%s)", vf->cfg.guest_ifname, alias);
}

/* IFF_RUNNING: the kernel activated the device (carrier, queueing);
 * before that it drops what is sent, silently. */
static bool
running(int fd, const char *ifname)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	return ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 &&
	       (ifr.ifr_flags & IFF_RUNNING) != 0;
}

static void
check_started(struct emu_nic *nic)
{
	struct emu_vf *vf = nic->vf;

	if (!running(vf->fd, vf->cfg.host_ifname) ||
	    !running(vf->fd, vf->cfg.guest_ifname))
		return;
	vf->state = VF_PRESENT;
	vf->st.appeared++;
	emu_net_log(nic, "VF %s appeared", vf->cfg.guest_ifname);
}

/* The kernel's drops on the host end (receive queue full), since the
 * last read (reading clears them). */
static void
read_host_drops(struct emu_vf *vf)
{
	struct tpacket_stats st;
	socklen_t len = sizeof(st);

	if (vf->fd >= 0 &&
	    getsockopt(vf->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
		vf->st.tx_dropped += st.tp_drops;
}

/* What the guest sent on the VF goes out like a synthetic send. Returns
 * the number of frames read. */
static unsigned int
poll_guest_tx(struct emu_nic *nic)
{
	struct emu_vf *vf = nic->vf;
	unsigned int i;

	for (i = 0; i < VF_TX_BATCH; i++) {
		struct sockaddr_ll sll;
		socklen_t sl = sizeof(sll);
		ssize_t n = recvfrom(vf->fd, vf->buf, sizeof(vf->buf),
				     MSG_DONTWAIT | MSG_TRUNC,
				     (struct sockaddr *)&sll, &sl);

		if (n < 0)
			return i;
		if (sll.sll_pkttype == PACKET_OUTGOING)
			continue;
		/* Bound to the host end, so never another interface's; the
		 * count says if that ever changes. */
		if (sll.sll_ifindex != vf->ifindex) {
			nic->rx_drop_other++;
			continue;
		}
		if ((size_t)n > sizeof(vf->buf) || n < 14) {
			nic->rx_drop_other++;
			continue;
		}
		vf->st.tx++;
		vf->st.tx_bytes += (uint64_t)n;
		if (nic->be != NULL)
			nic->be->ops->xmit(nic->be, vf->buf, (size_t)n);
	}
	return i;
}

static void
remove_netdev(struct emu_nic *nic)
{
	struct emu_vf *vf = nic->vf;
	int rc, pass;

	/* What the guest sent before the netdev went is still queued on
	 * the host end: it is the guest's, not lost. */
	while (vf->fd >= 0 && poll_guest_tx(nic) == VF_TX_BATCH)
		;
	rc = emu_vf_link_delete(vf->cfg.host_ifname);
	if (vf->fd >= 0) {
		/* Twice: the first read after the netdev went may only
		 * report ENETDOWN. */
		for (pass = 0; pass < 2; pass++)
			while (poll_guest_tx(nic) == VF_TX_BATCH)
				;
		read_host_drops(vf);
		close(vf->fd);
		vf->fd = -1;
	}
	if (rc != 0 && rc != -ENODEV)
		emu_net_log(nic, "VF %s: cannot remove the device (%s)",
			    vf->cfg.guest_ifname, strerror(-rc));
	vf->st.removed++;
	emu_net_log(nic, "VF %s removed", vf->cfg.guest_ifname);
}

void
emu_vf_on_offer(struct emu_nic *nic)
{
	struct emu_vf *vf = nic->vf;

	if (vf == NULL || !vf->cfg.before || vf->state != VF_IDLE)
		return;
	appear(nic);
	vf->announce_ns = emu_net_now_ns() + ms_ns(vf->cfg.appear_ms);
}

bool
emu_vf_may_announce(const struct emu_nic *nic)
{
	const struct emu_vf *vf = nic->vf;

	return vf == NULL || !vf->cfg.before ||
	       emu_net_now_ns() >= vf->announce_ns;
}

void
emu_vf_on_announce(struct emu_nic *nic)
{
	struct emu_vf *vf = nic->vf;

	if (vf == NULL || vf->state != VF_IDLE)
		return;
	vf->state = VF_PENDING;
	vf->due_ns = emu_net_now_ns() + ms_ns(vf->cfg.appear_ms);
}

bool
emu_vf_can_switch(const struct emu_nic *nic)
{
	/* Without a device the association is a message: no VF to use. */
	return nic->vf != NULL && nic->vf->state == VF_PRESENT;
}

void
emu_vf_update(struct emu_nic *nic)
{
	const struct emu_vf *vf = nic->vf;

	nic->vf_steer = vf != NULL && nic->datapath_vf &&
			(vf->state == VF_PRESENT || vf->state == VF_LAGGING);
}

bool
emu_vf_busy(const struct emu_nic *nic)
{
	return nic->vf != NULL && (nic->vf->state == VF_DRAINING ||
				   nic->vf->state == VF_LAGGING);
}

/* The VF is gone: the guest goes back to synthetic, the association goes. */
static void
finish_revoke(struct emu_nic *nic)
{
	nic->vf->state = VF_IDLE;
	emu_vf_update(nic);
	emu_nvsp_vf_withdraw(nic);
}

bool
emu_vf_revoke(struct emu_nic *nic, bool abrupt)
{
	struct emu_vf *vf = nic->vf;

	if (vf == NULL)
		return false;
	if (vf->state == VF_IDLE || vf->state == VF_PENDING) {
		vf->state = VF_IDLE;
		return false;
	}
	if (vf->state == VF_STARTING) {
		remove_netdev(nic);
		vf->state = VF_IDLE;
		return false;
	}
	if (vf->state != VF_PRESENT)
		return true;
	if (abrupt) {
		/* Surprise removal: whatever the kernel still queues for the
		 * guest end dies with it. */
		remove_netdev(nic);
		vf->state = VF_LAGGING;
		vf->due_ns = emu_net_now_ns() + ms_ns(vf->cfg.abrupt_lag_ms);
		emu_vf_update(nic);
		if (vf->cfg.abrupt_lag_ms == 0)
			finish_revoke(nic);
		return true;
	}
	vf->state = VF_DRAINING;
	vf->due_ns = emu_net_now_ns() + ms_ns(vf->cfg.grace_ms);
	emu_vf_update(nic);
	if (vf->cfg.grace_ms == 0) {
		remove_netdev(nic);
		finish_revoke(nic);
	}
	return true;
}

void
emu_vf_tick(struct emu_nic *nic)
{
	struct emu_vf *vf = nic->vf;
	uint64_t now;

	if (vf->fd >= 0) {
		(void)poll_guest_tx(nic);
		read_host_drops(vf);
	}
	if (vf->cfg.before && nic->vf_offered && !nic->vf_announced &&
	    emu_vf_may_announce(nic))
		emu_nvsp_vf_announce(nic);
	if (vf->state == VF_STARTING)
		check_started(nic);
	if (vf->state == VF_IDLE || vf->state == VF_PRESENT)
		return;
	now = emu_net_now_ns();
	if (now < vf->due_ns)
		return;
	switch (vf->state) {
	case VF_PENDING:
		appear(nic);
		if (vf->state == VF_STARTING)
			check_started(nic);
		break;
	case VF_DRAINING:
		remove_netdev(nic);
		finish_revoke(nic);
		break;
	case VF_LAGGING:
		finish_revoke(nic);
		break;
	default:
		break;
	}
}

static int
vf_send(struct emu_nic *nic, const void *f, size_t len)
{
	struct emu_vf *vf = nic->vf;

	if (vf->fd >= 0 && send(vf->fd, f, len, MSG_DONTWAIT) == (ssize_t)len) {
		vf->st.rx++;
		vf->st.rx_bytes += len;
		return 0;
	}
	if (vf->fd >= 0 && (errno == EAGAIN || errno == ENOBUFS)) {
		/* The backend offers it again later, like a full ring. */
		vf->st.rx_busy++;
		return -EAGAIN;
	}
	/* Taken by the host and lost: the VF is gone. */
	vf->st.rx_lost++;
	return 0;
}

static bool
to_vf(const uint8_t *mac, const void *f, size_t len)
{
	/* Unicast to the NIC's own MAC; broadcast and multicast stay on the
	 * synthetic path, as on Azure. */
	return f != NULL && len >= 14 && memcmp(f, mac, 6) == 0;
}

int
emu_vf_rx_burst(struct emu_nic *nic, const void *const *frames,
		const size_t *lens, unsigned int n, uint32_t flags, int *rc)
{
	const uint8_t *mac = emu_nic_mac(nic);
	unsigned int i = 0, j;
	int k;

	while (i < n) {
		if (to_vf(mac, frames[i], lens[i])) {
			rc[i] = vf_send(nic, frames[i], lens[i]);
			if (rc[i] == -EAGAIN)
				return (int)i;
			i++;
			continue;
		}
		for (j = i + 1; j < n && !to_vf(mac, frames[j], lens[j]); j++)
			;
		k = emu_rx_burst_synth(nic, frames + i, lens + i, j - i, flags,
				       rc + i);
		if (k < 0)
			return k;
		if ((unsigned int)k < j - i)
			return (int)(i + (unsigned int)k);
		i = j;
	}
	return (int)n;
}

void
emu_nic_vf_stats(const struct emu_nic *nic, struct emu_vf_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (nic->vf == NULL)
		return;
	*out = nic->vf->st;
	out->present = nic->vf->state == VF_PRESENT ||
		       nic->vf->state == VF_DRAINING;
	out->steering = nic->vf_steer;
	out->revoking = emu_vf_busy(nic);
}

void
emu_vf_count_switch(struct emu_nic *nic, bool refused)
{
	if (nic->vf == NULL)
		return;
	if (refused)
		nic->vf->st.switches_refused++;
	else
		nic->vf->st.switches++;
}

void
emu_vf_free(struct emu_nic *nic)
{
	struct emu_vf *vf = nic->vf;

	if (vf == NULL)
		return;
	if (vf->fd >= 0 || vf->state == VF_STARTING || vf->state == VF_PRESENT ||
	    vf->state == VF_DRAINING)
		remove_netdev(nic);
	nic->vf = NULL;
	nic->vf_steer = false;
	free(vf);
}
