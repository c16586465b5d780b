/* SPDX-License-Identifier: BSD-3-Clause */
/* The face check of uio_abi_check.h. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv_chan_geom.h"
#include "uio_abi_check.h"
#include "uio_abi_table.h"

#define MAX_CHANS 64
#define LINE_MAX_LEN 256

struct ctx {
	const char *devdir;
	size_t page_size;
	uio_abi_fail_fn *fail;
	void *arg;
	int failures;
	unsigned int checked;
	char minor[16];       /* "" when uio/ has not exactly one uioN */
	char id[16];          /* "" when the id file is unreadable */
	uint64_t map0_size;   /* 0 when unknown */
};

static void failf(struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
failf(struct ctx *c, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	c->fail(c->arg, buf);
	c->failures++;
}

/* The one line of a text file without its newline; -errno or -EINVAL. */
static int
read_line(const char *path, char *line, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, line, size - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	line[n] = '\0';
	/* Exactly one newline, at the end. */
	if (n == 0 || line[n - 1] != '\n' || memchr(line, '\n', (size_t)n - 1))
		return -EINVAL;
	line[n - 1] = '\0';
	return 0;
}

/* Non-dot entries of dir into names (NUL-separated slots); count or -errno. */
static int
list_dir(const char *dir, char names[][16], int max)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -errno;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == max || strlen(e->d_name) >= 16) {
			closedir(d);
			return -ENOBUFS;
		}
		snprintf(names[n++], 16, "%s", e->d_name);
	}
	closedir(d);
	return n;
}

/* tmpl with the placeholder key replaced by val. */
static void
subst(char *out, size_t size, const char *tmpl, const char *key, const char *val)
{
	const char *p = strstr(tmpl, key);

	if (p == NULL)
		snprintf(out, size, "%s", tmpl);
	else
		snprintf(out, size, "%.*s%s%s", (int)(p - tmpl), tmpl, val,
			 p + strlen(key));
}

static int
size_rule(const struct ctx *c, int rule, uint64_t v)
{
	switch (rule) {
	case UIO_ABI_RULE_NONE:
		return 0;
	case UIO_ABI_RULE_RING:
		return hv_chan_ring_size_check(v, c->page_size);
	case UIO_ABI_RULE_MAP0:
		return hv_chan_ring_size_check(v, c->page_size) == 0 &&
		       c->map0_size != 0 && v == c->map0_size ? 0 : -EINVAL;
	case UIO_ABI_RULE_HV_PAGE:
		return v == 4096 ? 0 : -EINVAL;
	case UIO_ABI_RULE_BUFFER:
		return v != 0 && v % c->page_size == 0 ? 0 : -EINVAL;
	}
	return -EINVAL;
}

static const char *const rule_names[] = {
	"", "ring", "map0", "hv-page", "buffer",
};

/* One concrete path of a row. */
static void
check_path(struct ctx *c, const struct uio_abi_row *r, const char *rel)
{
	char path[512], line[LINE_MAX_LEN];
	struct stat st;
	int ret;

	c->checked++;
	snprintf(path, sizeof(path), "%s/%s", c->devdir, rel);
	if (stat(path, &st) != 0) {
		if (r->presence == UIO_ABI_REQUIRED || r->presence == UIO_ABI_ONE)
			failf(c, "%s: missing (%s)", rel, strerror(errno));
		return;
	}
	if (r->presence == UIO_ABI_ABSENT) {
		failf(c, "%s: exists, must not", rel);
		return;
	}
	if (r->kind == UIO_ABI_DIR) {
		if (!S_ISDIR(st.st_mode))
			failf(c, "%s: not a directory", rel);
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		failf(c, "%s: not a regular file", rel);
		return;
	}
	if (r->kind == UIO_ABI_RING) {
		if (size_rule(c, r->rule, (uint64_t)st.st_size) != 0)
			failf(c, "%s: size %lld breaks rule %s", rel,
			      (long long)st.st_size, rule_names[r->rule]);
		return;
	}
	ret = read_line(path, line, sizeof(line));
	if (ret != 0) {
		failf(c, "%s: not one line ending in a newline (%d)", rel, ret);
		return;
	}
	if (r->pattern != NULL) {
		regex_t re;

		if (regcomp(&re, r->pattern, REG_EXTENDED | REG_NOSUB) != 0) {
			failf(c, "%s: bad pattern %s", rel, r->pattern);
			return;
		}
		ret = regexec(&re, line, 0, NULL, 0);
		regfree(&re);
		if (ret != 0) {
			failf(c, "%s: \"%s\" does not match %s", rel, line, r->pattern);
			return;
		}
	}
	if (r->rule != UIO_ABI_RULE_NONE &&
	    size_rule(c, r->rule, strtoull(line, NULL, 0)) != 0)
		failf(c, "%s: %s breaks rule %s", rel, line, rule_names[r->rule]);
}

static void
check_row(struct ctx *c, const struct uio_abi_row *r, char relids[][16], int nrel)
{
	char a[256], b[256];
	int i;

	if (strstr(r->path, "<N>") != NULL && c->minor[0] == '\0') {
		/* Reported once by the row that finds uioN. */
		if (r->presence == UIO_ABI_ONE)
			failf(c, "%s: not exactly one uio device", r->path);
		return;
	}
	if (strstr(r->path, "<id>") != NULL && c->id[0] == '\0') {
		failf(c, "%s: no primary relid (id unreadable)", r->path);
		return;
	}
	subst(a, sizeof(a), r->path, "<N>", c->minor);
	subst(b, sizeof(b), a, "<id>", c->id);
	if (strstr(b, "<relid>") == NULL) {
		check_path(c, r, b);
		return;
	}
	for (i = 0; i < nrel; i++) {
		subst(a, sizeof(a), b, "<relid>", relids[i]);
		check_path(c, r, a);
	}
}

int
uio_abi_check(const char *devdir, size_t page_size, uio_abi_fail_fn *fail,
	      void *arg, unsigned int *checked)
{
	struct ctx c = {
		.devdir = devdir, .page_size = page_size, .fail = fail, .arg = arg,
	};
	char names[MAX_CHANS][16], path[512], line[LINE_MAX_LEN];
	int n;
	size_t i;

	snprintf(path, sizeof(path), "%s/uio", devdir);
	n = list_dir(path, names, MAX_CHANS);
	if (n == 1 && strncmp(names[0], "uio", 3) == 0 && names[0][3] != '\0')
		snprintf(c.minor, sizeof(c.minor), "%.12s", names[0] + 3);
	snprintf(path, sizeof(path), "%s/id", devdir);
	if (read_line(path, line, sizeof(line)) == 0 && strlen(line) < sizeof(c.id))
		snprintf(c.id, sizeof(c.id), "%s", line);
	if (c.minor[0] != '\0') {
		snprintf(path, sizeof(path), "%s/uio/uio%s/maps/map0/size", devdir,
			 c.minor);
		if (read_line(path, line, sizeof(line)) == 0)
			c.map0_size = strtoull(line, NULL, 0);
	}
	snprintf(path, sizeof(path), "%s/channels", devdir);
	n = list_dir(path, names, MAX_CHANS);
	if (n < 0)
		n = 0;	/* the channels row reports it */
	for (i = 0; i < sizeof(uio_abi_rows) / sizeof(uio_abi_rows[0]); i++)
		check_row(&c, &uio_abi_rows[i], names, n);
	if (checked != NULL)
		*checked = c.checked;
	return c.failures;
}
