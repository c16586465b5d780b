/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The page-buffer send in one pass: a GPA-direct VMBus packet carrying
 * SEND_RNDIS_PKT without a send section, its bytes one PACKET_MSG whose
 * frame needs nothing done to it (the form both DPDK guests use above
 * tx_copybreak: the RNDIS header in one page range, the frame in the
 * next ones). The full path (vmbus_pkt_parse, emu_nvsp_handle,
 * emu_tx_rndis_pkt) walks the page ranges twice, gathers every byte
 * into nic->gather and checks each page against every NIC's receive
 * buffer; this walks them once, validating each range by
 * vmbus_pkt_parse's rules as it translates it, copies only the first
 * TX_SEEN_LEN bytes (header and PPIs) privately and checks them there,
 * and hands the frame to the backend from guest memory when its pages
 * are contiguous here (as a host's DMA takes it; nothing of a plain
 * frame is checked), else from a copy.
 *
 * Every rule of the full path holds: the descriptor is nic->pkt, the
 * private copy vmbus_ring_read made, read here and nowhere else; the
 * guest's pages are read once each (header copy, then the frame). Any
 * packet this path does not take whole (another shape, anything wrong,
 * a page not in this device's guest memory, a range touching any
 * NIC's receive buffer, trace on, a lenient rule) goes to the full path
 * before anything was changed, so errors, counters and logs are the
 * full path's.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "emu_guestmem.h"
#include "emu_net_priv.h"

/* Host-contiguous pieces a packet may come in (header + frame pages). */
#define GPA_SPANS 8u
/* Bytes of the header copy: emu_tx_one_plain's. */
#define GPA_HDR 64u

struct gpa_span {
	const uint8_t *p;
	uint32_t len;
};

/* NVSP SEND_RNDIS_PKT as the fast path reads it (rndis_pkt_fast). */
struct gpa_nvsp {
	uint32_t type;
	uint32_t channel_type;
	uint32_t section_index;
	uint32_t section_size;
};

/*
 * What does not change while a poll reads packets, checked once
 * (q->gpa, dropped by emu_tx_gpa_forget at each poll's start and after
 * any packet the full path handled): the NIC's state as the full path
 * would find it for a SEND_RNDIS_PKT without a section (rndis_pkt_fast,
 * on_rndis_pkt), where any NIC's receive buffer lies (a guest may
 * forward from another's: one hull [lo, hi), empty if none; a page
 * inside it goes to the full path, which decides, page by page, whether
 * its sub-allocations are still the guest's), and the device's guest
 * memory with its two hinted ranges. False: the full path takes the
 * packet (and the next one looks again).
 */
static __attribute__((noinline)) bool
gpa_cache_fill(struct emu_net_queue *q)
{
	struct emu_nic *nic = q->nic;
	struct emu_net *net = nic->net;
	struct emu_gpa_cache *c = &q->gpa;
	struct emu_guestmem *gm;
	unsigned int i, k;

	if (nic->version == 0 || !nic->send_cached ||
	    nic->send_version != nic->version || !nic->send_ok || nic->trace ||
	    nic->rndis != EMU_RNDIS_READY ||
	    (net->cfg.lenient & EMU_LENIENT_TX_MSG_ALIGN) || !emu_nvsp_ready(nic))
		return false;
	c->hull_lo = (const uint8_t *)UINTPTR_MAX;
	c->hull_hi = NULL;
	for (i = 0; i < net->nnics; i++) {
		const struct emu_nic *n = net->nic[i];
		const uint8_t *end;

		if (n == NULL || n->rxbuf == NULL)
			continue;
		end = n->rxbuf + (size_t)n->sub_count * n->sub_size;
		if (n->rxbuf < c->hull_lo)
			c->hull_lo = n->rxbuf;
		if (end > c->hull_hi)
			c->hull_hi = end;
	}
	/* The device's own memory, no count on a miss (emu_dev_translate
	 * counts; the full path translates again and counts it once). */
	gm = emu_dev_guestmem(nic->dev);
	if (gm == NULL)
		return false;
	c->gm = gm;
	c->va = gm->gpa_is_va;
	for (k = 0; k < 2; k++) {
		unsigned int h = k == 0 ? gm->hint_r : gm->hint_r2;

		/* In pages (ranges are whole pages: emu_guestmem's
		 * range_ok; one that were not is left to the translation). */
		c->r_npg[k] = 0;
		if (c->va && h < gm->n && gm->r[h].va % HV_PAGE_SIZE == 0 &&
		    gm->r[h].len % HV_PAGE_SIZE == 0) {
			c->r_pfn[k] = gm->r[h].va >> HV_PAGE_SHIFT;
			c->r_npg[k] = gm->r[h].len >> HV_PAGE_SHIFT;
			c->r_ptr[k] = gm->r[h].ptr;
		}
	}
	c->ok = true;
	return true;
}

/* gpa_cache_fill for emu_tx_inband_fast (emu_txpath.c), which needs the
 * same NIC-state checks and shares their once-a-poll lifetime. */
bool
emu_tx_fast_state_fill(struct emu_net_queue *q)
{
	return gpa_cache_fill(q);
}

/*
 * Host address of the n bytes (0 < n <= HV_PAGE_SIZE - off) at byte
 * off (< HV_PAGE_SIZE) of GPA page pfn: one of the cached ranges when
 * GPA = VA and it holds them whole, else the full translation (the same
 * answer). NULL: not guest memory.
 */
static inline __attribute__((always_inline)) const uint8_t *
gpa_page(const struct emu_gpa_cache *c, uint64_t pfn, uint32_t off, uint32_t n)
{
	/* Page pfn inside a cached range (r_npg 0: none, or not GPA =
	 * VA) holds the n bytes at off whole (off + n <= HV_PAGE_SIZE). */
	uint64_t d = pfn - c->r_pfn[0];

	if (d < c->r_npg[0])
		return c->r_ptr[0] + (d << HV_PAGE_SHIFT) + off;
	d = pfn - c->r_pfn[1];
	if (d < c->r_npg[1])
		return c->r_ptr[1] + (d << HV_PAGE_SHIFT) + off;
	return emu_guestmem_translate_hinted(c->gm, pfn, off, n);
}

/* Copy n bytes from byte off of the spans to dst (they hold them). */
static void
spans_copy(uint8_t *dst, const struct gpa_span *sp, uint32_t off, uint32_t n)
{
	while (off >= sp->len) {
		off -= sp->len;
		sp++;
	}
	while (n != 0) {
		uint32_t k = sp->len - off < n ? sp->len - off : n;

		emu_copy(dst, sp->p + off, k);
		dst += k;
		n -= k;
		off = 0;
		sp++;
	}
}

/*
 * The GPA ranges after the header (vmbus_pkt_parse's and the
 * iterator's rules: room for each range and its PFNs, a valid offset
 * and count), translated page by page into host-contiguous spans.
 * Returns the bytes they carry, 0 for anything the full path must see.
 */
/* Add the n bytes at p to the spans, merged with the last if they
 * follow it here; false if there are GPA_SPANS already. */
static inline bool
span_add(struct gpa_span *sp, unsigned int *ns, const uint8_t *p, uint32_t n)
{
	if (*ns != 0 && sp[*ns - 1].p + sp[*ns - 1].len == p) {
		sp[*ns - 1].len += n;
		return true;
	}
	if (*ns == GPA_SPANS)
		return false;
	sp[*ns].p = p;
	sp[*ns].len = n;
	(*ns)++;
	return true;
}

/* Whether p + n is outside the receive buffers and added to the spans. */
static inline bool
page_ok(const struct emu_gpa_cache *c, struct gpa_span *sp, unsigned int *ns,
	const uint8_t *p, uint32_t n)
{
	return p != NULL && !(p < c->hull_hi && p + n > c->hull_lo) &&
	       span_add(sp, ns, p, n);
}

/* A range of several pages (not the DPDK form), page by page. */
static __attribute__((noinline)) bool
range_pages(const struct emu_gpa_cache *c,
	    const uint8_t *pfns, uint32_t npfn, uint32_t off, uint32_t left,
	    struct gpa_span *sp, unsigned int *ns)
{
	uint32_t i, n;
	uint64_t pfn;

	for (i = 0; i < npfn; i++) {
		n = HV_PAGE_SIZE - off < left ? HV_PAGE_SIZE - off : left;
		memcpy(&pfn, pfns + (size_t)i * sizeof(pfn), sizeof(pfn));
		if (!page_ok(c, sp, ns, gpa_page(c, pfn, off, n), n))
			return false;
		left -= n;
		off = 0;
	}
	return true;
}

static inline uint32_t
gpa_spans_loop(const struct emu_gpa_cache *c, const uint8_t *r, uint32_t room,
	       uint32_t nranges, struct gpa_span *sp, unsigned int *nsp)
{
	const uint8_t *end = NULL; /* where the last span ends here */
	unsigned int ns = 0;
	uint64_t total = 0;

	while (nranges-- != 0) {
		struct vmbus_gpa_range g;
		uint32_t cnt, off;
		uint64_t pfn;
		const uint8_t *p;

		if (room < sizeof(g) + sizeof(pfn))
			return 0;
		memcpy(&g, r, sizeof(g));
		cnt = g.byte_count;
		off = g.byte_offset;
		if (hv_unlikely(off >= HV_PAGE_SIZE || cnt - 1u >= HV_PAGE_SIZE - off)) {
			/* Empty, a bad offset, or several pages (not the
			 * DPDK form): vmbus_pkt_gpa_pfn_count's rule with
			 * the sizes bounded, then page by page. */
			uint32_t npfn, step;

			if (cnt == 0 || off >= HV_PAGE_SIZE ||
			    total > EMU_NET_GATHER_MAX || cnt > EMU_NET_GATHER_MAX - total)
				return 0;
			npfn = (off + cnt + HV_PAGE_SIZE - 1) / HV_PAGE_SIZE;
			step = (uint32_t)sizeof(g) + npfn * (uint32_t)sizeof(pfn);
			if (step > room ||
			    !range_pages(c, r + sizeof(g), npfn, off, cnt, sp, &ns))
				return 0;
			end = sp[ns - 1].p + sp[ns - 1].len;
			total += cnt;
			r += step;
			room -= step;
			continue;
		}
		/* One page, [off, off + cnt) inside it: both DPDK guests'
		 * form. */
		memcpy(&pfn, r + sizeof(g), sizeof(pfn));
		p = gpa_page(c, pfn, off, cnt);
		if (p == NULL || (p < c->hull_hi && p + cnt > c->hull_lo))
			return 0;
		if (p == end) {
			sp[ns - 1].len += cnt;
		} else {
			if (ns == GPA_SPANS)
				return 0;
			sp[ns].p = p;
			sp[ns].len = cnt;
			ns++;
		}
		end = p + cnt;
		total += cnt;
		r += sizeof(g) + sizeof(pfn);
		room -= (uint32_t)(sizeof(g) + sizeof(pfn));
	}
	/* Bounded as the full path bounds the gather (checked per range
	 * there; nothing was used yet). */
	if (total > EMU_NET_GATHER_MAX)
		return 0;
	*nsp = ns;
	return (uint32_t)total;
}

/*
 * The offset of the last byte of [off, off + cnt) from its first page's
 * start, counted so that it is below HV_PAGE_SIZE exactly when cnt != 0
 * and the range lies inside one page (off < HV_PAGE_SIZE and cnt - 1 <
 * HV_PAGE_SIZE - off): cnt 0 gives at least 2^32 - 1, and no sum wraps
 * in 64 bits. Of two such values, both are below HV_PAGE_SIZE (a power
 * of two) exactly when their OR is.
 */
static inline uint64_t
range_last(uint32_t off, uint32_t cnt)
{
	return (uint64_t)off + (uint32_t)(cnt - 1u);
}

_Static_assert((HV_PAGE_SIZE & (HV_PAGE_SIZE - 1)) == 0, "a power of two");

/* The bytes of range p + n are outside every receive buffer. */
static inline bool
outside_rx(const struct emu_gpa_cache *c, const uint8_t *p, uint32_t n)
{
	return !(p < c->hull_hi && p + n > c->hull_lo);
}

_Static_assert(2u * HV_PAGE_SIZE <= EMU_NET_GATHER_MAX,
	       "two one-page ranges never exceed the gather bound");

/*
 * gpa_spans_loop's answer for three or more one-page ranges whose frame
 * part (ranges 1..) is one run of guest pages: the first ends at its
 * page's end, the middle ones are whole pages, the last starts at its
 * page's start, their page numbers consecutive (a frame over several
 * pages of one IOVA-contiguous mbuf: our guest's jumbo frames). Such a
 * run is one GPA extent; when one cached range holds all its pages
 * (consecutive host pages there: the loop would merge them into one
 * span) it is translated once and checked against the receive buffers
 * once (the union of the loop's page checks). The header range is
 * translated and checked as the loop does it. Anything else goes to
 * the loop, whose rules then decide.
 */
static __attribute__((noinline)) uint32_t
gpa_spans_slow(const struct emu_gpa_cache *c, const uint8_t *r, uint32_t room,
	       uint32_t nranges, struct gpa_span *sp, unsigned int *nsp)
{
	return gpa_spans_loop(c, r, room, nranges, sp, nsp);
}

static inline __attribute__((always_inline)) uint32_t
gpa_spans_run(const struct emu_gpa_cache *c, const uint8_t *r, uint32_t room,
	      uint32_t nranges, struct gpa_span *sp, unsigned int *nsp)
{
	const uint32_t step = (uint32_t)(sizeof(struct vmbus_gpa_range) +
					 sizeof(uint64_t));
	const struct vmbus_gpa_range whole = { .byte_count = HV_PAGE_SIZE,
					       .byte_offset = 0 };
	struct vmbus_gpa_range g0, g1, gl;
	uint64_t pfn0, pfn1, pfn, w, wfull, bad, d, fl;
	uint32_t nf = nranges - 1, flen;
	const uint8_t *p0, *p1, *q, *ql;

	/* Room for every range as one page (nranges <= room / 24 here:
	 * the caller's descriptor rule). */
	if ((uint64_t)nranges * step > room)
		goto slow;
	ql = r + (size_t)nf * step;
	memcpy(&g0, r, sizeof(g0));
	memcpy(&pfn0, r + sizeof(g0), sizeof(pfn0));
	memcpy(&g1, r + step, sizeof(g1));
	memcpy(&pfn1, r + step + sizeof(g1), sizeof(pfn1));
	memcpy(&gl, ql, sizeof(gl));
	memcpy(&pfn, ql + sizeof(gl), sizeof(pfn));
	/* The header in one page; the run's first range up to its page's
	 * end (not empty), its last from its page's start (1..4096), nf
	 * pages on from the first. */
	bad = range_last(g0.byte_offset, g0.byte_count) >= HV_PAGE_SIZE;
	bad |= g1.byte_count == 0;
	bad |= (uint64_t)g1.byte_offset + g1.byte_count != HV_PAGE_SIZE;
	bad |= gl.byte_offset != 0;
	bad |= gl.byte_count - 1u >= HV_PAGE_SIZE;
	bad |= pfn != pfn1 + nf - 1;
	/* The middle ones: whole pages, each the next page number. */
	memcpy(&wfull, &whole, sizeof(wfull));
	for (q = r + 2u * step; q != ql; q += step) {
		memcpy(&w, q, sizeof(w));
		memcpy(&pfn, q + sizeof(w), sizeof(pfn));
		bad |= (w ^ wfull) | (pfn ^ ++pfn1);
	}
	if (bad != 0)
		goto slow;
	/* nf pages from the first, all in one cached range (else the
	 * loop translates them page by page). */
	memcpy(&pfn1, r + step + sizeof(g1), sizeof(pfn1));
	d = pfn1 - c->r_pfn[0];
	if (d < c->r_npg[0]) {
		if (nf > c->r_npg[0] - d)
			goto slow;
		p1 = c->r_ptr[0] + (d << HV_PAGE_SHIFT) + g1.byte_offset;
	} else {
		d = pfn1 - c->r_pfn[1];
		if (d >= c->r_npg[1] || nf > c->r_npg[1] - d)
			goto slow;
		p1 = c->r_ptr[1] + (d << HV_PAGE_SHIFT) + g1.byte_offset;
	}
	/* At most EMU_NET_GATHER_MAX in all, as the loop bounds it. */
	fl = (uint64_t)g1.byte_count + (uint64_t)(nf - 2) * HV_PAGE_SIZE +
	     gl.byte_count;
	if (g0.byte_count + fl > EMU_NET_GATHER_MAX)
		return 0;
	flen = (uint32_t)fl;
	p0 = gpa_page(c, pfn0, g0.byte_offset, g0.byte_count);
	if (p0 == NULL || !outside_rx(c, p0, g0.byte_count) ||
	    !outside_rx(c, p1, flen))
		return 0;
	sp[0].p = p0;
	sp[0].len = g0.byte_count;
	if (p0 + g0.byte_count == p1) {
		sp[0].len += flen;
		*nsp = 1;
	} else {
		sp[1].p = p1;
		sp[1].len = flen;
		*nsp = 2;
	}
	return g0.byte_count + flen;
slow:
	return gpa_spans_slow(c, r, room, nranges, sp, nsp);
}

/*
 * gpa_spans_loop, unrolled for two one-page ranges (both DPDK guests:
 * the RNDIS header, then the frame): the same rules in the same order
 * (room for both, each range's offset and count, each page translated
 * and checked in turn, contiguous pieces merged), the same answer.
 * Any other shape goes to the loop. (test_emu_net_tx.c's page-buffer
 * cases send both shapes, valid and not.)
 */
static inline uint32_t
gpa_spans(const struct emu_gpa_cache *c, const uint8_t *r, uint32_t room,
	  uint32_t nranges, struct gpa_span *sp, unsigned int *nsp)
{
	struct vmbus_gpa_range g0, g1;
	uint64_t pfn0, pfn1;
	const uint8_t *p0, *p1;

	if (nranges != 2 || room < 2u * (sizeof(g0) + sizeof(pfn0))) {
		if (nranges > 2)
			return gpa_spans_run(c, r, room, nranges, sp, nsp);
		return gpa_spans_slow(c, r, room, nranges, sp, nsp);
	}
	memcpy(&g0, r, sizeof(g0));
	memcpy(&g1, r + sizeof(g0) + sizeof(pfn0), sizeof(g1));
	if (hv_unlikely((range_last(g0.byte_offset, g0.byte_count) |
			 range_last(g1.byte_offset, g1.byte_count)) >= HV_PAGE_SIZE))
		return gpa_spans_slow(c, r, room, nranges, sp, nsp);
	memcpy(&pfn0, r + sizeof(g0), sizeof(pfn0));
	p0 = gpa_page(c, pfn0, g0.byte_offset, g0.byte_count);
	if (p0 == NULL || !outside_rx(c, p0, g0.byte_count))
		return 0;
	memcpy(&pfn1, r + 2 * sizeof(g0) + sizeof(pfn0), sizeof(pfn1));
	p1 = gpa_page(c, pfn1, g1.byte_offset, g1.byte_count);
	if (p1 == NULL || !outside_rx(c, p1, g1.byte_count))
		return 0;
	sp[0].p = p0;
	sp[0].len = g0.byte_count;
	if (p0 + g0.byte_count == p1) {
		sp[0].len += g1.byte_count;
		*nsp = 1;
	} else {
		sp[1].p = p1;
		sp[1].len = g1.byte_count;
		*nsp = 2;
	}
	return g0.byte_count + g1.byte_count;
}

/*
 * The private copy of the packet's first GPA_HDR bytes into hb (zeroed
 * by the caller); returns how many it holds. The header range of both
 * DPDK guests (44 or 60 bytes) is taken alone, with two fixed-size
 * copies: the bytes after it are the frame, which no rule reads.
 */
static inline uint32_t
hdr_copy(uint8_t *hb, const struct gpa_span *sp, uint32_t total)
{
	uint32_t n = sp[0].len;

	if (n >= GPA_HDR) {
		memcpy(hb, sp[0].p, GPA_HDR);
		return GPA_HDR;
	}
	if (n >= GPA_HDR / 2) {
		memcpy(hb, sp[0].p, GPA_HDR / 2);
		memcpy(hb + n - GPA_HDR / 2, sp[0].p + n - GPA_HDR / 2, GPA_HDR / 2);
		return n;
	}
	n = total < GPA_HDR ? total : GPA_HDR;
	spans_copy(hb, sp, 0, n);
	return n;
}

typedef uint64_t gpa_v2 __attribute__((vector_size(16)));
_Static_assert(sizeof(((struct emu_gpa_cache *)0)->hb) == GPA_HDR,
	       "the remembered header is the whole copy");

/* Ask emu_tx_one_plain about the header copy hb (hlen bytes, zero
 * after) of a packet of total bytes and remember its yes (q->gpa). */
static bool
gpa_hdr_ask(struct emu_net_queue *q, const uint8_t *hb, uint32_t hlen,
	    uint32_t total, uint32_t *data_abs, uint32_t *data_len)
{
	struct emu_gpa_cache *c = &q->gpa;

	if (!emu_tx_one_plain(&q->tx_seen, hb, hlen, total, data_abs, data_len))
		return false;
	memcpy(c->hb, hb, GPA_HDR);
	c->hlen = hlen;
	c->total = total;
	c->data_abs = *data_abs;
	c->data_len = *data_len;
	return true;
}

/*
 * emu_tx_one_plain's verdict on the header copy hb (hlen bytes, zero
 * after) of a packet of total bytes: remembered for the last header it
 * accepted this poll (q->gpa, dropped with the rest), since it depends
 * on nothing else; the guests repeat the same header for frames of the
 * same length. Byte for byte, all GPA_HDR bytes, or asked again.
 */
static inline bool
gpa_hdr_plain(struct emu_net_queue *q, const uint8_t *hb, uint32_t hlen,
	      uint32_t total, uint32_t *data_abs, uint32_t *data_len)
{
	struct emu_gpa_cache *c = &q->gpa;
	gpa_v2 a0, a1, a2, a3, d;

	memcpy(&a0, hb, 16);
	memcpy(&a1, hb + 16, 16);
	memcpy(&a2, hb + 32, 16);
	memcpy(&a3, hb + 48, 16);
	d = (a0 ^ *(const gpa_v2 *)&c->hb[0]) | (a1 ^ *(const gpa_v2 *)&c->hb[2]) |
	    (a2 ^ *(const gpa_v2 *)&c->hb[4]) | (a3 ^ *(const gpa_v2 *)&c->hb[6]);
	if (hv_likely(c->hlen == hlen && c->total == total && (d[0] | d[1]) == 0)) {
		*data_abs = c->data_abs;
		*data_len = c->data_len;
		return true;
	}
	return gpa_hdr_ask(q, hb, hlen, total, data_abs, data_len);
}

/* The private copy of a short header (the vectors gpa_hdr_short read)
 * laid out as hdr_copy lays it, then asked. */
static __attribute__((noinline)) bool
gpa_hdr_short_ask(struct emu_net_queue *q, gpa_v2 a0, gpa_v2 a1, gpa_v2 b0,
		  gpa_v2 b1, uint32_t n, uint32_t total, uint32_t *data_abs,
		  uint32_t *data_len)
{
	uint8_t hb[GPA_HDR] __attribute__((aligned(16))) = { 0 };

	memcpy(hb, &a0, 16);
	memcpy(hb + 16, &a1, 16);
	memcpy(hb + n - 32, &b0, 16);
	memcpy(hb + n - 16, &b1, 16);
	return gpa_hdr_ask(q, hb, n, total, data_abs, data_len);
}

/*
 * hdr_copy and gpa_hdr_plain for a header range of n bytes, 32 <= n <
 * GPA_HDR (both DPDK guests' header alone in its range), at p: the one
 * read of its bytes is two 32-byte loads (the first and last 32, which
 * cover all n) kept in registers, compared with the remembered copy at
 * the same places (equal n: both zero past n, so equal bytes [0, n) is
 * equal copies), and laid out as hdr_copy would only if asked.
 */
static inline bool
gpa_hdr_short(struct emu_net_queue *q, const uint8_t *p, uint32_t n,
	      uint32_t total, uint32_t *data_abs, uint32_t *data_len)
{
	const struct emu_gpa_cache *c = &q->gpa;
	const uint8_t *ch = (const uint8_t *)c->hb;
	gpa_v2 a0, a1, b0, b1, x0, x1, d;

	memcpy(&a0, p, 16);
	memcpy(&a1, p + 16, 16);
	memcpy(&b0, p + n - 32, 16);
	memcpy(&b1, p + n - 16, 16);
	if (hv_likely(c->hlen == n && c->total == total)) {
		memcpy(&x0, ch + n - 32, 16);
		memcpy(&x1, ch + n - 16, 16);
		d = (a0 ^ *(const gpa_v2 *)&c->hb[0]) | (a1 ^ *(const gpa_v2 *)&c->hb[2]) |
		    (b0 ^ x0) | (b1 ^ x1);
		if (hv_likely((d[0] | d[1]) == 0)) {
			*data_abs = c->data_abs;
			*data_len = c->data_len;
			return true;
		}
	}
	return gpa_hdr_short_ask(q, a0, a1, b0, b1, n, total, data_abs, data_len);
}

/* Any other header range: hdr_copy, then gpa_hdr_plain. */
static __attribute__((noinline)) bool
gpa_hdr_long(struct emu_net_queue *q, const struct gpa_span *sp, uint32_t total,
	     uint32_t *data_abs, uint32_t *data_len)
{
	uint8_t hb[GPA_HDR] __attribute__((aligned(16))) = { 0 };
	uint32_t hlen = hdr_copy(hb, sp, total);

	return gpa_hdr_plain(q, hb, hlen, total, data_abs, data_len);
}

/*
 * vmbus_pkt_parse's descriptor rules (completion requested) and
 * rndis_pkt_fast's and on_rndis_pkt's (no send section) on the private
 * copies h and *m (read here from pkt, len bytes). A yes is remembered
 * (q->gpa: the descriptor's first word and range count, the NVSP
 * message's type and channel type): it depends on these bytes and len
 * alone, and with the same bytes only pkt_len <= len and the section
 * index need checking again (emu_tx_gpa_fast). Type 0 is no page
 * buffer: a zeroed queue remembers nothing.
 */
static __attribute__((noinline)) bool
gpa_desc_ok(struct emu_net_queue *q, const struct vmbus_gpa_direct_hdr *h,
	    const uint8_t *pkt, uint32_t len, struct gpa_nvsp *m)
{
	uint32_t hdr_len = (uint32_t)h->desc.offset8 * VMBUS_PKT_ALIGN;
	uint32_t pkt_len = (uint32_t)h->desc.len8 * VMBUS_PKT_ALIGN;

	if (h->desc.type != VMBUS_PKT_DATA_GPA_DIRECT || hdr_len < sizeof(*h) ||
	    pkt_len < hdr_len || pkt_len > len ||
	    h->desc.flags != VMBUS_PKT_FLAG_COMPLETION_REQUESTED ||
	    h->range_count == 0 ||
	    h->range_count > (hdr_len - sizeof(*h)) / (sizeof(struct vmbus_gpa_range) +
							sizeof(uint64_t)))
		return false;
	if (pkt_len - hdr_len < sizeof(*m))
		return false;
	memcpy(m, pkt + hdr_len, sizeof(*m));
	if (m->type != NVSP_MSG_TYPE_SEND_RNDIS_PKT ||
	    m->channel_type > NVSP_CHANNEL_TYPE_CONTROL ||
	    m->section_index != NVSP_SECTION_INDEX_NONE)
		return false;
	memcpy(&q->gpa.desc_w, &h->desc, sizeof(q->gpa.desc_w));
	q->gpa.desc_rc = h->range_count;
	memcpy(&q->gpa.nvsp_w, m, sizeof(q->gpa.nvsp_w));
	return true;
}

_Static_assert(offsetof(struct vmbus_pkt_desc, trans_id) == 8,
	       "type, offset8, len8, flags: the descriptor's first word");
_Static_assert(offsetof(struct gpa_nvsp, section_index) == 8,
	       "type and channel_type: the NVSP message's first word");

bool
emu_tx_gpa_fast(struct emu_net_queue *q, uint32_t len)
{
	struct emu_nic *nic = q->nic;
	const uint8_t *pkt = nic->pkt;
	struct vmbus_gpa_direct_hdr h;
	struct gpa_nvsp m;
	struct gpa_span sp[GPA_SPANS];
	uint64_t dw, mw;
	uint32_t hdr_len, pkt_len, total, hlen, data_abs, data_len, off;
	struct emu_chan_stats *st;
	struct emu_backend *be;
	const uint8_t *f;
	unsigned int ns = 0, k;

	if (len < sizeof(h))
		return false;
	memcpy(&h, pkt, sizeof(h));
	memcpy(&dw, &h.desc, sizeof(dw));
	if (hv_likely(dw == q->gpa.desc_w && h.range_count == q->gpa.desc_rc)) {
		/* The descriptor's first word (type, offsets, flags) and
		 * range count as the last accepted one: the same verdict on
		 * every rule below but pkt_len <= len (gpa_desc_ok). */
		hdr_len = (uint32_t)h.desc.offset8 * VMBUS_PKT_ALIGN;
		pkt_len = (uint32_t)h.desc.len8 * VMBUS_PKT_ALIGN;
		if (pkt_len > len)
			return false;
		memcpy(&m, pkt + hdr_len, sizeof(m));
		memcpy(&mw, &m, sizeof(mw));
		if (mw != q->gpa.nvsp_w || m.section_index != NVSP_SECTION_INDEX_NONE)
			return false;
	} else if (!gpa_desc_ok(q, &h, pkt, len, &m)) {
		return false;
	} else {
		hdr_len = (uint32_t)h.desc.offset8 * VMBUS_PKT_ALIGN;
	}
	/* The NIC's state, receive buffers and guest memory: once a poll. */
	if (hv_unlikely(!q->gpa.ok) && !gpa_cache_fill(q))
		return false;
	total = gpa_spans(&q->gpa, pkt + sizeof(h), hdr_len - (uint32_t)sizeof(h),
			  h.range_count, sp, &ns);
	if (total == 0)
		return false;
	/* The one read of the header and PPIs; every check uses it. */
	hlen = sp[0].len;
	if (hv_likely(hlen - GPA_HDR / 2 < GPA_HDR / 2)) {
		if (!gpa_hdr_short(q, sp[0].p, hlen, total, &data_abs, &data_len))
			return false;
	} else if (!gpa_hdr_long(q, sp, total, &data_abs, &data_len)) {
		return false;
	}
	/* Accepted: from here on the packet is this path's. */
	if (ns == 2 && data_abs == sp[0].len) {
		/* The frame is the second range (both DPDK guests). */
		k = 1;
		off = 0;
	} else {
		off = data_abs;
		for (k = 0; off >= sp[k].len; k++)
			off -= sp[k].len;
	}
	be = nic->be;
	if (hv_likely(data_len <= sp[k].len - off)) {
		/* In the guest's pages until its completion goes out (after
		 * emu_nic_tx_release): a backend may hold it there. */
		f = sp[k].p + off;
		if (be != NULL && be->ops->xmit_held != NULL) {
			be->ops->xmit_held(be, f, data_len);
			nic->be_held = true;
			be = NULL;
		}
	} else {
		spans_copy(nic->gather, sp, data_abs, data_len);
		f = nic->gather;
	}
	if (be != NULL && be->ops->xmit != NULL)
		be->ops->xmit(be, f, data_len);
	st = &nic->qst[q->id];
	st->tx_packets++;
	st->tx_bytes += data_len;
	emu_tx_comp_post_ok(q, h.desc.trans_id);
	return true;
}
