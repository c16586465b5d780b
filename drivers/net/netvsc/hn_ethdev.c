/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_netvsc: the poll-mode driver for Hyper-V synthetic network devices.
 * This file is the ethdev glue: probe/remove, devargs, configure, device
 * info from the host's answers, start/stop, link, filters, queue setup.
 * The protocol lives in hn_session.c (control) and hn_chan.c, hn_rx.c,
 * hn_tx.c (data).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ethdev_driver.h>
#include <rte_kvargs.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "hn_var.h"
#include "hn_rx_ext.h"
#include "hn_vf.h"

RTE_LOG_REGISTER(hn_logtype, pmd.net.netvsc, NOTICE);

#define HN_DEVARG_LATENCY "latency"
#define HN_DEVARG_RX_COPYBREAK "rx_copybreak"
#define HN_DEVARG_TX_COPYBREAK "tx_copybreak"
#define HN_DEVARG_RX_EXTMBUF "rx_extmbuf_enable"
#define HN_DEVARG_NUMA_AWARE "numa_aware"
#define HN_DEVARG_HOST_TIMEOUT "host_timeout"
/* Parsed by hn_vf.c. */
#define HN_DEVARG_VF "vf"
#define HN_DEVARG_VF_PMD "vf_pmd"

#define HN_HOST_TIMEOUT_DEFAULT_MS 60000u
#define HN_LATENCY_DEFAULT_US 50u
#define HN_RX_COPYBREAK_DEFAULT 256u
/*
 * Copy every frame that fits a send-buffer section (6144 bytes on Azure's
 * host), as Linux hv_netvsc does: at 1514 bytes three frames share one
 * VMBus packet and one completion, which costs both sides less than a
 * page-buffer packet per frame (docs/pmd.md, "Transmit modes"). Frames
 * over the section (jumbo, TSO) still go as page buffers.
 */
#define HN_TX_COPYBREAK_DEFAULT 6144u

/* Synthetic network adapter class: f8615163-df3e-46c5-913f-f2d2f965ed0e. */
static const struct hv_guid hn_class_ids[] = {
	RTE_VMBUS_GUID(0xf8615163, 0xdf3e, 0x46c5, 0x913f, 0xf2d2f965ed0eULL),
	{ .b = { 0 } },
};

/* ---- Devargs ---- */

struct hn_devarg {
	const char *key;
	uint32_t max;
	uint32_t *out;
};

static int
hn_kv_u32(const char *key, const char *value, void *opaque)
{
	const struct hn_devarg *a = opaque;
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || value[0] == '-' ||
	    v > a->max) {
		HN_LOG(ERR, "devarg %s=%s: want an integer from 0 to %u", key,
		       value, a->max);
		return -EINVAL;
	}
	*a->out = (uint32_t)v;
	return 0;
}

static int
hn_parse_devargs(struct hn_data *hv, const struct rte_devargs *da)
{
	static const char *const keys[] = {
		HN_DEVARG_LATENCY, HN_DEVARG_RX_COPYBREAK, HN_DEVARG_TX_COPYBREAK,
		HN_DEVARG_RX_EXTMBUF, HN_DEVARG_NUMA_AWARE, HN_DEVARG_HOST_TIMEOUT,
		HN_DEVARG_VF, HN_DEVARG_VF_PMD, NULL,
	};
	uint32_t extmbuf = 0, numa = 0;
	struct hn_devarg args[] = {
		{ HN_DEVARG_LATENCY, 6553, &hv->latency_us },
		{ HN_DEVARG_RX_COPYBREAK, UINT16_MAX, &hv->rx_copybreak },
		{ HN_DEVARG_TX_COPYBREAK, UINT16_MAX, &hv->tx_copybreak },
		{ HN_DEVARG_RX_EXTMBUF, 1, &extmbuf },
		{ HN_DEVARG_NUMA_AWARE, 1, &numa },
		{ HN_DEVARG_HOST_TIMEOUT, 3600000, &hv->host_timeout_ms },
	};
	struct rte_kvargs *kv;
	unsigned int i;
	int rc = 0;

	hv->latency_us = HN_LATENCY_DEFAULT_US;
	hv->rx_copybreak = HN_RX_COPYBREAK_DEFAULT;
	hv->tx_copybreak = HN_TX_COPYBREAK_DEFAULT;
	hv->host_timeout_ms = HN_HOST_TIMEOUT_DEFAULT_MS;
	if (da == NULL || da->args == NULL || da->args[0] == '\0')
		return 0;
	kv = rte_kvargs_parse(da->args, keys);
	if (kv == NULL) {
		HN_LOG(ERR, "unknown or malformed devargs: %s", da->args);
		return -EINVAL;
	}
	for (i = 0; i < RTE_DIM(args) && rc == 0; i++)
		rc = rte_kvargs_process(kv, args[i].key, hn_kv_u32, &args[i]);
	rte_kvargs_free(kv);
	/* Accepted for compatibility; Rx always copies in this version. */
	hv->rx_extmbuf = extmbuf != 0;
	if (hv->host_timeout_ms == 0)
		hv->host_timeout_ms = 1;
	return rc;
}

