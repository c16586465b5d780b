/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TAP backend: the emulated NIC's wire is a Linux TAP interface.
 *
 * With a network namespace the calling thread enters it just long enough
 * to open the TAP device and configure it, then returns: the fd keeps
 * working from the original namespace, and the interface lives (and is
 * removed with the fd) inside the target namespace, so ping etc. run
 * there with `ip netns exec`. Only the loop thread exists at setup time,
 * so switching the thread's namespace affects nobody else.
 *
 * Frames read from the TAP fd are offered to the guest in bursts of up
 * to TAP_READS_PER_EVENT (one read per frame: a TAP character device has
 * no batched read), so that they share transfer-page packets; one the
 * guest cannot take now is lost (counted as backpressure or not-ready),
 * as on a real wire.
 *
 * Frames the kernel drops on its side of the TAP (its queue towards us
 * full, or ours refused) never reach our counters; print_stats asks the
 * kernel for the interface's rx/tx_dropped over a netlink socket opened
 * in the TAP's namespace, so that those losses are visible too.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "be_internal.h"

#define TAP_BUF_SIZE 65550u	/* largest frame a TAP can hand us */
#define TAP_READS_PER_EVENT 64	/* fairness to the other fds of the loop */
/* Frames read before they go to the guest as one burst (one
 * transfer-page packet, one ACK): room for TAP_READS_PER_EVENT
 * MTU-sized frames, or at least a few of the largest. */
#define TAP_ARENA_SIZE (TAP_READS_PER_EVENT * 2048u + TAP_BUF_SIZE)

struct emu_tap {
	struct emu_be_base base;
	struct emu_loop *loop;
	int fd;
	int nl;              /* NETLINK_ROUTE in the TAP's namespace, or -1 */
	unsigned int ifindex;
	char ifname[IFNAMSIZ];
	const void *ptrs[TAP_READS_PER_EVENT];
	size_t lens[TAP_READS_PER_EVENT];
	int rcs[TAP_READS_PER_EVENT];
	uint8_t arena[TAP_ARENA_SIZE];
};

static int
tap_open(char ifname[IFNAMSIZ])
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	memcpy(ifr.ifr_name, ifname, IFNAMSIZ);
	if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	memcpy(ifname, ifr.ifr_name, IFNAMSIZ);
	ifname[IFNAMSIZ - 1] = '\0';
	return fd;
}

static int
set_addr(int s, const char *ifname, unsigned long req, uint32_t addr_be)
{
	struct ifreq ifr;
	struct sockaddr_in sin = { .sin_family = AF_INET };

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	sin.sin_addr.s_addr = addr_be;
	memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
	return ioctl(s, req, &ifr) == 0 ? 0 : -errno;
}

