/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RNDIS device behind the NIC: INITIALIZE, QUERY and SET of the OIDs
 * netvsc drivers use, KEEPALIVE, RESET, HALT, and status indications
 * (media connect/disconnect, link speed). Replies and indications go
 * through a small queue so that a configured "slow host" delay, a full
 * ring or a receive buffer without free sub-allocations only postpone
 * them; the loop flushes the queue on every tick.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emu_net_priv.h"

static const uint32_t supported_oids[] = {
	RNDIS_OID_GEN_SUPPORTED_LIST,
	RNDIS_OID_GEN_HARDWARE_STATUS,
	RNDIS_OID_GEN_MEDIA_SUPPORTED,
	RNDIS_OID_GEN_MEDIA_IN_USE,
	RNDIS_OID_GEN_MAXIMUM_LOOKAHEAD,
	RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE,
	RNDIS_OID_GEN_LINK_SPEED,
	RNDIS_OID_GEN_CURRENT_PACKET_FILTER,
	RNDIS_OID_GEN_MAXIMUM_TOTAL_SIZE,
	RNDIS_OID_GEN_MAC_OPTIONS,
	RNDIS_OID_GEN_MEDIA_CONNECT_STATUS,
	RNDIS_OID_GEN_MAXIMUM_SEND_PACKETS,
	RNDIS_OID_GEN_VENDOR_DRIVER_VERSION,
	RNDIS_OID_GEN_NETWORK_LAYER_ADDRESSES,
	RNDIS_OID_GEN_RECEIVE_SCALE_CAPABILITIES,
	RNDIS_OID_GEN_RECEIVE_SCALE_PARAMETERS,
	RNDIS_OID_GEN_RNDIS_CONFIG_PARAMETER,
	RNDIS_OID_802_3_PERMANENT_ADDRESS,
	RNDIS_OID_802_3_CURRENT_ADDRESS,
	RNDIS_OID_802_3_MULTICAST_LIST,
	RNDIS_OID_802_3_MAXIMUM_LIST_SIZE,
	RNDIS_OID_TCP_OFFLOAD_CURRENT_CONFIG,
	RNDIS_OID_TCP_OFFLOAD_PARAMETERS,
	RNDIS_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES,
};

#define EMU_NET_MAX_LIST_SIZE 32u
#define EMU_NET_VENDOR_VERSION 0x00010000u
/* What Hyper-V offers for LSOv2 (bytes, segments). */
#define EMU_NET_LSO_MAX_SIZE 62780u
#define EMU_NET_LSO_MIN_SEGS 2u

static const struct emu_net_config *
cfg_of(const struct emu_nic *nic)
{
	return &nic->net->cfg;
}

void
emu_rndis_reset(struct emu_nic *nic)
{
	nic->rndis = EMU_RNDIS_UNINIT;
	nic->filter = 0;
	nic->rss_on = false;
	nic->rss_entries = 0;
	nic->rss_hash_info = 0;
	nic->link_pending = EMU_LINK_NONE;
	nic->ctrl_last_due = 0;
	memset(&nic->offload, 0, sizeof(nic->offload));
}

/* ---- Control queue ---- */

void
emu_ctrl_clear(struct emu_nic *nic)
{
	while (nic->ctrl_head != NULL) {
		struct emu_ctrl_msg *m = nic->ctrl_head;

		nic->ctrl_head = m->next;
		free(m);
	}
	nic->ctrl_tail = NULL;
	nic->ctrl_bytes = 0;
}

/* Delay/drop faults armed for this reply: false if it is dropped. */
static bool
reply_fault(struct emu_nic *nic, enum emu_reply_kind kind, uint64_t *due)
{
	uint32_t ms = 0;

	switch (emu_reply_take(nic, kind, &ms)) {
	case 1:
		nic->st.replies_dropped++;
		emu_net_log(nic, "fault reply-drop: %s reply dropped",
			    kind == EMU_REPLY_NVSP ? "NVSP" :
			    kind == EMU_REPLY_IND ? "indication" : "RNDIS");
		return false;
	case 2:
		nic->st.replies_delayed++;
		*due = ms == EMU_REPLY_NEVER ? UINT64_MAX :
			emu_net_now_ns() + (uint64_t)ms * 1000000u;
		return true;
	default:
		return true;
	}
}