/* ---- ethdev ops ---- */

static int
hn_dev_configure(struct rte_eth_dev *dev)
{
	struct hn_data *hv = dev->data->dev_private;
	uint32_t nq = RTE_MAX(dev->data->nb_rx_queues, dev->data->nb_tx_queues);
	int rc;

	if (hv->dead)
		return -ENODEV;
	if (nq > hv->max_queues) {
		HN_LOG(ERR, "port %u: %u queues asked, the host offers %u",
		       hv->port_id, nq, hv->max_queues);
		return -EINVAL;
	}
	if (dev->data->dev_conf.rxmode.mq_mode & RTE_ETH_MQ_RX_RSS_FLAG)
		dev->data->dev_conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_RSS_HASH;
	rc = hn_rss_configure(dev);
	if (rc == 0)
		rc = hn_mtu_configure(dev);
	if (rc != 0)
		return rc;
	/* Channels follow the count, up or down, at every configure. */
	rc = hn_queues_configure(hv, nq);
	if (rc != 0)
		return rc;
	return hn_offload_configure(hv);
}

static int
hn_dev_infos_get(struct rte_eth_dev *dev, struct rte_eth_dev_info *info)
{
	struct hn_data *hv = dev->data->dev_private;

	info->max_rx_queues = hv->max_queues;
	info->max_tx_queues = hv->max_queues;
	info->max_mac_addrs = 1;
	info->min_rx_bufsize = RTE_ETHER_MIN_LEN;
	info->min_mtu = RTE_ETHER_MIN_MTU;
	info->max_mtu = hn_mtu_max(hv);
	info->max_rx_pktlen = (uint32_t)info->max_mtu + RTE_ETHER_HDR_LEN +
		RTE_ETHER_CRC_LEN;
	hn_offload_capa(hv, &info->tx_offload_capa, &info->rx_offload_capa);
	if (hv->have_rss_caps && hv->max_queues > 1) {
		info->rx_offload_capa |= RTE_ETH_RX_OFFLOAD_RSS_HASH;
		info->flow_type_rss_offloads = hn_rss_hf_capa(hv);
		info->hash_key_size = NDIS_RSS_KEY_SIZE;
		info->reta_size = hn_rss_entries(hv);
	}
	info->rx_desc_lim.nb_max = 4096;
	info->rx_desc_lim.nb_min = 1;
	info->rx_desc_lim.nb_align = 1;
	info->tx_desc_lim.nb_max = 4096;
	info->tx_desc_lim.nb_min = 32;
	info->tx_desc_lim.nb_align = 1;
	info->default_rxportconf.burst_size = 32;
	info->default_txportconf.burst_size = 32;
	info->default_txportconf.ring_size = (uint16_t)(HN_TXD_PORT_DEFAULT /
		RTE_MAX(dev->data->nb_tx_queues, 1u));
	info->default_rxportconf.nb_queues = 1;
	info->default_txportconf.nb_queues = 1;
	info->speed_capa = rte_eth_speed_bitflag(hv->link_speed / 10000,
						  RTE_ETH_LINK_FULL_DUPLEX);
	if (info->speed_capa == 0)
		info->speed_capa = RTE_ETH_LINK_SPEED_10G;
	info->dev_capa = 0;
	return 0;
}

static uint32_t
hn_filter_want(const struct hn_data *hv)
{
	if (hv->promisc)
		return RNDIS_PACKET_TYPE_PROMISCUOUS;
	return RNDIS_PACKET_TYPE_DIRECTED | RNDIS_PACKET_TYPE_BROADCAST |
		(hv->allmulti ? RNDIS_PACKET_TYPE_ALL_MULTICAST :
				RNDIS_PACKET_TYPE_MULTICAST);
}

