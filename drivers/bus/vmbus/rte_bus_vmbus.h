/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "vmbus" bus: Hyper-V synthetic devices (channel offers of the host)
 * bound to uio_hv_generic, matched to drivers by class GUID. This is the
 * whole interface a poll-mode driver uses; everything else is private.
 *
 * Conventions:
 *  - Functions return 0 or a negative errno; the errno of each is listed.
 *  - GUIDs are struct hv_guid in wire byte order (hv_guid.h): build table
 *    entries with RTE_VMBUS_GUID().
 *  - Before probe the bus has mapped every UIO region of the device
 *    (resource[]) and opened its UIO fd (intr_handle); after remove it
 *    unmaps and closes them. Secondary processes see the regions at the
 *    primary's addresses, so pointers into them may be shared.
 *  - Channels are opaque. A channel and its rings live in shared memory
 *    (rte_malloc), so a channel pointer created by the primary is usable
 *    in a secondary once that secondary's bus probed the device.
 *
 * Threads: any number of threads may send on one channel (sends are
 * serialised by a per-channel spinlock, because a PMD sends control
 * messages on the primary channel while a Tx queue uses it too). Only
 * one thread at a time may receive on a channel (no lock on the receive
 * side: a Rx queue is polled by one lcore).
 *
 * Rescind: when the host withdraws a device, the bus sees EIO on the UIO
 * fd, marks the device rescinded (channel operations then fail with
 * -ENODEV), calls the driver's rescind hook if it has one (a PMD raises
 * RTE_ETH_EVENT_INTR_RMV there) and then the application's device event
 * callbacks with RTE_DEV_EVENT_REMOVE (rte_dev_event_callback_register).
 * Both run once, on the thread that saw the EIO first: usually the EAL
 * interrupt thread, but it may be any thread in a call that reads or
 * writes the UIO fd (rte_vmbus_irq_read(), intr_enable on the primary,
 * and signal, send or recv_commit on a channel without a monitor id). They must not detach the device nor block: the
 * application calls rte_dev_remove() later (for example from an
 * rte_eal_alarm), which unmaps and closes everything.
 */
#ifndef RTE_BUS_VMBUS_H
#define RTE_BUS_VMBUS_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_os.h>
#include <dev_driver.h>

#include "hv_guid.h"
#include "hv_uio_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A GUID constant in wire order from its text groups, e.g.
 * f8615163-df3e-46c5-913f-f2d2f965ed0e is
 * RTE_VMBUS_GUID(0xf8615163, 0xdf3e, 0x46c5, 0x913f, 0xf2d2f965ed0eULL).
 */
#define RTE_VMBUS_GUID(g1, g2, g3, g4, g5) { .b = { \
	(uint8_t)(g1), (uint8_t)((g1) >> 8), (uint8_t)((g1) >> 16), \
	(uint8_t)((g1) >> 24), (uint8_t)(g2), (uint8_t)((g2) >> 8), \
	(uint8_t)(g3), (uint8_t)((g3) >> 8), \
	(uint8_t)((g4) >> 8), (uint8_t)(g4), \
	(uint8_t)((g5) >> 40), (uint8_t)((g5) >> 32), (uint8_t)((g5) >> 24), \
	(uint8_t)((g5) >> 16), (uint8_t)((g5) >> 8), (uint8_t)(g5) } }

/* monitor_id of a channel that has no monitor page entry. */
#define RTE_VMBUS_NO_MONITOR 0xffu

struct rte_vmbus_driver;
struct rte_vmbus_chan;
struct vmbus_dev_priv;

/* One UIO region. gpadl is set for the recv/send buffers only. */
struct rte_vmbus_resource {
	void *addr;
	uint64_t len;
	uint32_t gpadl;
};

