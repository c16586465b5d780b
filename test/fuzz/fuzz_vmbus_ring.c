/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target for the ring reader (and the writer's index checks).
 *
 * Input: a snapshot of the header fields the other party controls,
 *   u32 write_index, read_index, interrupt_mask, pending_send_sz,
 *   feature_bits (little-endian),
 * followed by the data area (the remaining bytes rounded down to 8, at
 * least VMBUS_RING_MIN_DATA_SIZE). The target reads, peeks, skips and
 * commits packets until the ring reports empty or corrupt, checking the
 * contracts of every success; then it tries one write on the same ring.
 * Then two readers of a fresh copy, one through vmbus_ring_read and one
 * through vmbus_ring_read_inline (buffers of varying size), must agree
 * at every step: result, length, bytes and cursor.
 * Then a held writer (vmbus_ring_hold) on a fresh copy writes until
 * refused: the shared write_index must not move before the publish, no
 * byte the reader had not read may change, and the publish must give
 * the shared header back.
 * It must never crash or touch memory outside the ring.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmbus_ring.h"
#include "vmbus_ring_inline.h"

#define FUZZ_HDR_FIELDS 5u
#define FUZZ_HDR_LEN (FUZZ_HDR_FIELDS * sizeof(uint32_t))
/* Each packet consumes at least 24 bytes: this bounds any input. */
#define FUZZ_MAX_STEPS 100000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_load_hdr(struct vmbus_ring_hdr *hdr, const uint8_t *in)
{
	uint32_t f[FUZZ_HDR_FIELDS];

	memcpy(f, in, sizeof(f));
	vmbus_ring_hdr_reset(hdr);
	hdr->write_index = f[0];
	hdr->read_index = f[1];
	hdr->interrupt_mask = f[2];
	hdr->pending_send_sz = f[3];
	hdr->feature_bits = f[4];
}

/* A success must describe a sane packet; anything else is a bug. */
static void
fuzz_check_pkt(const struct vmbus_ring *r, const uint8_t *buf, uint32_t len)
{
	struct vmbus_pkt_desc d;

	if (len < sizeof(d) || len % 8 != 0 || len >= r->data_size)
		abort();
	memcpy(&d, buf, sizeof(d));
	/* Framing only; offset8 is the packet parser's to check. */
	if (d.len8 * 8u != len || d.len8 < 2)
		abort();
}

/* One reader step; returns the ring's verdict for the next packet. */
static int
fuzz_step(struct vmbus_ring *r, uint8_t *buf, unsigned int step)
{
	uint8_t small[24];
	uint32_t len, avail;
	bool sig;
	int rc;

	if (vmbus_ring_read_avail(r, &avail) != 0)
		avail = 0;
	if (step % 3 == 2) {
		rc = vmbus_ring_skip(r, &len);
	} else {
		rc = vmbus_ring_peek(r, small, sizeof(small), &len);
		if (rc == 0)
			fuzz_check_pkt(r, small, len);
		if (rc == 0 || rc == -ENOBUFS)
			rc = vmbus_ring_read(r, buf, r->data_size, &len);
		if (rc == 0)
			fuzz_check_pkt(r, buf, len);
	}
	if (rc == 0 && len + 8u > avail)
		abort();
	if (rc == 0 && step % 2 == 0)
		rc = vmbus_ring_commit(r, &sig);
	return rc;
}

/* The writer must refuse or frame within the ring, whatever it sees. */
static void
fuzz_write_once(struct vmbus_ring *r, const uint8_t *in, size_t len)
{
	struct hv_sg sg = { in, (uint32_t)(len < 64 ? len : 64) };
	uint32_t max;
	bool sig;

	(void)vmbus_ring_write_avail(r, &max);
	(void)vmbus_ring_pending_send_set(r, sg.len);
	(void)vmbus_ring_write(r, &sg, 1, &sig);
	vmbus_ring_pending_send_clear(r);
}

/* vmbus_ring_read and vmbus_ring_read_inline on the same bytes. */
static void
fuzz_inline_twins(const uint8_t *data, size_t dsize)
{
	struct vmbus_ring_hdr *hdr = malloc(sizeof(*hdr));
	uint8_t *ring = malloc(dsize), *ba = malloc(dsize), *bb = malloc(dsize);
	struct vmbus_ring ra, rb;

	if (hdr == NULL || ring == NULL || ba == NULL || bb == NULL)
		goto out;
	fuzz_load_hdr(hdr, data);
	memcpy(ring, data + FUZZ_HDR_LEN, dsize);
	if (vmbus_ring_attach(&ra, hdr, ring, dsize) != 0 ||
	    vmbus_ring_attach(&rb, hdr, ring, dsize) != 0)
		goto out;
	for (unsigned int i = 0; i < FUZZ_MAX_STEPS; i++) {
		/* Every third step a buffer that may be too small. */
		size_t buflen = i % 3 == 1 ? 16 + (size_t)(i * 40) % dsize : dsize;
		uint32_t la = 1, lb = 2;
		int rc = vmbus_ring_read(&ra, ba, buflen, &la);

		if (vmbus_ring_read_inline(&rb, bb, buflen, &lb) != rc || la != lb ||
		    ra.priv_index != rb.priv_index ||
		    (rc == 0 && memcmp(ba, bb, la) != 0))
			abort();
		if (rc != 0 && rc != -ENOBUFS)
			break;
		if (rc == -ENOBUFS && vmbus_ring_skip(&ra, &la) == 0 &&
		    vmbus_ring_skip(&rb, &lb) != 0)
			abort();
	}
out:
	free(bb);
	free(ba);
	free(ring);
	free(hdr);
}

/* Bytes [from, to) of the data area, wrapping, equal in a and b. */
static bool
fuzz_same_span(const uint8_t *a, const uint8_t *b, size_t dsize,
	       uint32_t from, uint32_t to)
{
	if (from <= to)
		return memcmp(a + from, b + from, to - from) == 0;
	return memcmp(a + from, b + from, dsize - from) == 0 &&
	       memcmp(a, b, to) == 0;
}

/* Deferred publication against whatever indices the input holds. */
static void
fuzz_hold(const uint8_t *data, size_t size, size_t dsize)
{
	struct vmbus_ring_hdr *hdr = malloc(sizeof(*hdr));
	struct vmbus_ring_hold *h = calloc(1, sizeof(*h));
	uint8_t *ring = malloc(dsize), *orig = malloc(dsize);
	uint8_t pkt[64] = { 0 };
	struct vmbus_ring w;
	uint32_t wr, rd;
	bool sig;

	if (hdr == NULL || h == NULL || ring == NULL || orig == NULL)
		goto out;
	fuzz_load_hdr(hdr, data);
	memcpy(ring, data + FUZZ_HDR_LEN, dsize);
	memcpy(orig, ring, dsize);
	if (vmbus_ring_attach(&w, hdr, ring, dsize) != 0)
		goto out;
	wr = hdr->write_index;
	rd = hdr->read_index;
	if (vmbus_ring_hold(&w, h) != 0) {
		if (w.hdr != hdr)
			abort();
		goto out;
	}
	for (unsigned int i = 0; i < FUZZ_MAX_STEPS; i++) {
		/* Lengths 16..64 from the input, a descriptor's worth. */
		struct hv_sg sg = { pkt, 16u + data[i % size] % 49u };

		if (vmbus_ring_write(&w, &sg, 1, &sig) != 0)
			break;
		if (sig)
			abort(); /* held: never a signal */
	}
	if (hdr->write_index != wr)
		abort();
	/* What the reader had not read yet (read_index up to
	 * write_index) is as it was: held writes only use free room. */
	if (!fuzz_same_span(ring, orig, dsize, rd, wr))
		abort();
	if (vmbus_ring_publish(&w, h, &sig) != 0 || w.hdr != hdr)
		abort();
	if (hdr->write_index >= dsize || hdr->write_index % 8 != 0)
		abort();
out:
	free(orig);
	free(ring);
	free(h);
	free(hdr);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmbus_ring_hdr *hdr;
	struct vmbus_ring r;
	uint8_t *ring, *buf;
	size_t dsize;

	if (size < FUZZ_HDR_LEN + VMBUS_RING_MIN_DATA_SIZE)
		return 0;
	dsize = (size - FUZZ_HDR_LEN) & ~(size_t)7;
	hdr = malloc(sizeof(*hdr));
	ring = malloc(dsize);   /* exact size: ASan flags any overrun */
	buf = malloc(dsize);
	if (hdr == NULL || ring == NULL || buf == NULL)
		goto out;
	fuzz_load_hdr(hdr, data);
	memcpy(ring, data + FUZZ_HDR_LEN, dsize);

	if (vmbus_ring_attach(&r, hdr, ring, dsize) == 0) {
		bool sig;

		for (unsigned int i = 0; i < FUZZ_MAX_STEPS; i++)
			if (fuzz_step(&r, buf, i) != 0)
				break;
		(void)vmbus_ring_commit(&r, &sig);
		(void)vmbus_ring_intr_unmask(&r);
		fuzz_write_once(&r, data, size);
	}
	fuzz_inline_twins(data, dsize);
	fuzz_hold(data, size, dsize);
out:
	free(buf);
	free(ring);
	free(hdr);
	return 0;
}