/* Address (optional) and IFF_UP, in the current namespace. */
static int
tap_configure(const struct emu_tap_config *cfg, const char *ifname)
{
	struct ifreq ifr;
	int ret = 0, s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return -errno;
	if (cfg->has_ip) {
		uint32_t addr, mask;

		memcpy(&addr, cfg->ip, 4);
		mask = cfg->prefix == 0 ? 0 : htonl(~0u << (32 - cfg->prefix));
		ret = set_addr(s, ifname, SIOCSIFADDR, addr);
		if (ret == 0)
			ret = set_addr(s, ifname, SIOCSIFNETMASK, mask);
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_qlen = EMU_TAP_TXQLEN;
	if (ret == 0 && ioctl(s, SIOCSIFTXQLEN, &ifr) != 0)
		ret = -errno;
	if (ret == 0 && ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
		ret = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (ret == 0 && ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
		ret = -errno;
	close(s);
	return ret;
}

/* Where to ask for the kernel's counters (best effort: -1 = never). */
static void
tap_stats_open(struct emu_tap *t)
{
	t->ifindex = if_nametoindex(t->ifname);
	t->nl = t->ifindex != 0 ?
		socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE) : -1;
}

static int
tap_open_configured(const struct emu_tap_config *cfg, struct emu_tap *t)
{
	int fd = tap_open(t->ifname), ret;

	if (fd < 0)
		return fd;
	ret = tap_configure(cfg, t->ifname);
	if (ret != 0) {
		close(fd);
		return ret;
	}
	tap_stats_open(t);
	return fd;
}

/* Open in /var/run/netns/<name> and come back to our own namespace. */
static int
tap_open_in_netns(const struct emu_tap_config *cfg, struct emu_tap *t)
{
	char path[128];
	int self, target, fd;

	snprintf(path, sizeof(path), "/var/run/netns/%s", cfg->netns);
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0)
		return -errno;
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0 || setns(target, CLONE_NEWNET) != 0) {
		fd = -errno;
		if (self >= 0)
			close(self);
		close(target);
		return fd;
	}
	fd = tap_open_configured(cfg, t);
	if (setns(self, CLONE_NEWNET) != 0) {
		/* Stuck in the wrong namespace: nothing sane is left to do. */
		perror("vmbus-emu: cannot return to the original netns");
		abort();
	}
	close(self);
	close(target);
	return fd;
}

/* Count a frame's outcome as emu_be_to_guest does. */
static void
tap_count(struct emu_tap *t, int rc, size_t len)
{
	if (rc == 0) {
		t->base.c.to_guest++;
		t->base.c.to_guest_bytes += len;
	} else if (rc == -EAGAIN) {
		t->base.c.backpressure++;
	} else if (rc == -ENETDOWN) {
		t->base.c.not_ready++;
	} else {
		t->base.c.drops++;
	}
}

/*
 * Offer the n frames read as bursts. A burst stops at a frame the NIC
 * refuses now; that frame is lost (a wire has no retry), the rest are
 * offered again, since the refusal may be that frame's alone (filter).
 */
static void
tap_offer(struct emu_tap *t, unsigned int n)
{
	unsigned int start = 0, i;
	int done;

	if (t->base.be.nic == NULL) {
		t->base.c.not_ready += n;
		return;
	}
	while (start < n) {
		done = emu_nic_rx_burst(t->base.be.nic, t->ptrs + start,
					t->lens + start, n - start, 0,
					t->rcs + start);
		if (done < 0) {
			t->base.c.drops += n - start;
			return;
		}
		for (i = start; i < start + (unsigned int)done; i++)
			tap_count(t, t->rcs[i], t->lens[i]);
		start += (unsigned int)done;
		if (start < n) {
			tap_count(t, t->rcs[start], t->lens[start]);
			start++;
		}
	}
}

static void
tap_readable(void *arg, uint32_t events)
{
	struct emu_tap *t = arg;
	unsigned int n = 0;
	size_t used = 0;

	(void)events;
	/* Each read needs room for the largest frame, or it could cut one. */
	while (n < TAP_READS_PER_EVENT && TAP_ARENA_SIZE - used >= TAP_BUF_SIZE) {
		ssize_t r = read(t->fd, t->arena + used, TAP_BUF_SIZE);

		if (r <= 0)
			break;	/* EAGAIN: drained; errors: the next event says */
		t->ptrs[n] = t->arena + used;
		t->lens[n] = (size_t)r;
		n++;
		/* Keep frames 64-byte aligned in the arena. */
		used += ((size_t)r + 63u) & ~(size_t)63u;
	}
	if (n != 0)
		tap_offer(t, n);
}

static void
tap_xmit(struct emu_backend *be, const void *frame, size_t len)
{
	struct emu_tap *t = (struct emu_tap *)be;

	t->base.c.from_guest++;
	t->base.c.from_guest_bytes += len;
	/* A full TAP queue drops, like a congested wire. */
	if (write(t->fd, frame, len) != (ssize_t)len)
		t->base.c.drops++;
}

