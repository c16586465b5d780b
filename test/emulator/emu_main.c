/* SPDX-License-Identifier: BSD-3-Clause */
/* vmbus-emu: run the emulated Hyper-V host in the foreground. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu.h"

#ifndef EMU_SHIM_BUILD_PATH
#define EMU_SHIM_BUILD_PATH "libvmbus_emu_shim.so"
#endif

static const char usage_text[] =
"Usage: vmbus-emu [OPTION]...\n"
"\n"
"Emulate the part of a Hyper-V host and of the Linux kernel (vmbus core,\n"
"uio_hv_generic) that a userspace VMBus driver such as DPDK's vmbus bus and\n"
"netvsc PMD sees: a sysfs tree, /dev/uioN and the shared rings, monitor page\n"
"and receive/send buffers behind it. Programs see it through the\n"
"LD_PRELOAD shim libvmbus_emu_shim.so, which redirects /sys/bus/vmbus,\n"
"/sys/class/uio and /dev/uioN into the instance root.\n"
"\n"
"The emulator runs in the foreground until SIGINT or SIGTERM, then removes\n"
"its root directory. When ready it prints the two environment lines a\n"
"guest needs (see --print-env) followed by a line \"ready\".\n"
"\n"
"Instance:\n"
"  -n, --name NAME        instance name; the root defaults to\n"
"                         /dev/shm/vmbus-emu-NAME (default name: default)\n"
"  -r, --root DIR         instance root directory (tmpfs strongly advised:\n"
"                         rings live in files there). Created fresh; an\n"
"                         existing non-empty directory is only replaced if\n"
"                         an earlier vmbus-emu created it\n"
"  -N, --nics COUNT       number of synthetic NICs, 1..8 (default 1); NIC k\n"
"                         is /dev/uio<k>\n"
"      --unbound          show the NICs bound to hv_netvsc instead of\n"
"                         uio_hv_generic (sysfs only, no uio device)\n"
"\n"
"Network identity (stored for the network service):\n"
"  -m, --mac MAC          MAC of NIC 0 as xx:xx:xx:xx:xx:xx; NIC k adds k to\n"
"                         the last byte (default 00:15:5d:00:00:10)\n"
"      --mtu BYTES        MTU, 68..65535 (default 1500)\n"
"\n"
"Sizes (a K, M or G suffix is accepted; drivers must read them from sysfs):\n"
"      --ring-size SIZE   per-direction ring size including the header page\n"
"                         (default 2M); map0 and each channel ring are twice\n"
"                         this\n"
"      --recv-size SIZE   receive buffer, map3 (default 31M)\n"
"      --send-size SIZE   send buffer, map4 (default 16M)\n"
"\n"
"Numbering:\n"
"      --relid-base N     relid of NIC 0's primary channel; NIC k uses\n"
"                         N + 64k (default 15)\n"
"      --monitor-base N   monitor id of NIC 0; NIC k uses N + 16k, all < 128\n"
"                         (default 2)\n"
"      --gpadl-base N     GPADL of NIC 0's receive buffer; send is N + 1,\n"
"                         NIC k adds 2k (default 925200)\n"
"\n"
"Kernel behaviour:\n"
"      --irq-mask MODE    'new' (default): channels open with the inbound\n"
"                         interrupt_mask set, the host masks again on each\n"
"                         interrupt, irq control applies to all channels;\n"
"                         'old': mask left 0 at open, no auto-mask, irq\n"
"                         control touches the primary channel only\n"
"\n"
"Other:\n"
"  -v, --verbose          log channel open/close, irq control and doorbells\n"
"      --shim PATH        shim path printed by --print-env\n"
"      --print-env        print the VMBUS_EMU_ROOT and LD_PRELOAD lines for\n"
"                         this configuration and exit (use with eval)\n"
"  -h, --help             show this help and exit\n"
"\n"
"Example:\n"
"  vmbus-emu --name a --nics 2 &\n"
"  eval \"$(vmbus-emu --name a --print-env)\"\n"
"  dpdk-testpmd --no-huge --no-pci --file-prefix=a -- -i\n"
"\n"
"Exit status: 0 after a signal, 1 on a runtime error, 2 on bad usage.\n";

enum {
	OPT_UNBOUND = 256, OPT_MTU, OPT_RING, OPT_RECV, OPT_SEND, OPT_RELID,
	OPT_MONITOR, OPT_GPADL, OPT_IRQ, OPT_SHIM, OPT_PRINT_ENV,
};

static const struct option long_opts[] = {
	{ "name", required_argument, NULL, 'n' },
	{ "root", required_argument, NULL, 'r' },
	{ "nics", required_argument, NULL, 'N' },
	{ "unbound", no_argument, NULL, OPT_UNBOUND },
	{ "mac", required_argument, NULL, 'm' },
	{ "mtu", required_argument, NULL, OPT_MTU },
	{ "ring-size", required_argument, NULL, OPT_RING },
	{ "recv-size", required_argument, NULL, OPT_RECV },
	{ "send-size", required_argument, NULL, OPT_SEND },
	{ "relid-base", required_argument, NULL, OPT_RELID },
	{ "monitor-base", required_argument, NULL, OPT_MONITOR },
	{ "gpadl-base", required_argument, NULL, OPT_GPADL },
	{ "irq-mask", required_argument, NULL, OPT_IRQ },
	{ "verbose", no_argument, NULL, 'v' },
	{ "shim", required_argument, NULL, OPT_SHIM },
	{ "print-env", no_argument, NULL, OPT_PRINT_ENV },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct cli {
	struct emu_config cfg;
	const char *shim;
	bool print_env;
	bool verbose;
};

static struct emu_loop *g_loop;

static int
parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int
parse_size(const char *s, size_t *out)
{
	unsigned long long v, mul = 1;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || s[0] == '-')
		return -EINVAL;
	if (*end == 'K' || *end == 'k')
		mul = 1ull << 10;
	else if (*end == 'M' || *end == 'm')
		mul = 1ull << 20;
	else if (*end == 'G' || *end == 'g')
		mul = 1ull << 30;
	if (mul != 1)
		end++;
	if (*end != '\0' || v > SIZE_MAX / mul)
		return -EINVAL;
	*out = (size_t)(v * mul);
	return 0;
}

static int
parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

static int
parse_opt(struct cli *c, int opt, const char *arg)
{
	uint32_t v = 0;

	switch (opt) {
	case 'n': c->cfg.name = arg; return 0;
	case 'r': c->cfg.root = arg; return 0;
	case 'N':
		if (parse_u32(arg, &v) != 0)
			return -EINVAL;
		c->cfg.nics = v;
		return 0;
	case OPT_UNBOUND: c->cfg.unbound = true; return 0;
	case 'm': return parse_mac(arg, c->cfg.mac);
	case OPT_MTU: return parse_u32(arg, &c->cfg.mtu);
	case OPT_RING: return parse_size(arg, &c->cfg.ring_size);
	case OPT_RECV: return parse_size(arg, &c->cfg.recv_size);
	case OPT_SEND: return parse_size(arg, &c->cfg.send_size);
	case OPT_RELID: return parse_u32(arg, &c->cfg.relid_base);
	case OPT_MONITOR: return parse_u32(arg, &c->cfg.monitor_base);
	case OPT_GPADL: return parse_u32(arg, &c->cfg.gpadl_base);
	case OPT_IRQ:
		if (strcmp(arg, "new") != 0 && strcmp(arg, "old") != 0)
			return -EINVAL;
		c->cfg.old_irq_mask = strcmp(arg, "old") == 0;
		return 0;
	case 'v': c->verbose = true; return 0;
	case OPT_SHIM: c->shim = arg; return 0;
	case OPT_PRINT_ENV: c->print_env = true; return 0;
	default: return -EINVAL;
	}
}

/* 0 = run, 1 = exit 0 (help), 2 = usage error. */
static int
parse_args(struct cli *c, int argc, char **argv)
{
	int opt;

	emu_config_defaults(&c->cfg);
	c->shim = EMU_SHIM_BUILD_PATH;
	while ((opt = getopt_long(argc, argv, "n:r:N:m:vh", long_opts, NULL)) != -1) {
		if (opt == 'h') {
			fputs(usage_text, stdout);
			return 1;
		}
		if (opt == '?' || parse_opt(c, opt, optarg) != 0) {
			if (opt != '?')
				fprintf(stderr, "vmbus-emu: bad value '%s'\n", optarg);
			fputs("Try 'vmbus-emu --help'.\n", stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vmbus-emu: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	return 0;
}

static void
print_env(const char *root, const char *shim)
{
	printf("export %s='%s'\n", EMU_ENV_ROOT, root);
	printf("export LD_PRELOAD='%s'\n", shim);
}

static void
log_chan(void *arg, struct emu_chan *ch, const char *what)
{
	(void)arg;
	printf("%s: relid %u subchannel %u on %s\n", what, emu_chan_relid(ch),
	       emu_chan_subchan_id(ch), emu_dev_guid(emu_chan_dev(ch)));
	fflush(stdout);
}

static void 
log_open(void *a, struct emu_chan *ch)
{
	log_chan(a, ch, "open");
}
static void 
log_close(void *a, struct emu_chan *ch)
{
	log_chan(a, ch, "close");
}

static void
log_doorbell(void *arg, struct emu_dev *dev, uint32_t value)
{
	(void)arg;
	printf("write %u on uio%u\n", value, emu_dev_uio_minor(dev));
	fflush(stdout);
}

static const struct emu_service_ops log_ops = {
	.chan_open = log_open,
	.chan_close = log_close,
	.doorbell = log_doorbell,
};

/*
 * Where services attach: today an optional logger; the network service
 * (NVSP/RNDIS) and the control socket (an fd on emu_host_loop()) go here.
 */
static void
attach_services(struct emu_host *h, const struct cli *c)
{
	if (c->verbose)
		emu_host_set_service(h, &log_ops, NULL);
}

static void
on_signal(int sig)
{
	(void)sig;
	if (g_loop != NULL)
		emu_loop_stop(g_loop);
}

static int
install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int
run(const struct cli *c)
{
	struct emu_host *h;
	int ret = emu_host_create(&c->cfg, &h);

	if (ret != 0) {
		fprintf(stderr, "vmbus-emu: cannot set up: %s\n", strerror(-ret));
		return 1;
	}
	attach_services(h, c);
	g_loop = emu_host_loop(h);
	ret = install_signals();
	if (ret == 0) {
		print_env(emu_host_root(h), c->shim);
		printf("ready\n");
		fflush(stdout);
		ret = emu_loop_run(g_loop);
	}
	g_loop = NULL;
	emu_host_destroy(h);
	if (ret != 0)
		fprintf(stderr, "vmbus-emu: %s\n", strerror(-ret));
	return ret == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct cli c;
	const char *why;
	char root[4096];
	int ret;

	memset(&c, 0, sizeof(c));
	ret = parse_args(&c, argc, argv);
	if (ret != 0)
		return ret == 1 ? 0 : 2;
	if (emu_config_check(&c.cfg, &why) != 0) {
		fprintf(stderr, "vmbus-emu: %s\n", why);
		return 2;
	}
	if (c.print_env) {
		if (c.cfg.root != NULL)
			snprintf(root, sizeof(root), "%s", c.cfg.root);
		else
			snprintf(root, sizeof(root), "/dev/shm/vmbus-emu-%s", c.cfg.name);
		print_env(root, c.shim);
		return 0;
	}
	return run(&c);
}
