/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * uio_face: runs inside the QEMU guest (statically linked, PID 1's
 * child) and checks a UIO glue driver over fake_vmbus through the bus's
 * own sysfs parser (drivers/bus/vmbus/linux/vmbus_sysfs.c), the code
 * DPDK's vmbus bus runs on a real VM.
 *
 *   uio_face STEP DRIVER [ARGS]
 *
 * Every check prints "ok - ..." or "not ok - ..."; every observed
 * property also prints "face <driver> <key> <value>" so the host side can
 * tabulate where two drivers differ. Exit status: 0 when all checks of
 * the step passed. The steps are sequenced by test/kernel/init.sh.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/netlink.h>

#include "uio_abi_check.h"
#include "vmbus_sysfs.h"

#define NIC_GUID "f8615163-0001-1000-2000-00155d000001"
#define DEVDIR "/sys/bus/vmbus/devices/" NIC_GUID
#define CTL "/sys/kernel/debug/fake_vmbus/ctl"
#define STATS "/sys/kernel/debug/fake_vmbus/stats"
#define PRIMARY 14u
#define HANG_GUARD_MS 5000
/* Between two uevents while a ring file is awaited: a wedged-driver guard. */
#define RING_HANG_GUARD_MS 60000

static const char *drv;
static int failures;
static int report_only;	/* the distribution's driver: observe, don't judge */

static void check(int cond, const char *fmt, ...)
{
	va_list ap;

	printf(cond ? "ok - %s: " : report_only ? "differs - %s: " :
	       "not ok - %s: ", drv);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond && !report_only)
		failures++;
}

static void face(const char *key, const char *fmt, ...)
{
	va_list ap;

	printf("face %s %s ", drv, key);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	n = n < 0 ? -errno : 0;
	close(fd);
	return (int)n;
}

static int ctl(const char *cmd)
{
	return write_str(CTL, cmd);
}

/* One counter of fake_vmbus's stats line. */
static long stat_of(const char *key)
{
	char buf[256], *p;
	size_t len;

	if (vmbus_sysfs_read("/sys/kernel/debug/fake_vmbus", "stats", buf,
			     sizeof(buf), &len) != 0)
		return -1;
	p = strstr(buf, key);
	return p ? strtol(p + strlen(key) + 1, NULL, 10) : -1;
}

static long chan_u32(uint32_t relid, const char *name)
{
	char dir[128], buf[32];
	size_t len;
	uint32_t v;

	snprintf(dir, sizeof(dir), DEVDIR "/channels/%u", relid);
	if (vmbus_sysfs_read(dir, name, buf, sizeof(buf), &len) != 0 ||
	    vmbus_sysfs_parse_u32(buf, len, UINT32_MAX - 1, &v) != 0)
		return -1;
	return v;
}

static int uio_fd(void)
{
	uint32_t minor;
	char path[32];

	if (vmbus_sysfs_uio_minor(DEVDIR, &minor) != 0)
		return -1;
	snprintf(path, sizeof(path), "/dev/uio%u", minor);
	return open(path, O_RDWR);
}

/* Did an interrupt event arrive? Waits only as a hang guard. */
static int event_pending(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint32_t count;

	if (poll(&p, 1, timeout_ms) != 1)
		return 0;
	return read(fd, &count, sizeof(count)) == sizeof(count);
}

static int irq_write(int fd, int32_t v)
{
	return write(fd, &v, sizeof(v)) == sizeof(v) ? 0 : -errno;
}

/*
 * Wait until channels/<relid>/ring exists. docs/uio-abi.md allows the
 * primary's file to follow the device (the vmbus core adds channels/
 * after probe) and has the driver announce it with a uevent on the
 * channel: subscribe first, then look, then look again at every uevent,
 * so no announcement is missed. The timeout only ends a hang.
 */
