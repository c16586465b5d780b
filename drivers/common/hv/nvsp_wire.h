/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVSP (network virtual service provider) wire formats: the messages a
 * netvsc guest and its host exchange inside VMBus channel packets.
 *
 * Every message starts with a u32 type. Guests pad every request to
 * NVSP_REQ_SIZE (40) bytes. Hosts send responses and notifications of
 * NVSP_RESP_SIZE_V1 (28) bytes below NVSP 6.1 and NVSP_RESP_SIZE_V61 (40)
 * from 6.1 on; so host->guest structs here carry only their fields and
 * the builders pad them. All fields are little-endian.
 */
#ifndef NVSP_WIRE_H
#define NVSP_WIRE_H

#include <stdint.h>

#include "hv_compiler.h"

/* Protocol versions, numerically ordered (major << 16 | minor). */
#define NVSP_VERSION_1 0x00000002u
#define NVSP_VERSION_2 0x00030002u
#define NVSP_VERSION_4 0x00040000u
#define NVSP_VERSION_5 0x00050000u
#define NVSP_VERSION_6 0x00060000u
#define NVSP_VERSION_61 0x00060001u

/* NDIS version a guest announces: 6.1 up to NVSP 4, 6.30 from NVSP 5. */
#define NVSP_NDIS_VERSION_6_1 0x00060001u
#define NVSP_NDIS_VERSION_6_30 0x0006001eu

/* Message sizes (see the top of this file). */
#define NVSP_REQ_SIZE 40u
#define NVSP_RESP_SIZE_V1 28u
#define NVSP_RESP_SIZE_V61 40u

/* Message types. REQ = guest->host, RESP = host->guest completion,
 * NOTE = unsolicited host->guest. */
enum nvsp_msg_type {
	NVSP_MSG_TYPE_NONE = 0,
	NVSP_MSG_TYPE_INIT = 1,                       /* REQ */
	NVSP_MSG_TYPE_INIT_COMPLETE = 2,              /* RESP */
	/* NVSP 1 */
	NVSP_MSG_TYPE_SEND_NDIS_VERSION = 100,        /* REQ, no response */
	NVSP_MSG_TYPE_SEND_RECV_BUF = 101,            /* REQ */
	NVSP_MSG_TYPE_SEND_RECV_BUF_COMPLETE = 102,   /* RESP */
	NVSP_MSG_TYPE_REVOKE_RECV_BUF = 103,          /* REQ, no response */
	NVSP_MSG_TYPE_SEND_SEND_BUF = 104,            /* REQ */
	NVSP_MSG_TYPE_SEND_SEND_BUF_COMPLETE = 105,   /* RESP */
	NVSP_MSG_TYPE_REVOKE_SEND_BUF = 106,          /* REQ, no response */
	NVSP_MSG_TYPE_SEND_RNDIS_PKT = 107,           /* both directions */
	NVSP_MSG_TYPE_SEND_RNDIS_PKT_COMPLETE = 108,  /* both directions */
	/* NVSP 2: chimney and VMQ, deprecated and unused */
	NVSP_MSG_TYPE_SEND_CHIMNEY_DELEGATED_BUF = 109,
	NVSP_MSG_TYPE_SEND_CHIMNEY_DELEGATED_BUF_COMPLETE = 110,
	NVSP_MSG_TYPE_REVOKE_CHIMNEY_DELEGATED_BUF = 111,
	NVSP_MSG_TYPE_RESUME_CHIMNEY_RX_INDICATION = 112,
	NVSP_MSG_TYPE_TERMINATE_CHIMNEY = 113,
	NVSP_MSG_TYPE_TERMINATE_CHIMNEY_COMPLETE = 114,
	NVSP_MSG_TYPE_INDICATE_CHIMNEY_EVENT = 115,
	NVSP_MSG_TYPE_SEND_CHIMNEY_PKT = 116,
	NVSP_MSG_TYPE_SEND_CHIMNEY_PKT_COMPLETE = 117,
	NVSP_MSG_TYPE_POST_CHIMNEY_RECV_REQ = 118,
	NVSP_MSG_TYPE_POST_CHIMNEY_RECV_REQ_COMPLETE = 119,
	NVSP_MSG_TYPE_ALLOC_RECV_BUF = 120,
	NVSP_MSG_TYPE_ALLOC_RECV_BUF_COMPLETE = 121,
	NVSP_MSG_TYPE_FREE_RECV_BUF = 122,
	NVSP_MSG_TYPE_SEND_VMQ_RNDIS_PKT = 123,
	NVSP_MSG_TYPE_SEND_VMQ_RNDIS_PKT_COMPLETE = 124,
	NVSP_MSG_TYPE_SEND_NDIS_CONFIG = 125,         /* REQ, no response */
	NVSP_MSG_TYPE_ALLOC_CHIMNEY_HANDLE = 126,
	NVSP_MSG_TYPE_ALLOC_CHIMNEY_HANDLE_COMPLETE = 127,
	/* NVSP 4 */
	NVSP_MSG_TYPE_SEND_VF_ASSOCIATION = 128,      /* NOTE */
	NVSP_MSG_TYPE_SWITCH_DATA_PATH = 129,         /* REQ and NOTE */
	NVSP_MSG_TYPE_UPLINK_CONNECT_STATE = 130,     /* deprecated */
	/* NVSP 5 */
	NVSP_MSG_TYPE_OID_QUERY_EX = 131,             /* REQ */
	NVSP_MSG_TYPE_OID_QUERY_EX_COMPLETE = 132,    /* RESP */
	NVSP_MSG_TYPE_SUBCHANNEL = 133,               /* REQ and RESP */
	NVSP_MSG_TYPE_SEND_INDIRECTION_TABLE = 134,   /* NOTE */
	/* NVSP 6: PacketDirect, unused */
	NVSP_MSG_TYPE_PD_API = 135,
	NVSP_MSG_TYPE_PD_POST_BATCH = 136,
};

