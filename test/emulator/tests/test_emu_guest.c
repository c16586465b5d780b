/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * End-to-end test of emulator + shim: this program is the guest (it
 * re-executes itself under LD_PRELOAD=<shim>) and hosts the emulator in a
 * thread. Guest code uses only the real paths (/sys/bus/vmbus, /dev/uioN).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "emu.h"
#include "emu_guestmem.h"
#include "emu_proto.h"
#include "guest_ops.h"
#include "uio_abi_check.h"

extern char **environ;

#define NICS 2
#define RING_SIZE (256u * 1024)
#define RECV_SIZE (1024u * 1024)
#define SEND_SIZE (512u * 1024)

struct hooks {
	int opens, closes, doorbells, irq_on, irq_off, mem;
	uint32_t last_value;
	unsigned int last_dev;
};

static struct emu_host *host;
static pthread_t loop_thread;
static struct hooks hk; /* written on the loop thread, read via loop_call */

static void
h_open(void *a, struct emu_chan *c)
{
	(void)a; (void)c; hk.opens++;
}
static void
h_close(void *a, struct emu_chan *c)
{
	(void)a; (void)c; hk.closes++;
}

static void
h_doorbell(void *a, struct emu_dev *d, uint32_t v)
{
	(void)a;
	hk.doorbells++;
	hk.last_value = v;
	hk.last_dev = emu_dev_index(d);
}

static void
h_irq(void *a, struct emu_dev *d, bool en)
{
	(void)a;
	(void)d;
	if (en)
		hk.irq_on++;
	else
		hk.irq_off++;
}

static void
h_mem(void *a, struct emu_dev *d)
{
	(void)a; (void)d; hk.mem++;
}

static const struct emu_service_ops test_ops = {
	.chan_open = h_open, .chan_close = h_close, .doorbell = h_doorbell,
	.irq_control = h_irq, .guest_mem = h_mem,
};

/* ---- running things on the emulator's loop thread ---- */

struct call {
	int what;
	unsigned int dev;
	uint32_t a, b, c;
	uint64_t u;
	int ret;
	bool flag;
	void *ptr;
	struct hooks snap;
};

enum { C_SNAP, C_OPEN, C_RAISE, C_SUBCHAN, C_RESCIND, C_REOFFER, C_DIRTY,
       C_TRANSLATE, C_TRANSLATE_VA };

static void
do_call(void *arg)
{
	struct call *c = arg;
	struct emu_dev *d = emu_host_dev(host, c->dev);
	struct emu_chan *ch;

	c->snap = hk;
	switch (c->what) {
	case C_OPEN:
		c->flag = emu_dev_is_open(d);
		break;
	case C_RAISE:
		ch = c->a == 0 ? emu_dev_primary(d) : emu_dev_chan_by_relid(d, c->a);
		c->ret = emu_dev_raise_irq(d, ch);
		c->u = emu_dev_irq_count(d);
		break;
	case C_SUBCHAN:
		c->ret = emu_dev_add_subchan(d, c->a, c->b, c->c, NULL);
		break;
	case C_RESCIND:
		c->ret = emu_dev_rescind(d);
		break;
	case C_REOFFER:
		c->ret = emu_dev_reoffer(d, c->a);
		break;
	case C_DIRTY: /* stale state a previous guest could leave behind */
		emu_chan_g2h(emu_dev_primary(d)).hdr->write_index = 1234;
		emu_chan_h2g(emu_dev_primary(d)).hdr->read_index = 5678;
		emu_chan_h2g(emu_dev_primary(d)).hdr->feature_bits = 0;
		break;
	case C_TRANSLATE:
		c->ptr = emu_dev_translate(d, c->u >> 12, c->u & 4095, c->a);
		break;
	case C_TRANSLATE_VA:
		c->ptr = emu_guestmem_va(emu_dev_guestmem(d), c->u, c->a);
		break;
	default:
		break;
	}
}

static struct call
call(int what, unsigned int dev, uint32_t a, uint32_t b, uint32_t c3)
{
	struct call c = { .what = what, .dev = dev, .a = a, .b = b, .c = c3 };

	emu_loop_call(emu_host_loop(host), do_call, &c);
	return c;
}

static struct hooks
snap(void)
{
	return call(C_SNAP, 0, 0, 0, 0).snap;
}

/* Bounded polling: the emulator reacts asynchronously. No timing asserted. */
#define WAIT_FOR(cond)                                                      \
	do {                                                                \
		int w_;                                                     \
		for (w_ = 0; w_ < 5000 && !(cond); w_++) {                  \
			struct timespec ts_ = { 0, 1000000 };               \
			nanosleep(&ts_, NULL);                              \
		}                                                           \
		assert_true(cond);                                          \
	} while (0)

