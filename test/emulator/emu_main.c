/* SPDX-License-Identifier: BSD-3-Clause */
/* vmbus-emu: run the emulated Hyper-V host in the foreground. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "emu.h"
#include "emu_backend.h"
#include "emu_ctl.h"
#include "emu_net.h"
#include "nvsp_wire.h"

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
"Network identity:\n"
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
"      --irq-late-us N    the guest kernel takes each interrupt N us after\n"
"                         the host's signal (masks the channel, bumps the\n"
"                         uio count then), as a busy guest CPU does; the\n"
"                         window in which a polling driver can unmask before\n"
"                         the mask lands (default 0: at once; max 1000000)\n"
"\n"
"Host network service (NetVSP, RNDIS):\n"
"      --host-version V   highest NVSP version the host accepts: 1, 2, 4,\n"
"                         5, 6 or 6.1 (default 6.1; Windows Server 2016\n"
"                         era hosts stop at 5)\n"
"      --max-queues N     receive queues offered (primary + subchannels),\n"
"                         1..64 (default 8)\n"
"      --no-csum-offload  do not advertise IPv4/TCP/UDP checksum offload\n"
"      --no-lso           do not advertise large send offload (LSOv2)\n"
"      --link-speed MBPS  link speed reported to the guest (default 10000)\n"
"      --ctrl-delay MS    delay every control reply (slow host; default 0)\n"
"      --rx-max-ranges N  frames the host puts in one receive (transfer-page)\n"
"                         packet, 1..375 (default 375, as Azure's host);\n"
"                         1 = a packet and an ACK per frame\n"
"      --rx-hash-ppi      add RSS hash PPIs to received frames (Azure's host\n"
"                         sends none)\n"
"      --rss-udp          offer UDP hash types in the RSS capabilities\n"
"                         (Azure's host offers TCP/IP only)\n"
"      --tx-max-pending N guest sends a queue may have outstanding before\n"
"                         the host stops reading its ring, 1..65536\n"
"                         (default 1024, as Azure's host)\n"
"      --tx-comp-delay US hold each send completion US microseconds after\n"
"                         the backend took the frames (default 20)\n"
"      --tx-comp-reverse N  held send completions go out in reversed runs\n"
"                         of N, so the guest frees its sends out of order\n"
"                         (default 0: in order)\n"
"      --trace            log every protocol message (all NICs)\n"
"\n"
"Strictness (default: as strict as Azure's host; docs/emulator.md,\n"
"\"Strictness: Azure's host vs the emulator\"):\n"
"      --lenient LIST     relax the named rules (comma-separated, or 'all'):\n"
"                         init-range   NVSP INIT takes the best version in\n"
"                                      [min, max] (Azure: exactly min)\n"
"                         link-at-init MEDIA_CONNECT after RNDIS INIT\n"
"                         link-flaps   every link change indicated at once\n"
"                         reset        RNDIS RESET answered (Azure: fatal)\n"
"                         reinit       a second NVSP/RNDIS INIT only refused\n"
"                         dup-setup    duplicate NDIS_CONFIG/VERSION and\n"
"                                      buffers only refused (Azure: fatal)\n"
"                         revoke       buffer revokes answered, channel runs\n"
"                         early-subch  subchannels offered before the\n"
"                                      completion, table at once\n"
"                         rx-ack       a bad RNDIS_ACK does not stop the\n"
"                                      channel (Azure: fatal)\n"
"                         rx-exact     received frames right after the\n"
"                                      PPIs, exact lengths (Azure: at 256)\n"
"                         tx-msg-align aggregated messages stepped by\n"
"                                      msg_len rounded up to 8\n"
"                         tx-inline-vlan TX offloads look past an inline\n"
"                                      802.1Q tag (Azure: L2 is 14 bytes)\n"
"      --subch-delay MS[,JITTER]\n"
"                         subchannel offers MS plus up to JITTER ms after\n"
"                         the completion (default 200,200)\n"
"      --subch-grant N    grant at most N subchannels (default: as asked)\n"
"      --txtbl-offset-quirk\n"
"                         below NVSP 6.1, put the indirection table at byte\n"
"                         40 with a too-small offset field (older hosts)\n"
"      --nvsp-resp-size 28|40\n"
"                         NVSP response size below 6.1 and of INIT_COMPLETE\n"
"                         (default 40, padded; OpenVMM sends 28)\n"
"      --link-coalesce MS link flaps within MS are coalesced (default 5000)\n"
"      --no-net           no network service at all: only the kernel face\n"
"                         (sysfs, uio, rings), as for bus-level tests\n"
"\n"
"Strictness (default strict, as Azure's host; each leniency is named):\n"
"      --doorbell-mode M  'strict' (default): a guest->host ring the host\n"
"                         found empty is read again only after the guest's\n"
"                         signal (monitor bit, or a uio write for a channel\n"
"                         without a monitor id); a ring left non-empty\n"
"                         without it stalls and counts as missed-doorbell.\n"
"                         'poll': read the rings without waiting for signals\n"
"      --gpa-mode M       'strict' (default): GPA ranges are translated only\n"
"                         through the guest's guest-physical page table (the\n"
"                         shim's pagemap; run EAL with hugepages and\n"
"                         --iova-mode=pa); anything else is refused and\n"
"                         counted as gpa-invalid. 'va': a GPA is the guest's\n"
"                         virtual address (IOVA as VA, --no-huge guests)\n"
"\n"
"Wire backends (what is behind each NIC; default: none, frames from the\n"
"guest are discarded and nothing is received):\n"
"      --backend [K=]SPEC backend of NIC K; without K, the first --backend\n"
"                         is NIC 0, the next NIC 1 and so on. SPEC is one of\n"
"           tap[:IFNAME][,netns=NAME][,ip=A.B.C.D/NN]\n"
"                         a TAP interface (IFNAME may hold %d), created in\n"
"                         the existing namespace /var/run/netns/NAME (see\n"
"                         ip-netns(8)), brought up, with an IPv4 address\n"
"           gen[:flows=N,size=N,count=N,rate=N,burst=N,start=0|1,drain=0|1,batch=N]\n"
"                         generator of UDP frames to the NIC's MAC: N flows\n"
"                         (distinct 5-tuples, default 1), frames of size\n"
"                         bytes without FCS (default 64), count frames in\n"
"                         total (0 = endless, default), rate frames per\n"
"                         second (0 = as fast as the guest takes them),\n"
"                         burst per poll (default 32), start=0 to wait for\n"
"                         'gen K start'; what the guest sends is counted\n"
"                         and its sequence numbers checked (echo tests);\n"
"                         drain=1: publish batches of frames (batch=N at\n"
"                         most, 0 = as many as fit) at once and time how\n"
"                         fast the guest empties the ring (drain counters)\n"
"           sink          count and discard what the guest sends\n"
"           loop          send back to the guest what it sends\n"
"           none          discard (the default)\n"
"\n"
"Control and counters:\n"
"                         a control socket ROOT/control takes commands\n"
"                         (see vmbus-emu-ctl --help); counters of every NIC\n"
"                         and backend are printed at exit\n"
"      --stats-interval S also print them every S seconds\n"
"\n"
"Other:\n"
"  -v, --verbose          with --no-net: log channel open/close and\n"
"                         doorbells\n"
"      --shim PATH        shim path printed by --print-env\n"
"      --print-env        print the VMBUS_EMU_ROOT and LD_PRELOAD lines for\n"
"                         this configuration and exit (use with eval)\n"
"  -h, --help             show this help and exit\n"
"\n"
"Examples:\n"
"  vmbus-emu --name a --nics 2 &\n"
"  eval \"$(vmbus-emu --name a --print-env)\"\n"
"  dpdk-testpmd --huge-dir=/mnt/huge --iova-mode=pa --no-pci --file-prefix=a -- -i\n"
"\n"
"  ip netns add ns1\n"
"  vmbus-emu --name b --backend tap:vtap0,netns=ns1,ip=10.9.0.1/24 &\n"
"  vmbus-emu --name c --backend gen:flows=64,count=1000000 --max-queues 4 &\n"
"\n"
"See docs/emulator.md for running any DPDK application on it.\n"
"\n"
"Exit status: 0 after a signal, 1 on a runtime error, 2 on bad usage.\n";

enum {
	OPT_UNBOUND = 256, OPT_MTU, OPT_RING, OPT_RECV, OPT_SEND, OPT_RELID,
	OPT_MONITOR, OPT_GPADL, OPT_IRQ, OPT_IRQ_LATE, OPT_SHIM, OPT_PRINT_ENV,
	OPT_HOST_VERSION, OPT_MAX_QUEUES, OPT_NO_CSUM, OPT_NO_LSO, OPT_SPEED,
	OPT_CTRL_DELAY, OPT_TRACE, OPT_NO_NET, OPT_BACKEND, OPT_STATS_INTERVAL,
	OPT_RX_MAX_RANGES, OPT_LENIENT, OPT_SUBCH_DELAY, OPT_SUBCH_GRANT,
	OPT_TXTBL_QUIRK, OPT_RESP_SIZE, OPT_LINK_COALESCE,
	OPT_DOORBELL_MODE, OPT_GPA_MODE,
	OPT_RX_HASH_PPI, OPT_RSS_UDP, OPT_TX_MAX_PENDING, OPT_TX_COMP_DELAY,
	OPT_TX_COMP_REVERSE,
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
	{ "irq-late-us", required_argument, NULL, OPT_IRQ_LATE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "shim", required_argument, NULL, OPT_SHIM },
	{ "print-env", no_argument, NULL, OPT_PRINT_ENV },
	{ "host-version", required_argument, NULL, OPT_HOST_VERSION },
	{ "max-queues", required_argument, NULL, OPT_MAX_QUEUES },
	{ "no-csum-offload", no_argument, NULL, OPT_NO_CSUM },
	{ "no-lso", no_argument, NULL, OPT_NO_LSO },
	{ "link-speed", required_argument, NULL, OPT_SPEED },
	{ "ctrl-delay", required_argument, NULL, OPT_CTRL_DELAY },
	{ "rx-max-ranges", required_argument, NULL, OPT_RX_MAX_RANGES },
	{ "rx-hash-ppi", no_argument, NULL, OPT_RX_HASH_PPI },
	{ "rss-udp", no_argument, NULL, OPT_RSS_UDP },
	{ "tx-max-pending", required_argument, NULL, OPT_TX_MAX_PENDING },
	{ "tx-comp-delay", required_argument, NULL, OPT_TX_COMP_DELAY },
	{ "tx-comp-reverse", required_argument, NULL, OPT_TX_COMP_REVERSE },
	{ "trace", no_argument, NULL, OPT_TRACE },
	{ "lenient", required_argument, NULL, OPT_LENIENT },
	{ "subch-delay", required_argument, NULL, OPT_SUBCH_DELAY },
	{ "subch-grant", required_argument, NULL, OPT_SUBCH_GRANT },
	{ "txtbl-offset-quirk", no_argument, NULL, OPT_TXTBL_QUIRK },
	{ "nvsp-resp-size", required_argument, NULL, OPT_RESP_SIZE },
	{ "link-coalesce", required_argument, NULL, OPT_LINK_COALESCE },
	{ "doorbell-mode", required_argument, NULL, OPT_DOORBELL_MODE },
	{ "gpa-mode", required_argument, NULL, OPT_GPA_MODE },
	{ "no-net", no_argument, NULL, OPT_NO_NET },
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "stats-interval", required_argument, NULL, OPT_STATS_INTERVAL },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct cli {
	struct emu_config cfg;
	struct emu_net_config net;
	struct emu_backend_spec be[EMU_MAX_NICS];
	unsigned int next_be;	/* NIC of the next --backend without K= */
	uint32_t stats_interval; /* seconds; 0 = only at exit */
	const char *shim;
	bool print_env;
	bool verbose;
	bool no_net;
};

