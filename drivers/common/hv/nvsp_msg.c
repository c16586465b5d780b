/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVSP message builders and validators (see nvsp_msg.h).
 *
 * Validators copy the message into a zeroed wire struct first and read
 * only the copy: the bytes may live in memory the other side still
 * writes, and the copy also makes field access alignment-safe.
 */
#include <errno.h>
#include <string.h>

#include "nvsp_msg.h"

const uint32_t nvsp_versions[NVSP_VERSION_COUNT] = {
	NVSP_VERSION_61, NVSP_VERSION_6, NVSP_VERSION_5,
	NVSP_VERSION_4,  NVSP_VERSION_2, NVSP_VERSION_1,
};

/*
 * Per-type rules: the version a type appeared in and, for types a guest
 * may send, how many bytes its fields span (guests pad to 40, but Linux's
 * RX ACK is 8 bytes, so the host only requires the fields).
 */
struct nvsp_type_rule {
	uint32_t type;
	uint32_t min_version; /* NVSP_VERSION_NONE: valid before INIT */
	uint32_t req_len;     /* 0: the host never accepts it */
};

static const struct nvsp_type_rule nvsp_type_rules[] = {
	{ NVSP_MSG_TYPE_INIT, NVSP_VERSION_NONE, 12 },
	{ NVSP_MSG_TYPE_INIT_COMPLETE, NVSP_VERSION_NONE, 0 },
	{ NVSP_MSG_TYPE_SEND_NDIS_VERSION, NVSP_VERSION_1, 12 },
	{ NVSP_MSG_TYPE_SEND_RECV_BUF, NVSP_VERSION_1, 10 },
	{ NVSP_MSG_TYPE_SEND_RECV_BUF_COMPLETE, NVSP_VERSION_1, 0 },
	{ NVSP_MSG_TYPE_REVOKE_RECV_BUF, NVSP_VERSION_1, 6 },
	{ NVSP_MSG_TYPE_SEND_SEND_BUF, NVSP_VERSION_1, 10 },
	{ NVSP_MSG_TYPE_SEND_SEND_BUF_COMPLETE, NVSP_VERSION_1, 0 },
	{ NVSP_MSG_TYPE_REVOKE_SEND_BUF, NVSP_VERSION_1, 6 },
	{ NVSP_MSG_TYPE_SEND_RNDIS_PKT, NVSP_VERSION_1, 16 },
	{ NVSP_MSG_TYPE_SEND_RNDIS_PKT_COMPLETE, NVSP_VERSION_1, 8 },
	{ NVSP_MSG_TYPE_SEND_NDIS_CONFIG, NVSP_VERSION_2, 20 },
	{ NVSP_MSG_TYPE_ALLOC_CHIMNEY_HANDLE, NVSP_VERSION_2, 0 },
	{ NVSP_MSG_TYPE_ALLOC_CHIMNEY_HANDLE_COMPLETE, NVSP_VERSION_2, 0 },
	{ NVSP_MSG_TYPE_SEND_VF_ASSOCIATION, NVSP_VERSION_4, 0 },
	{ NVSP_MSG_TYPE_SWITCH_DATA_PATH, NVSP_VERSION_4, 8 },
	{ NVSP_MSG_TYPE_UPLINK_CONNECT_STATE, NVSP_VERSION_4, 0 },
	{ NVSP_MSG_TYPE_OID_QUERY_EX, NVSP_VERSION_5, 12 },
	{ NVSP_MSG_TYPE_OID_QUERY_EX_COMPLETE, NVSP_VERSION_5, 0 },
	{ NVSP_MSG_TYPE_SUBCHANNEL, NVSP_VERSION_5, 12 },
	{ NVSP_MSG_TYPE_SEND_INDIRECTION_TABLE, NVSP_VERSION_5, 0 },
	{ NVSP_MSG_TYPE_PD_API, NVSP_VERSION_6, 0 },
	{ NVSP_MSG_TYPE_PD_POST_BATCH, NVSP_VERSION_6, 0 },
};

/* The deprecated v2 chimney/VMQ block, defined but never accepted. */
static const struct nvsp_type_rule nvsp_v2_chimney_rule = {
	0, NVSP_VERSION_2, 0
};