/* Status codes carried by completions. */
enum nvsp_status {
	NVSP_STATUS_NONE = 0,
	NVSP_STATUS_SUCCESS = 1,
	NVSP_STATUS_FAILURE = 2,
	NVSP_STATUS_PROTOCOL_TOO_NEW = 3,
	NVSP_STATUS_PROTOCOL_TOO_OLD = 4,
	NVSP_STATUS_INVALID_RNDIS_PKT = 5,
	NVSP_STATUS_BUSY = 6,
	NVSP_STATUS_PROTOCOL_UNSUPPORTED = 7,
};

/* Buffer ids guests choose (the host echoes the receive one in type-7
 * packets as xfer_pageset_id). */
#define NVSP_RECV_BUF_ID 0xcafeu
#define NVSP_SEND_BUF_ID 0xfaceu

/* NDIS_CONFIG capability bits. */
#define NVSP_NDIS_CAP_VMQ 0x01ull
#define NVSP_NDIS_CAP_CHIMNEY 0x02ull
#define NVSP_NDIS_CAP_SRIOV 0x04ull
#define NVSP_NDIS_CAP_IEEE8021Q 0x08ull
#define NVSP_NDIS_CAP_CORRELATION_ID 0x10ull
#define NVSP_NDIS_CAP_TEAMING 0x20ull
#define NVSP_NDIS_CAP_VIRTUAL_SUBNET_ID 0x40ull
#define NVSP_NDIS_CAP_RSC 0x80ull

/* SEND_RNDIS_PKT channel types and the "no send-buffer section" index. */
#define NVSP_CHANNEL_TYPE_DATA 0u
#define NVSP_CHANNEL_TYPE_CONTROL 1u
#define NVSP_SECTION_INDEX_NONE 0xffffffffu

/* INIT_COMPLETE.negotiated_version as hosts fill it (deprecated field). */
#define NVSP_INIT_NEGOTIATED_V1 0x00000002u
#define NVSP_INIT_NEGOTIATED_UNUSED 0xffffffffu
#define NVSP_INIT_MAX_MDL_CHAIN_LEN 34u

#define NVSP_SUBCHANNEL_OP_ALLOCATE 1u

