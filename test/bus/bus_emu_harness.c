/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host side of the bus's emulator test: runs the emulator's kernel face
 * (emu_dep) with a raw echo service, then runs the DPDK test program
 * under the shim and obeys its requests on a control socket.
 *
 * Echo service: every packet the guest writes on a channel's
 * guest->host ring is written back unchanged on that channel's
 * host->guest ring, raising an interrupt when the ring rules say so.
 * It also counts the guest's signals (monitor bits, interrupt page bits,
 * doorbell writes) so the program can check them.
 *
 * Control requests go through the emulator's control server (emu_ctl.h,
 * socket <root>/control, path in BUS_TEST_CTL), as this harness's own
 * commands (one line each, answered "ok ..." or "error: ..."):
 *   sub <n> <k>   offer n subchannels; subchannel k has no monitor id
 *   irq <relid>   raise an interrupt on a channel (reply: 1 raised, 0 masked)
 *   echo-stats    echoed monitor-signals int-page-bits doorbells corrupt
 *   rescind       rescind the device
 *   reoffer <ms>  offer the rescinded device again; its primary's
 *                 channels/<relid>/ring appears <ms> later (0: at once)
 *   xlate <gpa> <len>  FNV-1a hash of guest memory at GPA (bytes), read
 *                 through the emulator's guest-memory table
 *   bogus <relid> <sub_id> <ring_bytes>  publish a hostile channel
 *                 directory (a ring file of that size, that subchannel_id)
 *   unbogus <relid>  remove it again
 *
 * Usage: bus_emu_harness [--old-irq] [--gpa-mode=va] -- <program> [args...]
 * (--gpa-mode=va: GPA = VA, for a guest without hugepages; by default
 * GPAs go through the guest's page table, IOVA as PA.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emu.h"
#include "emu_ctl.h"
#include "vmbus_ring.h"

#define RING_SIZE (64u * 1024)    /* per direction */
#define BUS_TEST_CLASS "5eb1b0a8-7a43-4d4e-9a51-0b05c0a11e57"
#define BAD_GUID "0bad0bad-0000-4000-8000-000000000001"
#define UNBOUND_GUID "0bad0bad-0000-4000-8000-000000000002"
#define BUF_SIZE (256u * 1024)
#define ECHO_BURST 64

struct echo_chan {
	struct emu_chan *ch;
	struct vmbus_ring g2h;   /* host reads */
	struct vmbus_ring h2g;   /* host writes */
};

struct harness {
	struct emu_config cfg;
	struct emu_host *host;
	pthread_t loop_thread;
	bool loop_running;
	struct emu_ctl_env ctl_env;
	struct emu_ctl *ctl;
	char ctl_path[4096];
	struct echo_chan *chans[EMU_MAX_CHANS];
	/* Counters: written on the loop thread, read via emu_loop_call. */
	uint64_t echoed, monitor_signals, int_page_bits, doorbells, corrupt;
	uint8_t pkt[BUF_SIZE];
};

static struct harness H;

static int harness_cmd(void *arg, char **argv, int argc, FILE *out);

static void
svc_chan_open(void *arg, struct emu_chan *ch)
{
	struct echo_chan *e = calloc(1, sizeof(*e));
	struct emu_ring g = emu_chan_g2h(ch), h = emu_chan_h2g(ch);
	unsigned int i;

	(void)arg;
	if (e == NULL)
		return;
	e->ch = ch;
	if (vmbus_ring_attach(&e->g2h, g.hdr, g.data, g.data_size) != 0 ||
	    vmbus_ring_attach(&e->h2g, h.hdr, h.data, h.data_size) != 0) {
		free(e);
		return;
	}
	for (i = 0; i < EMU_MAX_CHANS; i++) {
		if (H.chans[i] == NULL) {
			H.chans[i] = e;
			emu_chan_set_priv(ch, e);
			return;
		}
	}
	free(e);
}

static void
svc_chan_close(void *arg, struct emu_chan *ch)
{
	struct echo_chan *e = emu_chan_priv(ch);
	unsigned int i;

	(void)arg;
	for (i = 0; i < EMU_MAX_CHANS; i++)
		if (H.chans[i] == e)
			H.chans[i] = NULL;
	emu_chan_set_priv(ch, NULL);
	free(e);
}

static void
svc_doorbell(void *arg, struct emu_dev *dev, uint32_t value)
{
	(void)arg;
	(void)dev;
	if (value == HV_UIO_IRQ_ENABLE)
		H.doorbells++;
}

/* Move what fits from g2h to h2g; interrupt the guest if it asked. */
static void
echo_one(struct echo_chan *e)
{
	bool sig_any = false, unused;
	int n, ret;

	for (n = 0; n < ECHO_BURST; n++) {
		struct hv_sg sg;
		uint32_t len = 0;
		bool sig = false;

		ret = vmbus_ring_peek(&e->g2h, H.pkt, sizeof(H.pkt), &len);
		if (ret == -EIO)
			H.corrupt++;
		if (ret != 0)
			break;
		sg.base = H.pkt;
		sg.len = len;
		if (vmbus_ring_write(&e->h2g, &sg, 1, &sig) != 0)
			break;	/* guest not reading: keep it for later */
		sig_any |= sig;
		vmbus_ring_skip(&e->g2h, &len);
		H.echoed++;
	}
	vmbus_ring_commit(&e->g2h, &unused);
	if (sig_any)
		emu_dev_raise_irq(emu_chan_dev(e->ch), e->ch);
}

static unsigned int
popcount_clear(uint32_t *word)
{
	return (unsigned int)__builtin_popcount(
		__atomic_exchange_n(word, 0u, __ATOMIC_ACQ_REL));
}

/* Guest->host notifications: monitor page bits and int page bits. */
static void
collect_signals(struct emu_dev *dev)
{
	struct vmbus_monitor_page *mp = emu_dev_monitor_page(dev);
	size_t len = 0;
	uint8_t *ip = emu_dev_map(dev, HV_UIO_MAP_INT_PAGE, &len);
	unsigned int g;

	for (g = 0; mp != NULL && g < VMBUS_MONITOR_GROUPS; g++)
		H.monitor_signals +=
			popcount_clear(&mp->trigger_group[g].pending);
	if (ip == NULL || len < HV_PAGE_SIZE)
		return;
	for (g = 0; g < VMBUS_INT_PAGE_SEND_OFFSET / 4; g++)
		H.int_page_bits += popcount_clear(
			(uint32_t *)(void *)(ip + VMBUS_INT_PAGE_SEND_OFFSET) + g);
}

static void
svc_tick(void *arg)
{
	unsigned int i;

	(void)arg;
	if (H.host == NULL || emu_host_ndevs(H.host) == 0)
		return;
	collect_signals(emu_host_dev(H.host, 0));
	for (i = 0; i < EMU_MAX_CHANS; i++)
		if (H.chans[i] != NULL)
			echo_one(H.chans[i]);
}

static const struct emu_service_ops svc_ops = {
	.chan_open = svc_chan_open,
	.chan_close = svc_chan_close,
	.doorbell = svc_doorbell,
};

static void *
loop_main(void *arg)
{
	(void)arg;
	emu_loop_run(emu_host_loop(H.host));
	return NULL;
}

/*
 * Give the device a class of its own so that no installed PMD (netvsc
 * matches the network class) can take it before the test's driver.
 */
static int
set_test_class(void)
{
	struct emu_dev *dev = emu_host_dev(H.host, 0);
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/sys/bus/vmbus/devices/%s/class_id",
		 emu_host_root(H.host), emu_dev_guid(dev));
	f = fopen(path, "w");
	if (f == NULL)
		return -errno;
	fprintf(f, "{%s}\n", BUS_TEST_CLASS);
	return fclose(f) == 0 ? 0 : -EIO;
}

