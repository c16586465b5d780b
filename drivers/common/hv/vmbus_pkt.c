/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VMBus channel packet headers: builders for the sending side, a parser
 * for the receiving side. See vmbus_pkt.h for the contract.
 *
 * All wire data is moved with memcpy: a packet copied out of a ring lands
 * wherever the caller's buffer is, and GPA ranges are not 8-aligned
 * relative to each other's PFN lists anyway.
 */
#include <errno.h>
#include <string.h>

#include "vmbus_pkt.h"

#define GPA_RANGE_LEN sizeof(struct vmbus_gpa_range)
#define XFER_RANGE_LEN sizeof(struct vmbus_xfer_page_range)
#define PFN_LEN sizeof(uint64_t)

uint32_t
vmbus_pkt_gpa_pfn_count(uint32_t byte_offset, uint32_t byte_count)
{
	uint64_t end;

	if (byte_count == 0 || byte_offset >= HV_PAGE_SIZE)
		return 0;
	/* 64-bit: offset + count can exceed 4 GiB. */
	end = (uint64_t)byte_offset + byte_count;
	return (uint32_t)((end + HV_PAGE_MASK) >> HV_PAGE_SHIFT);
}

size_t
vmbus_pkt_len(size_t hdr_len, size_t payload_len)
{
	return hdr_len + HV_ALIGN_UP(payload_len, (size_t)VMBUS_PKT_ALIGN);
}

/*
 * Fill a descriptor for a header of hdr_len bytes (a multiple of 8)
 * followed by payload_len bytes padded to 8.
 */
static int
pkt_desc_fill(struct vmbus_pkt_desc *d, uint16_t type, size_t hdr_len,
	      size_t payload_len, uint16_t flags, uint64_t trans_id)
{
	size_t total;

	if ((flags & ~VMBUS_PKT_FLAG_COMPLETION_REQUESTED) != 0)
		return -EINVAL;
	/* Bound both terms first so that the sum cannot wrap. */
	if (payload_len > VMBUS_PKT_MAX_LEN || hdr_len > VMBUS_PKT_MAX_LEN)
		return -EMSGSIZE;
	/* vmbus_pkt_len(), without the call. */
	total = hdr_len + HV_ALIGN_UP(payload_len, (size_t)VMBUS_PKT_ALIGN);
	if (total > VMBUS_PKT_MAX_LEN)
		return -EMSGSIZE;

	d->type = type;
	d->offset8 = (uint16_t)(hdr_len / VMBUS_PKT_ALIGN);
	d->len8 = (uint16_t)(total / VMBUS_PKT_ALIGN);
	d->flags = flags;
	d->trans_id = trans_id;
	return 0;
}

static int
pkt_build_plain(void *buf, size_t size, uint16_t type, size_t payload_len,
		uint64_t trans_id, uint16_t flags)
{
	struct vmbus_pkt_desc d;
	int rc;

	if (size < sizeof(d))
		return -ENOBUFS;
	rc = pkt_desc_fill(&d, type, sizeof(d), payload_len, flags, trans_id);
	if (rc != 0)
		return rc;
	memcpy(buf, &d, sizeof(d));
	return (int)sizeof(d);
}

int
vmbus_pkt_build_inband(void *buf, size_t size, size_t payload_len,
		       uint64_t trans_id, uint16_t flags)
{
	return pkt_build_plain(buf, size, VMBUS_PKT_DATA_INBAND, payload_len,
			       trans_id, flags);
}

int
vmbus_pkt_build_comp(void *buf, size_t size, size_t payload_len,
		     uint64_t trans_id)
{
	/* A completion never asks for a completion of its own. */
	return pkt_build_plain(buf, size, VMBUS_PKT_COMPLETION, payload_len,
			       trans_id, 0);
}

/* Write the 24-byte GPA-direct prefix once the header length is known. */
static int
gpa_hdr_write(void *buf, size_t hdr_len, uint32_t n, size_t payload_len,
	      uint64_t trans_id, uint16_t flags)
{
	struct vmbus_gpa_direct_hdr h;
	int rc;

	/* Every field set: no memset (one per page-buffer send). */
	rc = pkt_desc_fill(&h.desc, VMBUS_PKT_DATA_GPA_DIRECT, hdr_len,
			   payload_len, flags, trans_id);
	if (rc != 0)
		return rc;
	h.reserved = 0;
	h.range_count = n;
	memcpy(buf, &h, sizeof(h));
	return (int)hdr_len;
}