static void
ctrl_enqueue(struct emu_nic *nic, uint8_t how, uint64_t trans_id,
	     const void *msg, uint32_t len, uint64_t due)
{
	struct emu_ctrl_msg *m;

	if (nic->ctrl_bytes + len > EMU_NET_CTRL_QUEUE_MAX) {
		emu_net_log(nic, "control queue full: reply dropped");
		return;
	}
	m = malloc(sizeof(*m) + len);
	if (m == NULL)
		return;
	m->next = NULL;
	m->len = len;
	m->how = how;
	m->trans_id = trans_id;
	m->due_ns = due;
	if (len != 0)
		memcpy(m->data, msg, len);
	if (nic->ctrl_tail != NULL)
		nic->ctrl_tail->next = m;
	else
		nic->ctrl_head = m;
	nic->ctrl_tail = m;
	nic->ctrl_bytes += len;
}

/*
 * Queue an RNDIS reply (delay: the slow-host delay applies) or an
 * indication. Every message has its own due time; an indication is
 * never due before the reply queued before it (a RESET or SET reply
 * precedes what it causes), except when a fault delays that reply.
 */
static void
ctrl_queue(struct emu_nic *nic, const void *msg, int len, bool delay)
{
	uint64_t now = emu_net_now_ns(), due = now;
	uint32_t type = 0;
	enum emu_reply_kind kind;

	if (len <= 0 || nic->stopped)
		return;
	memcpy(&type, msg, len >= 4 ? sizeof(type) : 0);
	kind = type == RNDIS_MSG_INDICATE_STATUS ? EMU_REPLY_IND : EMU_REPLY_RNDIS;
	if (delay) {
		due = now + (uint64_t)nic->ctrl_delay_ms * 1000000u;
		nic->ctrl_last_due = due;
	} else if (nic->ctrl_last_due > due) {
		due = nic->ctrl_last_due;
	}
	if (!reply_fault(nic, kind, &due))
		return;
	ctrl_enqueue(nic, EMU_CTRL_RNDIS, 0, msg, (uint32_t)len, due);
}

void
emu_ctrl_nvsp_comp(struct emu_nic *nic, uint64_t trans_id, const void *msg,
		   uint32_t len)
{
	uint64_t due = emu_net_now_ns();

	if (nic->stopped || !reply_fault(nic, EMU_REPLY_NVSP, &due))
		return;
	ctrl_enqueue(nic, EMU_CTRL_NVSP_COMP, trans_id, msg, len, due);
}

static int
ctrl_send(struct emu_nic *nic, const struct emu_ctrl_msg *m)
{
	if (m->how == EMU_CTRL_NVSP_COMP) {
		if (nic->q[0] == NULL)
			return -EIO;
		return emu_net_send_comp(nic->q[0], m->trans_id,
					 m->len != 0 ? m->data : NULL, m->len);
	}
	return emu_rx_send_ctrl(nic, m->data, m->len);
}

void
emu_ctrl_flush(struct emu_nic *nic)
{
	struct emu_ctrl_msg **pp = &nic->ctrl_head, *m, *prev = NULL;
	uint64_t now;

	/* Nothing queued and nothing emu_link_tick could queue: no clock. */
	if (nic->ctrl_head == NULL && nic->link_pending == EMU_LINK_NONE) {
		emu_nvsp_vf_announce(nic);
		return;
	}
	/* Read before emu_link_tick: what it queues goes out next tick. */
	now = emu_net_now_ns();
	emu_link_tick(nic);
	/* In order; a message not yet due (each has its own clock) lets
	 * later ones pass, a full ring or buffer stops all. */
	while ((m = *pp) != NULL) {
		int rc;

		if (m->due_ns > now) {
			prev = m;
			pp = &m->next;
			continue;
		}
		rc = ctrl_send(nic, m);
		if (rc == -EAGAIN)
			return;
		if (rc != 0)
			emu_net_log(nic, "control message of %u bytes dropped (%d)",
				    m->len, rc);
		*pp = m->next;
		if (nic->ctrl_tail == m)
			nic->ctrl_tail = prev;
		nic->ctrl_bytes -= m->len;
		free(m);
	}
	/* Only now: the association follows the RNDIS INIT reply and the
	 * link indication (openvmm's order), also with a slow host. */
	if (nic->ctrl_head == NULL)
		emu_nvsp_vf_announce(nic);
}

static void
queue_indication(struct emu_nic *nic, uint32_t status, const void *buf,
		 uint32_t len)
{
	uint8_t m[EMU_NET_CTRL_MSG_MAX];

	if (nic->rndis != EMU_RNDIS_READY)
		return;
	ctrl_queue(nic, m, rndis_indicate_status_build(m, sizeof(m), status, buf,
						       len), false);
}

