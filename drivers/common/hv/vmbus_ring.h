/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VMBus ring buffer core, by role.
 *
 * A ring is one header page (struct vmbus_ring_hdr) plus a data area of
 * D bytes. Exactly one party writes packets into it and exactly one reads
 * them. The same code serves the guest driver (writer of its outbound
 * ring, reader of its inbound ring), the host emulator (the mirror roles)
 * and the fuzzers, so nothing here knows about directions.
 *
 * Ring rules (docs/design/protocol.md, "Ring buffer"):
 *  - write_index and read_index are byte offsets in [0, D), multiples of
 *    8. D need not be a power of two: indices wrap by compare-and-subtract.
 *  - Empty when read_index == write_index; a writer never fills the ring
 *    completely (a packet needs strictly more free bytes than it uses).
 *  - A packet is len8*8 bytes (descriptor first, zero padded to 8) plus an
 *    8-byte trailer holding (u64)start_write_index << 32. Any part of it
 *    may wrap around the end of the data area.
 *
 * Trust: the header page and the data area are shared with a party that
 * may be hostile. Every operation reads each shared index it acts on
 * once, validates it (< D, 8-aligned) and fails with -EIO on nonsense; a
 * reader validates each descriptor's framing (len8: at least a descriptor,
 * within what was written) and copies the packet out before the caller
 * looks at it. -EIO means the ring is unusable until the channel is
 * reopened. The rest of the descriptor (offset8, type) is the packet
 * parser's business: a packet it refuses can be stepped over.
 *
 * Concurrency: one writer and one reader per ring, each single-threaded
 * with respect to its own role (callers serialise, e.g. with a lock, if
 * several threads write one ring). Writer and reader may run concurrently.
 */
#ifndef VMBUS_RING_H
#define VMBUS_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv_sg.h"
#include "vmbus_wire.h"

/*
 * Smallest data area accepted: it must hold one descriptor-only packet
 * (16 bytes + 8 trailer) and still not be full.
 */
#define VMBUS_RING_MIN_DATA_SIZE 32u

/* Per-role view of one ring. Private state lives here, not in shared memory. */
struct vmbus_ring {
	struct vmbus_ring_hdr *hdr; /* shared header page */
	uint8_t *data;              /* shared data area */
	uint32_t data_size;         /* D, a multiple of 8 */
	/* Reader only: end of the packets read or skipped so far. */
	uint32_t priv_index;
	/* Reader only: the read_index last published by vmbus_ring_commit. */
	uint32_t commit_index;
};

/*
 * What the kernel does to both ring headers when a channel is opened:
 * zero the page, indices 0, feature_bits = PENDING_SEND_SZ. Call it before
 * vmbus_ring_attach, never while the other party uses the ring.
 */
void vmbus_ring_hdr_reset(struct vmbus_ring_hdr *hdr);

/*
 * Bind @r to a ring. @data is separate from @hdr because with 64 KiB
 * system pages the data area starts one system page after the header.
 * Snapshots read_index as the reader's starting cursor, so a reader must
 * re-attach after the header is reset.
 * Returns 0, -EINVAL (NULL pointers, @data_size not a multiple of 8,
 * below VMBUS_RING_MIN_DATA_SIZE or above UINT32_MAX, data overlapping the
 * header) or -EIO (an index in the header is already invalid).
 */
int vmbus_ring_attach(struct vmbus_ring *r, void *hdr, void *data,
		      size_t data_size);

/* ---- Writer role ---- */

/*
 * Append one packet gathered from @sg[0..@nsg). The ring only frames
 * bytes: the first element is normally the vmbus_pkt_desc, whose len8
 * the caller sets to the padded length; the ring pads with zeros to 8 and
 * adds the trailer. *@need_signal is set to true iff the reader must be
 * signalled (it is not masked and the ring was empty before this packet);
 * it is false on any error.
 * Returns 0, -EINVAL (total < 16 bytes or a NULL element with length),
 * -EMSGSIZE (can never fit this ring or len8), -EAGAIN (no room now),
 * -EIO (corrupt index).
 */
int vmbus_ring_write(struct vmbus_ring *w, const struct hv_sg *sg,
		     unsigned int nsg, bool *need_signal);

/*
 * Append up to @n packets, packet i being the @pkt[i].len contiguous
 * bytes at @pkt[i].base (descriptor first, as for vmbus_ring_write),
 * each published by itself, exactly as that many vmbus_ring_write
 * calls would (a host completes each send on its own; this only saves
 * the per-call checks). Stops at the first packet that does not fit, or
 * right after one the reader must be signalled for (*@need_signal set):
 * the caller signals and calls again for the rest. *@written counts the
 * packets written. Returns 0 (*@written may be below @n, even 0: no
 * room), -EINVAL / -EMSGSIZE (a packet vmbus_ring_write would refuse;
 * nothing written), -EIO (corrupt index; the *@written packets before
 * it are published).
 */
int vmbus_ring_write_many(struct vmbus_ring *w, const struct hv_sg *pkt,
			  unsigned int n, unsigned int *written,
			  bool *need_signal);

/*
 * vmbus_ring_write_many for @n packets made from one small template (a
 * run of send completions): packet i is the @len (at most
 * VMBUS_RING_STAMP_MAX) bytes at @tmpl with the 8 bytes at @id_off
 * replaced by @ids[i]. Written in place in the ring, each published by
 * itself and the signal rule as vmbus_ring_write_many; same returns,
 * -EINVAL also for a longer template or an id field not inside it.
 */
#define VMBUS_RING_STAMP_MAX 64u
int vmbus_ring_write_stamped(struct vmbus_ring *w, const void *tmpl,
			     uint32_t len, uint32_t id_off, const uint64_t *ids,
			     unsigned int n, unsigned int *written,
			     bool *need_signal);

