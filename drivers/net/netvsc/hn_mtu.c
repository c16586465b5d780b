/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MTU at runtime. The host sizes its receive sub-allocations from the MTU
 * of NVSP NDIS_CONFIG, which a session sends once: a new MTU needs a new
 * session, as Linux hv_netvsc does (detach, attach with the new MTU). The
 * port is stopped; the session is torn down, the device's uio fd reopened
 * so the host forgets it, and bring-up, subchannels and offload settings
 * run again. Hosts replace an MTU outside [1514, 9216] (with the Ethernet
 * header) by 1514 without saying so: larger ones are refused here, and the
 * new session's maximum frame size is checked.
 *
 * dev_reset (rte_eth_dev_reset, port stopped by ethdev) is the same new
 * session with the same MTU: it brings back a port whose session broke
 * (hn_host_dead: a corrupt ring, an unreachable host) unless the host
 * rescinded the device.
 */
#include <errno.h>
#include <string.h>

#include "hn_var.h"
#include "hn_rx_ext.h"
#include "hn_vf.h"

uint16_t
hn_mtu_max(const struct hn_data *hv)
{
	/* NVSP 1 has no NDIS_CONFIG: the host's MTU applies. */
	if (hv->nvsp_version < NVSP_VERSION_2)
		return (uint16_t)(hv->max_frame - RTE_ETHER_HDR_LEN -
				  RTE_ETHER_CRC_LEN);
	return NVSP_HOST_MTU_MAX - RTE_ETHER_HDR_LEN;
}

static int
hn_session_renew(struct hn_data *hv, uint16_t mtu)
{
	struct rte_eth_dev_data *d = hv->data;
	uint32_t nq = RTE_MAX(d->nb_rx_queues, d->nb_tx_queues);
	uint8_t key[NDIS_RSS_KEY_SIZE];
	uint16_t reta[HN_RSS_TABLE];
	bool reta_user = hv->rss_reta_user;
	uint64_t hf = hv->rss_hf;
	int rc;

	/* The application's RSS settings outlive the session (attach resets
	 * them; dev_start sends them to the new one). */
	memcpy(key, hv->rss_key, sizeof(key));
	memcpy(reta, hv->rss_reta, sizeof(reta));
	/* ACKs of what the application freed since stop go to this session. */
	hn_zx_flush(hv);
	hn_session_detach(hv);
	rc = rte_vmbus_device_reopen(hv->vmbus);
	if (rc != 0)
		return rc;
	/* A new session: what broke the old one is gone with it. */
	hv->dead = false;
	hv->mtu = mtu;
	hv->filter = 0;
	rc = hn_session_attach(hv);
	memcpy(hv->rss_key, key, sizeof(key));
	memcpy(hv->rss_reta, reta, sizeof(reta));
	hv->rss_reta_user = reta_user;
	hv->rss_hf = hf;
	if (rc == 0 && hv->max_frame != (uint32_t)mtu + RTE_ETHER_HDR_LEN +
	    RTE_ETHER_CRC_LEN) {
		HN_LOG(ERR, "port %u: host took MTU %u as %u", hv->port_id, mtu,
		       hv->max_frame - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN);
		rc = -EINVAL;
	}
	/* Subchannels asked for and mapped again, queues pointed at them. */
	if (rc == 0 && nq > 0)
		rc = hn_queues_configure(hv, nq);
	if (rc == 0)
		rc = hn_offload_configure(hv);
	/* The receive buffer was mapped again: its pages' IOVAs are new. */
	if (rc == 0)
		rc = hn_zx_remap(hv);
	return rc;
}

/* A new MTU for a stopped port: a new host session. how names the way
 * the application asked, for the log. */
static int
hn_mtu_change(struct rte_eth_dev *dev, uint16_t mtu, const char *how)
{
	struct hn_data *hv = dev->data->dev_private;
	uint16_t old = (uint16_t)hv->mtu;
	int held, rc;

	if (mtu > hn_mtu_max(hv) || mtu < RTE_ETHER_MIN_MTU)
		return -EINVAL;
	/*
	 * A new session maps the receive buffer again (reopen): zero-copy
	 * mbufs the application still holds point into the old mapping. Not
	 * waited for: the caller is usually the thread that holds them.
	 */
	held = hn_zx_held(hv);
	if (held > 0) {
		HN_LOG(ERR, "port %u: MTU not changed: the application still holds"
		       " %u zero-copy mbufs (of %d receive packets), which point"
		       " into the receive buffer a new session unmaps; free them"
		       " first", hv->port_id, hn_zx_mbufs(hv), held);
		return -EBUSY;
	}
	rc = hn_session_renew(hv, mtu);
	if (rc == 0) {
		HN_LOG(INFO, "port %u: MTU %u%s (new host session)", hv->port_id,
		       mtu, how);
		return 0;
	}
	HN_LOG(ERR, "port %u: MTU %u: %s; back to %u", hv->port_id, mtu,
	       strerror(-rc), old);
	if (hn_session_renew(hv, old) != 0) {
		HN_LOG(ERR, "port %u: no session with the host: close the port",
		       hv->port_id);
		hn_host_dead(hv, -EIO);
	}
	return rc;
}

int
hn_mtu_set(struct rte_eth_dev *dev, uint16_t mtu)
{
	struct hn_data *hv = dev->data->dev_private;

	if (hv->dead)
		return -ENODEV;
	if (mtu == hv->mtu)
		return 0;
	if (dev->data->dev_started) {
		HN_LOG(ERR, "port %u: stop the port to change the MTU (the host"
		       " session starts again)", hv->port_id);
		return -EBUSY;
	}
	return hn_mtu_change(dev, mtu, "");
}

/*
 * The MTU of rte_eth_conf (rxmode.mtu; ethdev has checked it against
 * dev_infos and stored it in data->mtu before dev_configure; 0 there
 * means 1500). Applications set it this way since DPDK 21.11 (testpmd's
 * --max-pkt-len too): ignoring it would leave the host at the old MTU,
 * dropping every larger frame as too big while the port says otherwise.
 */
int
hn_mtu_configure(struct rte_eth_dev *dev)
{
	struct hn_data *hv = dev->data->dev_private;

	if (dev->data->mtu == hv->mtu)
		return 0;
	return hn_mtu_change(dev, dev->data->mtu, " from the port's configuration");
}

int
hn_dev_reset(struct rte_eth_dev *dev)
{
	struct hn_data *hv = dev->data->dev_private;
	bool was_dead = hv->dead;
	int rc;

	if (rte_vmbus_device_rescinded(hv->vmbus))
		return -ENODEV;
	/* The old session's VF association goes with it (the port is
	 * stopped: no VF attached); the host sends it again. */
	hn_vf_session_reset(hv);
	rc = hn_session_renew(hv, (uint16_t)hv->mtu);
	if (rc != 0) {
		HN_LOG(ERR, "port %u: reset: no session with the host: %s",
		       hv->port_id, strerror(-rc));
		hn_host_dead(hv, rc);
		return rc;
	}
	HN_LOG(NOTICE, "port %u: reset: new host session%s, %u channel(s)",
	       hv->port_id, was_dead ? " (the old one had failed)" : "",
	       hv->nchan);
	return 0;
}