_Static_assert(VMBUS_PKT_GPA_PAGES_HDR_LEN(1) ==
	       sizeof(struct vmbus_gpa_direct_hdr) + GPA_RANGE_LEN + PFN_LEN,
	       "a single-page range is one range header and one PFN");

int
vmbus_pkt_build_gpa_hdr(void *buf, size_t size, uint32_t n,
			size_t payload_len, uint64_t trans_id, uint16_t flags)
{
	size_t hdr_len;

	if (n == 0)
		return -EINVAL;
	if (n > (VMBUS_PKT_MAX_LEN - sizeof(struct vmbus_gpa_direct_hdr)) /
			(GPA_RANGE_LEN + PFN_LEN))
		return -EMSGSIZE;
	hdr_len = VMBUS_PKT_GPA_PAGES_HDR_LEN(n);
	if (size < hdr_len)
		return -ENOBUFS;
	return gpa_hdr_write(buf, hdr_len, n, payload_len, trans_id, flags);
}

int
vmbus_pkt_build_gpa_pages(void *buf, size_t size,
			  const struct vmbus_pkt_page *pages, uint32_t n,
			  size_t payload_len, uint64_t trans_id,
			  uint16_t flags)
{
	int rc = vmbus_pkt_build_gpa_hdr(buf, size, n, payload_len, trans_id,
					 flags);

	if (rc < 0)
		return rc;
	/* The single-page form has room for exactly one PFN. */
	for (uint32_t i = 0; i < n; i++)
		if (!vmbus_pkt_gpa_page_put(buf, i, pages[i].pfn,
					    pages[i].byte_offset,
					    pages[i].byte_count))
			return -EINVAL;
	return rc;
}

/* Header length of multi-page ranges; 0 if a range is invalid. */
static size_t
gpa_ranges_len(const struct vmbus_pkt_gpa_range *ranges, uint32_t n)
{
	size_t len = sizeof(struct vmbus_gpa_direct_hdr);

	for (uint32_t i = 0; i < n; i++) {
		uint32_t npfn = vmbus_pkt_gpa_pfn_count(ranges[i].byte_offset,
							ranges[i].byte_count);

		if (npfn == 0 || ranges[i].pfns == NULL)
			return 0;
		len += GPA_RANGE_LEN + (size_t)npfn * PFN_LEN;
		/* Stop early: each step adds at most ~8 MiB, no wrap. */
		if (len > VMBUS_PKT_MAX_LEN)
			return SIZE_MAX;
	}
	return len;
}

int
vmbus_pkt_build_gpa_ranges(void *buf, size_t size,
			   const struct vmbus_pkt_gpa_range *ranges,
			   uint32_t n, size_t payload_len, uint64_t trans_id,
			   uint16_t flags)
{
	uint8_t *p = buf;
	size_t hdr_len, at;

	if (n == 0)
		return -EINVAL;
	hdr_len = gpa_ranges_len(ranges, n);
	if (hdr_len == 0)
		return -EINVAL;
	if (hdr_len > VMBUS_PKT_MAX_LEN)
		return -EMSGSIZE;
	if (size < hdr_len)
		return -ENOBUFS;

	at = sizeof(struct vmbus_gpa_direct_hdr);
	for (uint32_t i = 0; i < n; i++) {
		struct vmbus_gpa_range r = {
			.byte_count = ranges[i].byte_count,
			.byte_offset = ranges[i].byte_offset,
		};
		size_t pfn_bytes = (size_t)vmbus_pkt_gpa_pfn_count(
				r.byte_offset, r.byte_count) * PFN_LEN;

		memcpy(p + at, &r, sizeof(r));
		memcpy(p + at + GPA_RANGE_LEN, ranges[i].pfns, pfn_bytes);
		at += GPA_RANGE_LEN + pfn_bytes;
	}
	return gpa_hdr_write(buf, hdr_len, n, payload_len, trans_id, flags);
}

