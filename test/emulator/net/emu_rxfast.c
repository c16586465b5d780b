/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The receive path's single-queue run: while a burst's frames share the
 * template's header (no RSS, the real host's layout, no header fault
 * armed), frames i.. for queue 0 are checked (and summed) in one loop,
 * staged (id, chain or block, header, range) in another without calls
 * or checks, and copied after it. emu_rxpath.c's burst calls one of
 * the three variants at the end of this file; the first frame a run
 * does not take goes to the general path there.
 *
 * Separate from the general path because it is the emulator's hottest
 * code (docs/benchmarks.md: rxonly and io at minimum frames) and is
 * shaped for that: the queue's free stack read as blocks of ids
 * (EMU_SUB_BLK, sorted again now and then: rx_pool_heal), the common
 * lengths' copies with constant offsets, a variant per kind of burst so
 * that each loop has the registers to itself. Every step is one the
 * general path takes for the same frame; tests compare the two
 * (test_emu_net_rxbatch).
 */
#include <stddef.h>
#include <string.h>

#include "emu_csum_fast.h"
#include "emu_net_priv.h"
#include "emu_rx_inline.h"

/* May rx_fast_run take frame f (the checks of rx_fast, verify: and
 * its checksum bits are the template's)? */
static inline __attribute__((always_inline)) bool
rx_fast_ok(const uint8_t *f, size_t len, size_t clen, uint32_t filter,
	   uint64_t mac, bool promisc, bool verify, uint32_t csum,
	   bool v4len)
{
	uint16_t type;
	uint32_t r;

	if (len != clen || f == NULL)
		return false;
	/* The common frame summed inline is IPv4 (08 00): not tagged.
	 * v4len: clen is a length it takes (checked once a run). */
	if (verify && v4len && hv_likely(emu_csum_verify_v4_sized(f, clen, &r)))
		return r == csum && (promisc || rx_filter_run(filter, mac, f));
	/* The EtherType as stored, 81 00 (802.1Q) in one compare. */
	memcpy(&type, f + 12, sizeof(type));
	return type != rx_tag_tpid_raw() &&
	       (promisc || rx_filter_run(filter, mac, f)) &&
	       (!verify || rx_csum_verify_other(f, clen) == csum);
}

/*
 * How many of the cnt frames at fp rx_fast_ok takes, from the first on:
 * the checks (and the sums) of a run in a loop of their own, with few
 * values live, before the staging loop takes that many without checks.
 */
static inline __attribute__((always_inline)) unsigned int
rx_fast_scan(const void *const *fp, const size_t *lp, unsigned int cnt,
	     size_t clen, uint32_t filter, uint64_t mac, bool promisc,
	     bool verify, uint32_t csum, bool v4len)
{
	size_t k; /* an index register, stepped without a 32-bit copy */

	/* Four a round where nothing is summed (one index step and
	 * compare for four frames' three tests). */
	if (!verify)
		for (k = 0; k + 4 <= cnt; k += 4) {
			if (!rx_fast_ok(fp[k], lp[k], clen, filter, mac, promisc,
					false, 0, false))
				return (unsigned int)k;
			if (!rx_fast_ok(fp[k + 1], lp[k + 1], clen, filter, mac,
					promisc, false, 0, false))
				return (unsigned int)k + 1;
			if (!rx_fast_ok(fp[k + 2], lp[k + 2], clen, filter, mac,
					promisc, false, 0, false))
				return (unsigned int)k + 2;
			if (!rx_fast_ok(fp[k + 3], lp[k + 3], clen, filter, mac,
					promisc, false, 0, false))
				return (unsigned int)k + 3;
		}
	else
		k = 0;
	for (; k < cnt; k++)
		if (!rx_fast_ok(fp[k], lp[k], clen, filter, mac, promisc, verify,
				csum, v4len))
			break;
	return (unsigned int)k;
}

/* rx_fast_scan of a run the backend vouched for (nothing summed): a
 * function of its own, so its loop has the registers to itself. */
