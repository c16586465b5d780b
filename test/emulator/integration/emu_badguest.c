/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A guest that breaks the protocol on purpose, for the integration test
 * "protocol": it negotiates NVSP like a driver, then asks the host to
 * connect a receive buffer under a GPADL the host never gave out. Run
 * under the LD_PRELOAD shim (it uses the real /sys and /dev paths).
 *
 * Exit status: 0 if the messages went out (and INIT was answered),
 * 1 on a failure of its own, 77 if no emulated NIC is visible.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guest_ops.h"
#include "nvsp_msg.h"
#include "nvsp_wire.h"
#include "vmbus_pkt.h"
#include "vmbus_ring.h"

#define BAD_GPADL 0xdead0u
#define REPLY_WAIT_MS 5000

struct bad_chan {
	struct vmbus_ring tx, rx;
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
	/* The emulator polls the ring: no doorbell needed. */
	return vmbus_ring_write(&c->tx, sg, 2, &signal);
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
misbehave(const struct guest_dev *d)
{
	struct bad_chan c;
	uint8_t msg[64], *map0;
	int fd, len, ret;

	fd = guest_uio_open(d->uio, O_RDWR);
	if (fd < 0)
		return fd;
	map0 = guest_uio_map(fd, HV_UIO_MAP_TXRX_RING, d->map_size[HV_UIO_MAP_TXRX_RING]);
	if (map0 == NULL)
		return -errno;
	ret = attach_rings(&c, map0, d->map_size[HV_UIO_MAP_TXRX_RING]);
	if (ret == 0)
		ret = negotiate(&c);
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
main(void)
{
	struct guest_dev devs[GUEST_MAX_DEVS];
	int n = guest_scan(devs, GUEST_MAX_DEVS), ret;

	if (n <= 0) {
		fprintf(stderr, "emu_badguest: no emulated NIC visible\n");
		return 77;
	}
	ret = guest_read_maps(&devs[0]);
	if (ret == 0)
		ret = misbehave(&devs[0]);
	if (ret != 0) {
		fprintf(stderr, "emu_badguest: %s\n", strerror(-ret));
		return 1;
	}
	return 0;
}