static int wait_ring_file(uint32_t relid, int guard_ms)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	int s = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
		       NETLINK_KOBJECT_UEVENT);
	int ret = 0;

	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		ret = -errno;
		if (s >= 0)
			close(s);
		return ret;
	}
	while (!vmbus_sysfs_has_ring_file(DEVDIR, relid)) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		char msg[4096];

		if (poll(&p, 1, guard_ms) != 1) {
			ret = -ETIMEDOUT;
			break;
		}
		if (recv(s, msg, sizeof(msg), 0) < 0 && errno != EINTR &&
		    errno != ENOBUFS) {
			ret = -errno;
			break;
		}
	}
	close(s);
	return ret;
}

/* After an offer: the primary's ring file, announced by a uevent. */
static int step_ready(void)
{
	int ret = wait_ring_file(PRIMARY, report_only ? HANG_GUARD_MS :
				 RING_HANG_GUARD_MS);

	check(ret == 0, "channels/14/ring announced after the offer (%s)",
	      ret ? strerror(-ret) : "ok");
	return 0;
}

/* ---- steps ---- */
static void abi_fail(void *arg, const char *reason)
{
	(void)arg;
	check(0, "uio-abi: %s", reason);
}

/*
 * The whole face against docs/uio-abi.md's table (generated into the
 * program); the emulator's tests hold the shim's face to the same one.
 */
static int step_abi(const char *when)
{
	unsigned int checked = 0;
	int n = uio_abi_check(DEVDIR, (size_t)sysconf(_SC_PAGESIZE), abi_fail,
			      NULL, &checked);

	check(n == 0 && checked > 0, "face matches docs/uio-abi.md %s (%u paths, %d failed)",
	      when, checked, n);
	face("uio_abi", "%s:%s", when, n == 0 ? "matches" : "differs");
	return 0;
}


/* Device attributes, maps and primary channel as the bus reads them. */
static int step_face(uint64_t ring, uint64_t recv, uint64_t send)
{
	struct vmbus_sysfs_map maps[HV_UIO_MAP_COUNT];
	struct vmbus_sysfs_dev dev;
	struct vmbus_sysfs_chan chan;
	const char *bad = NULL;
	unsigned int bad_map = 0;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	uint32_t minor;
	char guid[HV_GUID_STR_LEN];
	int ret, i;

	ret = vmbus_sysfs_read_dev(DEVDIR, &dev, &bad);
	check(ret == 0, "device attributes parse (%d at %s)", ret, bad ? bad : "-");
	hv_guid_format(&dev.device_id, guid);
	check(strcmp(guid, NIC_GUID) == 0, "device_id is %s", guid);
	check(dev.relid == PRIMARY, "id is %u", dev.relid);
	if (ret)
		return 1;
	face("monitor_id", "%u", dev.monitor_id);
	face("numa_node", "%d", dev.numa_node);
	ret = vmbus_sysfs_uio_minor(DEVDIR, &minor);
	check(ret == 0, "uio/uioN present (%d)", ret);
	if (ret)
		return 1;
	ret = vmbus_sysfs_read_maps(DEVDIR, minor, HV_UIO_MAP_COUNT, pg, maps,
				    &bad_map, &bad);
	if (ret)
		check(0, "five maps parse (%d at map%u/%s)", ret, bad_map,
		      bad ? bad : "-");
	else
		check(1, "five maps parse, no sixth");
	if (ret)
		return 1;
	for (i = 0; i < HV_UIO_MAP_COUNT; i++)
		face("map_size", "map%d=0x%llx", i, (unsigned long long)maps[i].size);
	if (ring)
		check(maps[0].size == 2 * ring, "map0 is 2 x %llu", (unsigned long long)ring);
	check(maps[1].size == 4096 && maps[2].size == 4096,
	      "int/monitor maps are one Hyper-V page");
	if (recv)
		check(maps[3].size == recv && maps[4].size == send,
		      "recv/send maps are %llu/%llu", (unsigned long long)recv,
		      (unsigned long long)send);
	check(maps[3].gpadl && maps[4].gpadl && maps[3].gpadl != maps[4].gpadl,
	      "recv/send gpadls %u/%u", maps[3].gpadl, maps[4].gpadl);
	ret = vmbus_sysfs_read_chan(DEVDIR, PRIMARY, pg, &chan, &bad);
	check(ret == 0 && chan.subchannel_id == 0 && chan.ring_size == maps[0].size,
	      "channels/14 parses, ring = map0 (%d at %s)", ret, bad ? bad : "-");
	face("primary_ring_file", "%s", ret == 0 ? "yes" : "no");
	return 0;
}

