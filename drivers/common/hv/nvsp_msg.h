/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVSP messages: builders and validators for both ends of the channel.
 *
 * Guest side: nvsp_build_*() write a 40-byte request, nvsp_parse_*()
 * validate a host response or notification and copy it into a parsed
 * struct. Host side (the emulator): nvsp_host_parse_request() validates
 * any guest request against the negotiated version, nvsp_host_build_*()
 * write responses and notifications of the size the version calls for.
 *
 * Inputs are the NVSP payload of a channel packet (vmbus_pkt_info.payload
 * and payload_len, tail padding included). Builders return the number of
 * bytes written or -errno. Validators return 0 or:
 *   -EINVAL  too short, or a field with an impossible value
 *   -EPROTO  wrong message type, a type not allowed at this version, or
 *            a non-success status (the status is still copied out)
 *   -ERANGE  a count, offset or size outside what the buffer allows
 *   -ENOTSUP INIT_COMPLETE refusing the version (try the next one)
 * Sequencing (duplicates, ordering) is the caller's business.
 */
#ifndef NVSP_MSG_H
#define NVSP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nvsp_wire.h"

/* Versions in guest preference order: 6.1, 6, 5, 4, 2, 1. */
#define NVSP_VERSION_COUNT 6u
extern const uint32_t nvsp_versions[NVSP_VERSION_COUNT];

/* Version-independent INIT may be validated before negotiation. */
#define NVSP_VERSION_NONE 0u

struct nvsp_init_info {
	uint32_t negotiated_version; /* deprecated field, informational */
	uint32_t max_mdl_chain_len;
	uint32_t status;
};

struct nvsp_recv_buf_info {
	uint32_t status;
	uint32_t num_sections;
	uint32_t sub_alloc_size;
	uint32_t num_sub_allocs;
};

struct nvsp_send_buf_info {
	uint32_t status;
	uint32_t section_size;
	uint32_t section_count; /* buffer size / section size */
};

struct nvsp_subchannel_info {
	uint32_t status;
	uint32_t num_subchannels; /* allocated */
};

struct nvsp_vf_info {
	bool allocated;
	uint32_t serial;
};

struct nvsp_rndis_pkt_info {
	uint32_t channel_type;
	uint32_t section_index;
	uint32_t section_size;
};

struct nvsp_indirection_info {
	uint32_t table[NVSP_INDIRECTION_TABLE_COUNT];
};

/* A guest request as the host sees it; which member is set follows type. */
struct nvsp_request {
	uint32_t type;
	union {
		struct {
			uint32_t min_version;
			uint32_t max_version;
		} init;
		struct {
			uint32_t major;
			uint32_t minor;
		} ndis_version;
		struct {
			uint32_t mtu;
			uint64_t capabilities;
		} ndis_config;
		struct {
			uint32_t gpadl;
			uint16_t id;
		} buf; /* SEND_RECV_BUF and SEND_SEND_BUF */
		struct {
			uint16_t id;
		} revoke; /* REVOKE_RECV_BUF and REVOKE_SEND_BUF */
		struct nvsp_rndis_pkt_info rndis_pkt;
		struct {
			uint32_t status;
		} rndis_complete; /* the guest's RX ACK */
		struct {
			uint32_t op;
			uint32_t num_subchannels;
		} subchannel;
		struct {
			uint32_t active_datapath;
		} switch_data_path;
		struct {
			uint32_t oid;
		} oid_query;
	};
};

/* Versions and gating. */
bool
nvsp_version_supported(uint32_t version);

/* NDIS version a guest announces at an NVSP version; 0 if unsupported. */
uint32_t
nvsp_ndis_version(uint32_t version);

/* True if type is defined and may be sent at version (INIT: always). */
bool
nvsp_msg_type_allowed(uint32_t type, uint32_t version);

/* Host response size at a negotiated version: 28 below 6.1, else 40. */
size_t
nvsp_resp_size(uint32_t version);

/* Read the type of any message: 0 or -EINVAL if shorter than 4 bytes. */
int
nvsp_msg_type(const void *buf, size_t len, uint32_t *type);

/* Guest: request builders (40 bytes each). */
int
nvsp_build_init(void *buf, size_t size, uint32_t version);
int
nvsp_build_ndis_config(void *buf, size_t size, uint32_t mtu, uint64_t caps);
int
nvsp_build_ndis_version(void *buf, size_t size, uint32_t ndis_version);
int
nvsp_build_send_recv_buf(void *buf, size_t size, uint32_t gpadl,
			 uint16_t id);
int
nvsp_build_send_send_buf(void *buf, size_t size, uint32_t gpadl,
			 uint16_t id);
int
nvsp_build_revoke_recv_buf(void *buf, size_t size, uint16_t id);
int
nvsp_build_revoke_send_buf(void *buf, size_t size, uint16_t id);
int
nvsp_build_rndis_pkt(void *buf, size_t size, uint32_t channel_type,
		     uint32_t section_index, uint32_t section_size);
