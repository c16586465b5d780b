/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libvmbus_emu_shim.so, /dev/uioN part. open() becomes a SEQPACKET
 * connection to the emulator, which already gives UIO semantics for
 * blocking 4-byte reads, writes, poll/epoll and EOF on process death.
 * Wrapped besides open: mmap (offset = map index * page size selects a
 * region) and read/write, but only to enforce the 4-byte rule and to turn
 * a rescinded device (EOF/EPIPE) into EIO; other fds pay one array load.
 */
#define _GNU_SOURCE
#undef _FORTIFY_SOURCE
/* We define both the plain and the *64 names: no header redirection. */
#undef _FILE_OFFSET_BITS
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "emu_proto.h"
#include "hv_uio_abi.h"
#include "shim_internal.h"
#include "shim_path.h"

#define SHIM_EXPORT __attribute__((visibility("default")))
/* fds above this are not tracked; open fails with EMFILE instead. */
#define SHIM_MAX_FD 65536
/* An emulator that accepts but never answers must not hang open(). */
#define SHIM_HANDSHAKE_TIMEOUT_S 10

struct shim_uio_slot {
	uint32_t minor_plus1; /* 0 = never a uio fd */
	uint64_t dev;
	uint64_t ino;
};

/* Indexed by fd: the O(1) check on read/write/mmap. Zero pages in BSS. */
static struct shim_uio_slot shim_slots[SHIM_MAX_FD];
static pthread_mutex_t shim_slot_lock = PTHREAD_MUTEX_INITIALIZER;

static void
track(int fd, unsigned int minor, const struct stat *st)
{
	pthread_mutex_lock(&shim_slot_lock);
	shim_slots[fd].dev = st->st_dev;
	shim_slots[fd].ino = st->st_ino;
	__atomic_store_n(&shim_slots[fd].minor_plus1, minor + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&shim_slot_lock);
}

bool
shim_uio_lookup(int fd, unsigned int *minor)
{
	struct shim_uio_slot s;
	struct stat st;

	if (fd < 0 || fd >= SHIM_MAX_FD)
		return false;
	if (__atomic_load_n(&shim_slots[fd].minor_plus1, __ATOMIC_ACQUIRE) == 0)
		return false;
	pthread_mutex_lock(&shim_slot_lock);
	s = shim_slots[fd];
	pthread_mutex_unlock(&shim_slot_lock);
	/* The fd number may have been closed and reused since (we do not
	 * wrap close): the socket's identity decides. */
	if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
		return false;
	if ((uint64_t)st.st_dev != s.dev || (uint64_t)st.st_ino != s.ino)
		return false;
	*minor = s.minor_plus1 - 1;
	return true;
}

