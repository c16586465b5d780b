/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the vmbus bus's sysfs parsing (no DPDK): value parsers
 * on literal strings, file readers on fixture trees built under a
 * temporary directory the way the kernel lays them out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmbus_sysfs.h"

#define NET_GUID "f8615163-df3e-46c5-913f-f2d2f965ed0e"
#define DEV_GUID "76d4a3e2-9c1b-4f0e-a5d7-000000000001"
#define RING_SIZE 0x402000u

static char root[256];
static char devdir[512];

/* ---- fixture helpers ---- */

/* mkdir -p base[/sub]. */
static void
mkdirs(const char *base, const char *sub)
{
	char path[PATH_MAX], *p;

	snprintf(path, sizeof(path), "%s%s%s", base, sub != NULL ? "/" : "",
		 sub != NULL ? sub : "");
	for (p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
}

/* Write raw bytes (no formatting: tests need NULs and no newline). */
static void
put(const char *dir, const char *name, const char *data, size_t len)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void
puts_file(const char *dir, const char *name, const char *text)
{
	put(dir, name, text, strlen(text));
}

static void
sparse_file(const char *dir, const char *name, off_t size)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, size), 0);
	close(fd);
}

static void
rm_rf(const char *path)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	assert_int_equal(system(cmd), 0);
}

static void
write_map(unsigned int i, const char *name, const char *size)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/uio/uio0/maps/map%u", devdir, i);
	mkdirs(dir, NULL);
	puts_file(dir, "name", name);
	puts_file(dir, "size", size);
}

/* A device as uio_hv_generic on a 4 KiB-page kernel shows it. */
static void
good_device(void)
{
	char dir[PATH_MAX];

	mkdirs(devdir, NULL);
	puts_file(devdir, "class_id", "{" NET_GUID "}\n");
	puts_file(devdir, "device_id", "{" DEV_GUID "}\n");
	puts_file(devdir, "id", "15\n");
	puts_file(devdir, "monitor_id", "2\n");
	puts_file(devdir, "numa_node", "0\n");
	write_map(0, "txrx_rings\n", "0x0000000000402000\n");
	write_map(1, "int_page\n", "0x0000000000001000\n");
	write_map(2, "monitor_page\n", "0x0000000000001000\n");
	write_map(3, "recv:925200\n", "0x0000000001f00000\n");
	write_map(4, "send:925201\n", "0x0000000001000000\n");
	snprintf(dir, sizeof(dir), "%s/channels/15", devdir);
	mkdirs(dir, NULL);
	sparse_file(dir, "ring", RING_SIZE);
	puts_file(dir, "subchannel_id", "0\n");
	puts_file(dir, "monitor_id", "2\n");
}

static int
setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/test_vmbus_sysfs.XXXXXX");
	if (mkdtemp(root) == NULL)
		return -1;
	snprintf(devdir, sizeof(devdir), "%s/devices/%s", root, DEV_GUID);
	good_device();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	rm_rf(root);
	return 0;
}

/* ---- value parsers ---- */

static int
u32(const char *s, uint32_t max, uint32_t *v)
{
	return vmbus_sysfs_parse_u32(s, strlen(s), max, v);
}