static __attribute__((noinline)) unsigned int
rx_fast_scan_vouched(const void *const *fp, const size_t *lp, unsigned int cnt,
		     size_t clen, uint32_t filter, uint64_t mac)
{
	if (filter & RNDIS_PACKET_TYPE_PROMISCUOUS)
		return rx_fast_scan(fp, lp, cnt, clen, filter, mac, true, false,
				    0, false);
	return rx_fast_scan(fp, lp, cnt, clen, filter, mac, false, false, 0,
			    false);
}

/*
 * The loopback's common run (the guest's own minimum frames: IPv4, UDP
 * without a checksum, the template's bits IP_OK | UDP_OK): the frames
 * from the first on that rx_fast_ok takes for the same reason, with the
 * verdict's branches and its comparison left out (emu_cs_udp0_run_ok
 * holds only for unpadded frames emu_csum_verify_v4_sized answers those
 * bits for with a zero UDP checksum, test_emu_offload compares them).
 * It stops at any other frame: rx_fast_scan decides about that one, so
 * the frames taken are the ones rx_fast_scan alone takes.
 */
static inline __attribute__((always_inline)) unsigned int
rx_fast_scan_udp0(const void *const *fp, const size_t *lp, unsigned int cnt,
		  size_t clen, uint32_t filter, uint64_t mac, bool promisc)
{
	struct emu_cs_udp0_run r;
	size_t k;

	emu_cs_udp0_run_init(&r, clen);
	for (k = 0; k < cnt; k++) {
		const uint8_t *f = fp[k];

		if (lp[k] != clen || f == NULL || !emu_cs_udp0_run_ok(&r, f) ||
		    (!promisc && !rx_filter_run(filter, mac, f)))
			break;
	}
	return (unsigned int)k;
}

/* rx_fast_scan of a run that sums its frames: a function of its own
 * (one call a run), so its loop has the registers to itself. A frame
 * the common run's loop declines (a padded one, say) goes through
 * rx_fast_scan alone, and the loop takes up again after it. */
static __attribute__((noinline)) unsigned int
rx_fast_scan_verify(const void *const *fp, const size_t *lp, unsigned int cnt,
		    size_t clen, uint32_t filter, uint64_t mac, uint32_t csum)
{
	bool promisc = (filter & RNDIS_PACKET_TYPE_PROMISCUOUS) != 0;
	unsigned int k = 0;

	if (!emu_csum_v4_len_ok(clen))
		return rx_fast_scan(fp, lp, cnt, clen, filter, mac, false, true,
				    csum, false);
	if (csum != (RNDIS_RXCSUM_IP_OK | RNDIS_RXCSUM_UDP_OK) || clen < 42u)
		return rx_fast_scan(fp, lp, cnt, clen, filter, mac, false, true,
				    csum, true);
	while (k < cnt) {
		if (promisc)
			k += rx_fast_scan_udp0(fp + k, lp + k, cnt - k, clen,
					       filter, mac, true);
		else
			k += rx_fast_scan_udp0(fp + k, lp + k, cnt - k, clen,
					       filter, mac, false);
		if (k == cnt ||
		    rx_fast_scan(fp + k, lp + k, 1, clen, filter, mac, false,
				 true, csum, true) == 0)
			break;
		k++;
	}
	return k;
}

/*
 * The copies of m staged frames: frame k to base (the buffer plus the
 * header's length) + r[k].byte_offset. Full-size frames in one call
 * (emu_copy_mid_run: the length's way into the copy found once), the
 * 64-byte ones as four fixed moves each, any other length per frame.
 */
_Static_assert(sizeof(struct vmbus_xfer_page_range) == 2 * sizeof(uint32_t),
	       "a range is two u32s: emu_copy_mid_run steps 2 of them");

static __attribute__((noinline)) void
rx_copy_run(uint8_t *base, const struct vmbus_xfer_page_range *r,
	    const void *const *fp, size_t m, size_t clen)
{
	size_t k;

	if (clen - 257 <= 4096 - 257) {
		emu_copy_mid_run(base, &r->byte_offset, 2, fp, m, clen);
		return;
	}
	if (clen == 64) {
		for (k = 0; k < m; k++)
			memcpy(base + r[k].byte_offset, fp[k], 64);
		return;
	}
	for (k = 0; k < m; k++)
		rx_copy(base + r[k].byte_offset, fp[k], clen);
}