/* One device; the fields are read-only for drivers. */
struct rte_vmbus_device {
	RTE_TAILQ_ENTRY(rte_vmbus_device) next;
	struct rte_device device;          /* generic part; name = device id */
	const struct rte_vmbus_driver *driver; /* set once probed */
	struct hv_guid class_id;           /* device type, e.g. network */
	struct hv_guid device_id;          /* instance id */
	char name[HV_GUID_STR_LEN];        /* storage for device.name */
	uint32_t relid;                    /* primary channel */
	uint32_t monitor_id;               /* or RTE_VMBUS_NO_MONITOR */
	uint32_t uio_minor;                /* /dev/uio<minor> */
	unsigned int nb_resources;         /* 5 for network devices, else 3 */
	struct rte_vmbus_resource resource[HV_UIO_MAP_COUNT];
	/* The UIO fd as an interrupt handle (type EXT: the owner reads). */
	struct rte_intr_handle *intr_handle;
	struct vmbus_dev_priv *priv;       /* bus private */
};

typedef int (rte_vmbus_probe_t)(struct rte_vmbus_driver *drv,
	struct rte_vmbus_device *dev);
typedef int (rte_vmbus_remove_t)(struct rte_vmbus_device *dev);
typedef void (rte_vmbus_rescind_t)(struct rte_vmbus_device *dev);

struct rte_vmbus_driver {
	RTE_TAILQ_ENTRY(rte_vmbus_driver) next;
	struct rte_driver driver;          /* name set by the register macro */
	/* Class GUIDs this driver handles, ended by an all-zero GUID. */
	const struct hv_guid *id_table;
	/* 0: device taken; -ENOTSUP: declined (another driver may take it). */
	rte_vmbus_probe_t *probe;
	/* 0 or -errno; the bus unmaps the device after a 0. */
	rte_vmbus_remove_t *remove;
	/* Optional: the host rescinded the device (see the file comment). */
	rte_vmbus_rescind_t *rescind;
	uint32_t drv_flags;
};

/* Add a driver to the bus; called from the driver's constructor. */
void rte_vmbus_register(struct rte_vmbus_driver *driver);

/* Remove a driver registered with rte_vmbus_register(). */
void rte_vmbus_unregister(struct rte_vmbus_driver *driver);

/* Convert the generic device handed to a driver back to a vmbus one. */
#define RTE_DEV_TO_VMBUS(ptr) \
	container_of(ptr, struct rte_vmbus_device, device)

/*
 * Register driver object drv under name nm; the name is what EAL shows
 * and what dpdk-pmdinfo extracts from the shared object.
 */
