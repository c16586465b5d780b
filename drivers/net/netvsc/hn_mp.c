/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Secondary processes (symmetric_mp style): the primary owns the session
 * with the host and configures the port; a secondary attaches to the
 * same ethdev and polls the queues it is given.
 *
 * What makes that work: hn_data, the queues, the channels (bus) and the
 * host's buffers are in shared memory at the same address in every
 * process (the bus maps the UIO regions at the primary's addresses), and
 * nothing the data path follows points into one process's own memory:
 * hn_data holds the shared ethdev data (hv->data), the process's own
 * rte_eth_dev is found by port id (hn_eth()), a channel finds this
 * process's UIO fd and event fds by minor number. Per-process state is set up here:
 * the burst functions and ops, and the Rx interrupt handle.
 *
 * A secondary does no control-path work: the session (and its waits on
 * the primary channel) belongs to the primary, so configuration, start,
 * stop, filters and MTU are not in its ops and ethdev refuses them.
 */
#include <errno.h>

#include <ethdev_driver.h>

#include "hn_var.h"

static struct eth_dev_ops hn_secondary_ops;

static int
hn_secondary_close(struct rte_eth_dev *dev)
{
	hn_intr_release(dev);
	return 0;
}

/* Queries, counters, the data path and this process's Rx interrupts. */
static void
hn_secondary_ops_init(const struct eth_dev_ops *p)
{
	struct eth_dev_ops *s = &hn_secondary_ops;

	s->dev_infos_get = p->dev_infos_get;
	s->link_update = p->link_update;
	s->dev_supported_ptypes_get = p->dev_supported_ptypes_get;
	s->stats_get = p->stats_get;
	s->stats_reset = p->stats_reset;
	s->xstats_get = p->xstats_get;
	s->xstats_get_names = p->xstats_get_names;
	s->xstats_reset = p->xstats_reset;
	s->rss_hash_conf_get = p->rss_hash_conf_get;
	s->reta_query = p->reta_query;
	s->rxq_info_get = p->rxq_info_get;
	s->txq_info_get = p->txq_info_get;
	/* On the queues this process polls, like the bursts. */
	s->tx_done_cleanup = p->tx_done_cleanup;
	s->rx_queue_intr_enable = p->rx_queue_intr_enable;
	s->rx_queue_intr_disable = p->rx_queue_intr_disable;
	s->dev_close = hn_secondary_close;
}

int
hn_probe_secondary(struct rte_vmbus_device *vdev,
		   const struct eth_dev_ops *primary_ops)
{
	struct rte_eth_dev *eth;

	eth = rte_eth_dev_attach_secondary(vdev->device.name);
	if (eth == NULL) {
		HN_LOG(ERR, "%s: secondary: no such port in the primary",
		       vdev->name);
		return -ENODEV;
	}
	hn_secondary_ops_init(primary_ops);
	eth->dev_ops = &hn_secondary_ops;
	hn_set_fast_ops(eth);
	eth->device = &vdev->device;
	/*
	 * The bus mapped the rings of the channels the primary had open at
	 * this attach; a channel it opens later is not mapped here.
	 */
	if (!eth->data->dev_started)
		HN_LOG(WARNING, "port %u: secondary attached before the primary "
		       "started the port: channels it opens later are not mapped here",
		       eth->data->port_id);
	/* A port started in interrupt mode: this process's event fds. */
	if (eth->data->dev_started && eth->data->dev_conf.intr_conf.rxq != 0 &&
	    hn_intr_setup(eth) != 0)
		HN_LOG(WARNING, "port %u: secondary: no Rx interrupts",
		       eth->data->port_id);
	/* Only the primary's bursts poll the VF (its port is the
	 * primary's): say so where a secondary would lose frames. */
	if (((const struct hn_data *)eth->data->dev_private)->vf != NULL)
		HN_LOG(WARNING, "port %u: secondary: VF steering is on in the primary "
		       "(devarg vf, default 1): frames the host steers to a VF reach "
		       "the primary's queues only, never this process's; give the "
		       "primary vf=0 to share queues with secondaries",
		       eth->data->port_id);
	rte_eth_dev_probing_finish(eth);
	HN_LOG(INFO, "port %u: attached as a secondary process",
	       eth->data->port_id);
	return 0;
}

int
hn_remove_secondary(struct rte_eth_dev *eth)
{
	hn_intr_release(eth);
	return rte_eth_dev_release_port(eth);
}
