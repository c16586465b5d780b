/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RNDIS wire formats as carried over NVSP: message types, control
 * messages, status codes, OIDs, the data PACKET_MSG header, per-packet-info
 * (PPI) elements and their bitfields, and the config parameter record.
 *
 * All fields are little-endian u32 unless stated. Every message starts
 * with {type, msg_len}. Offsets named "*_offset" inside a message body are
 * relative to byte 8 (the field after msg_len), not to the message start:
 * RNDIS_BODY_OFFSET converts between the two.
 */
#ifndef RNDIS_WIRE_H
#define RNDIS_WIRE_H

#include <stdint.h>

#include "hv_compiler.h"

/* Body offsets count from here (just after type and msg_len). */
#define RNDIS_BODY_OFFSET 8u

/* Message types. A completion is its request type with bit 31 set. */
#define RNDIS_MSG_PACKET 0x00000001u
#define RNDIS_MSG_INIT 0x00000002u
#define RNDIS_MSG_HALT 0x00000003u
#define RNDIS_MSG_QUERY 0x00000004u
#define RNDIS_MSG_SET 0x00000005u
#define RNDIS_MSG_RESET 0x00000006u
#define RNDIS_MSG_INDICATE_STATUS 0x00000007u
#define RNDIS_MSG_KEEPALIVE 0x00000008u
#define RNDIS_MSG_SET_EX 0x00000009u
#define RNDIS_MSG_CMPLT_FLAG 0x80000000u
#define RNDIS_MSG_INIT_CMPLT 0x80000002u
#define RNDIS_MSG_QUERY_CMPLT 0x80000004u
#define RNDIS_MSG_SET_CMPLT 0x80000005u
#define RNDIS_MSG_RESET_CMPLT 0x80000006u
#define RNDIS_MSG_KEEPALIVE_CMPLT 0x80000008u
#define RNDIS_MSG_SET_EX_CMPLT 0x80000009u

/* Status codes (completion status and INDICATE_STATUS status). */
#define RNDIS_STATUS_SUCCESS 0x00000000u
#define RNDIS_STATUS_PENDING 0x00000103u
#define RNDIS_STATUS_BUFFER_OVERFLOW 0x80000005u
#define RNDIS_STATUS_FAILURE 0xC0000001u
#define RNDIS_STATUS_RESOURCES 0xC000009Au
#define RNDIS_STATUS_NOT_SUPPORTED 0xC00000BBu
#define RNDIS_STATUS_BAD_VERSION 0xC0010004u
#define RNDIS_STATUS_INVALID_LENGTH 0xC0010014u
#define RNDIS_STATUS_INVALID_DATA 0xC0010015u
#define RNDIS_STATUS_INVALID_OID 0xC0010017u

/* Status indications (rndis_indicate_status.status). */
#define RNDIS_STATUS_MEDIA_CONNECT 0x4001000Bu
#define RNDIS_STATUS_MEDIA_DISCONNECT 0x4001000Cu
#define RNDIS_STATUS_LINK_SPEED_CHANGE 0x40010013u /* u32, 100 bps units */
#define RNDIS_STATUS_NETWORK_CHANGE 0x40010018u
#define RNDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG 0x40020006u

/* Protocol version and the transfer size Linux and DPDK offer. */
#define RNDIS_VERSION_MAJOR 1u
#define RNDIS_VERSION_MINOR 0u
#define RNDIS_MAX_XFER_SIZE_DEFAULT 0x4000u
#define RNDIS_DEVICE_FLAG_CONNECTIONLESS 0x1u
#define RNDIS_MEDIUM_802_3 0x0u