#define RTE_PMD_REGISTER_VMBUS(nm, drv) \
	RTE_INIT(vmbus_initfn_ ## nm) \
	{ \
		(drv).driver.name = RTE_STR(nm); \
		rte_vmbus_register(&(drv)); \
	} \
	RTE_PMD_EXPORT_NAME(nm, __COUNTER__)

/* True once the host rescinded the device. */
bool rte_vmbus_device_rescinded(const struct rte_vmbus_device *dev);

/*
 * Channels the kernel can give this device: 64 if it supports
 * subchannels (channels/<relid>/ring exists), else 1 (kernel 4.16).
 * Probe waits up to a second for a ring file the kernel publishes late
 * after a re-offer; a device that had one and still lacks it fails to
 * probe with -EAGAIN (probe it again later) instead of losing its queues.
 */
unsigned int rte_vmbus_max_channels(const struct rte_vmbus_device *dev);

/*
 * Start a new session with the host (as a driver changing its MTU must):
 * close the device's uio fd, so the kernel closes the primary channel,
 * and open and map it again. Every channel must be closed; resource
 * addresses may change. Primary process only (secondaries must re-attach).
 * Returns 0, -ENOTSUP, -EBUSY (a channel is open), -EINVAL (not mapped),
 * -ENODEV (rescinded), or the errors of a probe.
 */
int rte_vmbus_device_reopen(struct rte_vmbus_device *dev);

/* ---- Channels ---- */

/*
 * Open the primary channel on map 0. Primary process only.
 * Returns 0, -ENOTSUP (secondary process), -EEXIST (already open), -EINVAL (device not mapped: not
 * probed, or removed), -ENOMEM, -EIO (corrupt ring header), -ENODEV
 * (rescinded).
 */
int rte_vmbus_chan_open(struct rte_vmbus_device *dev,
	struct rte_vmbus_chan **chan);

/*
 * Open the next subchannel the host offered (after the driver asked for
 * subchannels in its own protocol). Primary process only.
 * Subchannel ids are 1..63 and unique among the device's open channels,
 * so drivers may index queues by them.
 * Returns 0, -ENOTSUP (secondary process),
 * -EAGAIN (an offer is being published, or none yet: retry
 * after a short sleep), -ENOENT (no new channel directory: retry or give
 * up), -EINVAL (malformed sysfs value, or a subchannel id out of range or
 * taken, or primary is not a primary channel: do not retry),
 * -ENOSPC (64 open), -ENOBUFS (more channel directories than 128),
 * -ENOMEM, -EIO (mmap or ring header failure), -ENODEV.
 */
int rte_vmbus_subchan_open(struct rte_vmbus_chan *primary,
	struct rte_vmbus_chan **chan);

/*
 * Close a channel (subchannels first); unmaps a subchannel's ring.
 * Primary process only: a no-op in a secondary, whose channels stay the
 * primary's.
 */
void rte_vmbus_chan_close(struct rte_vmbus_chan *chan);

uint32_t rte_vmbus_chan_relid(const struct rte_vmbus_chan *chan);
/* 0 for the primary. */
uint16_t rte_vmbus_chan_subchan_id(const struct rte_vmbus_chan *chan);
/* RTE_VMBUS_NO_MONITOR if the channel has no monitor page entry. */
uint32_t rte_vmbus_chan_monitor_id(const struct rte_vmbus_chan *chan);

/*
 * Set how long the host may delay looking at the monitor page for this
 * channel, in ns (rounded down to 100 ns units).
 * Returns 0, -ENOTSUP (no monitor page entry), -ERANGE (>= 6.5535 ms).
 */
int rte_vmbus_chan_set_latency(struct rte_vmbus_chan *chan, uint32_t ns);

/* ---- Send (any thread) ---- */

#define RTE_VMBUS_FLAG_COMPLETION_REQUESTED 0x1u

/* One GPA page range of a page-buffer packet (4 KiB Hyper-V pages). */
struct rte_vmbus_gpa {
	uint64_t pfn;        /* guest physical address / 4096 */
	uint32_t offset;     /* < 4096 */
	uint32_t len;        /* != 0, offset + len <= 4096 */
};

/*
 * Send an inband data packet carrying data[0..len) (type 6), a completion
 * (type 0xb) echoing xactid, or a GPA page-buffer packet (type 9) with
 * the ranges in gpa[0..n) followed by data[0..len) inline.
 *
 * need_sig: NULL signals the host now if the ring rules require it
 * (ring was empty, host not masked). Non-NULL ORs that requirement into
 * *need_sig instead, so a burst ends with one rte_vmbus_chan_signal().
 * Returns 0, -EINVAL (bad argument), -EMSGSIZE (can never fit),
 * -EAGAIN (ring full: retry after the host drained it), -EIO (ring
 * corrupt; the channel is dead), -ENODEV (rescinded).
 */
int rte_vmbus_chan_send(struct rte_vmbus_chan *chan, const void *data,
	uint32_t len, uint64_t xactid, uint32_t flags, bool *need_sig);
int rte_vmbus_chan_send_comp(struct rte_vmbus_chan *chan, const void *data,
	uint32_t len, uint64_t xactid, bool *need_sig);
int rte_vmbus_chan_send_gpa(struct rte_vmbus_chan *chan,
	const struct rte_vmbus_gpa *gpa, uint32_t n, const void *data,
	uint32_t len, uint64_t xactid, uint32_t flags, bool *need_sig);

/*
 * Signal the host for this channel now (monitor page bit, or for a
 * channel without monitor the interrupt page bit plus a doorbell write
 * to the UIO fd), unless the host masked its Tx ring. 0, -EIO, -ENODEV.
 */
int rte_vmbus_chan_signal(struct rte_vmbus_chan *chan);

/* ---- Receive (one thread per channel) ---- */

/*
 * Copy the next packet (descriptor included, trailer excluded; parse it
 * with vmbus_pkt_parse) into buf[0..*len) and consume it; *len gets its
 * length. The space goes back to the host only at
 * rte_vmbus_chan_recv_commit(), once per burst.
 * Returns 0, -EAGAIN (nothing to read), -ENOBUFS (*len too small; *len
 * gets the size needed, nothing consumed), -EIO (corrupt ring),
 * -ENODEV (rescinded).
 */
int rte_vmbus_chan_recv(struct rte_vmbus_chan *chan, void *buf,
	uint32_t *len);

/*
 * True when the host has written nothing that rte_vmbus_chan_recv has not
 * already taken: a cheap test for pollers (one load of the ring's write
 * index; a packet being written at that moment is seen one poll later).
 * False on a rescinded channel or a corrupt index, so that the recv that
 * follows reports it.
 */
bool rte_vmbus_chan_rx_empty(const struct rte_vmbus_chan *chan);

/* As rte_vmbus_chan_recv without consuming the packet. */
int rte_vmbus_chan_peek(struct rte_vmbus_chan *chan, void *buf,
	uint32_t *len);

/*
 * Give the space of everything received since the last commit back to
 * the host, and signal it if it waits for that much room.
 * Returns 0, -EIO (corrupt ring), -ENODEV.
 */
int rte_vmbus_chan_recv_commit(struct rte_vmbus_chan *chan);

/* ---- Counters ---- */

struct rte_vmbus_chan_stats {
	uint64_t tx_packets, tx_bytes;
	uint64_t rx_packets, rx_bytes;
	uint64_t signals;     /* notifications sent to the host */
	uint64_t ring_full;   /* sends refused with -EAGAIN */
	uint64_t corrupt;     /* -EIO from the ring */
};

/* 0 or -EINVAL. Counters are per channel; reset is not atomic. */
int rte_vmbus_chan_stats_get(const struct rte_vmbus_chan *chan,
	struct rte_vmbus_chan_stats *stats);
void rte_vmbus_chan_stats_reset(struct rte_vmbus_chan *chan);

/* ---- Interrupts (host -> guest) ---- */

/*
 * This process's event fd for Rx interrupts of chan (an eventfd, created
 * on the first call, closed with the channel or the device; do not close
 * it). While the channel's interrupt is enabled, every interrupt of the
 * device that finds data in its receive ring makes the fd readable (the
 * EAL interrupt thread writes it), so one thread can sleep in epoll on
 * the fds of its queues. Read 8 bytes to clear it.
 * Returns the fd, -EINVAL, -ENODEV (rescinded or not probed here),
 * -EBUSY (slot of a closed channel not released), -errno of eventfd().
 */
int rte_vmbus_chan_intr_fd(struct rte_vmbus_chan *chan);

/*
 * Ask the host to interrupt when this channel's receive ring gets data.
 * Works on kernels that mask on each interrupt (re-enable after every
 * wakeup) and on kernels that leave the mask to userspace: the bus writes
 * the ring's interrupt mask itself and, for the primary, also writes 1
 * to the UIO fd (which on newer kernels unmasks every channel: those this
 * process has an event fd for and did not enable are masked again).
 * Returns 1 if data arrived meanwhile (poll before sleeping; the event
 * fd, if any, has been made readable too), 0 if the caller may wait,
 * -EIO (UIO write failed), -ENODEV (rescinded).
 */
int rte_vmbus_chan_intr_enable(struct rte_vmbus_chan *chan);

/*
 * Stop interrupts for this channel (its ring's mask only: the UIO write
 * of 0 would mask the other channels too on newer kernels).
 * 0, -EINVAL, -ENODEV.
 */
int rte_vmbus_chan_intr_disable(struct rte_vmbus_chan *chan);

/*
 * Wait for an interrupt of any channel of the device on dev's UIO fd
 * (blocks unless the fd has data; use intr_handle with epoll to wait).
 * *count gets the kernel's cumulative interrupt count.
 * Returns 0, -EAGAIN (non-blocking and nothing pending), -ENODEV
 * (rescinded: the removal event has been raised), -errno.
 */
int rte_vmbus_irq_read(struct rte_vmbus_device *dev, uint32_t *count);

#ifdef __cplusplus
}
#endif

#endif /* RTE_BUS_VMBUS_H */
