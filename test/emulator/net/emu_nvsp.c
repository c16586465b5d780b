/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVSP, host side: version negotiation, NDIS config/version, receive and
 * send buffer connect/revoke, subchannels, data-path switching, and the
 * host's notifications (indirection table, VF association). Requests are
 * validated by nvsp_host_parse_request; the sequencing rules a real host
 * enforces (docs/design/protocol.md, "NVSP") live here.
 */
#include <errno.h>
#include <string.h>

#include "emu_net_priv.h"

static const struct emu_net_config *
cfg_of(const struct emu_nic *nic)
{
	return &nic->net->cfg;
}

static bool
wants_comp(const struct vmbus_pkt_info *pi)
{
	return (pi->flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED) != 0;
}

/*
 * Size of a response at the negotiated version. OpenVMM sends 28 bytes
 * below NVSP 6.1 and INIT_COMPLETE always at 28; Debian's stock PMD
 * needs 40 for SUBCHANNEL below 6.1 and works on Azure, and Linux reads
 * pre-6.1 tables at byte 40, so the hosts guests meet pad to 40
 * (docs/emulator.md, "Strictness"). resp_size_pre61 picks 40 (default) or 28.
 */
static int
resp_pad(const struct emu_nic *nic, uint8_t *m, int len)
{
	if (len == (int)NVSP_RESP_SIZE_V1 &&
	    cfg_of(nic)->resp_size_pre61 == NVSP_RESP_SIZE_V61) {
		memset(m + NVSP_RESP_SIZE_V1, 0,
		       NVSP_RESP_SIZE_V61 - NVSP_RESP_SIZE_V1);
		return (int)NVSP_RESP_SIZE_V61;
	}
	return len;
}

/* Reply to an RC request; a request without RC gets nothing. m has
 * room for NVSP_RESP_SIZE_V61 bytes (or is NULL with len 0). */
static void
reply(struct emu_net_queue *q, const struct vmbus_pkt_info *pi, uint8_t *m,
      int len)
{
	struct emu_nic *nic = q->nic;

	if (len < 0 || !wants_comp(pi))
		return;
	if (m != NULL)
		len = resp_pad(nic, m, len);
	/* Armed delay/drop faults and anything already held go through the
	 * control queue, each reply on its own clock. */
	if (nic->reply_rule[EMU_REPLY_NVSP].delay_count != 0 ||
	    nic->reply_rule[EMU_REPLY_NVSP].drop_count != 0) {
		emu_ctrl_nvsp_comp(nic, pi->trans_id, m, (uint32_t)len);
		return;
	}
	if (emu_net_send_comp(q, pi->trans_id, m, (size_t)len) != 0)
		emu_net_log(nic, "cannot complete request %llu: ring full",
			    (unsigned long long)pi->trans_id);
}

void
emu_nvsp_session_reset(struct emu_nic *nic)
{
	nic->version = 0;
	nic->ndis_config_seen = false;
	nic->ndis_version_seen = false;
	nic->ndis_version = 0;
	nic->caps = 0;
	/* NVSP 1 guests send no NDIS_CONFIG: the host's own MTU applies. */
	nic->mtu = nvsp_host_mtu(emu_host_config(nic->net->host)->mtu + 14u);
	emu_rxbuf_teardown(nic);
	nic->txbuf_on = false;
	nic->txbuf = NULL;
	nic->datapath_vf = false;
	nic->vf_announced = false;
	emu_vf_update(nic);
	nic->stopped = false;
	nic->subch_granted = 0;
	nic->subch_offer_pending = false;
	nic->txtbl_pending = false;
	emu_rndis_reset(nic);
	emu_ctrl_clear(nic);
}

/*
 * Azure's host (OpenVMM check_version) accepts exactly the version in
 * the request's first field, the guest's minimum, and refuses anything
 * else with status NONE (0); guests walk down their list one INIT at a
 * time. --lenient init-range: the best version in [min, max], refused
 * with FAILURE.
 */