#define NVSP_DATAPATH_SYNTHETIC 0u
#define NVSP_DATAPATH_VF 1u

/* Smallest sub-allocation / section a guest accepts (Linux). */
#define NVSP_MIN_SECTION_SIZE 68u

#define NVSP_INDIRECTION_TABLE_COUNT 16u
/*
 * Where the table really sits when NVSP <= 6: hosts of that era report
 * a too-small offset, so guests use header + 36-byte message union.
 */
#define NVSP_INDIRECTION_TABLE_V6_OFFSET 40u

struct nvsp_hdr {
	uint32_t type; /* enum nvsp_msg_type */
};
HV_ASSERT_SIZE(struct nvsp_hdr, 4);

/* NVSP_MSG_TYPE_INIT, guest->host (inband, RC). */
struct nvsp_init {
	uint32_t type;
	uint32_t min_version;
	uint32_t max_version;
	uint8_t pad[28];
};
HV_ASSERT_SIZE(struct nvsp_init, NVSP_REQ_SIZE);

/* NVSP_MSG_TYPE_INIT_COMPLETE, host->guest (completion). */
struct nvsp_init_complete {
	uint32_t type;
	uint32_t negotiated_version; /* deprecated, see NVSP_INIT_* */
	uint32_t max_mdl_chain_len;
	uint32_t status;
};
HV_ASSERT_SIZE(struct nvsp_init_complete, 16);

/* NVSP_MSG_TYPE_SEND_NDIS_VERSION, guest->host (inband, no response). */
struct nvsp_ndis_version {
	uint32_t type;
	uint32_t ndis_major;
	uint32_t ndis_minor;
	uint8_t pad[28];
};
HV_ASSERT_SIZE(struct nvsp_ndis_version, NVSP_REQ_SIZE);

/* NVSP_MSG_TYPE_SEND_RECV_BUF / SEND_SEND_BUF, guest->host (RC). */
struct nvsp_send_buf {
	uint32_t type;
	uint32_t gpadl;
	uint16_t id;
	uint8_t pad[30];
};
HV_ASSERT_SIZE(struct nvsp_send_buf, NVSP_REQ_SIZE);

struct nvsp_recv_buf_section {
	uint32_t offset;
	uint32_t sub_alloc_size;
	uint32_t num_sub_allocs;
	uint32_t end_offset;
};
HV_ASSERT_SIZE(struct nvsp_recv_buf_section, 16);

/* NVSP_MSG_TYPE_SEND_RECV_BUF_COMPLETE, host->guest (completion). */
struct nvsp_recv_buf_complete {
	uint32_t type;
	uint32_t status;
	uint32_t num_sections;
	struct nvsp_recv_buf_section section; /* the one guests accept */
};
HV_ASSERT_SIZE(struct nvsp_recv_buf_complete, 28);
HV_ASSERT_OFFSET(struct nvsp_recv_buf_complete, section, 12);

/* NVSP_MSG_TYPE_REVOKE_RECV_BUF / REVOKE_SEND_BUF, guest->host. */
struct nvsp_revoke_buf {
	uint32_t type;
	uint16_t id;
	uint8_t pad[34];
};
HV_ASSERT_SIZE(struct nvsp_revoke_buf, NVSP_REQ_SIZE);

/* NVSP_MSG_TYPE_SEND_SEND_BUF_COMPLETE, host->guest (completion). */
struct nvsp_send_buf_complete {
	uint32_t type;
	uint32_t status;
	uint32_t section_size;
};
HV_ASSERT_SIZE(struct nvsp_send_buf_complete, 12);

/* NVSP_MSG_TYPE_SEND_RNDIS_PKT, guest->host (inband or GPA-direct, RC)
 * and host->guest (transfer pages). */
struct nvsp_rndis_pkt {
	uint32_t type;
	uint32_t channel_type;  /* NVSP_CHANNEL_TYPE_* */
	uint32_t section_index; /* or NVSP_SECTION_INDEX_NONE */
	uint32_t section_size;  /* 0 without a section */
	uint8_t pad[24];
};
HV_ASSERT_SIZE(struct nvsp_rndis_pkt, NVSP_REQ_SIZE);
HV_ASSERT_OFFSET(struct nvsp_rndis_pkt, section_size, 12);

