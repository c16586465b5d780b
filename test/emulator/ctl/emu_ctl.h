/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control socket of the emulator: a UNIX stream socket (<root>/control)
 * served on the emulator loop. One command per line, one reply line
 * ("ok ..." or "error: ..."); "stats" replies with several lines and a
 * final "end". See emu_ctl_help for the command list.
 *
 * A client may send several commands on one connection; the server
 * closes it when the client shuts down its side.
 */
#ifndef EMU_CTL_H
#define EMU_CTL_H

#include <stdio.h>

#include "emu.h"
#include "emu_net.h"

#define EMU_CTL_SOCKET "control"	/* name inside the instance root */
#define EMU_CTL_LINE_MAX 512u

/* What commands act on; NICs are addressed by index 0..nnics-1. */
struct emu_ctl_env {
	struct emu_loop *loop;		/* "quit" stops it */
	unsigned int nnics;
	struct emu_nic *nic[EMU_MAX_NICS];
	struct emu_backend *be[EMU_MAX_NICS];	/* NULL: none */
	/*
	 * Commands of a test host that embeds the emulator (the bus
	 * tests' harness, whose device-level "rescind" and "reoffer" take
	 * the place of the NIC-level ones), tried first: write
	 * one "ok ..." or "error: ..." line to out; return 0, -errno for
	 * an error reply, or -ENOENT (nothing written) if unknown too.
	 * Runs on env->loop's thread. NULL: none.
	 */
	int (*ext)(void *arg, char **argv, int argc, FILE *out);
	void *ext_arg;
};

/* The command summary (also printed by the client's --help). */
extern const char emu_ctl_help[];

/*
 * Execute one command line (modified in place) and write the reply to
 * out. Returns 0 if the reply is "ok"/stats, -errno if it is "error: ".
 */
int emu_ctl_exec(const struct emu_ctl_env *env, char *line, FILE *out);

struct emu_ctl;

/* Listen on path (replacing a stale socket) and serve on env->loop. */
int emu_ctl_open(const struct emu_ctl_env *env, const char *path,
		 struct emu_ctl **out);
/* Close the listener and every connection; unlink the socket. */
void emu_ctl_close(struct emu_ctl *ctl);

/*
 * Client side: send one command to the socket at path and copy the reply
 * to out. Returns 0 for an "ok"/stats reply, 1 for an "error:" reply,
 * -errno if the emulator could not be reached.
 */
int emu_ctl_request(const char *path, const char *cmd, FILE *out);
/* The same, giving up with -ETIMEDOUT after wait_ms without the reply. */
int emu_ctl_request_wait(const char *path, const char *cmd, FILE *out,
			 int wait_ms);

#endif /* EMU_CTL_H */
