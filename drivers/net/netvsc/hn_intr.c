/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rx interrupts (dev_conf.intr_conf.rxq): the port's interrupt handle
 * lists one event fd per Rx queue, the bus's per-channel eventfd
 * (rte_vmbus_chan_intr_fd), so rte_eth_dev_rx_intr_ctl_q() and
 * rte_epoll_wait() work as with any PMD. Each queue needs a channel of
 * its own: two queues on one channel could not be woken separately.
 *
 * Enabling unmasks the channel's ring; data that arrived before the
 * unmask took effect (or a receive packet this PMD still holds parked)
 * makes the fd readable at once, so a thread never sleeps on data.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <ethdev_driver.h>
#include <rte_interrupts.h>

#include "hn_var.h"

/* The eventfd's counter: what rte_epoll_wait() reads to clear it. */
#define HN_EFD_COUNTER_SIZE 8

void
hn_intr_release(struct rte_eth_dev *dev)
{
	if (dev->intr_handle == NULL)
		return;
	rte_intr_vec_list_free(dev->intr_handle);
	rte_intr_instance_free(dev->intr_handle);
	dev->intr_handle = NULL;
}

static int
hn_intr_handle(struct rte_eth_dev *dev, uint16_t nq)
{
	struct rte_intr_handle *h = dev->intr_handle;

	if (h == NULL) {
		h = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
		if (h == NULL)
			return -ENOMEM;
		dev->intr_handle = h;
	}
	rte_intr_vec_list_free(h);
	if (rte_intr_type_set(h, RTE_INTR_HANDLE_VDEV) != 0 ||
	    rte_intr_efd_counter_size_set(h, HN_EFD_COUNTER_SIZE) != 0 ||
	    rte_intr_vec_list_alloc(h, "hn_intr_vec", nq) != 0)
		return -ENOMEM;
	return 0;
}

/*
 * dev_start with intr_conf.rxq (and a secondary attaching to a started
 * port): fill the handle with this process's event fds. The primary also
 * masks every queue: interrupts are off until the application enables
 * one.
 */
int
hn_intr_setup(struct rte_eth_dev *dev)
{
	struct hn_data *hv = dev->data->dev_private;
	uint16_t q, nq = dev->data->nb_rx_queues;
	int rc, fd;

	if (nq > hv->nchan) {
		HN_LOG(ERR, "port %u: Rx interrupts need a channel per Rx queue: "
		       "%u queues, %u channels", hv->port_id, nq, hv->nchan);
		return -ENOTSUP;
	}
	rc = hn_intr_handle(dev, nq);
	for (q = 0; q < nq && rc == 0; q++) {
		fd = rte_vmbus_chan_intr_fd(hn_queue_chan(hv, q)->chan);
		if (fd < 0)
			rc = fd;
		else if (rte_intr_efds_index_set(dev->intr_handle, q, fd) != 0 ||
			 rte_intr_vec_list_index_set(dev->intr_handle, q,
					RTE_INTR_VEC_RXTX_OFFSET + q) != 0)
			rc = -EINVAL;
		else if (rte_eal_process_type() == RTE_PROC_PRIMARY)
			rc = rte_vmbus_chan_intr_disable(hn_queue_chan(hv, q)->chan);
	}
	if (rc == 0 && (rte_intr_nb_efd_set(dev->intr_handle, nq) != 0 ||
			rte_intr_max_intr_set(dev->intr_handle, nq + 1) != 0))
		rc = -EINVAL;
	if (rc != 0) {
		HN_LOG(ERR, "port %u: Rx interrupts: %s", hv->port_id,
		       strerror(-rc));
		hn_intr_release(dev);
	}
	return rc;
}

int
hn_rx_intr_enable(struct rte_eth_dev *dev, uint16_t qid)
{
	struct hn_data *hv = dev->data->dev_private;
	struct hn_chan *hc = hn_queue_chan(hv, qid);
	uint64_t one = 1;
	int rc, fd;

	if (dev->intr_handle == NULL)
		return -ENOTSUP;
	rc = rte_vmbus_chan_intr_enable(hc->chan);
	if (rc < 0)
		return rc;
	/*
	 * A parked receive packet is data the ring no longer shows: the
	 * host will not interrupt for it. Read without the channel lock:
	 * the caller is the thread that polls this queue.
	 */
	if (rc == 0 && __atomic_load_n(&hc->park_n, __ATOMIC_RELAXED) != 0) {
		fd = rte_vmbus_chan_intr_fd(hc->chan);
		if (fd >= 0 && write(fd, &one, sizeof(one)) < 0) {
			/* Saturated counter: readable anyway. */
		}
	}
	return 0;
}

int
hn_rx_intr_disable(struct rte_eth_dev *dev, uint16_t qid)
{
	struct hn_data *hv = dev->data->dev_private;

	if (dev->intr_handle == NULL)
		return -ENOTSUP;
	return rte_vmbus_chan_intr_disable(hn_queue_chan(hv, qid)->chan);
}
