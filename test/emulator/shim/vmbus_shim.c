/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libvmbus_emu_shim.so, path part: every libc entry point a consumer of
 * sysfs/devfs may call with a path under /sys/bus/vmbus, /sys/class/uio
 * or /dev/uioN is redirected to $VMBUS_EMU_ROOT. Wrapping open/openat is
 * not enough: glibc's fopen/opendir reach the kernel through internal
 * calls, so each public API is wrapped, in its plain, *64, fortified
 * (__*_2) and pre-2.33 (__xstat) spellings.
 */
#define _GNU_SOURCE
#undef _FORTIFY_SOURCE
/* We define both the plain and the *64 names: no header redirection. */
#undef _FILE_OFFSET_BITS
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu_proto.h"
#include "shim_internal.h"
#include "shim_path.h"

#define SHIM_EXPORT __attribute__((visibility("default")))

static char shim_root_buf[PATH_MAX];
static const char *shim_root_ptr;
static pthread_once_t shim_root_once = PTHREAD_ONCE_INIT;

static void
shim_root_init(void)
{
	const char *r = getenv(EMU_ENV_ROOT);
	size_t n;

	if (r == NULL || r[0] != '/' || strlen(r) >= sizeof(shim_root_buf))
		return;
	strcpy(shim_root_buf, r);
	/* "/x/" + "/sys/..." would still work, but keep prefixes canonical. */
	n = strlen(shim_root_buf);
	while (n > 1 && shim_root_buf[n - 1] == '/')
		shim_root_buf[--n] = '\0';
	shim_root_ptr = shim_root_buf;
}

const char *
shim_root(void)
{
	pthread_once(&shim_root_once, shim_root_init);
	return shim_root_ptr;
}

const char *
shim_map_path(const char *path, char *buf)
{
	int ret;

	ret = shim_path_rewrite(shim_root(), path, buf, PATH_MAX);
	if (ret < 0) {
		errno = -ret;
		return NULL;
	}
	return ret > 0 ? buf : path;
}

/* Declarations the public headers omit (fortify and compat entries). */
SHIM_EXPORT int __open_2(const char *path, int flags);
SHIM_EXPORT int __open64_2(const char *path, int flags);
SHIM_EXPORT int __openat_2(int dirfd, const char *path, int flags);
SHIM_EXPORT int __openat64_2(int dirfd, const char *path, int flags);
SHIM_EXPORT int __xstat(int ver, const char *path, struct stat *st);
SHIM_EXPORT int __xstat64(int ver, const char *path, struct stat64 *st);
SHIM_EXPORT int __lxstat(int ver, const char *path, struct stat *st);
SHIM_EXPORT int __lxstat64(int ver, const char *path, struct stat64 *st);
SHIM_EXPORT int __fxstatat(int ver, int dirfd, const char *path,
			   struct stat *st, int flags);
SHIM_EXPORT int __fxstatat64(int ver, int dirfd, const char *path,
			     struct stat64 *st, int flags);