int
vmbus_pkt_build_xfer_hdr(struct vmbus_xfer_page_hdr *hdr, uint16_t pageset_id,
			 uint32_t n, size_t payload_len, uint64_t trans_id,
			 uint16_t flags)
{
	struct vmbus_xfer_page_hdr h;
	size_t hdr_len;
	int rc;

	if (n == 0)
		return -EINVAL;
	if (n > (VMBUS_PKT_MAX_LEN - sizeof(h)) / XFER_RANGE_LEN)
		return -EMSGSIZE;
	hdr_len = VMBUS_PKT_XFER_HDR_LEN(n);
	memset(&h, 0, sizeof(h));
	rc = pkt_desc_fill(&h.desc, VMBUS_PKT_DATA_XFER_PAGES, hdr_len,
			   payload_len, flags, trans_id);
	if (rc != 0)
		return rc;
	h.xfer_pageset_id = pageset_id;
	h.range_count = n;
	memcpy(hdr, &h, sizeof(h));
	return (int)hdr_len;
}

int
vmbus_pkt_build_xfer(void *buf, size_t size, uint16_t pageset_id,
		     const struct vmbus_xfer_page_range *ranges, uint32_t n,
		     size_t payload_len, uint64_t trans_id, uint16_t flags)
{
	struct vmbus_xfer_page_hdr h;
	int rc;

	if (n == 0)
		return -EINVAL;
	if (n > (VMBUS_PKT_MAX_LEN - sizeof(h)) / XFER_RANGE_LEN)
		return -EMSGSIZE;
	if (size < VMBUS_PKT_XFER_HDR_LEN(n))
		return -ENOBUFS;
	for (uint32_t i = 0; i < n; i++)
		if (ranges[i].byte_count == 0)
			return -EINVAL;
	rc = vmbus_pkt_build_xfer_hdr(&h, pageset_id, n, payload_len, trans_id,
				      flags);
	if (rc < 0)
		return rc;
	memcpy(buf, &h, sizeof(h));
	memcpy((uint8_t *)buf + sizeof(h), ranges, (size_t)n * XFER_RANGE_LEN);
	return rc;
}

static int
parse_xfer(const uint8_t *pkt, struct vmbus_pkt_info *out)
{
	struct vmbus_xfer_page_hdr h;
	uint32_t room;

	if (out->hdr_len < sizeof(h))
		return -EINVAL;
	memcpy(&h, pkt, sizeof(h));
	room = out->hdr_len - (uint32_t)sizeof(h);
	/* One RNDIS message per range: a packet without ranges is bogus. */
	if (h.range_count == 0 || h.range_count > room / XFER_RANGE_LEN)
		return -EINVAL;

	out->xfer_pageset_id = h.xfer_pageset_id;
	out->range_count = h.range_count;
	out->ranges = pkt + sizeof(h);
	out->ranges_len = room;
	return 0;
}

static int
parse_gpa(const uint8_t *pkt, struct vmbus_pkt_info *out)
{
	struct vmbus_gpa_direct_hdr h;
	struct vmbus_pkt_gpa_iter it;
	struct vmbus_pkt_gpa_view v;
	uint32_t room;
	int rc;

	if (out->hdr_len < sizeof(h))
		return -EINVAL;
	memcpy(&h, pkt, sizeof(h));
	room = out->hdr_len - (uint32_t)sizeof(h);
	/* Each range takes at least 16 bytes: cheap bound before the walk. */
	if (h.range_count == 0 ||
	    h.range_count > room / (GPA_RANGE_LEN + PFN_LEN))
		return -EINVAL;

	out->range_count = h.range_count;
	out->ranges = pkt + sizeof(h);
	out->ranges_len = room;

	/* Validate every range now so that consumers can trust the walk. */
	vmbus_pkt_gpa_iter_init(&it, out);
	while ((rc = vmbus_pkt_gpa_iter_next(&it, &v)) == 0)
		;
	return rc == -ENOENT ? 0 : rc;
}

