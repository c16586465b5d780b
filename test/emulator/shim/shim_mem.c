/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libvmbus_emu_shim.so, guest-memory part. The host must read buffers the
 * guest names by GPA (= VA with IOVA-as-VA). Every MAP_SHARED file
 * mapping of the process is handed to the emulator at uio open, as fd +
 * VA range over SCM_RIGHTS. memfds (DPDK's --no-huge "nohuge" memory) have
 * no path to reopen, so memfd_create is wrapped to keep a duplicate.
 */
#define _GNU_SOURCE
#undef _FORTIFY_SOURCE
/* We define both the plain and the *64 names: no header redirection. */
#undef _FILE_OFFSET_BITS
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "emu_proto.h"
#include "shim_internal.h"

#define SHIM_EXPORT __attribute__((visibility("default")))
#define SHIM_MEMFD_MAX 1024
/* Keep our duplicates out of the low fd numbers the program uses. */
#define SHIM_MEMFD_MIN_FD 512
/* The emulator's table holds 1024 ranges (EMU_GUESTMEM_MAX); a 2 MiB
 * hugepage is one mapping line in EAL's dynamic memory. */
#define SHIM_MEM_MAX_RANGES 1024

struct shim_memfd {
	int fd;
	dev_t dev;
	ino_t ino;
};

static struct shim_memfd shim_memfds[SHIM_MEMFD_MAX];
static int shim_nmemfd;
static pthread_mutex_t shim_memfd_lock = PTHREAD_MUTEX_INITIALIZER;

SHIM_EXPORT int
memfd_create(const char *name, unsigned int flags)
{
	int fd = SHIM_REAL(memfd_create)(name, flags);
	struct stat st;
	int dup_fd;

	if (fd < 0 || fstat(fd, &st) != 0)
		return fd;
	pthread_mutex_lock(&shim_memfd_lock);
	if (shim_nmemfd < SHIM_MEMFD_MAX) {
		/* The program may close its fd while the mapping lives on. */
		dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, SHIM_MEMFD_MIN_FD);
		if (dup_fd >= 0) {
			shim_memfds[shim_nmemfd].fd = dup_fd;
			shim_memfds[shim_nmemfd].dev = st.st_dev;
			shim_memfds[shim_nmemfd].ino = st.st_ino;
			shim_nmemfd++;
		}
	}
	pthread_mutex_unlock(&shim_memfd_lock);
	return fd;
}

struct shim_range {
	struct emu_mem_range r;
	int fd;
	bool close_fd;
};

static int
memfd_lookup(dev_t dev, ino_t ino)
{
	int i, fd = -1;

	pthread_mutex_lock(&shim_memfd_lock);
	for (i = 0; i < shim_nmemfd; i++)
		if (shim_memfds[i].dev == dev && shim_memfds[i].ino == ino)
			fd = shim_memfds[i].fd;
	pthread_mutex_unlock(&shim_memfd_lock);
	return fd;
}

/* A regular file mapping: reopen it, but only if it is the same inode. */
static int
reopen_path(const char *path, dev_t dev, ino_t ino)
{
	const char *root = shim_root();
	struct stat st;
	int fd;

	if (path[0] != '/' || strstr(path, " (deleted)") != NULL)
		return -1;
	/* The emulator's own regions need no translation. */
	if (root != NULL && strncmp(path, root, strlen(root)) == 0)
		return -1;
	fd = SHIM_REAL(open)(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_dev != dev ||
	    st.st_ino != ino) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Parse one /proc/self/maps line; true if it is a usable shared mapping. */
static bool
parse_line(const char *line, struct shim_range *out)
{
	unsigned long long start, end, off, ino;
	unsigned int maj, min;
	char perms[8];
	int pos = 0, fd;
	const char *path;
	char clean[PATH_MAX];
	size_t n;

	if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms,
		   &off, &maj, &min, &ino, &pos) < 7 || pos == 0)
		return false;
	if (strlen(perms) < 4 || perms[3] != 's' || ino == 0 || end <= start)
		return false;
	path = line + pos;
	n = strcspn(path, "\n");
	if (n >= sizeof(clean))
		return false;
	memcpy(clean, path, n);
	clean[n] = '\0';
	out->close_fd = false;
	fd = memfd_lookup(makedev(maj, min), (ino_t)ino);
	if (fd < 0) {
		fd = reopen_path(clean, makedev(maj, min), (ino_t)ino);
		out->close_fd = true;
	}
	if (fd < 0)
		return false;
	out->fd = fd;
	out->r.va = start;
	out->r.len = end - start;
	out->r.file_off = off;
	return true;
}

static int
send_batch(int sock, const struct shim_range *rs, unsigned int n)
{
	struct emu_msg_mem m;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * EMU_MSG_MEM_MAX_RANGES)];
	} ctl;
	struct iovec iov;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	unsigned int i;
	size_t len;

	memset(&m, 0, sizeof(m));
	memset(&ctl, 0, sizeof(ctl));
	m.hdr.magic = EMU_MSG_MAGIC;
	m.hdr.type = EMU_MSG_MEM;
	m.hdr.version = EMU_MSG_VERSION;
	m.count = n;
	for (i = 0; i < n; i++)
		m.range[i] = rs[i].r;
	len = offsetof(struct emu_msg_mem, range) + n * sizeof(m.range[0]);
	iov.iov_base = &m;
	iov.iov_len = len;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
	for (i = 0; i < n; i++)
		memcpy(CMSG_DATA(cm) + i * sizeof(int), &rs[i].fd, sizeof(int));
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -EIO;
}

static void
release(struct shim_range *rs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (rs[i].close_fd)
			close(rs[i].fd);
}

int
shim_mem_send(int sock)
{
	struct shim_range *rs = calloc(SHIM_MEM_MAX_RANGES, sizeof(*rs));
	unsigned int n = 0, i;
	char line[PATH_MAX + 128];
	FILE *f;
	int ret = 0;

	if (rs == NULL)
		return -ENOMEM;
	f = fopen("/proc/self/maps", "re");
	if (f == NULL) {
		free(rs);
		return 0; /* No handover: translations will fail, not open(). */
	}
	while (n < SHIM_MEM_MAX_RANGES && fgets(line, sizeof(line), f) != NULL)
		if (parse_line(line, &rs[n]))
			n++;
	fclose(f);
	for (i = 0; ret == 0 && i < n; i += EMU_MSG_MEM_MAX_RANGES) {
		unsigned int k = n - i;

		ret = send_batch(sock, &rs[i],
				 k < EMU_MSG_MEM_MAX_RANGES ? k : EMU_MSG_MEM_MAX_RANGES);
	}
	release(rs, n);
	free(rs);
	/* Then the guest-physical page table over those ranges. */
	return ret != 0 ? ret : shim_pagemap_send(sock);
}
