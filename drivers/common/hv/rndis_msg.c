/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RNDIS control messages: guest builders and validators, host mirror.
 * See rndis_msg.h for the contract.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "rndis_msg.h"

/*
 * Write a fixed part and an optional trailing buffer; the fixed part's
 * msg_len is set here so every builder gets it right the same way.
 */
static int
rndis_put(void *buf, size_t len, void *fixed, size_t fixed_len,
	  const void *tail, uint32_t tail_len)
{
	uint64_t total = (uint64_t)fixed_len + tail_len;
	struct rndis_msg_hdr hdr;

	if (buf == NULL || (tail == NULL && tail_len != 0))
		return -EINVAL;
	/* The result must fit the int return as well as the u32 msg_len. */
	if (total > INT32_MAX)
		return -EMSGSIZE;
	if (len < total)
		return -ENOBUFS;
	memcpy(&hdr, fixed, sizeof(hdr));
	hdr.msg_len = (uint32_t)total;
	memcpy(fixed, &hdr, sizeof(hdr));
	memcpy(buf, fixed, fixed_len);
	if (tail_len != 0)
		memcpy((uint8_t *)buf + fixed_len, tail, tail_len);
	return (int)total;
}

int
rndis_init_req_build(void *buf, size_t len, uint32_t rid,
		     uint32_t max_xfer_size)
{
	struct rndis_init_req m = {
		.type = RNDIS_MSG_INIT,
		.rid = rid,
		.major = RNDIS_VERSION_MAJOR,
		.minor = RNDIS_VERSION_MINOR,
		.max_xfer_size = max_xfer_size,
	};

	if (rid == 0)
		return -EINVAL;
	return rndis_put(buf, len, &m, sizeof(m), NULL, 0);
}

static int
rndis_oid_req_build(void *buf, size_t len, uint32_t type, uint32_t rid,
		    uint32_t oid, const void *info, uint32_t info_len)
{
	/* Info buffer right after the fixed part, as every guest does. */
	struct rndis_oid_req m = {
		.type = type,
		.rid = rid,
		.oid = oid,
		.info_buflen = info_len,
		.info_buf_offset = RNDIS_OID_REQ_INFO_OFFSET,
	};

	if (rid == 0)
		return -EINVAL;
	return rndis_put(buf, len, &m, sizeof(m), info, info_len);
}

int
rndis_query_req_build(void *buf, size_t len, uint32_t rid, uint32_t oid,
		      const void *info, uint32_t info_len)
{
	return rndis_oid_req_build(buf, len, RNDIS_MSG_QUERY, rid, oid,
				   info, info_len);
}

int
rndis_set_req_build(void *buf, size_t len, uint32_t rid, uint32_t oid,
		    const void *info, uint32_t info_len)
{
	return rndis_oid_req_build(buf, len, RNDIS_MSG_SET, rid, oid,
				   info, info_len);
}

static int
rndis_rid_req_build(void *buf, size_t len, uint32_t type, uint32_t rid)
{
	struct rndis_rid_req m = { .type = type, .rid = rid };

	return rndis_put(buf, len, &m, sizeof(m), NULL, 0);
}

int
rndis_halt_req_build(void *buf, size_t len, uint32_t rid)
{
	if (rid == 0)
		return -EINVAL;
	return rndis_rid_req_build(buf, len, RNDIS_MSG_HALT, rid);
}

int
rndis_keepalive_req_build(void *buf, size_t len, uint32_t rid)
{
	if (rid == 0)
		return -EINVAL;
	return rndis_rid_req_build(buf, len, RNDIS_MSG_KEEPALIVE, rid);
}

int
rndis_reset_req_build(void *buf, size_t len)
{
	/* The third word of RESET is reserved, not a rid. */
	return rndis_rid_req_build(buf, len, RNDIS_MSG_RESET, 0);
}

static bool
rndis_type_has_rid(uint32_t type)
{
	switch (type) {
	case RNDIS_MSG_INIT:
	case RNDIS_MSG_HALT:
	case RNDIS_MSG_QUERY:
	case RNDIS_MSG_SET:
	case RNDIS_MSG_KEEPALIVE:
	case RNDIS_MSG_INIT_CMPLT:
	case RNDIS_MSG_QUERY_CMPLT:
	case RNDIS_MSG_SET_CMPLT:
	case RNDIS_MSG_KEEPALIVE_CMPLT:
		return true;
	default:
		return false;
	}
}

