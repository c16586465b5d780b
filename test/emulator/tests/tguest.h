/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The test guest: what every test program that plays a netvsc guest
 * against the emulator shares (with guest_ops.h, which finds and maps a
 * device through the real sysfs and /dev/uioN paths).
 *
 * A tg_chan is one VMBus channel seen from the guest: its two rings and
 * how to ring its doorbell. Packets go out and come in through the
 * core's ring, packet and message code, as the PMD's do, and every core
 * validator's return code is checked and handed back: an emulator reply
 * that a driver's parser would refuse fails the test that provoked it.
 *
 * A tg_session brings a NIC up (and runs SETs, subchannel requests and
 * the teardown) with the core's step function, drivers/common/hv/
 * hv_bringup.h, the same sequence the PMD runs: the channel, the receive
 * buffer and a wait callback are the glue. tg_session_run() fails as
 * soon as the step function refuses a host message (a validator said
 * no), and says which in s->why.
 *
 * Plain libc, no test framework: used by the in-process harness of the
 * network service's tests (net_harness.c), the protocol-breaking guest
 * of the integration tests (emu_badguest.c) and the kernel-face tests.
 */
#ifndef TGUEST_H
#define TGUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv_bringup.h"
#include "vmbus_pkt.h"
#include "vmbus_ring.h"

#define TG_MSG_MAX 4096u

struct tg_chan {
	struct vmbus_ring *tx;      /* guest->host */
	struct vmbus_ring *rx;      /* host->guest */
	/* The doorbell (monitor bit, or a uio write for a channel without a
	 * monitor id), rung when the ring rules ask for it. */
	void (*doorbell)(void *arg);
	void *doorbell_arg;
	bool mute;                  /* planted bug: never ring */
	uint64_t doorbells;         /* rung */
	uint64_t unsignalled;       /* writes that needed a ring but got none */
	uint8_t *pkt;               /* last packet read (pi points here) */
	size_t pkt_size;            /* VMBUS_PKT_MAX_LEN is enough */
};

/* Write header + message; rings the doorbell when the rules say so. */
int tg_send(struct tg_chan *c, const void *hdr, size_t hlen, const void *msg,
	    size_t mlen);
/* Inband packet; rc: ask for a completion. */
int tg_send_inband(struct tg_chan *c, const void *msg, size_t len, uint64_t id,
		   bool rc);
/* GPA-direct packet with one range (an RNDIS message at gpa, len bytes). */
int tg_send_gpa(struct tg_chan *c, const void *msg, size_t len, uint64_t gpa,
		uint32_t range_len, uint64_t id);
/* Completion of an RNDIS_PKT (receive ACK) with NVSP status success. */
int tg_ack(struct tg_chan *c, uint64_t id);
/*
 * Next packet from the host, read, committed and parsed into *pi
 * (pointing into c->pkt): 0, -EAGAIN if the ring is empty, else the
 * ring's or the packet validator's -errno.
 */
int tg_recv(struct tg_chan *c, struct vmbus_pkt_info *pi);

struct tg_session {
	struct hv_bringup b;
	struct tg_chan *chan;       /* the primary channel */
	const uint8_t *recvbuf;     /* the receive buffer's mapping */
	uint32_t recv_size;
	/*
	 * Called when the session waits and the ring is empty, with the
	 * number of empty looks since the last packet (1, 2, ...): let the
	 * host run (or nap). Returns true when the caller's wait is over;
	 * the session is then told its wait timed out. A hang guard only:
	 * the caller picks rounds (in-process host) or wall-clock time.
	 */
	bool (*wait)(void *arg, unsigned int idle);
	void *wait_arg;
	struct hv_bu_out out;       /* the last step's output */
	char why[256];              /* why tg_session_run failed */
	uint8_t msg[TG_MSG_MAX];    /* an RNDIS message copied out of recvbuf */
};

/*
 * Run the current op to its end. 0: DONE; -EIO: the op ended in ERROR
 * (s->out.error, s->out.state); any other -errno: a core validator
 * refused host input, or the channel failed (s->why names it).
 */
int tg_session_run(struct tg_session *s);

/* hv_bringup_start(cfg), then run it. */
int tg_bring_up(struct tg_session *s, const struct hv_bringup_cfg *cfg);

#endif /* TGUEST_H */