/*
 * Largest packet length (descriptor included, before padding and trailer)
 * that vmbus_ring_write would accept now; 0 if none.
 * Returns 0 or -EIO.
 */
int vmbus_ring_write_avail(const struct vmbus_ring *w, uint32_t *max_len);

/*
 * The writer found the ring too full for a packet of @pkt_len bytes:
 * publish in pending_send_sz how much room it needs, so the reader
 * signals once that much is free, then look again.
 * Returns 0 if the packet fits now after all (retry the write; the
 * request stays set), -EAGAIN if it does not (wait for the signal),
 * -EINVAL / -EMSGSIZE as vmbus_ring_write, -EIO (corrupt index).
 * Only meaningful while the writer's feature_bits has PENDING_SEND_SZ.
 */
int vmbus_ring_pending_send_set(struct vmbus_ring *w, uint32_t pkt_len);

/* The writer no longer waits for room (call after the write succeeded). */
void vmbus_ring_pending_send_clear(struct vmbus_ring *w);

/*
 * Deferred publication (a writer that measures how fast the reader
 * empties a ring: the emulated host's drain benchmark). vmbus_ring_hold
 * points @w at a private copy of the header (@h->shadow) holding the
 * shared write_index and read_index of now, interrupt_mask set and no
 * pending_send_sz: every write call above then frames its packets into
 * the shared data area as usual but advances only the private
 * write_index and never asks for a signal, so the reader sees nothing
 * of them. The read_index it works with is the one of the hold (the
 * reader can only have made more room since): nothing unread is ever
 * overwritten. vmbus_ring_publish points @w back at the shared header
 * and stores the private write_index there once (release: every byte
 * written meanwhile is visible before it); *@need_signal as for one
 * write of everything (the reader is not masked and had read all
 * there was at the hold). A room request (pending_send_sz) made while
 * held is carried over. Call publish before anything re-attaches @w.
 * Returns 0 or -EIO (an index was corrupt: hold leaves @w as it was;
 * publish gives back the shared header anyway). -EALREADY: hold while
 * held, or publish while not.
 */
struct vmbus_ring_hold {
	struct vmbus_ring_hdr *shared; /* NULL: not holding */
	uint32_t start;                /* write_index published at the hold */
	struct vmbus_ring_hdr shadow;  /* the writer's header meanwhile */
};

int vmbus_ring_hold(struct vmbus_ring *w, struct vmbus_ring_hold *h);
int vmbus_ring_publish(struct vmbus_ring *w, struct vmbus_ring_hold *h,
		       bool *need_signal);

/*
 * Writer: true iff the reader has read everything published, i.e. the
 * shared read_index (acquired) equals the shared write_index. A corrupt
 * index answers false. Not meaningful while held (it looks at the
 * shadow then).
 */
bool vmbus_ring_write_drained(const struct vmbus_ring *w);

/* ---- Reader role ---- */

/*
 * Copy the next unread packet (len8*8 bytes, descriptor first, trailer
 * not included) into @buf without consuming it. *@pkt_len receives its
 * length on success and on -ENOBUFS, 0 otherwise. The descriptor in @buf
 * is the validated copy, whatever the other party changed meanwhile.
 * (@buf NULL, @buflen 0 just asks for the length.)
 * Returns 0, -EAGAIN (nothing to read), -ENOBUFS (@buflen too small),
 * -EIO (corrupt index or descriptor).
 */
int vmbus_ring_peek(const struct vmbus_ring *r, void *buf, size_t buflen,
		    uint32_t *pkt_len);

/*
 * As vmbus_ring_peek, then advance the private cursor past the packet.
 * The space is handed back to the writer only by vmbus_ring_commit.
 */
int vmbus_ring_read(struct vmbus_ring *r, void *buf, size_t buflen,
		    uint32_t *pkt_len);

/*
 * Validate the next packet and advance past it without copying it.
 * *@pkt_len as vmbus_ring_peek. Returns 0, -EAGAIN or -EIO.
 */
int vmbus_ring_skip(struct vmbus_ring *r, uint32_t *pkt_len);

/*
 * Publish read_index for everything read or skipped since the last
 * commit, so a burst of packets costs one commit. *@need_signal is set
 * to true iff the writer asked for room (PENDING_SEND_SZ feature and a
 * non-zero pending_send_sz) and this commit crossed that threshold.
 * Returns 0 or -EIO (write_index corrupt; read_index is published anyway).
 */
int vmbus_ring_commit(struct vmbus_ring *r, bool *need_signal);

/*
 * Bytes written but not yet read or skipped by this reader (trailers
 * included). Returns 0 or -EIO.
 */
int vmbus_ring_read_avail(const struct vmbus_ring *r, uint32_t *bytes);

/*
 * True iff the writer has published nothing past what this reader has
 * read or skipped: one load of write_index, for pollers to test before
 * a read. A write_index the writer is changing at that moment only makes
 * the answer one poll late. A corrupt write_index answers false, so that
 * the read that follows reports -EIO.
 */
bool vmbus_ring_read_empty(const struct vmbus_ring *r);

/* Ask the writer not to signal: the reader is polling. */
void vmbus_ring_intr_mask(struct vmbus_ring *r);

/*
 * Ask the writer to signal again. Commit first: the writer only signals
 * when it finds the published read_index equal to its old write_index.
 * Returns true if the caller must poll again before sleeping (a packet
 * arrived before the unmask took effect, or write_index is corrupt, which
 * the next read reports); false if it may wait for a signal.
 */
bool vmbus_ring_intr_unmask(struct vmbus_ring *r);

#endif /* VMBUS_RING_H */
