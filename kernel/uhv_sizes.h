/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The size arithmetic of uio_hv_vmbus's maps, with the system page size
 * as an argument: the module calls it with PAGE_SIZE, and
 * test/kernel/test_uhv_sizes.c with 4, 16 and 64 KiB (no such guest
 * runs here). Dual-licensed so that userspace test can include it.
 *
 * Two page sizes are kept apart: the Hyper-V page (4 KiB: GPADL
 * entries, the interrupt and monitor pages) and the system page (what
 * mmap, UIO map offsets and the ring header use). The includer provides
 * size_t and uintptr_t.
 */
#ifndef UHV_SIZES_H
#define UHV_SIZES_H

#define UHV_HV_PAGE 4096u

/* Bounds of the size parameters, in KiB. */
#define UHV_RING_KB_MIN 16u
#define UHV_RING_KB_MAX (64u * 1024)
#define UHV_BUF_KB_MIN 64u
#define UHV_BUF_KB_MAX (128u * 1024)

static inline unsigned int uhv_clamp_kb(unsigned int kb, unsigned int lo,
					unsigned int hi)
{
	return kb < lo ? lo : kb > hi ? hi : kb;
}

static inline size_t uhv_page_align(size_t bytes, size_t page)
{
	return (bytes + page - 1) & ~(page - 1);
}

/*
 * One direction of a channel's ring in bytes, header included. The
 * header is one system page (struct hv_ring_buffer is padded to
 * PAGE_SIZE; the host sees only its first Hyper-V page). As the core's
 * VMBUS_RING_SIZE(): a payload of 8 header pages or more gives up one
 * page to the header, a smaller one gets it added (a 64 KiB header
 * would otherwise eat half of a 128 KiB ring).
 */
static inline size_t uhv_ring_bytes(unsigned int ring_kb, size_t page)
{
	size_t payload = (size_t)uhv_clamp_kb(ring_kb, UHV_RING_KB_MIN,
					      UHV_RING_KB_MAX) * 1024;

	return uhv_page_align((payload >= 8 * page ? 0 : page) + payload, page);
}

/* A NIC receive or send buffer: whole system pages. */
static inline size_t uhv_buf_bytes(unsigned int kb, size_t page)
{
	return uhv_page_align((size_t)uhv_clamp_kb(kb, UHV_BUF_KB_MIN,
						   UHV_BUF_KB_MAX) * 1024, page);
}

/*
 * Where a Hyper-V page (interrupt, monitor) lies inside the system page
 * that holds it: a UIO map starts at that page's beginning, and cores
 * that allocate the 4 KiB page with kmalloc on 64 KiB kernels do not
 * align it to one. The UIO core shows it as maps/mapM/offset.
 */
static inline size_t uhv_hv_page_offs(uintptr_t addr, size_t page)
{
	return addr & (page - 1);
}

#endif /* UHV_SIZES_H */
