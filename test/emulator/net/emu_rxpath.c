/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host -> guest: the receive buffer cut into sub-allocations, RNDIS
 * messages written into them and announced with transfer-page packets,
 * and the guest's RNDIS_ACKs that give them back.
 *
 * A packet's trans_id is its sub-allocation index: the stock DPDK PMD
 * uses the id as an index below the sub-allocation count, and openvmm
 * does the same. The last EMU_NET_CTRL_RESERVE free sub-allocations are
 * kept for control messages so that a guest slow to ACK data can still
 * complete its RNDIS requests.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emu_net_priv.h"
#include "emu_offload.h"

int
emu_rxbuf_setup(struct emu_nic *nic)
{
	size_t len = 0;
	uint8_t *p = emu_dev_map(nic->dev, HV_UIO_MAP_RECV_BUF, &len);
	uint32_t size, count, i;

	if (p == NULL || len > UINT32_MAX)
		return -ENOBUFS;
	/* Header and PPIs in front, then a frame of up to the MTU. */
	size = HV_ALIGN_UP(EMU_NET_RX_HEADROOM + nic->mtu, 64u);
	count = (uint32_t)(len / size);
	if (count <= EMU_NET_CTRL_RESERVE)
		return -ENOBUFS;
	nic->sub_free = malloc(count * sizeof(*nic->sub_free));
	nic->sub_busy = calloc(count, 1);
	if (nic->sub_free == NULL || nic->sub_busy == NULL) {
		emu_rxbuf_teardown(nic);
		return -ENOMEM;
	}
	/* Stack order: index 0 is handed out first. */
	for (i = 0; i < count; i++)
		nic->sub_free[i] = count - 1 - i;
	nic->sub_nfree = count;
	nic->sub_size = size;
	nic->sub_count = count;
	nic->rxbuf = p;
	nic->rxbuf_size = (uint32_t)len;
	nic->rxbuf_on = true;
	return 0;
}

void
emu_rxbuf_teardown(struct emu_nic *nic)
{
	free(nic->sub_free);
	free(nic->sub_busy);
	nic->sub_free = NULL;
	nic->sub_busy = NULL;
	nic->sub_nfree = 0;
	nic->sub_count = 0;
	nic->sub_size = 0;
	nic->rxbuf = NULL;
	nic->rxbuf_on = false;
}

static int
sub_alloc(struct emu_nic *nic, bool ctrl, uint32_t *idx)
{
	if (!nic->rxbuf_on || nic->sub_nfree == 0)
		return -EAGAIN;
	if (!ctrl && nic->sub_nfree <= EMU_NET_CTRL_RESERVE)
		return -EAGAIN;
	*idx = nic->sub_free[--nic->sub_nfree];
	nic->sub_busy[*idx] = ctrl ? EMU_SUB_CTRL : EMU_SUB_DATA;
	return 0;
}

static void
sub_release(struct emu_nic *nic, uint32_t idx)
{
	nic->sub_busy[idx] = EMU_SUB_FREE;
	nic->sub_free[nic->sub_nfree++] = idx;
}

/* Transfer-page packet for sub-allocation idx holding msg_len bytes. */
static int
send_xfer(struct emu_net_queue *q, uint32_t idx, uint32_t msg_len,
	  uint32_t chan_type, bool bad_range)
{
	struct emu_nic *nic = q->nic;
	uint8_t hdr[VMBUS_PKT_XFER_HDR_LEN(1)];
	uint8_t m[NVSP_RESP_SIZE_V61];
	struct vmbus_xfer_page_range r = {
		.byte_count = msg_len,
		.byte_offset = idx * nic->sub_size,
	};
	struct hv_sg sg[2];
	int mlen, hlen;

	if (bad_range) {
		/* Starts inside, ends past the buffer: guests must refuse it. */
		r.byte_offset = nic->rxbuf_size - 8u;
		emu_net_log(nic, "fault bad-xfer-range: range %u+%u", r.byte_offset,
			    r.byte_count);
	}
	mlen = nvsp_host_build_rndis_pkt(m, sizeof(m), nic->version, chan_type);
	if (mlen < 0)
		return mlen;
	hlen = vmbus_pkt_build_xfer(hdr, sizeof(hdr), nic->rxbuf_id, &r, 1,
				    (size_t)mlen, idx, 0);
	if (hlen < 0)
		return hlen;
	sg[0].base = hdr;
	sg[0].len = (uint32_t)hlen;
	sg[1].base = m;
	sg[1].len = (uint32_t)mlen;
	return emu_net_send(q, sg, 2);
}

