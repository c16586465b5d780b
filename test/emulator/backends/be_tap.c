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
 * Frames read from the TAP fd are offered to the guest; one the guest
 * cannot take now is lost (counted as backpressure or not-ready), as on
 * a real wire.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
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

struct emu_tap {
	struct emu_be_base base;
	struct emu_loop *loop;
	int fd;
	char ifname[IFNAMSIZ];
	uint8_t buf[TAP_BUF_SIZE];
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
	if (ret == 0 && ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
		ret = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (ret == 0 && ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
		ret = -errno;
	close(s);
	return ret;
}

static int
tap_open_configured(const struct emu_tap_config *cfg, char ifname[IFNAMSIZ])
{
	int fd = tap_open(ifname), ret;

	if (fd < 0)
		return fd;
	ret = tap_configure(cfg, ifname);
	if (ret != 0) {
		close(fd);
		return ret;
	}
	return fd;
}

/* Open in /var/run/netns/<name> and come back to our own namespace. */
static int
tap_open_in_netns(const struct emu_tap_config *cfg, char ifname[IFNAMSIZ])
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
	fd = tap_open_configured(cfg, ifname);
	if (setns(self, CLONE_NEWNET) != 0) {
		/* Stuck in the wrong namespace: nothing sane is left to do. */
		perror("vmbus-emu: cannot return to the original netns");
		abort();
	}
	close(self);
	close(target);
	return fd;
}

static void
tap_readable(void *arg, uint32_t events)
{
	struct emu_tap *t = arg;
	int i;

	(void)events;
	for (i = 0; i < TAP_READS_PER_EVENT; i++) {
		ssize_t n = read(t->fd, t->buf, sizeof(t->buf));

		if (n <= 0)
			return;	/* EAGAIN: drained; errors: the next event says */
		/* Refused frames are lost (counted there): a wire has no
		 * retry either. */
		emu_be_to_guest(&t->base, t->buf, (size_t)n);
	}
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

static void
tap_print_stats(struct emu_backend *be, FILE *out)
{
	struct emu_tap *t = (struct emu_tap *)be;
	char name[IFNAMSIZ + 8];

	snprintf(name, sizeof(name), "tap %s", t->ifname);
	emu_be_print_counters(&t->base, name, out);
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
	t->fd = cfg->netns[0] != '\0' ? tap_open_in_netns(cfg, t->ifname)
				      : tap_open_configured(cfg, t->ifname);
	if (t->fd < 0) {
		ret = t->fd;
		free(t);
		return ret;
	}
	ret = emu_loop_add(loop, t->fd, EPOLLIN, tap_readable, t);
	if (ret != 0) {
		close(t->fd);
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