static int
hn_dev_link_update(struct rte_eth_dev *dev, int wait)
{
	struct hn_data *hv = dev->data->dev_private;
	struct rte_eth_link link;

	RTE_SET_USED(wait);
	memset(&link, 0, sizeof(link));
	link.link_duplex = RTE_ETH_LINK_FULL_DUPLEX;
	link.link_autoneg = RTE_ETH_LINK_FIXED;
	link.link_status = hv->link_up && !hv->dead ? RTE_ETH_LINK_UP :
		RTE_ETH_LINK_DOWN;
	/* The host reports 100 bps units. */
	link.link_speed = link.link_status ? hv->link_speed / 10000 :
		RTE_ETH_SPEED_NUM_NONE;
	return rte_eth_linkstatus_set(dev, &link);
}

static int
hn_dev_start(struct rte_eth_dev *dev)
{
	struct hn_data *hv = dev->data->dev_private;
	uint16_t q;
	int rc;

	if (hv->dead)
		return -ENODEV;
	rc = hn_rss_set(hv, dev->data->nb_rx_queues);
	if (rc != 0)
		return rc;
	hn_tx_slice_sections(hv);
	rc = hn_set_filter(hv, hn_filter_want(hv));
	if (rc == 0 && dev->data->dev_conf.intr_conf.rxq != 0)
		rc = hn_intr_setup(dev);
	if (rc != 0)
		return rc;
	for (q = 0; q < dev->data->nb_rx_queues; q++)
		dev->data->rx_queue_state[q] = RTE_ETH_QUEUE_STATE_STARTED;
	for (q = 0; q < dev->data->nb_tx_queues; q++)
		dev->data->tx_queue_state[q] = RTE_ETH_QUEUE_STATE_STARTED;
	hn_dev_link_update(dev, 0);
	hn_vf_start(hv);
	return 0;
}

static int
hn_dev_stop(struct rte_eth_dev *dev)
{
	struct hn_data *hv = dev->data->dev_private;
	uint16_t q;

	/* The VF first: back to synthetic while the host still listens. */
	hn_vf_stop(hv);
	dev->data->dev_started = 0;
	if (!hv->dead)
		(void)hn_set_filter(hv, 0);
	for (q = 0; q < dev->data->nb_tx_queues; q++)
		if (dev->data->tx_queues[q] != NULL)
			hn_tx_reclaim(dev->data->tx_queues[q]);
	/* Nobody polls Rx while stopped: ACK what was freed by now (the
	 * reclaimed sends included). */
	hn_zx_flush(hv);
	for (q = 0; q < dev->data->nb_rx_queues; q++)
		dev->data->rx_queue_state[q] = RTE_ETH_QUEUE_STATE_STOPPED;
	for (q = 0; q < dev->data->nb_tx_queues; q++)
		dev->data->tx_queue_state[q] = RTE_ETH_QUEUE_STATE_STOPPED;
	return 0;
}

static int
hn_dev_close(struct rte_eth_dev *dev)
{
	struct hn_data *hv = dev->data->dev_private;
	uint16_t q;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return 0;
	if (dev->data->dev_started)
		hn_dev_stop(dev);
	hn_vf_fini(hv);
	for (q = 0; q < dev->data->nb_rx_queues; q++)
		hn_rx_queue_release(dev, q);
	hn_intr_release(dev);
	hn_zx_flush(hv);
	hn_session_detach(hv);
	/* Only once the channels are closed: a send the host had not
	 * completed at stop kept its mbuf and header slot, which the host
	 * could read until then. */
	for (q = 0; q < dev->data->nb_tx_queues; q++)
		hn_tx_queue_release(dev, q);
	hn_offload_fini(hv);
	hn_zx_close(hv);
	HN_LOG(INFO, "port %u: closed", hv->port_id);
	return 0;
}

static int
hn_filter_update(struct rte_eth_dev *dev)
{
	struct hn_data *hv = dev->data->dev_private;

	if (!dev->data->dev_started)
		return 0;
	return hn_set_filter(hv, hn_filter_want(hv));
}

static int
hn_promisc_set(struct rte_eth_dev *dev, bool on)
{
	struct hn_data *hv = dev->data->dev_private;
	bool old = hv->promisc;
	int rc;

	hv->promisc = on;
	rc = hn_filter_update(dev);
	if (rc != 0)
		hv->promisc = old;
	else
		hn_vf_filter_sync(hv);
	return rc;
}

