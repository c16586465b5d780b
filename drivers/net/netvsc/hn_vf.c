/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Accelerated networking, control side: devargs, the per-port control
 * thread, hot-add and hot-remove of the VF port, merged stats.
 *
 * Hot-add (the host associated a VF, its netdev is up and matches by
 * serial, or by MAC when it shows none, and our port is started): probe a
 * DPDK port for it, own it, configure it like ours (queue counts, the
 * Rx queues' mempools, offloads it has, MTU, promiscuous/allmulti), start
 * it, let Rx poll it, switch the data path, then let Tx use it.
 * Hot-remove (netdev gone or down, association withdrawn, our port stopping):
 * Tx back to synthetic, switch back, let the data path drain the VF's Rx
 * queues, retire them, count what was left, stop and close the port.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <ethdev_driver.h>
#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_kvargs.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "hn_vf.h"

#define HN_DEVARG_VF "vf"
#define HN_DEVARG_VF_PMD "vf_pmd"

#define HN_VF_TICK_US 10000u
/* With no VF associated nor attached, nothing can be late but the first
 * look at an association (the VF's netdev follows it by about a second
 * on Azure) and the join at close: wake ten times a second, not a hundred,
 * so a port the host offers no VF costs the machine less. */
#define HN_VF_IDLE_TICK_US 100000u
/* Our SWITCH_DATA_PATH is completed by the host; the channel-0 reader
 * (the application's Rx poll) sees it. Bounded: nobody may be polling. */
#define HN_VF_SWITCH_WAIT_MS 2000u
/* Drained: every Rx queue found the VF empty after the switch back; an
 * application that does not poll is waited for this long at most. */
#define HN_VF_DRAIN_MAX_MS 5000u
#define HN_VF_QUIESCE_MAX_MS 1000u
/* After a failed hot-add, try the same netdev again this much later. */
#define HN_VF_RETRY_MS 1000u
/* Ahead of the frame in a receive slot: tpacket2_hdr and sockaddr_ll,
 * aligned (the frame starts at 66), and room for a VLAN tag. */
#define HN_VF_SLOT_OVERHEAD 96u
#define HN_VF_SLOT_ALIGN 1024u
#define HN_VF_SLOT_PER_BLOCK 4u

/* Lines Microsoft's DPDK tests grep for on VF add and removal. */
#define HN_COMPAT_LOG(fmt, ...) \
	rte_log(RTE_LOG_NOTICE, hn_logtype, "HN_DRIVER: " fmt "\n", ##__VA_ARGS__)

static uint64_t
ms_now(void)
{
	return rte_get_timer_cycles() * 1000u / rte_get_timer_hz();
}

/* ---- Devargs ---- */

static int
kv_bool(const char *key, const char *value, void *opaque)
{
	bool *out = opaque;

	if (strcmp(value, "0") != 0 && strcmp(value, "1") != 0) {
		HN_LOG(ERR, "devarg %s=%s: want 0 or 1", key, value);
		return -EINVAL;
	}
	*out = value[0] == '1';
	return 0;
}

static int
kv_pmd(const char *key, const char *value, void *opaque)
{
	char *out = opaque;

	if (strcmp(value, "af_packet") != 0) {
		HN_LOG(ERR, "devarg %s=%s: the stand-in VF PMD supported is af_packet",
		       key, value);
		return -EINVAL;
	}
	snprintf(out, 32, "%s", value);
	return 0;
}

static int
parse_devargs(struct hn_vf *vf, const struct rte_devargs *da, bool *explicit)
{
	struct rte_kvargs *kv;
	int rc;

	/* On unless turned off (vf=0), as accelerated networking is on
	 * Azure. A port the host offers no VF costs a control thread that
	 * wakes every 10 ms and a check per burst (docs/pmd.md). */
	vf->enabled = true;
	*explicit = false;
	snprintf(vf->pmd, sizeof(vf->pmd), "af_packet");
	if (da == NULL || da->args == NULL || da->args[0] == '\0')
		return 0;
	kv = rte_kvargs_parse(da->args, NULL);
	if (kv == NULL)
		return -EINVAL;
	*explicit = rte_kvargs_count(kv, HN_DEVARG_VF) != 0;
	rc = rte_kvargs_process(kv, HN_DEVARG_VF, kv_bool, &vf->enabled);
	if (rc == 0)
		rc = rte_kvargs_process(kv, HN_DEVARG_VF_PMD, kv_pmd, vf->pmd);
	rte_kvargs_free(kv);
	return rc;
}

/* ---- Host messages (called by the channel-0 reader) ---- */

void
hn_vf_host_assoc(struct hn_data *hv, bool allocated, uint32_t serial)
{
	struct hn_vf *vf = hv->vf;

	HN_LOG(INFO, "port %u: host VF %s (serial %u)", hv->port_id,
	       allocated ? "offered" : "withdrawn", serial);
	hv->vf_assoc = allocated;
	hv->vf_assoc_serial = serial;
	if (vf == NULL)
		return;	/* hn_vf_init takes it from hv */
	vf->assoc_serial = serial;
	rte_wmb();
	vf->assoc_allocated = allocated;
	vf->host_seq = vf->host_seq + 1;	/* one writer: the reader of channel 0 */
}

void
hn_vf_host_switch(struct hn_data *hv, uint32_t datapath)
{
	HN_LOG(INFO, "port %u: host switched the data path to %s", hv->port_id,
	       datapath == NVSP_DATAPATH_VF ? "the VF" : "synthetic");
}

void
hn_vf_switch_comp(struct hn_data *hv)
{
	if (hv->vf != NULL)
		hv->vf->switch_done = hv->vf->switch_done + 1;
}

/* ---- Steering ---- */

static void
publish(struct hn_vf_q *qs, uint16_t n, uint16_t port)
{
	uint16_t q;

	for (q = 0; q < n; q++)
		qs[q].port = port;
	rte_wmb();
}

/* Take the VF away from n queues; on return no burst uses it. */
static void
retire(struct hn_vf *vf, struct hn_vf_q *qs, uint16_t n, const char *what)
{
	uint64_t end;
	uint16_t q;

	for (q = 0; q < n; q++)
		qs[q].port = HN_VF_NONE;
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
	end = ms_now() + HN_VF_QUIESCE_MAX_MS;
	for (q = 0; q < n; q++) {
		while (__atomic_load_n(&qs[q].busy, __ATOMIC_ACQUIRE) &&
		       ms_now() < end)
			rte_pause();
		if (qs[q].busy)
			HN_LOG(ERR, "port %u: %s queue %u still in a VF burst after %u ms",
			       vf->hv->port_id, what, q, HN_VF_QUIESCE_MAX_MS);
	}
}

/* How send_switch() waits for the host's completion. */
enum hn_sw_wait {
	/* The application's Rx poll reads channel 0; so do we, if it has
	 * not within HN_VF_SWITCH_SELF_MS (see HN_SW_UNLOCKED). */
	HN_SW_POLLED,
	HN_SW_SELF,	/* our port is stopping: nobody polls, we read it */
	/* Hot-add: as HN_SW_POLLED, vf->lock released meanwhile. An
	 * application's control call (testpmd's start reads the stats)
	 * waited for the lock, and it polls only after that call: the
	 * switch timed out (2 s) though the host switched. Channel 0 is
	 * read here when the application has not within
	 * HN_VF_SWITCH_SELF_MS (it may not poll yet): under the channel's
	 * lock, taken with trylock as the data path and rx_queue_count do,
	 * in Tx mode (data met is parked for the next Rx burst, as a Tx
	 * queue reaping completions does). */
	HN_SW_UNLOCKED,
};
#define HN_VF_SWITCH_SELF_MS 5u

/*
 * Ask the host to switch and wait for its completion (data read by
 * HN_SW_SELF meanwhile is dropped and counted, as in any control wait).
 * HN_SW_UNLOCKED: the caller checks what changed while unlocked.
 */
static int
send_switch(struct hn_vf *vf, uint32_t dp, enum hn_sw_wait how)
{
	struct hn_data *hv = vf->hv;
	uint8_t m[NVSP_REQ_SIZE];
	uint32_t before = vf->switch_done;
	uint64_t end, self_at;
	int len, rc;

	if (hv->dead)
		return -ENODEV;
	len = nvsp_build_switch_data_path(m, sizeof(m), dp);
	if (len < 0)
		return len;
	rc = rte_vmbus_chan_send(hv->chans[0].chan, m, (uint32_t)len,
				 HN_XID_VF_SWITCH,
				 RTE_VMBUS_FLAG_COMPLETION_REQUESTED, NULL);
	if (rc != 0) {
		HN_LOG(ERR, "port %u: SWITCH_DATA_PATH to %s: send failed: %s",
		       hv->port_id, dp == NVSP_DATAPATH_VF ? "VF" : "synthetic",
		       strerror(-rc));
		return rc;
	}
	/* Sent: the host may switch whether or not we see it complete, so
	 * a removal switches back in any case. */
	vf->on_vf = dp == NVSP_DATAPATH_VF;
	if (how == HN_SW_UNLOCKED)
		pthread_mutex_unlock(&vf->lock);
	self_at = ms_now() + HN_VF_SWITCH_SELF_MS;
	end = ms_now() + HN_VF_SWITCH_WAIT_MS;
	while (vf->switch_done == before && ms_now() < end && !hv->dead &&
	       !(how == HN_SW_UNLOCKED && vf->stop)) {
		if (how == HN_SW_SELF) {
			rte_spinlock_lock(&hv->chans[0].lock);
			(void)hn_chan_poll(&hv->chans[0], HN_POLL_CTL, 64);
			rte_spinlock_unlock(&hv->chans[0].lock);
		} else if (ms_now() >= self_at &&
			   rte_spinlock_trylock(&hv->chans[0].lock)) {
			(void)hn_chan_poll(&hv->chans[0], HN_POLL_TX, 64);
			rte_spinlock_unlock(&hv->chans[0].lock);
		}
		rte_delay_us_sleep(200);
	}
	if (how == HN_SW_UNLOCKED)
		pthread_mutex_lock(&vf->lock);
	if (vf->switch_done == before) {
		vf->switch_timeouts++;
		HN_LOG(WARNING, "port %u: SWITCH_DATA_PATH to %s not completed in %u ms (are the port's queues polled?)",
		       hv->port_id, dp == NVSP_DATAPATH_VF ? "VF" : "synthetic",
		       HN_VF_SWITCH_WAIT_MS);
		return -ETIMEDOUT;
	}
	return 0;
}

static void
add_stats(struct rte_eth_stats *to, const struct rte_eth_stats *s)
{
	unsigned int q;

	to->ipackets += s->ipackets;
	to->opackets += s->opackets;
	to->ibytes += s->ibytes;
	to->obytes += s->obytes;
	to->imissed += s->imissed;
	to->ierrors += s->ierrors;
	to->oerrors += s->oerrors;
	to->rx_nombuf += s->rx_nombuf;
	for (q = 0; q < RTE_ETHDEV_QUEUE_STAT_CNTRS; q++) {
		to->q_ipackets[q] += s->q_ipackets[q];
		to->q_opackets[q] += s->q_opackets[q];
		to->q_ibytes[q] += s->q_ibytes[q];
		to->q_obytes[q] += s->q_obytes[q];
		to->q_errors[q] += s->q_errors[q];
	}
}

/* to = s - base, per counter (the VF port's counts since base). */
static void
sub_stats(struct rte_eth_stats *s, const struct rte_eth_stats *base)
{
	uint64_t *w = (uint64_t *)s;
	const uint64_t *b = (const uint64_t *)base;
	size_t i;

	RTE_BUILD_BUG_ON(sizeof(*s) % sizeof(uint64_t) != 0);
	for (i = 0; i < sizeof(*s) / sizeof(uint64_t); i++)
		w[i] -= RTE_MIN(w[i], b[i]);
}

/* The attached VF port's stats since vf->base. */
static int
vf_port_stats(struct hn_vf *vf, struct rte_eth_stats *s)
{
	int rc = rte_eth_stats_get(vf->port, s);

	if (rc == 0)
		sub_stats(s, &vf->base);
	return rc;
}

/*
 * Our MTU on the VF (the host steers frames of our MTU to it). The
 * stand-in's ethdev maximum is 1518 bytes whatever its slots hold, so
 * above that its netdev gets the MTU directly, if its slot fits it.
 */
static void
vf_set_mtu(struct hn_vf *vf, uint16_t port, int ifindex)
{
	struct hn_data *hv = vf->hv;
	uint16_t mtu = hv->data->mtu;
	int rc = rte_eth_dev_set_mtu(port, mtu);

	if (rc == -EINVAL && mtu + RTE_ETHER_HDR_LEN + HN_VF_SLOT_OVERHEAD <=
	    vf->ring_frame_size)
		rc = hn_vf_nl_set_mtu(ifindex, mtu);
	if (rc == 0)
		HN_LOG(INFO, "port %u: VF MTU %u", hv->port_id, mtu);
	else if (rc != -ENOTSUP)
		HN_LOG(WARNING, "port %u: VF MTU %u: %s: frames above its MTU are lost on the VF",
		       hv->port_id, mtu, strerror(-rc));
}

static int
vf_configure(struct hn_vf *vf, uint16_t port, int ifindex)
{
	struct rte_eth_dev_data *d = vf->hv->data;
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf = d->dev_conf;
	uint16_t q;
	int rc;

	rc = rte_eth_dev_info_get(port, &info);
	if (rc != 0)
		return rc;
	conf.rxmode.offloads &= info.rx_offload_capa;
	conf.txmode.offloads &= info.tx_offload_capa;
	/* What it cannot hash is left out (af_packet: nothing; its kernel
	 * fanout spreads flows instead). */
	conf.rx_adv_conf.rss_conf.rss_hf &= info.flow_type_rss_offloads;
	if (info.flow_type_rss_offloads == 0)
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
	conf.intr_conf.lsc = 0;
	conf.intr_conf.rmv = 0;
	rc = rte_eth_dev_configure(port, d->nb_rx_queues, d->nb_tx_queues, &conf);
	if (rc != 0)
		return rc;
	for (q = 0; q < d->nb_rx_queues && rc == 0; q++) {
		const struct hn_rx_queue *rxq = d->rx_queues[q];

		rc = rxq == NULL ? -EINVAL :
			rte_eth_rx_queue_setup(port, q, 0, rte_socket_id(), NULL,
					       rxq->mp);
	}
	for (q = 0; q < d->nb_tx_queues && rc == 0; q++)
		rc = rte_eth_tx_queue_setup(port, q, 0, rte_socket_id(), NULL);
	if (rc != 0)
		return rc;
	vf_set_mtu(vf, port, ifindex);
	rc = rte_eth_dev_start(port);
	if (rc != 0)
		return rc;
	if (vf->hv->promisc)
		(void)rte_eth_promiscuous_enable(port);
	if (vf->hv->allmulti)
		(void)rte_eth_allmulticast_enable(port);
	return 0;
}

/* The port is still the one we own (someone may have closed it, and its
 * id may be another port's by now). */
static bool
port_ours(const struct hn_vf *vf, uint16_t port)
{
	struct rte_eth_dev_owner o;

	return rte_eth_dev_is_valid_port(port) &&
	       rte_eth_dev_owner_get(port, &o) == 0 && o.id == vf->owner.id;
}

/*
 * Let go of the VF port: closed, if still ours: an application that handles device removal
 * (EAL's hotplug events for PCI; mlx5's removal interrupt) may have
 * closed it, or removed its device, already; not twice. Then its device:
 * a stand-in we probed is removed; a PCI function we probed is removed
 * once no port is left on it (a MANA function carries other NICs' VFs);
 * an adopted one's belongs to whoever probed it (EAL at start-up, or the
 * application), so it stays, and a hot-add finding it probed with no
 * port removes and probes it again (probe_pci).
 */
static void
vf_release(struct hn_vf *vf, uint16_t port)
{
	struct rte_device *dev = NULL;

	if (!port_ours(vf, port)) {
		HN_LOG(WARNING, "port %u: VF port %u (%s) is no longer ours (closed by the application?): not closed again",
		       vf->hv->port_id, port, vf->dev_name);
	} else {
		dev = rte_eth_devices[port].device;
		(void)rte_eth_dev_stop(port);
		(void)rte_eth_dev_close(port);
	}
	switch (vf->origin) {
	case HN_VF_STANDIN:
		if (rte_vdev_uninit(vf->vdev_name) != 0)
			HN_LOG(WARNING, "port %u: cannot remove %s", vf->hv->port_id,
			       vf->vdev_name);
		break;
	case HN_VF_PCI:
		if (dev != NULL && rte_eth_find_next_of(0, dev) >= RTE_MAX_ETHPORTS &&
		    rte_dev_remove(dev) != 0)
			HN_LOG(WARNING, "port %u: cannot remove PCI device %s",
			       vf->hv->port_id, vf->dev_name);
		break;
	case HN_VF_ADOPTED:
		break;
	}
}

/* Take and free what a VF port's Rx queues hold (the data path does not
 * poll them): their frames, bytes, and how many are addressed to mac. */
struct hn_vf_drained {
	uint64_t frames, bytes, to_us;
};

static void
drain_rx(uint16_t port, uint16_t nrxq, const struct rte_ether_addr *mac,
	 struct hn_vf_drained *dr)
{
	struct rte_mbuf *m[32];
	uint16_t q, n, i;

	memset(dr, 0, sizeof(*dr));
	for (q = 0; q < nrxq; q++) {
		while ((n = rte_eth_rx_burst(port, q, m, RTE_DIM(m))) != 0) {
			for (i = 0; i < n; i++) {
				dr->bytes += rte_pktmbuf_pkt_len(m[i]);
				dr->to_us += m[i]->data_len >= RTE_ETHER_ADDR_LEN &&
					rte_is_same_ether_addr(mac,
						rte_pktmbuf_mtod(m[i], const struct rte_ether_addr *));
			}
			rte_pktmbuf_free_bulk(m, n);
			dr->frames += n;
		}
	}
}

/*
 * Before the switch the host steers nothing to the VF, so what the
 * stand-in's receive rings hold then is not ours: net_af_packet opens
 * each queue's socket for every interface (ETH_P_ALL) and binds it to
 * the VF's netdev only after setting up its ring, so frames crossing any
 * interface in between (another VF's, another test's) land in that ring.
 * Left there, the data path delivered them as received on the VF (more
 * frames than the host sent). Dropped and counted here, before the data
 * path sees the port; the stand-in's counters (and the kernel's drop
 * counts) start after them.
 */
static void
drop_foreign(struct hn_vf *vf, uint16_t port, const char *ifname)
{
	struct hn_data *hv = vf->hv;
	uint64_t kdrops = vf->kdrops;
	struct hn_vf_drained dr;

	drain_rx(port, hv->data->nb_rx_queues, &hv->data->mac_addrs[0], &dr);
	if (rte_eth_stats_get(port, &vf->base) != 0)
		memset(&vf->base, 0, sizeof(vf->base));
	hn_vf_kstats_read(vf);
	vf->kdrops = kdrops;
	vf->rx_foreign += dr.frames;
	if (dr.frames != 0)
		HN_LOG(NOTICE, "port %u: VF %s: %" PRIu64 " frames in its receive rings before the switch dropped (%" PRIu64 " to our MAC): the stand-in's sockets saw other interfaces until bound",
		       hv->port_id, ifname, dr.frames, dr.to_us);
}

/*
 * The stand-in's ring geometry for our MTU. net_af_packet copies each
 * frame whole into one mbuf (it refuses a queue whose frame slot is
 * larger than the pool's mbufs) and refuses an MTU larger than its slot,
 * so the slot is sized to the MTU, capped by the smallest Rx mbuf. Its
 * frames are found at slot-size steps across blocks: slots must tile a
 * block exactly (a block is a multiple of the page size).
 */

static void
ring_geometry(struct hn_vf *vf, uint32_t *blocksz)
{
	struct rte_eth_dev_data *d = vf->hv->data;
	uint32_t need = d->mtu + RTE_ETHER_HDR_LEN + HN_VF_SLOT_OVERHEAD;
	uint32_t room = UINT32_MAX, fsz;
	uint16_t q;

	vf->ring_frames = HN_VF_RING_FRAMES;
	vf->ring_frame_size = HN_VF_RING_FRAME_SIZE;
	*blocksz = HN_VF_RING_BLOCK_SIZE;
	if (need <= HN_VF_RING_FRAME_SIZE)
		return;
	for (q = 0; q < d->nb_rx_queues; q++) {
		const struct hn_rx_queue *rxq = d->rx_queues[q];

		if (rxq != NULL)
			room = RTE_MIN(room, (uint32_t)rte_pktmbuf_data_room_size(rxq->mp) -
				       RTE_PKTMBUF_HEADROOM);
	}
	/* The slot's data (all but the 32-byte tpacket2_hdr) fits an mbuf. */
	fsz = RTE_MIN(RTE_ALIGN_CEIL(need, HN_VF_SLOT_ALIGN),
		      room == UINT32_MAX ? UINT32_MAX :
		      RTE_ALIGN_FLOOR(room + 32u, HN_VF_SLOT_ALIGN));
	if (fsz < need)
		HN_LOG(WARNING, "port %u: VF: MTU %u needs %u-byte slots in the stand-in's rings, its frames are copied whole into mbufs of %u bytes: frames above MTU %u are not received on the VF (a larger --mbuf-size lifts this)",
		       vf->hv->port_id, d->mtu, need, room,
		       fsz > HN_VF_SLOT_OVERHEAD + RTE_ETHER_HDR_LEN ?
		       fsz - HN_VF_SLOT_OVERHEAD - RTE_ETHER_HDR_LEN : 0);
	if (fsz <= HN_VF_RING_FRAME_SIZE)
		return;
	vf->ring_frames = HN_VF_RING_FRAMES_JUMBO;
	vf->ring_frame_size = fsz;
	*blocksz = fsz * HN_VF_SLOT_PER_BLOCK;
}

/* ---- Finding the VF's port: adopted, or probed ---- */

/* A port as hn_vf_port_select() sees it. Ports of net_netvsc (ours or
 * another NIC's, which carry a VF's MAC too) are never a VF. */
static int
port_ident(struct hn_vf *vf, uint16_t port, struct hn_vf_port_ident *id)
{
	struct rte_eth_dev_info info;
	struct rte_ether_addr mac;

	memset(id, 0, sizeof(*id));
	id->port = port;
	if (rte_eth_dev_info_get(port, &info) != 0 ||
	    rte_eth_macaddr_get(port, &mac) != 0)
		return -ENODEV;
	id->excluded = rte_eth_devices[port].dev_ops == hn_eth(vf->hv)->dev_ops;
	id->if_index = (int)info.if_index;
	memcpy(id->mac, mac.addr_bytes, sizeof(id->mac));
	if (info.device != NULL)
		snprintf(id->dev, sizeof(id->dev), "%s", rte_dev_name(info.device));
	return 0;
}

/* The existing port of netdev c (see hn_vf_port_select) that is free or
 * ours: 0 and *port, -ENOENT, or -EEXIST (more than one). */
static int
find_port(struct hn_vf *vf, const struct hn_vf_cand *c, uint16_t *port)
{
	struct hn_vf_port_ident ids[RTE_MAX_ETHPORTS];
	struct rte_eth_dev_owner o;
	unsigned int n = 0;
	uint16_t p;
	int i;

	for (p = 0; p < RTE_MAX_ETHPORTS; p++) {
		if (!rte_eth_dev_is_valid_port(p) || rte_eth_dev_owner_get(p, &o) != 0 ||
		    (o.id != RTE_ETH_DEV_NO_OWNER && o.id != vf->owner.id))
			continue;
		if (port_ident(vf, p, &ids[n]) == 0)
			n++;
	}
	i = hn_vf_port_select(ids, n, c->pci ? c->pci_dev.addr : NULL, c->ifindex,
			      vf->hv->mac.addr_bytes);
	if (i < 0)
		return i;
	*port = ids[i].port;
	return 0;
}

/*
 * A port carrying our MAC is held for the VF as soon as it exists: EAL
 * probes an allowed PCI VF at start-up (before or after us), an
 * application may create a stand-in on the VF's netdev (--vdev), and
 * either would otherwise be iterated, configured and polled by the
 * application, then taken from under it at hot-add. Owned by us, it is
 * not iterated (RTE_ETH_FOREACH_DEV). By MAC only, as no lock is taken
 * here (this runs in whatever thread probes, our control thread too,
 * holding the VF lock): which netdev it is bound to, and its serial, are
 * checked at hot-add. A port already started (the application uses it)
 * is left alone.
 */
static void
claim(struct hn_vf *vf, uint16_t port)
{
	struct rte_eth_dev *dev = &rte_eth_devices[port];
	struct rte_eth_dev_owner o;

	/* At RTE_ETH_EVENT_NEW the port is not valid yet for the ethdev
	 * API (attached only after the callbacks): its data is read here,
	 * and ownership is by allocation. */
	/* Our control thread's own probe: hot_add takes it. */
	if (vf->thread_on && pthread_equal(pthread_self(), vf->thread))
		return;
	if (port >= RTE_MAX_ETHPORTS || dev->data == NULL ||
	    dev->data->mac_addrs == NULL || dev->dev_ops == hn_eth(vf->hv)->dev_ops ||
	    !rte_is_same_ether_addr(&dev->data->mac_addrs[0], &vf->hv->mac) ||
	    rte_eth_dev_owner_get(port, &o) != 0 || o.id != RTE_ETH_DEV_NO_OWNER)
		return;
	if (dev->data->dev_started) {
		HN_LOG(NOTICE, "port %u: port %u (%s) carries our MAC but is started: left to the application",
		       vf->hv->port_id, port, dev->data->name);
		return;
	}
	if (rte_eth_dev_owner_set(port, &vf->owner) == 0)
		HN_LOG(NOTICE, "port %u: port %u (%s) carries our MAC: held for the VF",
		       vf->hv->port_id, port, dev->data->name);
}

static int
on_new_port(uint16_t port, enum rte_eth_event_type ev, void *arg, void *ret)
{
	struct hn_vf *vf = arg;

	RTE_SET_USED(ret);
	if (ev == RTE_ETH_EVENT_NEW && !vf->stop)
		claim(vf, port);
	return 0;
}

/* Own port: it is free, or ours already (claimed, or kept at stop). */
static int
take(struct hn_vf *vf, uint16_t port)
{
	struct rte_eth_dev_owner o;
	int rc = rte_eth_dev_owner_get(port, &o);

	if (rc != 0)
		return rc;
	if (o.id == vf->owner.id)
		return 0;
	if (o.id != RTE_ETH_DEV_NO_OWNER)
		return -EBUSY;
	return rte_eth_dev_owner_set(port, &vf->owner);
}

static struct rte_device *
pci_device(const char *name)
{
	struct rte_dev_iterator it;
	struct rte_device *dev;

	RTE_DEV_FOREACH(dev, "bus=pci", &it) {
		if (strcmp(rte_dev_name(dev), name) == 0)
			return dev;
	}
	return NULL;
}

/* Probe the VF's PCI function (MANA: with our MAC, its port only). */
static int
probe_pci(struct hn_vf *vf, const struct hn_vf_cand *c, uint16_t *port)
{
	struct hn_data *hv = vf->hv;
	struct rte_device *dev;
	char args[64];
	int rc = hn_vf_pci_probe_str(&c->pci_dev, args, sizeof(args));

	if (rc != 0)
		return rc;
	rc = rte_dev_probe(args);
	if (rc == -EEXIST && find_port(vf, c, port) == -ENOENT) {
		/* Probed, with no port of ours: a VF we adopted, closed at
		 * its removal, whose function came back at the same address.
		 * Its old driver state is stale. */
		dev = pci_device(c->pci_dev.addr);
		if (dev != NULL && rte_eth_find_next_of(0, dev) >= RTE_MAX_ETHPORTS) {
			HN_LOG(NOTICE, "port %u: VF %s: PCI device %s still probed with no port: removed and probed again",
			       hv->port_id, c->name, c->pci_dev.addr);
			if (rte_dev_remove(dev) == 0)
				rc = rte_dev_probe(args);
		}
	}
	if (rc != 0 && rc != -EEXIST) {
		HN_LOG(ERR, "port %u: VF %s: probing PCI device %s failed: %s",
		       hv->port_id, c->name, args, strerror(-rc));
		return rc;
	}
	rc = find_port(vf, c, port);
	if (rc != 0)
		HN_LOG(ERR, "port %u: VF %s: PCI device %s probed, but %s port carries our MAC",
		       hv->port_id, c->name, args, rc == -EEXIST ? "more than one" : "no free");
	return rc;
}

/* Probe the stand-in PMD on netdev c. */
static int
probe_standin(struct hn_vf *vf, const struct hn_vf_cand *c, uint16_t *port)
{
	struct hn_data *hv = vf->hv;
	struct rte_eth_dev_data *d = hv->data;
	uint16_t nq = RTE_MAX(d->nb_rx_queues, d->nb_tx_queues);
	char args[128];
	uint32_t blocksz;
	int rc;

	snprintf(vf->vdev_name, sizeof(vf->vdev_name), "net_%s_hnvf%u_%u",
		 vf->pmd, hv->port_id, vf->gen++);
	/* A deep ring (4096 frames per queue): the stand-in drops in the
	 * kernel, uncounted, when the application is late. */
	ring_geometry(vf, &blocksz);
	snprintf(args, sizeof(args), "iface=%s,qpairs=%u,framecnt=%u,framesz=%u,blocksz=%u",
		 c->name, nq, vf->ring_frames, vf->ring_frame_size, blocksz);
	rc = rte_vdev_init(vf->vdev_name, args);
	if (rc != 0) {
		HN_LOG(ERR, "port %u: VF %s: probing %s (%s) failed: %s", hv->port_id,
		       c->name, vf->vdev_name, args, strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_get_port_by_name(vf->vdev_name, port);
	if (rc != 0)
		(void)rte_vdev_uninit(vf->vdev_name);
	return rc;
}

/*
 * The VF's port: one that exists (adopted: EAL probed the PCI VF at
 * start-up, or the application made a stand-in on its netdev), else
 * probed here: its PCI function, or the stand-in on a netdev without one.
 */
static int
acquire(struct hn_vf *vf, const struct hn_vf_cand *c, uint16_t *port)
{
	int rc = find_port(vf, c, port);

	if (rc == -EEXIST) {
		HN_LOG(ERR, "port %u: VF %s: more than one port carries our MAC on it: none taken",
		       vf->hv->port_id, c->name);
		return rc;
	}
	if (rc == 0) {
		vf->origin = HN_VF_ADOPTED;
		/* Its rings are not of our making: not mapped (salvage). */
		vf->ring_frames = 0;
		vf->ring_frame_size = 0;
	} else if (c->pci) {
		vf->origin = HN_VF_PCI;
		vf->ring_frames = 0;
		vf->ring_frame_size = 0;
		rc = probe_pci(vf, c, port);
	} else {
		vf->origin = HN_VF_STANDIN;
		rc = probe_standin(vf, c, port);
	}
	if (rc != 0)
		return rc;
	if (rte_eth_dev_get_name_by_port(*port, vf->dev_name) != 0)
		snprintf(vf->dev_name, sizeof(vf->dev_name), "port %u", *port);
	rc = take(vf, *port);
	if (rc == 0 && rte_eth_devices[*port].data->dev_started)
		rc = rte_eth_dev_stop(*port);	/* adopted, kept at our stop */
	return rc;
}

static const char *const origin_name[] = {
	[HN_VF_STANDIN] = "stand-in probed",
	[HN_VF_PCI] = "PCI function probed",
	[HN_VF_ADOPTED] = "existing port adopted",
};

static int
hot_add(struct hn_vf *vf, const struct hn_vf_cand *c)
{
	struct hn_data *hv = vf->hv;
	struct rte_eth_dev_data *d = hv->data;
	uint16_t port = HN_VF_NONE;
	uint32_t removes;
	bool gone;
	int rc;

	HN_COMPAT_LOG("netvsc_hotplug_retry(): Found matching MAC address, adding device");
	rc = acquire(vf, c, &port);
	if (rc == 0)
		rc = vf_configure(vf, port, c->ifindex);
	if (rc != 0) {
		HN_LOG(ERR, "port %u: VF %s: set-up failed: %s", hv->port_id, c->name,
		       strerror(-rc));
		if (port != HN_VF_NONE && vf->origin == HN_VF_ADOPTED)
			(void)rte_eth_dev_stop(port);	/* stays held */
		else if (port != HN_VF_NONE)
			vf_release(vf, port);
		return rc;
	}
	if (vf->kept == port)
		vf->kept = HN_VF_NONE;
	vf->port = port;
	vf->ifindex = c->ifindex;
	hn_vf_kstats_find(vf);
	drop_foreign(vf, port, c->name);
	snprintf(vf->ifname, sizeof(vf->ifname), "%s", c->name);
	vf->attached = true;
	/* Rx first: the host may steer as soon as it switched. */
	publish(vf->rxq, d->nb_rx_queues, port);
	removes = vf->detach_seq;
	rc = send_switch(vf, NVSP_DATAPATH_VF, HN_SW_UNLOCKED);
	/* Unlocked meanwhile: our port may have stopped (the VF removed). */
	gone = vf->detach_seq != removes;
	if (!gone)
		publish(vf->txq, d->nb_tx_queues, port);
	vf->adds++;
	HN_COMPAT_LOG("netvsc_hotadd_callback(): Device notification type=0");
	HN_LOG(NOTICE, "port %u: VF %s (%s) attached as port %u (%s, %s); data path %s",
	       hv->port_id, c->name,
	       c->has_serial ? "serial match" : "matched by MAC, no serial shown",
	       port, origin_name[vf->origin], vf->dev_name,
	       gone ? "removed again while switching (port stopped)" :
	       rc == 0 ? "switched to the VF" : "switch not confirmed");
	return 0;
}

/*
 * The stand-in's Tx counts, made true. It counts every frame it puts in
 * its transmit rings, as sent if the kick that follows works or finds the
 * socket busy, as an error if it fails; but a kick works on every waiting
 * frame, stops at the first the kernel refuses (which it leaves waiting,
 * to be tried again), and may fail after sending some. So: each frame it
 * took either left (the kernel took it) or still waited at hot-remove, and
 * hn_vf_salvage() took those back. Sent on the VF = taken - taken back;
 * errors = what could not be taken back (the synthetic path counts what
 * it resent). Bytes: the stand-in counts none for errors; those frames
 * and the ones taken back are taken at the average size of what it did
 * count. (Its only other errors, frames too long for a ring slot, cannot
 * occur: the slot holds the MTU we give it.) Returns the frames lost.
 */
static uint64_t
tx_recount(struct rte_eth_stats *s, const struct hn_vf_salvaged *sv)
{
	uint64_t took = s->opackets + s->oerrors;
	uint64_t avg = s->opackets != 0 ? s->obytes / s->opackets :
		       sv->taken != 0 ? sv->bytes / sv->taken : 0;

	s->obytes += avg * s->oerrors;
	s->obytes -= RTE_MIN(s->obytes, sv->bytes);
	s->opackets = took - RTE_MIN(took, sv->taken);
	s->oerrors = sv->lost;
	return sv->lost;
}

/* why: NULL for an orderly removal (association withdrawn, port
 * stopping), else what happened to the netdev first. keep: its netdev is
 * still there (an adopted port is then kept, not closed). */
static void
hot_remove(struct hn_vf *vf, const char *why, bool stopping, bool keep)
{
	struct hn_data *hv = vf->hv;
	struct rte_eth_dev_data *d = hv->data;
	struct rte_eth_stats s;
	struct hn_vf_salvaged sv;
	struct hn_vf_drained dr;
	uint32_t mark[RTE_MAX_QUEUES_PER_PORT];
	uint64_t end, lost, tx_lost = 0, took = 0, counted = 0;
	uint16_t q, left;

	HN_COMPAT_LOG("netvsc_hotadd_callback(): Device notification type=1");
	retire(vf, vf->txq, d->nb_tx_queues, "Tx");
	hn_vf_salvage(vf, d->nb_tx_queues, &sv);
	if (vf->on_vf)
		(void)send_switch(vf, NVSP_DATAPATH_SYNTHETIC,
				  stopping ? HN_SW_SELF : HN_SW_POLLED);
	vf->on_vf = false;
	/* The host no longer steers to the VF: the data path keeps polling
	 * it until each queue has seen it empty. */
	for (q = 0; q < d->nb_rx_queues; q++)
		mark[q] = vf->rxq[q].drained;
	end = ms_now() + (stopping ? 0 : HN_VF_DRAIN_MAX_MS);
	do {
		for (q = 0, left = 0; q < d->nb_rx_queues; q++)
			left += vf->rxq[q].drained == mark[q];
		if (left == 0)
			break;
		rte_delay_us_sleep(1000);
	} while (ms_now() < end);
	retire(vf, vf->rxq, d->nb_rx_queues, "Rx");
	/* What the data path left in the VF's Rx queues: lost in flight,
	 * not received (the stand-in counted them as it gave them to us). */
	drain_rx(vf->port, d->nb_rx_queues, &d->mac_addrs[0], &dr);
	lost = dr.frames;
	if (vf_port_stats(vf, &s) == 0) {
		s.ipackets -= RTE_MIN(s.ipackets, dr.frames);
		s.ibytes -= RTE_MIN(s.ibytes, dr.bytes);
		lost += s.imissed;
		took = s.opackets + s.oerrors;
		counted = s.opackets;
		tx_lost = tx_recount(&s, &sv);
		add_stats(&vf->past, &s);
	} else {
		tx_lost = sv.lost;
	}
	vf->tx_lost += tx_lost;
	hn_vf_kstats_forget(vf);
	if (keep && vf->origin == HN_VF_ADOPTED && port_ours(vf, vf->port)) {
		/* Not ours to close while its netdev is there: kept, owned
		 * and stopped, for the next hot-add (port_kept()). */
		(void)rte_eth_dev_stop(vf->port);
		vf->kept = vf->port;
		vf->kept_ifindex = vf->ifindex;
	} else {
		vf_release(vf, vf->port);
	}
	vf->attached = false;
	vf->port = HN_VF_NONE;
	vf->removes++;
	vf->detach_seq++;
	vf->abrupt_removes += why != NULL;
	vf->lost += lost;
	HN_LOG(NOTICE, "port %u: VF %s removed (%s): data path synthetic; %" PRIu64
	       " frames lost in flight; %" PRIu64 " dropped by the kernel so far (receive ring full)",
	       hv->port_id, vf->ifname, why != NULL ? why : "orderly",
	       lost, vf->kdrops);
	if (sv.taken != 0 || tx_lost != 0)
		HN_LOG(NOTICE, "port %u: VF %s: %" PRIu64 " of the %" PRIu64 " frames sent into it still waited in its transmit rings (the stand-in had counted %" PRIu64 " sent): %" PRIu64 " resent on the synthetic path, %" PRIu64 " could not be",
		       hv->port_id, vf->ifname, sv.taken, took, counted,
		       sv.taken - sv.lost, sv.lost);
}

/* ---- The control thread ---- */

static struct hn_vf_cand *
cand_by_ifindex(struct hn_vf *vf, int ifindex)
{
	unsigned int i;

	for (i = 0; i < vf->ncand; i++)
		if (vf->cand[i].ifindex == ifindex)
			return &vf->cand[i];
	return NULL;
}

/* The netdev to use: up, with the association's serial (or none shown). */
static struct hn_vf_cand *
pick(struct hn_vf *vf)
{
	uint32_t serial = vf->assoc_serial;
	unsigned int i;

	for (i = 0; i < vf->ncand; i++) {
		struct hn_vf_cand *c = &vf->cand[i];

		if (!c->up)
			continue;
		if (c->has_serial && c->serial != serial) {
			if (!c->refused_logged) {
				vf->serial_refused++;
				HN_LOG(NOTICE, "port %u: netdev %s has our MAC but serial %u, the host's VF has %u: not taken",
				       vf->hv->port_id, c->name, c->serial, serial);
			}
			c->refused_logged = true;
			continue;
		}
		return c;
	}
	return NULL;
}

/* An adopted port kept at a removal whose netdev stayed: closed once its
 * netdev is gone (or we close), else left for the next hot-add. */
static void
port_kept(struct hn_vf *vf, bool closing)
{
	uint16_t port = vf->kept;

	if (port == HN_VF_NONE ||
	    (!closing && cand_by_ifindex(vf, vf->kept_ifindex) != NULL))
		return;
	vf->kept = HN_VF_NONE;
	if (!port_ours(vf, port))
		return;	/* taken again (attached), or closed by someone */
	if (vf->attached && port == vf->port)
		return;
	(void)rte_eth_dev_stop(port);
	(void)rte_eth_dev_close(port);
}

static void
evaluate(struct hn_vf *vf, uint64_t *retry_at, int *failed)
{
	struct hn_data *hv = vf->hv;
	bool allocated = vf->assoc_allocated;
	struct hn_vf_cand *c;

	rte_rmb();
	if (vf->attached) {
		c = cand_by_ifindex(vf, vf->ifindex);
		/* A VF whose link went down is removed like one that
		 * vanished (the data path back on synthetic, its port
		 * closed) and taken again once it is up: the port's link
		 * stays the synthetic NIC's. */
		if (c == NULL || !c->up || !allocated || !vf->started || hv->dead)
			hot_remove(vf, c == NULL ? "netdev gone first" :
				   !c->up ? "netdev down first" : NULL, false,
				   c != NULL);
		return;
	}
	port_kept(vf, false);
	if (!vf->started || !allocated || hv->dead)
		return;
	c = pick(vf);
	if (c == NULL)
		return;
	if (c->ifindex == *failed && ms_now() < *retry_at)
		return;
	if (hot_add(vf, c) != 0) {
		*failed = c->ifindex;
		*retry_at = ms_now() + HN_VF_RETRY_MS;
	} else {
		*failed = 0;
	}
}

static uint32_t
vf_thread(void *arg)
{
	struct hn_vf *vf = arg;
	uint64_t retry_at = 0;
	int failed = 0;

	while (!vf->stop) {
		bool idle;

		pthread_mutex_lock(&vf->lock);
		(void)hn_vf_nl_poll(vf, 0);
		evaluate(vf, &retry_at, &failed);
		idle = !vf->attached && !vf->assoc_allocated;
		pthread_mutex_unlock(&vf->lock);
		rte_delay_us_sleep(idle ? HN_VF_IDLE_TICK_US : HN_VF_TICK_US);
	}
	return 0;
}

static void *
vf_thread_main(void *arg)
{
	vf_thread(arg);
	return NULL;
}

/* ---- Port life cycle ---- */

/* No more claims; ports held but never used go back to the application. */
static void
unclaim(struct hn_vf *vf)
{
	int i;

	if (vf->new_cb) {
		vf->stop = true;
		/* -EAGAIN while the callback runs in another thread. */
		for (i = 0; i < 1000; i++) {
			if (rte_eth_dev_callback_unregister(RTE_ETH_ALL, RTE_ETH_EVENT_NEW,
							    on_new_port, vf) != -EAGAIN)
				break;
			rte_delay_us_sleep(1000);
		}
		vf->new_cb = false;
	}
	if (vf->owner.id != RTE_ETH_DEV_NO_OWNER)
		(void)rte_eth_dev_owner_delete(vf->owner.id);
}

int
hn_vf_init(struct hn_data *hv, const struct rte_devargs *da)
{
	static bool nl_said;
	struct hn_vf *vf;
	char name[RTE_MAX_THREAD_NAME_LEN];
	bool explicit;
	uint16_t q;
	int rc;

	vf = rte_zmalloc("hn_vf", sizeof(*vf), RTE_CACHE_LINE_SIZE);
	if (vf == NULL)
		return -ENOMEM;
	vf->hv = hv;
	vf->port = HN_VF_NONE;
	vf->kept = HN_VF_NONE;
	for (q = 0; q < RTE_MAX_QUEUES_PER_PORT; q++) {
		vf->rxq[q].port = HN_VF_NONE;
		vf->txq[q].port = HN_VF_NONE;
	}
	rc = parse_devargs(vf, da, &explicit);
	if (rc != 0 || !vf->enabled) {
		if (rc == 0)
			HN_LOG(INFO, "port %u: VF steering off (devarg vf=0)",
			       hv->port_id);
		rte_free(vf);
		return rc;
	}
	if (!hn_vf_nl_available()) {
		/* Said once a process unless asked for by name (vf=1). */
		if (explicit || !nl_said)
			HN_LOG(NOTICE, "port %u: VF steering unavailable: built without libnl-3 (install libnl-3-dev libnl-route-3-dev and rebuild)",
			       hv->port_id);
		nl_said = true;
		rte_free(vf);
		return 0;
	}
	pthread_mutex_init(&vf->lock, NULL);
	TAILQ_INIT(&vf->flows);
	/* An association that came during attach (the host sends it right
	 * after RNDIS INIT). Probing: nobody else reads channel 0 yet. */
	vf->assoc_serial = hv->vf_assoc_serial;
	vf->assoc_allocated = hv->vf_assoc;
	vf->host_seq = hv->vf_assoc;
	hv->vf = vf;
	rc = rte_eth_dev_owner_new(&vf->owner.id);
	snprintf(vf->owner.name, sizeof(vf->owner.name), "net_netvsc port %u",
		 hv->port_id);
	if (rc == 0)
		rc = hn_vf_nl_open(vf);
	if (rc == 0) {
		/* Ports with our MAC, now and as they come (claim()). */
		rc = rte_eth_dev_callback_register(RTE_ETH_ALL, RTE_ETH_EVENT_NEW,
						   on_new_port, vf);
		vf->new_cb = rc == 0;
		for (q = 0; q < RTE_MAX_ETHPORTS && rc == 0; q++)
			if (rte_eth_dev_is_valid_port(q))
				claim(vf, q);
	}
	if (rc == 0) {
		snprintf(name, sizeof(name), "hn-vf-%u", hv->port_id);
		rc = rte_ctrl_thread_create(&vf->thread, name, NULL, vf_thread_main, vf);
		rc = rc > 0 ? -rc : rc;
	}
	if (rc != 0) {
		HN_LOG(ERR, "port %u: VF steering off: cannot watch links: %s",
		       hv->port_id, strerror(-rc));
		unclaim(vf);
		hn_vf_nl_close(vf);
		hv->vf = NULL;
		rte_free(vf);
		return 0;
	}
	vf->thread_on = true;
	hn_eth(hv)->rx_pkt_burst = hn_vf_recv_pkts;
	hn_eth(hv)->tx_pkt_burst = hn_vf_xmit_pkts;
	return 0;
}

/* Before a new host session (reset: our port is stopped, so no VF is
 * attached): the old session's association goes with it; the host sends
 * its own again after RNDIS INIT. */
void
hn_vf_session_reset(struct hn_data *hv)
{
	struct hn_vf *vf = hv->vf;

	hv->vf_assoc = false;
	if (vf == NULL)
		return;
	pthread_mutex_lock(&vf->lock);
	if (vf->attached)
		hot_remove(vf, NULL, true, true);
	vf->assoc_allocated = false;
	pthread_mutex_unlock(&vf->lock);
}

void
hn_vf_start(struct hn_data *hv)
{
	struct hn_vf *vf = hv->vf;

	if (vf == NULL)
		return;
	pthread_mutex_lock(&vf->lock);
	vf->started = true;
	pthread_mutex_unlock(&vf->lock);
}

void
hn_vf_stop(struct hn_data *hv)
{
	struct hn_vf *vf = hv->vf;
	uint64_t left;

	if (vf == NULL)
		return;
	pthread_mutex_lock(&vf->lock);
	vf->started = false;
	if (vf->attached)
		hot_remove(vf, NULL, true, true);
	/* The data path is stopped: what it did not resend is lost (sends
	 * the application was told were done). */
	left = hn_vf_salvage_drop(vf);
	vf->tx_lost += left;
	vf->past.oerrors += left;
	pthread_mutex_unlock(&vf->lock);
}

void
hn_vf_fini(struct hn_data *hv)
{
	struct hn_vf *vf = hv->vf;
	uint16_t q;

	if (vf == NULL)
		return;
	if (vf->thread_on) {
		vf->stop = true;
		pthread_join(vf->thread, NULL);
	}
	pthread_mutex_lock(&vf->lock);
	if (vf->attached)
		hot_remove(vf, NULL, true, false);
	port_kept(vf, true);
	unclaim(vf);
	(void)hn_vf_salvage_drop(vf);
	hn_vf_flow_fini(vf);
	for (q = 0; q < RTE_MAX_QUEUES_PER_PORT; q++)
		rte_free(vf->txq[q].resend);
	pthread_mutex_unlock(&vf->lock);
	hn_vf_nl_close(vf);
	pthread_mutex_destroy(&vf->lock);
	hv->vf = NULL;
	rte_free(vf);
}

void
hn_vf_filter_sync(struct hn_data *hv)
{
	struct hn_vf *vf = hv->vf;

	if (vf == NULL)
		return;
	pthread_mutex_lock(&vf->lock);
	if (vf->attached) {
		if (hv->promisc)
			(void)rte_eth_promiscuous_enable(vf->port);
		else
			(void)rte_eth_promiscuous_disable(vf->port);
		if (hv->allmulti)
			(void)rte_eth_allmulticast_enable(vf->port);
		else
			(void)rte_eth_allmulticast_disable(vf->port);
	}
	pthread_mutex_unlock(&vf->lock);
}

/* ---- Stats: both paths in the basic stats, the VF's apart in xstats ---- */

static void
vf_totals(struct hn_vf *vf, struct rte_eth_stats *s)
{
	struct rte_eth_stats cur;

	*s = vf->past;
	if (vf->attached && vf_port_stats(vf, &cur) == 0)
		add_stats(s, &cur);
	if (vf->attached)
		hn_vf_kstats_read(vf);
	/* The application was late: the kernel had no room (a NIC's
	 * imissed). */
	s->imissed += vf->kdrops;
}

int
hn_vf_stats_get(struct rte_eth_dev *dev, struct rte_eth_stats *st)
{
	struct hn_data *hv = dev->data->dev_private;
	struct rte_eth_stats v;
	int rc = hn_stats_get(dev, st);

	if (rc != 0 || hv->vf == NULL)
		return rc;
	pthread_mutex_lock(&hv->vf->lock);
	vf_totals(hv->vf, &v);
	pthread_mutex_unlock(&hv->vf->lock);
	add_stats(st, &v);
	return 0;
}

int
hn_vf_stats_reset(struct rte_eth_dev *dev)
{
	struct hn_data *hv = dev->data->dev_private;
	struct hn_vf *vf = hv->vf;
	int rc = hn_stats_reset(dev);

	if (vf == NULL)
		return rc;
	pthread_mutex_lock(&vf->lock);
	memset(&vf->past, 0, sizeof(vf->past));
	/* The VF port's data path updates its counters as ours does: a
	 * baseline, not its stats_reset (a burst running then could store
	 * the old counts back). */
	if (vf->attached) {
		if (rte_eth_stats_get(vf->port, &vf->base) != 0)
			HN_LOG(WARNING, "port %u: VF %s: cannot read its stats: they are not reset",
			       hv->port_id, vf->ifname);
		hn_vf_kstats_read(vf);
	}
	vf->kdrops = 0;
	vf->adds = vf->removes = vf->abrupt_removes = vf->lost = 0;
	vf->switch_timeouts = vf->serial_refused = 0;
	vf->tx_salvaged = vf->tx_lost = 0;
	vf->rx_foreign = 0;
	pthread_mutex_unlock(&vf->lock);
	return rc;
}

static const char *const vf_xnames[] = {
	"vf_rx_packets", "vf_rx_bytes", "vf_tx_packets", "vf_tx_bytes",
	"vf_rx_missed", "vf_attached", "vf_adds", "vf_removes",
	"vf_removes_netdev_gone", "vf_lost_in_flight", "vf_switch_timeouts",
	"vf_serial_refused", "vf_rx_kernel_dropped", "vf_tx_errors",
	"vf_tx_salvaged", "vf_tx_lost", "vf_rx_foreign",
};
#define HN_VF_NX RTE_DIM(vf_xnames)

int
hn_vf_xstats_get_names(struct rte_eth_dev *dev, struct rte_eth_xstat_name *names,
		       unsigned int n)
{
	struct hn_data *hv = dev->data->dev_private;
	int base = hn_xstats_get_names(dev, NULL, 0);
	unsigned int i;

	if (base < 0 || hv->vf == NULL)
		return hn_xstats_get_names(dev, names, n);
	if (names == NULL || n < (unsigned int)base + HN_VF_NX)
		return base + (int)HN_VF_NX;
	base = hn_xstats_get_names(dev, names, n);
	if (base < 0)
		return base;
	for (i = 0; i < HN_VF_NX; i++)
		snprintf(names[base + i].name, sizeof(names[0].name), "%s",
			 vf_xnames[i]);
	return base + (int)HN_VF_NX;
}

int
hn_vf_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xs,
		 unsigned int n)
{
	struct hn_data *hv = dev->data->dev_private;
	struct hn_vf *vf = hv->vf;
	int base = hn_xstats_get(dev, NULL, 0);
	struct rte_eth_stats v;
	uint64_t val[HN_VF_NX];
	unsigned int i;

	if (base < 0 || vf == NULL)
		return hn_xstats_get(dev, xs, n);
	if (xs == NULL || n < (unsigned int)base + HN_VF_NX)
		return base + (int)HN_VF_NX;
	base = hn_xstats_get(dev, xs, n);
	if (base < 0)
		return base;
	pthread_mutex_lock(&vf->lock);
	vf_totals(vf, &v);
	val[0] = v.ipackets;
	val[1] = v.ibytes;
	val[2] = v.opackets;
	val[3] = v.obytes;
	val[4] = v.imissed;
	val[5] = vf->attached;
	val[6] = vf->adds;
	val[7] = vf->removes;
	val[8] = vf->abrupt_removes;
	val[9] = vf->lost;
	val[10] = vf->switch_timeouts;
	val[11] = vf->serial_refused;
	val[12] = vf->kdrops;
	val[13] = v.oerrors;
	val[14] = vf->tx_salvaged;
	val[15] = vf->tx_lost;
	val[16] = vf->rx_foreign;
	pthread_mutex_unlock(&vf->lock);
	for (i = 0; i < HN_VF_NX; i++) {
		xs[base + i].id = (uint64_t)base + i;
		xs[base + i].value = val[i];
	}
	return base + (int)HN_VF_NX;
}
