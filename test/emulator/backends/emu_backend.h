/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Wire backends of the emulated NIC (struct emu_backend, see emu_net.h):
 *
 *   tap   frames go to / come from a Linux TAP interface, optionally
 *         created inside a named network namespace with an address;
 *   gen   a traffic generator (UDP flows, fixed frame size, count, rate)
 *         that also sinks and sequence-checks what the guest sends;
 *   sink  counts and discards what the guest sends;
 *   loop  what the guest sends comes back to it.
 *
 * The generator and sink are for driver benchmarks: their per-packet
 * cost is a few stores into a preallocated template and a counter
 * update, with no syscall and no allocation per packet.
 *
 * All backends run on the emulator loop thread.
 */
#ifndef EMU_BACKEND_H
#define EMU_BACKEND_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu_loop.h"
#include "emu_net.h"

enum emu_backend_kind {
	EMU_BACKEND_NONE,	/* frames from the guest are discarded */
	EMU_BACKEND_TAP,
	EMU_BACKEND_GEN,
	EMU_BACKEND_SINK,
	EMU_BACKEND_LOOP,
};

struct emu_tap_config {
	char ifname[IFNAMSIZ];	/* "" = kernel picks tapN */
	char netns[64];		/* "" = current namespace */
	bool has_ip;
	uint8_t ip[4];		/* interface address ... */
	unsigned int prefix;	/* ... and its prefix length, 0..32 */
};

struct emu_gen_config {
	unsigned int flows;	/* distinct UDP 5-tuples, 1..65536 */
	unsigned int size;	/* frame length without FCS, 60..max frame */
	uint64_t count;		/* frames to deliver; 0 = unlimited */
	uint64_t rate;		/* frames per second; 0 = as fast as possible */
	unsigned int burst;	/* frames offered per poll, 1..1024 */
	bool start;		/* run from the beginning (else "gen start") */
	/*
	 * Drain mode (docs/benchmarks.md): fill a batch of frames while the
	 * NIC holds back the ring's write index, publish it at once, then
	 * only watch until the guest has read it all, timing publish to
	 * empty; the rate is ignored. batch caps a batch's frames (0: as
	 * many as the receive buffer and the ring take).
	 */
	bool drain;
	unsigned int batch;
};

struct emu_backend_spec {
	enum emu_backend_kind kind;
	struct emu_tap_config tap;
	struct emu_gen_config gen;
};

/* Counters common to every backend, for tests and the control socket. */
struct emu_backend_counters {
	uint64_t to_guest, to_guest_bytes;	/* accepted by emu_nic_rx */
	uint64_t from_guest, from_guest_bytes;	/* xmit calls */
	uint64_t backpressure;	/* emu_nic_rx said -EAGAIN */
	uint64_t not_ready;	/* emu_nic_rx said -ENETDOWN */
	uint64_t drops;		/* frames lost in the backend */
	uint64_t seq_errors;	/* generator frames out of sequence */
	/* Drain mode: batches the guest read to the end, their frames, the
	 * nanoseconds from each publish to the ring found empty, and the
	 * largest batch; of those batches, the frames of the ones whose
	 * receive buffers all came back (ACKed) and the nanoseconds from
	 * publish to that. */
	uint64_t drain_batches, drain_frames, drain_ns, drain_batch_max;
	uint64_t drain_acked_frames, drain_acked_ns;
};

void emu_gen_config_defaults(struct emu_gen_config *cfg);

/*
 * Parse a --backend value: "tap[:IFNAME][,netns=NAME][,ip=A.B.C.D/NN]",
 * "gen[:flows=N,size=N,count=N,rate=N,burst=N,start=0|1,drain=0|1,batch=N]",
 * "sink",
 * "loop" or "none". Returns 0 or -EINVAL with a reason in *why.
 */
int emu_backend_parse(const char *text, struct emu_backend_spec *out,
		      const char **why);

/*
 * Create the backend a spec describes. max_frame bounds what the loop
 * backend stores and what the generator may build (MTU + 14 + 4).
 * For EMU_BACKEND_NONE *out is NULL. 0 or -errno.
 */
int emu_backend_create(const struct emu_backend_spec *spec,
		       struct emu_loop *loop, size_t max_frame,
		       struct emu_backend **out);

/*
 * Frames the kernel may queue towards the emulator on a TAP (its
 * txqueuelen; Linux's default is 1000). The loop thread shares two
 * cores with busy-polling guests and the kernel's own TCP senders;
 * while it is off the CPU a TCP burst fills the default queue and the
 * kernel drops the rest (tx_dropped), which a wire at these rates would
 * not: iperf3 through testpmd io saw thousands of such drops a run on 4
 * queues.
 */
#define EMU_TAP_TXQLEN 16384

int emu_tap_create(const struct emu_tap_config *cfg, struct emu_loop *loop,
		   struct emu_backend **out);
/* Name the kernel gave the interface; NULL if be is not a TAP backend. */
const char *emu_tap_ifname(const struct emu_backend *be);

int emu_gen_create(const struct emu_gen_config *cfg, size_t max_frame,
		   struct emu_backend **out);
int emu_sink_create(struct emu_backend **out);
int emu_loop_backend_create(size_t max_frame, struct emu_backend **out);

/* Start or stop a generator (a restart continues the sequence);
 * -ENOTSUP for any other backend. */
int emu_gen_set_running(struct emu_backend *be, bool on);

/* Counters of any of the backends above (zeros for a NULL backend). */
void emu_backend_counters(const struct emu_backend *be,
			  struct emu_backend_counters *out);

#endif /* EMU_BACKEND_H */