static int
hn_allmulti_set(struct rte_eth_dev *dev, bool on)
{
	struct hn_data *hv = dev->data->dev_private;
	bool old = hv->allmulti;
	int rc;

	hv->allmulti = on;
	rc = hn_filter_update(dev);
	if (rc != 0)
		hv->allmulti = old;
	else
		hn_vf_filter_sync(hv);
	return rc;
}

static int
hn_promisc_enable(struct rte_eth_dev *dev)
{
	return hn_promisc_set(dev, true);
}

static int
hn_promisc_disable(struct rte_eth_dev *dev)
{
	return hn_promisc_set(dev, false);
}

static int
hn_allmulti_enable(struct rte_eth_dev *dev)
{
	return hn_allmulti_set(dev, true);
}

static int
hn_allmulti_disable(struct rte_eth_dev *dev)
{
	return hn_allmulti_set(dev, false);
}

/* What rte_net_get_ptype() may set on a received frame. */
static const uint32_t *
hn_dev_supported_ptypes_get(struct rte_eth_dev *dev)
{
	static const uint32_t ptypes[] = {
		RTE_PTYPE_L2_ETHER,
		RTE_PTYPE_L2_ETHER_VLAN,
		RTE_PTYPE_L2_ETHER_QINQ,
		RTE_PTYPE_L3_IPV4,
		RTE_PTYPE_L3_IPV4_EXT,
		RTE_PTYPE_L3_IPV6,
		RTE_PTYPE_L3_IPV6_EXT,
		RTE_PTYPE_L4_TCP,
		RTE_PTYPE_L4_UDP,
		RTE_PTYPE_L4_FRAG,
		RTE_PTYPE_L4_SCTP,
		RTE_PTYPE_UNKNOWN,
	};

	RTE_SET_USED(dev);
	return ptypes;
}

static const struct eth_dev_ops hn_eth_dev_ops = {
	.dev_configure = hn_dev_configure,
	.dev_start = hn_dev_start,
	.dev_stop = hn_dev_stop,
	.dev_close = hn_dev_close,
	.dev_infos_get = hn_dev_infos_get,
	.mtu_set = hn_mtu_set,
	.dev_reset = hn_dev_reset,
	.link_update = hn_dev_link_update,
	.promiscuous_enable = hn_promisc_enable,
	.promiscuous_disable = hn_promisc_disable,
	.allmulticast_enable = hn_allmulti_enable,
	.allmulticast_disable = hn_allmulti_disable,
	.rx_queue_setup = hn_rx_queue_setup,
	.rx_queue_release = hn_rx_queue_release,
	.rx_queue_intr_enable = hn_rx_intr_enable,
	.rx_queue_intr_disable = hn_rx_intr_disable,
	.tx_queue_setup = hn_tx_queue_setup,
	.tx_queue_release = hn_tx_queue_release,
	/* Both paths: the VF's counters are merged in (hn_vf.c). */
	.stats_get = hn_vf_stats_get,
	.stats_reset = hn_vf_stats_reset,
	.xstats_get = hn_vf_xstats_get,
	.xstats_get_names = hn_vf_xstats_get_names,
	.xstats_reset = hn_vf_stats_reset,
	.dev_supported_ptypes_get = hn_dev_supported_ptypes_get,
	.rss_hash_update = hn_rss_hash_update,
	.rss_hash_conf_get = hn_rss_hash_conf_get,
	.reta_update = hn_rss_reta_update,
	.reta_query = hn_rss_reta_query,
	.tx_done_cleanup = hn_tx_done_cleanup,
	.rxq_info_get = hn_rxq_info_get,
	.txq_info_get = hn_txq_info_get,
	/* Rules go to the VF, refused without one (hn_vf_flow.c). */
	.flow_ops_get = hn_vf_flow_ops_get,
};

void
hn_set_fast_ops(struct rte_eth_dev *eth)
{
	eth->rx_pkt_burst = hn_recv_pkts;
	eth->tx_pkt_burst = hn_xmit_pkts;
	eth->rx_queue_count = hn_rx_queue_count;
	eth->rx_descriptor_status = hn_rx_descriptor_status;
	eth->tx_descriptor_status = hn_tx_descriptor_status;
}

/* ---- Bus hooks ---- */