int
rndis_msg_peek(const void *buf, size_t len, struct rndis_peek *out)
{
	struct rndis_rid_req m;

	if (len < sizeof(struct rndis_msg_hdr))
		return -EINVAL;
	memset(&m, 0, sizeof(m));
	memcpy(&m, buf, len < sizeof(m) ? len : sizeof(m));
	if (m.msg_len < sizeof(struct rndis_msg_hdr) || m.msg_len > len)
		return -EINVAL;
	out->type = m.type;
	out->msg_len = m.msg_len;
	out->has_rid = rndis_type_has_rid(m.type);
	out->rid = 0;
	if (out->has_rid) {
		if (m.msg_len < sizeof(m))
			return -EINVAL;
		out->rid = m.rid;
	}
	return 0;
}

/*
 * Copy the fixed part of a message of the given type out of buf, then
 * check that msg_len covers it and stays inside buf.
 */
static int
rndis_get(const void *buf, size_t len, uint32_t type, void *fixed,
	  size_t fixed_len)
{
	struct rndis_msg_hdr hdr;

	if (len < sizeof(hdr))
		return -EINVAL;
	memcpy(&hdr, buf, sizeof(hdr));
	if (hdr.type != type)
		return -EPROTO;
	if (len < fixed_len || hdr.msg_len < fixed_len || hdr.msg_len > len)
		return -EINVAL;
	memcpy(fixed, buf, fixed_len);
	/* Keep the values checked above: the copy is a second read. */
	memcpy(fixed, &hdr, sizeof(hdr));
	return 0;
}

/*
 * Bound a body-relative slice [off, off + n) to limit bytes from the
 * message start, with off at least min_off. 64-bit sums: no wrap.
 */
static int
rndis_slice(uint32_t off, uint32_t n, uint32_t min_off, uint64_t limit,
	    uint32_t *abs_off)
{
	uint64_t start = (uint64_t)RNDIS_BODY_OFFSET + off;

	if (off < min_off || start > limit || limit - start < n)
		return -EINVAL;
	*abs_off = (uint32_t)start;
	return 0;
}

int
rndis_init_cmplt_parse(const void *buf, size_t len,
		       struct rndis_init_info *out)
{
	struct rndis_init_cmplt m;
	int rc;

	rc = rndis_get(buf, len, RNDIS_MSG_INIT_CMPLT, &m, sizeof(m));
	if (rc != 0)
		return rc;
	*out = (struct rndis_init_info){
		.rid = m.rid,
		.status = m.status,
		.major = m.major,
		.minor = m.minor,
		.device_flags = m.device_flags,
		.medium = m.medium,
		.max_pkts_per_msg = m.max_pkts_per_msg,
		.max_xfer_size = m.max_xfer_size,
		.pkt_align_factor = m.pkt_align_factor,
	};
	if (m.status != RNDIS_STATUS_SUCCESS)
		return -EIO;
	/* The factor is a shift count: unbounded, it is undefined behaviour. */
	if (m.pkt_align_factor > RNDIS_PKT_ALIGN_FACTOR_MAX)
		return -ERANGE;
	if (m.max_pkts_per_msg == 0 ||
	    m.max_xfer_size < RNDIS_MAX_XFER_SIZE_MIN)
		return -ERANGE;
	return 0;
}

uint32_t
rndis_init_pkt_align(const struct rndis_init_info *info)
{
	uint32_t factor = info->pkt_align_factor;
	uint32_t align;

	if (factor > RNDIS_PKT_ALIGN_FACTOR_MAX)
		factor = RNDIS_PKT_ALIGN_FACTOR_MAX;
	align = 1u << factor;
	return align < RNDIS_PKT_ALIGN_MIN ? RNDIS_PKT_ALIGN_MIN : align;
}

int
rndis_query_cmplt_parse(const void *buf, size_t len,
			struct rndis_query_result *out)
{
	struct rndis_query_cmplt m;
	int rc;

	rc = rndis_get(buf, len, RNDIS_MSG_QUERY_CMPLT, &m, sizeof(m));
	if (rc != 0)
		return rc;
	*out = (struct rndis_query_result){
		.rid = m.rid,
		.status = m.status,
	};
	if (m.status != RNDIS_STATUS_SUCCESS)
		return -EIO;
	if (m.info_buflen == 0)
		return 0;
	rc = rndis_slice(m.info_buf_offset, m.info_buflen,
			 RNDIS_QUERY_CMPLT_INFO_OFFSET, m.msg_len,
			 &out->info_off);
	if (rc != 0)
		return rc;
	out->info_len = m.info_buflen;
	out->info = (const uint8_t *)buf + out->info_off;
	return 0;
}