static const struct nvsp_type_rule *
type_rule(uint32_t type)
{
	if (type >= NVSP_MSG_TYPE_SEND_CHIMNEY_DELEGATED_BUF &&
	    type <= NVSP_MSG_TYPE_SEND_VMQ_RNDIS_PKT_COMPLETE)
		return &nvsp_v2_chimney_rule;
	for (size_t i = 0; i < HV_ARRAY_SIZE(nvsp_type_rules); i++)
		if (nvsp_type_rules[i].type == type)
			return &nvsp_type_rules[i];
	return NULL;
}

bool
nvsp_version_supported(uint32_t version)
{
	for (size_t i = 0; i < NVSP_VERSION_COUNT; i++)
		if (nvsp_versions[i] == version)
			return true;
	return false;
}

uint32_t
nvsp_ndis_version(uint32_t version)
{
	if (!nvsp_version_supported(version))
		return 0;
	return version >= NVSP_VERSION_5 ? NVSP_NDIS_VERSION_6_30 :
					   NVSP_NDIS_VERSION_6_1;
}

/* Is a type with rule r (NULL: unknown) defined at version? */
static bool
rule_allowed(const struct nvsp_type_rule *r, uint32_t version)
{
	if (r == NULL)
		return false;
	if (r->min_version == NVSP_VERSION_NONE)
		return true;
	return version != NVSP_VERSION_NONE && version >= r->min_version;
}

bool
nvsp_msg_type_allowed(uint32_t type, uint32_t version)
{
	return rule_allowed(type_rule(type), version);
}

size_t
nvsp_resp_size(uint32_t version)
{
	return version >= NVSP_VERSION_61 ? NVSP_RESP_SIZE_V61 :
					    NVSP_RESP_SIZE_V1;
}

int
nvsp_msg_type(const void *buf, size_t len, uint32_t *type)
{
	if (len < sizeof(*type))
		return -EINVAL;
	memcpy(type, buf, sizeof(*type));
	return 0;
}

/* ---- guest: request builders ---- */

/* Every guest request is a zero-padded 40-byte message. */
static int
req_write(void *buf, size_t size, const void *msg)
{
	if (size < NVSP_REQ_SIZE)
		return -ENOBUFS;
	memcpy(buf, msg, NVSP_REQ_SIZE);
	return (int)NVSP_REQ_SIZE;
}

int
nvsp_build_init(void *buf, size_t size, uint32_t version)
{
	struct nvsp_init m;

	if (!nvsp_version_supported(version))
		return -EINVAL;
	memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG_TYPE_INIT;
	/* One candidate at a time, as every known guest does. */
	m.min_version = version;
	m.max_version = version;
	return req_write(buf, size, &m);
}

int
nvsp_build_ndis_config(void *buf, size_t size, uint32_t mtu, uint64_t caps)
{
	struct nvsp_ndis_config m;

	memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG_TYPE_SEND_NDIS_CONFIG;
	m.mtu = mtu;
	m.capabilities = caps;
	return req_write(buf, size, &m);
}

int
nvsp_build_ndis_version(void *buf, size_t size, uint32_t ndis_version)
{
	struct nvsp_ndis_version m;

	if (ndis_version == 0)
		return -EINVAL;
	memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG_TYPE_SEND_NDIS_VERSION;
	m.ndis_major = ndis_version >> 16;
	m.ndis_minor = ndis_version & 0xffffu;
	return req_write(buf, size, &m);
}

static int
build_buf_msg(void *buf, size_t size, uint32_t type, uint32_t gpadl,
	      uint16_t id)
{
	struct nvsp_send_buf m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.gpadl = gpadl;
	m.id = id;
	return req_write(buf, size, &m);
}

int
nvsp_build_send_recv_buf(void *buf, size_t size, uint32_t gpadl, uint16_t id)
{
	return build_buf_msg(buf, size, NVSP_MSG_TYPE_SEND_RECV_BUF, gpadl, id);
}

int
nvsp_build_send_send_buf(void *buf, size_t size, uint32_t gpadl, uint16_t id)
{
	return build_buf_msg(buf, size, NVSP_MSG_TYPE_SEND_SEND_BUF, gpadl, id);
}

static int
build_revoke(void *buf, size_t size, uint32_t type, uint16_t id)
{
	struct nvsp_revoke_buf m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.id = id;
	return req_write(buf, size, &m);
}

int
nvsp_build_revoke_recv_buf(void *buf, size_t size, uint16_t id)
{
	return build_revoke(buf, size, NVSP_MSG_TYPE_REVOKE_RECV_BUF, id);
}

