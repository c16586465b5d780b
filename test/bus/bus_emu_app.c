/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK side of the bus's emulator test; bus_emu_harness starts it under
 * the shim. It drives the vmbus bus the way a PMD would, against the
 * harness's echo service:
 *   probe by hotplug, resources and GPADLs, primary + 3 subchannels (one
 *   without a monitor id), inband / GPA / completion packets echoed back
 *   and verified, batch receive with one commit, ring full, latency,
 *   counters, interrupts (unmask, host interrupt, read), hostile
 *   subchannel directories refused, guest memory (hugepage-backed when
 *   the script provides hugepages) seen by the host at its GPA, a
 *   secondary process, unplug and re-probe, rescind while in use
 *   (removal event), re-probe after the host offers the device again:
 *   at once, with the primary's ring file late, and without it (probe
 *   must fail with -EAGAIN, not lose the subchannels).
 *
 * The bus is reached through dlopen: EAL loads it as a plugin (from its
 * plugin directory or -d), and linking a second copy would register a
 * second "vmbus" bus.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_eal.h>
#include <rte_interrupts.h>
#include <rte_malloc.h>
#include <rte_memory.h>
#include <rte_memzone.h>

#include "rte_bus_vmbus.h"
#include "vmbus_pkt.h"
/* Only to find where the primary mapped its subchannel rings. */
#include "vmbus_private.h"

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
		exit(1); \
	} \
} while (0)
#define STEP(...) do { printf("bus-emu: " __VA_ARGS__); printf("\n"); \
	fflush(stdout); } while (0)

#define NB_SUB 3
#define NOMON_SUB 3          /* subchannel without a monitor id */
#define WAIT_MS 5000
#define RING_NEVER_MS 3600000u  /* a ring file that does not come */
#define BOGUS_RELID_OFF 40u     /* relid of hostile channel dirs: primary + */
#define XLATE_LEN 6000u

/* The bus API, resolved from the loaded plugin. */
static struct {
	void (*reg)(struct rte_vmbus_driver *);
	void (*unreg)(struct rte_vmbus_driver *);
	bool (*rescinded)(const struct rte_vmbus_device *);
	unsigned int (*max_channels)(const struct rte_vmbus_device *);
	int (*open)(struct rte_vmbus_device *, struct rte_vmbus_chan **);
	int (*sub_open)(struct rte_vmbus_chan *, struct rte_vmbus_chan **);
	void (*close)(struct rte_vmbus_chan *);
	uint16_t (*sub_id)(const struct rte_vmbus_chan *);
	uint32_t (*relid)(const struct rte_vmbus_chan *);
	uint32_t (*mon_id)(const struct rte_vmbus_chan *);
	int (*latency)(struct rte_vmbus_chan *, uint32_t);
	int (*send)(struct rte_vmbus_chan *, const void *, uint32_t, uint64_t,
		    uint32_t, bool *);
	int (*send_comp)(struct rte_vmbus_chan *, const void *, uint32_t,
			 uint64_t, bool *);
	int (*send_gpa)(struct rte_vmbus_chan *, const struct rte_vmbus_gpa *,
			uint32_t, const void *, uint32_t, uint64_t, uint32_t,
			bool *);
	int (*signal)(struct rte_vmbus_chan *);
	int (*recv)(struct rte_vmbus_chan *, void *, uint32_t *);
	int (*peek)(struct rte_vmbus_chan *, void *, uint32_t *);
	bool (*rx_empty)(const struct rte_vmbus_chan *);
	int (*commit)(struct rte_vmbus_chan *);
	int (*stats)(const struct rte_vmbus_chan *,
		     struct rte_vmbus_chan_stats *);
	int (*intr_on)(struct rte_vmbus_chan *);
	int (*intr_off)(struct rte_vmbus_chan *);
	int (*irq_read)(struct rte_vmbus_device *, uint32_t *);
} api;

static void *
sym(void *h, const char *name)
{
	void *p = dlsym(h, name);

	if (p == NULL) {
		fprintf(stderr, "bus-emu: %s missing from the bus: %s\n", name,
			dlerror());
		exit(1);
	}
	return p;
}

#define LOAD(field, name) (*(void **)(&api.field) = sym(h, name))

