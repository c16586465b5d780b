/* SPDX-License-Identifier: BSD-3-Clause */
/* Client side of the control socket (no NIC code: the CLI links only this). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_internal.h"

#define CTL_SEND_WAIT_MS 1000	/* a peer that does not read is dropped */
/* An emulator whose loop is stuck must not hang the test that asks it:
 * the caller gets ETIMEDOUT and can say so (and dump its logs). */
#define CTL_REPLY_WAIT_MS 60000

const char emu_ctl_help[] =
"  link NIC up|down        report the link up or down to the guest\n"
"  speed NIC MBPS          report a new link speed (1..429496 Mb/s)\n"
"  rescind NIC             rescind the device (guest fds fail with EIO)\n"
"  reoffer NIC             offer a rescinded device again\n"
"  delay NIC SECONDS       slow host: delay RNDIS control replies (0 = off)\n"
"  fault NIC NAME COUNT    corrupt the next COUNT occurrences; NAME is one\n"
"                          of the fault names listed by 'faults'\n"
"  faults                  list the fault names\n"
"  mutate NIC KIND FIELD VALUE COUNT\n"
"                          write VALUE (little-endian) into FIELD of the\n"
"                          next COUNT host->guest messages of KIND; FIELD\n"
"                          is a name or a byte offset OFF[/WIDTH] (width 1,\n"
"                          2, 4 or 8, default 4; not for ring). KIND, fields:\n"
"          nvsp        NVSP completions and notifications (offsets in the\n"
"                      NVSP message): type status trans-id\n"
"          tx-comp     completions of the guest's sends: type status\n"
"                      trans-id\n"
"          rndis-comp  RNDIS control completions: type msg-len rid status\n"
"          indication  RNDIS status indications: type msg-len status\n"
"                      buf-len buf-off\n"
"          xfer        transfer-page packets of received data (offsets\n"
"                      from the descriptor): type offset8 len8 flags\n"
"                      trans-id pageset range-count range0-len range0-off\n"
"          rndis-data  first frame's PACKET_MSG and PPIs: type msg-len\n"
"                      data-off data-len ppi-off ppi-len ppi0-size\n"
"                      ppi0-type ppi0-off\n"
"          ring        indices, set after the next packet: h2g-write\n"
"                      g2h-read\n"
"  reply-delay NIC KIND MS|never COUNT\n"
"                          hold each of the next COUNT control replies of\n"
"                          KIND (nvsp, rndis, indication, any) for MS ms on\n"
"                          its own clock (later replies pass it), or for ever\n"
"  reply-drop NIC KIND COUNT\n"
"                          drop the next COUNT control replies of KIND\n"
"  vf-offer NIC SERIAL     announce an accelerated-networking VF\n"
"  vf-revoke NIC           revoke it in Azure's order: VF device gone (after\n"
"                          grace-ms without steering), SWITCH back to\n"
"                          synthetic, association withdrawn\n"
"  vf-revoke-abrupt NIC    surprise removal: the device goes at once, frames\n"
"                          steered to it for lag-ms are lost\n"
"  vf-attach NIC GUESTIF HOSTIF\n"
"                          back the VF with a veth pair: GUESTIF carries the\n"
"                          NIC's MAC and alias vf-serial:N; unicast to the MAC\n"
"                          goes into HOSTIF once the guest switched to the VF\n"
"  vf-set NIC KEY VALUE    appear-ms (1000: device after the association),\n"
"                          before 0|1 (device at offer, association\n"
"                          appear-ms later), alias-serial N (show another\n"
"                          serial), grace-ms (100), lag-ms (0)\n"
"  stats [NIC]             counters, several lines, then 'end'\n"
"  cg-window zero|dump NIC\n"
"                          under callgrind only (the benchmark): NIC's stats,\n"
"                          then callgrind's zero or dump at the same point\n"
"  trace NIC on|off        log every protocol message of the NIC\n"
"  gen NIC start|stop      start or stop the NIC's generator backend\n"
"  quit                    stop the emulator\n";

int
emu_ctl_send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			if (poll(&pfd, 1, CTL_SEND_WAIT_MS) <= 0)
				return -ETIMEDOUT;
			continue;
		}
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
ctl_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	return fd;
}

/*
 * Whether the reply is complete: one line, or for "stats" every line up
 * to "end" (or an error line). Not waiting for EOF matters for "quit":
 * the loop stops before it could see our shutdown.
 */
static bool
reply_done(const char *reply, size_t len, bool multi)
{
	const char *nl = memchr(reply, '\n', len);

	if (nl == NULL)
		return false;
	if (!multi || strncmp(reply, "error:", 6) == 0)
		return true;
	return len >= 4 && strncmp(reply + len - 4, "end\n", 4) == 0 &&
	       (len == 4 || reply[len - 5] == '\n');
}

int
emu_ctl_request(const char *path, const char *cmd, FILE *out)
{
	return emu_ctl_request_wait(path, cmd, out, CTL_REPLY_WAIT_MS);
}

int
emu_ctl_request_wait(const char *path, const char *cmd, FILE *out, int wait_ms)
{
	char reply[1 << 16];
	bool multi = strncmp(cmd, "stats", 5) == 0;
	int fd = ctl_connect(path), ret = 0;
	size_t len = 0;
	ssize_t n = 0;

	if (fd < 0)
		return fd;
	if (emu_ctl_send_all(fd, cmd, strlen(cmd)) != 0 ||
	    emu_ctl_send_all(fd, "\n", 1) != 0 || shutdown(fd, SHUT_WR) != 0) {
		close(fd);
		return -EIO;
	}
	while (!reply_done(reply, len, multi) && len < sizeof(reply)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		n = poll(&pfd, 1, wait_ms);
		if (n == 0) {
			ret = -ETIMEDOUT;
			break;
		}
		if (n > 0)
			n = recv(fd, reply + len, sizeof(reply) - len, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (ret == 0 && n < 0)
		ret = -errno;
	else if (ret == 0 && len == 0)
		ret = -ECONNRESET;
	close(fd);
	if (ret != 0)
		return ret;
	fwrite(reply, 1, len, out);
	return strncmp(reply, "error:", 6) == 0 ? 1 : 0;
}