int
nvsp_build_revoke_send_buf(void *buf, size_t size, uint16_t id)
{
	return build_revoke(buf, size, NVSP_MSG_TYPE_REVOKE_SEND_BUF, id);
}

int
nvsp_build_rndis_pkt(void *buf, size_t size, uint32_t channel_type,
		     uint32_t section_index, uint32_t section_size)
{
	struct nvsp_rndis_pkt m;

	if (channel_type > NVSP_CHANNEL_TYPE_CONTROL)
		return -EINVAL;
	/* Without a section the host must not be told about a size. */
	if (section_index == NVSP_SECTION_INDEX_NONE && section_size != 0)
		return -EINVAL;
	memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG_TYPE_SEND_RNDIS_PKT;
	m.channel_type = channel_type;
	m.section_index = section_index;
	m.section_size = section_size;
	return req_write(buf, size, &m);
}

int
nvsp_build_rndis_pkt_complete(void *buf, size_t size, uint32_t status)
{
	struct nvsp_rndis_pkt_complete m;

	if (status != NVSP_STATUS_SUCCESS && status != NVSP_STATUS_FAILURE)
		return -EINVAL;
	memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG_TYPE_SEND_RNDIS_PKT_COMPLETE;
	m.status = status;
	return req_write(buf, size, &m);
}

int
nvsp_build_subchannel_req(void *buf, size_t size, uint32_t num_subchannels)
{
	struct nvsp_subchannel_req m;

	if (num_subchannels == 0)
		return -EINVAL;
	memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG_TYPE_SUBCHANNEL;
	m.op = NVSP_SUBCHANNEL_OP_ALLOCATE;
	m.num_subchannels = num_subchannels;
	return req_write(buf, size, &m);
}

int
nvsp_build_switch_data_path(void *buf, size_t size, uint32_t datapath)
{
	uint8_t m[NVSP_REQ_SIZE] = { 0 };
	struct nvsp_switch_data_path s = {
		.type = NVSP_MSG_TYPE_SWITCH_DATA_PATH,
		.active_datapath = datapath,
	};

	if (datapath > NVSP_DATAPATH_VF)
		return -EINVAL;
	memcpy(m, &s, sizeof(s));
	return req_write(buf, size, m);
}

/* ---- guest: validators of host messages ---- */

/*
 * Check the type, then that min_len bytes are present, and copy them
 * into the zeroed wire struct (of wire_size >= min_len bytes).
 */
static int
msg_copy(const void *buf, size_t len, uint32_t type, size_t min_len,
	 void *wire, size_t wire_size)
{
	uint32_t t;
	int rc;

	memset(wire, 0, wire_size);
	rc = nvsp_msg_type(buf, len, &t);
	if (rc != 0)
		return rc;
	if (t != type)
		return -EPROTO;
	if (len < min_len)
		return -EINVAL;
	memcpy(wire, buf, min_len);
	return 0;
}

int
nvsp_parse_init_complete(const void *buf, size_t len,
			 struct nvsp_init_info *out)
{
	struct nvsp_init_complete m;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = msg_copy(buf, len, NVSP_MSG_TYPE_INIT_COMPLETE, sizeof(m), &m,
		      sizeof(m));
	if (rc != 0)
		return rc;
	out->negotiated_version = m.negotiated_version;
	out->max_mdl_chain_len = m.max_mdl_chain_len;
	out->status = m.status;
	return m.status == NVSP_STATUS_SUCCESS ? 0 : -ENOTSUP;
}

int
nvsp_parse_recv_buf_complete(const void *buf, size_t len, uint32_t buf_size,
			     struct nvsp_recv_buf_info *out)
{
	struct nvsp_recv_buf_complete m;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = msg_copy(buf, len, NVSP_MSG_TYPE_SEND_RECV_BUF_COMPLETE,
		      sizeof(m), &m, sizeof(m));
	if (rc != 0)
		return rc;
	out->status = m.status;
	out->num_sections = m.num_sections;
	out->sub_alloc_size = m.section.sub_alloc_size;
	out->num_sub_allocs = m.section.num_sub_allocs;
	if (m.status != NVSP_STATUS_SUCCESS)
		return -EPROTO;
	if (m.num_sections != 1)
		return -EINVAL;
	if (m.section.offset != 0)
		return -ERANGE;
	if (m.section.sub_alloc_size < NVSP_MIN_SECTION_SIZE ||
	    m.section.num_sub_allocs == 0)
		return -EINVAL;
	/* 64-bit product: both factors are host-chosen u32s. */
	if ((uint64_t)m.section.sub_alloc_size * m.section.num_sub_allocs >
	    buf_size)
		return -ERANGE;
	return 0;
}