static int
connect_uio(int sock, unsigned int minor)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/dev/uio%u",
			 shim_root(), minor);

	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	if (connect(sock, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return 0;
	/* Listener gone (rescinded, emulator dead): like an unregistered
	 * uio device. A missing node stays ENOENT. */
	return errno == ECONNREFUSED ? -ENODEV : -errno;
}

static int
set_timeout(int sock, int seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	return setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0 ?
	       0 : -errno;
}

static int
handshake(int sock)
{
	struct emu_msg_hello h = {
		.hdr = { EMU_MSG_MAGIC, EMU_MSG_HELLO, EMU_MSG_VERSION },
		.pid = (uint32_t)getpid(),
	};
	struct emu_msg_welcome w;
	ssize_t n;
	int ret = set_timeout(sock, SHIM_HANDSHAKE_TIMEOUT_S);

	if (ret == 0)
		ret = shim_mem_send(sock);
	if (ret != 0)
		return ret;
	if (send(sock, &h, sizeof(h), MSG_NOSIGNAL) != (ssize_t)sizeof(h))
		return -EIO;
	do
		n = recv(sock, &w, sizeof(w), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(w) || w.hdr.magic != EMU_MSG_MAGIC ||
	    w.hdr.type != EMU_MSG_WELCOME)
		return n < 0 && errno == EAGAIN ? -ETIMEDOUT : -ENODEV;
	if (w.status != 0)
		return w.status < 4096 ? -(int)w.status : -EIO;
	return set_timeout(sock, 0);
}

int
shim_uio_open(unsigned int minor, int flags)
{
	int type = SOCK_SEQPACKET | ((flags & O_CLOEXEC) ? SOCK_CLOEXEC : 0);
	struct stat st;
	int sock, ret;

	/* Never add O_CLOEXEC ourselves: forked helpers may rely on it. */
	sock = socket(AF_UNIX, type, 0);
	if (sock < 0)
		return -1;
	ret = sock >= SHIM_MAX_FD ? -EMFILE : connect_uio(sock, minor);
	if (ret == 0)
		ret = handshake(sock);
	/* The handshake blocks; O_NONBLOCK applies to the guest's use. */
	if (ret == 0 && (flags & O_NONBLOCK) &&
	    fcntl(sock, F_SETFL, fcntl(sock, F_GETFL) | O_NONBLOCK) != 0)
		ret = -errno;
	if (ret == 0 && fstat(sock, &st) != 0)
		ret = -errno;
	if (ret != 0) {
		close(sock);
		errno = -ret;
		return -1;
	}
	track(sock, minor, &st);
	return sock;
}

static void *
map_region(void *addr, size_t len, int prot, int flags, unsigned int minor,
	   unsigned int idx)
{
	char path[PATH_MAX];
	struct stat st;
	void *p = MAP_FAILED;
	int fd, n;

	n = snprintf(path, sizeof(path), "%s/%s/uio%u/map%u", shim_root(),
		     EMU_REGION_DIR, minor, idx);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return MAP_FAILED;
	}
	fd = SHIM_REAL(open)(path, ((prot & PROT_WRITE) ? O_RDWR : O_RDONLY) |
			     O_CLOEXEC);
	/* A map the device does not have is EINVAL, as from the kernel. */
	if (fd < 0 || fstat(fd, &st) != 0 ||
	    shim_uio_mmap_len_ok(len, (uint64_t)st.st_size,
				 (size_t)sysconf(_SC_PAGESIZE)) != 0) {
		errno = EINVAL;
	} else {
		p = SHIM_REAL(mmap)(addr, len, prot, flags, fd, 0);
	}
	if (fd >= 0) {
		int e = errno;

		close(fd);
		errno = e;
	}
	return p;
}

static void *
uio_mmap(void *addr, size_t len, int prot, int flags, unsigned int minor,
	 off_t off)
{
	unsigned int idx;

	if (off < 0 || shim_uio_mmap_index((uint64_t)off, len, flags,
					   (size_t)sysconf(_SC_PAGESIZE),
					   HV_UIO_MAP_COUNT, &idx) != 0) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	return map_region(addr, len, prot, flags, minor, idx);
}

SHIM_EXPORT void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	unsigned int minor;

	if (!(flags & MAP_ANONYMOUS) && shim_uio_lookup(fd, &minor))
		return uio_mmap(addr, len, prot, flags, minor, off);
	return SHIM_REAL(mmap)(addr, len, prot, flags, fd, off);
}

SHIM_EXPORT void *
mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
	unsigned int minor;

	if (!(flags & MAP_ANONYMOUS) && shim_uio_lookup(fd, &minor))
		return uio_mmap(addr, len, prot, flags, minor, (off_t)off);
	return SHIM_REAL(mmap64)(addr, len, prot, flags, fd, off);
}

SHIM_EXPORT ssize_t
read(int fd, void *buf, size_t count)
{
	unsigned int minor;
	ssize_t n;

	if (shim_pagemap_read(fd, buf, count, NULL, &n))
		return n;
	if (!shim_uio_lookup(fd, &minor))
		return SHIM_REAL(read)(fd, buf, count);
	if (count != sizeof(int32_t)) {
		errno = EINVAL;
		return -1;
	}
	n = SHIM_REAL(read)(fd, buf, count);
	/* The emulator closed its end: only on rescind or host exit. */
	if (n == 0) {
		errno = EIO;
		return -1;
	}
	return n;
}

SHIM_EXPORT ssize_t
write(int fd, const void *buf, size_t count)
{
	unsigned int minor;
	ssize_t n;

	if (!shim_uio_lookup(fd, &minor))
		return SHIM_REAL(write)(fd, buf, count);
	if (count != sizeof(int32_t)) {
		errno = EINVAL;
		return -1;
	}
	/* MSG_NOSIGNAL: a rescinded device must not SIGPIPE the guest. */
	n = send(fd, buf, count, MSG_NOSIGNAL);
	if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
		errno = EIO;
	return n;
}
