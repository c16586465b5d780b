/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A guest that breaks the protocol on purpose, for the integration test
 * "protocol": it negotiates NVSP like a driver, then asks the host to
 * connect a receive buffer under a GPADL the host never gave out. Run
 * under the LD_PRELOAD shim (it uses the real /sys and /dev paths).
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
#include "nvsp_msg.h"
#include "nvsp_wire.h"
#include "vmbus_pkt.h"
#include "vmbus_ring.h"

#define BAD_GPADL 0xdead0u
#define REPLY_WAIT_MS 5000

struct bad_chan {
	struct vmbus_ring tx, rx;
	struct vmbus_monitor_page *monitor;
	uint32_t monitor_id;
	bool mute;            /* planted bug: never signal */
	uint8_t pkt[4096];
};

static int
attach_rings(struct bad_chan *c, uint8_t *map0, size_t len)
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

static int
send_nvsp(struct bad_chan *c, const void *msg, size_t len, uint64_t id)
{
	uint8_t hdr[16];
	struct hv_sg sg[2] = { { hdr, sizeof(hdr) }, { msg, (uint32_t)len } };
	bool signal;
	int ret;

	ret = vmbus_pkt_build_inband(hdr, sizeof(hdr), len, id,
				     VMBUS_PKT_FLAG_COMPLETION_REQUESTED);
	if (ret < 0)
		return ret;
	ret = vmbus_ring_write(&c->tx, sg, 2, &signal);
	/* The ring went non-empty while the host listens: ring its bell. */
	if (ret == 0 && signal && !c->mute) {
		uint32_t mask = 0, *w = hv_chan_monitor_word(c->monitor, c->monitor_id,
							 &mask);

		if (w != NULL)
			__atomic_fetch_or(w, mask, __ATOMIC_SEQ_CST);
	}
	return ret;
}

/* The first packet from the host, validated; -ETIMEDOUT if none. */
static int
wait_reply(struct bad_chan *c, struct vmbus_pkt_info *pi)
{
	struct timespec pause = { 0, 1000000 };
	uint32_t len;
	bool signal;
	int i, ret;

	for (i = 0; i < REPLY_WAIT_MS; i++) {
		ret = vmbus_ring_read(&c->rx, c->pkt, sizeof(c->pkt), &len);
		if (ret == 0) {
			vmbus_ring_commit(&c->rx, &signal);
			return vmbus_pkt_parse(c->pkt, len, pi);
		}
		if (ret != -EAGAIN)
			return ret;
		nanosleep(&pause, NULL);
	}
	return -ETIMEDOUT;
}

static int
negotiate(struct bad_chan *c)
{
	struct vmbus_pkt_info pi;
	struct nvsp_init_info init;
	uint8_t msg[64];
	int len, ret;

	len = nvsp_build_init(msg, sizeof(msg), NVSP_VERSION_61);
	if (len < 0)
		return len;
	ret = send_nvsp(c, msg, (size_t)len, 1);
	if (ret == 0)
		ret = wait_reply(c, &pi);
	if (ret == 0)
		ret = nvsp_parse_init_complete(pi.payload, pi.payload_len, &init);
	if (ret != 0)
		return ret;
	/* The two announcements that must precede the buffers; no replies. */
	len = nvsp_build_ndis_config(msg, sizeof(msg), 1514, 0);
	if (len < 0)
		return len;
	ret = send_nvsp(c, msg, (size_t)len, 2);
	if (ret != 0)
		return ret;
	len = nvsp_build_ndis_version(msg, sizeof(msg),
				      nvsp_ndis_version(NVSP_VERSION_61));
	if (len < 0)
		return len;
	return send_nvsp(c, msg, (size_t)len, 3);
}

static int
misbehave(const struct guest_dev *d, bool mute)
{
	struct bad_chan c = { .mute = mute };
	uint8_t msg[64], *map0;
	int fd, len, ret;

	if (d->monitor_id >= VMBUS_MONITOR_ID_MAX)
		return -ERANGE;
	c.monitor_id = (uint32_t)d->monitor_id;
	fd = guest_uio_open(d->uio, O_RDWR);
	if (fd < 0)
		return fd;
	map0 = guest_uio_map(fd, HV_UIO_MAP_TXRX_RING, d->map_size[HV_UIO_MAP_TXRX_RING]);
	c.monitor = guest_uio_map(fd, HV_UIO_MAP_MONITOR_PAGE,
				  d->map_size[HV_UIO_MAP_MONITOR_PAGE]);
	if (map0 == NULL || c.monitor == NULL)
		return -errno;
	ret = attach_rings(&c, map0, d->map_size[HV_UIO_MAP_TXRX_RING]);
	if (ret == 0)
		ret = negotiate(&c);
	if (ret == -ETIMEDOUT) {
		printf("emu_badguest: no reply to NVSP INIT%s\n",
		       mute ? " (the guest never signalled)" : "");
		close(fd);
		return 3;
	}
	if (ret != 0) {
		fprintf(stderr, "emu_badguest: NVSP INIT failed: %s\n", strerror(-ret));
		return ret;
	}
	len = nvsp_build_send_recv_buf(msg, sizeof(msg), BAD_GPADL, 0xcafe);
	if (len < 0)
		return len;
	ret = send_nvsp(&c, msg, (size_t)len, 4);
	if (ret == 0)
		printf("emu_badguest: sent SEND_RECV_BUF with gpadl %u\n", BAD_GPADL);
	/* Give the host time to read it before our exit closes the channel. */
	sleep(1);
	close(fd);
	return ret;
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