static int
pick_version(const struct emu_nic *nic, const struct nvsp_request *r,
	     uint32_t *ver)
{
	uint32_t max = r->init.max_version;

	if (max > cfg_of(nic)->max_nvsp_version)
		max = cfg_of(nic)->max_nvsp_version;
	if (emu_net_lenient(nic, EMU_LENIENT_INIT_RANGE))
		return nvsp_host_negotiate(r->init.min_version, max, ver);
	*ver = r->init.min_version;
	if (!nvsp_version_supported(*ver) ||
	    *ver > cfg_of(nic)->max_nvsp_version) {
		*ver = NVSP_VERSION_NONE;
		return -ENOTSUP;
	}
	return 0;
}

static void
on_init(struct emu_net_queue *q, const struct vmbus_pkt_info *pi,
	const struct nvsp_request *r)
{
	struct emu_nic *nic = q->nic;
	uint8_t m[NVSP_RESP_SIZE_V61];
	uint32_t ver = 0;
	bool strict = !emu_net_lenient(nic, EMU_LENIENT_INIT_RANGE);
	int rc = -ENOTSUP, len;

	if (nic->version != 0) {
		/* Azure: an INIT after negotiation is fatal. */
		if (emu_net_stop(nic, q, EMU_LENIENT_REINIT,
				 "NVSP INIT: a second INIT (version 0x%x already negotiated)",
				 nic->version))
			return;
		emu_net_proto_error(nic, q, "NVSP INIT: version already negotiated (0x%x)",
				    nic->version);
	} else {
		rc = pick_version(nic, r, &ver);
	}
	if (rc != 0) {
		emu_net_log(nic, "NVSP INIT: refused 0x%x..0x%x (host max 0x%x)",
			    r->init.min_version, r->init.max_version,
			    cfg_of(nic)->max_nvsp_version);
		len = nvsp_host_build_init_complete(m, sizeof(m), NVSP_VERSION_NONE,
						    strict ? NVSP_STATUS_NONE :
							     NVSP_STATUS_FAILURE);
		reply(q, pi, m, len);
		return;
	}
	nic->version = ver;
	emu_net_trace(nic, q, "NVSP INIT: version 0x%x", ver);
	/* INIT_COMPLETE has the pre-negotiation size at every version
	 * (OpenVMM switches sizes after sending it); resp_pad may pad it. */
	len = nvsp_host_build_init_complete(m, sizeof(m), ver, NVSP_STATUS_SUCCESS);
	if (len > (int)NVSP_RESP_SIZE_V1)
		len = (int)NVSP_RESP_SIZE_V1;
	reply(q, pi, m, len);
}

static void
on_ndis_config(struct emu_net_queue *q, const struct vmbus_pkt_info *pi,
	       const struct nvsp_request *r)
{
	struct emu_nic *nic = q->nic;

	if (nic->ndis_config_seen) {
		if (!emu_net_stop(nic, q, EMU_LENIENT_DUP_SETUP,
				  "NVSP SEND_NDIS_CONFIG: duplicate (mtu %u)",
				  r->ndis_config.mtu))
			emu_net_proto_error(nic, q, "NVSP SEND_NDIS_CONFIG: duplicate");
		return;
	}
	nic->ndis_config_seen = true;
	/* An MTU outside [1514, 9216] is silently replaced, as Hyper-V does. */
	nic->mtu = nvsp_host_mtu(r->ndis_config.mtu);
	nic->caps = r->ndis_config.capabilities;
	emu_net_trace(nic, q, "NDIS_CONFIG mtu %u caps 0x%llx", nic->mtu,
		      (unsigned long long)nic->caps);
	reply(q, pi, NULL, 0);
}