/*
 * Are the top k ids of a pool's stack (top[-1] the next handed out) the
 * block lo .. lo + k - 1, in either order? A block release leaves its
 * block ascending from the top, a chain release descending: either way
 * the frames can take them in ascending order. Eight a round.
 */
typedef uint32_t rx_v4u __attribute__((vector_size(16)));

static inline __attribute__((always_inline)) bool
rx_stack_block(const uint32_t *top, uint32_t k, uint32_t *lo)
{
	const uint32_t *s = top - k; /* s[m] must be a + m * d */
	uint32_t a = s[0], d, m, bad;
	rx_v4u want, step, acc = { 0, 0, 0, 0 }, v, w;

	if (k == 1) {
		*lo = a;
		return true;
	}
	/* The ends first: a stack that is no block nearly always fails
	 * there, without the loop. */
	d = s[1] - a;
	if ((d != 1u && d != UINT32_MAX) || s[k - 1] != a + (k - 1) * d)
		return false;
	want = (rx_v4u){ a, a + d, a + 2u * d, a + 3u * d };
	step = (rx_v4u){ 4u * d, 4u * d, 4u * d, 4u * d };
	for (m = 0; m + 8 <= k; m += 8) {
		memcpy(&v, s + m, sizeof(v));
		memcpy(&w, s + m + 4, sizeof(w));
		acc |= v ^ want;
		want += step;
		acc |= w ^ want;
		want += step;
	}
	bad = acc[0] | acc[1] | acc[2] | acc[3];
	for (; m < k; m++)
		bad |= s[m] ^ (a + m * d);
	/* Ids are below sub_count: a match cannot wrap around. */
	*lo = d == 1u ? a : a - (k - 1);
	return bad == 0;
}

/* rx_stage_one for the k frames at fp in the block idx, idx + 1, ...:
 * the destination and the range step by the sub-allocation's size. */
static inline __attribute__((always_inline)) void
rx_stage_block(uint8_t *rxbuf, uint32_t idx, uint32_t size, uint32_t ml,
	       rx_v16 h0, rx_v16 h1, rx_v16 h2, rx_v16 h3,
	       struct vmbus_xfer_page_range *rp, const void *const *fp,
	       uint32_t k, uint32_t hl, size_t clen, const bool small)
{
	uint64_t at = (uint64_t)idx * size;
	uint8_t *dst = rxbuf + at;
	/* { byte_count, byte_offset } as one u64 (little-endian) */
	uint64_t rv = at << 32 | ml, step = (uint64_t)size << 32;
	struct vmbus_xfer_page_range *rend = rp + k;

	for (; rp != rend; rp++, fp++, dst += size, rv += step) {
		memcpy(dst, &h0, 16);
		memcpy(dst + 16, &h1, 16);
		memcpy(dst + 32, &h2, 16);
		memcpy(dst + 48, &h3, 16);
		if (small) {
			const uint8_t *f = *fp;
			uint8_t *fd = dst + hl;

			memcpy(fd, f, 32);
			memcpy(fd + clen - 32, f + clen - 32, 32);
		}
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		memcpy(rp, &rv, sizeof(rv));
#else
		rp->byte_count = ml;
		rp->byte_offset = (uint32_t)(rv >> 32);
#endif
	}
}

/* The ranges of k frames in the block idx, idx + 1, ... (their headers
 * and frames are written by emu_copy_mid_blk): two a store. */
typedef uint64_t rx_v2u __attribute__((vector_size(16)));

static inline __attribute__((always_inline)) void
rx_stage_ranges(uint32_t idx, uint32_t size, uint32_t ml,
		struct vmbus_xfer_page_range *rp, uint32_t k)
{
	uint64_t at = (uint64_t)idx * size;
	uint32_t j;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* { byte_count, byte_offset } as one u64 */
	uint64_t rv = at << 32 | ml, step = (uint64_t)size << 32;
	rx_v2u v = { rv, rv + step }, st = { 2 * step, 2 * step };

