/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Guest memory the host may dereference: the ranges the shim handed over
 * (fds of the guest's shared mappings plus their guest VAs), and the
 * guest's guest-physical page table (GPA page -> guest VA page), as its
 * pagemap showed it to EAL. A GPA from a channel packet is translated
 * only through that table, then through the ranges: a guest virtual
 * address in a GPA field is not guest memory, as on Hyper-V. The
 * leniency gpa_is_va (--gpa-mode=va) takes GPA = VA instead.
 *
 * Used from the loop thread only (no locking).
 */
#ifndef EMU_GUESTMEM_H
#define EMU_GUESTMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu_proto.h"
#include "vmbus_wire.h"

#define EMU_GUESTMEM_MAX 1024u
/* Extents of the page table: a 2 MiB page each, runs merged. */
#define EMU_GUESTMEM_MAX_FRAMES 4096u

struct emu_guestmem_range {
	uint64_t va;  /* guest address of the first byte */
	uint64_t len;
	uint8_t *ptr; /* host address of the first byte */
	bool owned;   /* we mmapped it and must munmap it */
};

struct emu_guestmem {
	struct emu_guestmem_range r[EMU_GUESTMEM_MAX]; /* sorted by va */
	unsigned int n;
	struct emu_frame_extent *f; /* sorted by gpa_page; NULL = none yet */
	unsigned int nf;
	bool gpa_is_va;             /* leniency: GPA = guest VA */
	/* Where the last lookups hit: a packet's pages are mostly in the
	 * range and extent of the one before. Only hints: every use checks
	 * the bounds again, so a stale one costs a search, never a wrong
	 * answer. Two of each: a page-buffer send alternates between the
	 * header's memory and the frame's (a hit on the second one does
	 * not swap them, so the alternation hits without a search). */
	unsigned int hint_r, hint_r2, hint_f, hint_f2;
};

void emu_guestmem_init(struct emu_guestmem *gm);

/*
 * Map len bytes of fd at file_off and register them as guest VA va.
 * An identical range already present is kept (0, fd not mapped); ranges
 * that overlap differently are replaced (the guest remapped). The caller
 * keeps ownership of fd. -EINVAL for unaligned/empty/overflowing input
 * or a range the fd (a regular file) does not cover, -ENOBUFS when the
 * table is full.
 */
int emu_guestmem_add_fd(struct emu_guestmem *gm, const struct emu_mem_range *r,
			int fd);

/* Register memory already visible to the host (in-process guests, tests). */
int emu_guestmem_add_ptr(struct emu_guestmem *gm, uint64_t va, uint64_t len,
			 void *ptr);

/*
 * Add page-table extents (a re-sent extent replaces what it overlaps).
 * -EINVAL for an empty or overflowing extent or an unaligned va,
 * -ENOBUFS when the table is full, -ENOMEM.
 */
int emu_guestmem_add_frames(struct emu_guestmem *gm,
			    const struct emu_frame_extent *e, unsigned int n);

/* Forget (and unmap) everything: the guest closed the channel. The
 * gpa_is_va setting stays. */
void emu_guestmem_clear(struct emu_guestmem *gm);

/*
 * Host pointer for len bytes at guest VA va, or NULL unless the whole
 * span lies inside one handed-over range.
 */
void *emu_guestmem_va(struct emu_guestmem *gm, uint64_t va, uint64_t len);

/*
 * Same for a GPA page number (4 KiB units) plus byte offset, through the
 * page table (or as a VA with gpa_is_va). The span must stay inside one
 * extent and one range.
 */
void *emu_guestmem_translate(struct emu_guestmem *gm, uint64_t gpa_page,
			     uint64_t offset, uint64_t len);

/* Whether range r holds [va, va + len) whole. */
static inline bool
emu_guestmem_range_holds(const struct emu_guestmem_range *r, uint64_t va,
			 uint64_t len)
{
	return va >= r->va && va - r->va <= r->len && len <= r->len - (va - r->va);
}

/*
 * emu_guestmem_translate with the two hinted ranges tried inline when
 * GPA = VA (the page-buffer fast path, a few pages per packet); the full
 * lookup otherwise. The same answer either way.
 */
static inline void *
emu_guestmem_translate_hinted(struct emu_guestmem *gm, uint64_t gpa_page,
			      uint64_t offset, uint64_t len)
{
	if (gm->gpa_is_va && len != 0 && gpa_page <= (UINT64_MAX >> HV_PAGE_SHIFT) &&
	    offset <= UINT64_MAX - (gpa_page << HV_PAGE_SHIFT)) {
		uint64_t va = (gpa_page << HV_PAGE_SHIFT) + offset;

		if (va + len >= va && gm->hint_r < gm->n &&
		    emu_guestmem_range_holds(&gm->r[gm->hint_r], va, len))
			return gm->r[gm->hint_r].ptr + (va - gm->r[gm->hint_r].va);
		if (va + len >= va && gm->hint_r2 < gm->n &&
		    emu_guestmem_range_holds(&gm->r[gm->hint_r2], va, len))
			return gm->r[gm->hint_r2].ptr + (va - gm->r[gm->hint_r2].va);
	}
	return emu_guestmem_translate(gm, gpa_page, offset, len);
}

#endif /* EMU_GUESTMEM_H */