/* OIDs used by netvsc drivers (Q = query, S = set). */
#define RNDIS_OID_GEN_SUPPORTED_LIST 0x00010101u
#define RNDIS_OID_GEN_HARDWARE_STATUS 0x00010102u
#define RNDIS_OID_GEN_MEDIA_SUPPORTED 0x00010103u
#define RNDIS_OID_GEN_MEDIA_IN_USE 0x00010104u
#define RNDIS_OID_GEN_MAXIMUM_LOOKAHEAD 0x00010105u
#define RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE 0x00010106u
#define RNDIS_OID_GEN_LINK_SPEED 0x00010107u
#define RNDIS_OID_GEN_CURRENT_PACKET_FILTER 0x0001010Eu
#define RNDIS_OID_GEN_MAXIMUM_TOTAL_SIZE 0x00010111u
#define RNDIS_OID_GEN_MAC_OPTIONS 0x00010113u
#define RNDIS_OID_GEN_MEDIA_CONNECT_STATUS 0x00010114u
#define RNDIS_OID_GEN_MAXIMUM_SEND_PACKETS 0x00010115u
#define RNDIS_OID_GEN_VENDOR_DRIVER_VERSION 0x00010116u
#define RNDIS_OID_GEN_NETWORK_LAYER_ADDRESSES 0x00010118u
#define RNDIS_OID_GEN_RECEIVE_SCALE_CAPABILITIES 0x00010203u
#define RNDIS_OID_GEN_RECEIVE_SCALE_PARAMETERS 0x00010204u
#define RNDIS_OID_GEN_MAX_LINK_SPEED 0x00010206u
#define RNDIS_OID_GEN_LINK_STATE 0x00010207u
#define RNDIS_OID_GEN_RNDIS_CONFIG_PARAMETER 0x0001021Bu
#define RNDIS_OID_GEN_FRIENDLY_NAME 0x00020216u
#define RNDIS_OID_802_3_PERMANENT_ADDRESS 0x01010101u
#define RNDIS_OID_802_3_CURRENT_ADDRESS 0x01010102u
#define RNDIS_OID_802_3_MULTICAST_LIST 0x01010103u
#define RNDIS_OID_802_3_MAXIMUM_LIST_SIZE 0x01010104u
#define RNDIS_OID_OFFLOAD_ENCAPSULATION 0x0101010Au
#define RNDIS_OID_TCP_OFFLOAD_CURRENT_CONFIG 0xFC01020Bu
#define RNDIS_OID_TCP_OFFLOAD_PARAMETERS 0xFC01020Cu
#define RNDIS_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES 0xFC01020Du

/* RNDIS_OID_GEN_MEDIA_CONNECT_STATUS values. */
#define RNDIS_MEDIA_STATE_CONNECTED 0u
#define RNDIS_MEDIA_STATE_DISCONNECTED 1u

/* RNDIS_OID_GEN_CURRENT_PACKET_FILTER bits (the ones netvsc uses). */
#define RNDIS_PACKET_TYPE_DIRECTED 0x00000001u
#define RNDIS_PACKET_TYPE_MULTICAST 0x00000002u
#define RNDIS_PACKET_TYPE_ALL_MULTICAST 0x00000004u
#define RNDIS_PACKET_TYPE_BROADCAST 0x00000008u
#define RNDIS_PACKET_TYPE_SOURCE_ROUTING 0x00000010u
#define RNDIS_PACKET_TYPE_PROMISCUOUS 0x00000020u
#define RNDIS_PACKET_TYPE_SMT 0x00000040u
#define RNDIS_PACKET_TYPE_ALL_LOCAL 0x00000080u

/* Common header of every RNDIS message. */
struct rndis_msg_hdr {
	uint32_t type;
	uint32_t msg_len; /* whole message, header included */
};
HV_ASSERT_SIZE(struct rndis_msg_hdr, 8);

/* RNDIS_MSG_INIT, guest->host. */
struct rndis_init_req {
	uint32_t type;
	uint32_t msg_len;
	uint32_t rid;
	uint32_t major;
	uint32_t minor;
	uint32_t max_xfer_size;
};
HV_ASSERT_SIZE(struct rndis_init_req, 24);

/* RNDIS_MSG_INIT_CMPLT, host->guest. */
struct rndis_init_cmplt {
	uint32_t type;
	uint32_t msg_len;
	uint32_t rid;
	uint32_t status;
	uint32_t major;
	uint32_t minor;
	uint32_t device_flags;  /* RNDIS_DEVICE_FLAG_* */
	uint32_t medium;        /* RNDIS_MEDIUM_* */
	uint32_t max_pkts_per_msg;
	uint32_t max_xfer_size;
	uint32_t pkt_align_factor; /* log2 of the aggregation alignment */
	uint32_t af_list_offset;
	uint32_t af_list_size;
};
HV_ASSERT_SIZE(struct rndis_init_cmplt, 52);
HV_ASSERT_OFFSET(struct rndis_init_cmplt, pkt_align_factor, 40);

/*
 * RNDIS_MSG_HALT (no response) and RNDIS_MSG_KEEPALIVE, guest->host;
 * RNDIS_MSG_RESET (reserved instead of rid), guest->host.
 */
struct rndis_rid_req {
	uint32_t type;
	uint32_t msg_len;
	uint32_t rid;
};
HV_ASSERT_SIZE(struct rndis_rid_req, 12);