	for (j = 0; j + 2 <= k; j += 2) {
		memcpy(rp + j, &v, sizeof(v));
		v += st;
	}
	if (j < k) {
		rv = v[0];
		memcpy(rp + j, &rv, sizeof(rv));
	}
#else
	for (j = 0; j < k; j++) {
		rp[j].byte_count = ml;
		rp[j].byte_offset = (uint32_t)(at + (uint64_t)j * size);
	}
#endif
}

/* A block of the stack's top: ids lo .. lo + k - 1. */
struct rx_seg {
	uint32_t lo, k;
};

/* More blocks than this in a packet: a chain is as cheap. */
#define RX_SEGS_MAX 16u

/*
 * The top k ids of a pool's stack as blocks (each ascending or
 * descending from the top), in the order they are popped: how many (0:
 * more than RX_SEGS_MAX). Partial takes when the guest holds most
 * buffers leave the stack in a few pieces; a piece's release puts it
 * back ascending, next to the rest of its block, so pieces join again.
 */
static __attribute__((noinline)) unsigned int
rx_stack_segs(const uint32_t *top, uint32_t k, struct rx_seg *sg)
{
	const uint32_t *p = top, *end = top - k;
	unsigned int ns = 0;
	uint32_t t, d, e, len;

	while (p != end) {
		t = p[-1];
		d = 1u;
		if (p - 1 != end) {
			d = p[-2] - t;
			if (d != 1u && d != UINT32_MAX)
				d = 1u;
		}
		len = 1;
		e = t + d;
		/* Eight ids a round while they follow (p[-1 - len] must be
		 * e, p[-2 - len] e + d, ...), then one by one. */
		if (p - end >= 9) {
			rx_v4u wb = { e + 3u * d, e + 2u * d, e + d, e };
			rx_v4u wa = wb + 4u * d, st = { 8u * d, 8u * d, 8u * d, 8u * d };
			rx_v4u v, w, x;
			rx_v2u y;

			while ((size_t)(p - end) >= len + 8u) {
				memcpy(&v, p - len - 8, sizeof(v));
				memcpy(&w, p - len - 4, sizeof(w));
				x = (v ^ wa) | (w ^ wb);
				memcpy(&y, &x, sizeof(y));
				if ((y[0] | y[1]) != 0)
					break;
				len += 8;
				e += 8u * d;
				wa += st;
				wb += st;
			}
		}
		for (; p - len != end && p[-1 - (ptrdiff_t)len] == e; e += d)
			len++;
		if (ns == RX_SEGS_MAX)
			return 0;
		/* Ids are below sub_count: a descending run cannot wrap. */
		sg[ns].lo = d == 1u ? t : t - (len - 1);
		sg[ns].k = len;
		ns++;
		p -= len;
	}
	return ns;
}

/*
 * A new packet of the ns blocks sg (the frames at fp, ranges at rp, in
 * that order): busy marks, each block's EMU_SUB_BLK record and link,
 * ranges, headers and (mid, small) the frames. Out of line: the packet
 * of one block is the common one. Returns the packet's last id.
 */
static __attribute__((noinline)) uint32_t
rx_stage_segs(struct emu_nic *nic, const struct rx_seg *sg, unsigned int ns,
	      const uint8_t *hdr, uint32_t ml, struct vmbus_xfer_page_range *rp,
	      const void *const *fp, uint32_t hl, size_t clen, bool small,
	      bool mid)
{
	uint8_t *rxbuf = nic->rxbuf, *busy = nic->sub_busy;
	uint32_t *nexts = nic->sub_next, *links = nic->sub_link;
	uint32_t size = nic->sub_size, lo, k;
	rx_v16 h0, h1, h2, h3;
	unsigned int j;

	memcpy(&h0, hdr, 16);
	memcpy(&h1, hdr + 16, 16);
	memcpy(&h2, hdr + 32, 16);
	memcpy(&h3, hdr + 48, 16);
	for (j = 0; j < ns; j++) {
		lo = sg[j].lo;
		k = sg[j].k;
		busy[lo] = j == 0 ? EMU_SUB_DATA : EMU_SUB_MEMBER;
		memset(busy + lo + 1, EMU_SUB_MEMBER, k - 1);
		nexts[lo] = EMU_SUB_BLK | (j + 1 < ns ? EMU_SUB_SEG : 0u) | k;
		if (j + 1 < ns)
			links[lo] = sg[j + 1].lo;
		if (mid) {
			rx_stage_ranges(lo, size, ml, rp, k);
			emu_copy_mid_blk(rxbuf + (size_t)lo * size, size, hdr,
					 hl, fp, k, clen);
		} else if (small) {
			rx_stage_block(rxbuf, lo, size, ml, h0, h1, h2, h3, rp,
				       fp, k, hl, clen, true);
		} else {
			rx_stage_block(rxbuf, lo, size, ml, h0, h1, h2, h3, rp,
				       fp, k, hl, clen, false);
		}
		rp += k;
		fp += k;
	}
	nic->sub_chan[sg[0].lo] = 0;
	return sg[ns - 1].lo + sg[ns - 1].k - 1;
}