int
nvsp_parse_send_buf_complete(const void *buf, size_t len, uint32_t buf_size,
			     struct nvsp_send_buf_info *out)
{
	struct nvsp_send_buf_complete m;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = msg_copy(buf, len, NVSP_MSG_TYPE_SEND_SEND_BUF_COMPLETE,
		      sizeof(m), &m, sizeof(m));
	if (rc != 0)
		return rc;
	out->status = m.status;
	out->section_size = m.section_size;
	if (m.status != NVSP_STATUS_SUCCESS)
		return -EPROTO;
	/* Sections hold RNDIS messages, which are 4-byte aligned. */
	if (m.section_size < NVSP_MIN_SECTION_SIZE || m.section_size % 4 != 0)
		return -EINVAL;
	if (m.section_size > buf_size)
		return -ERANGE;
	out->section_count = buf_size / m.section_size;
	return 0;
}

int
nvsp_parse_subchannel_resp(const void *buf, size_t len, uint32_t requested,
			   struct nvsp_subchannel_info *out)
{
	struct nvsp_subchannel_resp m;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = msg_copy(buf, len, NVSP_MSG_TYPE_SUBCHANNEL, sizeof(m), &m,
		      sizeof(m));
	if (rc != 0)
		return rc;
	out->status = m.status;
	out->num_subchannels = m.num_subchannels;
	if (m.status != NVSP_STATUS_SUCCESS)
		return -EPROTO;
	if (m.num_subchannels > requested)
		return -ERANGE;
	return 0;
}

int
nvsp_parse_rndis_pkt_complete(const void *buf, size_t len, uint32_t *status)
{
	struct nvsp_rndis_pkt_complete m;
	int rc;

	*status = NVSP_STATUS_NONE;
	/* One per page-buffer send: the usual completion without the
	 * general copy; anything else gets it (and its error codes). */
	if (len >= 8) {
		uint32_t w[2];

		memcpy(w, buf, sizeof(w));
		if (w[0] == NVSP_MSG_TYPE_SEND_RNDIS_PKT_COMPLETE) {
			*status = w[1];
			return 0;
		}
	}
	rc = msg_copy(buf, len, NVSP_MSG_TYPE_SEND_RNDIS_PKT_COMPLETE, 8, &m,
		      sizeof(m));
	if (rc != 0)
		return rc;
	*status = m.status;
	return 0;
}

int
nvsp_parse_rndis_pkt(const void *buf, size_t len,
		     struct nvsp_rndis_pkt_info *out)
{
	struct nvsp_rndis_pkt m;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = msg_copy(buf, len, NVSP_MSG_TYPE_SEND_RNDIS_PKT, 16, &m,
		      sizeof(m));
	if (rc != 0)
		return rc;
	if (m.channel_type > NVSP_CHANNEL_TYPE_CONTROL)
		return -EINVAL;
	out->channel_type = m.channel_type;
	out->section_index = m.section_index;
	out->section_size = m.section_size;
	return 0;
}

int
nvsp_parse_vf_association(const void *buf, size_t len,
			  struct nvsp_vf_info *out)
{
	struct nvsp_vf_association m;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = msg_copy(buf, len, NVSP_MSG_TYPE_SEND_VF_ASSOCIATION, sizeof(m),
		      &m, sizeof(m));
	if (rc != 0)
		return rc;
	if (m.allocated > 1)
		return -EINVAL;
	out->allocated = m.allocated == 1;
	out->serial = m.serial;
	return 0;
}

int
nvsp_parse_switch_data_path(const void *buf, size_t len, uint32_t *datapath)
{
	struct nvsp_switch_data_path m;
	int rc;

	*datapath = NVSP_DATAPATH_SYNTHETIC;
	rc = msg_copy(buf, len, NVSP_MSG_TYPE_SWITCH_DATA_PATH, sizeof(m), &m,
		      sizeof(m));
	if (rc != 0)
		return rc;
	if (m.active_datapath > NVSP_DATAPATH_VF)
		return -EINVAL;
	*datapath = m.active_datapath;
	return 0;
}