static void
load_api(void)
{
	void *h = dlopen("librte_bus_vmbus.so.23", RTLD_NOW | RTLD_NOLOAD);

	if (h == NULL) {
		fprintf(stderr, "bus-emu: vmbus bus not loaded: %s\n", dlerror());
		exit(77);
	}
	LOAD(reg, "rte_vmbus_register");
	LOAD(unreg, "rte_vmbus_unregister");
	LOAD(rescinded, "rte_vmbus_device_rescinded");
	LOAD(max_channels, "rte_vmbus_max_channels");
	LOAD(open, "rte_vmbus_chan_open");
	LOAD(sub_open, "rte_vmbus_subchan_open");
	LOAD(close, "rte_vmbus_chan_close");
	LOAD(sub_id, "rte_vmbus_chan_subchan_id");
	LOAD(relid, "rte_vmbus_chan_relid");
	LOAD(mon_id, "rte_vmbus_chan_monitor_id");
	LOAD(latency, "rte_vmbus_chan_set_latency");
	LOAD(send, "rte_vmbus_chan_send");
	LOAD(send_comp, "rte_vmbus_chan_send_comp");
	LOAD(send_gpa, "rte_vmbus_chan_send_gpa");
	LOAD(signal, "rte_vmbus_chan_signal");
	LOAD(recv, "rte_vmbus_chan_recv");
	LOAD(peek, "rte_vmbus_chan_peek");
	LOAD(rx_empty, "rte_vmbus_chan_rx_empty");
	LOAD(commit, "rte_vmbus_chan_recv_commit");
	LOAD(stats, "rte_vmbus_chan_stats_get");
	LOAD(intr_on, "rte_vmbus_chan_intr_enable");
	LOAD(intr_off, "rte_vmbus_chan_intr_disable");
	LOAD(irq_read, "rte_vmbus_irq_read");
}

/* ---- harness control ---- */

static const char *ctl_path;