/* Frames between two sorts of a pool's stack: one sort (two passes
 * over the ids, ~4e5 instructions for 37000) costs 0.1 instructions a
 * frame. */
#define RX_HEAL_FRAMES (1ull << 22)

/*
 * Queue 0's free stack rebuilt sorted, highest id at the bottom: handed
 * out ascending from then on, in blocks as long as the free ids allow.
 * A start that left the stack in pieces (packets of partial takes, the
 * general path's single ids) otherwise stays in pieces: a packet's
 * release puts back what it took. The stack holds exactly queue 0's
 * free ids (owner 0, EMU_SUB_FREE); they are counted first and the
 * stack is left as it is if that does not hold. Which free ids come
 * next is the host's choice: the guest sees nothing else change.
 */
static __attribute__((noinline, cold)) void
rx_pool_heal(struct emu_nic *nic, uint32_t *pfree, uint32_t pn)
{
	const uint8_t *busy = nic->sub_busy, *owner = nic->sub_pool;
	uint32_t id, n = 0;

	nic->rx_heal_next = nic->qst[0].rx_packets + RX_HEAL_FRAMES;
	_Static_assert(EMU_SUB_FREE == 0, "free and owned by queue 0: both bytes 0");
	for (id = 0; id < nic->sub_count; id++)
		n += (owner[id] | busy[id]) == 0;
	if (n != pn)
		return;
	for (id = nic->sub_count; id > 0; id--)
		if ((owner[id - 1] | busy[id - 1]) == 0)
			*pfree++ = id - 1;
}

/* rx_stack_segs of queue 0's stack (pn ids at pfree) when its top is
 * not one block, sorted first when that is due (then nearly always one
 * block). */
static inline unsigned int
rx_stack_split(struct emu_nic *nic, uint32_t *pfree, uint32_t pn,
	       uint32_t take, struct rx_seg *sg)
{
	if (hv_unlikely(nic->qst[0].rx_packets >= nic->rx_heal_next))
		rx_pool_heal(nic, pfree, pn);
	return rx_stack_segs(pfree + pn, take, sg);
}

/*
 * rx_fast for frames i.. of the burst, with what the burst shares (pool,
 * packet, template, filter) in locals: the same rules and the same
 * state changes, frame by frame. Returns the first frame it did not
 * take (n: all); the caller's general path decides about that one.
 *
 * The frames are checked (and summed) first, in a loop of their own
 * (rx_fast_scan), then staged (id, chain, header, range) in a loop
 * without calls or checks, where the header stays in vector registers,
 * and copied after it; a packet's first frame is staged
 * before that loop. Of b->sub only the first id (the packet's, for
 * rx_flush) and the last (the chain's end, for the next frame) are
 * read: those two are stored, once per run.
 */