static void
test_vmbus_sysfs_u32_good(void **state)
{
	uint32_t v = 99;

	(void)state;
	assert_int_equal(u32("15\n", UINT32_MAX, &v), 0);
	assert_int_equal(v, 15);
	assert_int_equal(u32("0\n", UINT32_MAX, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(u32("4294967295\n", UINT32_MAX, &v), 0);
	assert_int_equal(v, UINT32_MAX);
	assert_int_equal(u32("127\n", 127, &v), 0);
	assert_int_equal(v, 127);
}

static void
test_vmbus_sysfs_u32_bad(void **state)
{
	static const char *const bad[] = {
		"010\n",	/* octal trap: never 8, never 10 */
		"00\n", "-1\n", "+1\n", " 1\n", "1 \n", "1", "1\n\n", "\n",
		"", "0x10\n", "12a\n", "1\r\n", "4294967296\n",
		"99999999999999999999\n", "1.5\n",
	};
	uint32_t v = 7;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(u32(bad[i], UINT32_MAX, &v), -EINVAL);
		assert_int_equal(v, 7); /* untouched on error */
	}
	assert_int_equal(u32("128\n", 127, &v), -EINVAL);
	/* Embedded NUL: the length, not the terminator, counts. */
	assert_int_equal(vmbus_sysfs_parse_u32("1\0\n", 3, 10, &v), -EINVAL);
	assert_int_equal(vmbus_sysfs_parse_u32(NULL, 0, 10, &v), -EINVAL);
}

static int
hex(const char *s, uint64_t *v)
{
	return vmbus_sysfs_parse_hex_u64(s, strlen(s), v);
}

static void
test_vmbus_sysfs_hex(void **state)
{
	static const char *const bad[] = {
		"402000\n", "0x\n", "0x0000000000402000", "0x00000000004020000\n",
		"0x1g\n", "0x-1\n", " 0x1\n", "0x1 \n", "0x1\n\n", "x1\n",
		"00x1\n",
	};
	uint64_t v = 0;
	size_t i;

	(void)state;
	assert_int_equal(hex("0x0000000000402000\n", &v), 0);
	assert_int_equal(v, 0x402000);
	assert_int_equal(hex("0xFFFFFFFFFFFFFFFF\n", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(hex("0x1000\n", &v), 0);
	assert_int_equal(v, 0x1000);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(hex(bad[i], &v), -EINVAL);
}

static void
test_vmbus_sysfs_guid(void **state)
{
	static const char *const bad[] = {
		"{" NET_GUID "}",		/* no newline */
		"{" NET_GUID "}\n\n",
		"{" NET_GUID "\n",		/* unbalanced */
		NET_GUID "}\n",
		"f8615163-df3e-46c5-913f-f2d2f965ed0\n",	/* short */
		"f8615163-df3e-46c5-913f-f2d2f965ed0e0\n",	/* long */
		"f8615163-df3e-46c5-913f-f2d2f965ed0g\n",
		"f8615163_df3e-46c5-913f-f2d2f965ed0e\n",
		" " NET_GUID "\n", "\n", "",
	};
	struct hv_guid a, b;
	char text[HV_GUID_STR_LEN];
	size_t i;

	(void)state;
	assert_int_equal(vmbus_sysfs_parse_guid("{" NET_GUID "}\n",
		strlen(NET_GUID) + 3, &a), 0);
	assert_int_equal(vmbus_sysfs_parse_guid(NET_GUID "\n",
		strlen(NET_GUID) + 1, &b), 0);
	assert_true(hv_guid_equal(&a, &b));
	/* Wire order: the first group is little-endian. */
	assert_int_equal(a.b[0], 0x63);
	assert_int_equal(a.b[3], 0xf8);
	hv_guid_format(&a, text);
	assert_string_equal(text, NET_GUID);
	assert_int_equal(vmbus_sysfs_parse_guid(
		"F8615163-DF3E-46C5-913F-F2D2F965ED0E\n", 37, &b), 0);
	assert_true(hv_guid_equal(&a, &b));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(vmbus_sysfs_parse_guid(bad[i], strlen(bad[i]),
							&b), -EINVAL);
	/* A NUL inside the value is not the end of it. */
	assert_int_equal(vmbus_sysfs_parse_guid(NET_GUID "\0\n", 38, &b),
			 -EINVAL);
}

static void
test_vmbus_sysfs_numa(void **state)
{
	int n = 5;

	(void)state;
	assert_int_equal(vmbus_sysfs_parse_numa("-1\n", 3, &n), 0);
	assert_int_equal(n, VMBUS_SYSFS_NUMA_ANY);
	assert_int_equal(vmbus_sysfs_parse_numa("1\n", 2, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(vmbus_sysfs_parse_numa("-2\n", 3, &n), -EINVAL);
	assert_int_equal(vmbus_sysfs_parse_numa("-1", 2, &n), -EINVAL);
	assert_int_equal(vmbus_sysfs_parse_numa("4096\n", 5, &n), -EINVAL);
	assert_int_equal(vmbus_sysfs_parse_numa("01\n", 3, &n), -EINVAL);
}

static int
mapname(const char *s, enum hv_uio_map i, uint32_t *g)
{
	return vmbus_sysfs_parse_map_name(s, strlen(s), i, g);
}

static void
test_vmbus_sysfs_map_name(void **state)
{
	uint32_t g = 77;

	(void)state;
	assert_int_equal(mapname("txrx_rings\n", HV_UIO_MAP_TXRX_RING, &g), 0);
	assert_int_equal(g, 0);
	assert_int_equal(mapname("int_page\n", HV_UIO_MAP_INT_PAGE, &g), 0);
	assert_int_equal(mapname("monitor_page\n", HV_UIO_MAP_MONITOR_PAGE,
				 &g), 0);
	assert_int_equal(mapname("recv:925200\n", HV_UIO_MAP_RECV_BUF, &g), 0);
	assert_int_equal(g, 925200);
	assert_int_equal(mapname("send:4294967295\n", HV_UIO_MAP_SEND_BUF,
				 &g), 0);
	assert_int_equal(g, UINT32_MAX);

	assert_int_equal(mapname("recv:\n", HV_UIO_MAP_RECV_BUF, &g), -EINVAL);
	assert_int_equal(mapname("recv\n", HV_UIO_MAP_RECV_BUF, &g), -EINVAL);
	assert_int_equal(mapname("recv:0\n", HV_UIO_MAP_RECV_BUF, &g), -EINVAL);
	assert_int_equal(mapname("recv:010\n", HV_UIO_MAP_RECV_BUF, &g),
			 -EINVAL);
	assert_int_equal(mapname("recv:0x10\n", HV_UIO_MAP_RECV_BUF, &g),
			 -EINVAL);
	assert_int_equal(mapname("recv:12x\n", HV_UIO_MAP_RECV_BUF, &g),
			 -EINVAL);
	assert_int_equal(mapname("recv:4294967296\n", HV_UIO_MAP_RECV_BUF, &g),
			 -EINVAL);
	assert_int_equal(mapname("send:5", HV_UIO_MAP_SEND_BUF, &g), -EINVAL);
	/* Right name, wrong slot. */
	assert_int_equal(mapname("send:5\n", HV_UIO_MAP_RECV_BUF, &g), -EINVAL);
	assert_int_equal(mapname("int_page\n", HV_UIO_MAP_TXRX_RING, &g),
			 -EINVAL);
	assert_int_equal(mapname("txrx_rings2\n", HV_UIO_MAP_TXRX_RING, &g),
			 -EINVAL);
	assert_int_equal(mapname("txrx_rings:1\n", HV_UIO_MAP_TXRX_RING, &g),
			 -EINVAL);
	assert_int_equal(mapname("txrx_rings\n", HV_UIO_MAP_COUNT, &g),
			 -EINVAL);
}

static void
test_vmbus_sysfs_ring_size(void **state)
{
	(void)state;
	assert_int_equal(vmbus_sysfs_check_ring_size(RING_SIZE, 4096), 0);
	assert_int_equal(vmbus_sysfs_check_ring_size(2 * 8192, 4096), 0);
	/* Each half must be more than its header page. */
	assert_int_equal(vmbus_sysfs_check_ring_size(2 * 4096, 4096), -EINVAL);
	assert_int_equal(vmbus_sysfs_check_ring_size(0, 4096), -EINVAL);
	assert_int_equal(vmbus_sysfs_check_ring_size(RING_SIZE + 1, 4096),
			 -EINVAL);
	assert_int_equal(vmbus_sysfs_check_ring_size(RING_SIZE + 2048, 4096),
			 -EINVAL);
	/* 64 KiB system pages: halves must be multiples of them. */
	assert_int_equal(vmbus_sysfs_check_ring_size(RING_SIZE, 65536),
			 -EINVAL);
	assert_int_equal(vmbus_sysfs_check_ring_size(2 * 65536, 65536),
			 -EINVAL);
	assert_int_equal(vmbus_sysfs_check_ring_size(4 * 65536, 65536), 0);
	/* A half whose data area would not fit 32-bit indices. */
	assert_int_equal(vmbus_sysfs_check_ring_size(1ULL << 34, 4096),
			 -EINVAL);
	/* No page size is an error, not a division by zero. */
	assert_int_equal(vmbus_sysfs_check_ring_size(RING_SIZE, 0), -EINVAL);
}

/* ---- file readers ---- */

static void
test_vmbus_sysfs_read_file(void **state)
{
	char buf[8];
	size_t len = 0;

	(void)state;
	assert_int_equal(vmbus_sysfs_read(devdir, "nope", buf, sizeof(buf),
					  &len), -ENOENT);
	puts_file(devdir, "x", "1234567");	/* exactly fits with NUL */
	assert_int_equal(vmbus_sysfs_read(devdir, "x", buf, sizeof(buf), &len),
			 0);
	assert_int_equal(len, 7);
	assert_string_equal(buf, "1234567");
	puts_file(devdir, "x", "12345678");	/* one too many */
	assert_int_equal(vmbus_sysfs_read(devdir, "x", buf, sizeof(buf), &len),
			 -EMSGSIZE);
}

static void
test_vmbus_sysfs_dev_good(void **state)
{
	struct vmbus_sysfs_dev d;
	const char *bad = "x";
	char text[HV_GUID_STR_LEN];

	(void)state;
	assert_int_equal(vmbus_sysfs_read_dev(devdir, &d, &bad), 0);
	assert_null(bad);
	hv_guid_format(&d.class_id, text);
	assert_string_equal(text, NET_GUID);
	hv_guid_format(&d.device_id, text);
	assert_string_equal(text, DEV_GUID);
	assert_int_equal(d.relid, 15);
	assert_int_equal(d.monitor_id, 2);
	assert_int_equal(d.numa_node, 0);

	/* Optional files: channels without a monitor, no NUMA info. */
	{
		char p[PATH_MAX];

		snprintf(p, sizeof(p), "%s/monitor_id", devdir);
		assert_int_equal(unlink(p), 0);
		snprintf(p, sizeof(p), "%s/numa_node", devdir);
		assert_int_equal(unlink(p), 0);
	}
	assert_int_equal(vmbus_sysfs_read_dev(devdir, &d, &bad), 0);
	assert_int_equal(d.monitor_id, VMBUS_SYSFS_NO_MONITOR);
	assert_int_equal(d.numa_node, VMBUS_SYSFS_NUMA_ANY);
	puts_file(devdir, "numa_node", "-1\n");
	assert_int_equal(vmbus_sysfs_read_dev(devdir, &d, &bad), 0);
	assert_int_equal(d.numa_node, VMBUS_SYSFS_NUMA_ANY);
}

/* Replace one attribute, read, expect an error naming that file. */
static void
expect_dev_error(const char *file, const char *value, int err)
{
	struct vmbus_sysfs_dev d;
	const char *bad = NULL;

	if (value != NULL) {
		puts_file(devdir, file, value);
	} else {
		char p[PATH_MAX];

		snprintf(p, sizeof(p), "%s/%s", devdir, file);
		assert_int_equal(unlink(p), 0);
	}
	assert_int_equal(vmbus_sysfs_read_dev(devdir, &d, &bad), err);
	assert_non_null(bad);
	assert_string_equal(bad, file);
}

static void
test_vmbus_sysfs_dev_bad(void **state)
{
	char big[200];

	(void)state;
	memset(big, '1', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	expect_dev_error("id", "010\n", -EINVAL);
	expect_dev_error("id", "0\n", -EINVAL);	/* relid 0 is the bus's */
	expect_dev_error("id", "16384\n", -EINVAL);
	expect_dev_error("id", "15", -EINVAL);
	expect_dev_error("id", "0xf\n", -EINVAL);
	expect_dev_error("id", NULL, -ENOENT);
	puts_file(devdir, "id", "15\n");
	expect_dev_error("monitor_id", "128\n", -EINVAL);
	expect_dev_error("monitor_id", "-1\n", -EINVAL);
	puts_file(devdir, "monitor_id", "2\n");
	expect_dev_error("numa_node", "node0\n", -EINVAL);
	puts_file(devdir, "numa_node", "0\n");
	expect_dev_error("device_id", "{" NET_GUID "\n", -EINVAL);
	expect_dev_error("device_id", big, -EMSGSIZE);
	expect_dev_error("device_id", NULL, -ENOENT);
	puts_file(devdir, "device_id", DEV_GUID "\n");
	expect_dev_error("class_id", "", -EINVAL);
	expect_dev_error("class_id", NULL, -ENOENT);
}

static void
test_vmbus_sysfs_dev_oversize(void **state)
{
	struct vmbus_sysfs_dev d;
	const char *bad = NULL;
	char big[200];

	(void)state;
	memset(big, '1', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	put(devdir, "id", big, sizeof(big));
	assert_int_equal(vmbus_sysfs_read_dev(devdir, &d, &bad), -EMSGSIZE);
	assert_string_equal(bad, "id");
}

static void
test_vmbus_sysfs_uio_minor(void **state)
{
	uint32_t minor = 99;
	char dir[PATH_MAX];

	(void)state;
	assert_int_equal(vmbus_sysfs_uio_minor(devdir, &minor), 0);
	assert_int_equal(minor, 0);
	snprintf(dir, sizeof(dir), "%s/uio/uio3", devdir);
	mkdirs(dir, NULL);
	/* Two UIO devices for one channel: not something we understand. */
	assert_int_equal(vmbus_sysfs_uio_minor(devdir, &minor), -EINVAL);
	snprintf(dir, sizeof(dir), "%s/uio", devdir);
	rm_rf(dir);
	/* Not bound to uio_hv_generic. */
	assert_int_equal(vmbus_sysfs_uio_minor(devdir, &minor), -ENOENT);
	mkdirs(dir, NULL);
	assert_int_equal(vmbus_sysfs_uio_minor(devdir, &minor), -ENOENT);
	mkdirs(devdir, "uio/uio03");
	assert_int_equal(vmbus_sysfs_uio_minor(devdir, &minor), -EINVAL);
	rm_rf(dir);
	mkdirs(devdir, "uio/uio12");
	assert_int_equal(vmbus_sysfs_uio_minor(devdir, &minor), 0);
	assert_int_equal(minor, 12);
}

static int
maps(unsigned int n, size_t pg, struct vmbus_sysfs_map *m,
     unsigned int *bad_map, const char **bad_file)
{
	return vmbus_sysfs_read_maps(devdir, 0, n, pg, m, bad_map, bad_file);
}

static void
test_vmbus_sysfs_maps_good(void **state)
{
	struct vmbus_sysfs_map m[HV_UIO_MAP_COUNT];
	unsigned int bm;
	const char *bf;

	(void)state;
	assert_int_equal(maps(5, 4096, m, &bm, &bf), 0);
	assert_true(m[0].size == RING_SIZE);
	assert_true(m[1].size == 4096 && m[2].size == 4096);
	assert_true(m[3].size == 0x1f00000 && m[4].size == 0x1000000);
	assert_int_equal(m[3].gpadl, 925200);
	assert_int_equal(m[4].gpadl, 925201);
	assert_int_equal(m[0].gpadl, 0);
	/* Only 3 asked for, but the kernel has 5: count mismatch. */
	assert_int_equal(maps(3, 4096, m, &bm, &bf), -EINVAL);
	assert_int_equal(bm, 3);
	assert_int_equal(maps(4, 4096, m, &bm, &bf), -EINVAL);
	/* 64 KiB pages: map 0 of a 4 KiB kernel is unusable. */
	assert_int_equal(maps(5, 65536, m, &bm, &bf), -EINVAL);
	assert_int_equal(bm, 0);
	assert_string_equal(bf, "size");
}

static void
expect_map_error(unsigned int i, const char *name, const char *size,
		 int err, const char *file)
{
	struct vmbus_sysfs_map m[HV_UIO_MAP_COUNT];
	unsigned int bm = 99;
	const char *bf = NULL;

	write_map(i, name, size);
	assert_int_equal(maps(5, 4096, m, &bm, &bf), err);
	assert_int_equal(bm, i);
	assert_string_equal(bf, file);
}

static void
test_vmbus_sysfs_maps_bad(void **state)
{
	char dir[PATH_MAX];

	(void)state;
	expect_map_error(3, "recv:\n", "0x1000\n", -EINVAL, "name");
	expect_map_error(3, "recv\n", "0x1000\n", -EINVAL, "name");
	expect_map_error(3, "send:1\n", "0x1000\n", -EINVAL, "name");
	expect_map_error(3, "recv:1\n", "4096\n", -EINVAL, "size");
	expect_map_error(3, "recv:1\n", "0x1000", -EINVAL, "size");
	write_map(3, "recv:925200\n", "0x0000000001f00000\n");
	expect_map_error(0, "txrx_rings\n", "0x0000000000402800\n", -EINVAL,
			 "size");
	expect_map_error(0, "txrx_rings\n", "0x0000000000002000\n", -EINVAL,
			 "size");
	write_map(0, "txrx_rings\n", "0x0000000000402000\n");
	expect_map_error(1, "int_page\n", "0x0000000000000800\n", -EINVAL,
			 "size");
	write_map(1, "int_page\n", "0x0000000000001000\n");
	expect_map_error(2, "int_page\n", "0x0000000000001000\n", -EINVAL,
			 "name");
	write_map(2, "monitor_page\n", "0x0000000000001000\n");
	/* An unknown sixth map. */
	expect_map_error(5, "extra\n", "0x1000\n", -EINVAL,
			 "(unexpected map)");
	snprintf(dir, sizeof(dir), "%s/uio/uio0/maps/map5", devdir);
	rm_rf(dir);
	/* A missing map. */
	snprintf(dir, sizeof(dir), "%s/uio/uio0/maps/map4", devdir);
	rm_rf(dir);
	{
		struct vmbus_sysfs_map m[HV_UIO_MAP_COUNT];
		unsigned int bm = 0;
		const char *bf = NULL;

		assert_int_equal(maps(5, 4096, m, &bm, &bf), -ENOENT);
		assert_int_equal(bm, 4);
		assert_string_equal(bf, "name");
		assert_int_equal(maps(7, 4096, m, &bm, &bf), -EINVAL);
	}
}

static void
test_vmbus_sysfs_chan(void **state)
{
	struct vmbus_sysfs_chan c;
	const char *bad;
	char dir[1024], p[PATH_MAX];

	(void)state;
	assert_int_equal(vmbus_sysfs_read_chan(devdir, 15, 4096, &c, &bad), 0);
	assert_int_equal(c.relid, 15);
	assert_int_equal(c.subchannel_id, 0);
	assert_int_equal(c.monitor_id, 2);
	assert_true(c.ring_size == RING_SIZE);
	assert_int_equal(vmbus_sysfs_read_chan(devdir, 16, 4096, &c, &bad),
			 -ENOENT);

	/* Published one file at a time: incomplete means retry. */
	snprintf(dir, sizeof(dir), "%s/channels/16", devdir);
	mkdirs(dir, NULL);
	assert_int_equal(vmbus_sysfs_read_chan(devdir, 16, 4096, &c, &bad),
			 -EAGAIN);
	sparse_file(dir, "ring", 0x400000);
	assert_int_equal(vmbus_sysfs_read_chan(devdir, 16, 4096, &c, &bad),
			 -EAGAIN);
	assert_string_equal(bad, "subchannel_id");
	puts_file(dir, "subchannel_id", "01\n");
	assert_int_equal(vmbus_sysfs_read_chan(devdir, 16, 4096, &c, &bad),
			 -EINVAL);
	assert_string_equal(bad, "subchannel_id");
	puts_file(dir, "subchannel_id", "1\n");
	assert_int_equal(vmbus_sysfs_read_chan(devdir, 16, 4096, &c, &bad), 0);
	assert_int_equal(c.subchannel_id, 1);
	assert_int_equal(c.monitor_id, VMBUS_SYSFS_NO_MONITOR);
	puts_file(dir, "monitor_id", "300\n");
	assert_int_equal(vmbus_sysfs_read_chan(devdir, 16, 4096, &c, &bad),
			 -EINVAL);
	assert_string_equal(bad, "monitor_id");
	snprintf(p, sizeof(p), "%s/monitor_id", dir);
	unlink(p);
	/* Ring size not a multiple of 4096. */
	sparse_file(dir, "ring", 0x400000 + 2048);
	assert_int_equal(vmbus_sysfs_read_chan(devdir, 16, 4096, &c, &bad),
			 -EINVAL);
	assert_string_equal(bad, "ring");
	sparse_file(dir, "ring", 0);
	assert_int_equal(vmbus_sysfs_read_chan(devdir, 16, 4096, &c, &bad),
			 -EINVAL);
}

static void
test_vmbus_sysfs_list_chans(void **state)
{
	uint32_t r[4];
	unsigned int n = 9;

	(void)state;
	assert_int_equal(vmbus_sysfs_list_chans(devdir, r, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(r[0], 15);
	mkdirs(devdir, "channels/16");
	mkdirs(devdir, "channels/.tmp-17");
	assert_int_equal(vmbus_sysfs_list_chans(devdir, r, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(r[0] + r[1], 31);
	assert_int_equal(vmbus_sysfs_list_chans(devdir, r, 1, &n), -ENOBUFS);
	mkdirs(devdir, "channels/017");
	assert_int_equal(vmbus_sysfs_list_chans(devdir, r, 4, &n), -EINVAL);
	rm_rf(devdir);
	mkdirs(devdir, NULL);
	assert_int_equal(vmbus_sysfs_list_chans(devdir, r, 4, &n), -ENOENT);
	assert_false(vmbus_sysfs_has_ring_file(devdir, 15));
}

static void
test_vmbus_sysfs_has_ring(void **state)
{
	char p[PATH_MAX];

	(void)state;
	assert_true(vmbus_sysfs_has_ring_file(devdir, 15));
	assert_false(vmbus_sysfs_has_ring_file(devdir, 16));
	/* 4.16: channel directories without ring files. */
	snprintf(p, sizeof(p), "%s/channels/15/ring", devdir);
	assert_int_equal(unlink(p), 0);
	assert_false(vmbus_sysfs_has_ring_file(devdir, 15));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vmbus_sysfs_u32_good),
		cmocka_unit_test(test_vmbus_sysfs_u32_bad),
		cmocka_unit_test(test_vmbus_sysfs_hex),
		cmocka_unit_test(test_vmbus_sysfs_guid),
		cmocka_unit_test(test_vmbus_sysfs_numa),
		cmocka_unit_test(test_vmbus_sysfs_map_name),
		cmocka_unit_test(test_vmbus_sysfs_ring_size),
		T(test_vmbus_sysfs_read_file),
		T(test_vmbus_sysfs_dev_good),
		T(test_vmbus_sysfs_dev_bad),
		T(test_vmbus_sysfs_dev_oversize),
		T(test_vmbus_sysfs_uio_minor),
		T(test_vmbus_sysfs_maps_good),
		T(test_vmbus_sysfs_maps_bad),
		T(test_vmbus_sysfs_chan),
		T(test_vmbus_sysfs_list_chans),
		T(test_vmbus_sysfs_has_ring),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