static bool
dev_open(unsigned int dev)
{
	return call(C_OPEN, dev, 0, 0, 0).flag;
}

static void *
loop_main(void *arg)
{
	(void)arg;
	emu_loop_run(emu_host_loop(host));
	return NULL;
}

static int
setup(void **state)
{
	struct emu_config cfg;

	(void)state;
	emu_config_defaults(&cfg);
	cfg.root = getenv(EMU_ENV_ROOT);
	cfg.nics = NICS;
	cfg.ring_size = RING_SIZE;
	cfg.recv_size = RECV_SIZE;
	cfg.send_size = SEND_SIZE;
	if (emu_host_create(&cfg, &host) != 0)
		return -1;
	emu_host_set_service(host, &test_ops, NULL);
	return pthread_create(&loop_thread, NULL, loop_main, NULL) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	emu_loop_stop(emu_host_loop(host));
	pthread_join(loop_thread, NULL);
	emu_host_destroy(host);
	return 0;
}

static struct guest_dev devs[GUEST_MAX_DEVS];

static const struct guest_dev *
find_dev(unsigned int idx)
{
	const char *guid = emu_dev_guid(emu_host_dev(host, idx));
	int i;

	for (i = 0; i < GUEST_MAX_DEVS; i++)
		if (strcmp(devs[i].name, guid) == 0)
			return &devs[i];
	fail_msg("device %s not scanned", guid);
	return NULL;
}

static size_t pagesz;