/* mmap of every map; the markers prove the BTF-derived offsets. */
static int step_mmap(void)
{
	struct vmbus_sysfs_map maps[HV_UIO_MAP_COUNT];
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	unsigned int bad_map;
	const char *bad;
	uint32_t minor;
	void *m[HV_UIO_MAP_COUNT];
	int fd, i, ok = 1;

	if (vmbus_sysfs_uio_minor(DEVDIR, &minor) != 0 ||
	    vmbus_sysfs_read_maps(DEVDIR, minor, HV_UIO_MAP_COUNT, pg, maps,
				  &bad_map, &bad) != 0) {
		check(0, "maps readable");
		return 1;
	}
	fd = uio_fd();
	check(fd >= 0, "open /dev/uio%u", minor);
	if (fd < 0)
		return 1;
	for (i = 0; i < HV_UIO_MAP_COUNT; i++) {
		m[i] = mmap(NULL, maps[i].size, PROT_READ | PROT_WRITE, MAP_SHARED,
			    fd, (off_t)i * (off_t)pg);
		check(m[i] != MAP_FAILED, "mmap map%d (%s)", i,
		      m[i] == MAP_FAILED ? strerror(errno) : "ok");
		if (m[i] == MAP_FAILED)
			ok = 0;
	}
	if (ok) {
		uint32_t feat = *(volatile uint32_t *)((char *)m[0] + 64);

		check(feat == 1, "tx ring header feature_bits=%u after open", feat);
		check(strcmp(m[1], "fake_vmbus:int_page") == 0,
		      "map1 is vmbus_connection.int_page");
		check(strcmp((char *)m[2] + 2048, "fake_vmbus:monitor_page1") == 0,
		      "map2 is vmbus_connection.monitor_pages[1]");
		memset(m[3], 0xa5, maps[3].size);
		memset(m[4], 0x5a, maps[4].size);
		for (i = 0; i < HV_UIO_MAP_COUNT; i++)
			munmap(m[i], maps[i].size);
	}
	close(fd);
	return 0;
}

/* Interrupt mask ownership, delivery, sub-channels. */
static int step_irq(int strict)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	struct vmbus_sysfs_chan chan;
	const char *bad;
	long masked, delivered, m15;
	int fd = uio_fd(), ret, got;
	void *ring;

	check(fd >= 0, "open uio for interrupts");
	if (fd < 0)
		return 1;
	face("in_mask_after_open", "%ld", chan_u32(PRIMARY, "in_mask"));
	check(irq_write(fd, 0) == 0, "write 0 (disable)");
	check(chan_u32(PRIMARY, "in_mask") == 1, "in_mask=1 after disable");
	masked = stat_of("masked");
	ctl("kick 14");
	check(stat_of("masked") == masked + 1, "host interrupt suppressed while masked");
	check(!event_pending(fd, 0), "no event while masked");
	check(irq_write(fd, 1) == 0, "write 1 (enable)");
	check(chan_u32(PRIMARY, "in_mask") == 0, "in_mask=0 after enable");
	delivered = stat_of("delivered");
	ctl("kick 14");
	check(stat_of("delivered") == delivered + 1, "host interrupt delivered");
	got = event_pending(fd, HANG_GUARD_MS);
	check(got, "event read on /dev/uioN");
	face("mask_after_event", "%ld", chan_u32(PRIMARY, "in_mask"));

	/* Sub-channels offered while userspace has interrupts disabled. */
	irq_write(fd, 0);
	ret = ctl("sub 2");
	check(ret == 0, "host offers 2 sub-channels (%d)", ret);
	ret = vmbus_sysfs_read_chan(DEVDIR, 15, pg, &chan, &bad);
	check(ret == 0 && chan.subchannel_id == 1,
	      "channels/15 complete once offered (%d at %s)", ret, bad ? bad : "-");
	face("sub_ring_file", "%s", ret == 0 ? "yes" : "no");
	if (ret == 0) {
		int rfd = open(DEVDIR "/channels/15/ring", O_RDWR);

		ring = rfd < 0 ? MAP_FAILED :
			mmap(NULL, chan.ring_size, PROT_READ | PROT_WRITE,
			     MAP_SHARED, rfd, 0);
		check(ring != MAP_FAILED, "channels/15/ring mmaps as soon as it exists");
		if (ring != MAP_FAILED) {
			check(*(volatile uint32_t *)((char *)ring + 64) == 1,
			      "sub-channel ring is open");
			munmap(ring, chan.ring_size);
		}
		if (rfd >= 0)
			close(rfd);
	}
	m15 = chan_u32(15, "in_mask");
	face("sub_in_mask_when_disabled", "%ld", m15);
	if (strict)
		check(m15 == 1, "new sub-channel follows userspace's disable");
	check(irq_write(fd, 1) == 0, "write 1 again");
	step_abi("with-subchannels");
	check(chan_u32(15, "in_mask") == 0 && chan_u32(16, "in_mask") == 0,
	      "enable reaches every sub-channel");
	face("enable_reaches_subs", "%s",
	     chan_u32(16, "in_mask") == 0 ? "yes" : "no");
	delivered = stat_of("delivered");
	ctl("kick 16");
	got = stat_of("delivered") == delivered + 1 && event_pending(fd, HANG_GUARD_MS);
	check(got, "interrupt on sub-channel 16 is an event");
	face("sub_channel_events", "%s", got ? "yes" : "no");
	close(fd);
	return 0;
}

