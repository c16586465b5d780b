/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VMBus wire formats: ring buffer header page, channel packet descriptors,
 * GPA and transfer-page ranges, monitor and interrupt pages.
 *
 * All fields are little-endian. Hyper-V always counts in 4 KiB pages
 * (HV_PAGE_SIZE), whatever the guest's system page size is.
 */
#ifndef VMBUS_WIRE_H
#define VMBUS_WIRE_H

#include <stdint.h>

#include "hv_compiler.h"

#define HV_PAGE_SHIFT 12
#define HV_PAGE_SIZE (1u << HV_PAGE_SHIFT)
#define HV_PAGE_MASK (HV_PAGE_SIZE - 1)

/* Class GUID of a synthetic network adapter (vmbus class_id). */
#define VMBUS_CLASS_NETWORK "f8615163-df3e-46c5-913f-f2d2f965ed0e"

/*
 * Ring buffer header: the first HV page of each ring (one ring per
 * direction). The data area follows the header; with 64 KiB system pages
 * it follows one *system* page later, so the ring code takes the data
 * pointer separately.
 */
struct vmbus_ring_hdr {
	uint32_t write_index;     /* written by the ring's writer */
	uint32_t read_index;      /* written by the ring's reader */
	uint32_t interrupt_mask;  /* reader: 1 = do not signal me */
	uint32_t pending_send_sz; /* writer: bytes it waits for, 0 = none */
	uint32_t reserved1[12];
	uint32_t feature_bits;    /* writer: VMBUS_RING_FEAT_* */
	uint8_t reserved2[HV_PAGE_SIZE - 68];
};
HV_ASSERT_SIZE(struct vmbus_ring_hdr, HV_PAGE_SIZE);
HV_ASSERT_OFFSET(struct vmbus_ring_hdr, feature_bits, 64);

/* The writer honours pending_send_sz of the ring it reads from. */
#define VMBUS_RING_FEAT_PENDING_SEND_SZ 0x1u

/* Ring indices and packet lengths are multiples of 8 bytes. */
#define VMBUS_PKT_ALIGN 8u
/* Each packet is followed by a u64: (u64)start write_index << 32. */
#define VMBUS_PKT_TRAILER_SIZE 8u

/* Channel packet types (vmbus_pkt_desc.type). */
enum vmbus_pkt_type {
	VMBUS_PKT_INVALID = 0x0,
	VMBUS_PKT_SYNCH = 0x1,
	VMBUS_PKT_ADD_XFER_PAGESET = 0x2,
	VMBUS_PKT_RM_XFER_PAGESET = 0x3,
	VMBUS_PKT_ESTABLISH_GPADL = 0x4,
	VMBUS_PKT_TEARDOWN_GPADL = 0x5,
	VMBUS_PKT_DATA_INBAND = 0x6,
	VMBUS_PKT_DATA_XFER_PAGES = 0x7,    /* host->guest receive data */
	VMBUS_PKT_DATA_GPADL = 0x8,
	VMBUS_PKT_DATA_GPA_DIRECT = 0x9,    /* guest->host page lists */
	VMBUS_PKT_CANCEL_REQUEST = 0xa,
	VMBUS_PKT_COMPLETION = 0xb,
	VMBUS_PKT_DATA_ADDITIONAL = 0xc,
	VMBUS_PKT_ADDITIONAL_DATA = 0xd,
};

/* vmbus_pkt_desc.flags: the sender wants a completion packet. */
#define VMBUS_PKT_FLAG_COMPLETION_REQUESTED 0x1u

/* Common 16-byte descriptor at the start of every channel packet. */
struct vmbus_pkt_desc {
	uint16_t type;     /* enum vmbus_pkt_type */
	uint16_t offset8;  /* payload offset from packet start, 8-byte units */
	uint16_t len8;     /* packet length without trailer, 8-byte units */
	uint16_t flags;    /* VMBUS_PKT_FLAG_* */
	uint64_t trans_id; /* echoed in the completion */
};
HV_ASSERT_SIZE(struct vmbus_pkt_desc, 16);