static void
test_emu_scan(void **state)
{
	char buf[PATH_MAX], path[PATH_MAX];
	const struct guest_dev *d;
	struct stat st;
	int n, i;

	(void)state;
	n = guest_scan(devs, GUEST_MAX_DEVS);
	assert_int_equal(n, NICS);
	for (i = 0; i < NICS; i++) {
		d = find_dev((unsigned int)i);
		assert_string_equal(d->class_id, VMBUS_CLASS_NETWORK);
		assert_string_equal(d->device_id, d->name);
		assert_int_equal(d->relid, 15 + 64 * i);
		assert_int_equal(d->monitor_id, 2 + 16 * i);
		assert_int_equal(guest_read_maps(&devs[i]), 0);
	}
	d = find_dev(0);
	assert_int_equal(d->uio, 0);
	snprintf(path, sizeof(path), "/sys/bus/vmbus/devices/%s/driver", d->name);
	n = (int)readlink(path, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "../../drivers/uio_hv_generic");
	/* realpath must answer with /sys paths, not the emulator's root. */
	assert_non_null(realpath("/sys/class/uio/uio0", buf));
	snprintf(path, sizeof(path), "/sys/bus/vmbus/devices/%s/uio/uio0", d->name);
	assert_string_equal(buf, path);
	assert_int_equal(stat("/dev/uio0", &st), 0);
	assert_int_equal(access("/sys/bus/vmbus/drivers/uio_hv_generic/bind", F_OK), 0);
	/* The primary channel dir says subchannel 0 and has its ring. */
	snprintf(path, sizeof(path), "/sys/bus/vmbus/devices/%s/channels/%lu/subchannel_id",
		 d->name, d->relid);
	assert_int_equal(guest_read_line(path, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0");
}

static void
test_emu_maps(void **state)
{
	const struct guest_dev *d = find_dev(0);
	const size_t want[HV_UIO_MAP_COUNT] = {
		2 * RING_SIZE, 4096, 4096, RECV_SIZE, SEND_SIZE,
	};
	struct vmbus_ring_hdr *tx, *rx;
	void *map[HV_UIO_MAP_COUNT], *ring;
	size_t ring_len = 0;
	unsigned int k;
	int fd;

	(void)state;
	assert_string_equal(d->map_name[0], HV_UIO_MAP_NAME_TXRX_RING);
	assert_string_equal(d->map_name[1], HV_UIO_MAP_NAME_INT_PAGE);
	assert_string_equal(d->map_name[2], HV_UIO_MAP_NAME_MONITOR_PAGE);
	assert_int_equal(strtoul(d->map_name[3] + 5, NULL, 0), 925200);
	assert_int_equal(strtoul(d->map_name[4] + 5, NULL, 0), 925201);
	call(C_DIRTY, 0, 0, 0, 0);
	fd = guest_uio_open(0, O_RDWR);
	assert_true(fd >= 0);
	for (k = 0; k < HV_UIO_MAP_COUNT; k++) {
		assert_int_equal(d->map_size[k], want[k]);
		map[k] = guest_uio_map(fd, k, d->map_size[k]);
		assert_non_null(map[k]);
	}
	/* The kernel's checks: beyond the region, past the last map, private. */
	assert_null(guest_uio_map(fd, 1, 2 * pagesz));
	assert_int_equal(errno, EINVAL);
	assert_null(guest_uio_map(fd, HV_UIO_MAP_COUNT, pagesz));
	assert_true(mmap(NULL, pagesz, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED);
	/* Headers were reset at open: indices 0, pending_send_sz feature on,
	 * inbound interrupts masked until the guest enables them. */
	tx = map[0];
	rx = (void *)((uint8_t *)map[0] + d->map_size[0] / 2);
	assert_int_equal(tx->write_index, 0);
	assert_int_equal(rx->read_index, 0);
	assert_int_equal(tx->feature_bits, 1);
	assert_int_equal(rx->feature_bits, 1);
	assert_int_equal(rx->interrupt_mask, 1);
	assert_int_equal(tx->interrupt_mask, 0);
	/* channels/<relid>/ring is map0's memory. */
	ring = guest_map_ring(d, d->relid, &ring_len);
	assert_non_null(ring);
	assert_int_equal(ring_len, d->map_size[0]);
	((volatile uint8_t *)map[0])[pagesz + 40] = 0xa5;
	assert_int_equal(((volatile uint8_t *)ring)[pagesz + 40], 0xa5);
	for (k = 0; k < HV_UIO_MAP_COUNT; k++)
		munmap(map[k], d->map_size[k]);
	munmap(ring, ring_len);
	close(fd);
	WAIT_FOR(!dev_open(0));
}

static void
test_emu_irq(void **state)
{
	const struct guest_dev *d = find_dev(0);
	struct hooks before = snap();
	volatile struct vmbus_ring_hdr *rx;
	struct pollfd pfd;
	int32_t v = HV_UIO_IRQ_ENABLE;
	uint32_t count = 0;
	uint8_t *m0;
	int fd;

	(void)state;
	fd = guest_uio_open(0, O_RDWR);
	assert_true(fd >= 0);
	m0 = guest_uio_map(fd, 0, d->map_size[0]);
	assert_non_null(m0);
	rx = (volatile struct vmbus_ring_hdr *)(m0 + d->map_size[0] / 2);
	/* Masked: the host must not interrupt. */
	assert_int_equal(call(C_RAISE, 0, 0, 0, 0).ret, 0);
	assert_int_equal(write(fd, &v, sizeof(v)), 4);
	WAIT_FOR(snap().irq_on == before.irq_on + 1);
	assert_int_equal(rx->interrupt_mask, 0);
	assert_int_equal(snap().last_value, 1);
	assert_int_equal(snap().doorbells, before.doorbells + 1);
	assert_int_equal(call(C_RAISE, 0, 0, 0, 0).ret, 1);
	pfd.fd = fd;
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 10000), 1);
	assert_int_equal(read(fd, &count, sizeof(count)), 4);
	assert_int_equal(count, 1);
	/* The host masked again before notifying (current kernels). */
	assert_int_equal(rx->interrupt_mask, 1);
	/* Only 4-byte transfers exist on a uio fd. */
	assert_int_equal(read(fd, &count, 2), -1);
	assert_int_equal(errno, EINVAL);
	v = HV_UIO_IRQ_DISABLE;
	assert_int_equal(write(fd, &v, sizeof(v)), 4);
	WAIT_FOR(snap().irq_off == before.irq_off + 1);
	v = HV_UIO_IRQ_ENABLE;
	assert_int_equal(write(fd, &v, sizeof(v)), 4);
	WAIT_FOR(rx->interrupt_mask == 0);
	assert_int_equal(call(C_RAISE, 0, 0, 0, 0).ret, 1);
	assert_int_equal(read(fd, &count, sizeof(count)), 4);
	assert_int_equal(count, 2);
	munmap(m0, d->map_size[0]);
	close(fd);
	WAIT_FOR(!dev_open(0));
}

struct scanner {
	const struct guest_dev *d;
	volatile bool stop;
	int seen, bad;
};

/*
 * Whatever channel dir is visible must be complete (published with one
 * rename). The directory's inode tells a torn view from a dir that went
 * away and came back between two lookups.
 */
static void *
scan_channels(void *arg)
{
	struct scanner *s = arg;
	char dir[PATH_MAX], ring[PATH_MAX + 8], sub[PATH_MAX + 16];
	struct stat a, b;
	bool has_ring, has_sub;

	snprintf(dir, sizeof(dir), "/sys/bus/vmbus/devices/%s/channels/%lu",
		 s->d->name, s->d->relid + 1);
	snprintf(ring, sizeof(ring), "%s/ring", dir);
	snprintf(sub, sizeof(sub), "%s/subchannel_id", dir);
	while (!s->stop) {
		if (stat(dir, &a) != 0)
			continue;
		has_ring = access(ring, R_OK | W_OK) == 0;
		has_sub = access(sub, R_OK) == 0;
		if (stat(dir, &b) != 0 || a.st_ino != b.st_ino)
			continue;
		s->seen++;
		if (has_ring && !has_sub)
			s->bad++;
	}
	return NULL;
}

static void
test_emu_subchannel(void **state)
{
	const struct guest_dev *d = find_dev(0);
	struct scanner sc = { .d = d };
	char path[PATH_MAX];
	unsigned long v;
	volatile struct vmbus_ring_hdr *rx;
	size_t len = 0;
	uint8_t *ring;
	pthread_t t;
	int32_t en = 1;
	int fd, i;

	(void)state;
	assert_int_equal(call(C_SUBCHAN, 0, (uint32_t)d->relid + 1, 1, 3).ret, -EPROTO);
	assert_int_equal(pthread_create(&t, NULL, scan_channels, &sc), 0);
	for (i = 0; i < 20; i++) {
		fd = guest_uio_open(0, O_RDWR | O_CLOEXEC);
		assert_true(fd >= 0);
		assert_int_equal(call(C_SUBCHAN, 0, (uint32_t)d->relid + 1, 1, 3).ret, 0);
		assert_int_equal(call(C_SUBCHAN, 0, (uint32_t)d->relid + 1, 2, 4).ret, -EEXIST);
		if (i == 0) {
			snprintf(path, sizeof(path),
				 "/sys/bus/vmbus/devices/%s/channels/%lu/subchannel_id",
				 d->name, d->relid + 1);
			assert_int_equal(guest_read_ulong(path, &v), 0);
			assert_int_equal(v, 1);
			snprintf(path, sizeof(path),
				 "/sys/bus/vmbus/devices/%s/channels/%lu/monitor_id",
				 d->name, d->relid + 1);
			assert_int_equal(guest_read_ulong(path, &v), 0);
			assert_int_equal(v, 3);
			ring = guest_map_ring(d, d->relid + 1, &len);
			assert_non_null(ring);
			assert_int_equal(len, 2 * RING_SIZE);
			rx = (volatile struct vmbus_ring_hdr *)(ring + len / 2);
			assert_int_equal(rx->feature_bits, 1);
			assert_int_equal(rx->interrupt_mask, 1);
			/* irq control reaches subchannels too (current kernels). */
			assert_int_equal(write(fd, &en, sizeof(en)), 4);
			WAIT_FOR(rx->interrupt_mask == 0);
			munmap(ring, len);
		}
		close(fd);
		WAIT_FOR(!dev_open(0));
		/* Channel close drops the subchannel. */
		snprintf(path, sizeof(path), "/sys/bus/vmbus/devices/%s/channels/%lu",
			 d->name, d->relid + 1);
		assert_int_equal(access(path, F_OK), -1);
	}
	sc.stop = true;
	pthread_join(t, NULL);
	assert_int_equal(sc.bad, 0);
}

/* Failed checks of uio_abi_check, kept for the assertions. */
struct abi_fails {
	unsigned int n;
	char reason[16][256];
};

static void
abi_fail(void *arg, const char *reason)
{
	struct abi_fails *f = arg;

	print_message("uio-abi: %s\n", reason);
	if (f->n < 16)
		snprintf(f->reason[f->n], sizeof(f->reason[0]), "%s", reason);
	f->n++;
}

static bool
abi_failed(const struct abi_fails *f, const char *needle)
{
	unsigned int i;

	for (i = 0; i < f->n && i < 16; i++)
		if (strstr(f->reason[i], needle) != NULL)
			return true;
	return false;
}

/*
 * The shim's sysfs against docs/uio-abi.md's table (the kernel suite
 * holds our module and Debian's to the same table): both NICs, one
 * with a monitored and an unmonitored sub-channel.
 */
static void
test_emu_uio_abi(void **state)
{
	const struct guest_dev *d = find_dev(0);
	struct abi_fails f = { 0 };
	char dir[PATH_MAX];
	unsigned int checked = 0, i;
	int fd;

	(void)state;
	fd = guest_uio_open(0, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(call(C_SUBCHAN, 0, (uint32_t)d->relid + 1, 1, 3).ret, 0);
	assert_int_equal(call(C_SUBCHAN, 0, (uint32_t)d->relid + 2, 2,
			      EMU_NO_MONITOR).ret, 0);
	for (i = 0; i < NICS; i++) {
		snprintf(dir, sizeof(dir), "/sys/bus/vmbus/devices/%s",
			 find_dev(i)->name);
		assert_int_equal(uio_abi_check(dir, pagesz, abi_fail, &f, &checked), 0);
		/* 25 device-level paths, 3 per channel. */
		assert_true(checked >= (i == 0 ? 34u : 28u));
	}
	close(fd);
	WAIT_FOR(!dev_open(0));
}

static int
put(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	if (fp == NULL)
		return -1;
	fputs(text, fp);
	return fclose(fp);
}

/* nftw callback: remove what test_emu_uio_abi_catches built. */
static int
rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

/* The check fails, and says why, on a face that breaks the table. */
static void
test_emu_uio_abi_catches(void **state)
{
	static const char *const names[] = {
		"txrx_rings\n", "int_page\n", "monitor_page\n", "recv:7\n", "recv:8\n",
	};
	static const char *const sizes[] = {
		"0x40000\n", "0x1000\n", "0x2000\n", "0x100000\n", "0x100000\n",
	};
	struct abi_fails f = { 0 };
	char root[64], dir[256];
	unsigned int k;
	int n;

	(void)state;
	/* Outside /sys and /dev: the shim leaves it alone. */
	snprintf(root, sizeof(root), "/dev/shm/uio-abi-bad-%d", (int)getpid());
	assert_int_equal(mkdir(root, 0700), 0);
	assert_int_equal(put(root, "class_id", "{f8615163-df3e-46c5-913f-f2d2f965ed0e}\n"), 0);
	assert_int_equal(put(root, "device_id", "f8615163-0000-1000-2000-000000000001\n"), 0);
	assert_int_equal(put(root, "id", "15\n"), 0);
	snprintf(dir, sizeof(dir), "%s/uio", root);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(dir, sizeof(dir), "%s/uio/uio0", root);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(dir, sizeof(dir), "%s/uio/uio0/maps", root);
	assert_int_equal(mkdir(dir, 0700), 0);
	for (k = 0; k <= HV_UIO_MAP_COUNT; k++) {
		snprintf(dir, sizeof(dir), "%s/uio/uio0/maps/map%u", root, k);
		assert_int_equal(mkdir(dir, 0700), 0);
		if (k < HV_UIO_MAP_COUNT) {
			assert_int_equal(put(dir, "name", names[k]), 0);
			assert_int_equal(put(dir, "size", sizes[k]), 0);
		}
	}
	snprintf(dir, sizeof(dir), "%s/channels", root);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(dir, sizeof(dir), "%s/channels/15", root);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(put(dir, "subchannel_id", "0\n"), 0);

	n = uio_abi_check(root, 4096, abi_fail, &f, NULL);
	/* In process: a child shell would inherit the (ASan-built) shim. */
	assert_int_equal(nftw(root, rm_entry, 8, FTW_DEPTH | FTW_PHYS), 0);
	/* The ring is missing as the primary's and as a channel's. */
	assert_int_equal(n, 6);
	assert_true(abi_failed(&f, "device_id: \"f8615163-0000-1000-2000-000000000001\" does not match"));
	assert_true(abi_failed(&f, "maps/map2/size: 0x2000 breaks rule hv-page"));
	assert_true(abi_failed(&f, "maps/map4/name: \"recv:8\" does not match"));
	assert_true(abi_failed(&f, "maps/map5: exists, must not"));
	assert_true(abi_failed(&f, "channels/15/ring: missing"));
}

/* Child guest: open + map + scribble, report, then wait to be killed. */
static int
child_main(void)
{
	const char *fdstr = getenv("EMU_TEST_READY_FD");
	uint8_t *m0;
	int32_t en = 1;
	int fd, rfd = fdstr != NULL ? atoi(fdstr) : -1;
	size_t len = 2 * RING_SIZE;

	fd = guest_uio_open(0, O_RDWR);
	if (fd < 0 || rfd < 0)
		return 1;
	m0 = guest_uio_map(fd, 0, len);
	if (m0 == NULL)
		return 1;
	((struct vmbus_ring_hdr *)m0)->write_index = 4242;
	if (write(fd, &en, sizeof(en)) != 4 || write(rfd, "R", 1) != 1)
		return 1;
	for (;;)
		pause();
}

static void
test_emu_sigkill(void **state)
{
	const struct guest_dev *d = find_dev(0);
	char fdenv[32], *argv[] = { (char *)"/proc/self/exe", NULL };
	char **env;
	struct hooks before = snap();
	struct pollfd pfd;
	size_t n = 0, i;
	pid_t pid;
	int p[2], st;
	char c;
	uint8_t *m0;
	int fd;

	(void)state;
	assert_int_equal(pipe(p), 0);
	snprintf(fdenv, sizeof(fdenv), "EMU_TEST_READY_FD=%d", p[1]);
	while (environ[n] != NULL)
		n++;
	env = calloc(n + 3, sizeof(*env));
	assert_non_null(env);
	for (i = 0; i < n; i++)
		env[i] = environ[i];
	env[n] = fdenv;
	env[n + 1] = (char *)"EMU_TEST_CHILD=1";
	assert_int_equal(posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv, env), 0);
	free(env);
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 20000), 1);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	assert_true(dev_open(0));
	assert_int_equal(snap().irq_on, before.irq_on + 1);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	WAIT_FOR(!dev_open(0));
	assert_true(snap().closes > before.closes);
	/* The next guest gets a fresh channel. */
	fd = guest_uio_open(0, O_RDWR);
	assert_true(fd >= 0);
	m0 = guest_uio_map(fd, 0, d->map_size[0]);
	assert_non_null(m0);
	assert_int_equal(((struct vmbus_ring_hdr *)m0)->write_index, 0);
	munmap(m0, d->map_size[0]);
	close(fd);
	WAIT_FOR(!dev_open(0));
}