static void
on_ndis_version(struct emu_net_queue *q, const struct vmbus_pkt_info *pi,
		const struct nvsp_request *r)
{
	struct emu_nic *nic = q->nic;

	if (nic->ndis_version_seen) {
		if (!emu_net_stop(nic, q, EMU_LENIENT_DUP_SETUP,
				  "NVSP SEND_NDIS_VERSION: duplicate (%u.%u)",
				  r->ndis_version.major, r->ndis_version.minor))
			emu_net_proto_error(nic, q, "NVSP SEND_NDIS_VERSION: duplicate");
		return;
	}
	nic->ndis_version_seen = true;
	nic->ndis_version = r->ndis_version.major << 16 | r->ndis_version.minor;
	reply(q, pi, NULL, 0);
}

static const char *
recv_buf_problem(struct emu_nic *nic, const struct nvsp_request *r,
		 uint32_t expect)
{
	if (nic->rxbuf_on)
		return "duplicate";
	if (nic->version >= NVSP_VERSION_2 && !nic->ndis_config_seen)
		return "before SEND_NDIS_CONFIG";
	if (r->buf.gpadl != expect)
		return "gpadl";
	return NULL;
}

static void
on_recv_buf(struct emu_net_queue *q, const struct vmbus_pkt_info *pi,
	    const struct nvsp_request *r)
{
	struct emu_nic *nic = q->nic;
	uint32_t expect = emu_dev_gpadl(nic->dev, HV_UIO_MAP_RECV_BUF);
	const char *why = recv_buf_problem(nic, r, expect);
	uint8_t m[NVSP_RESP_SIZE_V61];
	int rc = -EPROTO;

	if (why != NULL && strcmp(why, "duplicate") == 0 &&
	    emu_net_stop(nic, q, EMU_LENIENT_DUP_SETUP,
			 "NVSP SEND_RECV_BUF: duplicate"))
		return;
	if (why != NULL && strcmp(why, "gpadl") == 0)
		emu_net_proto_error(nic, q, "NVSP SEND_RECV_BUF: gpadl %u is not the receive buffer's (%u)",
				    r->buf.gpadl, expect);
	else if (why != NULL)
		emu_net_proto_error(nic, q, "NVSP SEND_RECV_BUF: %s", why);
	else {
		nic->rxbuf_id = r->buf.id;
		rc = emu_rxbuf_setup(nic);
		if (rc != 0)
			emu_net_log(nic, "receive buffer setup failed (%d)", rc);
	}
	if (rc != 0) {
		reply(q, pi, m, nvsp_host_build_recv_buf_complete(m, sizeof(m),
				nic->version, NVSP_STATUS_FAILURE, 0, 0));
		return;
	}
	reply(q, pi, m, nvsp_host_build_recv_buf_complete(m, sizeof(m),
			nic->version, NVSP_STATUS_SUCCESS, nic->sub_size,
			nic->sub_count));
}

static int
send_buf_setup(struct emu_nic *nic)
{
	size_t len = 0;
	uint8_t *p = emu_dev_map(nic->dev, HV_UIO_MAP_SEND_BUF, &len);

	if (p == NULL || len < cfg_of(nic)->send_section_size)
		return -ENOBUFS;
	nic->txbuf = p;
	nic->txbuf_size = (uint32_t)len;
	nic->section_size = cfg_of(nic)->send_section_size;
	nic->section_count = nic->txbuf_size / nic->section_size;
	nic->txbuf_on = true;
	return 0;
}

static void
on_send_buf(struct emu_net_queue *q, const struct vmbus_pkt_info *pi,
	    const struct nvsp_request *r)
{
	struct emu_nic *nic = q->nic;
	uint32_t expect = emu_dev_gpadl(nic->dev, HV_UIO_MAP_SEND_BUF);
	uint8_t m[NVSP_RESP_SIZE_V61];
	int rc = -EPROTO;

	if (nic->txbuf_on) {
		if (emu_net_stop(nic, q, EMU_LENIENT_DUP_SETUP,
				 "NVSP SEND_SEND_BUF: duplicate"))
			return;
		emu_net_proto_error(nic, q, "NVSP SEND_SEND_BUF: duplicate");
	} else if (r->buf.gpadl != expect)
		emu_net_proto_error(nic, q, "NVSP SEND_SEND_BUF: gpadl %u is not the send buffer's (%u)",
				    r->buf.gpadl, expect);
	else
		rc = send_buf_setup(nic);
	if (rc == 0)
		nic->txbuf_id = r->buf.id;
	reply(q, pi, m, nvsp_host_build_send_buf_complete(m, sizeof(m),
			nic->version,
			rc == 0 ? NVSP_STATUS_SUCCESS : NVSP_STATUS_FAILURE,
			rc == 0 ? nic->section_size : 0));
}