/* Largest packet a 16-bit len8 can describe. */
#define VMBUS_PKT_MAX_LEN (0xffffu * VMBUS_PKT_ALIGN)

/*
 * GPA range: byte_count bytes starting byte_offset into the first page,
 * then ceil((byte_offset + byte_count) / 4096) page frame numbers.
 */
struct vmbus_gpa_range {
	uint32_t byte_count;
	uint32_t byte_offset; /* < HV_PAGE_SIZE */
	/* uint64_t pfn[]; follows */
};
HV_ASSERT_SIZE(struct vmbus_gpa_range, 8);

/* Header of a VMBUS_PKT_DATA_GPA_DIRECT packet; ranges follow. */
struct vmbus_gpa_direct_hdr {
	struct vmbus_pkt_desc desc;
	uint32_t reserved;    /* hosts ignore it */
	uint32_t range_count; /* != 0 */
};
HV_ASSERT_SIZE(struct vmbus_gpa_direct_hdr, 24);

/* Transfer-page range: one RNDIS message inside the receive buffer. */
struct vmbus_xfer_page_range {
	uint32_t byte_count;
	uint32_t byte_offset; /* from the start of the receive buffer */
};
HV_ASSERT_SIZE(struct vmbus_xfer_page_range, 8);

/* Header of a VMBUS_PKT_DATA_XFER_PAGES packet; ranges follow. */
struct vmbus_xfer_page_hdr {
	struct vmbus_pkt_desc desc;
	uint16_t xfer_pageset_id; /* the receive buffer id the guest chose */
	uint8_t sender_owns_set;
	uint8_t reserved;
	uint32_t range_count;
};
HV_ASSERT_SIZE(struct vmbus_xfer_page_hdr, 24);

/*
 * Guest->host monitor page (UIO map 2). A guest signals the channel with
 * monitor id M by setting bit M % 32 of trigger_group[M / 32].pending.
 */
#define VMBUS_MONITOR_GROUPS 4u
#define VMBUS_MONITOR_PER_GROUP 32u
#define VMBUS_MONITOR_ID_MAX (VMBUS_MONITOR_GROUPS * VMBUS_MONITOR_PER_GROUP)

struct vmbus_monitor_trigger_group {
	uint32_t pending;
	uint32_t armed;
};
HV_ASSERT_SIZE(struct vmbus_monitor_trigger_group, 8);

struct vmbus_monitor_param {
	uint32_t connection_id;
	uint16_t flag_number;
	uint16_t reserved;
};
HV_ASSERT_SIZE(struct vmbus_monitor_param, 8);

struct vmbus_monitor_page {
	uint32_t trigger_state;
	uint32_t reserved1;
	struct vmbus_monitor_trigger_group trigger_group[VMBUS_MONITOR_GROUPS];
	uint8_t reserved2[536];
	/* Host polling latency per monitor id, in 100 ns units. */
	uint16_t latency[VMBUS_MONITOR_GROUPS][VMBUS_MONITOR_PER_GROUP];
	uint8_t reserved3[256];
	struct vmbus_monitor_param parameter[VMBUS_MONITOR_GROUPS]
					    [VMBUS_MONITOR_PER_GROUP];
	uint8_t reserved4[1984];
};
HV_ASSERT_SIZE(struct vmbus_monitor_page, HV_PAGE_SIZE);
HV_ASSERT_OFFSET(struct vmbus_monitor_page, trigger_group, 8);
HV_ASSERT_OFFSET(struct vmbus_monitor_page, latency, 576);
HV_ASSERT_OFFSET(struct vmbus_monitor_page, parameter, 1088);

/*
 * Interrupt page (UIO map 1): bit <relid> of the first half is
 * host->guest (legacy), of the second half guest->host.
 */
#define VMBUS_INT_PAGE_SEND_OFFSET (HV_PAGE_SIZE / 2)
#define VMBUS_RELID_MAX (VMBUS_INT_PAGE_SEND_OFFSET * 8u)

#endif /* VMBUS_WIRE_H */