int
vmbus_pkt_parse(const void *pkt, size_t len, struct vmbus_pkt_info *out)
{
	struct vmbus_pkt_desc d;
	int rc;

	/* Every field is set below (completions are the hot case: no
	 * memset of the whole result); a refused packet leaves it zeroed. */
	if (len < sizeof(d))
		goto bad;
	memcpy(&d, pkt, sizeof(d));
	if (d.offset8 < sizeof(d) / VMBUS_PKT_ALIGN || d.len8 < d.offset8 ||
	    (size_t)d.len8 * VMBUS_PKT_ALIGN > len)
		goto bad;
	if ((d.flags & ~VMBUS_PKT_FLAG_COMPLETION_REQUESTED) != 0)
		goto bad;

	out->xfer_pageset_id = 0;
	out->range_count = 0;
	out->ranges = NULL;
	out->ranges_len = 0;
	out->type = d.type;
	out->flags = d.flags;
	out->trans_id = d.trans_id;
	out->pkt_len = (uint32_t)d.len8 * VMBUS_PKT_ALIGN;
	out->hdr_len = (uint32_t)d.offset8 * VMBUS_PKT_ALIGN;
	out->payload = (const uint8_t *)pkt + out->hdr_len;
	out->payload_len = out->pkt_len - out->hdr_len;

	switch (d.type) {
	case VMBUS_PKT_DATA_INBAND:
	case VMBUS_PKT_COMPLETION:
		return 0;
	case VMBUS_PKT_DATA_XFER_PAGES:
		rc = parse_xfer(pkt, out);
		break;
	case VMBUS_PKT_DATA_GPA_DIRECT:
		rc = parse_gpa(pkt, out);
		break;
	default:
		/* Framing is sound: the caller can step over it. */
		return -ENOTSUP;
	}
	if (rc != 0)
		memset(out, 0, sizeof(*out));
	return rc;
bad:
	memset(out, 0, sizeof(*out));
	return -EINVAL;
}

void
vmbus_pkt_gpa_iter_init(struct vmbus_pkt_gpa_iter *it,
			const struct vmbus_pkt_info *info)
{
	it->pos = info->ranges;
	it->bytes_left = info->ranges_len;
	it->ranges_left = info->type == VMBUS_PKT_DATA_GPA_DIRECT ?
				  info->range_count : 0;
}

int
vmbus_pkt_gpa_iter_next(struct vmbus_pkt_gpa_iter *it,
			struct vmbus_pkt_gpa_view *out)
{
	struct vmbus_gpa_range r;
	uint32_t npfn;
	uint64_t pfn_bytes;

	if (it->ranges_left == 0)
		return -ENOENT;
	if (it->bytes_left < GPA_RANGE_LEN)
		goto bad;
	memcpy(&r, it->pos, sizeof(r));
	npfn = vmbus_pkt_gpa_pfn_count(r.byte_offset, r.byte_count);
	if (npfn == 0)
		goto bad;
	pfn_bytes = (uint64_t)npfn * PFN_LEN;
	if (pfn_bytes > it->bytes_left - GPA_RANGE_LEN)
		goto bad;

	out->byte_offset = r.byte_offset;
	out->byte_count = r.byte_count;
	out->pfn_count = npfn;
	out->pfns = it->pos + GPA_RANGE_LEN;
	it->pos += GPA_RANGE_LEN + pfn_bytes;
	it->bytes_left -= (uint32_t)(GPA_RANGE_LEN + pfn_bytes);
	it->ranges_left--;
	return 0;
bad:
	/* Do not let a caller loop on a broken list. */
	it->ranges_left = 0;
	return -EINVAL;
}

uint64_t
vmbus_pkt_gpa_pfn(const struct vmbus_pkt_gpa_view *view, uint32_t i)
{
	uint64_t pfn;

	if (i >= view->pfn_count)
		return 0;
	memcpy(&pfn, (const uint8_t *)view->pfns + (size_t)i * PFN_LEN,
	       sizeof(pfn));
	return pfn;
}

int
vmbus_pkt_xfer_range(const struct vmbus_pkt_info *info, uint32_t i,
		     struct vmbus_xfer_page_range *out)
{
	if (info->type != VMBUS_PKT_DATA_XFER_PAGES)
		return -EPROTO;
	if (i >= info->range_count ||
	    ((uint64_t)i + 1) * XFER_RANGE_LEN > info->ranges_len)
		return -ERANGE;
	memcpy(out, (const uint8_t *)info->ranges + (size_t)i * XFER_RANGE_LEN,
	       sizeof(*out));
	return 0;
}

int
vmbus_pkt_xfer_range_check(const struct vmbus_xfer_page_range *r,
			   uint32_t buf_size)
{
	if (r->byte_count == 0)
		return -EINVAL;
	/* Subtract instead of adding: offset + count may wrap in 32 bits. */
	if (r->byte_offset > buf_size ||
	    r->byte_count > buf_size - r->byte_offset)
		return -ERANGE;
	return 0;
}
