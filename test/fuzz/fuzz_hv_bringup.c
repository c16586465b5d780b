/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target for the session step function (hv_bringup): arbitrary
 * host input at every state of the bring-up, the run-time ops and the
 * teardown.
 *
 * A small built-in host queues the correct answer to each request the
 * session sends, so the fuzzer reaches deep states without having to
 * guess ids. The input is a list of records:
 *   byte 0: what to feed -- bits 0-1: 0 the next queued answer with the
 *           payload XORed into it, 1 a raw NVSP message (bit 2: as a
 *           completion), 2 a raw RNDIS message, 3 a timeout; bit 3: patch
 *           the pending NVSP id (raw NVSP) or RNDIS rid (raw RNDIS) in;
 *           bits 4-5: when the session is idle, start an op (1
 *           subchannels, 2 SET or, with an odd payload length, QUERY,
 *           3 teardown, then a new bring-up).
 *   bytes 1-2: payload length (le16, cut to what is left), then payload.
 * The first input byte picks the highest NVSP version and whether a
 * send buffer is offered. Every output is checked against the promises
 * of hv_bringup.h.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hv_bringup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define QMAX 8
#define MSG_MAX 512

struct ans {
	uint32_t type;
	bool completion;
	uint64_t id;
	uint8_t buf[MSG_MAX];
	size_t len;
};

struct fz {
	struct hv_bringup b;
	uint8_t rndis_buf[2048];
	struct ans q[QMAX];
	uint32_t qh, qt;
	uint32_t version;
};

static void
queue(struct fz *z, uint32_t type, bool comp, uint64_t id, const void *m,
      int len)
{
	struct ans *a;

	if (len <= 0 || z->qt - z->qh >= QMAX)
		return;
	a = &z->q[z->qt++ % QMAX];
	a->type = type;
	a->completion = comp;
	a->id = id;
	a->len = (size_t)len;
	memcpy(a->buf, m, (size_t)len);
}

static void
host_nvsp(struct fz *z, const struct hv_bu_out *o)
{
	struct nvsp_request r;
	uint8_t m[64];
	int n = 0;

	if (nvsp_host_parse_request(o->msg, o->msg_len, z->version, &r) != 0)
		abort(); /* the session only sends valid requests */
	switch (r.type) {
	case NVSP_MSG_TYPE_INIT:
		z->version = r.init.min_version;
		n = nvsp_host_build_init_complete(m, sizeof(m), z->version,
						  NVSP_STATUS_SUCCESS);
		break;
	case NVSP_MSG_TYPE_SEND_RECV_BUF:
		n = nvsp_host_build_recv_buf_complete(m, sizeof(m), z->version,
				NVSP_STATUS_SUCCESS, 1806, 500);
		break;
	case NVSP_MSG_TYPE_SEND_SEND_BUF:
		n = nvsp_host_build_send_buf_complete(m, sizeof(m), z->version,
				NVSP_STATUS_SUCCESS, 6144);
		break;
	case NVSP_MSG_TYPE_SUBCHANNEL:
		n = nvsp_host_build_subchannel_resp(m, sizeof(m), z->version,
				NVSP_STATUS_SUCCESS,
				r.subchannel.num_subchannels);
		break;
	default:
		return;
	}
	if (o->completion_requested)
		queue(z, HV_BU_IN_NVSP, true, o->trans_id, m, n);
}

static int
host_query(const struct rndis_ctl_req *r, uint8_t *m, size_t ms)
{
	static const uint8_t mac[6] = { 0, 0x15, 0x5d, 1, 2, 3 };
	struct ndis_rss_caps_info rss = {
		.revision = 2, .caps = 1, .num_msi = 1, .num_rx_queues = 4,
		.num_ind_entries = 128,
	};
	struct ndis_offload off;
	uint8_t info[200];
	uint32_t v = 1500;
	int n = 4;

	if (r->oid == RNDIS_OID_802_3_PERMANENT_ADDRESS) {
		memcpy(info, mac, 6);
		n = 6;
	} else if (r->oid == RNDIS_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES) {
		memset(&off, 0, sizeof(off));
		n = ndis_offload_build(info, sizeof(info), &off, 3);
	} else if (r->oid == RNDIS_OID_GEN_RECEIVE_SCALE_CAPABILITIES) {
		n = ndis_rss_caps_build(info, sizeof(info), &rss);
	} else {
		memcpy(info, &v, 4);
	}
	if (n < 0)
		abort();
	return rndis_query_cmplt_build(m, ms, r->rid, RNDIS_STATUS_SUCCESS,
				       info, (uint32_t)n);
}

static void
host_rndis(struct fz *z, const struct hv_bu_out *o)
{
	struct rndis_init_info ii = {
		.status = RNDIS_STATUS_SUCCESS, .major = 1, .device_flags = 1,
		.max_pkts_per_msg = 8, .max_xfer_size = 0xefffffffu,
		.pkt_align_factor = 3,
	};
	struct rndis_ctl_req r;
	uint8_t m[MSG_MAX], c[64];
	int n = 0;

	if (o->rndis_len > sizeof(z->rndis_buf) || o->rndis_gpa != 0x7000 ||
	    rndis_ctl_req_parse(z->rndis_buf, o->rndis_len, &r) != 0)
		abort();
	queue(z, HV_BU_IN_NVSP, true, o->trans_id, c,
	      nvsp_host_build_rndis_pkt_complete(c, sizeof(c), z->version,
						 NVSP_STATUS_SUCCESS));
	if (r.type == RNDIS_MSG_INIT) {
		ii.rid = r.rid;
		n = rndis_init_cmplt_build(m, sizeof(m), &ii);
	} else if (r.type == RNDIS_MSG_QUERY) {
		n = host_query(&r, m, sizeof(m));
	} else if (r.type == RNDIS_MSG_SET) {
		n = rndis_set_cmplt_build(m, sizeof(m), r.rid,
					  RNDIS_STATUS_SUCCESS);
	}
	queue(z, HV_BU_IN_RNDIS, false, 0, m, n);
}