static int
rndis_rid_cmplt_parse(const void *buf, size_t len, uint32_t type,
		      struct rndis_cmplt_result *out)
{
	struct rndis_rid_cmplt m;
	int rc;

	rc = rndis_get(buf, len, type, &m, sizeof(m));
	if (rc != 0)
		return rc;
	*out = (struct rndis_cmplt_result){ .rid = m.rid, .status = m.status };
	return m.status == RNDIS_STATUS_SUCCESS ? 0 : -EIO;
}

int
rndis_set_cmplt_parse(const void *buf, size_t len,
		      struct rndis_cmplt_result *out)
{
	return rndis_rid_cmplt_parse(buf, len, RNDIS_MSG_SET_CMPLT, out);
}

int
rndis_keepalive_cmplt_parse(const void *buf, size_t len,
			    struct rndis_cmplt_result *out)
{
	return rndis_rid_cmplt_parse(buf, len, RNDIS_MSG_KEEPALIVE_CMPLT, out);
}

int
rndis_reset_cmplt_parse(const void *buf, size_t len,
			struct rndis_cmplt_result *out)
{
	struct rndis_reset_cmplt m;
	int rc;

	rc = rndis_get(buf, len, RNDIS_MSG_RESET_CMPLT, &m, sizeof(m));
	if (rc != 0)
		return rc;
	*out = (struct rndis_cmplt_result){
		.status = m.status,
		.addressing_reset = m.addressing_reset,
	};
	return m.status == RNDIS_STATUS_SUCCESS ? 0 : -EIO;
}

int
rndis_indicate_status_parse(const void *buf, size_t len,
			    struct rndis_status_ind *out)
{
	struct rndis_indicate_status m;
	int rc;

	rc = rndis_get(buf, len, RNDIS_MSG_INDICATE_STATUS, &m, sizeof(m));
	if (rc != 0)
		return rc;
	*out = (struct rndis_status_ind){
		.status = m.status,
		.msg_len = m.msg_len,
	};
	if (m.status_buflen == 0)
		return 0;
	/* Against len, not msg_len: see the header. */
	rc = rndis_slice(m.status_buf_offset, m.status_buflen,
			 RNDIS_INDICATE_STATUS_BUF_OFFSET, len, &out->buf_off);
	if (rc != 0)
		return rc;
	out->buf_len = m.status_buflen;
	out->buf = (const uint8_t *)buf + out->buf_off;
	return 0;
}

int
rndis_status_link_speed(const struct rndis_status_ind *ind, uint32_t *speed)
{
	if (ind->status != RNDIS_STATUS_LINK_SPEED_CHANGE)
		return -EPROTO;
	if (ind->buf == NULL || ind->buf_len < sizeof(*speed))
		return -EINVAL;
	memcpy(speed, ind->buf, sizeof(*speed));
	return 0;
}

/* Host side: the version and transfer size a guest offers. */
static int
rndis_ctl_init_parse(const void *buf, size_t len, struct rndis_ctl_req *out)
{
	struct rndis_init_req m;
	int rc;

	rc = rndis_get(buf, len, RNDIS_MSG_INIT, &m, sizeof(m));
	if (rc != 0)
		return rc;
	/* The msg_len rndis_get validated, not the one the peek saw. */
	out->msg_len = m.msg_len;
	out->rid = m.rid;
	out->major = m.major;
	out->minor = m.minor;
	out->max_xfer_size = m.max_xfer_size;
	return 0;
}

/* Host side: the OID and info buffer of a QUERY or SET. */
static int
rndis_ctl_oid_parse(const void *buf, size_t len, uint32_t type,
		    struct rndis_ctl_req *out)
{
	struct rndis_oid_req m;
	int rc;

	rc = rndis_get(buf, len, type, &m, sizeof(m));
	if (rc != 0)
		return rc;
	/*
	 * The info buffer is bounded by this copy's msg_len; report the
	 * same one, whatever the guest wrote since the peek.
	 */
	out->msg_len = m.msg_len;
	out->rid = m.rid;
	out->oid = m.oid;
	if (m.info_buflen == 0)
		return 0;
	rc = rndis_slice(m.info_buf_offset, m.info_buflen,
			 RNDIS_OID_REQ_INFO_OFFSET, m.msg_len, &out->info_off);
	if (rc != 0)
		return rc;
	out->info_len = m.info_buflen;
	out->info = (const uint8_t *)buf + out->info_off;
	return 0;
}