/* The kernel's 64-bit counters of the TAP (RTM_GETLINK): 0 or -errno. */
static int
tap_kernel_stats(const struct emu_tap *t, struct rtnl_link_stats64 *st)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
	} req = {
		.h = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETLINK,
		       .nlmsg_flags = NLM_F_REQUEST, .nlmsg_seq = 1 },
		.i = { .ifi_family = AF_UNSPEC, .ifi_index = (int)t->ifindex },
	};
	static char buf[16384];
	struct nlmsghdr *h = (struct nlmsghdr *)(void *)buf;
	struct rtattr *a;
	ssize_t n;
	int len;

	if (t->nl < 0 || send(t->nl, &req, sizeof(req), 0) != (ssize_t)sizeof(req))
		return -EIO;
	n = recv(t->nl, buf, sizeof(buf), 0);
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(struct ifinfomsg)) ||
	    !NLMSG_OK(h, (unsigned int)n) || h->nlmsg_type != RTM_NEWLINK)
		return -EIO;
	len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(struct ifinfomsg));
	for (a = IFLA_RTA(NLMSG_DATA(h)); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFLA_STATS64 &&
		    RTA_PAYLOAD(a) >= sizeof(*st)) {
			memcpy(st, RTA_DATA(a), sizeof(*st));
			return 0;
		}
	}
	return -ENOENT;
}

static void
tap_print_stats(struct emu_backend *be, FILE *out)
{
	struct emu_tap *t = (struct emu_tap *)be;
	struct rtnl_link_stats64 st;
	char name[IFNAMSIZ + 8];

	snprintf(name, sizeof(name), "tap %s", t->ifname);
	emu_be_print_counters(&t->base, name, out);
	/* tx: the kernel towards us (towards the guest); rx: from us. */
	if (tap_kernel_stats(t, &st) == 0)
		fprintf(out, "backend tap %s kernel: tx-dropped %llu rx-dropped %llu\n",
			t->ifname, (unsigned long long)st.tx_dropped,
			(unsigned long long)st.rx_dropped);
}

static void
tap_destroy(struct emu_backend *be)
{
	struct emu_tap *t = (struct emu_tap *)be;

	if (t == NULL)
		return;
	if (t->fd >= 0) {
		emu_loop_del(t->loop, t->fd);
		close(t->fd);
	}
	if (t->nl >= 0)
		close(t->nl);
	free(t);
}

const struct emu_backend_ops emu_tap_ops = {
	.name = "tap",
	.xmit = tap_xmit,
	.print_stats = tap_print_stats,
	.destroy = tap_destroy,
};

int
emu_tap_create(const struct emu_tap_config *cfg, struct emu_loop *loop,
	       struct emu_backend **out)
{
	struct emu_tap *t = calloc(1, sizeof(*t));
	int ret;

	if (t == NULL)
		return -ENOMEM;
	memcpy(t->ifname, cfg->ifname, IFNAMSIZ);
	t->ifname[IFNAMSIZ - 1] = '\0';
	t->loop = loop;
	t->nl = -1;
	t->fd = cfg->netns[0] != '\0' ? tap_open_in_netns(cfg, t)
				      : tap_open_configured(cfg, t);
	if (t->fd < 0) {
		ret = t->fd;
		if (t->nl >= 0)
			close(t->nl);
		free(t);
		return ret;
	}
	ret = emu_loop_add(loop, t->fd, EPOLLIN, tap_readable, t);
	if (ret != 0) {
		close(t->fd);
		if (t->nl >= 0)
			close(t->nl);
		free(t);
		return ret;
	}
	t->base.be.ops = &emu_tap_ops;
	t->base.kind = EMU_BACKEND_TAP;
	*out = &t->base.be;
	return 0;
}

const char *
emu_tap_ifname(const struct emu_backend *be)
{
	if (be == NULL || be->ops != &emu_tap_ops)
		return NULL;
	return ((const struct emu_tap *)be)->ifname;
}