#define MAP_OR_FAIL(var, path, fail)                                      \
	char var##_buf[PATH_MAX];                                          \
	const char *var = shim_map_path((path), var##_buf);                \
	if (var == NULL)                                                   \
		return fail

static bool
uio_path(const char *path, unsigned int *minor)
{
	return path != NULL && shim_root() != NULL &&
	       shim_path_uio_index(path, minor);
}

static mode_t
open_mode(int flags, va_list ap)
{
	/* The mode argument exists only when the call may create a file. */
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		return (mode_t)va_arg(ap, int);
	return 0;
}

/* ---- stdio and directories ---- */

SHIM_EXPORT FILE *
fopen(const char *path, const char *mode)
{
	MAP_OR_FAIL(p, path, NULL);
	return SHIM_REAL(fopen)(p, mode);
}

SHIM_EXPORT FILE *
fopen64(const char *path, const char *mode)
{
	MAP_OR_FAIL(p, path, NULL);
	return SHIM_REAL(fopen64)(p, mode);
}

SHIM_EXPORT FILE *
freopen(const char *path, const char *mode, FILE *stream)
{
	char buf[PATH_MAX];
	const char *p = path;

	/* A NULL path is legal here: reopen the same file in a new mode. */
	if (p != NULL && (p = shim_map_path(path, buf)) == NULL)
		return NULL;
	return SHIM_REAL(freopen)(p, mode, stream);
}

SHIM_EXPORT FILE *
freopen64(const char *path, const char *mode, FILE *stream)
{
	char buf[PATH_MAX];
	const char *p = path;

	/* A NULL path is legal here: reopen the same file in a new mode. */
	if (p != NULL && (p = shim_map_path(path, buf)) == NULL)
		return NULL;
	return SHIM_REAL(freopen64)(p, mode, stream);
}

SHIM_EXPORT DIR *
opendir(const char *path)
{
	MAP_OR_FAIL(p, path, NULL);
	return SHIM_REAL(opendir)(p);
}

SHIM_EXPORT int
scandir(const char *path, struct dirent ***list,
	int (*sel)(const struct dirent *),
	int (*cmp)(const struct dirent **, const struct dirent **))
{
	MAP_OR_FAIL(p, path, -1);
	return SHIM_REAL(scandir)(p, list, sel, cmp);
}

SHIM_EXPORT int
scandir64(const char *path, struct dirent64 ***list,
	  int (*sel)(const struct dirent64 *),
	  int (*cmp)(const struct dirent64 **, const struct dirent64 **))
{
	MAP_OR_FAIL(p, path, -1);
	return SHIM_REAL(scandir64)(p, list, sel, cmp);
}

/* ---- open family ---- */

SHIM_EXPORT int
open(const char *path, int flags, ...)
{
	unsigned int minor;
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	if (uio_path(path, &minor))
		return shim_uio_open(minor, flags);
	if (shim_pagemap_path(path))
		return shim_pagemap_open(flags);
	MAP_OR_FAIL(p, path, -1);
	return SHIM_REAL(open)(p, flags, mode);
}

SHIM_EXPORT int
open64(const char *path, int flags, ...)
{
	unsigned int minor;
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	if (uio_path(path, &minor))
		return shim_uio_open(minor, flags);
	if (shim_pagemap_path(path))
		return shim_pagemap_open(flags);
	MAP_OR_FAIL(p, path, -1);
	return SHIM_REAL(open64)(p, flags, mode);
}

SHIM_EXPORT int
__open_2(const char *path, int flags)
{
	return open(path, flags);
}

SHIM_EXPORT int
__open64_2(const char *path, int flags)
{
	return open64(path, flags);
}

SHIM_EXPORT int
openat(int dirfd, const char *path, int flags, ...)
{
	unsigned int minor;
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	if (uio_path(path, &minor))
		return shim_uio_open(minor, flags);
	if (shim_pagemap_path(path))
		return shim_pagemap_open(flags);
	MAP_OR_FAIL(p, path, -1);
	return SHIM_REAL(openat)(dirfd, p, flags, mode);
}

SHIM_EXPORT int
openat64(int dirfd, const char *path, int flags, ...)
{
	unsigned int minor;
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	if (uio_path(path, &minor))
		return shim_uio_open(minor, flags);
	if (shim_pagemap_path(path))
		return shim_pagemap_open(flags);
	MAP_OR_FAIL(p, path, -1);
	return SHIM_REAL(openat64)(dirfd, p, flags, mode);
}

SHIM_EXPORT int
__openat_2(int dirfd, const char *path, int flags)
{
	return openat(dirfd, path, flags);
}

SHIM_EXPORT int
__openat64_2(int dirfd, const char *path, int flags)
{
	return openat64(dirfd, path, flags);
}

/* ---- access ---- */

SHIM_EXPORT int
access(const char *path, int mode)
{
	MAP_OR_FAIL(p, path, -1);
	return SHIM_REAL(access)(p, mode);
}

SHIM_EXPORT int
faccessat(int dirfd, const char *path, int mode, int flags)
{
	MAP_OR_FAIL(p, path, -1);
	return SHIM_REAL(faccessat)(dirfd, p, mode, flags);
}

SHIM_EXPORT int
eaccess(const char *path, int mode)
{
	MAP_OR_FAIL(p, path, -1);
	return SHIM_REAL(eaccess)(p, mode);
}

SHIM_EXPORT int
euidaccess(const char *path, int mode)
{
	MAP_OR_FAIL(p, path, -1);
	return SHIM_REAL(euidaccess)(p, mode);
}

/* ---- stat family ---- */

SHIM_EXPORT int
stat(const char *path, struct stat *st)
{
	MAP_OR_FAIL(p, path, -1);
	return SHIM_REAL(stat)(p, st);
}

SHIM_EXPORT int
stat64(const char *path, struct stat64 *st)
{
	MAP_OR_FAIL(p, path, -1);
	return SHIM_REAL(stat64)(p, st);
}

SHIM_EXPORT int
lstat(const char *path, struct stat *st)
{
	MAP_OR_FAIL(p, path, -1);
	return SHIM_REAL(lstat)(p, st);
}

SHIM_EXPORT int
lstat64(const char *path, struct stat64 *st)
{
	MAP_OR_FAIL(p, path, -1);
	return SHIM_REAL(lstat64)(p, st);
}

SHIM_EXPORT int
fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	MAP_OR_FAIL(p, path, -1);
	return SHIM_REAL(fstatat)(dirfd, p, st, flags);
}

