/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Emulated Hyper-V host, "kernel's face": what uio_hv_generic and the
 * vmbus core show to a userspace driver (sysfs, /dev/uioN, shared rings,
 * monitor/interrupt pages, recv/send buffers), plus the interface a host
 * network service (NVSP/RNDIS) plugs into.
 *
 * Threading: all device state belongs to the loop thread. Other threads
 * use emu_loop_call(emu_host_loop(h), fn, arg).
 */
#ifndef EMU_H
#define EMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu_guestmem.h"
#include "emu_loop.h"
#include "hv_uio_abi.h"
#include "vmbus_wire.h"

#define EMU_MAX_NICS 8u
#define EMU_MAX_CHANS 64u	  /* primary + subchannels per device */
#define EMU_RELID_STRIDE 64u	  /* default relids: base + nic * stride */
#define EMU_MONITOR_STRIDE 16u	  /* default monitor ids: base + nic * stride */

struct emu_config {
	const char *root;	/* instance dir; NULL: /dev/shm/vmbus-emu-<name> */
	const char *name;
	unsigned int nics;
	uint8_t mac[6];		/* NIC k gets mac with last byte + k */
	uint32_t mtu;
	size_t ring_size;	/* per direction, header page included */
	size_t recv_size;
	size_t send_size;
	uint32_t relid_base;
	uint32_t monitor_base;
	uint32_t gpadl_base;	/* NIC k: recv base + 2k, send base + 2k + 1 */
	bool old_irq_mask;	/* pre-auto-mask kernel, see emu_dev.c */
	/* The guest kernel's interrupt callback (mask the channel, bump the
	 * uio count) runs this long after the host's signal; 0 = at once. */
	uint32_t irq_late_us;
	/* Leniency: a GPA is the guest's VA (IOVA as VA). Default: GPAs go
	 * through the guest's page table only (emu_guestmem.h). */
	bool gpa_is_va;
	bool unbound;		/* bound to hv_netvsc: no uio, no rings */
};

/* Kernel-like defaults. */
void emu_config_defaults(struct emu_config *cfg);
/* 0 or -EINVAL with a reason for the user in *why. */
int emu_config_check(const struct emu_config *cfg, const char **why);

struct emu_host;
struct emu_dev;
struct emu_chan;

/* One direction of a channel, as the host sees it. */
struct emu_ring {
	struct vmbus_ring_hdr *hdr;
	uint8_t *data;
	uint32_t data_size;
};

/*
 * Hooks of the service layer; every member may be NULL. Called on the
 * loop thread.
 */
struct emu_service_ops {
	/* Channel opened: the primary at the first uio open (rings reset),
	 * a subchannel once emu_dev_add_subchan published it. */
	void (*chan_open)(void *arg, struct emu_chan *ch);
	/* Channel about to be torn down (last uio close, guest death). */
	void (*chan_close)(void *arg, struct emu_chan *ch);
	/* Guest wrote 4 bytes to /dev/uioN, after irq control was applied. */
	void (*doorbell)(void *arg, struct emu_dev *dev, uint32_t value);
	void (*irq_control)(void *arg, struct emu_dev *dev, bool enable);
	/* The guest handed over (more) memory; translations may now work. */
	void (*guest_mem)(void *arg, struct emu_dev *dev);
};

/* Create the root, the devices and their sysfs trees; not yet running. */
int emu_host_create(const struct emu_config *cfg, struct emu_host **out);
/* Tear everything down and remove the root. */
void emu_host_destroy(struct emu_host *h);
void emu_host_set_service(struct emu_host *h, const struct emu_service_ops *ops,
			  void *arg);
struct emu_loop *emu_host_loop(struct emu_host *h);
const char *emu_host_root(const struct emu_host *h);
unsigned int emu_host_ndevs(const struct emu_host *h);
struct emu_dev *emu_host_dev(struct emu_host *h, unsigned int idx);
const struct emu_config *emu_host_config(const struct emu_host *h);