void
emu_rndis_indicate(struct emu_nic *nic, uint32_t status, const void *buf,
		   uint32_t len)
{
	queue_indication(nic, status, buf, len);
	emu_ctrl_flush(nic);
}

static void
indicate_link_state(struct emu_nic *nic, bool up)
{
	queue_indication(nic, up ? RNDIS_STATUS_MEDIA_CONNECT :
				   RNDIS_STATUS_MEDIA_DISCONNECT, NULL, 0);
	nic->guest_link_up = up;
}

/* Queued only: inside a request it must follow the request's completion. */
static void
indicate_link(struct emu_nic *nic)
{
	indicate_link_state(nic, nic->link_up);
}

/*
 * Link changes as Azure's host indicates them (OpenVMM's pending link
 * action): a change the guest has not seen is indicated on the next
 * tick, so changes between two ticks collapse into the last state; a
 * flap the guest missed altogether (up, down, up) is shown as the
 * opposite state at once and the final one after link_coalesce_ms.
 */
void
emu_link_tick(struct emu_nic *nic)
{
	if (nic->link_pending == EMU_LINK_NONE || nic->rndis != EMU_RNDIS_READY ||
	    nic->stopped)
		return;
	if (nic->link_pending == EMU_LINK_DELAY) {
		if (emu_net_now_ns() < nic->link_due_ns)
			return;
		nic->link_pending = EMU_LINK_ACTIVE;
	}
	if (nic->guest_link_up != nic->link_up) {
		indicate_link(nic);
		nic->link_pending = EMU_LINK_NONE;
		return;
	}
	indicate_link_state(nic, !nic->link_up);
	nic->link_pending = EMU_LINK_DELAY;
	nic->link_due_ns = emu_net_now_ns() +
			   (uint64_t)cfg_of(nic)->link_coalesce_ms * 1000000u;
}

/* ---- QUERY ---- */

/* What the host can offload (HARDWARE_CAPABILITIES). */
static void
offload_hw(const struct emu_nic *nic, struct ndis_offload *out)
{
	const struct emu_net_config *c = cfg_of(nic);
	struct ndis_offload o;

	memset(&o, 0, sizeof(o));
	if (c->csum_offload) {
		o.csum.ip4_txenc = NDIS_OFFLOAD_ENCAP_8023;
		o.csum.ip4_rxenc = NDIS_OFFLOAD_ENCAP_8023;
		o.csum.ip4_txcsum = NDIS_CSUM_CAP_IP4 | NDIS_CSUM_CAP_IP4OPT |
				    NDIS_CSUM_CAP_TCP4 | NDIS_CSUM_CAP_TCP4OPT |
				    NDIS_CSUM_CAP_UDP4;
		o.csum.ip4_rxcsum = o.csum.ip4_txcsum;
		o.csum.ip6_txenc = NDIS_OFFLOAD_ENCAP_8023;
		o.csum.ip6_rxenc = NDIS_OFFLOAD_ENCAP_8023;
		o.csum.ip6_txcsum = NDIS_CSUM_CAP_IP6EXT | NDIS_CSUM_CAP_TCP6 |
				    NDIS_CSUM_CAP_TCP6OPT | NDIS_CSUM_CAP_UDP6;
		o.csum.ip6_rxcsum = o.csum.ip6_txcsum;
	}
	if (c->lso_offload) {
		o.lsov2.ip4_encap = NDIS_OFFLOAD_ENCAP_8023;
		o.lsov2.ip4_maxsz = EMU_NET_LSO_MAX_SIZE;
		o.lsov2.ip4_minsg = EMU_NET_LSO_MIN_SEGS;
		o.lsov2.ip6_encap = NDIS_OFFLOAD_ENCAP_8023;
		o.lsov2.ip6_maxsz = EMU_NET_LSO_MAX_SIZE;
		o.lsov2.ip6_minsg = EMU_NET_LSO_MIN_SEGS;
		o.lsov2.ip6_opts = NDIS_LSOV2_CAP_IP6EXT | NDIS_LSOV2_CAP_TCP6OPT;
	}
	*out = o;
}

/* A csum setting: 0 (never set) and NOCHG leave the offload on. */
static bool
param_tx(uint8_t v)
{
	return v != NDIS_OFFLOAD_PARAM_OFF && v != NDIS_OFFLOAD_PARAM_RX;
}