static void
on_revoke(struct emu_net_queue *q, const struct vmbus_pkt_info *pi,
	  const struct nvsp_request *r)
{
	struct emu_nic *nic = q->nic;
	bool recv = r->type == NVSP_MSG_TYPE_REVOKE_RECV_BUF;
	bool on = recv ? nic->rxbuf_on : nic->txbuf_on;
	uint16_t id = recv ? nic->rxbuf_id : nic->txbuf_id;

	/* Azure's worker ends on any revoke (a guest tearing down). */
	if (emu_net_stop(nic, q, EMU_LENIENT_REVOKE, "NVSP %s (id 0x%x): buffer revoked",
			 emu_nvsp_type_name(r->type), r->revoke.id))
		return;
	if (!on || r->revoke.id != id) {
		emu_net_proto_error(nic, q, "NVSP %s: id 0x%x names no connected buffer",
				    emu_nvsp_type_name(r->type), r->revoke.id);
		return;
	}
	if (recv)
		emu_rxbuf_teardown(nic);
	else
		nic->txbuf_on = false;
	emu_net_trace(nic, q, "%s", emu_nvsp_type_name(r->type));
	reply(q, pi, NULL, 0);
}

/*
 * The send indirection table (TXTBL). Azure's host (OpenVMM) puts the
 * table right after its 12-byte header at every version >= 5 and sends
 * it only when subchannels were granted. Pre-6.1 Hyper-V hosts put it at
 * byte 40 with a too-small offset field (Linux netvsc_send_table reads
 * byte 40 below 6.1 when the message is long enough): txtbl_offset_quirk.
 */
void
emu_nvsp_send_indirection(struct emu_nic *nic, unsigned int nchan)
{
	uint32_t table[NVSP_INDIRECTION_TABLE_COUNT];
	uint8_t m[NVSP_RESP_SIZE_V61 + sizeof(table) + 16];
	bool quirk = cfg_of(nic)->txtbl_offset_quirk &&
		     nic->version <= NVSP_VERSION_6;
	struct nvsp_indirection_table h;
	unsigned int i;
	int len;

	for (i = 0; i < NVSP_INDIRECTION_TABLE_COUNT; i++)
		table[i] = i % nchan;
	/* The core builder lays the table out at byte 40 up to NVSP 6 and
	 * at byte 12 from 6.1 on. */
	len = nvsp_host_build_indirection_table(m, sizeof(m),
			quirk ? NVSP_VERSION_6 : NVSP_VERSION_61, table);
	if (len > 0 && quirk) {
		memcpy(&h, m, sizeof(h));
		h.offset = (uint32_t)sizeof(h);
		memcpy(m, &h, sizeof(h));
	}
	if (len > 0 && nic->q[0] != NULL)
		(void)emu_net_send_inband(nic->q[0], 0, 0, m, (size_t)len);
}