/* Rescind while open: EIO, then the device is gone. */
static int step_rescind(void)
{
	int fd = uio_fd(), ret;
	uint32_t count;
	ssize_t n;
	struct stat st;

	check(fd >= 0, "open before rescind");
	if (fd < 0)
		return 1;
	ret = ctl("rescind");
	check(ret == 0, "host rescinds (%d)", ret);
	n = read(fd, &count, sizeof(count));
	check(n < 0 && errno == EIO, "read after rescind gives EIO (%zd, %s)", n,
	      n < 0 ? strerror(errno) : "-");
	face("read_after_rescind", "%s", n < 0 ? strerror(errno) : "data");
	/* The uio core answers EINVAL once the device is unregistered. */
	n = irq_write(fd, 1);
	check(n == -EIO || n == -EINVAL, "write after rescind fails (%zd)", n);
	face("write_after_rescind", "%s", strerror((int)-n));
	close(fd);
	check(stat(DEVDIR, &st) != 0, "device directory gone");
	return 0;
}

/* Re-offer: the primary's ring file must come back by itself. */
static int step_reoffer(int strict)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	struct vmbus_sysfs_chan chan;
	const char *bad;
	int ret;

	ret = ctl("offer");
	check(ret == 0, "host re-offers (%d)", ret);
	/* Debian's 6.1 driver never makes the file: observed for 5 s only. */
	wait_ring_file(PRIMARY, strict ? RING_HANG_GUARD_MS : HANG_GUARD_MS);
	ret = vmbus_sysfs_read_chan(DEVDIR, PRIMARY, pg, &chan, &bad);
	face("ring_file_after_reoffer", "%s", ret == 0 ? "yes" : "no");
	if (strict)
		check(ret == 0, "channels/14/ring back after re-offer (%d)", ret);
	return 0;
}

/* No monitor page: bound, no monitor_id file, enable rings the doorbell. */
static int step_nomonitor(void)
{
	struct vmbus_sysfs_dev dev;
	const char *bad;
	long before;
	int fd, ret;

	ret = vmbus_sysfs_read_dev(DEVDIR, &dev, &bad);
	check(ret == 0 && dev.monitor_id == VMBUS_SYSFS_NO_MONITOR,
	      "device without monitor_id parses (%d)", ret);
	fd = uio_fd();
	face("binds_without_monitor", "%s", fd >= 0 ? "yes" : "no");
	check(fd >= 0, "bound and opened without a monitor page");
	if (fd < 0)
		return 1;
	before = chan_u32(PRIMARY, "events");
	irq_write(fd, 1);
	face("enable_signals_host", "%s",
	     chan_u32(PRIMARY, "events") > before ? "yes" : "no");
	check(chan_u32(PRIMARY, "events") == before + 1,
	      "enable signals the host once (vmbus_set_event)");
	close(fd);
	return 0;
}