int
nvsp_build_rndis_pkt_complete(void *buf, size_t size, uint32_t status);
int
nvsp_build_subchannel_req(void *buf, size_t size, uint32_t num_subchannels);
int
nvsp_build_switch_data_path(void *buf, size_t size, uint32_t datapath);

/* Guest: validators of host messages. */
int
nvsp_parse_init_complete(const void *buf, size_t len,
			 struct nvsp_init_info *out);
int
nvsp_parse_recv_buf_complete(const void *buf, size_t len, uint32_t buf_size,
			     struct nvsp_recv_buf_info *out);
int
nvsp_parse_send_buf_complete(const void *buf, size_t len, uint32_t buf_size,
			     struct nvsp_send_buf_info *out);
int
nvsp_parse_subchannel_resp(const void *buf, size_t len, uint32_t requested,
			   struct nvsp_subchannel_info *out);
/* Any status is accepted: a failed send still releases its resources. */
int
nvsp_parse_rndis_pkt_complete(const void *buf, size_t len,
			      uint32_t *status);

/*
 * The same, inlined for the one completion per send: the well-formed
 * message is read here, anything else goes to the parser above (same
 * result and error codes).
 */
static inline int
nvsp_rndis_pkt_complete_status(const void *buf, size_t len, uint32_t *status)
{
	uint32_t w[2];

	if (len >= sizeof(w)) {
		memcpy(w, buf, sizeof(w));
		if (w[0] == NVSP_MSG_TYPE_SEND_RNDIS_PKT_COMPLETE) {
			*status = w[1];
			return 0;
		}
	}
	return nvsp_parse_rndis_pkt_complete(buf, len, status);
}
/* Also used by the host for the guest's SEND_RNDIS_PKT. */
int
nvsp_parse_rndis_pkt(const void *buf, size_t len,
		     struct nvsp_rndis_pkt_info *out);
int
nvsp_parse_vf_association(const void *buf, size_t len,
			  struct nvsp_vf_info *out);
int
nvsp_parse_switch_data_path(const void *buf, size_t len, uint32_t *datapath);
/* Entries are not checked against the channel count: see below. */
int
nvsp_parse_indirection_table(const void *buf, size_t len, uint32_t version,
			     struct nvsp_indirection_info *out);
/* True if every entry names one of nchan channels. */
bool
nvsp_indirection_table_valid(const struct nvsp_indirection_info *t,
			     uint32_t nchan);

/* Host: validate a guest request at the negotiated version (or NONE). */
int
nvsp_host_parse_request(const void *buf, size_t len, uint32_t version,
			struct nvsp_request *out);

/* Host: pick the version for INIT {min, max}; -ENOTSUP if none fits. */
int
nvsp_host_negotiate(uint32_t min_version, uint32_t max_version,
		    uint32_t *version);

/* MTU range a host honours in NDIS_CONFIG (Ethernet header included). */
#define NVSP_HOST_MTU_MIN 1514u
#define NVSP_HOST_MTU_MAX 9216u

/* Host: MTU to use for an NDIS_CONFIG value (out of range: MTU_MIN). */
uint32_t
nvsp_host_mtu(uint32_t mtu);

/* Host: check a SEND_RNDIS_PKT's send-buffer section: 0 or -ERANGE. */
int
nvsp_host_section_check(const struct nvsp_rndis_pkt_info *pkt,
			uint32_t section_size, uint32_t section_count);

/* Host: response and notification builders, sized by version. */
int
nvsp_host_build_init_complete(void *buf, size_t size, uint32_t version,
			      uint32_t status);
int
nvsp_host_build_recv_buf_complete(void *buf, size_t size, uint32_t version,
				  uint32_t status, uint32_t sub_alloc_size,
				  uint32_t num_sub_allocs);
int
nvsp_host_build_send_buf_complete(void *buf, size_t size, uint32_t version,
				  uint32_t status, uint32_t section_size);
int
nvsp_host_build_subchannel_resp(void *buf, size_t size, uint32_t version,
				uint32_t status, uint32_t num_subchannels);
int
nvsp_host_build_rndis_pkt(void *buf, size_t size, uint32_t version,
			  uint32_t channel_type);
int
nvsp_host_build_rndis_pkt_complete(void *buf, size_t size, uint32_t version,
				   uint32_t status);
int
nvsp_host_build_vf_association(void *buf, size_t size, uint32_t version,
			       bool allocated, uint32_t serial);
int
nvsp_host_build_switch_data_path(void *buf, size_t size, uint32_t version,
				 uint32_t datapath);
/*
 * The table goes right after the 12-byte header from NVSP 6.1 on and at
 * NVSP_INDIRECTION_TABLE_V6_OFFSET before, where guests look for it
 * whatever the offset field says; the field always tells the truth.
 */
int
nvsp_host_build_indirection_table(void *buf, size_t size, uint32_t version,
				  const uint32_t table[NVSP_INDIRECTION_TABLE_COUNT]);

#endif /* NVSP_MSG_H */
