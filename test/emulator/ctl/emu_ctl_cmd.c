/* SPDX-License-Identifier: BSD-3-Clause */
/* Control commands: parse one line, act on the NIC, write the reply. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef EMU_HAVE_CALLGRIND_H
#include <valgrind/callgrind.h>
#endif

#include "emu_backend.h"
#include "emu_ctl.h"

#define CTL_MAX_ARGS 6
#define CTL_MAX_DELAY_S 3600.0

struct ctl_cmd {
	const char *name;
	int nargs;		/* including the NIC; -1: 0 or 1 */
	bool takes_nic;
	int (*fn)(const struct emu_ctl_env *env, unsigned int nic,
		  char **argv, FILE *out);
};

static int
reply_err(FILE *out, int err, const char *what)
{
	fprintf(out, "error: %s (%s)\n", what, strerror(-err));
	return err;
}

static int
reply_ok(FILE *out, int ret, const char *what)
{
	if (ret != 0)
		return reply_err(out, ret, what);
	fprintf(out, "ok\n");
	return 0;
}

static int
parse_nic(const struct emu_ctl_env *env, const char *s, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' ||
	    v >= env->nnics || env->nic[v] == NULL)
		return -ERANGE;
	*out = (unsigned int)v;
	return 0;
}

static int
parse_onoff(const char *s, const char *on, const char *off, bool *out)
{
	if (strcmp(s, on) == 0)
		*out = true;
	else if (strcmp(s, off) == 0)
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int
cmd_link(const struct emu_ctl_env *env, unsigned int n, char **argv, FILE *out)
{
	bool up;

	if (parse_onoff(argv[0], "up", "down", &up) != 0)
		return reply_err(out, -EINVAL, "expected up or down");
	return reply_ok(out, emu_nic_set_link(env->nic[n], up), "link");
}

static int
cmd_speed(const struct emu_ctl_env *env, unsigned int n, char **argv, FILE *out)
{
	char *end;
	unsigned long mbps;

	errno = 0;
	mbps = strtoul(argv[0], &end, 10);
	/* The guest sees 100 bps units in 32 bits. */
	if (errno != 0 || end == argv[0] || *end != '\0' || argv[0][0] == '-' ||
	    mbps == 0 || mbps > UINT32_MAX / 10000u)
		return reply_err(out, -EINVAL, "speed must be 1..429496 Mb/s");
	return reply_ok(out, emu_nic_set_link_speed(env->nic[n],
						    (uint32_t)(mbps * 10000u)),
			"speed");
}

static int
cmd_rescind(const struct emu_ctl_env *env, unsigned int n, char **argv, FILE *out)
{
	(void)argv;
	return reply_ok(out, emu_nic_rescind(env->nic[n]), "rescind");
}

static int
cmd_reoffer(const struct emu_ctl_env *env, unsigned int n, char **argv, FILE *out)
{
	(void)argv;
	return reply_ok(out, emu_nic_reoffer(env->nic[n]), "reoffer");
}

static int
cmd_delay(const struct emu_ctl_env *env, unsigned int n, char **argv, FILE *out)
{
	char *end;
	double s;

	errno = 0;
	s = strtod(argv[0], &end);
	if (errno != 0 || end == argv[0] || *end != '\0' || !(s >= 0.0) ||
	    s > CTL_MAX_DELAY_S)
		return reply_err(out, -EINVAL, "seconds must be 0..3600");
	emu_nic_set_ctrl_delay(env->nic[n], (unsigned int)lround(s * 1000.0));
	return reply_ok(out, 0, "delay");
}

static int
cmd_fault(const struct emu_ctl_env *env, unsigned int n, char **argv, FILE *out)
{
	enum emu_fault f;
	unsigned long count;
	char *end;

	if (emu_fault_from_name(argv[0], &f) != 0)
		return reply_err(out, -EINVAL, "unknown fault (see 'faults')");
	errno = 0;
	count = strtoul(argv[1], &end, 10);
	if (errno != 0 || end == argv[1] || *end != '\0' || argv[1][0] == '-' ||
	    count > UINT32_MAX)
		return reply_err(out, -EINVAL, "bad count");
	return reply_ok(out, emu_nic_inject_fault(env->nic[n], f,
						  (unsigned int)count), "fault");
}

static int
parse_count(const char *s, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v > UINT32_MAX)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

/* mutate NIC KIND FIELD VALUE COUNT */
static int
cmd_mutate(const struct emu_ctl_env *env, unsigned int n, char **argv, FILE *out)
{
	unsigned long long value;
	unsigned int count;
	char *end;
	int ret;

	errno = 0;
	value = strtoull(argv[2], &end, 0);
	if (errno != 0 || end == argv[2] || *end != '\0' || argv[2][0] == '-')
		return reply_err(out, -EINVAL, "bad value");
	if (parse_count(argv[3], &count) != 0)
		return reply_err(out, -EINVAL, "bad count");
	ret = emu_nic_mutate(env->nic[n], argv[0], argv[1], (uint64_t)value, count);
	if (ret == -EINVAL)
		return reply_err(out, ret, "unknown kind or field (see vmbus-emu-ctl --help)");
	if (ret == -ERANGE)
		return reply_err(out, ret, "value wider than the field");
	return reply_ok(out, ret, "mutate");
}

/* reply-delay NIC KIND MS|never COUNT */
static int
cmd_reply_delay(const struct emu_ctl_env *env, unsigned int n, char **argv,
		FILE *out)
{
	unsigned int count, ms;

	if (strcmp(argv[1], "never") == 0)
		ms = EMU_REPLY_NEVER;
	else if (parse_count(argv[1], &ms) != 0 || ms > CTL_MAX_DELAY_S * 1000.0)
		return reply_err(out, -EINVAL, "ms must be 0..3600000 or never");
	if (parse_count(argv[2], &count) != 0)
		return reply_err(out, -EINVAL, "bad count");
	return reply_ok(out, emu_nic_reply_delay(env->nic[n], argv[0], ms, count),
			"kind must be nvsp, rndis, indication or any");
}

/* tx-comp-delay NIC US|never: also applies to completions already held. */
static int
cmd_tx_comp_delay(const struct emu_ctl_env *env, unsigned int n, char **argv,
		  FILE *out)
{
	unsigned int us;

	if (strcmp(argv[0], "never") == 0) {
		emu_nic_set_tx_comp_delay(env->nic[n], UINT64_MAX);
		return reply_ok(out, 0, "tx-comp-delay");
	}
	if (parse_count(argv[0], &us) != 0 || us > CTL_MAX_DELAY_S * 1000000.0)
		return reply_err(out, -EINVAL, "us must be 0..3600000000 or never");
	emu_nic_set_tx_comp_delay(env->nic[n], us);
	return reply_ok(out, 0, "tx-comp-delay");
}

/* reply-drop NIC KIND COUNT */
static int
cmd_reply_drop(const struct emu_ctl_env *env, unsigned int n, char **argv,
	       FILE *out)
{
	unsigned int count;

	if (parse_count(argv[1], &count) != 0)
		return reply_err(out, -EINVAL, "bad count");
	return reply_ok(out, emu_nic_reply_drop(env->nic[n], argv[0], count),
			"kind must be nvsp, rndis, indication or any");
}

static int
cmd_faults(const struct emu_ctl_env *env, unsigned int n, char **argv, FILE *out)
{
	int f;

	(void)env; (void)n; (void)argv;
	fprintf(out, "ok");
	for (f = 0; f < EMU_FAULT_COUNT; f++) {
		const char *name = emu_fault_name((enum emu_fault)f);

		if (name != NULL)
			fprintf(out, " %s", name);
	}
	fprintf(out, "\n");
	return 0;
}

static int
cmd_vf_offer(const struct emu_ctl_env *env, unsigned int n, char **argv, FILE *out)
{
	char *end;
	unsigned long serial;

	errno = 0;
	serial = strtoul(argv[0], &end, 0);
	if (errno != 0 || end == argv[0] || *end != '\0' || argv[0][0] == '-' ||
	    serial > UINT32_MAX)
		return reply_err(out, -EINVAL, "bad serial");
	return reply_ok(out, emu_nic_vf_offer(env->nic[n], (uint32_t)serial),
			"vf-offer");
}

static int
cmd_vf_revoke(const struct emu_ctl_env *env, unsigned int n, char **argv, FILE *out)
{
	(void)argv;
	return reply_ok(out, emu_nic_vf_revoke(env->nic[n]), "vf-revoke");
}

static int
cmd_vf_revoke_abrupt(const struct emu_ctl_env *env, unsigned int n, char **argv,
		     FILE *out)
{
	(void)argv;
	return reply_ok(out, emu_nic_vf_revoke_abrupt(env->nic[n]),
			"vf-revoke-abrupt");
}

static int
cmd_vf_attach(const struct emu_ctl_env *env, unsigned int n, char **argv,
	      FILE *out)
{
	struct emu_vf_config c;

	emu_vf_config_defaults(&c);
	if (strlen(argv[0]) >= sizeof(c.guest_ifname) ||
	    strlen(argv[1]) >= sizeof(c.host_ifname))
		return reply_err(out, -EINVAL, "interface name too long");
	strcpy(c.guest_ifname, argv[0]);
	strcpy(c.host_ifname, argv[1]);
	return reply_ok(out, emu_nic_vf_attach(env->nic[n], &c),
			"vf-attach (VF offered already, bad names, or no libnl-route-3)");
}

static int
cmd_vf_set(const struct emu_ctl_env *env, unsigned int n, char **argv,
	   FILE *out)
{
	return reply_ok(out, emu_nic_vf_set(env->nic[n], argv[0], argv[1]),
			"vf-set: KEY appear-ms|grace-ms|lag-ms|before|alias-serial, needs vf-attach");
}

static int
cmd_trace(const struct emu_ctl_env *env, unsigned int n, char **argv, FILE *out)
{
	bool on;

	if (parse_onoff(argv[0], "on", "off", &on) != 0)
		return reply_err(out, -EINVAL, "expected on or off");
	emu_nic_set_trace(env->nic[n], on);
	return reply_ok(out, 0, "trace");
}

static int
cmd_gen(const struct emu_ctl_env *env, unsigned int n, char **argv, FILE *out)
{
	bool on;

	if (parse_onoff(argv[0], "start", "stop", &on) != 0)
		return reply_err(out, -EINVAL, "expected start or stop");
	return reply_ok(out, emu_gen_set_running(env->be[n], on),
			"gen: the NIC has no generator backend");
}

static void
print_nic_stats(const struct emu_ctl_env *env, unsigned int n, FILE *out)
{
	fprintf(out, "nic %u\n", n);
	/* The service prints the backend's line too. */
	emu_nic_print_stats(env->nic[n], out);
}

static int
cmd_stats(const struct emu_ctl_env *env, char **argv, int argc, FILE *out)
{
	unsigned int n;

	if (argc == 1) {
		if (parse_nic(env, argv[0], &n) != 0)
			return reply_err(out, -ERANGE, "no such NIC");
		print_nic_stats(env, n, out);
	} else {
		for (n = 0; n < env->nnics; n++)
			if (env->nic[n] != NULL)
				print_nic_stats(env, n, out);
	}
	fprintf(out, "end\n");
	return 0;
}

/*
 * "cg-window zero|dump NIC": the NIC's counters (as "stats NIC") and,
 * right after, callgrind's zero or dump, at one point of the loop. The
 * benchmark's window of the emulator's instructions then starts and
 * ends where its packet counts do; callgrind_control's zero and dump
 * take effect at a point of valgrind's own, which under load left the
 * counts of a window off by up to 2x.
 */
static int
cmd_cg_window(const struct emu_ctl_env *env, char **argv, int argc, FILE *out)
{
	if (argc != 2 || (strcmp(argv[0], "zero") != 0 &&
			  strcmp(argv[0], "dump") != 0))
		return reply_err(out, -EINVAL, "usage: cg-window zero|dump NIC");
#ifdef EMU_HAVE_CALLGRIND_H
	if (!RUNNING_ON_VALGRIND)
		return reply_err(out, -ENOTSUP, "not running under callgrind");
	{
		int rc = cmd_stats(env, argv + 1, 1, out);

		if (rc != 0)
			return rc;
	}
	if (strcmp(argv[0], "zero") == 0)
		CALLGRIND_ZERO_STATS;
	else
		CALLGRIND_DUMP_STATS;
	return 0;
#else
	(void)env;
	return reply_err(out, -ENOTSUP, "built without valgrind/callgrind.h");
#endif
}

static const struct ctl_cmd ctl_cmds[] = {
	{ "link", 2, true, cmd_link },
	{ "speed", 2, true, cmd_speed },
	{ "rescind", 1, true, cmd_rescind },
	{ "reoffer", 1, true, cmd_reoffer },
	{ "delay", 2, true, cmd_delay },
	{ "fault", 3, true, cmd_fault },
	{ "faults", 0, false, cmd_faults },
	{ "mutate", 5, true, cmd_mutate },
	{ "reply-delay", 4, true, cmd_reply_delay },
	{ "reply-drop", 3, true, cmd_reply_drop },
	{ "tx-comp-delay", 2, true, cmd_tx_comp_delay },
	{ "vf-offer", 2, true, cmd_vf_offer },
	{ "vf-revoke", 1, true, cmd_vf_revoke },
	{ "vf-revoke-abrupt", 1, true, cmd_vf_revoke_abrupt },
	{ "vf-attach", 3, true, cmd_vf_attach },
	{ "vf-set", 3, true, cmd_vf_set },
	{ "trace", 2, true, cmd_trace },
	{ "gen", 2, true, cmd_gen },
};

static int
split(char *line, char **argv, int max)
{
	char *save = NULL, *tok;
	int argc = 0;

	for (tok = strtok_r(line, " \t\r\n", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t\r\n", &save)) {
		if (argc == max)
			return -E2BIG;
		argv[argc++] = tok;
	}
	return argc;
}

static int
run_cmd(const struct emu_ctl_env *env, const struct ctl_cmd *c, char **argv,
	int argc, FILE *out)
{
	unsigned int nic = 0;

	if (argc != c->nargs)
		return reply_err(out, -EINVAL, "wrong number of arguments");
	if (c->takes_nic && parse_nic(env, argv[0], &nic) != 0)
		return reply_err(out, -ERANGE, "no such NIC");
	return c->fn(env, nic, c->takes_nic ? argv + 1 : argv, out);
}

int
emu_ctl_exec(const struct emu_ctl_env *env, char *line, FILE *out)
{
	char *argv[CTL_MAX_ARGS + 1];
	int argc = split(line, argv, CTL_MAX_ARGS + 1);
	size_t i;

	if (argc < 0)
		return reply_err(out, -EINVAL, "too many arguments");
	if (argc == 0)
		return reply_err(out, -EINVAL, "empty command");
	if (env->ext != NULL) {
		int rc = env->ext(env->ext_arg, argv, argc, out);

		if (rc != -ENOENT)
			return rc;
	}
	if (strcmp(argv[0], "stats") == 0) {
		if (argc > 2)
			return reply_err(out, -EINVAL, "usage: stats [NIC]");
		return cmd_stats(env, argv + 1, argc - 1, out);
	}
	if (strcmp(argv[0], "cg-window") == 0)
		return cmd_cg_window(env, argv + 1, argc - 1, out);
	if (strcmp(argv[0], "quit") == 0 && argc == 1) {
		emu_loop_stop(env->loop);
		return reply_ok(out, 0, "quit");
	}
	for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		if (strcmp(argv[0], ctl_cmds[i].name) == 0)
			return run_cmd(env, &ctl_cmds[i], argv + 1, argc - 1, out);
	return reply_err(out, -EINVAL, "unknown command");
}
