/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VMBus channel packets: build the descriptor and type-specific header of
 * an outgoing packet, and parse a packet that has already been copied out
 * of a ring.
 *
 * The ring (vmbus_ring) only frames bytes. This module gives them meaning:
 * a sender writes [header][payload][zero padding to 8] through the ring,
 * where the header is what a vmbus_pkt_build_*() returned; a receiver
 * copies the packet into private memory and calls vmbus_pkt_parse().
 *
 * Every builder writes its header into a caller buffer and returns the
 * header length (a multiple of 8) or -errno. The total packet length
 * (without the ring trailer) is in desc.len8 and vmbus_pkt_len().
 */
#ifndef VMBUS_PKT_H
#define VMBUS_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vmbus_wire.h"

/* Size of a header with n single-page GPA ranges (the DPDK form). */
#define VMBUS_PKT_GPA_PAGES_HDR_LEN(n) \
	(sizeof(struct vmbus_gpa_direct_hdr) + (size_t)(n) * 16u)

/* Size of a transfer-page header with n ranges. */
#define VMBUS_PKT_XFER_HDR_LEN(n)                  \
	(sizeof(struct vmbus_xfer_page_hdr) +     \
	 (size_t)(n) * sizeof(struct vmbus_xfer_page_range))

/* Builder input: one range that fits in a single 4 KiB page. */
struct vmbus_pkt_page {
	uint64_t pfn;
	uint32_t byte_offset; /* < HV_PAGE_SIZE */
	uint32_t byte_count;  /* != 0, byte_offset + byte_count <= page */
};

/*
 * Builder input: a range spanning several pages. pfns must hold
 * vmbus_pkt_gpa_pfn_count(byte_offset, byte_count) entries.
 */
struct vmbus_pkt_gpa_range {
	uint32_t byte_offset; /* < HV_PAGE_SIZE */
	uint32_t byte_count;  /* != 0 */
	const uint64_t *pfns;
};

/*
 * Result of vmbus_pkt_parse(). Pointers point into the caller's copy of
 * the packet. range_count/ranges are set only for transfer-page and
 * GPA-direct packets (zero/NULL otherwise).
 */
struct vmbus_pkt_info {
	uint16_t type;        /* enum vmbus_pkt_type */
	uint16_t flags;       /* VMBUS_PKT_FLAG_* */
	uint64_t trans_id;
	uint32_t pkt_len;     /* len8 * 8 */
	uint32_t hdr_len;     /* offset8 * 8 */
	const void *payload;  /* at hdr_len; includes tail padding */
	uint32_t payload_len;
	uint16_t xfer_pageset_id; /* transfer-page packets only */
	uint32_t range_count;
	const void *ranges;   /* first range, unaligned */
	uint32_t ranges_len;  /* bytes from ranges to the end of the header */
};

/* One GPA range as seen by the iterator; pfns is unaligned wire data. */
struct vmbus_pkt_gpa_view {
	uint32_t byte_offset;
	uint32_t byte_count;
	uint32_t pfn_count;
	const void *pfns;
};

/* Walks the variable-length GPA ranges of a parsed GPA-direct packet. */
struct vmbus_pkt_gpa_iter {
	const uint8_t *pos;
	uint32_t bytes_left;
	uint32_t ranges_left;
};

/* Number of 4 KiB frames a range touches (0 for an invalid range). */
uint32_t
vmbus_pkt_gpa_pfn_count(uint32_t byte_offset, uint32_t byte_count);

/* Total packet length (excluding trailer) for a header and payload. */
size_t
vmbus_pkt_len(size_t hdr_len, size_t payload_len);

/* Inband data (type 6) descriptor; flags may hold COMPLETION_REQUESTED. */
int
vmbus_pkt_build_inband(void *buf, size_t size, size_t payload_len,
		       uint64_t trans_id, uint16_t flags);

/* Completion (type 0xb) descriptor echoing the request's trans_id. */
int
vmbus_pkt_build_comp(void *buf, size_t size, size_t payload_len,
		     uint64_t trans_id);

/*
 * Single-page range i of a GPA-direct header at buf (which must hold
 * VMBUS_PKT_GPA_PAGES_HDR_LEN(i + 1) bytes), straight from the caller's
 * own page list: false, nothing written, unless byte_count != 0 and the
 * range stays within its page. The sender's hot path writes its ranges
 * with this, then the prefix with vmbus_pkt_build_gpa_hdr().
 */