static void
test_emu_two_nics(void **state)
{
	const struct guest_dev *d0 = find_dev(0), *d1 = find_dev(1);
	struct hooks before = snap();
	int32_t v = 7;
	int fd0, fd1;
	void *a, *b;

	(void)state;
	assert_int_equal(d1->uio, 1);
	assert_string_not_equal(d0->map_name[3], d1->map_name[3]);
	fd0 = guest_uio_open(0, O_RDWR);
	fd1 = guest_uio_open(1, O_RDWR | O_NONBLOCK);
	assert_true(fd0 >= 0 && fd1 >= 0);
	assert_true(fcntl(fd1, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(fd0, F_GETFD) == 0); /* no O_CLOEXEC added */
	a = guest_uio_map(fd0, 2, 4096);
	b = guest_uio_map(fd1, 2, 4096);
	assert_non_null(a);
	assert_non_null(b);
	((volatile uint32_t *)a)[2] = 0x11;
	assert_int_equal(((volatile uint32_t *)b)[2], 0);
	assert_int_equal(write(fd1, &v, sizeof(v)), 4);
	WAIT_FOR(snap().doorbells == before.doorbells + 1);
	assert_int_equal(snap().last_dev, 1);
	assert_int_equal(snap().last_value, 7);
	/* Non-blocking read with nothing pending. */
	assert_int_equal(read(fd1, &v, sizeof(v)), -1);
	assert_int_equal(errno, EAGAIN);
	munmap(a, 4096);
	munmap(b, 4096);
	close(fd0);
	close(fd1);
	WAIT_FOR(!dev_open(0) && !dev_open(1));
}

/*
 * The guest-physical address of p, from /proc/self/pagemap as EAL reads
 * it in IOVA-as-PA mode (the shim serves that file); 0 if unknown.
 */
static uint64_t
gpa_of(const void *p)
{
	uint64_t e = 0, va = (uint64_t)(uintptr_t)p;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, sizeof(e), (off_t)(va / 4096 * sizeof(e))) != sizeof(e))
		e = 0;
	close(fd);
	if (!(e >> 63) || (e & ((1ull << 55) - 1)) == 0)
		return 0;
	return (e & ((1ull << 55) - 1)) * 4096 + va % 4096;
}