/* RNDIS_MSG_QUERY and RNDIS_MSG_SET, guest->host; info buffer follows. */
struct rndis_oid_req {
	uint32_t type;
	uint32_t msg_len;
	uint32_t rid;
	uint32_t oid;
	uint32_t info_buflen;
	uint32_t info_buf_offset; /* from RNDIS_BODY_OFFSET */
	uint32_t device_vc_handle; /* 0 */
};
HV_ASSERT_SIZE(struct rndis_oid_req, 28);

/* Guests put the info buffer right after the request: body offset 20. */
#define RNDIS_OID_REQ_INFO_OFFSET \
	((uint32_t)sizeof(struct rndis_oid_req) - RNDIS_BODY_OFFSET)

/* RNDIS_MSG_QUERY_CMPLT, host->guest; info buffer follows. */
struct rndis_query_cmplt {
	uint32_t type;
	uint32_t msg_len;
	uint32_t rid;
	uint32_t status;
	uint32_t info_buflen;
	uint32_t info_buf_offset; /* from RNDIS_BODY_OFFSET, >= 16 */
};
HV_ASSERT_SIZE(struct rndis_query_cmplt, 24);

#define RNDIS_QUERY_CMPLT_INFO_OFFSET \
	((uint32_t)sizeof(struct rndis_query_cmplt) - RNDIS_BODY_OFFSET)

/* RNDIS_MSG_SET_CMPLT and RNDIS_MSG_KEEPALIVE_CMPLT, host->guest. */
struct rndis_rid_cmplt {
	uint32_t type;
	uint32_t msg_len;
	uint32_t rid;
	uint32_t status;
};
HV_ASSERT_SIZE(struct rndis_rid_cmplt, 16);

/* RNDIS_MSG_RESET_CMPLT, host->guest: carries no rid. */
struct rndis_reset_cmplt {
	uint32_t type;
	uint32_t msg_len;
	uint32_t status;
	uint32_t addressing_reset;
};
HV_ASSERT_SIZE(struct rndis_reset_cmplt, 16);

/* RNDIS_MSG_INDICATE_STATUS, host->guest only; status buffer follows. */
struct rndis_indicate_status {
	uint32_t type;
	uint32_t msg_len;
	uint32_t status;            /* RNDIS_STATUS_MEDIA_* ... */
	uint32_t status_buflen;
	uint32_t status_buf_offset; /* from RNDIS_BODY_OFFSET; 0 if no buffer */
};
HV_ASSERT_SIZE(struct rndis_indicate_status, 20);

#define RNDIS_INDICATE_STATUS_BUF_OFFSET \
	((uint32_t)sizeof(struct rndis_indicate_status) - RNDIS_BODY_OFFSET)

/*
 * RNDIS_MSG_PACKET, both directions: one Ethernet frame plus its PPIs.
 * The VLAN tag always travels out of band in a PPI.
 */
struct rndis_packet_msg {
	uint32_t type;
	uint32_t msg_len;           /* header + PPIs + frame (+ padding) */
	uint32_t data_offset;       /* from RNDIS_BODY_OFFSET, >= 36 */
	uint32_t data_len;          /* frame length, != 0 */
	uint32_t oob_data_offset;   /* 0 */
	uint32_t oob_data_len;      /* 0 */
	uint32_t num_oob_data_elements; /* 0 */
	uint32_t ppi_offset;        /* from RNDIS_BODY_OFFSET; 0 or >= 36 */
	uint32_t ppi_len;           /* total bytes of PPI elements */
	uint32_t vc_handle;         /* 0 */
	uint32_t reserved;          /* 0 */
};
HV_ASSERT_SIZE(struct rndis_packet_msg, 44);
HV_ASSERT_OFFSET(struct rndis_packet_msg, ppi_offset, 28);

/* Smallest body offset of the data or the PPIs: the rest of the header. */
#define RNDIS_PACKET_BODY_MIN \
	((uint32_t)sizeof(struct rndis_packet_msg) - RNDIS_BODY_OFFSET)

/* Per-packet-info element header; the value starts at ppi_offset. */
struct rndis_ppi_hdr {
	uint32_t size;       /* whole element, header included, multiple of 4 */
	uint32_t type;       /* RNDIS_PPI_*; bit 31 = internal */
	uint32_t ppi_offset; /* value offset from element start, normally 12 */
};
HV_ASSERT_SIZE(struct rndis_ppi_hdr, 12);

#define RNDIS_PPI_ALIGN 4u