static int ctl(char *reply, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * A request to the harness, through the emulator's control socket: one
 * line per connection, the reply line until the server closes. 0 if it
 * answered "ok".
 */
static int
ctl(char *reply, size_t size, const char *fmt, ...)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char line[128];
	size_t got = 0;
	va_list ap;
	ssize_t n;
	int len, fd;

	va_start(ap, fmt);
	len = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	CHECK(len > 0 && len < (int)sizeof(line) - 1);
	line[len++] = '\n';
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ctl_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	CHECK(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK(write(fd, line, (size_t)len) == len);
	CHECK(shutdown(fd, SHUT_WR) == 0);
	while (got < size - 1 && (n = read(fd, reply + got, size - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	CHECK(got > 0);
	/* One line: without its newline (and the blank of an empty "ok "). */
	while (got > 0 && (reply[got - 1] == '\n' || reply[got - 1] == ' '))
		got--;
	reply[got] = '\0';
	return strncmp(reply, "ok", 2) == 0 ? 0 : -1;
}

struct host_stats {
	unsigned long long echoed, mon, intpage, doorbells, corrupt;
};

static void
host_stats(struct host_stats *s)
{
	char r[128];

	CHECK(ctl(r, sizeof(r), "echo-stats") == 0);
	CHECK(sscanf(r, "ok %llu %llu %llu %llu %llu", &s->echoed, &s->mon,
		     &s->intpage, &s->doorbells, &s->corrupt) == 5);
}

/* ---- our driver ---- */

static struct rte_vmbus_device *probed_dev;
static int probes, removes, rescinds;
static volatile int remove_events;

static int
drv_probe(struct rte_vmbus_driver *drv, struct rte_vmbus_device *dev)
{
	const struct rte_devargs *da = dev->device.devargs;

	(void)drv;
	/* Hotplug devargs reach the driver with their arguments. */
	CHECK(da != NULL && strcmp(da->args, "key=val") == 0);
	probed_dev = dev;
	probes++;
	return 0;
}

static int
drv_remove(struct rte_vmbus_device *dev)
{
	CHECK(dev == probed_dev);
	probed_dev = NULL;
	removes++;
	return 0;
}

static void
drv_rescind(struct rte_vmbus_device *dev)
{
	(void)dev;
	rescinds++;
}

/* The harness's private class: no installed PMD competes for it. */
static const struct hv_guid test_ids[] = {
	RTE_VMBUS_GUID(0x5eb1b0a8, 0x7a43, 0x4d4e, 0x9a51, 0x0b05c0a11e57ULL),
	{ .b = { 0 } },
};

static struct rte_vmbus_driver test_drv = {
	.driver = { .name = "bus_emu_test" },
	.id_table = test_ids,
	.probe = drv_probe,
	.remove = drv_remove,
	.rescind = drv_rescind,
};

static void
on_dev_event(const char *name, enum rte_dev_event_type type, void *arg)
{
	(void)arg;
	if (type == RTE_DEV_EVENT_REMOVE &&
	    strcmp(name, getenv("BUS_TEST_GUID")) == 0)
		remove_events++;
}

/* What the primary leaves for a secondary process. */
struct shared_state {
	struct rte_vmbus_chan *chans[NB_SUB + 1];
	void *addr[HV_UIO_MAP_COUNT];
};

#define SHARED_MZ "bus_emu_shared"

/* ---- helpers ---- */

static void
sleep_ms(unsigned int ms)
{
	usleep(ms * 1000u);
}

static void
probe_device(void)
{
	char name[64];
	int before = probes;

	snprintf(name, sizeof(name), "vmbus:%s,key=val", getenv("BUS_TEST_GUID"));
	CHECK(rte_dev_probe(name) == 0);
	CHECK(probes == before + 1 && probed_dev != NULL);
}

/*
 * The scan skipped the entry with a malformed id (and went on to find
 * ours); the one not bound to UIO is listed but no driver gets it.
 */
static void
check_odd_devices(void)
{
	char name[80];
	int before = probes;

	snprintf(name, sizeof(name), "vmbus:%s",
		 getenv("BUS_TEST_UNBOUND_GUID"));
	CHECK(rte_dev_probe(name) != 0);
	CHECK(probes == before);
	snprintf(name, sizeof(name), "vmbus:0bad0bad-0000-4000-8000-000000000001");
	CHECK(rte_dev_probe(name) != 0);
	CHECK(probes == before);
	STEP("malformed and unbound devices skipped");
}

static void
fill(uint8_t *buf, uint32_t len, uint32_t seed)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed * 31u + i * 7u);
}

/* Receive one packet within WAIT_MS, parse it into *info. */
static void
recv_pkt(struct rte_vmbus_chan *c, uint8_t *buf, uint32_t size,
	 struct vmbus_pkt_info *info)
{
	unsigned int waited;
	uint32_t len = size;

	/* The pollers' test says when there is something to take. */
	for (waited = 0; waited < WAIT_MS && api.rx_empty(c); waited++)
		sleep_ms(1);
	CHECK(!api.rx_empty(c));
	CHECK(api.recv(c, buf, &len) == 0);
	CHECK(vmbus_pkt_parse(buf, len, info) == 0);
}

static void
check_payload(const struct vmbus_pkt_info *info, uint32_t len, uint32_t seed)
{
	uint8_t want[2048];

	CHECK(len <= sizeof(want));
	fill(want, len, seed);
	CHECK(info->payload_len >= len);
	CHECK(memcmp(info->payload, want, len) == 0);
}

/* Inband, GPA and completion packets round trip on channel c. */
static void
round_trip(struct rte_vmbus_chan *c, uint32_t seed)
{
	static const struct rte_vmbus_gpa gpa[2] = {
		{ .pfn = 0x12345, .offset = 100, .len = 200 },
		{ .pfn = 0xabcdef, .offset = 0, .len = 4096 },
	};
	struct rte_vmbus_chan_stats st;
	struct vmbus_pkt_gpa_iter it;
	struct vmbus_pkt_gpa_view v;
	struct vmbus_pkt_info info;
	uint8_t data[1500], buf[4096];
	bool sig = false;

	fill(data, sizeof(data), seed);
	CHECK(api.send(c, data, 1000, seed, RTE_VMBUS_FLAG_COMPLETION_REQUESTED,
		       NULL) == 0);
	CHECK(api.send_gpa(c, gpa, 2, data, 77, seed + 1, 0, &sig) == 0);
	CHECK(api.send_comp(c, data, 13, seed + 2, &sig) == 0);
	if (sig)
		CHECK(api.signal(c) == 0);

	recv_pkt(c, buf, sizeof(buf), &info);
	CHECK(info.type == VMBUS_PKT_DATA_INBAND && info.trans_id == seed);
	CHECK(info.flags == VMBUS_PKT_FLAG_COMPLETION_REQUESTED);
	check_payload(&info, 1000, seed);
	recv_pkt(c, buf, sizeof(buf), &info);
	CHECK(info.type == VMBUS_PKT_DATA_GPA_DIRECT);
	CHECK(info.trans_id == seed + 1 && info.range_count == 2);
	vmbus_pkt_gpa_iter_init(&it, &info);
	CHECK(vmbus_pkt_gpa_iter_next(&it, &v) == 0);
	CHECK(v.byte_offset == 100 && v.byte_count == 200 &&
	      vmbus_pkt_gpa_pfn(&v, 0) == 0x12345);
	CHECK(vmbus_pkt_gpa_iter_next(&it, &v) == 0);
	CHECK(vmbus_pkt_gpa_pfn(&v, 0) == 0xabcdef && v.byte_count == 4096);
	check_payload(&info, 77, seed);
	recv_pkt(c, buf, sizeof(buf), &info);
	CHECK(info.type == VMBUS_PKT_COMPLETION && info.trans_id == seed + 2);
	check_payload(&info, 13, seed);
	/* One commit for the burst of three. */
	CHECK(api.commit(c) == 0);
	CHECK(api.stats(c, &st) == 0);
	CHECK(st.tx_packets >= 3 && st.rx_packets >= 3 && st.corrupt == 0);
}

static void
open_subchannels(struct rte_vmbus_chan *primary, struct rte_vmbus_chan **sub)
{
	char r[64];
	unsigned int n = 0, tries;
	int ret;

	/* Nothing offered yet: the bus must say "retry", not fail. */
	ret = api.sub_open(primary, &sub[0]);
	CHECK(ret == -ENOENT || ret == -EAGAIN);
	CHECK(ctl(r, sizeof(r), "sub %d %d", NB_SUB, NOMON_SUB) == 0);
	for (tries = 0; n < NB_SUB && tries < 1000; tries++) {
		ret = api.sub_open(primary, &sub[n]);
		if (ret == 0) {
			n++;
			continue;
		}
		CHECK(ret == -EAGAIN || ret == -ENOENT);
		sleep_ms(10);
	}
	CHECK(n == NB_SUB);
	CHECK(api.sub_open(primary, &sub[n]) == -ENOENT);
}

static void
check_subchannels(struct rte_vmbus_chan *primary, struct rte_vmbus_chan **sub)
{
	unsigned int i, seen = 0;

	for (i = 0; i < NB_SUB; i++) {
		uint16_t id = api.sub_id(sub[i]);

		CHECK(id >= 1 && id <= NB_SUB);
		seen |= 1u << id;
		CHECK(api.relid(sub[i]) == api.relid(primary) + id);
		if (id == NOMON_SUB)
			CHECK(api.mon_id(sub[i]) == RTE_VMBUS_NO_MONITOR);
		else
			CHECK(api.mon_id(sub[i]) == api.mon_id(primary) + id);
	}
	CHECK(seen == 0xeu);
}

static struct rte_vmbus_chan *
find_sub(struct rte_vmbus_chan **sub, uint16_t id)
{
	unsigned int i;

	for (i = 0; i < NB_SUB; i++)
		if (api.sub_id(sub[i]) == id)
			return sub[i];
	CHECK(0);
	return NULL;
}

/* Fill the Tx ring while not reading: -EAGAIN, counted; then drain. */
static void
ring_full(struct rte_vmbus_chan *c)
{
	struct rte_vmbus_chan_stats st;
	uint8_t data[4000], buf[8192];
	unsigned int i, got = 0, quiet = 0, sent = 0;
	int ret = 0;

	memset(data, 0x5a, sizeof(data));
	for (i = 0; i < 10000 && ret != -EAGAIN; i++) {
		ret = api.send(c, data, sizeof(data), i, 0, NULL);
		if (ret == 0)
			sent++;
		else
			sleep_ms(1);
	}
	CHECK(ret == -EAGAIN);
	CHECK(api.stats(c, &st) == 0 && st.ring_full >= 1);
	while (quiet < 300) {
		uint32_t len = sizeof(buf);

		ret = api.recv(c, buf, &len);
		if (ret == 0) {
			got++;
			quiet = 0;
			if (got % 4 == 0)
				CHECK(api.commit(c) == 0);
			continue;
		}
		CHECK(ret == -EAGAIN);
		CHECK(api.commit(c) == 0);
		quiet++;
		sleep_ms(1);
	}
	CHECK(got == sent);
}

/* Wait for the device's UIO fd to become readable, then read it. */
static void
wait_irq(struct rte_vmbus_device *dev)
{
	struct pollfd p = { .fd = rte_intr_fd_get(dev->intr_handle),
			    .events = POLLIN };
	uint32_t count = 0;

	CHECK(p.fd >= 0);
	CHECK(poll(&p, 1, WAIT_MS) == 1);
	CHECK(api.irq_read(dev, &count) == 0);
	CHECK(count >= 1);
}

static void
irq_on_channel(struct rte_vmbus_device *dev, struct rte_vmbus_chan *c)
{
	struct vmbus_pkt_info info;
	uint8_t data[64], buf[256];
	char r[64];
	int ret;

	ret = api.intr_on(c);
	CHECK(ret == 0 || ret == 1);
	fill(data, sizeof(data), 9);
	CHECK(api.send(c, data, sizeof(data), 99, 0, NULL) == 0);
	/* The echo lands on an empty, unmasked ring: the host interrupts. */
	wait_irq(dev);
	recv_pkt(c, buf, sizeof(buf), &info);
	CHECK(info.trans_id == 99);
	CHECK(api.commit(c) == 0);
	/* Host-raised interrupt on request, while enabled. */
	CHECK(api.intr_on(c) == 0);
	CHECK(ctl(r, sizeof(r), "irq %u", api.relid(c)) == 0);
	CHECK(strcmp(r, "ok 1") == 0);
	wait_irq(dev);
	/* Disabled: the host must not interrupt. */
	CHECK(api.intr_off(c) == 0);
	CHECK(ctl(r, sizeof(r), "irq %u", api.relid(c)) == 0);
	CHECK(strcmp(r, "ok 0") == 0);
}

/*
 * Channel directories a broken host could publish; each must be refused
 * with -EINVAL (never mapped as a channel), and the bus must stay usable.
 */
static void
hostile_subchannels(struct rte_vmbus_chan *primary)
{
	static const struct { unsigned int sub_id; unsigned long long ring; }
	bad[] = {
		{ 64, 0 },               /* id beyond the 64 channels */
		{ 2, 0 },                /* id of an open subchannel */
		{ 9, 3 * 4096 },         /* ring not two equal halves */
		{ 9, 2 * 4096 },         /* halves with no data area */
	};
	uint32_t relid = api.relid(primary) + BOGUS_RELID_OFF;
	struct rte_vmbus_chan *c = NULL;
	unsigned long long ring;
	unsigned int i;
	char r[64];

	for (i = 0; i < RTE_DIM(bad); i++) {
		ring = bad[i].ring != 0 ? bad[i].ring :
			2ull * strtoull(getenv("BUS_TEST_RING_SIZE"), NULL, 10);
		CHECK(ctl(r, sizeof(r), "bogus %u %u %llu", relid,
			  bad[i].sub_id, ring) == 0);
		CHECK(api.sub_open(primary, &c) == -EINVAL);
		CHECK(ctl(r, sizeof(r), "unbogus %u", relid) == 0);
	}
	CHECK(api.sub_open(primary, &c) == -ENOENT);
	STEP("%u hostile subchannel directories refused", i);
}

static uint64_t
fnv1a(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/*
 * The host reads guest buffers by GPA = IOVA: with hugepages IOVA as PA
 * (frame numbers of the shim's pagemap, never the VA), without them IOVA
 * as VA. DPDK memory must look the same from the emulator. The span
 * crosses a 4 KiB page.
 */
static void
guest_memory(void)
{
	uint8_t *buf = rte_malloc("bus_emu_gpa", 8192, 8192);
	const struct rte_memseg *ms;
	unsigned long long h = 0;
	rte_iova_t iova;
	char r[64];

	CHECK(buf != NULL);
	fill(buf, 8192, 77);
	/* What a PMD puts in a GPA range. */
	iova = rte_malloc_virt2iova(buf) + 1000;
	ms = rte_mem_virt2memseg(buf, NULL);
	CHECK(ms != NULL);
	if (getenv("BUS_TEST_HUGE_DIR") != NULL) {
		CHECK(ms->hugepage_sz == RTE_PGSIZE_2M);
		CHECK(rte_eal_iova_mode() == RTE_IOVA_PA);
		CHECK(iova != (rte_iova_t)(uintptr_t)(buf + 1000));
		/* Planted bug: the virtual address is no GPA. */
		CHECK(ctl(r, sizeof(r), "xlate %llu %u",
			  (unsigned long long)(uintptr_t)(buf + 1000),
			  XLATE_LEN) != 0);
	} else {
		CHECK(iova == (rte_iova_t)(uintptr_t)(buf + 1000));
	}
	CHECK(ctl(r, sizeof(r), "xlate %llu %u", (unsigned long long)iova,
		  XLATE_LEN) == 0);
	CHECK(sscanf(r, "ok %llu", &h) == 1);
	CHECK(h == fnv1a(buf + 1000, XLATE_LEN));
	/* And what the guest writes later, not a copy taken at handover. */
	buf[2000] ^= 0xff;
	CHECK(ctl(r, sizeof(r), "xlate %llu %u", (unsigned long long)iova,
		  XLATE_LEN) == 0);
	CHECK(sscanf(r, "ok %llu", &h) == 1);
	CHECK(h == fnv1a(buf + 1000, XLATE_LEN));
	STEP("guest memory at its GPA seen by the host (%s pages)",
	     ms->hugepage_sz == RTE_PGSIZE_2M ? "2 MiB" : "small");
	rte_free(buf);
}

static int
cmp_dev_name(const struct rte_device *dev, const void *name)
{
	return strcmp(dev->name, name);
}

/*
 * A secondary whose attach fails (here: something of its own sits at the
 * primary's map0 address) must leave alone what it has at the primary's
 * subchannel ring addresses: it never mapped the rings there.
 */
static void
failed_attach_keeps_foreign_maps(const struct shared_state *ss)
{
	struct rte_bus *bus = rte_bus_find_by_name("vmbus");
	struct rte_device *rdev;
	void *mine[NB_SUB + 1], *block;
	unsigned int i;

	CHECK(bus != NULL);
	rdev = bus->find_device(NULL, cmp_dev_name, getenv("BUS_TEST_GUID"));
	CHECK(rdev != NULL);
	block = mmap(ss->addr[0], 4096, PROT_READ,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(block == ss->addr[0]);
	for (i = 1; i <= NB_SUB; i++) {
		const struct rte_vmbus_chan *c = ss->chans[i];

		mine[i] = mmap(c->ring_base, c->ring_size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			       -1, 0);
		CHECK(mine[i] == c->ring_base);
		*(volatile uint8_t *)mine[i] = 0x5a;
	}
	CHECK(bus->plug(rdev) != 0);
	for (i = 1; i <= NB_SUB; i++) {
		size_t len = ss->chans[i]->ring_size;

		/* msync fails with ENOMEM on an unmapped range. */
		CHECK(msync(mine[i], len, MS_ASYNC) == 0);
		CHECK(*(volatile uint8_t *)mine[i] == 0x5a);
		CHECK(munmap(mine[i], len) == 0);
	}
	CHECK(munmap(block, 4096) == 0);
	STEP("secondary: failed attach left this process's mappings alone");
}

/*
 * Secondary process: attach the device (the bus maps at the primary's
 * addresses), then drive the primary's channels from here.
 */
static int
secondary_main(void)
{
	const struct rte_memzone *mz = rte_memzone_lookup(SHARED_MZ);
	const struct shared_state *ss;
	struct rte_vmbus_chan *c;
	unsigned int i;

	CHECK(mz != NULL);
	ss = mz->addr;
	api.reg(&test_drv);
	failed_attach_keeps_foreign_maps(ss);
	probe_device();
	for (i = 0; i < HV_UIO_MAP_COUNT; i++)
		CHECK(probed_dev->resource[i].addr == ss->addr[i]);
	for (i = 0; i <= NB_SUB; i++)
		round_trip(ss->chans[i], 5000 + 100 * i);
	STEP("secondary: polled %d channels at the primary's addresses",
	     NB_SUB + 1);
	/* Channels belong to the primary: no opening or closing here. */
	CHECK(api.open(probed_dev, &c) == -ENOTSUP);
	CHECK(api.sub_open(ss->chans[0], &c) == -ENOTSUP);
	api.close(ss->chans[1]);
	round_trip(ss->chans[1], 5900);
	STEP("secondary: open and close refused");
	return 0;
}

/* Run this program again as a secondary process and wait for it. */
static void
run_secondary(struct rte_vmbus_device *dev, struct rte_vmbus_chan *primary,
	      struct rte_vmbus_chan **sub)
{
	const struct rte_memzone *mz;
	struct shared_state *ss;
	char *argv[16], prefix[96], huge[PATH_MAX + 16];
	unsigned int i;
	int status, argc = 0;
	pid_t pid;

	if (getenv("BUS_TEST_HUGE_DIR") == NULL) {
		STEP("secondary: skipped (needs hugepages: --no-huge has no "
		     "shared memory)");
		return;
	}
	mz = rte_memzone_reserve(SHARED_MZ, sizeof(*ss), SOCKET_ID_ANY, 0);
	CHECK(mz != NULL);
	ss = mz->addr;
	ss->chans[0] = primary;
	for (i = 0; i < NB_SUB; i++)
		ss->chans[i + 1] = sub[i];
	for (i = 0; i < HV_UIO_MAP_COUNT; i++)
		ss->addr[i] = dev->resource[i].addr;
	snprintf(prefix, sizeof(prefix), "--file-prefix=%s",
		 getenv("BUS_TEST_PREFIX"));
	snprintf(huge, sizeof(huge), "--huge-dir=%s",
		 getenv("BUS_TEST_HUGE_DIR"));
	argv[argc++] = (char *)(uintptr_t)"/proc/self/exe";
	argv[argc++] = (char *)(uintptr_t)"--proc-type=secondary";
	argv[argc++] = (char *)(uintptr_t)"--no-pci";
	argv[argc++] = (char *)(uintptr_t)"-l";
	argv[argc++] = (char *)(uintptr_t)"1";
	argv[argc++] = prefix;
	argv[argc++] = huge;
	argv[argc++] = (char *)(uintptr_t)(rte_eal_iova_mode() == RTE_IOVA_PA ?
					   "--iova-mode=pa" : "--iova-mode=va");
	if (getenv("BUS_TEST_BUS_SO") != NULL) {
		argv[argc++] = (char *)(uintptr_t)"-d";
		argv[argc++] = getenv("BUS_TEST_BUS_SO");
	}
	argv[argc] = NULL;
	setenv("BUS_TEST_ROLE", "secondary", 1);
	pid = fork();
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	unsetenv("BUS_TEST_ROLE");
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(rte_memzone_free(mz) == 0);
	STEP("secondary process attached and polled");
}

static void
data_path(struct rte_vmbus_device *dev)
{
	struct rte_vmbus_chan *primary, *sub[NB_SUB + 1];
	const struct vmbus_monitor_page *mp;
	struct host_stats hs0, hs1;
	unsigned int i;

	CHECK(api.open(dev, &primary) == 0);
	CHECK(api.open(dev, &sub[0]) == -EEXIST);
	CHECK(api.max_channels(dev) == 64);
	CHECK(api.sub_id(primary) == 0 && api.relid(primary) == dev->relid);
	/* Latency lands in the monitor page in 100 ns units. */
	CHECK(api.latency(primary, 50000) == 0);
	mp = dev->resource[HV_UIO_MAP_MONITOR_PAGE].addr;
	CHECK(mp->latency[dev->monitor_id / 32][dev->monitor_id % 32] == 500);
	CHECK(api.latency(primary, 7000000) == -ERANGE);
	open_subchannels(primary, sub);
	check_subchannels(primary, sub);
	STEP("primary + %d subchannels open", NB_SUB);
	hostile_subchannels(primary);
	guest_memory();
	CHECK(api.latency(find_sub(sub, NOMON_SUB), 1000) == -ENOTSUP);

	host_stats(&hs0);
	round_trip(primary, 1000);
	for (i = 0; i < NB_SUB; i++)
		round_trip(sub[i], 2000 + 100 * i);
	host_stats(&hs1);
	CHECK(hs1.echoed - hs0.echoed == 3 * (NB_SUB + 1));
	/* Monitored channels signal through the monitor page ... */
	CHECK(hs1.mon > hs0.mon);
	/* ... the unmonitored one through the int page and a doorbell. */
	CHECK(hs1.intpage > hs0.intpage && hs1.doorbells > hs0.doorbells);
	CHECK(hs1.corrupt == 0);
	STEP("inband/GPA/completion echoed on %d channels", NB_SUB + 1);

	ring_full(find_sub(sub, 1));
	STEP("ring full and drain");
	irq_on_channel(dev, primary);
	irq_on_channel(dev, find_sub(sub, 2));
	STEP("interrupts on primary and subchannel");
	run_secondary(dev, primary, sub);
	for (i = 0; i < NB_SUB; i++)
		api.close(sub[i]);
	api.close(primary);
}

static void
unplug_reprobe(void)
{
	struct rte_vmbus_chan *primary;

	CHECK(rte_dev_remove(&probed_dev->device) == 0);
	CHECK(removes == 1 && probed_dev == NULL);
	probe_device();
	CHECK(api.open(probed_dev, &primary) == 0);
	round_trip(primary, 3000);
	/* Left open on purpose: the rescind must cope with it. */
	STEP("unplug and re-probe");
}

/* The host withdraws the device in use: event, hooks, clean removal. */
static void
rescind_device(void)
{
	struct rte_vmbus_device *dev = probed_dev;
	struct rte_vmbus_chan *primary;
	int events = remove_events, hooks = rescinds, gone = removes;
	unsigned int waited;
	char r[64];

	CHECK(ctl(r, sizeof(r), "rescind") == 0);
	for (waited = 0; waited < WAIT_MS && remove_events == events; waited++)
		sleep_ms(1);
	CHECK(remove_events == events + 1 && rescinds == hooks + 1);
	CHECK(api.rescinded(dev));
	CHECK(api.open(dev, &primary) == -ENODEV);
	CHECK(rte_dev_remove(&dev->device) == 0);
	CHECK(removes == gone + 1 && probed_dev == NULL);
}

/* Probe by hotplug; "not published yet" (-EAGAIN) is retried. */
static void
probe_until_ready(void)
{
	char name[64];
	unsigned int tries;
	int before = probes, ret = -EAGAIN;

	snprintf(name, sizeof(name), "vmbus:%s,key=val", getenv("BUS_TEST_GUID"));
	for (tries = 0; tries < 100 && ret == -EAGAIN; tries++) {
		ret = rte_dev_probe(name);
		if (ret == -EAGAIN)
			sleep_ms(50);
	}
	CHECK(ret == 0);
	CHECK(probes == before + 1 && probed_dev != NULL);
}

/* The re-offered device is new to the bus and fully usable. */
static void
check_reoffered(uint32_t old_gpadl)
{
	struct rte_vmbus_chan *primary;
	uint8_t data[8] = { 0 };

	CHECK(!api.rescinded(probed_dev));
	/* A fresh scan: the kernel's GPADL counter moved on. */
	CHECK(probed_dev->resource[HV_UIO_MAP_RECV_BUF].gpadl != old_gpadl);
	/* Late ring or not, the subchannels must not be lost. */
	CHECK(api.max_channels(probed_dev) == 64);
	CHECK(api.open(probed_dev, &primary) == 0);
	round_trip(primary, 4000);
	CHECK(api.send(primary, data, sizeof(data), 1, 0, NULL) == 0);
	api.close(primary);
}

static uint32_t
recv_gpadl(void)
{
	return probed_dev->resource[HV_UIO_MAP_RECV_BUF].gpadl;
}

static void
rescind_and_reoffer(void)
{
	char name[64], r[64];
	uint32_t gpadl = recv_gpadl();
	int before;

	rescind_device();
	STEP("rescind: removal event, clean removal");
	CHECK(ctl(r, sizeof(r), "reoffer 0") == 0);
	probe_device();
	check_reoffered(gpadl);
	STEP("re-offer and re-probe");

	/* The primary's ring file comes late: probe waits or says retry. */
	gpadl = recv_gpadl();
	rescind_device();
	CHECK(ctl(r, sizeof(r), "reoffer 300") == 0);
	probe_until_ready();
	check_reoffered(gpadl);
	STEP("re-offer with the ring file 300 ms late");

	/* It never comes: -EAGAIN, nothing probed; a new offer recovers. */
	gpadl = recv_gpadl();
	rescind_device();
	CHECK(ctl(r, sizeof(r), "reoffer %u", RING_NEVER_MS) == 0);
	snprintf(name, sizeof(name), "vmbus:%s,key=val", getenv("BUS_TEST_GUID"));
	before = probes;
	CHECK(rte_dev_probe(name) == -EAGAIN);
	CHECK(probes == before && probed_dev == NULL);
	CHECK(ctl(r, sizeof(r), "rescind") == 0);
	CHECK(ctl(r, sizeof(r), "reoffer 0") == 0);
	probe_device();
	check_reoffered(gpadl);
	CHECK(rte_dev_remove(&probed_dev->device) == 0);
	STEP("re-offer without a ring file: -EAGAIN, then recovered");
}

/*
 * The emulator process dies (SIGKILL) while the device is probed and its
 * primary channel open. Its sockets close as the kernel closes them, the
 * uio fd reports EIO as on a rescind, and the bus must say so: a removal
 * event, the device marked rescinded, channels refused.
 */
static int
dead_host_main(pid_t host)
{
	struct rte_vmbus_chan *primary;
	struct rte_vmbus_device *dev;
	unsigned int waited;
	uint32_t count;

	CHECK(rte_dev_event_callback_register(NULL, on_dev_event, NULL) == 0);
	api.reg(&test_drv);
	probe_device();
	dev = probed_dev;
	CHECK(api.open(dev, &primary) == 0);
	CHECK(!api.rescinded(dev));
	STEP("dead host: probed %s, primary open; SIGKILL to the host (pid %d)",
	     dev->name, (int)host);
	CHECK(kill(host, SIGKILL) == 0);
	for (waited = 0; waited < WAIT_MS && remove_events == 0; waited++)
		sleep_ms(1);
	CHECK(remove_events == 1 && rescinds == 1);
	CHECK(api.rescinded(dev));
	CHECK(api.irq_read(dev, &count) == -ENODEV);
	api.close(primary);
	CHECK(api.open(dev, &primary) == -ENODEV);
	CHECK(rte_dev_remove(&dev->device) == 0);
	STEP("dead host: device rescinded after %u ms, channels refused", waited);
	rte_dev_event_callback_unregister(NULL, on_dev_event, NULL);
	api.unreg(&test_drv);
	rte_eal_cleanup();
	return 0;
}

int
main(int argc, char **argv)
{
	const char *fd = getenv("BUS_TEST_CTL");
	const char *dead = getenv("BUS_TEST_DEAD_HOST_PID");

	if (dead != NULL && getenv("BUS_TEST_GUID") != NULL) {
		if (rte_eal_init(argc, argv) < 0) {
			fprintf(stderr, "bus-emu: EAL init failed\n");
			return 1;
		}
		load_api();
		return dead_host_main((pid_t)atoi(dead));
	}
	if (fd == NULL || getenv("BUS_TEST_GUID") == NULL) {
		fprintf(stderr, "bus-emu: run me from bus_emu_harness\n");
		return 77;
	}
	ctl_path = fd;
	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "bus-emu: EAL init failed\n");
		return 1;
	}
	load_api();
	if (rte_eal_process_type() == RTE_PROC_SECONDARY) {
		int rc = secondary_main();

		rte_eal_cleanup();
		return rc;
	}
	CHECK(rte_dev_event_callback_register(NULL, on_dev_event, NULL) == 0);
	api.reg(&test_drv);
	probe_device();
	CHECK(probed_dev->nb_resources == HV_UIO_MAP_COUNT);
	CHECK(probed_dev->resource[HV_UIO_MAP_TXRX_RING].len ==
	      2ull * strtoull(getenv("BUS_TEST_RING_SIZE"), NULL, 10));
	CHECK(probed_dev->resource[HV_UIO_MAP_RECV_BUF].gpadl != 0);
	CHECK(probed_dev->resource[HV_UIO_MAP_SEND_BUF].gpadl ==
	      probed_dev->resource[HV_UIO_MAP_RECV_BUF].gpadl + 1);
	STEP("probed %s", probed_dev->name);
	check_odd_devices();
	data_path(probed_dev);
	unplug_reprobe();
	rescind_and_reoffer();
	rte_dev_event_callback_unregister(NULL, on_dev_event, NULL);
	api.unreg(&test_drv);
	rte_eal_cleanup();
	STEP("PASS");
	return 0;
}