static void
test_emu_guestmem(void **state)
{
	const size_t len = 16 * 4096;
	uint64_t gpa_mem, gpa_end, gpa_mem2, gpa_priv;
	struct call c;
	uint8_t *mem, *mem2, *priv;
	int mfd, mfd2, fd;
	size_t i;

	(void)state;
	mfd = memfd_create("guest", MFD_CLOEXEC);
	mfd2 = memfd_create("closed-early", MFD_CLOEXEC);
	assert_true(mfd >= 0 && mfd2 >= 0);
	assert_int_equal(ftruncate(mfd, (off_t)len), 0);
	assert_int_equal(ftruncate(mfd2, 4096), 0);
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	mem2 = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mfd2, 0);
	assert_true(mem != MAP_FAILED && mem2 != MAP_FAILED);
	close(mfd2); /* the mapping must still be handed over */
	priv = malloc(4096);
	assert_non_null(priv);
	for (i = 0; i < len; i++)
		mem[i] = (uint8_t)(i * 7);
	/* EAL learns the pages' frames before it opens the device. */
	gpa_mem = gpa_of(mem + 3 * 4096 + 10);
	gpa_end = gpa_of(mem + len - 8);
	gpa_mem2 = gpa_of(mem2);
	gpa_priv = gpa_of(priv);
	assert_true(gpa_mem != 0 && gpa_end != 0 && gpa_mem2 != 0 && gpa_priv != 0);
	/* IOVA != VA. */
	assert_int_not_equal(gpa_mem, (uint64_t)(uintptr_t)(mem + 3 * 4096 + 10));
	fd = guest_uio_open(0, O_RDWR);
	assert_true(fd >= 0);
	assert_true(snap().mem > 0);
	memset(&c, 0, sizeof(c));
	c.what = C_TRANSLATE;
	/* A virtual address in a GPA field names no guest memory. */
	c.a = 100;
	c.u = (uint64_t)(uintptr_t)mem + 3 * 4096 + 10;
	emu_loop_call(emu_host_loop(host), do_call, &c);
	assert_null(c.ptr);
	c.u = gpa_mem;
	emu_loop_call(emu_host_loop(host), do_call, &c);
	assert_non_null(c.ptr);
	assert_memory_equal(c.ptr, mem + 3 * 4096 + 10, 100);
	/* Host writes are visible to the guest: same memory, not a copy. */
	((volatile uint8_t *)c.ptr)[0] = 0xee;
	assert_int_equal(((volatile uint8_t *)mem)[3 * 4096 + 10], 0xee);
	c.u = gpa_end;
	c.a = 16; /* crosses the end */
	emu_loop_call(emu_host_loop(host), do_call, &c);
	assert_null(c.ptr);
	c.u = gpa_mem2;
	c.a = 4096;
	emu_loop_call(emu_host_loop(host), do_call, &c);
	assert_non_null(c.ptr);
	c.u = gpa_priv; /* a frame, but of private memory */
	c.a = 1;
	emu_loop_call(emu_host_loop(host), do_call, &c);
	assert_null(c.ptr);
	close(fd);
	WAIT_FOR(!dev_open(0));
	/* Channel closed: guest memory forgotten. */
	c.u = gpa_mem;
	emu_loop_call(emu_host_loop(host), do_call, &c);
	assert_null(c.ptr);
	free(priv);
	munmap(mem, len);
	munmap(mem2, 4096);
	close(mfd);
}