/* Write text to root/sys/bus/vmbus/devices/<guid>/<file>. */
static int
put_attr(const char *guid, const char *file, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/sys/bus/vmbus/devices/%s",
		 emu_host_root(H.host), guid);
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "%s/sys/bus/vmbus/devices/%s/%s",
		 emu_host_root(H.host), guid, file);
	f = fopen(path, "w");
	if (f == NULL)
		return -errno;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -EIO;
}

/*
 * Two more entries the scan must cope with: one with a malformed id
 * (reported and skipped, the scan goes on) and one not bound to UIO.
 */
static int
add_odd_devices(void)
{
	static const char *const guids[] = { BAD_GUID, UNBOUND_GUID };
	unsigned int i;
	int ret = 0;

	for (i = 0; i < 2 && ret == 0; i++) {
		char text[64];

		ret = put_attr(guids[i], "class_id", "{" BUS_TEST_CLASS "}\n");
		snprintf(text, sizeof(text), "%s\n", guids[i]);
		if (ret == 0)
			ret = put_attr(guids[i], "device_id", text);
		if (ret == 0)
			ret = put_attr(guids[i], "id", i == 0 ? "010\n" : "99\n");
	}
	return ret;
}

static int
host_start(void)
{
	const char *why = NULL;
	int ret;

	if (emu_config_check(&H.cfg, &why) != 0) {
		fprintf(stderr, "harness: bad config: %s\n", why);
		return -EINVAL;
	}
	ret = emu_host_create(&H.cfg, &H.host);
	if (ret != 0)
		return ret;
	ret = set_test_class();
	if (ret == 0)
		ret = add_odd_devices();
	if (ret != 0)
		return ret;
	emu_host_set_service(H.host, &svc_ops, NULL);
	emu_loop_set_tick(emu_host_loop(H.host), 1, svc_tick, NULL);
	/* Opened before the loop thread runs: no race on its fd table. */
	H.ctl_env.loop = emu_host_loop(H.host);
	H.ctl_env.ext = harness_cmd;
	snprintf(H.ctl_path, sizeof(H.ctl_path), "%s/%s", emu_host_root(H.host),
		 EMU_CTL_SOCKET);
	ret = emu_ctl_open(&H.ctl_env, H.ctl_path, &H.ctl);
	if (ret != 0)
		return ret;
	if (pthread_create(&H.loop_thread, NULL, loop_main, NULL) != 0)
		return -EAGAIN;
	H.loop_running = true;
	return 0;
}

