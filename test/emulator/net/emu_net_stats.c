/* SPDX-License-Identifier: BSD-3-Clause */
/* Counters of the network service and names for the log. */
#include <string.h>

#include "emu_net_priv.h"

const char *
emu_nvsp_type_name(uint32_t type)
{
	switch (type) {
	case NVSP_MSG_TYPE_INIT: return "INIT";
	case NVSP_MSG_TYPE_INIT_COMPLETE: return "INIT_COMPLETE";
	case NVSP_MSG_TYPE_SEND_NDIS_VERSION: return "SEND_NDIS_VERSION";
	case NVSP_MSG_TYPE_SEND_RECV_BUF: return "SEND_RECV_BUF";
	case NVSP_MSG_TYPE_REVOKE_RECV_BUF: return "REVOKE_RECV_BUF";
	case NVSP_MSG_TYPE_SEND_SEND_BUF: return "SEND_SEND_BUF";
	case NVSP_MSG_TYPE_REVOKE_SEND_BUF: return "REVOKE_SEND_BUF";
	case NVSP_MSG_TYPE_SEND_RNDIS_PKT: return "SEND_RNDIS_PKT";
	case NVSP_MSG_TYPE_SEND_RNDIS_PKT_COMPLETE: return "RNDIS_ACK";
	case NVSP_MSG_TYPE_SEND_NDIS_CONFIG: return "SEND_NDIS_CONFIG";
	case NVSP_MSG_TYPE_SEND_VF_ASSOCIATION: return "SEND_VF_ASSOCIATION";
	case NVSP_MSG_TYPE_SWITCH_DATA_PATH: return "SWITCH_DATA_PATH";
	case NVSP_MSG_TYPE_OID_QUERY_EX: return "OID_QUERY_EX";
	case NVSP_MSG_TYPE_SUBCHANNEL: return "SUBCHANNEL";
	case NVSP_MSG_TYPE_SEND_INDIRECTION_TABLE: return "SEND_INDIRECTION_TABLE";
	default: return "unknown type";
	}
}

unsigned int
emu_nic_nchan(const struct emu_nic *nic)
{
	unsigned int i, n = 0;

	for (i = 0; i < EMU_NET_MAX_QUEUES; i++)
		n += nic->q[i] != NULL;
	return n;
}

void
emu_nic_chan_stats(const struct emu_nic *nic, unsigned int queue,
		   struct emu_chan_stats *out)
{
	if (queue >= EMU_NET_MAX_QUEUES) {
		memset(out, 0, sizeof(*out));
		return;
	}
	*out = nic->qst[queue];
}

void
emu_nic_stats(const struct emu_nic *nic, struct emu_nic_stats *out)
{
	*out = nic->st;
	/* Frames a backend could not even parse count as filtered. */
	out->rx_drop_filter += nic->rx_drop_other;
	out->gpa_invalid = emu_dev_gpa_invalid(nic->dev);
}

static void
print_queue(const struct emu_nic *nic, unsigned int i, FILE *out)
{
	const struct emu_chan_stats *s = &nic->qst[i];

	fprintf(out,
		"  queue %u%s: rx %llu pkts %llu bytes, tx %llu pkts %llu bytes, "
		"rx drops ring-full %llu no-buffer %llu, tx errors %llu, "
		"completions %llu, acks %llu, irqs %llu, doorbells %llu, "
		"bad acks %llu, tx msg_len errors %llu, tx aggregated %llu, "
		"tx pending %llu "
		"(limit reached %llu), missed-doorbell %llu\n",
		i, nic->q[i] == NULL ? " (closed)" :
		   nic->q[i]->broken ? " (stopped)" : "",
		(unsigned long long)s->rx_packets, (unsigned long long)s->rx_bytes,
		(unsigned long long)s->tx_packets, (unsigned long long)s->tx_bytes,
		(unsigned long long)s->rx_drop_ring_full,
		(unsigned long long)s->rx_drop_no_buffer,
		(unsigned long long)s->tx_errors,
		(unsigned long long)s->completions_sent,
		(unsigned long long)s->acks_received,
		(unsigned long long)s->irqs_raised,
		(unsigned long long)s->doorbells,
		(unsigned long long)s->rx_ack_errors,
		(unsigned long long)s->tx_msg_len_errors,
		(unsigned long long)s->tx_aggregated,
		(unsigned long long)s->tx_pending,
		(unsigned long long)s->tx_pending_full,
		(unsigned long long)s->missed_doorbells);
	if (s->tx_lso != 0 || s->tx_csum != 0 || s->tx_vlan != 0 ||
	    s->tx_offload_refused != 0)
		fprintf(out,
			"  queue %u offload: tx lso %llu (segments %llu), csum %llu, "
			"vlan %llu, refused %llu\n", i,
			(unsigned long long)s->tx_lso,
			(unsigned long long)s->tx_lso_segments,
			(unsigned long long)s->tx_csum,
			(unsigned long long)s->tx_vlan,
			(unsigned long long)s->tx_offload_refused);
}