int
nvsp_parse_indirection_table(const void *buf, size_t len, uint32_t version,
			     struct nvsp_indirection_info *out)
{
	const size_t tbl_len = sizeof(out->table);
	struct nvsp_indirection_table m;
	size_t offset;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = msg_copy(buf, len, NVSP_MSG_TYPE_SEND_INDIRECTION_TABLE,
		      sizeof(m), &m, sizeof(m));
	if (rc != 0)
		return rc;
	if (m.count != NVSP_INDIRECTION_TABLE_COUNT)
		return -EINVAL;
	offset = m.offset;
	/*
	 * Hosts up to NVSP 6 report a too-small offset; the table is really
	 * after the 40-byte message, if the message is long enough to hold
	 * it there.
	 */
	if (version <= NVSP_VERSION_6 &&
	    len >= NVSP_INDIRECTION_TABLE_V6_OFFSET + tbl_len)
		offset = NVSP_INDIRECTION_TABLE_V6_OFFSET;
	if (len < tbl_len || offset < sizeof(m) || offset > len - tbl_len)
		return -ERANGE;
	memcpy(out->table, (const uint8_t *)buf + offset, tbl_len);
	return 0;
}

bool
nvsp_indirection_table_valid(const struct nvsp_indirection_info *t,
			     uint32_t nchan)
{
	for (size_t i = 0; i < NVSP_INDIRECTION_TABLE_COUNT; i++)
		if (t->table[i] >= nchan)
			return false;
	return true;
}

/* ---- host: request validation ---- */

/*
 * Fill the union member of a request from its zero-padded 40-byte copy.
 * Split in two to keep each switch short: buffer set-up messages here,
 * -ENOENT for the rest.
 */
static int
host_fill_setup(const uint8_t *raw, struct nvsp_request *out)
{
	switch (out->type) {
	case NVSP_MSG_TYPE_INIT: {
		struct nvsp_init m;

		memcpy(&m, raw, sizeof(m));
		out->init.min_version = m.min_version;
		out->init.max_version = m.max_version;
		return 0;
	}
	case NVSP_MSG_TYPE_SEND_NDIS_VERSION: {
		struct nvsp_ndis_version m;

		memcpy(&m, raw, sizeof(m));
		out->ndis_version.major = m.ndis_major;
		out->ndis_version.minor = m.ndis_minor;
		return 0;
	}
	case NVSP_MSG_TYPE_SEND_NDIS_CONFIG: {
		struct nvsp_ndis_config m;

		memcpy(&m, raw, sizeof(m));
		out->ndis_config.mtu = m.mtu;
		out->ndis_config.capabilities = m.capabilities;
		return 0;
	}
	case NVSP_MSG_TYPE_SEND_RECV_BUF:
	case NVSP_MSG_TYPE_SEND_SEND_BUF: {
		struct nvsp_send_buf m;

		memcpy(&m, raw, sizeof(m));
		out->buf.gpadl = m.gpadl;
		out->buf.id = m.id;
		return 0;
	}
	case NVSP_MSG_TYPE_REVOKE_RECV_BUF:
	case NVSP_MSG_TYPE_REVOKE_SEND_BUF: {
		struct nvsp_revoke_buf m;

		memcpy(&m, raw, sizeof(m));
		out->revoke.id = m.id;
		return 0;
	}
	default:
		return -ENOENT;
	}
}

static int
host_fill_runtime(const uint8_t *raw, struct nvsp_request *out)
{
	switch (out->type) {
	case NVSP_MSG_TYPE_SEND_RNDIS_PKT:
		return nvsp_parse_rndis_pkt(raw, NVSP_REQ_SIZE,
					    &out->rndis_pkt);
	case NVSP_MSG_TYPE_SEND_RNDIS_PKT_COMPLETE:
		return nvsp_parse_rndis_pkt_complete(raw, NVSP_REQ_SIZE,
				&out->rndis_complete.status);
	case NVSP_MSG_TYPE_SWITCH_DATA_PATH:
		return nvsp_parse_switch_data_path(raw, NVSP_REQ_SIZE,
				&out->switch_data_path.active_datapath);
	case NVSP_MSG_TYPE_SUBCHANNEL: {
		struct nvsp_subchannel_req m;

		memcpy(&m, raw, sizeof(m));
		out->subchannel.op = m.op;
		out->subchannel.num_subchannels = m.num_subchannels;
		return 0;
	}
	case NVSP_MSG_TYPE_OID_QUERY_EX: {
		struct nvsp_oid_query_ex m;

		memcpy(&m, raw, sizeof(m));
		out->oid_query.oid = m.oid;
		return 0;
	}
	default:
		return -EPROTO;
	}
}