static bool
param_rx(uint8_t v)
{
	return v != NDIS_OFFLOAD_PARAM_OFF && v != NDIS_OFFLOAD_PARAM_TX;
}

static void
mask_csum(uint32_t *tx, uint32_t *rx, uint8_t param, uint32_t bits)
{
	if (!param_tx(param))
		*tx &= ~bits;
	if (!param_rx(param))
		*rx &= ~bits;
}

/*
 * The offloads in force (CURRENT_CONFIG and the TASK_OFFLOAD indication):
 * the hardware's, less what the guest turned off, as Azure's host masks
 * its offload configuration after a SET (OpenVMM mask_to_supported).
 */
void
emu_rndis_offload_in_force(const struct emu_nic *nic, struct ndis_offload *out)
{
	const struct ndis_offload_params *p = &nic->offload;
	struct ndis_offload o;

	offload_hw(nic, &o);
	mask_csum(&o.csum.ip4_txcsum, &o.csum.ip4_rxcsum, p->ip4csum,
		  NDIS_CSUM_CAP_IP4 | NDIS_CSUM_CAP_IP4OPT);
	mask_csum(&o.csum.ip4_txcsum, &o.csum.ip4_rxcsum, p->tcp4csum,
		  NDIS_CSUM_CAP_TCP4 | NDIS_CSUM_CAP_TCP4OPT);
	mask_csum(&o.csum.ip4_txcsum, &o.csum.ip4_rxcsum, p->udp4csum,
		  NDIS_CSUM_CAP_UDP4);
	mask_csum(&o.csum.ip6_txcsum, &o.csum.ip6_rxcsum, p->tcp6csum,
		  NDIS_CSUM_CAP_TCP6 | NDIS_CSUM_CAP_TCP6OPT);
	mask_csum(&o.csum.ip6_txcsum, &o.csum.ip6_rxcsum, p->udp6csum,
		  NDIS_CSUM_CAP_UDP6);
	if (p->lsov2_ip4 == NDIS_OFFLOAD_LSO_OFF) {
		o.lsov2.ip4_encap = 0;
		o.lsov2.ip4_maxsz = 0;
		o.lsov2.ip4_minsg = 0;
	}
	if (p->lsov2_ip6 == NDIS_OFFLOAD_LSO_OFF) {
		o.lsov2.ip6_encap = 0;
		o.lsov2.ip6_maxsz = 0;
		o.lsov2.ip6_minsg = 0;
		o.lsov2.ip6_opts = 0;
	}
	*out = o;
}

static int
offload_caps(const struct emu_nic *nic, uint8_t *out, size_t len, bool current)
{
	struct ndis_offload o;
	uint8_t rev = nic->ndis_version >= NVSP_NDIS_VERSION_6_30 ?
			      NDIS_OFFLOAD_REV_3 : NDIS_OFFLOAD_REV_2;

	if (current)
		emu_rndis_offload_in_force(nic, &o);
	else
		offload_hw(nic, &o);
	return ndis_offload_build(out, len, &o, rev);
}

static int
rss_caps(const struct emu_nic *nic, uint8_t *out, size_t len)
{
	struct ndis_rss_caps_info ci = {
		.revision = NDIS_RSS_CAPS_REV_2,
		.caps = NDIS_RSS_CAP_MSI | NDIS_RSS_CAP_CLASSIFY_ISR |
			NDIS_RSS_CAP_CLASSIFY_DPC | NDIS_RSS_CAP_HASH_IPV4 |
			NDIS_RSS_CAP_HASH_IPV6 | NDIS_RSS_CAP_HASH_IPV6_EX |
			NDIS_HASH_FUNCTION_TOEPLITZ,
		.num_msi = cfg_of(nic)->max_queues,
		.num_rx_queues = cfg_of(nic)->max_queues,
		.num_ind_entries = EMU_NET_RSS_ENTRIES,
	};

	if (nic->net->cfg.rss_udp)
		ci.caps |= NDIS_RSS_CAP_HASH_UDP_IPV4 | NDIS_RSS_CAP_HASH_UDP_IPV6;
	/* vRSS needs NVSP 5 (docs/design/protocol.md, "Multi-queue"). */
	if (nic->version < NVSP_VERSION_5)
		return -ENOTSUP;
	return ndis_rss_caps_build(out, len, &ci);
}

static int
put_u32(uint8_t *out, size_t len, uint32_t v)
{
	if (len < sizeof(v))
		return -ENOBUFS;
	memcpy(out, &v, sizeof(v));
	return (int)sizeof(v);
}

