/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the host->guest receive path's files share: emu_rxpath.c (the
 * burst, the general per-frame path, the ACK), emu_rxfast.c (the
 * single-queue run) and emu_rxrss.c (the RSS run). Private to those
 * three.
 *
 * The helpers are small and sit in the runs' hottest loops, so they
 * are always_inline here rather than functions of one file: a call
 * from another file would cost more than most of them do, and the runs
 * keep the constant arguments (small, the frame length) that let the
 * compiler fold them.
 *
 * It also declares the few functions one of the files calls in
 * another: the runs' variants, which the burst in emu_rxpath.c picks
 * (rx_fast_run, rx_rss_run) and which were out of line already, so
 * being in another file costs nothing; and the packet send the general
 * path and the RSS run share.
 */
#ifndef EMU_RX_INLINE_H
#define EMU_RX_INLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "emu_net_priv.h"
#include "emu_offload.h"

typedef uint8_t rx_v16 __attribute__((vector_size(16)));

/* Bytes of the template copied by rx_fast: the PACKET_MSG header and a
 * checksum PPI (the rest of the block is headroom). */
#define RX_FAST_HDR 64u
_Static_assert(sizeof(struct rndis_packet_msg) + sizeof(struct rndis_ppi_hdr) +
	       sizeof(uint32_t) <= RX_FAST_HDR && RX_FAST_HDR <= EMU_RX_HDR_MAX,
	       "rx_fast copies the header and the checksum PPI");

/* A u32 into a header being written (any alignment). */
static inline void
put_u32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* Up to 64 bytes (minimum frames): two overlapping fixed-size copies,
 * no call. 257 bytes to 4 KB (full-size frames): straight to the
 * vector copy for that range. Jumbo frames: streamed to the guest's
 * core (emu_copy_nt). */
static inline __attribute__((always_inline)) void
rx_copy(uint8_t *dst, const uint8_t *f, size_t len)
{
	if (len >= 32 && len <= 64) {
		memcpy(dst, f, 32);
		memcpy(dst + len - 32, f + len - 32, 32);
		return;
	}
	if (len - 257 <= 4096 - 257) {
		emu_copy_mid(dst, f, len);
		return;
	}
	if (len > 4096) {
		emu_copy_nt(dst, f, len);
		return;
	}
	emu_copy(dst, f, len);
}

/* 81 00 read as a host-order u16. */
static inline uint16_t
rx_tag_tpid_raw(void)
{
	static const uint8_t tpid[2] = { 0x81, 0x00 };
	uint16_t v;

	memcpy(&v, tpid, sizeof(v));
	return v;
}

/* The 6 bytes at p in the low bits of a u64 (host order). */
static inline uint64_t
rx_mac48(const uint8_t *p)
{
	uint32_t lo;
	uint16_t hi;

	memcpy(&lo, p, sizeof(lo));
	memcpy(&hi, p + 4, sizeof(hi));
	return (uint64_t)lo | (uint64_t)hi << 32;
}

/* filter_pass (emu_rxpath.c) with the filter and the NIC's MAC in
 * registers (a run reads them once): the same decisions in the same
 * order. */
static inline __attribute__((always_inline)) bool
rx_filter_run(uint32_t filter, uint64_t mac, const uint8_t *dst)
{
	uint64_t d;

	if (filter & RNDIS_PACKET_TYPE_PROMISCUOUS)
		return true;
	d = rx_mac48(dst);
	if (d == 0xffffffffffffull)
		return (filter & RNDIS_PACKET_TYPE_BROADCAST) != 0;
	if (dst[0] & 1u)
		return (filter & (RNDIS_PACKET_TYPE_MULTICAST |
				  RNDIS_PACKET_TYPE_ALL_MULTICAST)) != 0;
	return (filter & RNDIS_PACKET_TYPE_DIRECTED) && d == mac;
}

/* Any other frame: out of line, off the loop's common path. Static, so
 * that each run's file calls a copy of its own: a call inside the file,
 * whose clobbered registers the compiler knows (emu_rxpath.c has no
 * use for it: unused). */