static void
host_stop(void)
{
	unsigned int i;

	if (H.loop_running) {
		emu_loop_stop(emu_host_loop(H.host));
		pthread_join(H.loop_thread, NULL);
		H.loop_running = false;
	}
	if (H.ctl != NULL)
		emu_ctl_close(H.ctl);
	H.ctl = NULL;
	if (H.host != NULL)
		emu_host_destroy(H.host);
	H.host = NULL;
	for (i = 0; i < EMU_MAX_CHANS; i++) {
		free(H.chans[i]);
		H.chans[i] = NULL;
	}
}

/* ---- control requests, run on the loop thread ---- */

struct req {
	char cmd[16];
	unsigned long long a, b, c;
	int ret;
	char reply[128];
};

static void
req_sub(struct req *r, struct emu_dev *dev)
{
	struct emu_chan *p = emu_dev_primary(dev);
	uint32_t base = emu_chan_relid(p), mon = emu_chan_monitor_id(p);
	unsigned int k;

	for (k = 1; k <= r->a; k++) {
		/* Subchannel b is one the host does not monitor. */
		r->ret = emu_dev_add_subchan(dev, base + k, k,
					     k == r->b ? EMU_NO_MONITOR : mon + k,
					     NULL);
		if (r->ret != 0)
			return;
	}
}