/* What hv_bringup.h promises about every output. */
static void
check_out(const struct hv_bu_out *o)
{
	if (o->action > HV_BU_ERROR)
		abort();
	if (o->action == HV_BU_SEND &&
	    (o->msg_len == 0 || o->msg_len > sizeof(o->msg)))
		abort();
	if (o->action == HV_BU_ERROR &&
	    (o->error == HV_BU_ERR_NONE || o->err >= 0))
		abort();
}

static void
start_op(struct fz *z, uint32_t op, const uint8_t *p, size_t len)
{
	uint32_t v = len >= 4 ? (uint32_t)p[0] | (uint32_t)p[1] << 8 : 1;

	if (op == 1)
		(void)hv_bringup_subchannels(&z->b, (v % 8u) + 1u);
	else if (op == 2 && (len & 1u))
		(void)hv_bringup_rndis_query(&z->b, v & 1u ?
			RNDIS_OID_GEN_LINK_SPEED : RNDIS_OID_GEN_FRIENDLY_NAME);
	else if (op == 2)
		(void)hv_bringup_rndis_set(&z->b,
					   RNDIS_OID_GEN_CURRENT_PACKET_FILTER,
					   p, len > 64 ? 64 : (uint32_t)len);
	else if (hv_bringup_teardown(&z->b) != 0)
		(void)hv_bringup_start(&z->b, &z->b.cfg);
}

/* Build the input of one record; false if there is none to give. */
static bool
make_input(struct fz *z, uint8_t op, const uint8_t *p, size_t len,
	   struct hv_bu_in *in, uint8_t *scratch)
{
	struct ans *a;
	uint32_t rid;

	memset(in, 0, sizeof(*in));
	switch (op & 3u) {
	case 0:
		if (z->qh == z->qt)
			return false;
		a = &z->q[z->qh++ % QMAX];
		memcpy(scratch, a->buf, a->len);
		for (size_t i = 0; i < len && i < a->len; i++)
			scratch[i] ^= p[i];
		*in = (struct hv_bu_in){ .type = a->type,
			.completion = a->completion, .trans_id = a->id,
			.buf = scratch, .len = a->len };
		return true;
	case 3:
		in->type = HV_BU_IN_TIMEOUT;
		return true;
	default:
		memcpy(scratch, p, len);
		in->type = (op & 3u) == 1 ? HV_BU_IN_NVSP : HV_BU_IN_RNDIS;
		in->completion = (op & 4u) != 0;
		in->trans_id = (op & 8u) ? z->b.nvsp_id : z->b.nvsp_id + op;
		if ((op & 3u) == 2 && (op & 8u) && len >= 12) {
			rid = (uint32_t)z->b.rndis_id;
			memcpy(scratch + 8, &rid, 4);
		}
		in->buf = scratch;
		in->len = len;
		return true;
	}
}

static void
feed(struct fz *z, const struct hv_bu_in *in)
{
	struct hv_bu_out o;

	for (int guard = 0; guard < 64; guard++) {
		(void)hv_bringup_step(&z->b, in, &o);
		check_out(&o);
		if (o.action != HV_BU_SEND)
			return;
		if (o.send_kind == HV_BU_SEND_RNDIS)
			host_rndis(z, &o);
		else
			host_nvsp(z, &o);
		in = NULL;
	}
	abort(); /* a session never sends 64 messages unprompted */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz z;
	static uint8_t scratch[MSG_MAX];
	struct hv_bringup_cfg cfg = {
		.recv_buf_gpadl = 1, .recv_buf_size = 1u << 20,
		.send_buf_gpadl = 2, .send_buf_size = 1u << 20,
		.rndis_buf = z.rndis_buf, .rndis_buf_size = sizeof(z.rndis_buf),
		.rndis_buf_gpa = 0x7000, .ndis_caps = NVSP_NDIS_CAP_SRIOV,
	};
	struct hv_bu_in in;
	size_t off = 1;

	if (size < 1)
		return 0;
	memset(&z, 0, sizeof(z));
	cfg.nvsp_max_version = nvsp_versions[data[0] % 5u];
	if (data[0] & 0x80u)
		cfg.send_buf_size = 0;
	if (hv_bringup_start(&z.b, &cfg) != 0)
		abort();
	feed(&z, NULL);
	while (off + 3 <= size) {
		uint8_t op = data[off];
		size_t len = (size_t)data[off + 1] | (size_t)data[off + 2] << 8;

		off += 3;
		if (len > size - off)
			len = size - off;
		if (len > MSG_MAX)
			len = MSG_MAX;
		if ((op >> 4) & 3u && (z.b.state == HV_BU_S_READY ||
				       z.b.state == HV_BU_S_FAILED ||
				       z.b.state == HV_BU_S_CLOSED)) {
			start_op(&z, (op >> 4) & 3u, data + off, len);
			feed(&z, NULL);
		}
		if (make_input(&z, op, data + off, len, &in, scratch))
			feed(&z, &in);
		off += len;
	}
	return 0;
}