static __attribute__((noinline, cold, unused)) uint32_t
rx_csum_verify_other(const uint8_t *f, size_t len)
{
	return emu_csum_verify_parsed(f, len);
}

/* Header and range of a staged frame in sub-allocation idx (small: and
 * the frame f). */
static inline __attribute__((always_inline)) void
rx_stage_one(uint8_t *rxbuf, uint32_t idx, uint32_t size, uint32_t ml,
	     rx_v16 h0, rx_v16 h1, rx_v16 h2, rx_v16 h3,
	     struct vmbus_xfer_page_range *rp, const uint8_t *f, uint32_t hl,
	     size_t clen, const bool small)
{
	uint64_t at = (uint64_t)idx * size;
	uint8_t *dst = rxbuf + at;

	memcpy(dst, &h0, 16);
	memcpy(dst + 16, &h1, 16);
	memcpy(dst + 32, &h2, 16);
	memcpy(dst + 48, &h3, 16);
	/* small: the frame (32..64 bytes) in the same pass, no call (a
	 * constant clen: fixed offsets from one address). */
	if (small) {
		uint8_t *fd = dst + hl;

		memcpy(fd, f, 32);
		memcpy(fd + clen - 32, f + clen - 32, 32);
	}
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* The range, { byte_count, byte_offset }, in one store. */
	at = at << 32 | ml;
	memcpy(rp, &at, sizeof(at));
#else
	rp->byte_count = ml;
	rp->byte_offset = (uint32_t)at;
#endif
}

/*
 * The 64 bytes of header every frame of a run gets: the template's with
 * the run's msg_len (ml) and frame length (clen), at hdr and in four
 * vector registers (h0..h3) for the staging loops to store.
 */
static inline __attribute__((always_inline)) void
rx_run_hdr(uint8_t *hdr, const struct emu_rx_hdr_tpl *t, uint32_t ml,
	   size_t clen, rx_v16 *h0, rx_v16 *h1, rx_v16 *h2, rx_v16 *h3)
{
	memcpy(hdr, t->bytes, RX_FAST_HDR);
	put_u32(hdr + offsetof(struct rndis_packet_msg, msg_len), ml);
	put_u32(hdr + offsetof(struct rndis_packet_msg, data_len), (uint32_t)clen);
	memcpy(h0, hdr, 16);
	memcpy(h1, hdr + 16, 16);
	memcpy(h2, hdr + 32, 16);
	memcpy(h3, hdr + 48, 16);
}

/*
 * A run: frames i.. of a burst of n while they share the template; the
 * first frame it does not take (n: all), which the general path then
 * decides about. One variant a kind of burst: frames the backend
 * vouched for to a promiscuous guest, vouched ones through the filter,
 * summed ones (the burst's rx_fast_run and rx_rss_run pick).
 */
typedef unsigned int emu_rx_run_fn(struct emu_nic *nic,
				   const void *const *frames,
				   const size_t *lens, unsigned int i,
				   unsigned int n, int *rc);

/* emu_rxfast.c: for queue 0 (b->tpl_fast). */
emu_rx_run_fn emu_rx_fast_run_promisc, emu_rx_fast_run_vouched,
	emu_rx_fast_run_verify;

/* emu_rxrss.c: with RSS on (b->rss_tpl), frames sorted by queue into a
 * packet each; the caller sent the general path's packet first. */
emu_rx_run_fn emu_rx_rss_run_promisc, emu_rx_rss_run_vouched,
	emu_rx_rss_run_verify;

/* emu_rxpath.c: a transfer-page packet of n ranges (r, right after its
 * header xh), the general path's and the RSS run's. */
int emu_rx_send_xfer_batch(struct emu_net_queue *q,
			   struct vmbus_xfer_page_hdr *xh,
			   struct vmbus_xfer_page_range *r, uint32_t n,
			   uint32_t first, bool bad_range);

#endif /* EMU_RX_INLINE_H */