const char *emu_dev_guid(const struct emu_dev *dev);
unsigned int emu_dev_index(const struct emu_dev *dev);
unsigned int emu_dev_uio_minor(const struct emu_dev *dev);
const uint8_t *emu_dev_mac(const struct emu_dev *dev);
bool emu_dev_is_open(const struct emu_dev *dev);
uint32_t emu_dev_irq_count(const struct emu_dev *dev);
void emu_dev_set_priv(struct emu_dev *dev, void *priv);
void *emu_dev_priv(const struct emu_dev *dev);

/* Region k of the device (hv_uio_map), its size in *len; NULL if absent. */
void *emu_dev_map(const struct emu_dev *dev, enum hv_uio_map k, size_t *len);
struct vmbus_monitor_page *emu_dev_monitor_page(const struct emu_dev *dev);
/* GPADL handle the guest quotes for map 3 (recv) or 4 (send), else 0. */
uint32_t emu_dev_gpadl(const struct emu_dev *dev, enum hv_uio_map k);

/*
 * Guest memory: NULL unless [gpa_page * 4096 + offset, +len) is in the
 * guest's page table and was handed over; each NULL counts in
 * emu_dev_gpa_invalid.
 */
void *emu_dev_translate(struct emu_dev *dev, uint64_t gpa_page,
			uint64_t offset, uint64_t len);
uint64_t emu_dev_gpa_invalid(const struct emu_dev *dev);
struct emu_guestmem *emu_dev_guestmem(struct emu_dev *dev);

struct emu_chan *emu_dev_primary(struct emu_dev *dev);
struct emu_chan *emu_dev_chan_by_relid(struct emu_dev *dev, uint32_t relid);

/* monitor_id of a channel the host does not monitor (no monitor_id file). */
#define EMU_NO_MONITOR UINT32_MAX

/*
 * Offer and open a subchannel (what the kernel does after the guest's
 * NVSP subchannel request): own ring region, headers reset, published
 * atomically as channels/<relid>/. Only while the device is open.
 * monitor_id EMU_NO_MONITOR: a channel without a monitor page entry, as
 * kernels >= 6.10 offer it (guests signal through the interrupt page).
 */
int emu_dev_add_subchan(struct emu_dev *dev, uint32_t relid, uint32_t subchan_id,
			uint32_t monitor_id, struct emu_chan **out);

/*
 * Signal the guest on ch. Like the host, only if the guest enabled it
 * (inbound interrupt_mask == 0). Returns 1 if an interrupt was raised,
 * 0 if masked, -EPROTO if the device is not open.
 */
int emu_dev_raise_irq(struct emu_dev *dev, struct emu_chan *ch);

/*
 * Host rescinds the device. Like current kernels (whose rescind callback
 * unregisters the device): the channel is closed at once (chan_close
 * hooks run, subchannels go), open guest fds fail with EIO, /dev/uioN and
 * devices/<guid>/ disappear (opens fail), the rings and buffers are
 * freed (a guest keeps what it still has mapped). -EPROTO if already
 * rescinded.
 */
int emu_dev_rescind(struct emu_dev *dev);

/*
 * Offer a rescinded device again, as after host servicing: same GUID,
 * relid, MAC and uio minor; fresh zeroed rings, pages and buffers; new
 * GPADL handles in the map names (the kernel's counter moved on); the
 * interrupt count restarts at 0. With ring_delay_ms != 0 the primary's
 * channels/<relid>/ring appears only that long after the rest (the
 * late-ring race of kernels without f31fe8165d36). -EPROTO unless
 * rescinded; on failure the device stays rescinded.
 */
int emu_dev_reoffer(struct emu_dev *dev, unsigned int ring_delay_ms);
bool emu_dev_is_rescinded(const struct emu_dev *dev);

struct emu_dev *emu_chan_dev(const struct emu_chan *ch);
uint32_t emu_chan_relid(const struct emu_chan *ch);
uint32_t emu_chan_subchan_id(const struct emu_chan *ch);
uint32_t emu_chan_monitor_id(const struct emu_chan *ch);
/* guest->host ring (host reads) and host->guest ring (host writes). */
struct emu_ring emu_chan_g2h(const struct emu_chan *ch);
struct emu_ring emu_chan_h2g(const struct emu_chan *ch);
void emu_chan_set_priv(struct emu_chan *ch, void *priv);
void *emu_chan_priv(const struct emu_chan *ch);

#endif /* EMU_H */