/* The first line of a small file, or "" (test helper, no parsing rules). */
static void read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (f) {
		if (!fgets(buf, (int)size, f))
			buf[0] = '\0';
		fclose(f);
	}
}

/*
 * NUMA node of a physical address by the kernel's own memory map:
 * /sys/devices/system/node/node<n>/memory<block> (memory hotplug sysfs).
 */
static int phys_node(uint64_t phys)
{
	char buf[64], path[128];
	uint64_t block;
	struct stat st;
	int n;

	read_line("/sys/devices/system/memory/block_size_bytes", buf, sizeof(buf));
	block = strtoull(buf, NULL, 16);
	if (block == 0)
		return -1;
	for (n = 0; n < 64; n++) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/memory%llu",
			 n, (unsigned long long)(phys / block));
		if (stat(path, &st) == 0)
			return n;
	}
	return -1;
}

/*
 * The device sits on NUMA node `node` (its channels' target CPU), the
 * test runs on a CPU of another node: every ring and buffer page must
 * still be on `node`. fake_vmbus's numa file says where each open ring
 * and each GPADL lies (as the host sees the guest's pages); map 0's
 * physical address is checked against the kernel's memory map too.
 */
static int step_numa(int node)
{
	unsigned int rings = 0, gpadls = 0, ring_off = 0, buf_off = 0;
	struct vmbus_sysfs_dev dev;
	const char *bad;
	char path[160], line[256];
	struct stat st;
	uint32_t minor;
	uint64_t phys;
	FILE *f;
	int fd, ret, relid;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d", node);
	check(stat(path, &st) == 0, "the guest has NUMA node %d", node);
	ret = vmbus_sysfs_read_dev(DEVDIR, &dev, &bad);
	check(ret == 0 && dev.numa_node == node, "numa_node is %d (%d)", node,
	      ret == 0 ? dev.numa_node : -2);
	fd = uio_fd();
	check(fd >= 0, "open /dev/uioN");
	if (fd < 0)
		return 1;
	ret = ctl("sub 2");
	check(ret == 0, "host offers 2 sub-channels (%d)", ret);
	for (relid = 15; relid <= 16; relid++) {
		ret = wait_ring_file((uint32_t)relid, report_only ? HANG_GUARD_MS :
				     RING_HANG_GUARD_MS);
		check(ret == 0, "channels/%d/ring present (%s)", relid,
		      ret ? strerror(-ret) : "ok");
	}

	f = fopen("/sys/kernel/debug/fake_vmbus/numa", "r");
	check(f != NULL, "fake_vmbus/numa readable");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned int id, pages, on[5];
		char kind[16];

		if (sscanf(line, "%15s %u pages %u nodes %u %u %u %u %u", kind, &id,
			   &pages, &on[0], &on[1], &on[2], &on[3], &on[4]) != 8 ||
		    node < 0 || node > 3) {
			check(0, "numa line parses: %s", line);
			continue;
		}
		check(pages > 0 && on[node] == pages, "%s %u: %u of %u pages on node %d",
		      kind, id, on[node], pages, node);
		if (strcmp(kind, "ring") == 0) {
			rings++;
			ring_off += pages - on[node];
		} else {
			gpadls++;
			buf_off += pages - on[node];
		}
	}
	if (f)
		fclose(f);
	check(rings == 3, "3 open rings seen by the host (primary + 2 sub-channels): %u",
	      rings);
	check(gpadls == 2, "2 buffers seen by the host (receive, send): %u", gpadls);
	face("numa_rings", "%s", rings && !ring_off ? "device's node" : "elsewhere");
	face("numa_buffers", "%s", gpadls && !buf_off ? "device's node" : "elsewhere");

	ret = vmbus_sysfs_uio_minor(DEVDIR, &minor);
	snprintf(path, sizeof(path), "/sys/class/uio/uio%u/maps/map0/addr", minor);
	read_line(path, line, sizeof(line));
	phys = strtoull(line, NULL, 0);
	check(ret == 0 && phys != 0 && phys_node(phys) == node,
	      "map0 at 0x%llx is on node %d by the kernel's memory map (%d)",
	      (unsigned long long)phys, node, phys_node(phys));
	close(fd);
	return 0;
}