/* Value of a u32 OID; false if oid is not one. */
static bool
query_u32(const struct emu_nic *nic, uint32_t oid, uint32_t *v)
{
	switch (oid) {
	case RNDIS_OID_GEN_HARDWARE_STATUS:
	case RNDIS_OID_GEN_MEDIA_SUPPORTED:
	case RNDIS_OID_GEN_MEDIA_IN_USE:
	case RNDIS_OID_GEN_MAC_OPTIONS:
		*v = 0;
		return true;
	case RNDIS_OID_GEN_MAXIMUM_LOOKAHEAD:
	case RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE:
		*v = nic->mtu - 14u;
		return true;
	case RNDIS_OID_GEN_MAXIMUM_TOTAL_SIZE:
		*v = nic->mtu;
		return true;
	case RNDIS_OID_GEN_LINK_SPEED:
		*v = nic->link_speed;
		return true;
	case RNDIS_OID_GEN_CURRENT_PACKET_FILTER:
		*v = nic->filter;
		return true;
	case RNDIS_OID_GEN_MEDIA_CONNECT_STATUS:
		*v = nic->link_up ? RNDIS_MEDIA_STATE_CONNECTED :
				    RNDIS_MEDIA_STATE_DISCONNECTED;
		return true;
	case RNDIS_OID_GEN_MAXIMUM_SEND_PACKETS:
		*v = EMU_NET_RNDIS_MAX_PKTS;
		return true;
	case RNDIS_OID_GEN_VENDOR_DRIVER_VERSION:
		*v = EMU_NET_VENDOR_VERSION;
		return true;
	case RNDIS_OID_802_3_MAXIMUM_LIST_SIZE:
		*v = EMU_NET_MAX_LIST_SIZE;
		return true;
	default:
		return false;
	}
}

/* Info buffer for oid: its length, or -ENOTSUP for an unknown OID. */
static int
query_info(const struct emu_nic *nic, uint32_t oid, uint8_t *out, size_t len)
{
	uint32_t v;

	if (query_u32(nic, oid, &v))
		return put_u32(out, len, v);
	switch (oid) {
	case RNDIS_OID_GEN_SUPPORTED_LIST:
		if (len < sizeof(supported_oids))
			return -ENOBUFS;
		memcpy(out, supported_oids, sizeof(supported_oids));
		return (int)sizeof(supported_oids);
	case RNDIS_OID_802_3_PERMANENT_ADDRESS:
	case RNDIS_OID_802_3_CURRENT_ADDRESS:
		if (len < 6)
			return -ENOBUFS;
		memcpy(out, emu_dev_mac(nic->dev), 6);
		return 6;
	case RNDIS_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES:
		return offload_caps(nic, out, len, false);
	case RNDIS_OID_TCP_OFFLOAD_CURRENT_CONFIG:
		return offload_caps(nic, out, len, true);
	case RNDIS_OID_GEN_RECEIVE_SCALE_CAPABILITIES:
		return rss_caps(nic, out, len);
	default:
		return -ENOTSUP;
	}
}

static int
do_query(struct emu_nic *nic, const struct rndis_ctl_req *r, uint8_t *m,
	 size_t mlen)
{
	uint8_t info[EMU_NET_CTRL_MSG_MAX - sizeof(struct rndis_query_cmplt)];
	int n = query_info(nic, r->oid, info, sizeof(info));

	if (n < 0) {
		emu_net_trace(nic, nic->q[0], "QUERY oid 0x%08x: not supported", r->oid);
		return rndis_query_cmplt_build(m, mlen, r->rid,
					       RNDIS_STATUS_NOT_SUPPORTED, NULL, 0);
	}
	return rndis_query_cmplt_build(m, mlen, r->rid, RNDIS_STATUS_SUCCESS, info,
				       (uint32_t)n);
}

/* ---- SET ---- */

static uint32_t
set_filter(struct emu_nic *nic, const struct rndis_ctl_req *r)
{
	uint32_t v;

	if (r->info_len < sizeof(v))
		return RNDIS_STATUS_INVALID_LENGTH;
	memcpy(&v, r->info, sizeof(v));
	nic->filter = v;
	emu_net_trace(nic, nic->q[0], "packet filter 0x%x", v);
	return RNDIS_STATUS_SUCCESS;
}

static uint32_t
obj_status(int rc)
{
	return rc == -ENOTSUP ? RNDIS_STATUS_NOT_SUPPORTED :
				RNDIS_STATUS_INVALID_DATA;
}