/* NVSP_MSG_TYPE_SEND_RNDIS_PKT_COMPLETE, both directions (completion):
 * host's TX completion and the guest's RX ACK. */
struct nvsp_rndis_pkt_complete {
	uint32_t type;
	uint32_t status; /* SUCCESS or FAILURE */
	uint8_t pad[32];
};
HV_ASSERT_SIZE(struct nvsp_rndis_pkt_complete, NVSP_REQ_SIZE);

/* NVSP_MSG_TYPE_SEND_NDIS_CONFIG, guest->host (inband, no response). */
struct nvsp_ndis_config {
	uint32_t type;
	uint32_t mtu;          /* L2 MTU including the Ethernet header */
	uint32_t reserved;
	uint64_t capabilities; /* NVSP_NDIS_CAP_*; unaligned on the wire */
	uint8_t pad[20];
} HV_PACKED;
HV_ASSERT_SIZE(struct nvsp_ndis_config, NVSP_REQ_SIZE);
HV_ASSERT_OFFSET(struct nvsp_ndis_config, capabilities, 12);

/* NVSP_MSG_TYPE_SEND_VF_ASSOCIATION, host->guest (inband). */
struct nvsp_vf_association {
	uint32_t type;
	uint32_t allocated; /* 1 = VF present and serial valid */
	uint32_t serial;
};
HV_ASSERT_SIZE(struct nvsp_vf_association, 12);

/* NVSP_MSG_TYPE_SWITCH_DATA_PATH, guest->host request (padded to 40)
 * and host->guest notification (this struct, padded by the builder). */
struct nvsp_switch_data_path {
	uint32_t type;
	uint32_t active_datapath; /* NVSP_DATAPATH_* */
};
HV_ASSERT_SIZE(struct nvsp_switch_data_path, 8);

/* NVSP_MSG_TYPE_OID_QUERY_EX, guest->host (RC). */
struct nvsp_oid_query_ex {
	uint32_t type;
	uint8_t ndis_hdr[4]; /* NDIS object header */
	uint32_t oid;
	uint8_t pad[28];
};
HV_ASSERT_SIZE(struct nvsp_oid_query_ex, NVSP_REQ_SIZE);

/* NVSP_MSG_TYPE_OID_QUERY_EX_COMPLETE, host->guest (completion). */
struct nvsp_oid_query_ex_complete {
	uint32_t type;
	uint32_t status;
	uint32_t bytes;
};
HV_ASSERT_SIZE(struct nvsp_oid_query_ex_complete, 12);

/* NVSP_MSG_TYPE_SUBCHANNEL, guest->host request (RC). */
struct nvsp_subchannel_req {
	uint32_t type;
	uint32_t op;              /* NVSP_SUBCHANNEL_OP_ALLOCATE */
	uint32_t num_subchannels; /* requested */
	uint8_t pad[28];
};
HV_ASSERT_SIZE(struct nvsp_subchannel_req, NVSP_REQ_SIZE);

/* NVSP_MSG_TYPE_SUBCHANNEL, host->guest response (completion). */
struct nvsp_subchannel_resp {
	uint32_t type;
	uint32_t status;
	uint32_t num_subchannels; /* allocated, <= requested */
};
HV_ASSERT_SIZE(struct nvsp_subchannel_resp, 12);

/* NVSP_MSG_TYPE_SEND_INDIRECTION_TABLE, host->guest (inband, no RC);
 * count u32 channel indexes follow at offset from the message start. */
struct nvsp_indirection_table {
	uint32_t type;
	uint32_t count;  /* NVSP_INDIRECTION_TABLE_COUNT */
	uint32_t offset; /* see NVSP_INDIRECTION_TABLE_V6_OFFSET */
};
HV_ASSERT_SIZE(struct nvsp_indirection_table, 12);

#endif /* NVSP_WIRE_H */