int
emu_rx_send_ctrl(struct emu_nic *nic, const void *msg, uint32_t len)
{
	struct emu_net_queue *q = nic->q[0];
	uint32_t idx;
	int rc;

	if (q == NULL || q->broken || !nic->rxbuf_on)
		return -EAGAIN;
	if (len > nic->sub_size)
		return -EMSGSIZE;
	rc = sub_alloc(nic, true, &idx);
	if (rc != 0)
		return rc;
	memcpy(nic->rxbuf + (size_t)idx * nic->sub_size, msg, len);
	rc = send_xfer(q, idx, len, NVSP_CHANNEL_TYPE_CONTROL, false);
	if (rc != 0)
		sub_release(nic, idx);
	return rc;
}

/* ---- Data frames from the wire ---- */

static bool
filter_pass(const struct emu_nic *nic, const uint8_t *dst)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint32_t f = nic->filter;

	if (f & RNDIS_PACKET_TYPE_PROMISCUOUS)
		return true;
	if (memcmp(dst, bcast, sizeof(bcast)) == 0)
		return (f & RNDIS_PACKET_TYPE_BROADCAST) != 0;
	if (dst[0] & 1u)
		return (f & (RNDIS_PACKET_TYPE_MULTICAST |
			     RNDIS_PACKET_TYPE_ALL_MULTICAST)) != 0;
	return (f & RNDIS_PACKET_TYPE_DIRECTED) &&
	       memcmp(dst, emu_dev_mac(nic->dev), 6) == 0;
}

/* RSS: hash PPIs in meta and the queue the indirection table names. */
static unsigned int
rss_pick(const struct emu_nic *nic, const uint8_t *f, size_t len,
	 struct rndis_pkt_meta *meta)
{
	uint8_t in[36];
	uint32_t type = 0, hash;
	size_t n;
	unsigned int qi;

	if (!nic->rss_on || nic->rss_entries == 0)
		return 0;
	n = emu_rss_input(f, len, nic->rss_hash_info & NDIS_HASH_TYPE_MASK, in,
			  &type);
	if (n == 0)
		return 0;
	hash = ndis_toeplitz_hash(nic->rss_key, sizeof(nic->rss_key), in, n);
	meta->present |= RNDIS_META_HASH_VALUE | RNDIS_META_HASH_INFO;
	meta->hash_value = hash;
	meta->hash_info = NDIS_HASH_FUNCTION_TOEPLITZ | type;
	qi = nic->rss_table[hash % nic->rss_entries];
	/* A queue the guest closed again falls back to the primary. */
	return qi < EMU_NET_MAX_QUEUES && nic->q[qi] != NULL ? qi : 0;
}

/* Hardening faults on the RNDIS message just written. */
static void
corrupt_msg(struct emu_nic *nic, uint8_t *msg, uint32_t *msg_len)
{
	struct rndis_packet_msg h;
	uint32_t v;

	memcpy(&h, msg, sizeof(h));
	if (emu_fault_take(nic, EMU_FAULT_BAD_RNDIS_LEN)) {
		h.msg_len = *msg_len + nic->sub_size;
		memcpy(msg, &h, sizeof(h));
		emu_net_log(nic, "fault bad-rndis-len: msg_len %u in a %u-byte range",
			    h.msg_len, *msg_len);
	}
	if (h.ppi_len != 0 && emu_fault_take(nic, EMU_FAULT_BAD_PPI)) {
		v = 0;
		memcpy(msg + RNDIS_BODY_OFFSET + h.ppi_offset, &v, sizeof(v));
		emu_net_log(nic, "fault bad-ppi: first PPI size 0");
	}
}

static int
rx_write(struct emu_nic *nic, uint32_t idx, const uint8_t *f, size_t len,
	 const struct rndis_pkt_meta *meta, uint32_t *msg_len)
{
	uint8_t *dst = nic->rxbuf + (size_t)idx * nic->sub_size;
	int off = rndis_pkt_encode(dst, nic->sub_size, meta, (uint32_t)len, 0);

	if (off < 0 || (size_t)off + len > nic->sub_size)
		return off < 0 ? off : -EMSGSIZE;
	memcpy(dst + off, f, len);
	*msg_len = (uint32_t)off + (uint32_t)len;
	corrupt_msg(nic, dst, msg_len);
	return 0;
}

