/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A guest that breaks the protocol on purpose, for the integration test
 * "protocol": it runs the core's bring-up (hv_bringup, through the test
 * guest library tguest.h) like a driver, but asks the host to connect a
 * receive buffer under a GPADL the host never gave out. Run under the
 * LD_PRELOAD shim (it uses the real /sys and /dev paths).
 *
 * With --mute it plants another bug instead: it never rings the
 * doorbell, so a host that reads rings only after a signal (Hyper-V,
 * and the emulator by default) never answers its INIT.
 *
 * Exit status: 0 if the messages went out (and INIT was answered),
 * 1 on a failure of its own, 3 if INIT was not answered, 77 if no
 * emulated NIC is visible.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guest_ops.h"
#include "hv_chan_geom.h"
#include "tguest.h"

#define BAD_GPADL 0xdead0u
/* Hang guard: no packet for this long = no reply (wall clock, so a
 * loaded machine does not stretch it). */
#define REPLY_WAIT_MS 3000

struct bad_guest {
	struct vmbus_ring tx, rx;
	struct vmbus_monitor_page *monitor;
	uint32_t monitor_id;
	struct tg_chan chan;
	struct tg_session sess;
	uint8_t pkt[VMBUS_PKT_MAX_LEN];
	uint8_t rndis_page[4096];  /* never reached: the session stops earlier */
};

static int
attach_rings(struct bad_guest *c, uint8_t *map0, size_t len)
{
	size_t half = len / 2;
	int ret;

	if (half <= 4096)
		return -EINVAL;
	ret = vmbus_ring_attach(&c->tx, map0, map0 + 4096, half - 4096);
	if (ret == 0)
		ret = vmbus_ring_attach(&c->rx, map0 + half, map0 + half + 4096,
					half - 4096);
	return ret;
}

/* The ring went non-empty while the host listens: its monitor bit. */
static void
doorbell(void *arg)
{
	struct bad_guest *c = arg;
	uint32_t mask = 0, *w = hv_chan_monitor_word(c->monitor, c->monitor_id,
						 &mask);

	if (w != NULL)
		__atomic_fetch_or(w, mask, __ATOMIC_SEQ_CST);
}

static uint64_t
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

/* The host is another process: nap, until REPLY_WAIT_MS without a packet. */
static bool
nap(void *arg, unsigned int idle)
{
	static uint64_t since;
	struct timespec pause = { 0, 1000000 };

	(void)arg;
	if (idle == 1)
		since = now_ms();
	nanosleep(&pause, NULL);
	return now_ms() - since > REPLY_WAIT_MS;
}

/*
 * The core's bring-up, as the PMD runs it, but with a receive buffer
 * GPADL the host never gave out: INIT, NDIS_CONFIG, NDIS_VERSION, then
 * SEND_RECV_BUF with the bad handle, which a strict host refuses by
 * stopping the channel (the session then times out there).
 */
static int
misbehave(const struct guest_dev *d, bool mute)
{
	static struct bad_guest c;
	struct hv_bringup_cfg cfg = {
		.nvsp_max_version = NVSP_VERSION_61,
		.recv_buf_gpadl = BAD_GPADL,
		.recv_buf_size = (uint32_t)d->map_size[HV_UIO_MAP_RECV_BUF],
		.rndis_buf = c.rndis_page,
		.rndis_buf_size = sizeof(c.rndis_page),
	};
	uint8_t *map0, *recv;
	int fd, ret;

	if (d->monitor_id >= VMBUS_MONITOR_ID_MAX)
		return -ERANGE;
	c.monitor_id = (uint32_t)d->monitor_id;
	fd = guest_uio_open(d->uio, O_RDWR);
	if (fd < 0)
		return fd;
	map0 = guest_uio_map(fd, HV_UIO_MAP_TXRX_RING, d->map_size[HV_UIO_MAP_TXRX_RING]);
	c.monitor = guest_uio_map(fd, HV_UIO_MAP_MONITOR_PAGE,
				  d->map_size[HV_UIO_MAP_MONITOR_PAGE]);
	recv = guest_uio_map(fd, HV_UIO_MAP_RECV_BUF, d->map_size[HV_UIO_MAP_RECV_BUF]);
	if (map0 == NULL || c.monitor == NULL || recv == NULL)
		return -errno;
	ret = attach_rings(&c, map0, d->map_size[HV_UIO_MAP_TXRX_RING]);
	if (ret != 0)
		return ret;
	c.chan = (struct tg_chan){
		.tx = &c.tx, .rx = &c.rx, .doorbell = doorbell, .doorbell_arg = &c,
		.mute = mute, .pkt = c.pkt, .pkt_size = sizeof(c.pkt),
	};
	c.sess.chan = &c.chan;
	c.sess.recvbuf = recv;
	c.sess.recv_size = cfg.recv_buf_size;
	c.sess.wait = nap;
	ret = tg_bring_up(&c.sess, &cfg);
	close(fd);
	if (ret == -EIO && c.sess.out.state == HV_BU_S_NVSP_INIT &&
	    c.sess.out.error == HV_BU_ERR_TIMEOUT) {
		printf("emu_badguest: no reply to NVSP INIT%s\n",
		       mute ? " (the guest never signalled)" : "");
		return 3;
	}
	if (ret == -EIO && c.sess.out.state == HV_BU_S_RECV_BUF) {
		printf("emu_badguest: sent SEND_RECV_BUF with gpadl %u (%s)\n",
		       BAD_GPADL, c.sess.why);
		return 0;
	}
	fprintf(stderr, "emu_badguest: the bring-up %s: %s\n",
		ret == 0 ? "succeeded with a bad GPADL" : "failed elsewhere",
		ret == 0 ? "-" : c.sess.why);
	return ret == 0 ? -EPROTO : ret;
}

int
main(int argc, char **argv)
{
	struct guest_dev devs[GUEST_MAX_DEVS];
	bool mute = argc == 2 && strcmp(argv[1], "--mute") == 0;
	int n, ret;

	if (argc > 2 || (argc == 2 && !mute)) {
		fprintf(stderr, "usage: emu_badguest [--mute]\n");
		return 1;
	}
	n = guest_scan(devs, GUEST_MAX_DEVS);

	if (n <= 0) {
		fprintf(stderr, "emu_badguest: no emulated NIC visible\n");
		return 77;
	}
	ret = guest_read_maps(&devs[0]);
	if (ret == 0)
		ret = misbehave(&devs[0], mute);
	if (ret == 3)
		return 3;
	if (ret != 0) {
		fprintf(stderr, "emu_badguest: %s\n", strerror(-ret));
		return 1;
	}
	return 0;
}
