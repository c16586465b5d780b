/* SPDX-License-Identifier: BSD-3-Clause */
/* The control socket: listener and connections on the emulator loop. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_internal.h"

#define CTL_MAX_CONNS 16

struct ctl_conn {
	struct emu_ctl *ctl;
	int fd;			/* -1: slot free */
	size_t used;
	bool overlong;		/* discarding the rest of a too long line */
	char buf[EMU_CTL_LINE_MAX];
};

struct emu_ctl {
	const struct emu_ctl_env *env;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int lfd;
	struct ctl_conn conn[CTL_MAX_CONNS];
};

static void
conn_close(struct ctl_conn *c)
{
	if (c->fd < 0)
		return;
	emu_loop_del(c->ctl->env->loop, c->fd);
	close(c->fd);
	c->fd = -1;
}

/* Run one line; the reply is built in memory so it goes out in one piece. */
static int
conn_line(struct ctl_conn *c, char *line)
{
	char *reply = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&reply, &len);
	int ret;

	if (out == NULL)
		return -ENOMEM;
	emu_ctl_exec(c->ctl->env, line, out);
	fclose(out);
	ret = emu_ctl_send_all(c->fd, reply, len);
	free(reply);
	return ret;
}

/* Handle every complete line in the buffer; keep the partial tail. */
static int
conn_lines(struct ctl_conn *c)
{
	char *start = c->buf, *nl;
	int ret = 0;

	while (ret == 0 && (nl = memchr(start, '\n', c->used - (size_t)(start - c->buf))) != NULL) {
		*nl = '\0';
		if (c->overlong)
			c->overlong = false;
		else
			ret = conn_line(c, start);
		start = nl + 1;
	}
	c->used -= (size_t)(start - c->buf);
	memmove(c->buf, start, c->used);
	if (ret == 0 && c->used == sizeof(c->buf)) {
		/* No newline in a full buffer: refuse the line, skip to its end. */
		c->overlong = true;
		c->used = 0;
		ret = emu_ctl_send_all(c->fd, "error: line too long\n", 21);
	}
	return ret;
}

static void
conn_readable(void *arg, uint32_t events)
{
	struct ctl_conn *c = arg;
	ssize_t n;

	(void)events;
	n = recv(c->fd, c->buf + c->used, sizeof(c->buf) - c->used, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->used += (size_t)n;
	if (conn_lines(c) != 0)
		conn_close(c);
}

static void
ctl_accept(void *arg, uint32_t events)
{
	struct emu_ctl *ctl = arg;
	int fd, i;

	(void)events;
	fd = accept4(ctl->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	for (i = 0; i < CTL_MAX_CONNS; i++)
		if (ctl->conn[i].fd < 0)
			break;
	if (i == CTL_MAX_CONNS ||
	    emu_loop_add(ctl->env->loop, fd, EPOLLIN, conn_readable,
			 &ctl->conn[i]) != 0) {
		emu_ctl_send_all(fd, "error: too many connections\n", 28);
		close(fd);
		return;
	}
	ctl->conn[i].fd = fd;
	ctl->conn[i].used = 0;
	ctl->conn[i].overlong = false;
}

static int
ctl_listen(const char *path, int *out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, CTL_MAX_CONNS) != 0) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	*out = fd;
	return 0;
}

int
emu_ctl_open(const struct emu_ctl_env *env, const char *path,
	     struct emu_ctl **out)
{
	struct emu_ctl *ctl = calloc(1, sizeof(*ctl));
	int i, ret;

	if (ctl == NULL)
		return -ENOMEM;
	ctl->env = env;
	for (i = 0; i < CTL_MAX_CONNS; i++) {
		ctl->conn[i].fd = -1;
		ctl->conn[i].ctl = ctl;
	}
	ret = ctl_listen(path, &ctl->lfd);
	if (ret == 0) {
		strcpy(ctl->path, path);
		ret = emu_loop_add(env->loop, ctl->lfd, EPOLLIN, ctl_accept, ctl);
		if (ret != 0) {
			close(ctl->lfd);
			unlink(path);
		}
	}
	if (ret != 0) {
		free(ctl);
		return ret;
	}
	*out = ctl;
	return 0;
}

void
emu_ctl_close(struct emu_ctl *ctl)
{
	int i;

	if (ctl == NULL)
		return;
	for (i = 0; i < CTL_MAX_CONNS; i++)
		conn_close(&ctl->conn[i]);
	emu_loop_del(ctl->env->loop, ctl->lfd);
	close(ctl->lfd);
	unlink(ctl->path);
	free(ctl);
}