static void *
translate(unsigned int dev, const void *p, uint32_t len)
{
	struct call c = { .what = C_TRANSLATE_VA, .dev = dev, .a = len,
			  .u = (uint64_t)(uintptr_t)p };

	emu_loop_call(emu_host_loop(host), do_call, &c);
	return c.ptr;
}

/* The guest side of the handshake without the shim: MEM only, no HELLO. */
static int
raw_send_mem(unsigned int dev, const void *va, int mfd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct emu_msg_mem m = {
		.hdr = { EMU_MSG_MAGIC, EMU_MSG_MEM, EMU_MSG_VERSION },
		.count = 1,
		.range[0] = { .va = (uint64_t)(uintptr_t)va, .len = 4096 },
	};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { &m, offsetof(struct emu_msg_mem, range) + sizeof(m.range[0]) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	assert_true(s >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/dev/uio%u",
		 getenv(EMU_ENV_ROOT), dev);
	assert_int_equal(connect(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &mfd, sizeof(mfd));
	assert_int_equal(sendmsg(s, &mh, MSG_NOSIGNAL), (ssize_t)iov.iov_len);
	return s;
}

/*
 * An opener that dies between its memory hand-over and its HELLO leaves
 * nothing behind: the next guest, whose ranges may well sit at the same
 * addresses, must not be served from the dead one's memory.
 */
static void
test_emu_guestmem_abandoned(void **state)
{
	int mfd = memfd_create("abandoned", MFD_CLOEXEC);
	int before = snap().mem, s;
	uint8_t *mem;

	(void)state;
	assert_true(mfd >= 0);
	assert_int_equal(ftruncate(mfd, 4096), 0);
	mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	assert_true(mem != MAP_FAILED);
	assert_false(dev_open(0));
	s = raw_send_mem(0, mem, mfd);
	WAIT_FOR(snap().mem > before);
	assert_non_null(translate(0, mem, 4096));
	close(s);
	WAIT_FOR(translate(0, mem, 1) == NULL);
	assert_false(dev_open(0));
	munmap(mem, 4096);
	close(mfd);
}

/* The device comes back as a new one: same GUID, new buffers. */
static void
check_reoffered(unsigned int idx)
{
	const char *guid = emu_dev_guid(emu_host_dev(host, idx));
	struct guest_dev *d = NULL;
	struct vmbus_ring_hdr *rx;
	void *ring;
	int fd, i;

	assert_int_equal(guest_scan(devs, GUEST_MAX_DEVS), NICS);
	for (i = 0; i < NICS; i++)
		if (strcmp(devs[i].name, guid) == 0)
			d = &devs[i];
	assert_non_null(d);
	assert_int_equal(d->relid, 15 + 64 * idx);
	assert_int_equal(guest_read_maps(d), 0);
	/* The kernel's GPADL counter moved on: 925200 + 16 + 2 * idx. */
	assert_int_equal(strtoul(d->map_name[3] + 5, NULL, 0), 925216 + 2 * idx);
	fd = guest_uio_open(idx, O_RDWR);
	assert_true(fd >= 0);
	ring = guest_uio_map(fd, 0, d->map_size[0]);
	assert_non_null(ring);
	rx = (void *)((uint8_t *)ring + d->map_size[0] / 2);
	assert_int_equal(rx->read_index, 0);
	assert_int_equal(rx->feature_bits, 1);
	munmap(ring, d->map_size[0]);
	close(fd);
	WAIT_FOR(!dev_open(idx));
}

/* Last: rescind, then the same NIC offered again. */
static void
test_emu_rescind(void **state)
{
	struct hooks before = snap();
	size_t ring_len = find_dev(1)->map_size[0];
	char path[PATH_MAX];
	uint32_t v = 1;
	void *ring;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/sys/bus/vmbus/devices/%s", find_dev(1)->name);
	fd = guest_uio_open(1, O_RDWR);
	assert_true(fd >= 0);
	ring = guest_uio_map(fd, 0, ring_len);
	assert_non_null(ring);
	assert_int_equal(call(C_REOFFER, 1, 0, 0, 0).ret, -EPROTO);
	assert_int_equal(call(C_RESCIND, 1, 0, 0, 0).ret, 0);
	assert_int_equal(call(C_RESCIND, 1, 0, 0, 0).ret, -EPROTO);
	assert_false(dev_open(1));
	assert_int_equal(read(fd, &v, sizeof(v)), -1);
	assert_int_equal(errno, EIO);
	assert_int_equal(write(fd, &v, sizeof(v)), -1);
	assert_int_equal(errno, EIO);
	assert_true(snap().closes > before.closes);
	assert_true(guest_uio_open(1, O_RDWR) < 0);
	/* Unregistered: the device is gone from sysfs too. */
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(guest_scan(devs, GUEST_MAX_DEVS), NICS - 1);
	/* What the guest still has mapped stays valid memory. */
	((volatile uint8_t *)ring)[64] = 1;
	munmap(ring, ring_len);
	close(fd);
	/* The other NIC is unaffected. */
	fd = guest_uio_open(0, O_RDWR);
	assert_true(fd >= 0);
	close(fd);
	WAIT_FOR(!dev_open(0));
	assert_int_equal(call(C_REOFFER, 1, 0, 0, 0).ret, 0);
	check_reoffered(1);
}

/* Re-run ourselves with the shim preloaded and a private root. */
static int
reexec_under_shim(char **argv)
{
	const char *shim = getenv("EMU_TEST_SHIM");
	char root[64];

	if (shim == NULL || access(shim, R_OK) != 0) {
		printf("EMU_TEST_SHIM not set or unreadable: skipped\n");
		return 77;
	}
	snprintf(root, sizeof(root), "/dev/shm/vmbus-emu-test-%d", (int)getpid());
	setenv(EMU_ENV_ROOT, root, 1);
	setenv("LD_PRELOAD", shim, 1);
	execv("/proc/self/exe", argv);
	perror("execv");
	return 1;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emu_scan),
		cmocka_unit_test(test_emu_maps),
		cmocka_unit_test(test_emu_irq),
		cmocka_unit_test(test_emu_subchannel),
		cmocka_unit_test(test_emu_uio_abi),
		cmocka_unit_test(test_emu_uio_abi_catches),
		cmocka_unit_test(test_emu_sigkill),
		cmocka_unit_test(test_emu_two_nics),
		cmocka_unit_test(test_emu_guestmem),
		cmocka_unit_test(test_emu_guestmem_abandoned),
		cmocka_unit_test(test_emu_rescind),
	};

	(void)argc;
	if (getenv("EMU_TEST_CHILD") != NULL)
		return child_main();
	if (getenv(EMU_ENV_ROOT) == NULL || getenv("LD_PRELOAD") == NULL)
		return reexec_under_shim(argv);
	pagesz = (size_t)sysconf(_SC_PAGESIZE);
	return cmocka_run_group_tests(tests, setup, teardown);
}