static void
offload_merge(uint8_t *cur, uint8_t v)
{
	if (v != NDIS_OFFLOAD_PARAM_NOCHG)
		*cur = v;
}

static uint32_t
set_offload(struct emu_nic *nic, const struct rndis_ctl_req *r)
{
	struct ndis_offload_params p;
	int rc = ndis_offload_params_parse(r->info, r->info_len, &p);

	if (rc != 0) {
		emu_net_log(nic, "SET TCP_OFFLOAD_PARAMETERS refused (%d)", rc);
		return obj_status(rc);
	}
	/* NOCHG (0) keeps what an earlier SET chose. */
	offload_merge(&nic->offload.ip4csum, p.ip4csum);
	offload_merge(&nic->offload.tcp4csum, p.tcp4csum);
	offload_merge(&nic->offload.udp4csum, p.udp4csum);
	offload_merge(&nic->offload.tcp6csum, p.tcp6csum);
	offload_merge(&nic->offload.udp6csum, p.udp6csum);
	offload_merge(&nic->offload.lsov2_ip4, p.lsov2_ip4);
	offload_merge(&nic->offload.lsov2_ip6, p.lsov2_ip6);
	return RNDIS_STATUS_SUCCESS;
}

static uint32_t
set_rss(struct emu_nic *nic, const struct rndis_ctl_req *r)
{
	uint32_t table[EMU_NET_RSS_ENTRIES];
	struct ndis_rss_params_info p;
	int rc = ndis_rss_params_parse(r->info, r->info_len,
				       cfg_of(nic)->max_queues, table,
				       EMU_NET_RSS_ENTRIES, &p);

	if (rc != 0) {
		emu_net_log(nic, "SET RECEIVE_SCALE_PARAMETERS refused (%d)", rc);
		return obj_status(rc);
	}
	/* Stricter than Azure's host (it ignores the types): a type the
	 * capabilities did not offer is refused. */
	if (p.enabled && !nic->net->cfg.rss_udp &&
	    (p.hash_info & (NDIS_HASH_UDP_IPV4 | NDIS_HASH_UDP_IPV6 |
			    NDIS_HASH_UDP_IPV6_EX)) != 0) {
		emu_net_log(nic, "SET RECEIVE_SCALE_PARAMETERS refused: UDP hash"
			    " types 0x%x not offered", p.hash_info);
		return RNDIS_STATUS_NOT_SUPPORTED;
	}
	nic->rss_on = p.enabled;
	if (p.enabled) {
		memcpy(nic->rss_key, p.key, sizeof(nic->rss_key));
		memcpy(nic->rss_table, table, p.table_entries * sizeof(table[0]));
		nic->rss_entries = p.table_entries;
		nic->rss_hash_info = p.hash_info;
	}
	emu_net_trace(nic, nic->q[0], "RSS %s, %u entries, hash 0x%x",
		      p.enabled ? "on" : "off", p.table_entries, p.hash_info);
	return RNDIS_STATUS_SUCCESS;
}

static uint32_t
set_config_param(struct emu_nic *nic, const struct rndis_ctl_req *r)
{
	struct rndis_config_param_info p;
	int rc = rndis_config_param_parse(r->info, r->info_len, &p);

	if (rc != 0)
		return RNDIS_STATUS_INVALID_DATA;
	emu_net_trace(nic, nic->q[0], "config parameter %s = %s", p.name, p.value);
	return RNDIS_STATUS_SUCCESS;
}

static int
do_set(struct emu_nic *nic, const struct rndis_ctl_req *r, uint8_t *m,
       size_t mlen, bool *offload_changed)
{
	uint32_t st;

	switch (r->oid) {
	case RNDIS_OID_GEN_CURRENT_PACKET_FILTER:
		st = set_filter(nic, r);
		break;
	case RNDIS_OID_TCP_OFFLOAD_PARAMETERS:
		st = set_offload(nic, r);
		*offload_changed = st == RNDIS_STATUS_SUCCESS;
		break;
	case RNDIS_OID_GEN_RECEIVE_SCALE_PARAMETERS:
		st = set_rss(nic, r);
		break;
	case RNDIS_OID_GEN_RNDIS_CONFIG_PARAMETER:
		st = set_config_param(nic, r);
		break;
	case RNDIS_OID_GEN_NETWORK_LAYER_ADDRESSES:
	case RNDIS_OID_802_3_MULTICAST_LIST:
		st = RNDIS_STATUS_SUCCESS; /* accepted and ignored */
		break;
	default:
		st = RNDIS_STATUS_NOT_SUPPORTED;
		break;
	}
	return rndis_set_cmplt_build(m, mlen, r->rid, st);
}