int
nvsp_host_parse_request(const void *buf, size_t len, uint32_t version,
			struct nvsp_request *out)
{
	uint8_t raw[NVSP_REQ_SIZE] = { 0 };
	const struct nvsp_type_rule *r;
	uint32_t type;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = nvsp_msg_type(buf, len, &type);
	if (rc != 0)
		return rc;
	r = type_rule(type);
	/* Unknown, host->guest-only and deprecated types are all fatal. */
	if (r == NULL || r->req_len == 0 || !rule_allowed(r, version))
		return -EPROTO;
	if (len < r->req_len)
		return -EINVAL;

	/* Copy once; shorter requests (the 8-byte ACK) read as zero-padded. */
	memcpy(raw, buf, len < sizeof(raw) ? len : sizeof(raw));
	out->type = type;
	rc = host_fill_setup(raw, out);
	if (rc == -ENOENT)
		rc = host_fill_runtime(raw, out);
	if (rc != 0) {
		memset(out, 0, sizeof(*out));
		return rc;
	}
	return 0;
}

int
nvsp_host_negotiate(uint32_t min_version, uint32_t max_version,
		    uint32_t *version)
{
	/* The table is in descending order: the first fit is the best. */
	for (size_t i = 0; i < NVSP_VERSION_COUNT; i++) {
		if (nvsp_versions[i] >= min_version &&
		    nvsp_versions[i] <= max_version) {
			*version = nvsp_versions[i];
			return 0;
		}
	}
	*version = NVSP_VERSION_NONE;
	return -ENOTSUP;
}

uint32_t
nvsp_host_mtu(uint32_t mtu)
{
	if (mtu < NVSP_HOST_MTU_MIN || mtu > NVSP_HOST_MTU_MAX)
		return NVSP_HOST_MTU_MIN;
	return mtu;
}

int
nvsp_host_section_check(const struct nvsp_rndis_pkt_info *pkt,
			uint32_t section_size, uint32_t section_count)
{
	/* No section: the data is entirely in GPA ranges. */
	if (pkt->section_index == NVSP_SECTION_INDEX_NONE)
		return 0;
	if (pkt->section_index >= section_count ||
	    pkt->section_size > section_size || pkt->section_size == 0)
		return -ERANGE;
	return 0;
}

/* ---- host: response and notification builders ---- */

/* Write msg zero-padded to the response size of the version (or more). */
static int
host_write(void *buf, size_t size, uint32_t version, const void *msg,
	   size_t msg_len)
{
	size_t n = nvsp_resp_size(version);

	if (n < msg_len)
		n = msg_len;
	if (size < n)
		return -ENOBUFS;
	memset(buf, 0, n);
	memcpy(buf, msg, msg_len);
	return (int)n;
}

int
nvsp_host_build_init_complete(void *buf, size_t size, uint32_t version,
			      uint32_t status)
{
	struct nvsp_init_complete m = {
		.type = NVSP_MSG_TYPE_INIT_COMPLETE,
		.max_mdl_chain_len = NVSP_INIT_MAX_MDL_CHAIN_LEN,
		.status = status,
	};

	m.negotiated_version = version == NVSP_VERSION_1 ?
				       NVSP_INIT_NEGOTIATED_V1 :
				       NVSP_INIT_NEGOTIATED_UNUSED;
	/* A refused INIT negotiated nothing: use the smallest size. */
	if (status != NVSP_STATUS_SUCCESS)
		version = NVSP_VERSION_NONE;
	return host_write(buf, size, version, &m, sizeof(m));
}

int
nvsp_host_build_recv_buf_complete(void *buf, size_t size, uint32_t version,
				  uint32_t status, uint32_t sub_alloc_size,
				  uint32_t num_sub_allocs)
{
	struct nvsp_recv_buf_complete m;
	uint64_t end;

	memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG_TYPE_SEND_RECV_BUF_COMPLETE;
	m.status = status;
	if (status == NVSP_STATUS_SUCCESS) {
		if (sub_alloc_size == 0 || num_sub_allocs == 0)
			return -EINVAL;
		end = (uint64_t)sub_alloc_size * num_sub_allocs;
		if (end > UINT32_MAX)
			return -ERANGE;
		m.num_sections = 1;
		m.section.offset = 0;
		m.section.sub_alloc_size = sub_alloc_size;
		m.section.num_sub_allocs = num_sub_allocs;
		m.section.end_offset = (uint32_t)end;
	}
	return host_write(buf, size, version, &m, sizeof(m));
}

