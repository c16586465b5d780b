/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Messages between the LD_PRELOAD shim and the emulator on a /dev/uioN
 * connection (AF_UNIX SOCK_SEQPACKET).
 *
 * A 4-byte message is always UIO traffic: guest->host it is the irq
 * control / doorbell value, host->guest the cumulative interrupt count.
 * Every other message starts with struct emu_msg_hdr, so the two can never
 * be confused (the shim refuses guest reads/writes that are not 4 bytes).
 *
 * Handshake done by the shim inside open("/dev/uioN"), before it returns:
 *   guest: zero or more EMU_MSG_MEM (guest memory ranges + SCM_RIGHTS fds)
 *   guest: zero or more EMU_MSG_FRAMES (its guest-physical page table)
 *   guest: EMU_MSG_HELLO
 *   host:  EMU_MSG_WELCOME (status 0 = channel open, else a positive errno)
 * The wait makes open() synchronous like the kernel's channel open: the
 * ring headers are reset before the guest can map them.
 */
#ifndef EMU_PROTO_H
#define EMU_PROTO_H

#include <stdint.h>

#define EMU_MSG_MAGIC 0x554d4556u /* "VEMU" */
#define EMU_MSG_VERSION 1u

enum emu_msg_type {
	EMU_MSG_MEM = 1,     /* guest->host */
	EMU_MSG_HELLO = 2,   /* guest->host */
	EMU_MSG_WELCOME = 3, /* host->guest */
	EMU_MSG_FRAMES = 4,  /* guest->host */
};

struct emu_msg_hdr {
	uint32_t magic;
	uint16_t type;    /* enum emu_msg_type */
	uint16_t version; /* EMU_MSG_VERSION */
};

/* One guest memory range; the n-th range travels with the n-th fd. */
struct emu_mem_range {
	uint64_t va;       /* guest virtual address */
	uint64_t len;      /* bytes, multiple of 4096 */
	uint64_t file_off; /* offset of va inside the fd */
};

/* Bounded so that one message fits SCM_MAX_FD and a small stack buffer. */
#define EMU_MSG_MEM_MAX_RANGES 16u

struct emu_msg_mem {
	struct emu_msg_hdr hdr;
	uint32_t count;
	uint32_t reserved;
	struct emu_mem_range range[EMU_MSG_MEM_MAX_RANGES];
};

/*
 * Guest-physical pages [gpa_page, gpa_page + npages) are the guest
 * virtual pages from va on: the page table the guest's pagemap showed
 * (see shim_pagemap.c). The host reaches GPAs only through it.
 */
struct emu_frame_extent {
	uint64_t gpa_page; /* 4 KiB units */
	uint64_t npages;
	uint64_t va;
};

#define EMU_MSG_FRAMES_MAX 64u

struct emu_msg_frames {
	struct emu_msg_hdr hdr;
	uint32_t count;
	uint32_t reserved;
	struct emu_frame_extent ext[EMU_MSG_FRAMES_MAX];
};

struct emu_msg_hello {
	struct emu_msg_hdr hdr;
	uint32_t pid;
	uint32_t reserved;
};

struct emu_msg_welcome {
	struct emu_msg_hdr hdr;
	uint32_t status; /* 0 or a positive errno */
	uint32_t reserved;
};

/* Layout under $VMBUS_EMU_ROOT of the files backing the UIO maps. */
#define EMU_REGION_DIR "regions"

/*
 * Guest-physical pages of a device's receive and send buffers (maps 3
 * and 4). On Hyper-V they are the GPADL's pages, which the kernel
 * allocated one by one: the host knows them, and they are not contiguous.
 * Here page p of map k of /dev/uio<minor> is frame
 * emu_region_gpa_page(minor, k, p), in [9 TiB, 9.5 TiB): runs of four
 * pages with neighbouring runs swapped, so bytes that cross a 16 KiB
 * boundary of the buffer are not guest-physically contiguous. The shim's
 * pagemap shows these frames; the host translates them (emu_host.c).
 */
#define EMU_REGION_GPA_BASE 0x90000000ull /* in 4 KiB pages */
#define EMU_REGION_GPA_SPAN (1ull << 18)  /* pages per map: 1 GiB */

static inline uint64_t
emu_region_gpa_page(uint32_t minor, uint32_t map, uint64_t page)
{
	return EMU_REGION_GPA_BASE +
	       ((uint64_t)(minor % 64u) * 8u + map % 8u) * EMU_REGION_GPA_SPAN +
	       ((page ^ 4u) % EMU_REGION_GPA_SPAN);
}
#define EMU_ENV_ROOT "VMBUS_EMU_ROOT"
/* Optional: seed of the shim's guest-physical page permutation. */
#define EMU_ENV_GPA_SEED "VMBUS_EMU_GPA_SEED"

#endif /* EMU_PROTO_H */