static int
hn_probe(struct rte_vmbus_driver *drv, struct rte_vmbus_device *vdev)
{
	struct rte_eth_dev *eth;
	struct hn_data *hv;
	int rc;

	RTE_SET_USED(drv);
	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return hn_probe_secondary(vdev, &hn_eth_dev_ops);
	eth = rte_eth_dev_allocate(vdev->device.name);
	if (eth == NULL)
		return -ENOMEM;
	hv = rte_zmalloc_socket("hn_data", sizeof(*hv), RTE_CACHE_LINE_SIZE,
				vdev->device.numa_node);
	eth->data->mac_addrs = rte_zmalloc("hn_mac", RTE_ETHER_ADDR_LEN, 0);
	if (hv == NULL || eth->data->mac_addrs == NULL) {
		rte_free(hv);
		rte_eth_dev_release_port(eth);
		return -ENOMEM;
	}
	eth->data->dev_private = hv;
	eth->device = &vdev->device;
	eth->dev_ops = &hn_eth_dev_ops;
	hn_set_fast_ops(eth);
	eth->data->dev_flags |= RTE_ETH_DEV_INTR_LSC | RTE_ETH_DEV_INTR_RMV;
	hv->vmbus = vdev;
	hv->data = eth->data;
	hv->port_id = eth->data->port_id;
	hv->mtu = RTE_ETHER_MTU;
	eth->data->mtu = RTE_ETHER_MTU;

	rc = hn_parse_devargs(hv, vdev->device.devargs);
	if (rc == 0)
		rc = hn_session_attach(hv);
	if (rc == 0) {
		rte_ether_addr_copy(&hv->mac, eth->data->mac_addrs);
		rc = hn_vf_init(hv, vdev->device.devargs);
	}
	if (rc != 0) {
		HN_LOG(ERR, "%s: attach failed: %s", vdev->name, strerror(-rc));
		hn_session_detach(hv);
		rte_eth_dev_release_port(eth);
		return rc;
	}
	rte_ether_addr_copy(&hv->mac, eth->data->mac_addrs);
	hn_dev_link_update(eth, 0);
	HN_LOG(NOTICE, "port %u: %s attached: NVSP 0x%x, MAC " RTE_ETHER_ADDR_PRT_FMT
	       ", link %s, up to %u queues", hv->port_id, vdev->name,
	       hv->nvsp_version, RTE_ETHER_ADDR_BYTES(&hv->mac),
	       hv->link_up ? "up" : "down", hv->max_queues);
	rte_eth_dev_probing_finish(eth);
	return 0;
}

static int
hn_remove(struct rte_vmbus_device *vdev)
{
	struct rte_eth_dev *eth = rte_eth_dev_allocated(vdev->device.name);
	int held;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return eth == NULL ? 0 : hn_remove_secondary(eth);
	/* Removal unmaps the receive buffer: not under zero-copy mbufs. */
	held = hn_zx_busy(vdev);
	if (eth != NULL)
		held += hn_zx_held(eth->data->dev_private);
	if (held > 0) {
		HN_LOG(ERR, "%s: not removed: the application still holds"
		       " zero-copy mbufs of %d receive packets, which point"
		       " into the receive buffer", vdev->device.name, held);
		return -EBUSY;
	}
	if (eth == NULL)
		return 0;
	return rte_eth_dev_close(eth->data->port_id);
}

/* The host withdrew the device: say so; the application removes it. */
static void
hn_rescind(struct rte_vmbus_device *vdev)
{
	struct rte_eth_dev *eth = rte_eth_dev_allocated(vdev->device.name);
	struct hn_data *hv;

	if (eth == NULL || eth->data->dev_private == NULL)
		return;
	hv = eth->data->dev_private;
	hn_host_dead(hv, -ENODEV);
	rte_eth_dev_callback_process(eth, RTE_ETH_EVENT_INTR_RMV, NULL);
}

static struct rte_vmbus_driver hn_driver = {
	.id_table = hn_class_ids,
	.probe = hn_probe,
	.remove = hn_remove,
	.rescind = hn_rescind,
};

RTE_PMD_REGISTER_VMBUS(net_netvsc, hn_driver);
RTE_PMD_REGISTER_KMOD_DEP(net_netvsc, "* uio_hv_generic");
RTE_PMD_REGISTER_PARAM_STRING(net_netvsc,
	HN_DEVARG_LATENCY "=<uint32 us> "
	HN_DEVARG_RX_COPYBREAK "=<uint32> "
	HN_DEVARG_TX_COPYBREAK "=<uint32> "
	HN_DEVARG_RX_EXTMBUF "=<0|1> "
	HN_DEVARG_NUMA_AWARE "=<0|1> "
	HN_DEVARG_HOST_TIMEOUT "=<ms> "
	HN_DEVARG_VF "=<0|1> "
	HN_DEVARG_VF_PMD "=af_packet");