int
nvsp_host_build_send_buf_complete(void *buf, size_t size, uint32_t version,
				  uint32_t status, uint32_t section_size)
{
	struct nvsp_send_buf_complete m = {
		.type = NVSP_MSG_TYPE_SEND_SEND_BUF_COMPLETE,
		.status = status,
		.section_size = section_size,
	};

	if (status == NVSP_STATUS_SUCCESS && section_size == 0)
		return -EINVAL;
	return host_write(buf, size, version, &m, sizeof(m));
}

int
nvsp_host_build_subchannel_resp(void *buf, size_t size, uint32_t version,
				uint32_t status, uint32_t num_subchannels)
{
	struct nvsp_subchannel_resp m = {
		.type = NVSP_MSG_TYPE_SUBCHANNEL,
		.status = status,
		.num_subchannels = num_subchannels,
	};

	return host_write(buf, size, version, &m, sizeof(m));
}

int
nvsp_host_build_rndis_pkt(void *buf, size_t size, uint32_t version,
			  uint32_t channel_type)
{
	struct nvsp_rndis_pkt m;

	if (channel_type > NVSP_CHANNEL_TYPE_CONTROL)
		return -EINVAL;
	memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG_TYPE_SEND_RNDIS_PKT;
	m.channel_type = channel_type;
	/* Receive data lives in transfer pages, never in a send section. */
	m.section_index = NVSP_SECTION_INDEX_NONE;
	m.section_size = 0;
	return host_write(buf, size, version, &m, 16);
}

int
nvsp_host_build_rndis_pkt_complete(void *buf, size_t size, uint32_t version,
				   uint32_t status)
{
	struct nvsp_rndis_pkt_complete m;

	memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG_TYPE_SEND_RNDIS_PKT_COMPLETE;
	m.status = status;
	return host_write(buf, size, version, &m, 8);
}

int
nvsp_host_build_vf_association(void *buf, size_t size, uint32_t version,
			       bool allocated, uint32_t serial)
{
	struct nvsp_vf_association m = {
		.type = NVSP_MSG_TYPE_SEND_VF_ASSOCIATION,
		.allocated = allocated ? 1 : 0,
		.serial = allocated ? serial : 0,
	};

	return host_write(buf, size, version, &m, sizeof(m));
}

int
nvsp_host_build_switch_data_path(void *buf, size_t size, uint32_t version,
				 uint32_t datapath)
{
	struct nvsp_switch_data_path m = {
		.type = NVSP_MSG_TYPE_SWITCH_DATA_PATH,
		.active_datapath = datapath,
	};

	if (datapath > NVSP_DATAPATH_VF)
		return -EINVAL;
	return host_write(buf, size, version, &m, sizeof(m));
}

int
nvsp_host_build_indirection_table(void *buf, size_t size, uint32_t version,
				  const uint32_t table[NVSP_INDIRECTION_TABLE_COUNT])
{
	const size_t tbl_len = NVSP_INDIRECTION_TABLE_COUNT * sizeof(uint32_t);
	struct nvsp_indirection_table m = {
		.type = NVSP_MSG_TYPE_SEND_INDIRECTION_TABLE,
		.count = NVSP_INDIRECTION_TABLE_COUNT,
	};
	size_t total;

	m.offset = version <= NVSP_VERSION_6 ?
			   NVSP_INDIRECTION_TABLE_V6_OFFSET :
			   (uint32_t)sizeof(m);
	total = m.offset + tbl_len;
	_Static_assert(sizeof(m) + NVSP_INDIRECTION_TABLE_COUNT *
				sizeof(uint32_t) >= NVSP_RESP_SIZE_V61,
		       "the table message is never shorter than a response");
	if (size < total)
		return -ENOBUFS;
	memset(buf, 0, total);
	memcpy(buf, &m, sizeof(m));
	memcpy((uint8_t *)buf + m.offset, table, tbl_len);
	return (int)total;
}