/* What the guest's bytes at GPA look like from the host. */
static void
req_xlate(struct req *r, struct emu_dev *dev)
{
	const uint8_t *p = emu_dev_translate(dev, r->a / HV_PAGE_SIZE,
					     r->a % HV_PAGE_SIZE, r->b);
	uint64_t h = 0xcbf29ce484222325ULL;
	uint64_t i;

	if (p == NULL) {
		r->ret = -EFAULT;
		return;
	}
	for (i = 0; i < r->b; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	snprintf(r->reply, sizeof(r->reply), "%llu", (unsigned long long)h);
}

static int
chan_path(char *out, size_t n, struct emu_dev *dev, const char *name,
	  const char *file)
{
	int len = snprintf(out, n, "%s/sys/bus/vmbus/devices/%s/channels/%s%s%s",
			   emu_host_root(H.host), emu_dev_guid(dev), name,
			   file[0] != '\0' ? "/" : "", file);

	return len < 0 || (size_t)len >= n ? -ENAMETOOLONG : 0;
}

/* A file of the given size and, if text != NULL, content. */
static int
make_file(const char *path, const char *text, unsigned long long size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (text != NULL && write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		ret = -EIO;
	if (text == NULL && ftruncate(fd, (off_t)size) != 0)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * What a broken or hostile host could publish: built under a dot name
 * (scanners skip those) and renamed, so the guest sees it whole.
 */
static int
bogus_chan(struct emu_dev *dev, uint32_t relid, uint32_t sub_id,
	   unsigned long long ring_bytes)
{
	char tmp[4096], dst[4096], file[4096], name[32], text[32];
	int ret;

	snprintf(name, sizeof(name), ".bogus-%u", relid);
	snprintf(text, sizeof(text), "%u", relid);
	ret = chan_path(tmp, sizeof(tmp), dev, name, "");
	if (ret == 0)
		ret = chan_path(dst, sizeof(dst), dev, text, "");
	if (ret == 0 && mkdir(tmp, 0755) != 0)
		ret = -errno;
	if (ret == 0)
		ret = chan_path(file, sizeof(file), dev, name, "ring");
	if (ret == 0)
		ret = make_file(file, NULL, ring_bytes);
	if (ret == 0)
		ret = chan_path(file, sizeof(file), dev, name, "subchannel_id");
	snprintf(text, sizeof(text), "%u\n", sub_id);
	if (ret == 0)
		ret = make_file(file, text, 0);
	if (ret == 0 && rename(tmp, dst) != 0)
		ret = -errno;
	return ret;
}

static int
bogus_remove(struct emu_dev *dev, uint32_t relid)
{
	static const char *const files[] = { "ring", "subchannel_id" };
	char path[4096], name[32];
	unsigned int i;
	int ret = 0;

	snprintf(name, sizeof(name), "%u", relid);
	for (i = 0; i < 2 && ret == 0; i++) {
		ret = chan_path(path, sizeof(path), dev, name, files[i]);
		if (ret == 0 && unlink(path) != 0)
			ret = -errno;
	}
	if (ret == 0)
		ret = chan_path(path, sizeof(path), dev, name, "");
	if (ret == 0 && rmdir(path) != 0)
		ret = -errno;
	return ret;
}

static void
run_req(void *arg)
{
	struct req *r = arg;
	struct emu_dev *dev = emu_host_dev(H.host, 0);

	r->ret = 0;
	r->reply[0] = '\0';
	if (strcmp(r->cmd, "sub") == 0) {
		req_sub(r, dev);
	} else if (strcmp(r->cmd, "irq") == 0) {
		r->ret = emu_dev_raise_irq(dev, emu_dev_chan_by_relid(dev, r->a));
		if (r->ret >= 0) {
			snprintf(r->reply, sizeof(r->reply), "%d", r->ret);
			r->ret = 0;
		}
	} else if (strcmp(r->cmd, "echo-stats") == 0) {
		snprintf(r->reply, sizeof(r->reply), "%llu %llu %llu %llu %llu",
			 (unsigned long long)H.echoed,
			 (unsigned long long)H.monitor_signals,
			 (unsigned long long)H.int_page_bits,
			 (unsigned long long)H.doorbells,
			 (unsigned long long)H.corrupt);
	} else if (strcmp(r->cmd, "rescind") == 0) {
		r->ret = emu_dev_rescind(dev);
	} else if (strcmp(r->cmd, "reoffer") == 0) {
		r->ret = emu_dev_reoffer(dev, (unsigned int)r->a);
		/* The offer writes the network class back. */
		if (r->ret == 0)
			r->ret = set_test_class();
	} else if (strcmp(r->cmd, "xlate") == 0) {
		req_xlate(r, dev);
	} else if (strcmp(r->cmd, "bogus") == 0) {
		r->ret = bogus_chan(dev, (uint32_t)r->a, (uint32_t)r->b, r->c);
	} else if (strcmp(r->cmd, "unbogus") == 0) {
		r->ret = bogus_remove(dev, (uint32_t)r->a);
	} else {
		r->ret = -EINVAL;
	}
}

/* The harness's commands, served by the emulator's control server. */
static int
harness_cmd(void *arg, char **argv, int argc, FILE *out)
{
	static const char *const names[] = {
		"sub", "irq", "echo-stats", "rescind", "reoffer", "xlate",
		"bogus", "unbogus",
	};
	unsigned long long *v[3];
	struct req r;
	size_t k;
	int i;

	(void)arg;
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if (strcmp(argv[0], names[k]) == 0)
			break;
	if (k == sizeof(names) / sizeof(names[0]))
		return -ENOENT;
	memset(&r, 0, sizeof(r));
	v[0] = &r.a;
	v[1] = &r.b;
	v[2] = &r.c;
	snprintf(r.cmd, sizeof(r.cmd), "%s", names[k]);
	if (argc > 4)
		r.ret = -E2BIG;
	for (i = 1; i < argc && r.ret == 0; i++)
		*v[i - 1] = strtoull(argv[i], NULL, 0);
	/* Already on the loop thread: the server runs there. */
	if (r.ret == 0)
		run_req(&r);
	if (r.ret != 0) {
		fprintf(out, "error: %s (%s)\n", r.cmd, strerror(-r.ret));
		return r.ret;
	}
	fprintf(out, "ok %s\n", r.reply);
	return 0;
}

static pid_t
spawn(char **argv)
{
	char val[32];
	pid_t pid;

	setenv("BUS_TEST_CTL", H.ctl_path, 1);
	setenv("BUS_TEST_GUID", emu_dev_guid(emu_host_dev(H.host, 0)), 1);
	setenv("BUS_TEST_UNBOUND_GUID", UNBOUND_GUID, 1);
	setenv("VMBUS_EMU_ROOT", emu_host_root(H.host), 1);
	snprintf(val, sizeof(val), "%u", RING_SIZE);
	setenv("BUS_TEST_RING_SIZE", val, 1);
	pid = fork();
	if (pid == 0) {
		execvp(argv[0], argv);
		perror("harness: exec");
		_exit(127);
	}
	return pid;
}

/* Wait for the program (the loop thread serves it); its status is ours. */
static int
supervise(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) != pid)
		if (errno != EINTR)
			return 1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	fprintf(stderr, "harness: program killed by signal %d\n",
		WTERMSIG(status));
	return 1;
}

int
main(int argc, char **argv)
{
	char name[64];
	int i = 1, rc;
	pid_t pid;

	emu_config_defaults(&H.cfg);
	if (i < argc && strcmp(argv[i], "--old-irq") == 0) {
		H.cfg.old_irq_mask = true;
		i++;
	}
	if (i < argc && strcmp(argv[i], "--gpa-mode=va") == 0) {
		H.cfg.gpa_is_va = true;
		i++;
	}
	if (i >= argc || strcmp(argv[i], "--") != 0 || i + 1 >= argc) {
		fprintf(stderr, "usage: %s [--old-irq] [--gpa-mode=va] -- program [args]\n",
			argv[0]);
		return 2;
	}
	snprintf(name, sizeof(name), "bus-test-%d", (int)getpid());
	H.cfg.name = name;
	H.cfg.nics = 1;
	H.cfg.ring_size = RING_SIZE;
	H.cfg.recv_size = 1024 * 1024;
	H.cfg.send_size = 512 * 1024;
	signal(SIGPIPE, SIG_IGN);
	if (host_start() != 0) {
		fprintf(stderr, "harness: cannot start the emulator\n");
		host_stop();
		return 77;
	}
	pid = spawn(argv + i + 1);
	rc = pid < 0 ? 1 : supervise(pid);
	host_stop();
	return rc;
}
