/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmbus_ring_read for a caller that reads small packets one after the
 * other in its hot loop (the emulated host draining a guest's ring):
 * the common case inline, everything else through vmbus_ring_read.
 */
#ifndef VMBUS_RING_INLINE_H
#define VMBUS_RING_INLINE_H

#include <errno.h>
#include <string.h>

#include "hv_atomic.h"
#include "hv_compiler.h"
#include "vmbus_ring.h"

/* Packets up to this size are copied with one fixed-size copy. */
#define VMBUS_RING_INLINE_COPY 128u

/*
 * vmbus_ring_read, same contract and result (but for the bytes of @buf
 * past the packet, up to VMBUS_RING_INLINE_COPY, which may change). Inline only when
 * write_index (R1: acquired first) is a valid index, the packet is well
 * framed, fits @buflen, is followed by its trailer before write_index
 * and does not cross the end of the data area. Anything else, including
 * an empty ring, is vmbus_ring_read's to decide: it reads the indices
 * and the descriptor again and uses nothing of this attempt, so a guest
 * changing them meanwhile gets one answer or the other, both checked.
 */
static inline int
vmbus_ring_read_inline(struct vmbus_ring *r, void *buf, size_t buflen,
		       uint32_t *pkt_len)
{
	uint32_t wr = hv_load_acquire_u32(&r->hdr->write_index);
	uint32_t pi = r->priv_index, size = r->data_size, avail, plen, next;
	struct vmbus_pkt_desc d;

	if (hv_unlikely(wr >= size || wr % VMBUS_PKT_ALIGN != 0))
		return vmbus_ring_read(r, buf, buflen, pkt_len);
	if (wr == pi) {
		/* Empty: the end of every drain. */
		*pkt_len = 0;
		return -EAGAIN;
	}
	avail = wr > pi ? wr - pi : size - pi + wr;
	if (hv_likely(avail >= sizeof(d) + VMBUS_PKT_TRAILER_SIZE &&
		      size - pi >= sizeof(d) + VMBUS_PKT_TRAILER_SIZE)) {
		/* The private copy of the descriptor; the length below
		 * comes from it only. */
		memcpy(&d, r->data + pi, sizeof(d));
		plen = (uint32_t)d.len8 * VMBUS_PKT_ALIGN;
		if (hv_likely(plen >= sizeof(d) &&
			      plen + VMBUS_PKT_TRAILER_SIZE <= avail &&
			      plen + VMBUS_PKT_TRAILER_SIZE <= size - pi &&
			      plen <= buflen)) {
			memcpy(buf, &d, sizeof(d));
			if (plen <= VMBUS_RING_INLINE_COPY &&
			    buflen >= VMBUS_RING_INLINE_COPY &&
			    size - pi >= VMBUS_RING_INLINE_COPY) {
				/* A small packet (a page-buffer send is 96
				 * or 112 bytes): one fixed-size copy, the
				 * bytes past it land in the caller's buffer
				 * and mean nothing. */
				memcpy((uint8_t *)buf + sizeof(d),
				       r->data + pi + sizeof(d),
				       VMBUS_RING_INLINE_COPY - sizeof(d));
			} else {
				memcpy((uint8_t *)buf + sizeof(d),
				       r->data + pi + sizeof(d), plen - sizeof(d));
			}
			next = pi + plen + VMBUS_PKT_TRAILER_SIZE;
			r->priv_index = next == size ? 0 : next;
			*pkt_len = plen;
			return 0;
		}
	}
	return vmbus_ring_read(r, buf, buflen, pkt_len);
}

#endif /* VMBUS_RING_INLINE_H */
