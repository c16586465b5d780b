/* SPDX-License-Identifier: BSD-3-Clause */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "emu_uio.h"

/* Largest message a guest may send: a full EMU_MSG_FRAMES. */
#define EMU_UIO_RX_MAX sizeof(struct emu_msg_frames)
_Static_assert(sizeof(struct emu_msg_frames) >= sizeof(struct emu_msg_mem),
	       "the receive buffer holds every message");

static void conn_event(void *arg, uint32_t events);
static void listen_event(void *arg, uint32_t events);

int
emu_uio_listen(struct emu_uio *u, struct emu_loop *loop, const char *path,
	       const struct emu_uio_ops *ops, void *arg)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	unsigned int i;
	int ret;

	memset(u, 0, sizeof(*u));
	u->lfd = -1;
	for (i = 0; i < EMU_UIO_MAX_CONNS; i++) {
		u->conn[i].u = u;
		u->conn[i].fd = -1;
	}
	if (strlen(path) >= sizeof(sa.sun_path) || strlen(path) >= sizeof(u->path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	strcpy(u->path, path);
	u->loop = loop;
	u->ops = ops;
	u->arg = arg;
	u->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (u->lfd < 0)
		return -errno;
	unlink(path);
	if (bind(u->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(u->lfd, 16) != 0) {
		ret = -errno;
		goto fail;
	}
	ret = emu_loop_add(loop, u->lfd, EPOLLIN, listen_event, u);
	if (ret == 0)
		return 0;
fail:
	close(u->lfd);
	u->lfd = -1;
	unlink(path);
	return ret;
}

static void
stop_listening(struct emu_uio *u)
{
	if (u->lfd < 0)
		return;
	emu_loop_del(u->loop, u->lfd);
	close(u->lfd);
	u->lfd = -1;
	unlink(u->path);
}

/* Another connection is still between its EMU_MSG_MEM and its HELLO. */
static bool
mem_handover_pending(const struct emu_uio *u)
{
	unsigned int i;

	for (i = 0; i < EMU_UIO_MAX_CONNS; i++)
		if (u->conn[i].fd >= 0 && u->conn[i].sent_mem)
			return true;
	return false;
}

/* Forget a connection; reports channel close when it was the last one. */
static void
conn_drop(struct emu_uio_conn *c, bool notify)
{
	struct emu_uio *u = c->u;
	bool was_ready = c->ready, had_mem = c->sent_mem;

	emu_loop_del(u->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	c->ready = false;
	c->sent_mem = false;
	if (!was_ready) {
		if (had_mem && notify && u->nready == 0 &&
		    !mem_handover_pending(u) && u->ops->mem_abandon != NULL)
			u->ops->mem_abandon(u->arg);
		return;
	}
	u->nready--;
	if (u->nready == 0 && notify && u->ops->close != NULL)
		u->ops->close(u->arg);
}

void
emu_uio_destroy(struct emu_uio *u)
{
	unsigned int i;

	for (i = 0; i < EMU_UIO_MAX_CONNS; i++)
		if (u->conn[i].fd >= 0)
			conn_drop(&u->conn[i], false);
	stop_listening(u);
}

static void
listen_event(void *arg, uint32_t events)
{
	struct emu_uio *u = arg;
	unsigned int i;
	int fd;

	(void)events;
	fd = accept4(u->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	for (i = 0; i < EMU_UIO_MAX_CONNS; i++)
		if (u->conn[i].fd < 0)
			break;
	/* Out of slots: closing makes the guest's handshake fail. */
	if (i == EMU_UIO_MAX_CONNS ||
	    emu_loop_add(u->loop, fd, EPOLLIN, conn_event, &u->conn[i]) != 0) {
		close(fd);
		return;
	}
	u->conn[i].fd = fd;
	u->conn[i].ready = false;
	u->conn[i].sent_mem = false;
}

static void
send_welcome(int fd, int status)
{
	struct emu_msg_welcome w = {
		.hdr = { EMU_MSG_MAGIC, EMU_MSG_WELCOME, EMU_MSG_VERSION },
		.status = (uint32_t)(status < 0 ? -status : status),
	};

	if (send(fd, &w, sizeof(w), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		/* The guest is gone; its EOF follows. */
	}
}

/* Returns false if the connection must be dropped. */
static bool
handle_hello(struct emu_uio_conn *c)
{
	struct emu_uio *u = c->u;
	int ret = 0;

	if (c->ready)
		return false;
	if (u->nready == 0 && u->ops->open != NULL)
		ret = u->ops->open(u->arg);
	send_welcome(c->fd, ret);
	if (ret != 0)
		return false;
	c->ready = true;
	c->sent_mem = false;
	u->nready++;
	return true;
}

static bool
handle_mem(struct emu_uio_conn *c, const void *buf, size_t len,
	   const int *fds, unsigned int nfds)
{
	struct emu_msg_mem m;
	size_t need;
	unsigned int i;

	memset(&m, 0, sizeof(m));
	if (c->ready || len < offsetof(struct emu_msg_mem, range))
		return false;
	memcpy(&m, buf, len < sizeof(m) ? len : sizeof(m));
	if (m.count > EMU_MSG_MEM_MAX_RANGES || m.count != nfds)
		return false;
	need = offsetof(struct emu_msg_mem, range) +
	       (size_t)m.count * sizeof(m.range[0]);
	if (len != need)
		return false;
	c->sent_mem = true;
	for (i = 0; i < m.count && c->u->ops->mem != NULL; i++)
		c->u->ops->mem(c->u->arg, &m.range[i], fds[i]);
	return true;
}

static bool
handle_frames(struct emu_uio_conn *c, const void *buf, size_t len,
	      unsigned int nfds)
{
	struct emu_msg_frames m;

	memset(&m, 0, sizeof(m));
	if (c->ready || nfds != 0 || len < offsetof(struct emu_msg_frames, ext))
		return false;
	memcpy(&m, buf, len < sizeof(m) ? len : sizeof(m));
	if (m.count > EMU_MSG_FRAMES_MAX ||
	    len != offsetof(struct emu_msg_frames, ext) +
			   (size_t)m.count * sizeof(m.ext[0]))
		return false;
	c->sent_mem = true;
	if (c->u->ops->frames != NULL)
		c->u->ops->frames(c->u->arg, m.ext, m.count);
	return true;
}

/* Dispatch one message; false = protocol violation, drop the guest. */
static bool
handle_msg(struct emu_uio_conn *c, const uint8_t *buf, size_t len,
	   const int *fds, unsigned int nfds)
{
	struct emu_msg_hdr h;
	uint32_t v;

	if (len == sizeof(v)) {
		if (!c->ready || nfds != 0)
			return false;
		memcpy(&v, buf, sizeof(v));
		if (c->u->ops->write != NULL)
			c->u->ops->write(c->u->arg, v);
		return true;
	}
	if (len < sizeof(h))
		return false;
	memcpy(&h, buf, sizeof(h));
	if (h.magic != EMU_MSG_MAGIC || h.version != EMU_MSG_VERSION)
		return false;
	if (h.type == EMU_MSG_MEM)
		return handle_mem(c, buf, len, fds, nfds);
	if (h.type == EMU_MSG_FRAMES)
		return handle_frames(c, buf, len, nfds);
	if (h.type == EMU_MSG_HELLO && len == sizeof(struct emu_msg_hello) &&
	    nfds == 0)
		return handle_hello(c);
	return false;
}

static unsigned int
collect_fds(struct msghdr *mh, int *fds, unsigned int max)
{
	struct cmsghdr *cm;
	unsigned int n = 0;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		size_t k, cnt;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		cnt = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < cnt; k++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + k * sizeof(int), sizeof(fd));
			if (n < max)
				fds[n++] = fd;
			else
				close(fd);
		}
	}
	return n;
}

static void
conn_event(void *arg, uint32_t events)
{
	struct emu_uio_conn *c = arg;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * EMU_MSG_MEM_MAX_RANGES)];
	} ctl;
	uint8_t buf[EMU_UIO_RX_MAX];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	int fds[EMU_MSG_MEM_MAX_RANGES + 1];
	unsigned int nfds, i;
	ssize_t n;
	bool ok;

	(void)events;
	n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	nfds = n > 0 ? collect_fds(&mh, fds, EMU_MSG_MEM_MAX_RANGES + 1) : 0;
	ok = n > 0 && !(mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) &&
	     handle_msg(c, buf, (size_t)n, fds, nfds);
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	/* EOF (also after SIGKILL), error or garbage: the open file is gone. */
	if (!ok)
		conn_drop(c, true);
}

void
emu_uio_notify(struct emu_uio *u, uint32_t count)
{
	unsigned int i;

	for (i = 0; i < EMU_UIO_MAX_CONNS; i++) {
		struct emu_uio_conn *c = &u->conn[i];

		if (c->fd < 0 || !c->ready)
			continue;
		if (send(c->fd, &count, sizeof(count),
			 MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
			/* Full: the guest has an unread (older) count. */
		}
	}
}

void
emu_uio_rescind(struct emu_uio *u)
{
	/*
	 * Drop everything now rather than wait for each connection's EOF:
	 * the device may be offered again (emu_uio_listen on this struct)
	 * before the loop would have seen those events.
	 */
	emu_uio_destroy(u);
}