/* Per-path counters: synthetic frames are the queues' rx, these the VF's. */
static void
print_vf(const struct emu_nic *nic, FILE *out)
{
	struct emu_vf_stats v;

	emu_nic_vf_stats(nic, &v);
	if (!v.attached && !nic->vf_offered)
		return;
	fprintf(out,
		"  vf: offered %s, device %s, datapath %s, steering %s%s, "
		"rx %llu pkts %llu bytes, tx %llu pkts %llu bytes, rx lost %llu "
		"busy %llu, switches %llu refused %llu, appeared %llu removed %llu, "
		"tx dropped %llu\n",
		nic->vf_offered ? "yes" : "no",
		!v.attached ? "none" : v.present ? "present" : "absent",
		nic->datapath_vf ? "vf" : "synthetic", v.steering ? "on" : "off",
		v.revoking ? " (revoking)" : "",
		(unsigned long long)v.rx, (unsigned long long)v.rx_bytes,
		(unsigned long long)v.tx, (unsigned long long)v.tx_bytes,
		(unsigned long long)v.rx_lost, (unsigned long long)v.rx_busy,
		(unsigned long long)v.switches,
		(unsigned long long)v.switches_refused,
		(unsigned long long)v.appeared, (unsigned long long)v.removed,
		(unsigned long long)v.tx_dropped);
}

void
emu_nic_print_stats(const struct emu_nic *nic, FILE *out)
{
	struct emu_nic_stats st;
	unsigned int i;

	emu_nic_stats(nic, &st);
	fprintf(out,
		"nic%u: nvsp 0x%x, link %s, filter 0x%x, rss %s, channels %u, "
		"ctrl %llu, protocol errors %llu, rx drops filter %llu too-big %llu "
		"not-ready %llu\n",
		nic->idx, nic->version, nic->link_up ? "up" : "down", nic->filter,
		nic->rss_on ? "on" : "off", emu_nic_nchan(nic),
		(unsigned long long)st.ctrl_messages,
		(unsigned long long)st.protocol_errors,
		(unsigned long long)st.rx_drop_filter,
		(unsigned long long)st.rx_drop_too_big,
		(unsigned long long)st.rx_drop_not_ready);
	/* Strictness and the generic faults (docs/emulator.md). */
	fprintf(out,
		"  host: channel stops %llu%s, mutated %llu, replies delayed %llu dropped %llu, "
		"rx-held %u, gpa-invalid %llu\n",
		(unsigned long long)st.channel_stops,
		nic->stopped ? " (stopped now)" : "",
		(unsigned long long)st.mutated,
		(unsigned long long)st.replies_delayed,
		(unsigned long long)st.replies_dropped,
		/* Receive sub-allocations the guest has not ACKed yet. */
		nic->sub_count - nic->sub_nfree,
		(unsigned long long)st.gpa_invalid);
	for (i = 0; i < EMU_NET_MAX_QUEUES; i++) {
		const struct emu_chan_stats *s = &nic->qst[i];

		if (nic->q[i] != NULL || s->rx_packets != 0 || s->tx_packets != 0 ||
		    s->missed_doorbells != 0)
			print_queue(nic, i, out);
	}
	print_vf(nic, out);
	if (nic->be != NULL && nic->be->ops->print_stats != NULL)
		nic->be->ops->print_stats(nic->be, out);
}