SHIM_EXPORT int
fstatat64(int dirfd, const char *path, struct stat64 *st, int flags)
{
	MAP_OR_FAIL(p, path, -1);
	return SHIM_REAL(fstatat64)(dirfd, p, st, flags);
}

/* coreutils and newer glibc users call statx directly. */
SHIM_EXPORT int
statx(int dirfd, const char *path, int flags, unsigned int mask,
      struct statx *st)
{
	MAP_OR_FAIL(p, path, -1);
	return SHIM_REAL(statx)(dirfd, p, flags, mask, st);
}

/*
 * Binaries built against glibc < 2.33 call __xstat & co. Their struct
 * layout for the only x86_64 version (1) is struct stat, so the modern
 * entry points serve them; no compat symbol lookup is needed.
 */
SHIM_EXPORT int
__xstat(int ver, const char *path, struct stat *st)
{
	(void)ver;
	return stat(path, st);
}

SHIM_EXPORT int
__xstat64(int ver, const char *path, struct stat64 *st)
{
	(void)ver;
	return stat64(path, st);
}

SHIM_EXPORT int
__lxstat(int ver, const char *path, struct stat *st)
{
	(void)ver;
	return lstat(path, st);
}

SHIM_EXPORT int
__lxstat64(int ver, const char *path, struct stat64 *st)
{
	(void)ver;
	return lstat64(path, st);
}

SHIM_EXPORT int
__fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags)
{
	(void)ver;
	return fstatat(dirfd, path, st, flags);
}

SHIM_EXPORT int
__fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags)
{
	(void)ver;
	return fstatat64(dirfd, path, st, flags);
}

/* ---- links and names ---- */

SHIM_EXPORT ssize_t
readlink(const char *path, char *buf, size_t len)
{
	MAP_OR_FAIL(p, path, -1);
	return SHIM_REAL(readlink)(p, buf, len);
}

SHIM_EXPORT ssize_t
readlinkat(int dirfd, const char *path, char *buf, size_t len)
{
	MAP_OR_FAIL(p, path, -1);
	return SHIM_REAL(readlinkat)(dirfd, p, buf, len);
}

/* The answer must name /sys/..., not the emulator's root. */
static void
strip_root(char *resolved)
{
	char canon[PATH_MAX];

	shim_path_strip_root(shim_root(), resolved);
	if (SHIM_REAL(realpath)(shim_root(), canon) != NULL)
		shim_path_strip_root(canon, resolved);
}

SHIM_EXPORT char *
realpath(const char *path, char *resolved)
{
	char *r;

	MAP_OR_FAIL(p, path, NULL);
	r = SHIM_REAL(realpath)(p, resolved);
	if (r != NULL && p != path)
		strip_root(r);
	return r;
}