/* A uevent socket (kernel broadcasts, group 1), or -errno. */
static int uevent_socket(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	int size = 1 << 20;
	int s = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
		       NETLINK_KOBJECT_UEVENT);

	if (s < 0)
		return -errno;
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int ret = -errno;

		close(s);
		return ret;
	}
	return s;
}

/* Sub-channels each cycle of step_subadd offers (relids 15...). */
#define SUBADD_SUBS 4u

/*
 * One uevent, classified: 1 the device's "change" (the marker), 2 an
 * "add" of channels/<relid> (relid returned), 0 anything else, <0 error.
 * The hang guard only ends a wedged run.
 */
static int next_uevent(int s, unsigned int *relid)
{
	static const char dev_change[] = "change@";
	struct pollfd p = { .fd = s, .events = POLLIN };
	char msg[4096], *path, *slash;
	ssize_t n;

	if (poll(&p, 1, RING_HANG_GUARD_MS) != 1)
		return -ETIMEDOUT;
	n = recv(s, msg, sizeof(msg) - 1, 0);
	if (n < 0)
		return -errno;	/* ENOBUFS: events were lost, the check can't hold */
	msg[n] = '\0';
	path = strchr(msg, '@');
	if (!path)
		return 0;
	slash = strrchr(path, '/');
	if (strncmp(msg, dev_change, sizeof(dev_change) - 1) == 0 && slash &&
	    strcmp(slash + 1, NIC_GUID) == 0)
		return 1;
	if (strncmp(msg, "add@", 4) == 0 && slash && slash - path > 9 &&
	    strncmp(slash - 9, "/channels", 9) == 0 &&
	    strstr(path, "/" NIC_GUID "/channels/") != NULL) {
		*relid = (unsigned int)strtoul(slash + 1, NULL, 10);
		return 2;
	}
	return 0;
}

/*
 * docs/uio-abi.md "When the files appear": a sub-channel's "add" uevent
 * is sent only once its ring file exists. fake_vmbus holds the driver's
 * callback after the core's part of the offer (directory + add uevent,
 * as vmbus_add_channel_work does), which makes the window a real core
 * has for microseconds last until "release". Two synthetic "change"
 * uevents of the device, written to its uevent file, mark the moments
 * (the kernel sends them before the write returns, in order with every
 * other uevent): no sub-channel "add" may come before the first marker
 * (its ring did not exist then), each must come exactly once before the
 * second, and its ring file must be there when the add is read. No time
 * is measured. Repeated over `cycles` rescind + re-offer cycles.
 */
