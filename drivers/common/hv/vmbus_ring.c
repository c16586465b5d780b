/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VMBus ring buffer core: framing, wrap-around copies, index validation
 * and the signalling decisions of both roles. See vmbus_ring.h for the
 * contracts.
 *
 * Memory-ordering labels used below (docs/design/protocol.md, "Ring
 * buffer", memory ordering):
 *   W1/W2/W3/W4  writer: acquire read_index, release write_index, full
 *                fence before the mask check, read fence before the
 *                read_index re-check
 *   P1/P2/P3     writer asking for room through pending_send_sz
 *   R1/R2/R3/R4  reader: acquire write_index, release read_index, full
 *                fence before the pending_send_sz check, read fence after
 *   U1           reader re-enabling interrupts
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "hv_atomic.h"
#include "hv_compiler.h"
#include "vmbus_ring.h"

/* Bytes a packet must leave in the ring beside its own: never fill up. */
#define RING_MIN_PKT_LEN ((uint32_t)sizeof(struct vmbus_pkt_desc))

static bool
ring_index_ok(const struct vmbus_ring *r, uint32_t idx)
{
	return idx < r->data_size && idx % VMBUS_PKT_ALIGN == 0;
}

/* Bytes from @from up to @to going forward, both valid indices. */
static uint32_t
ring_distance(const struct vmbus_ring *r, uint32_t from, uint32_t to)
{
	return to >= from ? to - from : r->data_size - (from - to);
}

/* @idx + @n wrapped into [0, D); @n < D. */
static uint32_t
ring_advance(const struct vmbus_ring *r, uint32_t idx, uint32_t n)
{
	uint32_t room = r->data_size - idx;

	return n < room ? idx + n : n - room;
}

/* Copy @len (< D) bytes into the data area at @pos, wrapping; new pos.
 * Inlined: one call per packet piece on the per-packet path. */
static inline __attribute__((always_inline)) uint32_t
ring_copy_in(const struct vmbus_ring *r, uint32_t pos, const void *src,
	     uint32_t len)
{
	uint32_t room = r->data_size - pos;

	if (len < room) {
		memcpy(r->data + pos, src, len);
		return pos + len;
	}
	memcpy(r->data + pos, src, room);
	memcpy(r->data, (const uint8_t *)src + room, len - room);
	return len - room;
}

/* Copy @len (< D) bytes out of the data area from @pos, wrapping. Inline:
 * the descriptor's copy (16 bytes, fixed) becomes two moves. */
static inline __attribute__((always_inline)) void
ring_copy_out(const struct vmbus_ring *r, uint32_t pos, void *dst,
	      uint32_t len)
{
	uint32_t room = r->data_size - pos;

	if (len < room) {
		memcpy(dst, r->data + pos, len);
		return;
	}
	memcpy(dst, r->data + pos, room);
	memcpy((uint8_t *)dst + room, r->data, len - room);
}

/*
 * Bytes a packet of @len occupies: padded to 8, plus the trailer.
 * 64-bit so that no caller-supplied length can overflow.
 */
static uint64_t
ring_footprint(uint64_t len)
{
	return HV_ALIGN_UP(len, (uint64_t)VMBUS_PKT_ALIGN) +
	       VMBUS_PKT_TRAILER_SIZE;
}

/* -EINVAL, -EMSGSIZE or 0 for a packet of @len bytes on this ring. */
static int
ring_check_len(const struct vmbus_ring *w, uint64_t len)
{
	if (len < RING_MIN_PKT_LEN)
		return -EINVAL;
	/* Strictly less than D: a full-sized packet would fill the ring. */
	if (len > VMBUS_PKT_MAX_LEN || ring_footprint(len) >= w->data_size)
		return -EMSGSIZE;
	return 0;
}

void
vmbus_ring_hdr_reset(struct vmbus_ring_hdr *hdr)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->feature_bits = VMBUS_RING_FEAT_PENDING_SEND_SZ;
}