/* Azure's host tells the guest the offloads now in force after every
 * successful SET of TCP_OFFLOAD_PARAMETERS (the QUERY's object). */
static void
indicate_offload(struct emu_nic *nic)
{
	uint8_t obj[EMU_NET_CTRL_MSG_MAX / 2];
	int n = offload_caps(nic, obj, sizeof(obj), true);

	if (n > 0)
		queue_indication(nic, RNDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG, obj,
				 (uint32_t)n);
}

/* ---- Dispatch ---- */

static int
do_init(struct emu_nic *nic, const struct rndis_ctl_req *r, uint8_t *m,
	size_t mlen)
{
	struct rndis_init_info ii = {
		.rid = r->rid,
		.status = RNDIS_STATUS_SUCCESS,
		.major = RNDIS_VERSION_MAJOR,
		.minor = RNDIS_VERSION_MINOR,
		.device_flags = RNDIS_DEVICE_FLAG_CONNECTIONLESS,
		.medium = RNDIS_MEDIUM_802_3,
		.max_pkts_per_msg = EMU_NET_RNDIS_MAX_PKTS,
		.max_xfer_size = EMU_NET_RNDIS_MAX_XFER,
		.pkt_align_factor = EMU_NET_RNDIS_ALIGN_SHIFT,
	};

	nic->rndis = EMU_RNDIS_READY;
	return rndis_init_cmplt_build(m, mlen, &ii);
}

/* Messages a host answers with an error reply instead of the real one. */
static int
refuse(struct emu_nic *nic, const struct rndis_ctl_req *r, uint8_t *m,
       size_t mlen)
{
	struct rndis_init_info ii = { .rid = r->rid, .status = RNDIS_STATUS_FAILURE };

	switch (r->type) {
	case RNDIS_MSG_INIT:
		return rndis_init_cmplt_build(m, mlen, &ii);
	case RNDIS_MSG_QUERY:
		return rndis_query_cmplt_build(m, mlen, r->rid,
					       RNDIS_STATUS_FAILURE, NULL, 0);
	case RNDIS_MSG_SET:
		return rndis_set_cmplt_build(m, mlen, r->rid, RNDIS_STATUS_FAILURE);
	case RNDIS_MSG_KEEPALIVE:
		return rndis_keepalive_cmplt_build(m, mlen, r->rid,
						   RNDIS_STATUS_FAILURE);
	default:
		(void)nic;
		return 0;
	}
}

static const char *
rndis_type_name(uint32_t type)
{
	switch (type) {
	case RNDIS_MSG_INIT: return "INITIALIZE";
	case RNDIS_MSG_QUERY: return "QUERY";
	case RNDIS_MSG_SET: return "SET";
	case RNDIS_MSG_HALT: return "HALT";
	case RNDIS_MSG_KEEPALIVE: return "KEEPALIVE";
	case RNDIS_MSG_RESET: return "RESET";
	default: return "message";
	}
}

/* Reply length (0: none) for a request valid in the current state. */
static int
handle_req(struct emu_nic *nic, const struct rndis_ctl_req *r, uint8_t *m,
	   size_t mlen, bool *offload_changed)
{
	switch (r->type) {
	case RNDIS_MSG_INIT:
		return do_init(nic, r, m, mlen);
	case RNDIS_MSG_QUERY:
		return do_query(nic, r, m, mlen);
	case RNDIS_MSG_SET:
		return do_set(nic, r, m, mlen, offload_changed);
	case RNDIS_MSG_KEEPALIVE:
		return rndis_keepalive_cmplt_build(m, mlen, r->rid,
						   RNDIS_STATUS_SUCCESS);
	default: /* HALT: no reply, the device stops */
		nic->rndis = EMU_RNDIS_HALTED;
		nic->filter = 0;
		return 0;
	}
}