int
rndis_ctl_req_parse(const void *buf, size_t len, struct rndis_ctl_req *out)
{
	struct rndis_peek pk;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = rndis_msg_peek(buf, len, &pk);
	if (rc != 0)
		return rc;
	out->type = pk.type;
	out->msg_len = pk.msg_len;
	switch (pk.type) {
	case RNDIS_MSG_INIT:
		rc = rndis_ctl_init_parse(buf, len, out);
		break;
	case RNDIS_MSG_QUERY:
	case RNDIS_MSG_SET:
		rc = rndis_ctl_oid_parse(buf, len, pk.type, out);
		break;
	case RNDIS_MSG_HALT:
	case RNDIS_MSG_KEEPALIVE:
		/* The peek checked msg_len covers the rid. */
		out->rid = pk.rid;
		break;
	default:
		/* RESET, SET_EX, INDICATE_STATUS, completions, data, unknown. */
		return -EPROTO;
	}
	if (rc != 0)
		return rc;
	return out->rid == 0 ? -EPROTO : 0;
}

int
rndis_init_cmplt_build(void *buf, size_t len,
		       const struct rndis_init_info *info)
{
	struct rndis_init_cmplt m = {
		.type = RNDIS_MSG_INIT_CMPLT,
		.rid = info->rid,
		.status = info->status,
		.major = info->major,
		.minor = info->minor,
		.device_flags = info->device_flags,
		.medium = info->medium,
		.max_pkts_per_msg = info->max_pkts_per_msg,
		.max_xfer_size = info->max_xfer_size,
		.pkt_align_factor = info->pkt_align_factor,
	};

	return rndis_put(buf, len, &m, sizeof(m), NULL, 0);
}

int
rndis_query_cmplt_build(void *buf, size_t len, uint32_t rid, uint32_t status,
			const void *info, uint32_t info_len)
{
	struct rndis_query_cmplt m = {
		.type = RNDIS_MSG_QUERY_CMPLT,
		.rid = rid,
		.status = status,
		.info_buflen = info_len,
		.info_buf_offset = RNDIS_QUERY_CMPLT_INFO_OFFSET,
	};

	return rndis_put(buf, len, &m, sizeof(m), info, info_len);
}

static int
rndis_rid_cmplt_build(void *buf, size_t len, uint32_t type, uint32_t rid,
		      uint32_t status)
{
	struct rndis_rid_cmplt m = { .type = type, .rid = rid,
				     .status = status };

	return rndis_put(buf, len, &m, sizeof(m), NULL, 0);
}

int
rndis_set_cmplt_build(void *buf, size_t len, uint32_t rid, uint32_t status)
{
	return rndis_rid_cmplt_build(buf, len, RNDIS_MSG_SET_CMPLT, rid,
				     status);
}

int
rndis_keepalive_cmplt_build(void *buf, size_t len, uint32_t rid,
			    uint32_t status)
{
	return rndis_rid_cmplt_build(buf, len, RNDIS_MSG_KEEPALIVE_CMPLT, rid,
				     status);
}

int
rndis_reset_cmplt_build(void *buf, size_t len, uint32_t status,
			uint32_t addressing_reset)
{
	struct rndis_reset_cmplt m = {
		.type = RNDIS_MSG_RESET_CMPLT,
		.status = status,
		.addressing_reset = addressing_reset,
	};

	return rndis_put(buf, len, &m, sizeof(m), NULL, 0);
}

int
rndis_indicate_status_build(void *buf, size_t len, uint32_t status,
			    const void *sbuf, uint32_t sbuf_len)
{
	struct rndis_indicate_status m = {
		.type = RNDIS_MSG_INDICATE_STATUS,
		.status = status,
		.status_buflen = sbuf_len,
		/* Offset 0 tells the guest there is no buffer. */
		.status_buf_offset =
			sbuf_len != 0 ? RNDIS_INDICATE_STATUS_BUF_OFFSET : 0,
	};

	return rndis_put(buf, len, &m, sizeof(m), sbuf, sbuf_len);
}