/* What runs: the host, its service, the backends and the control socket. */
struct emu_run {
	struct emu_host *host;
	struct emu_ctl_env env;
	struct emu_ctl *ctl;
	int stats_fd;
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
parse_host_version(const char *s, uint32_t *out)
{
	static const struct { const char *name; uint32_t v; } vers[] = {
		{ "1", NVSP_VERSION_1 }, { "2", NVSP_VERSION_2 },
		{ "4", NVSP_VERSION_4 }, { "5", NVSP_VERSION_5 },
		{ "6", NVSP_VERSION_6 }, { "6.1", NVSP_VERSION_61 },
	};
	size_t i;

	for (i = 0; i < sizeof(vers) / sizeof(vers[0]); i++) {
		if (strcmp(s, vers[i].name) == 0) {
			*out = vers[i].v;
			return 0;
		}
	}
	return -EINVAL;
}

/* "[K=]SPEC": NIC K, or the one after the previous --backend. */
static int
parse_backend(struct cli *c, const char *arg)
{
	unsigned int k = c->next_be;
	const char *why, *spec = arg;
	char *end;
	int ret;

	if (arg[0] >= '0' && arg[0] <= '9') {
		unsigned long v = strtoul(arg, &end, 10);

		if (*end != '=' || v >= EMU_MAX_NICS)
			return -EINVAL;
		k = (unsigned int)v;
		spec = end + 1;
	}
	if (k >= EMU_MAX_NICS) {
		fprintf(stderr, "vmbus-emu: more backends than NICs\n");
		return -EINVAL;
	}
	ret = emu_backend_parse(spec, &c->be[k], &why);
	if (ret != 0) {
		fprintf(stderr, "vmbus-emu: --backend %s: %s\n", arg, why);
		return ret;
	}
	c->next_be = k + 1;
	return 0;
}

static int
parse_speed(const char *arg, uint32_t *out)
{
	uint32_t mbps;

	/* The guest sees 100 bps units in 32 bits. */
	if (parse_u32(arg, &mbps) != 0 || mbps == 0 || mbps > UINT32_MAX / 10000u)
		return -EINVAL;
	*out = mbps * 10000u;
	return 0;
}

/* "MS[,JITTER]" of --subch-delay, each at most 60 s. */
static int
parse_subch_delay(const char *arg, struct emu_net_config *n)
{
	char buf[32], *comma;
	uint32_t d, j = 0;

	if (strlen(arg) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, arg);
	comma = strchr(buf, ',');
	if (comma != NULL) {
		*comma = '\0';
		if (parse_u32(comma + 1, &j) != 0 || j > 60000)
			return -EINVAL;
	}
	if (parse_u32(buf, &d) != 0 || d > 60000)
		return -EINVAL;
	n->subch_delay_ms = d;
	n->subch_jitter_ms = j;
	return 0;
}

/* Strictness options (emu_net_config). */
static int
parse_strict_opt(struct cli *c, int opt, const char *arg)
{
	uint32_t v = 0;

	switch (opt) {
	case OPT_LENIENT: return emu_lenient_parse(arg, &c->net.lenient);
	case OPT_SUBCH_DELAY: return parse_subch_delay(arg, &c->net);
	case OPT_SUBCH_GRANT:
		if (parse_u32(arg, &v) != 0 || v == 0 || v >= EMU_NET_MAX_QUEUES)
			return -EINVAL;
		c->net.subch_grant_max = v;
		return 0;
	case OPT_TXTBL_QUIRK: c->net.txtbl_offset_quirk = true; return 0;
	case OPT_RESP_SIZE:
		if (parse_u32(arg, &v) != 0 || (v != 28 && v != 40))
			return -EINVAL;
		c->net.resp_size_pre61 = v;
		return 0;
	case OPT_LINK_COALESCE:
		if (parse_u32(arg, &v) != 0 || v > 600000)
			return -EINVAL;
		c->net.link_coalesce_ms = v;
		return 0;
	default: return -EINVAL;
	}
}

/* Options of the network service, backends and counters. */
static int
parse_net_opt(struct cli *c, int opt, const char *arg)
{
	uint32_t v = 0;

	if (opt >= OPT_LENIENT && opt <= OPT_LINK_COALESCE)
		return parse_strict_opt(c, opt, arg);
	switch (opt) {
	case OPT_HOST_VERSION: return parse_host_version(arg, &c->net.max_nvsp_version);
	case OPT_MAX_QUEUES:
		if (parse_u32(arg, &v) != 0 || v == 0 || v > EMU_NET_MAX_QUEUES)
			return -EINVAL;
		c->net.max_queues = v;
		return 0;
	case OPT_NO_CSUM: c->net.csum_offload = false; return 0;
	case OPT_NO_LSO: c->net.lso_offload = false; return 0;
	case OPT_SPEED: return parse_speed(arg, &c->net.link_speed);
	case OPT_CTRL_DELAY: return parse_u32(arg, &c->net.ctrl_delay_ms);
	case OPT_RX_MAX_RANGES:
		/* 0 would mean the default to the service: refuse it here. */
		if (parse_u32(arg, &v) != 0 || v == 0 || v > EMU_NET_RX_RANGES_MAX)
			return -EINVAL;
		c->net.rx_max_ranges = v;
		return 0;
	case OPT_RX_HASH_PPI: c->net.rx_hash_ppi = true; return 0;
	case OPT_RSS_UDP: c->net.rss_udp = true; return 0;
	case OPT_TX_MAX_PENDING:
		if (parse_u32(arg, &v) != 0 || v == 0 || v > EMU_NET_TX_PENDING_MAX)
			return -EINVAL;
		c->net.tx_max_pending = v;
		return 0;
	case OPT_TX_COMP_DELAY: return parse_u32(arg, &c->net.tx_comp_delay_us);
	case OPT_TX_COMP_REVERSE:
		if (parse_u32(arg, &v) != 0 || v > EMU_NET_TX_PENDING_MAX)
			return -EINVAL;
		c->net.tx_comp_reverse = v;
		return 0;
	case OPT_TRACE: c->net.trace = true; return 0;
	case OPT_DOORBELL_MODE:
		if (strcmp(arg, "strict") != 0 && strcmp(arg, "poll") != 0)
			return -EINVAL;
		c->net.doorbell_poll = strcmp(arg, "poll") == 0;
		return 0;
	case OPT_GPA_MODE:
		if (strcmp(arg, "strict") != 0 && strcmp(arg, "va") != 0)
			return -EINVAL;
		c->cfg.gpa_is_va = strcmp(arg, "va") == 0;
		return 0;
	case OPT_NO_NET: c->no_net = true; return 0;
	case OPT_BACKEND: return parse_backend(c, arg);
	case OPT_STATS_INTERVAL:
		if (parse_u32(arg, &c->stats_interval) != 0 || c->stats_interval > 86400)
			return -EINVAL;
		return 0;
	default: return -EINVAL;
	}
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
	case OPT_IRQ_LATE:
		if (parse_u32(arg, &c->cfg.irq_late_us) != 0 ||
		    c->cfg.irq_late_us > 1000000u)
			return -EINVAL;
		return 0;
	case 'v': c->verbose = true; return 0;
	case OPT_SHIM: c->shim = arg; return 0;
	case OPT_PRINT_ENV: c->print_env = true; return 0;
	default: return parse_net_opt(c, opt, arg);
	}
}