int
vmbus_ring_attach(struct vmbus_ring *r, void *hdr, void *data,
		  size_t data_size)
{
	uintptr_t h = (uintptr_t)hdr, d = (uintptr_t)data;
	uint32_t rd, wr;

	if (r == NULL || hdr == NULL || data == NULL)
		return -EINVAL;
	if (data_size % VMBUS_PKT_ALIGN != 0 ||
	    data_size < VMBUS_RING_MIN_DATA_SIZE || data_size > UINT32_MAX)
		return -EINVAL;
	if (d < h + sizeof(struct vmbus_ring_hdr) && h < d + data_size)
		return -EINVAL;

	r->hdr = hdr;
	r->data = data;
	r->data_size = (uint32_t)data_size;
	rd = hv_load_acquire_u32(&r->hdr->read_index);
	wr = hv_load_relaxed_u32(&r->hdr->write_index);
	if (!ring_index_ok(r, rd) || !ring_index_ok(r, wr))
		return -EIO;
	r->priv_index = rd;
	r->commit_index = rd;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Writer                                                              */
/* ------------------------------------------------------------------ */

/*
 * Snapshot both indices once and compute the free bytes.
 * Returns 0 or -EIO.
 */
static inline __attribute__((always_inline)) int
ring_writer_snapshot(const struct vmbus_ring *w, uint32_t *wr, uint32_t *free)
{
	/* Only we store write_index: no ordering needed to read it back. */
	uint32_t widx = hv_load_relaxed_u32(&w->hdr->write_index);
	/*
	 * W1: pairs with R2. The reader releases read_index only after it
	 * copied the bytes out, so our overwrite cannot race its copy.
	 */
	uint32_t ridx = hv_load_acquire_u32(&w->hdr->read_index);

	if (!ring_index_ok(w, widx) || !ring_index_ok(w, ridx))
		return -EIO;
	*wr = widx;
	*free = w->data_size - ring_distance(w, ridx, widx);
	return 0;
}

/* Sum of the gather lengths; -EINVAL on a NULL element with bytes. */
static int
ring_sg_len(const struct hv_sg *sg, unsigned int nsg, uint64_t *len)
{
	uint64_t total = 0;

	for (unsigned int i = 0; i < nsg; i++) {
		if (sg[i].base == NULL && sg[i].len != 0)
			return -EINVAL;
		total += sg[i].len;
	}
	*len = total;
	return 0;
}

_Static_assert(sizeof(uint64_t) == VMBUS_PKT_ALIGN,
	       "the trailer is one aligned unit");

/* Copy packet, zero padding and trailer starting at @start. */
static inline __attribute__((always_inline)) uint32_t
ring_put_packet(const struct vmbus_ring *w, uint32_t start,
		const struct hv_sg *sg, unsigned int nsg, uint32_t len)
{
	static const uint8_t zeros[VMBUS_PKT_ALIGN];
	uint64_t trailer = (uint64_t)start << 32;
	uint32_t pos = start;

	uint32_t pad = HV_ALIGN_UP(len, VMBUS_PKT_ALIGN) - len;

	for (unsigned int i = 0; i < nsg; i++)
		if (sg[i].len != 0)
			pos = ring_copy_in(w, pos, sg[i].base, sg[i].len);
	if (pad != 0)
		pos = ring_copy_in(w, pos, zeros, pad);
	/* pos is aligned and below D, a multiple of the alignment: the
	 * trailer never wraps (a fixed-size store, not a copy call). */
	memcpy(w->data + pos, &trailer, sizeof(trailer));
	return ring_advance(w, pos, (uint32_t)sizeof(trailer));
}

/* After publishing: does the reader want a signal for this packet?
 * (The header as a parameter: a caller that just stored bytes through
 * a char pointer need not load w->hdr again.) */
static inline __attribute__((always_inline)) bool
ring_hdr_need_signal(const struct vmbus_ring_hdr *hdr, uint32_t old_wr)
{
	/*
	 * W3: pairs with U1. Store write_index / load interrupt_mask here
	 * against store interrupt_mask / load write_index in the reader:
	 * at least one side sees the other's store, so an unmasking reader
	 * either finds this packet or gets our signal.
	 */
	hv_fence_full();
	if (hv_load_relaxed_u32(&hdr->interrupt_mask) != 0)
		return false;
	/*
	 * W4: read fence so the read_index below is no older than the mask
	 * we just acted on (the reader publishes read_index before it
	 * unmasks).
	 */
	hv_fence_acquire();
	/* Empty before this packet: the reader may be asleep on it. */
	return hv_load_relaxed_u32(&hdr->read_index) == old_wr;
}

static bool
ring_writer_need_signal(const struct vmbus_ring *w, uint32_t old_wr)
{
	return ring_hdr_need_signal(w->hdr, old_wr);
}

int
vmbus_ring_write(struct vmbus_ring *w, const struct hv_sg *sg,
		 unsigned int nsg, bool *need_signal)
{
	uint32_t old_wr, new_wr, free;
	uint64_t len;
	int rc;

	*need_signal = false;
	rc = ring_sg_len(sg, nsg, &len);
	if (rc == 0)
		rc = ring_check_len(w, len);
	if (rc == 0)
		rc = ring_writer_snapshot(w, &old_wr, &free);
	if (rc != 0)
		return rc;
	/* Strict: a ring with free == footprint would become "empty". */
	if (free <= ring_footprint(len))
		return -EAGAIN;

	new_wr = ring_put_packet(w, old_wr, sg, nsg, (uint32_t)len);
	/*
	 * W2: pairs with R1. The packet bytes are visible before the index
	 * that hands them to the reader.
	 */
	hv_store_release_u32(&w->hdr->write_index, new_wr);
	*need_signal = ring_writer_need_signal(w, old_wr);
	return 0;
}

int
vmbus_ring_write_many(struct vmbus_ring *w, const struct hv_sg *pkt,
		      unsigned int n, unsigned int *written, bool *need_signal)
{
	uint32_t old_wr, pos, free;
	uint64_t fp;
	unsigned int i;
	int rc;

	*need_signal = false;
	*written = 0;
	for (i = 0; i < n; i++) {
		if (pkt[i].base == NULL)
			return -EINVAL;
		rc = ring_check_len(w, pkt[i].len);
		if (rc != 0)
			return rc;
	}
	rc = ring_writer_snapshot(w, &pos, &free);
	if (rc != 0)
		return rc;
	for (i = 0; i < n; i++) {
		fp = ring_footprint(pkt[i].len);
		/*
		 * Strict, as in vmbus_ring_write: never fill up. The free
		 * count only grows behind our back (the reader consumes), so
		 * look again before giving up, as a fresh call would.
		 */
		if (free <= fp) {
			rc = ring_writer_snapshot(w, &pos, &free);
			if (rc != 0 || free <= fp)
				break;
		}
		old_wr = pos;
		pos = ring_put_packet(w, pos, &pkt[i], 1, pkt[i].len);
		free -= (uint32_t)fp;
		/* W2 (see vmbus_ring_write): each packet is published on its
		 * own, so the reader may take it before the next is written. */
		hv_store_release_u32(&w->hdr->write_index, pos);
		if (ring_writer_need_signal(w, old_wr)) {
			/* The reader waits on this one: signal before writing on. */
			*need_signal = true;
			i++;
			break;
		}
	}
	*written = i;
	return rc;
}

/* One stamped packet across the end of the data area (rare): the
 * general framing, out of the per-packet loop. */
static __attribute__((noinline)) uint32_t
ring_put_stamped_wrap(const struct vmbus_ring *w, uint32_t pos,
		      const uint8_t *tmpl, uint32_t len, uint32_t id_off,
		      const uint64_t *id)
{
	struct hv_sg sg[3] = {
		{ tmpl, id_off },
		{ id, (uint32_t)sizeof(*id) },
		{ tmpl + id_off + sizeof(*id),
		  len - id_off - (uint32_t)sizeof(*id) },
	};

	return ring_put_packet(w, pos, sg, 3, len);
}

typedef uint64_t ring_v2 __attribute__((vector_size(16)));

/* The @nw (2..8) words of a padded template to @d, straight-line. */
static inline __attribute__((always_inline)) void
ring_put_words(uint8_t *d, const uint64_t *t, uint32_t nw)
{
	switch (nw) {
	case 8:
		memcpy(d + 56, &t[7], 8);
		/* fallthrough */
	case 7:
		memcpy(d + 48, &t[6], 8);
		/* fallthrough */
	case 6:
		memcpy(d + 40, &t[5], 8);
		/* fallthrough */
	case 5:
		memcpy(d + 32, &t[4], 8);
		/* fallthrough */
	case 4:
		memcpy(d + 24, &t[3], 8);
		/* fallthrough */
	case 3:
		memcpy(d + 16, &t[2], 8);
		/* fallthrough */
	default:
		memcpy(d + 8, &t[1], 8);
		memcpy(d, &t[0], 8);
	}
}

int
vmbus_ring_write_stamped(struct vmbus_ring *w, const void *tmpl, uint32_t len,
			 uint32_t id_off, const uint64_t *ids, unsigned int n,
			 unsigned int *written, bool *need_signal)
{
	/* One word more than the largest template: the trailer's slot. */
	uint64_t t[VMBUS_RING_STAMP_MAX / sizeof(uint64_t) + 1] = { 0 };
	ring_v2 v0, v1, v2, v3;
	uint32_t old_wr, pos, free, fp, nw, nv, dsize = w->data_size;
	struct vmbus_ring_hdr *hdr = w->hdr;
	uint8_t *data = w->data;
	unsigned int i;
	int rc;

	*need_signal = false;
	*written = 0;
	if (tmpl == NULL || len > VMBUS_RING_STAMP_MAX || id_off > len ||
	    len - id_off < sizeof(*ids))
		return -EINVAL;
	rc = ring_check_len(w, len);
	if (rc != 0)
		return rc;
	rc = ring_writer_snapshot(w, &pos, &free);
	if (rc != 0)
		return rc;
	/* The template padded with zeros, as words (and, with its trailer
	 * a multiple of 16 bytes, as nv vectors; the trailer's slot is
	 * zero in t). */
	memcpy(t, tmpl, len);
	nw = HV_ALIGN_UP(len, VMBUS_PKT_ALIGN) / VMBUS_PKT_ALIGN;
	fp = nw * VMBUS_PKT_ALIGN + VMBUS_PKT_TRAILER_SIZE;
	nv = fp % 16 == 0 ? fp / 16 : 0;
	memcpy(&v0, &t[0], 16);
	memcpy(&v1, &t[2], 16);
	memcpy(&v2, &t[4], 16);
	memcpy(&v3, &t[6], 16);
	for (i = 0; i < n; i++) {
		/* vmbus_ring_write_many's rule: never fill up; look again
		 * before giving up. */
		if (free <= fp) {
			rc = ring_writer_snapshot(w, &pos, &free);
			if (rc != 0 || free <= fp)
				break;
		}
		old_wr = pos;
		if (hv_likely(dsize - pos > fp)) {
			/* Not wrapping (the common case): in place, the
			 * trailer one store. */
			uint64_t trailer = (uint64_t)pos << 32;
			uint8_t *d = data + pos;

			if (nv != 0) {
				/* A multiple of 16 with the trailer: vector
				 * stores from registers (the trailer's slot
				 * is overwritten below). */
				switch (nv) {
				case 4:
					memcpy(d + 48, &v3, 16);
					/* fallthrough */
				case 3:
					memcpy(d + 32, &v2, 16);
					/* fallthrough */
				case 2:
					memcpy(d + 16, &v1, 16);
					/* fallthrough */
				default:
					memcpy(d, &v0, 16);
				}
			} else {
				ring_put_words(d, t, nw);
			}
			memcpy(d + id_off, &ids[i], sizeof(ids[i]));
			memcpy(d + fp - VMBUS_PKT_TRAILER_SIZE, &trailer,
			       sizeof(trailer));
			pos += fp;
		} else {
			pos = ring_put_stamped_wrap(w, pos, tmpl, len, id_off, &ids[i]);
		}
		free -= fp;
		/* W2, one packet at a time (vmbus_ring_write_many). */
		hv_store_release_u32(&hdr->write_index, pos);
		if (ring_hdr_need_signal(hdr, old_wr)) {
			*need_signal = true;
			i++;
			break;
		}
	}
	*written = i;
	return rc;
}

int
vmbus_ring_write_avail(const struct vmbus_ring *w, uint32_t *max_len)
{
	uint32_t wr, free, room;
	int rc;

	*max_len = 0;
	rc = ring_writer_snapshot(w, &wr, &free);
	if (rc != 0)
		return rc;
	/*
	 * free is a multiple of 8; a padded length P fits iff
	 * P + trailer < free, i.e. P <= free - 16.
	 */
	room = free >= 2 * VMBUS_PKT_ALIGN ? free - 2 * VMBUS_PKT_ALIGN : 0;
	if (room > VMBUS_PKT_MAX_LEN)
		room = VMBUS_PKT_MAX_LEN;
	*max_len = room >= RING_MIN_PKT_LEN ? room : 0;
	return 0;
}

int
vmbus_ring_pending_send_set(struct vmbus_ring *w, uint32_t pkt_len)
{
	uint32_t wr, free, need;
	int rc;

	rc = ring_check_len(w, pkt_len);
	if (rc != 0)
		return rc;
	/* The reader signals when free > pending: exactly "it fits". */
	need = (uint32_t)ring_footprint(pkt_len);
	/*
	 * P1: pairs with R4. Released after our last write_index store, so
	 * a reader that sees the request also sees the index the ring was
	 * full at.
	 */
	hv_store_release_u32(&w->hdr->pending_send_sz, need);
	/*
	 * P2: pairs with R3. Store pending / load read_index here against
	 * store read_index / load pending in the reader: either we see the
	 * room it made or it sees our request and signals.
	 */
	hv_fence_full();
	/* P3: the acquire of read_index (W1) in the snapshot. */
	rc = ring_writer_snapshot(w, &wr, &free);
	if (rc != 0)
		return rc;
	return free > need ? 0 : -EAGAIN;
}

void
vmbus_ring_pending_send_clear(struct vmbus_ring *w)
{
	/* A stale request only costs the reader a spurious signal. */
	hv_store_relaxed_u32(&w->hdr->pending_send_sz, 0);
}

int
vmbus_ring_hold(struct vmbus_ring *w, struct vmbus_ring_hold *h)
{
	struct vmbus_ring_hdr *shared = w->hdr;
	uint32_t wr, rd;

	if (h->shared != NULL || shared == &h->shadow)
		return -EALREADY;
	wr = hv_load_relaxed_u32(&shared->write_index);
	/* W1 as in every write: the reader's copies are done before the
	 * room they free is reused. */
	rd = hv_load_acquire_u32(&shared->read_index);
	if (!ring_index_ok(w, wr) || !ring_index_ok(w, rd))
		return -EIO;
	/* The fields the writer role uses (the rest it never touches). */
	h->shadow.write_index = wr;
	h->shadow.read_index = rd;
	/* Masked: no write while held asks for a signal. */
	h->shadow.interrupt_mask = 1;
	h->shadow.pending_send_sz = 0;
	h->shadow.feature_bits = shared->feature_bits;
	h->shared = shared;
	h->start = wr;
	w->hdr = &h->shadow;
	return 0;
}

int
vmbus_ring_publish(struct vmbus_ring *w, struct vmbus_ring_hold *h,
		   bool *need_signal)
{
	struct vmbus_ring_hdr *shared = h->shared;
	uint32_t wr = h->shadow.write_index;
	uint32_t pend = h->shadow.pending_send_sz;

	*need_signal = false;
	if (shared == NULL || w->hdr != &h->shadow)
		return -EALREADY;
	w->hdr = shared;
	h->shared = NULL;
	/* Only the write calls stored it, all with valid indices. */
	if (!ring_index_ok(w, wr))
		return -EIO;
	if (wr != h->start)
		/* W2 (see vmbus_ring_write): the batch's bytes before the
		 * index. */
		hv_store_release_u32(&shared->write_index, wr);
	if (pend != 0)
		/* P1 (see vmbus_ring_pending_send_set), after the index;
		 * the writer looks at the room again at its next write. */
		hv_store_release_u32(&shared->pending_send_sz, pend);
	if (wr != h->start)
		*need_signal = ring_hdr_need_signal(shared, h->start);
	return 0;
}

bool
vmbus_ring_write_drained(const struct vmbus_ring *w)
{
	uint32_t wr = hv_load_relaxed_u32(&w->hdr->write_index);
	uint32_t rd = hv_load_acquire_u32(&w->hdr->read_index);

	return ring_index_ok(w, wr) && rd == wr;
}

/* ------------------------------------------------------------------ */
/* Reader                                                              */
/* ------------------------------------------------------------------ */

/* Load write_index once (R1) and compute bytes unread past priv_index. */
static int
ring_reader_avail(const struct vmbus_ring *r, uint32_t *avail)
{
	/*
	 * R1: pairs with W2. Every packet byte below this index was written
	 * before the writer published it.
	 */
	uint32_t wr = hv_load_acquire_u32(&r->hdr->write_index);

	if (!ring_index_ok(r, wr))
		return -EIO;
	*avail = ring_distance(r, r->priv_index, wr);
	return 0;
}

/*
 * Copy and validate the descriptor of the next packet.
 * Returns 0 with *len = len8 * 8, -EAGAIN or -EIO.
 */
static inline __attribute__((always_inline)) int
ring_next_desc(const struct vmbus_ring *r, struct vmbus_pkt_desc *desc,
	       uint32_t *len)
{
	uint32_t avail, plen;
	int rc;

	rc = ring_reader_avail(r, &avail);
	if (rc != 0)
		return rc;
	if (avail == 0)
		return -EAGAIN;
	if (avail < sizeof(*desc) + VMBUS_PKT_TRAILER_SIZE)
		return -EIO;

	/* Private copy: the writer may change the ring under us. A fixed-size
	 * copy (inlined) unless the descriptor wraps. */
	if (r->data_size - r->priv_index >= sizeof(*desc))
		memcpy(desc, r->data + r->priv_index, sizeof(*desc));
	else
		ring_copy_out(r, r->priv_index, desc, sizeof(*desc));
	/*
	 * Framing only: len8 says where the next packet starts. A bad
	 * offset8 spoils this packet, not the ring; vmbus_pkt_parse() refuses
	 * it and the caller can step over it.
	 */
	plen = (uint32_t)desc->len8 * VMBUS_PKT_ALIGN;
	if (plen < sizeof(*desc) ||
	    (uint64_t)plen + VMBUS_PKT_TRAILER_SIZE > avail)
		return -EIO;
	*len = plen;
	return 0;
}

/* vmbus_ring_peek, inline in vmbus_ring_read (an exported function is
 * not inlined in a shared object). */
static inline __attribute__((always_inline)) int
ring_peek(const struct vmbus_ring *r, void *buf, size_t buflen,
	  uint32_t *pkt_len)
{
	struct vmbus_pkt_desc desc;
	uint32_t len;
	int rc;

	*pkt_len = 0;
	rc = ring_next_desc(r, &desc, &len);
	if (rc != 0)
		return rc;
	*pkt_len = len;
	if (buflen < len)
		return -ENOBUFS;
	/* The caller parses the descriptor we validated, not a re-read;
	 * the rest follows it (len >= sizeof(desc), checked above). */
	memcpy(buf, &desc, sizeof(desc));
	if (len > sizeof(desc))
		ring_copy_out(r, ring_advance(r, r->priv_index, sizeof(desc)),
			      (uint8_t *)buf + sizeof(desc),
			      len - (uint32_t)sizeof(desc));
	return 0;
}

int
vmbus_ring_peek(const struct vmbus_ring *r, void *buf, size_t buflen,
		uint32_t *pkt_len)
{
	return ring_peek(r, buf, buflen, pkt_len);
}

int
vmbus_ring_read(struct vmbus_ring *r, void *buf, size_t buflen,
		uint32_t *pkt_len)
{
	int rc = ring_peek(r, buf, buflen, pkt_len);

	if (rc != 0)
		return rc;
	r->priv_index = ring_advance(r, r->priv_index,
				     *pkt_len + VMBUS_PKT_TRAILER_SIZE);
	return 0;
}

int
vmbus_ring_skip(struct vmbus_ring *r, uint32_t *pkt_len)
{
	struct vmbus_pkt_desc desc;
	uint32_t len;
	int rc;

	*pkt_len = 0;
	rc = ring_next_desc(r, &desc, &len);
	if (rc != 0)
		return rc;
	*pkt_len = len;
	r->priv_index = ring_advance(r, r->priv_index,
				     len + VMBUS_PKT_TRAILER_SIZE);
	return 0;
}

/* After publishing @consumed bytes: did the writer's threshold cross? */
static int
ring_reader_need_signal(const struct vmbus_ring *r, uint32_t consumed,
			bool *need_signal)
{
	uint32_t pending, wr, free_now, free_before;

	/*
	 * R3: pairs with P2. Store read_index / load pending here against
	 * store pending / load read_index in the writer: a writer that
	 * missed our room is one whose request we see.
	 */
	hv_fence_full();
	if (!(hv_load_relaxed_u32(&r->hdr->feature_bits) &
	      VMBUS_RING_FEAT_PENDING_SEND_SZ))
		return 0;
	pending = hv_load_relaxed_u32(&r->hdr->pending_send_sz);
	if (pending == 0)
		return 0;
	/*
	 * R4: pairs with P1. The write_index below is no older than the
	 * one the writer found the ring full at.
	 */
	hv_fence_acquire();
	wr = hv_load_relaxed_u32(&r->hdr->write_index);
	if (!ring_index_ok(r, wr))
		return -EIO;
	free_now = r->data_size - ring_distance(r, r->priv_index, wr);
	/* The writer may have filled some of it again meanwhile. */
	free_before = free_now > consumed ? free_now - consumed : 0;
	*need_signal = free_before <= pending && free_now > pending;
	return 0;
}

int
vmbus_ring_commit(struct vmbus_ring *r, bool *need_signal)
{
	uint32_t consumed;

	*need_signal = false;
	if (r->priv_index == r->commit_index)
		return 0;
	consumed = ring_distance(r, r->commit_index, r->priv_index);
	/*
	 * R2: pairs with W1. Our copies out of these bytes are complete
	 * before the writer may reuse them.
	 */
	hv_store_release_u32(&r->hdr->read_index, r->priv_index);
	r->commit_index = r->priv_index;
	return ring_reader_need_signal(r, consumed, need_signal);
}

int
vmbus_ring_read_avail(const struct vmbus_ring *r, uint32_t *bytes)
{
	*bytes = 0;
	return ring_reader_avail(r, bytes);
}

bool
vmbus_ring_read_empty(const struct vmbus_ring *r)
{
	/* R1 as in ring_reader_avail: a packet seen here is complete. */
	uint32_t wr = hv_load_acquire_u32(&r->hdr->write_index);

	return wr == r->priv_index;
}

void
vmbus_ring_intr_mask(struct vmbus_ring *r)
{
	/* Only a hint: a writer that misses it signals once more. */
	hv_store_relaxed_u32(&r->hdr->interrupt_mask, 1);
}

bool
vmbus_ring_intr_unmask(struct vmbus_ring *r)
{
	uint32_t wr;

	hv_store_relaxed_u32(&r->hdr->interrupt_mask, 0);
	/*
	 * U1: pairs with W3. Store mask / load write_index here against
	 * store write_index / load mask in the writer: a packet published
	 * before the writer saw our unmask is one we see now.
	 */
	hv_fence_full();
	/* Relaxed: the re-poll reloads it with R1. */
	wr = hv_load_relaxed_u32(&r->hdr->write_index);
	return wr != r->priv_index;
}