static inline __attribute__((always_inline)) unsigned int
rx_fast_stage(struct emu_nic *nic, const void *const *frames,
	      const size_t *lens, unsigned int i, unsigned int n, int *rc,
	      const bool promisc, const bool verify, const bool small,
	      const size_t fixed)
{
	struct emu_rx_batch *b = nic->rxb;
	const struct emu_rx_hdr_tpl *t = &b->tpl;
	struct emu_rx_pool *p = &nic->pool[0];
	uint8_t *rxbuf = nic->rxbuf, *busy = nic->sub_busy;
	uint8_t hdr[RX_FAST_HDR];
	const void *const *fp, *const *fend;
	struct vmbus_xfer_page_range *rp, *rp0;
	uint32_t *nexts = nic->sub_next, *pfree = p->free, *ptop;
	uint32_t pn = p->n, bn = b->n, size = nic->sub_size;
	uint32_t hl = t->hdr_len, ml = t->msg_len, csum = t->csum;
	uint32_t maxr = nic->rx_max_ranges != 0 ? nic->rx_max_ranges : 1u;
	uint32_t prev = bn != 0 ? b->sub[bn - 1] : 0, start = i, room, idx;
	uint32_t filter = nic->filter;
	uint64_t mac = promisc ? 0 : rx_mac48(emu_dev_mac(nic->dev));
	/* fixed: the caller saw that length (the copies' offsets are then
	 * constants). */
	size_t clen = fixed != 0 ? fixed : b->csum_len;
	rx_v16 h0, h1, h2, h3;
	unsigned int lim = n, take;
	uint32_t blk_lo = 0;
	bool blk = false, copied = false, mid;
	struct rx_seg sg[RX_SEGS_MAX];
	unsigned int nseg;

	if ((bn != 0 && b->qi != 0) || clen < EMU_ETH_HLEN ||
	    clen > (size_t)nic->mtu)
		return i;
	/* emu_copy_mid_blk's lengths; hl >= RX_FAST_HDR (rx_fast_check). */
	mid = !small && clen - 257 <= 4096 - 257;
	/* The frames this run can take: room in the pool and the packet. */
	room = bn < maxr ? maxr - bn : 0;
	if (room > pn)
		room = pn;
	if (room < lim - i)
		lim = i + room;
	/* Every frame of the run has this header: held in registers. */
	rx_run_hdr(hdr, t, ml, clen, &h0, &h1, &h2, &h3);
	/* The frames the run takes (none: the general path decides). */
	if (verify)
		take = rx_fast_scan_verify(frames + i, lens + i, lim - i, clen,
					   filter, mac, csum);
	else
		take = rx_fast_scan_vouched(frames + i, lens + i, lim - i,
					    clen, filter, mac);
	if (take == 0)
		return i;
	/* Walked with pointers: the id stores (bytes) may alias anything,
	 * so anything read through b would be read again after each. */
	fp = frames + i;
	fend = fp + take;
	rp = rp0 = b->r + bn;
	/* The pool's stack, popped from its top (take <= pn). */
	ptop = pfree + pn;
	if (bn == 0 && rx_stack_block(ptop, take, &idx)) {
		/* A new packet whose ids are one block (the pool hands
		 * them out so, nearly always), taken in ascending order:
		 * marked and released as a whole (EMU_SUB_BLK), no chain,
		 * each range the last one plus the sub-allocation's size. */
		ptop -= take;
		blk = true;
		busy[idx] = EMU_SUB_DATA;
		memset(busy + idx + 1, EMU_SUB_MEMBER, take - 1);
		nexts[idx] = EMU_SUB_BLK | take;
		b->qi = 0;
		b->first_frame = i;
		b->bytes = 0;
		b->sub[0] = idx;
		nic->sub_chan[idx] = 0;
		blk_lo = idx;
		/* Full-size frames: headers with the copies. */
		if (mid)
			rx_stage_ranges(idx, size, ml, rp, take);
		else
			rx_stage_block(rxbuf, idx, size, ml, h0, h1, h2, h3, rp,
				       fp, take, hl, clen, small);
		rp += take;
		fp = fend;
		prev = idx + take - 1;
	} else if (bn == 0 && (nseg = rx_stack_split(nic, pfree, pn, take,
						      sg)) != 0) {
		/* The same with a few blocks (EMU_SUB_SEG). */
		ptop -= take;
		blk = true;
		copied = mid;
		b->qi = 0;
		b->first_frame = i;
		b->bytes = 0;
		b->sub[0] = sg[0].lo;
		prev = rx_stage_segs(nic, sg, nseg, hdr, ml, rp, fp, hl, clen,
				     small, mid);
		rp += take;
		fp = fend;
	} else if (bn == 0) {
		/* A new packet's first frame: its id names the packet. */
		idx = *--ptop;
		busy[idx] = EMU_SUB_DATA;
		b->qi = 0;
		b->first_frame = i;
		b->bytes = 0;
		b->sub[0] = idx;
		nic->sub_chan[idx] = 0;
		rx_stage_one(rxbuf, idx, size, ml, h0, h1, h2, h3, rp, *fp, hl,
			     clen, small);
		rp++;
		prev = idx;
		fp++;
	} else {
		/* Frames added to a packet: as a chain. */
		emu_rx_blk_chain(nexts, nic->sub_link, nic->sub_count,
				 b->sub[0]);
	}
	for (; fp != fend; fp++) {
		idx = *--ptop;
		busy[idx] = EMU_SUB_MEMBER;
		nexts[prev] = idx;
		rx_stage_one(rxbuf, idx, size, ml, h0, h1, h2, h3, rp, *fp, hl,
			     clen, small);
		rp++;
		prev = idx;
	}
	i = (unsigned int)(fp - frames);
	bn += (uint32_t)(rp - rp0);
	/* What the loop left out, for all its frames at once: the
	 * packet's last id ends the chain, every frame is the same size,
	 * and the copies. */
	if (i != start) {
		b->sub[bn - 1] = prev;
		if (!blk)
			nexts[prev] = EMU_SUB_NONE;
		memset(rc + start, 0, (i - start) * sizeof(*rc));
		if (small || copied) {
			/* Copied while staged. */
		} else if (blk && mid) {
			emu_copy_mid_blk(rxbuf + (size_t)blk_lo * size, size, hdr,
					 hl, frames + start, i - start, clen);
		} else if (verify) {
			for (fp = frames + start; rp0 != rp; rp0++, fp++)
				rx_copy(rxbuf + rp0->byte_offset + hl, *fp, clen);
		} else {
			rx_copy_run(rxbuf + hl, rp0, frames + start,
				    (size_t)(rp - rp0), clen);
		}
	}
	p->n = (uint32_t)(ptop - pfree);
	nic->sub_nfree -= i - start;
	b->n = bn;
	b->bytes += (uint64_t)(i - start) * clen;
	return i;
}