static int step_subadd(int cycles)
{
	unsigned int early = 0, late = 0, without_ring = 0, window = 0;
	int c;

	for (c = 0; c < cycles; c++) {
		unsigned int seen[SUBADD_SUBS] = { 0 }, relid, i;
		char sub[16];
		int fd, s, ret, marker = 0;

		if (c > 0) {
			ret = ctl("rescind");
			if (ret == 0)
				ret = ctl("offer");
			if (ret == 0)
				ret = wait_ring_file(PRIMARY, report_only ?
						     HANG_GUARD_MS : RING_HANG_GUARD_MS);
			if (ret != 0 && !report_only) {
				check(0, "cycle %d: rescind + re-offer + primary ring (%s)",
				      c, strerror(-ret));
				return 1;
			}
		}
		fd = uio_fd();
		s = uevent_socket();
		if (fd < 0 || s < 0) {
			check(0, "cycle %d: open uio (%d) and uevent socket (%d)",
			      c, fd, s);
			return 1;
		}
		snprintf(sub, sizeof(sub), "sub %u", SUBADD_SUBS);
		ret = ctl("hold");
		if (ret == 0)
			ret = ctl(sub);
		/* The window exists: the directory, not yet the ring. */
		if (ret == 0 && chan_u32(15, "subchannel_id") == 1 &&
		    !vmbus_sysfs_has_ring_file(DEVDIR, 15))
			window++;
		if (ret == 0)
			ret = write_str(DEVDIR "/uevent", "change");
		if (ret == 0)
			ret = ctl("release");
		if (ret == 0)
			ret = write_str(DEVDIR "/uevent", "change");
		if (ret != 0) {
			check(0, "cycle %d: hold, sub, markers, release (%s)", c,
			      strerror(-ret));
			close(s);
			close(fd);
			return 1;
		}
		while (marker < 2) {
			ret = next_uevent(s, &relid);
			if (ret < 0) {
				check(0, "cycle %d: reading uevents (%s)", c, strerror(-ret));
				break;
			}
			if (ret == 1) {
				marker++;
				continue;
			}
			if (ret != 2 || relid < 15 || relid >= 15 + SUBADD_SUBS)
				continue;
			if (marker == 0)
				early++;
			else
				seen[relid - 15]++;
			if (!vmbus_sysfs_has_ring_file(DEVDIR, relid))
				without_ring++;
		}
		for (i = 0; i < SUBADD_SUBS; i++)
			if (seen[i] != 1)
				late++;
		close(s);
		close(fd);
	}
	check(window == (unsigned int)cycles,
	      "held offers: channels/15 without ring in %u of %d cycles", window, cycles);
	check(early == 0, "no sub-channel add uevent before its ring file (%u early, "
	      "%d cycles x %u sub-channels)", early, cycles, SUBADD_SUBS);
	check(late == 0, "every sub-channel announced exactly once, after its ring "
	      "(%u not)", late);
	check(without_ring == 0, "ring file present at every add uevent (%u without)",
	      without_ring);
	face("sub_add_uevent", "%s", early ? "before ring" : "after ring");
	return 0;
}

/* The device is not bound although the driver is loaded. */
static int step_unbound(void)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), DEVDIR "/driver");
	check(lstat(path, &st) != 0, "device not bound without being named");
	return 0;
}

static int step_noleak(void)
{
	check(stat_of("gpadls") == 0, "no GPADL left (%ld)", stat_of("gpadls"));
	check(stat_of("rings") == 0, "no ring left (%ld)", stat_of("rings"));
	return 0;
}

int main(int argc, char **argv)
{
	const char *step;

	if (argc < 3) {
		fprintf(stderr, "usage: uio_face STEP DRIVER [ring recv send]\n");
		return 2;
	}
	step = argv[1];
	drv = argv[2];
	report_only = strcmp(drv, "ours") != 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(step, "face") == 0)
		step_face(argc > 3 ? strtoull(argv[3], NULL, 0) : 0,
			  argc > 4 ? strtoull(argv[4], NULL, 0) : 0,
			  argc > 5 ? strtoull(argv[5], NULL, 0) : 0);
	else if (strcmp(step, "abi") == 0)
		step_abi(argc > 3 ? argv[3] : "bound");
	else if (strcmp(step, "mmap") == 0)
		step_mmap();
	else if (strcmp(step, "irq") == 0)
		step_irq(argc > 3);
	else if (strcmp(step, "rescind") == 0)
		step_rescind();
	else if (strcmp(step, "reoffer") == 0)
		step_reoffer(argc > 3);
	else if (strcmp(step, "ready") == 0)
		step_ready();
	else if (strcmp(step, "nomonitor") == 0)
		step_nomonitor();
	else if (strcmp(step, "unbound") == 0)
		step_unbound();
	else if (strcmp(step, "noleak") == 0)
		step_noleak();
	else if (strcmp(step, "subadd") == 0)
		step_subadd(argc > 3 ? atoi(argv[3]) : 1);
	else if (strcmp(step, "numa") == 0)
		step_numa(argc > 3 ? atoi(argv[3]) : 1);
	else {
		fprintf(stderr, "uio_face: unknown step %s\n", step);
		return 2;
	}
	return failures ? 1 : 0;
}