/* 0 = run, 1 = exit 0 (help), 2 = usage error. */
static int
parse_args(struct cli *c, int argc, char **argv)
{
	int opt;

	emu_config_defaults(&c->cfg);
	emu_net_config_defaults(&c->net);
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

static void
print_counters(struct emu_run *r, FILE *out)
{
	unsigned int i;

	for (i = 0; i < r->env.nnics; i++) {
		fprintf(out, "nic %u\n", i);
		/* Includes the backend's counters. */
		emu_nic_print_stats(r->env.nic[i], out);
	}
	fflush(out);
}

static void
stats_tick(void *arg, uint32_t events)
{
	struct emu_run *r = arg;
	uint64_t expirations;

	(void)events;
	if (read(r->stats_fd, &expirations, sizeof(expirations)) > 0)
		print_counters(r, stdout);
}

static int
start_stats_timer(struct emu_run *r, uint32_t seconds)
{
	struct itimerspec its = { .it_interval = { .tv_sec = seconds },
				  .it_value = { .tv_sec = seconds } };

	r->stats_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (r->stats_fd < 0)
		return -errno;
	if (timerfd_settime(r->stats_fd, 0, &its, NULL) != 0)
		return -errno;
	return emu_loop_add(emu_host_loop(r->host), r->stats_fd, EPOLLIN,
			    stats_tick, r);
}

static int
attach_backends(struct emu_run *r, const struct cli *c)
{
	size_t max_frame = (size_t)c->cfg.mtu + 14u + 4u; /* + Ethernet + VLAN */
	unsigned int i;
	int ret;

	for (i = 0; i < r->env.nnics; i++) {
		struct emu_backend *be = NULL;

		ret = emu_backend_create(&c->be[i], r->env.loop, max_frame, &be);
		if (ret != 0) {
			fprintf(stderr, "vmbus-emu: NIC %u: backend: %s\n", i,
				strerror(-ret));
			return ret;
		}
		/* The NIC owns it from now on (and destroys it). */
		emu_nic_set_backend(r->env.nic[i], be);
		r->env.be[i] = be;
		if (emu_tap_ifname(be) != NULL)
			printf("nic %u: tap %s\n", i, emu_tap_ifname(be));
	}
	return 0;
}

/* Network service, backends, control socket, periodic counters. */
static int
attach_services(struct emu_run *r, const struct cli *c)
{
	char path[4096];
	unsigned int i;
	int ret;

	r->env.loop = emu_host_loop(r->host);
	if (c->no_net) {
		if (c->verbose)
			emu_host_set_service(r->host, &log_ops, NULL);
		return 0;
	}
	ret = emu_net_attach(r->host, &c->net);
	if (ret != 0) {
		fprintf(stderr, "vmbus-emu: network service: %s\n", strerror(-ret));
		return ret;
	}
	for (i = 0; i < emu_host_ndevs(r->host) && i < EMU_MAX_NICS; i++)
		r->env.nic[r->env.nnics++] = emu_net_nic(r->host, i);
	ret = attach_backends(r, c);
	if (ret == 0) {
		snprintf(path, sizeof(path), "%s/%s", emu_host_root(r->host),
			 EMU_CTL_SOCKET);
		ret = emu_ctl_open(&r->env, path, &r->ctl);
		if (ret != 0)
			fprintf(stderr, "vmbus-emu: %s: %s\n", path, strerror(-ret));
	}
	if (ret == 0 && c->stats_interval != 0)
		ret = start_stats_timer(r, c->stats_interval);
	return ret;
}

static void
detach_services(struct emu_run *r, const struct cli *c)
{
	if (c->no_net)
		return;
	print_counters(r, stdout);
	if (r->stats_fd >= 0) {
		emu_loop_del(r->env.loop, r->stats_fd);
		close(r->stats_fd);
	}
	emu_ctl_close(r->ctl);
	emu_net_detach(r->host);
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
	struct emu_run r = { .stats_fd = -1 };
	int ret = emu_host_create(&c->cfg, &r.host);

	if (ret != 0) {
		fprintf(stderr, "vmbus-emu: cannot set up: %s\n", strerror(-ret));
		return 1;
	}
	g_loop = emu_host_loop(r.host);
	ret = attach_services(&r, c);
	if (ret == 0)
		ret = install_signals();
	if (ret == 0) {
		print_env(emu_host_root(r.host), c->shim);
		printf("ready\n");
		fflush(stdout);
		ret = emu_loop_run(g_loop);
		if (ret != 0)
			fprintf(stderr, "vmbus-emu: %s\n", strerror(-ret));
	}
	g_loop = NULL;
	detach_services(&r, c);
	emu_host_destroy(r.host);
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