static int
add_subchannels(struct emu_nic *nic, uint32_t n)
{
	struct emu_chan *p = emu_dev_primary(nic->dev);
	uint32_t relid = emu_chan_relid(p), mon = emu_chan_monitor_id(p);
	uint32_t i;
	int rc;

	for (i = 1; i <= n; i++) {
		if (nic->q[i] != NULL)
			continue;
		/* Relids stride by 64 per device; monitor ids wrap inside the
		 * device's own monitor page. */
		rc = emu_dev_add_subchan(nic->dev, relid + i, i,
					 (mon + i) % VMBUS_MONITOR_ID_MAX, NULL);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Delay of the offers: subch_delay_ms plus up to subch_jitter_ms. */
static uint64_t
offer_delay_ns(struct emu_nic *nic)
{
	const struct emu_net_config *c = cfg_of(nic);
	uint64_t x = nic->jitter_seed, ms = c->subch_delay_ms;

	if (c->subch_jitter_ms != 0) {
		/* xorshift64: any spread will do, no need for quality. */
		if (x == 0)
			x = emu_net_now_ns() | 1u;
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		nic->jitter_seed = x;
		ms += x % ((uint64_t)c->subch_jitter_ms + 1u);
	}
	return ms * 1000000u;
}

static bool
granted_open(const struct emu_nic *nic)
{
	uint32_t i;

	for (i = 1; i <= nic->subch_granted; i++)
		if (nic->q[i] == NULL)
			return false;
	return true;
}

void
emu_nvsp_tick(struct emu_nic *nic)
{
	int rc;

	if (nic->stopped || nic->q[0] == NULL)
		return;
	if (nic->subch_offer_pending && emu_net_now_ns() >= nic->subch_due_ns) {
		nic->subch_offer_pending = false;
		rc = add_subchannels(nic, nic->subch_granted);
		if (rc != 0)
			emu_net_log(nic, "subchannel offer failed (%d)", rc);
		else
			emu_net_trace(nic, nic->q[0], "%u subchannel(s) offered",
				      nic->subch_granted);
	}
	/* Only when every granted subchannel is open, as Azure's host. */
	if (nic->txtbl_pending && !nic->subch_offer_pending && granted_open(nic)) {
		nic->txtbl_pending = false;
		emu_nvsp_send_indirection(nic, nic->subch_granted + 1);
	}
}

static void
on_subchannel(struct emu_net_queue *q, const struct vmbus_pkt_info *pi,
	      const struct nvsp_request *r)
{
	struct emu_nic *nic = q->nic;
	uint32_t n = r->subchannel.num_subchannels;
	uint32_t cap = cfg_of(nic)->subch_grant_max;
	bool early = emu_net_lenient(nic, EMU_LENIENT_EARLY_SUBCH);
	uint8_t m[NVSP_RESP_SIZE_V61];
	int rc = -EPROTO;

	if (q->id != 0 || r->subchannel.op != NVSP_SUBCHANNEL_OP_ALLOCATE ||
	    n == 0 || n >= cfg_of(nic)->max_queues) {
		emu_net_proto_error(nic, q, "NVSP SUBCHANNEL: op %u count %u (host allows 1..%u)",
				    r->subchannel.op, n,
				    cfg_of(nic)->max_queues - 1);
	} else {
		/* Hyper-V may grant fewer; guests must live with it. */
		if (cap != 0 && n > cap)
			n = cap;
		rc = early ? add_subchannels(nic, n) : 0;
	}
	if (rc != 0) {
		if (rc != -EPROTO)
			emu_net_log(nic, "subchannel offer failed (%d)", rc);
		reply(q, pi, m, nvsp_host_build_subchannel_resp(m, sizeof(m),
				nic->version, NVSP_STATUS_FAILURE, 0));
		return;
	}
	emu_net_trace(nic, q, "NVSP SUBCHANNEL: %u of %u granted", n,
		      r->subchannel.num_subchannels);
	reply(q, pi, m, nvsp_host_build_subchannel_resp(m, sizeof(m), nic->version,
							NVSP_STATUS_SUCCESS, n));
	nic->subch_granted = n;
	nic->txtbl_pending = true;
	/* Azure: the completion first, the offers later. */
	nic->subch_offer_pending = !early;
	nic->subch_due_ns = emu_net_now_ns() + (early ? 0 : offer_delay_ns(nic));
	emu_nvsp_tick(nic);
}

static void
on_switch_data_path(struct emu_net_queue *q, const struct vmbus_pkt_info *pi,
		    const struct nvsp_request *r)
{
	struct emu_nic *nic = q->nic;
	uint32_t dp = r->switch_data_path.active_datapath;

	if (dp != NVSP_DATAPATH_SYNTHETIC && dp != NVSP_DATAPATH_VF) {
		emu_net_proto_error(nic, q, "NVSP SWITCH_DATA_PATH: datapath %u", dp);
		return;
	}
	/* Azure completes the switch once done, or without switching when
	 * there is no VF to switch to. */
	if (dp == NVSP_DATAPATH_VF && !nic->vf_announced) {
		emu_net_log(nic, "SWITCH_DATA_PATH to a VF the host never offered: completed without switching");
		nic->datapath_vf = false;
	} else if (dp == NVSP_DATAPATH_VF && !emu_vf_can_switch(nic)) {
		emu_net_log(nic, "SWITCH_DATA_PATH to the VF with no VF device present: completed without switching");
		nic->datapath_vf = false;
		emu_vf_count_switch(nic, true);
	} else {
		nic->datapath_vf = dp == NVSP_DATAPATH_VF;
		if (nic->datapath_vf)
			emu_vf_count_switch(nic, false);
	}
	emu_vf_update(nic);
	emu_net_trace(nic, q, "data path %s", nic->datapath_vf ? "VF" : "synthetic");
	reply(q, pi, NULL, 0);
}

static void
on_oid_query_ex(struct emu_net_queue *q, const struct vmbus_pkt_info *pi)
{
	/* Like openvmm: understood, not supported. 28/40-byte response. */
	uint8_t m[NVSP_RESP_SIZE_V61] = { 0 };
	struct nvsp_oid_query_ex_complete c = {
		.type = NVSP_MSG_TYPE_OID_QUERY_EX_COMPLETE,
		.status = NVSP_STATUS_FAILURE,
	};

	memcpy(m, &c, sizeof(c));
	reply(q, pi, m, (int)nvsp_resp_size(q->nic->version));
}

static void
on_rndis_pkt(struct emu_net_queue *q, const struct vmbus_pkt_info *pi,
	     const struct nvsp_rndis_pkt_info *r)
{
	if (!emu_nvsp_ready(q->nic)) {
		uint8_t m[NVSP_RESP_SIZE_V61];

		emu_net_proto_error(q->nic, q, "NVSP SEND_RNDIS_PKT: before NVSP initialisation completed (need INIT, NDIS_VERSION, RECV_BUF)");
		reply(q, pi, m, nvsp_host_build_rndis_pkt_complete(m, sizeof(m),
				q->nic->version, NVSP_STATUS_FAILURE));
		return;
	}
	emu_tx_rndis_pkt(q, pi, r);
}

static void
dispatch(struct emu_net_queue *q, const struct vmbus_pkt_info *pi,
	 const struct nvsp_request *r)
{
	switch (r->type) {
	case NVSP_MSG_TYPE_INIT:
		on_init(q, pi, r);
		break;
	case NVSP_MSG_TYPE_SEND_NDIS_CONFIG:
		on_ndis_config(q, pi, r);
		break;
	case NVSP_MSG_TYPE_SEND_NDIS_VERSION:
		on_ndis_version(q, pi, r);
		break;
	case NVSP_MSG_TYPE_SEND_RECV_BUF:
		on_recv_buf(q, pi, r);
		break;
	case NVSP_MSG_TYPE_SEND_SEND_BUF:
		on_send_buf(q, pi, r);
		break;
	case NVSP_MSG_TYPE_REVOKE_RECV_BUF:
	case NVSP_MSG_TYPE_REVOKE_SEND_BUF:
		on_revoke(q, pi, r);
		break;
	case NVSP_MSG_TYPE_SEND_RNDIS_PKT:
		on_rndis_pkt(q, pi, &r->rndis_pkt);
		break;
	case NVSP_MSG_TYPE_SUBCHANNEL:
		on_subchannel(q, pi, r);
		break;
	case NVSP_MSG_TYPE_SWITCH_DATA_PATH:
		on_switch_data_path(q, pi, r);
		break;
	case NVSP_MSG_TYPE_OID_QUERY_EX:
		on_oid_query_ex(q, pi);
		break;
	default:
		emu_net_proto_error(q->nic, q, "NVSP %s (%u): not a request",
				    emu_nvsp_type_name(r->type), r->type);
		break;
	}
}

/* Only SEND_RNDIS_PKT may travel with page ranges; only INIT may come first. */
static bool
gate(struct emu_net_queue *q, const struct vmbus_pkt_info *pi, uint32_t type)
{
	if (pi->type == VMBUS_PKT_DATA_GPA_DIRECT &&
	    type != NVSP_MSG_TYPE_SEND_RNDIS_PKT) {
		emu_net_proto_error(q->nic, q, "NVSP %s (%u) in a GPA-direct packet",
				    emu_nvsp_type_name(type), type);
		return false;
	}
	if (q->nic->version == 0 && type != NVSP_MSG_TYPE_INIT) {
		emu_net_proto_error(q->nic, q, "NVSP %s (%u) before INIT",
				    emu_nvsp_type_name(type), type);
		return false;
	}
	if (q->id != 0 && type != NVSP_MSG_TYPE_SEND_RNDIS_PKT) {
		emu_net_proto_error(q->nic, q, "NVSP %s (%u) on subchannel %u",
				    emu_nvsp_type_name(type), type, q->id);
		return false;
	}
	return true;
}

/*
 * The common SEND_RNDIS_PKT without the generic parser: what gate() and
 * nvsp_host_parse_request check for it, in place (the type allowed at
 * this version, cached per version; 16 bytes; a known channel type).
 * Anything else takes the full path, so errors are named as before.
 */
static bool
rndis_pkt_fast(struct emu_net_queue *q, const struct vmbus_pkt_info *pi)
{
	struct emu_nic *nic = q->nic;
	struct nvsp_rndis_pkt_info r;
	struct {
		uint32_t type;
		uint32_t channel_type;
		uint32_t section_index;
		uint32_t section_size;
	} m;

	if (pi->payload_len < sizeof(m))
		return false;
	memcpy(&m, pi->payload, sizeof(m));
	if (m.type != NVSP_MSG_TYPE_SEND_RNDIS_PKT || nic->version == 0 ||
	    m.channel_type > NVSP_CHANNEL_TYPE_CONTROL)
		return false;
	if (!nic->send_cached || nic->send_version != nic->version) {
		nic->send_ok = nvsp_msg_type_allowed(m.type, nic->version);
		nic->send_version = nic->version;
		nic->send_cached = true;
	}
	if (!nic->send_ok)
		return false;
	r.channel_type = m.channel_type;
	r.section_index = m.section_index;
	r.section_size = m.section_size;
	if (hv_unlikely(nic->trace))
		emu_net_trace(nic, q, "NVSP %s trans_id %llu",
			      emu_nvsp_type_name(m.type),
			      (unsigned long long)pi->trans_id);
	on_rndis_pkt(q, pi, &r);
	return true;
}

void
emu_nvsp_handle(struct emu_net_queue *q, const struct vmbus_pkt_info *pi)
{
	struct emu_nic *nic = q->nic;
	struct nvsp_request r;
	uint32_t type = 0;
	int rc;

	if (rndis_pkt_fast(q, pi))
		return;
	if (nvsp_msg_type(pi->payload, pi->payload_len, &type) != 0) {
		emu_net_proto_error(nic, q, "NVSP message of %u bytes has no type",
				    pi->payload_len);
		return;
	}
	if (!gate(q, pi, type))
		return;
	rc = nvsp_host_parse_request(pi->payload, pi->payload_len, nic->version, &r);
	if (rc != 0) {
		emu_net_proto_error(nic, q, "NVSP %s (%u): %s at version 0x%x",
				    emu_nvsp_type_name(type), type,
				    rc == -EPROTO ? "type not allowed" :
				    "malformed", nic->version);
		return;
	}
	nic->st.ctrl_messages += type != NVSP_MSG_TYPE_SEND_RNDIS_PKT;
	emu_net_trace(nic, q, "NVSP %s trans_id %llu", emu_nvsp_type_name(type),
		      (unsigned long long)pi->trans_id);
	dispatch(q, pi, &r);
}

/* ---- Accelerated networking ---- */

void
emu_nvsp_vf_announce(struct emu_nic *nic)
{
	uint8_t m[NVSP_RESP_SIZE_V61];
	int len;

	/* Hosts announce only to NVSP 4+ guests that asked for SR-IOV. */
	if (!nic->vf_offered || nic->vf_announced || nic->q[0] == NULL ||
	    nic->version < NVSP_VERSION_4 || !(nic->caps & NVSP_NDIS_CAP_SRIOV) ||
	    nic->rndis != EMU_RNDIS_READY || !emu_vf_may_announce(nic))
		return;
	len = nvsp_host_build_vf_association(m, sizeof(m), nic->version, true,
					     nic->vf_serial);
	if (len > 0 && emu_net_send_inband(nic->q[0], EMU_NET_XID_VF_ASSOC,
					   VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
					   m, (size_t)len) == 0) {
		nic->vf_announced = true;
		emu_vf_on_announce(nic);
	}
}

int
emu_nic_vf_offer(struct emu_nic *nic, uint32_t serial)
{
	if (nic->vf_offered || emu_vf_busy(nic))
		return -EBUSY;
	nic->vf_offered = true;
	nic->vf_serial = serial;
	emu_vf_on_offer(nic);
	/* Announced once pending control replies are out. */
	emu_ctrl_flush(nic);
	return 0;
}

void
emu_nvsp_vf_withdraw(struct emu_nic *nic)
{
	uint8_t m[NVSP_RESP_SIZE_V61];
	int len;

	if (!nic->vf_announced || nic->q[0] == NULL) {
		nic->vf_announced = false;
		return;
	}
	if (nic->datapath_vf) {
		len = nvsp_host_build_switch_data_path(m, sizeof(m), nic->version,
						       NVSP_DATAPATH_SYNTHETIC);
		if (len > 0)
			(void)emu_net_send_inband(nic->q[0], EMU_NET_XID_DATAPATH,
						  VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
						  m, (size_t)len);
		nic->datapath_vf = false;
		emu_vf_update(nic);
	}
	len = nvsp_host_build_vf_association(m, sizeof(m), nic->version, false, 0);
	if (len > 0)
		(void)emu_net_send_inband(nic->q[0], EMU_NET_XID_VF_ASSOC,
					  VMBUS_PKT_FLAG_COMPLETION_REQUESTED, m,
					  (size_t)len);
	nic->vf_announced = false;
}

static int
vf_revoke(struct emu_nic *nic, bool abrupt)
{
	if (!nic->vf_offered)
		return -ENOENT;
	nic->vf_offered = false;
	/* Azure's order: the VF goes, then SWITCH(synthetic), then
	 * allocated = 0; with a device the first step takes time and
	 * emu_vf_tick sends the rest. */
	if (!emu_vf_revoke(nic, abrupt))
		emu_nvsp_vf_withdraw(nic);
	return 0;
}

int
emu_nic_vf_revoke(struct emu_nic *nic)
{
	return vf_revoke(nic, false);
}

int
emu_nic_vf_revoke_abrupt(struct emu_nic *nic)
{
	return vf_revoke(nic, true);
}

bool
emu_nic_datapath_is_vf(const struct emu_nic *nic)
{
	return nic->datapath_vf;
}