static inline bool
vmbus_pkt_gpa_page_put(void *buf, uint32_t i, uint64_t pfn,
		       uint32_t byte_offset, uint32_t byte_count)
{
	uint8_t *at = (uint8_t *)buf + VMBUS_PKT_GPA_PAGES_HDR_LEN(i);
	struct vmbus_gpa_range r = {
		.byte_count = byte_count,
		.byte_offset = byte_offset,
	};

	/* count - 1 wraps for 0; offset < page keeps the right side sane. */
	if (byte_offset >= HV_PAGE_SIZE ||
	    byte_count - 1u >= HV_PAGE_SIZE - byte_offset)
		return false;
	memcpy(at, &r, sizeof(r));
	memcpy(at + sizeof(r), &pfn, sizeof(pfn));
	return true;
}

/*
 * The 24-byte prefix of a GPA-direct header whose n single-page ranges
 * vmbus_pkt_gpa_page_put() wrote. Returns the header length or -errno
 * (n == 0 or too many for a packet, buffer too small, bad flags).
 */
int
vmbus_pkt_build_gpa_hdr(void *buf, size_t size, uint32_t n,
			size_t payload_len, uint64_t trans_id, uint16_t flags);

/* GPA-direct header with one single-page range per element. */
int
vmbus_pkt_build_gpa_pages(void *buf, size_t size,
			  const struct vmbus_pkt_page *pages, uint32_t n,
			  size_t payload_len, uint64_t trans_id,
			  uint16_t flags);

/* GPA-direct header with multi-page ranges. */
int
vmbus_pkt_build_gpa_ranges(void *buf, size_t size,
			   const struct vmbus_pkt_gpa_range *ranges,
			   uint32_t n, size_t payload_len, uint64_t trans_id,
			   uint16_t flags);

/* Transfer-page header (host -> guest receive data). */
int
vmbus_pkt_build_xfer(void *buf, size_t size, uint16_t pageset_id,
		     const struct vmbus_xfer_page_range *ranges, uint32_t n,
		     size_t payload_len, uint64_t trans_id, uint16_t flags);

/*
 * The fixed part of a transfer-page header for n ranges the caller has
 * already laid out right after *hdr (each with a non-zero byte_count: the
 * caller built them): vmbus_pkt_build_xfer without copying the ranges.
 * Returns the header length with the ranges, or -errno as
 * vmbus_pkt_build_xfer does.
 */
int
vmbus_pkt_build_xfer_hdr(struct vmbus_xfer_page_hdr *hdr, uint16_t pageset_id,
			 uint32_t n, size_t payload_len, uint64_t trans_id,
			 uint16_t flags);

/*
 * Validate a packet copied out of a ring (len = bytes available, the
 * trailer may or may not be included) and describe it in *out.
 *
 * Returns 0, or
 *   -EINVAL   corrupt framing or header (the channel cannot be trusted)
 *   -ENOTSUP  sound framing but a type this protocol never uses; *out
 *             holds type, flags, trans_id and pkt_len so the caller can
 *             skip it or fail the channel as it sees fit.
 */
int
vmbus_pkt_parse(const void *pkt, size_t len, struct vmbus_pkt_info *out);

/* Start iterating the ranges of a parsed GPA-direct packet. */
void
vmbus_pkt_gpa_iter_init(struct vmbus_pkt_gpa_iter *it,
			const struct vmbus_pkt_info *info);

/* Next range: 0, -ENOENT after the last one, -EINVAL if malformed. */
int
vmbus_pkt_gpa_iter_next(struct vmbus_pkt_gpa_iter *it,
			struct vmbus_pkt_gpa_view *out);

/* PFN i of a range view; 0 if i is out of range. */
uint64_t
vmbus_pkt_gpa_pfn(const struct vmbus_pkt_gpa_view *view, uint32_t i);

/* Copy transfer-page range i: 0, -ERANGE, -EPROTO if not a type-7 pkt. */
int
vmbus_pkt_xfer_range(const struct vmbus_pkt_info *info, uint32_t i,
		     struct vmbus_xfer_page_range *out);

/*
 * Check a transfer-page range against a receive buffer of buf_size
 * bytes: 0, -EINVAL if empty, -ERANGE if it leaves the buffer.
 */
int
vmbus_pkt_xfer_range_check(const struct vmbus_xfer_page_range *r,
			   uint32_t buf_size);

#endif /* VMBUS_PKT_H */