/* PPI types. Types 8 and 9 are reused for the RSS hash value and info. */
#define RNDIS_PPI_CHECKSUM 0u
#define RNDIS_PPI_IPSEC 1u
#define RNDIS_PPI_LSO 2u
#define RNDIS_PPI_CLASSIFICATION_HANDLE 3u
#define RNDIS_PPI_SG_LIST 5u
#define RNDIS_PPI_VLAN 6u
#define RNDIS_PPI_ORIGINAL 7u
#define RNDIS_PPI_HASH_VALUE 8u  /* a.k.a. PACKET_CANCEL_ID */
#define RNDIS_PPI_HASH_INFO 9u   /* a.k.a. ORIGINAL_NET_BUFLIST */
#define RNDIS_PPI_CACHED_NET_BUFLIST 10u
#define RNDIS_PPI_SHORT_PKT_PADINFO 11u
#define RNDIS_PPI_INTERNAL 0x80000000u
#define RNDIS_PPI_PKTINFO_ID 0x80000001u /* RSC fragment id, RX only */

/* Checksum PPI, TX request. */
#define RNDIS_TXCSUM_IPV4 0x00000001u
#define RNDIS_TXCSUM_IPV6 0x00000002u
#define RNDIS_TXCSUM_TCP 0x00000004u
#define RNDIS_TXCSUM_UDP 0x00000008u
#define RNDIS_TXCSUM_IP 0x00000010u
#define RNDIS_TXCSUM_L4_OFFSET_SHIFT 16
#define RNDIS_TXCSUM_L4_OFFSET_MAX 0x3FFu /* 10 bits */

/* Checksum PPI, RX result. */
#define RNDIS_RXCSUM_TCP_FAILED 0x00000001u
#define RNDIS_RXCSUM_UDP_FAILED 0x00000002u
#define RNDIS_RXCSUM_IP_FAILED 0x00000004u
#define RNDIS_RXCSUM_TCP_OK 0x00000008u
#define RNDIS_RXCSUM_UDP_OK 0x00000010u
#define RNDIS_RXCSUM_IP_OK 0x00000020u
#define RNDIS_RXCSUM_LOOPBACK 0x00000040u
#define RNDIS_RXCSUM_TCP_VALUE_INVALID 0x00000080u
#define RNDIS_RXCSUM_IP_VALUE_INVALID 0x00000100u

/* LSOv2 PPI (TX): MSS, TCP header offset, type and IP version. */
#define RNDIS_LSO2_MSS_MAX 0x000FFFFFu /* bits 0-19 */
#define RNDIS_LSO2_TCP_OFFSET_SHIFT 20
#define RNDIS_LSO2_TCP_OFFSET_MAX 0x3FFu /* bits 20-29 */
#define RNDIS_LSO2_TYPE_V2 0x40000000u /* bit 30 */
#define RNDIS_LSO2_IPV6 0x80000000u    /* bit 31; clear = IPv4 */

/* VLAN PPI: priority in bits 0-2, CFI/DEI bit 3, VLAN id bits 4-15. */
#define RNDIS_VLAN_PRIO_MASK 0x0007u
#define RNDIS_VLAN_CFI 0x0008u
#define RNDIS_VLAN_ID_SHIFT 4
#define RNDIS_VLAN_ID_MASK 0x0FFFu

/* PKTINFO_ID PPI value: u8 version, u8 flags, u16 packet id. */
#define RNDIS_PKTINFO_ID_VERSION 1u
#define RNDIS_PKTINFO_SUBALLOC 0x01u
#define RNDIS_PKTINFO_FIRST_FRAG 0x02u
#define RNDIS_PKTINFO_LAST_FRAG 0x04u

/*
 * Info buffer of a SET of RNDIS_OID_GEN_RNDIS_CONFIG_PARAMETER. Offsets
 * are from the start of this record; name and value are UTF-16LE without
 * a terminator.
 */
struct rndis_config_param {
	uint32_t name_offset;
	uint32_t name_len;  /* bytes */
	uint32_t type;      /* RNDIS_CONFIG_PARAM_* */
	uint32_t value_offset;
	uint32_t value_len; /* bytes */
};
HV_ASSERT_SIZE(struct rndis_config_param, 20);

#define RNDIS_CONFIG_PARAM_INTEGER 0u
#define RNDIS_CONFIG_PARAM_STRING 2u
/* Hosts refuse longer names or values. */
#define RNDIS_CONFIG_PARAM_MAX_LEN 255u

/*
 * Largest pkt_align_factor accepted: a page. A larger shift is either
 * undefined (>= 32) or would make aggregation pointless.
 */
#define RNDIS_PKT_ALIGN_FACTOR_MAX 12u

#endif /* RNDIS_WIRE_H */