/* rx_fast_stage for frames the backend vouched for (to a promiscuous
 * guest: no filter), and for the others (functions of their own: each
 * loop gets the registers to itself). */
__attribute__((noinline)) unsigned int
emu_rx_fast_run_promisc(struct emu_nic *nic, const void *const *frames,
			const size_t *lens, unsigned int i, unsigned int n, int *rc)
{
	/* 64-byte frames copied as they are staged (as
	 * emu_rx_fast_run_verify does): no second pass through the ranges. */
	if (nic->rxb->csum_len == 64)
		return rx_fast_stage(nic, frames, lens, i, n, rc, true, false,
				     true, 64);
	return rx_fast_stage(nic, frames, lens, i, n, rc, true, false, false, 0);
}

__attribute__((noinline)) unsigned int
emu_rx_fast_run_vouched(struct emu_nic *nic, const void *const *frames,
			const size_t *lens, unsigned int i, unsigned int n, int *rc)
{
	if (nic->rxb->csum_len == 64)
		return rx_fast_stage(nic, frames, lens, i, n, rc, false, false,
				     true, 64);
	return rx_fast_stage(nic, frames, lens, i, n, rc, false, false, false,
			     0);
}

__attribute__((noinline)) unsigned int
emu_rx_fast_run_verify(struct emu_nic *nic, const void *const *frames,
		       const size_t *lens, unsigned int i, unsigned int n, int *rc)
{
	size_t clen = nic->rxb->csum_len;

	/* Minimum frames (32..64 bytes) are copied as they are staged; the
	 * 64-byte ones (RFC 2544's smallest, testpmd's) with four fixed
	 * moves. */
	if (clen == 64)
		return rx_fast_stage(nic, frames, lens, i, n, rc, false, true,
				     true, 64);
	if (clen - 32u <= 32u)
		return rx_fast_stage(nic, frames, lens, i, n, rc, false, true,
				     true, 0);
	return rx_fast_stage(nic, frames, lens, i, n, rc, false, true, false,
			     0);
}