static uint32_t
do_reset(struct emu_net_queue *q)
{
	struct emu_nic *nic = q->nic;
	uint8_t m[sizeof(struct rndis_reset_cmplt)];

	/* Azure's host does not implement RESET: its worker ends. */
	if (emu_net_stop(nic, q, EMU_LENIENT_RESET, "RNDIS RESET"))
		return NVSP_STATUS_FAILURE;
	if (nic->rndis != EMU_RNDIS_READY) {
		emu_net_proto_error(nic, q, "RNDIS RESET before INITIALIZE");
		return NVSP_STATUS_FAILURE;
	}
	/* Filters and RSS survive: addressing_reset 0 asks nothing of the guest. */
	ctrl_queue(nic, m, rndis_reset_cmplt_build(m, sizeof(m),
						   RNDIS_STATUS_SUCCESS, 0), true);
	indicate_link(nic);
	return NVSP_STATUS_SUCCESS;
}

static bool
state_ok(struct emu_net_queue *q, const struct rndis_ctl_req *r)
{
	struct emu_nic *nic = q->nic;

	if (r->type == RNDIS_MSG_INIT && nic->rndis == EMU_RNDIS_READY) {
		/* Azure: INITIALIZE outside the initializing state is fatal. */
		if (!emu_net_stop(nic, q, EMU_LENIENT_REINIT,
				  "RNDIS INITIALIZE rid %u: device already initialised",
				  r->rid))
			emu_net_proto_error(nic, q, "RNDIS INITIALIZE rid %u: device already initialised",
					    r->rid);
		return false;
	}
	if (r->type != RNDIS_MSG_INIT && nic->rndis != EMU_RNDIS_READY) {
		emu_net_proto_error(nic, q, "RNDIS %s rid %u before INITIALIZE",
				    rndis_type_name(r->type), r->rid);
		return false;
	}
	return true;
}

uint32_t
emu_rndis_control(struct emu_net_queue *q, const uint8_t *msg, size_t len)
{
	struct emu_nic *nic = q->nic;
	uint8_t m[EMU_NET_CTRL_MSG_MAX];
	struct rndis_peek pk = { 0 };
	struct rndis_ctl_req r;
	bool offload_changed = false;
	int rc, n;

	if (q->id != 0) {
		emu_net_proto_error(nic, q, "RNDIS control message on subchannel %u", q->id);
		return NVSP_STATUS_FAILURE;
	}
	if (rndis_msg_peek(msg, len, &pk) == 0 && pk.type == RNDIS_MSG_RESET)
		return do_reset(q);
	rc = rndis_ctl_req_parse(msg, len, &r);
	if (rc != 0) {
		emu_net_proto_error(nic, q, "RNDIS control message type 0x%x: %s",
				    pk.type, rc == -EPROTO ?
				    "not a guest request (or rid 0)" : "malformed");
		return NVSP_STATUS_FAILURE;
	}
	nic->st.ctrl_messages++;
	emu_net_trace(nic, q, "RNDIS %s rid %u oid 0x%08x", rndis_type_name(r.type),
		      r.rid, r.oid);
	if (!state_ok(q, &r)) {
		ctrl_queue(nic, m, refuse(nic, &r, m, sizeof(m)), true);
		return NVSP_STATUS_FAILURE;
	}
	n = handle_req(nic, &r, m, sizeof(m), &offload_changed);
	ctrl_queue(nic, m, n, true);
	/* Azure's host indicates nothing after INIT (the guest queries the
	 * link; the VF association, if any, comes once the queue drained).
	 * --lenient link-at-init: the old MEDIA_CONNECT. */
	if (r.type == RNDIS_MSG_INIT) {
		nic->guest_link_up = nic->link_up;
		nic->link_pending = EMU_LINK_NONE;
		if (emu_net_lenient(nic, EMU_LENIENT_LINK_AT_INIT))
			indicate_link(nic);
	}
	if (offload_changed)
		indicate_offload(nic);
	return NVSP_STATUS_SUCCESS;
}

/* ---- Runtime control ---- */

int
emu_nic_set_link(struct emu_nic *nic, bool up)
{
	if (nic->link_up == up)
		return 0;
	nic->link_up = up;
	emu_net_log(nic, "link %s", up ? "up" : "down");
	if (emu_net_lenient(nic, EMU_LENIENT_LINK_FLAPS)) {
		indicate_link(nic);
		emu_ctrl_flush(nic);
		return 0;
	}
	/* Indicated on the next tick: changes until then coalesce. */
	nic->link_pending = EMU_LINK_ACTIVE;
	return 0;
}

int
emu_nic_set_link_speed(struct emu_nic *nic, uint32_t speed)
{
	if (speed == 0)
		return -EINVAL;
	nic->link_speed = speed;
	emu_rndis_indicate(nic, RNDIS_STATUS_LINK_SPEED_CHANGE, &speed,
			   sizeof(speed));
	return 0;
}
