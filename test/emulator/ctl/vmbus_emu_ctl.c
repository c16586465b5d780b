/* SPDX-License-Identifier: BSD-3-Clause */
/* vmbus-emu-ctl: send one command to a running vmbus-emu. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "emu_ctl.h"

static const char usage_head[] =
"Usage: vmbus-emu-ctl ROOT-OR-NAME COMMAND [ARG]...\n"
"\n"
"Send COMMAND to the control socket of a running vmbus-emu and print the\n"
"reply. ROOT-OR-NAME is the instance root directory (anything containing\n"
"a '/') or the instance name, whose root is /dev/shm/vmbus-emu-NAME; the\n"
"socket is ROOT/control. NIC is the NIC index, 0 for the first.\n"
"\n"
"Commands:\n";

static const char usage_tail[] =
"\n"
"Examples:\n"
"  vmbus-emu-ctl a link 0 down\n"
"  vmbus-emu-ctl /dev/shm/vmbus-emu-a stats 0\n"
"  vmbus-emu-ctl a fault 0 drop-completion 3\n"
"\n"
"Exit status: 0 on an 'ok' reply, 1 on an 'error:' reply, 2 on bad usage,\n"
"3 if the emulator cannot be reached.\n";

static int
usage(FILE *f)
{
	fputs(usage_head, f);
	fputs(emu_ctl_help, f);
	fputs(usage_tail, f);
	return f == stdout ? 0 : 2;
}

/* argv[2..] joined with single spaces. */
static int
join(int argc, char **argv, char *buf, size_t len)
{
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 2; i < argc; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i > 2 ? " " : "",
				 argv[i]);

		if (n < 0 || (size_t)n >= len - used)
			return -1;
		used += (size_t)n;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	char path[PATH_MAX], cmd[EMU_CTL_LINE_MAX];
	int ret;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
			  strcmp(argv[1], "-h") == 0))
		return usage(stdout);
	if (argc < 3)
		return usage(stderr);
	if (join(argc, argv, cmd, sizeof(cmd)) != 0) {
		fprintf(stderr, "vmbus-emu-ctl: command too long\n");
		return 2;
	}
	if (strchr(argv[1], '/') != NULL)
		ret = snprintf(path, sizeof(path), "%s/%s", argv[1], EMU_CTL_SOCKET);
	else
		ret = snprintf(path, sizeof(path), "/dev/shm/vmbus-emu-%s/%s",
			       argv[1], EMU_CTL_SOCKET);
	if (ret < 0 || (size_t)ret >= sizeof(path)) {
		fprintf(stderr, "vmbus-emu-ctl: path too long\n");
		return 2;
	}
	ret = emu_ctl_request(path, cmd, stdout);
	if (ret == -ETIMEDOUT) {
		fprintf(stderr, "vmbus-emu-ctl: %s: no reply to '%s' (the"
			" emulator's control loop is stuck)\n", path, cmd);
		return 3;
	}
	if (ret < 0) {
		fprintf(stderr, "vmbus-emu-ctl: %s: %s\n", path, strerror(-ret));
		return 3;
	}
	return ret;
}