static int
rx_check(struct emu_nic *nic, const void *frame, size_t len)
{
	if (!emu_dev_is_open(nic->dev) || !emu_nvsp_ready(nic) ||
	    nic->rndis != EMU_RNDIS_READY || !nic->link_up || nic->q[0] == NULL ||
	    nic->filter == 0) {
		nic->st.rx_drop_filter++;
		return -ENETDOWN;
	}
	if (frame == NULL || len < EMU_ETH_HLEN) {
		nic->rx_drop_other++;
		return -EINVAL;
	}
	/* The tag goes to a PPI, so it does not count against the MTU. */
	if (len > (size_t)nic->mtu + EMU_VLAN_HLEN) {
		nic->st.rx_drop_too_big++;
		return -EMSGSIZE;
	}
	if (!filter_pass(nic, frame)) {
		nic->st.rx_drop_filter++;
		return -ENETDOWN;
	}
	return 0;
}

static int
rx_deliver(struct emu_nic *nic, const uint8_t *f, size_t len,
	   struct rndis_pkt_meta *meta)
{
	unsigned int qi = rss_pick(nic, f, len, meta);
	struct emu_net_queue *q = nic->q[qi];
	uint32_t idx, msg_len = 0;
	int rc = sub_alloc(nic, false, &idx);

	if (rc != 0) {
		nic->qst[qi].rx_drop_no_buffer++;
		return -EAGAIN;
	}
	rc = rx_write(nic, idx, f, len, meta, &msg_len);
	if (rc == 0)
		rc = send_xfer(q, idx, msg_len, NVSP_CHANNEL_TYPE_DATA,
			       emu_fault_take(nic, EMU_FAULT_BAD_XFER_RANGE));
	if (rc != 0) {
		sub_release(nic, idx);
		if (rc == -EAGAIN)
			nic->qst[qi].rx_drop_ring_full++;
		return rc == -EAGAIN ? -EAGAIN : -EIO;
	}
	nic->qst[qi].rx_packets++;
	nic->qst[qi].rx_bytes += len;
	return 0;
}

int
emu_nic_rx(struct emu_nic *nic, const void *frame, size_t len)
{
	struct rndis_pkt_meta meta;
	bool tagged;
	uint16_t tci;
	int n, rc = rx_check(nic, frame, len);

	if (rc != 0)
		return rc;
	/* Hosts always strip the tag into the VLAN PPI. */
	n = emu_vlan_strip(frame, len, nic->frame, EMU_NET_FRAME_MAX, &tagged, &tci);
	if (n < (int)EMU_ETH_HLEN) {
		nic->rx_drop_other++;
		return -EINVAL;
	}
	memset(&meta, 0, sizeof(meta));
	meta.present = RNDIS_META_CSUM;
	meta.csum = emu_csum_verify(nic->frame, (size_t)n);
	if (tagged) {
		meta.present |= RNDIS_META_VLAN;
		meta.vlan_tci = tci;
	}
	return rx_deliver(nic, nic->frame, (size_t)n, &meta);
}

/* ---- The guest's RNDIS_ACK ---- */

void
emu_rx_ack(struct emu_net_queue *q, const struct vmbus_pkt_info *pi)
{
	struct emu_nic *nic = q->nic;
	struct nvsp_request r;
	uint64_t id = pi->trans_id;

	/* Completions of our own VF / data-path notifications. */
	if (id == EMU_NET_XID_VF_ASSOC || id == EMU_NET_XID_DATAPATH)
		return;
	if (nvsp_host_parse_request(pi->payload, pi->payload_len, nic->version,
				    &r) != 0 ||
	    r.type != NVSP_MSG_TYPE_SEND_RNDIS_PKT_COMPLETE) {
		emu_net_proto_error(nic, q, "completion trans_id %llu: not an RNDIS_ACK (%u bytes)",
				    (unsigned long long)id, pi->payload_len);
		return;
	}
	if (id >= nic->sub_count || nic->sub_busy[id] == EMU_SUB_FREE) {
		emu_net_proto_error(nic, q, "NVSP RNDIS_ACK: unknown trans_id %llu (%u receive sub-allocations)",
				    (unsigned long long)id, nic->sub_count);
		return;
	}
	if (r.rndis_complete.status != NVSP_STATUS_SUCCESS)
		emu_net_trace(nic, q, "RNDIS_ACK %llu with status %u",
			      (unsigned long long)id, r.rndis_complete.status);
	sub_release(nic, (uint32_t)id);
	nic->qst[q->id].acks_received++;
}
