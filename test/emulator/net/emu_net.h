/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host network service (NetVSP) of the emulated Hyper-V host, and the
 * two interfaces around it:
 *
 *   wire backend  <-- frames -->  emu_nic (NVSP, RNDIS, offloads, RSS)
 *                                   ^
 *   control socket / CLI / tests ---+  (events, faults, counters)
 *
 * The service speaks the protocol through drivers/common/hv (one ring,
 * one set of builders and validators, in mirror image of the driver).
 * Everything here runs on the emulator's loop thread.
 */
#ifndef EMU_NET_H
#define EMU_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "emu.h"

#define EMU_NET_MAX_QUEUES 64u

struct emu_nic;
struct emu_backend;

/* ------------------------------------------------------------------ */
/* Host configuration                                                 */
/* ------------------------------------------------------------------ */

/* Most ranges (frames) one transfer-page packet may carry: a real host
 * batches up to 375 (docs/design/protocol.md, "Receive packets"). */
#define EMU_NET_RX_RANGES_MAX 375u
#define EMU_NET_RX_RANGES_DEFAULT EMU_NET_RX_RANGES_MAX

/* Guest sends a queue may have outstanding (read, not yet completed)
 * before the host stops reading its ring, as a real host (1024). */
#define EMU_NET_TX_PENDING_DEFAULT 1024u
#define EMU_NET_TX_PENDING_MAX 65536u
/* How long the host holds a send completion by default (microseconds). */
#define EMU_NET_TX_COMP_DELAY_DEFAULT_US 20u

/* What the emulated host offers; defaults model a current Azure host. */
struct emu_net_config {
	uint32_t max_nvsp_version;  /* e.g. 0x60001; older hosts stop at 0x50000 */
	unsigned int max_queues;    /* RSS queues = 1 + subchannels, <= 64 */
	uint32_t link_speed;        /* 100 bps units (10 Gb/s = 100000000) */
	bool csum_offload;          /* advertise IPv4/TCP/UDP checksum offload */
	bool lso_offload;           /* advertise LSOv2 */
	unsigned int ctrl_delay_ms; /* delay control replies ("slow host") */
	uint32_t send_section_size; /* answer to SEND_SEND_BUF (6144) */
	bool trace;                 /* log every protocol message */
	/* emu_nic_reoffer: primary ring file this late (0 = at once). */
	unsigned int reoffer_ring_delay_ms;
	/*
	 * Frames (ranges) emu_nic_rx_burst may put in one transfer-page
	 * packet, 1..375; 0 means the default, 32. Hyper-V batches up to
	 * 375 under load; the guest ACKs each packet once.
	 */
	unsigned int rx_max_ranges;
	/*
	 * Strictness (docs/emulator.md, "Strictness: Azure's host vs the
	 * emulator"): by default the host is as strict as Azure's; each
	 * EMU_LENIENT_* bit relaxes one rule (--lenient NAME).
	 */
	uint32_t lenient;
	/* Subchannel offers follow the completion after subch_delay_ms plus
	 * up to subch_jitter_ms (Hyper-V: hundreds of ms). */
	unsigned int subch_delay_ms, subch_jitter_ms;
	unsigned int subch_grant_max; /* grant at most this many; 0 = all */
	/* Pre-6.1 hosts: indirection table at byte 40, offset field 12. */
	bool txtbl_offset_quirk;
	/* NVSP response size below 6.1: 40 (padded, default) or 28. */
	uint32_t resp_size_pre61;
	/* Link flaps within this window are coalesced (Azure: 5000). */
	unsigned int link_coalesce_ms;
	/* Leniency: read guest->host rings without waiting for the signal
	 * the ring rules require (default: a ring is served only after its
	 * doorbell, as on Hyper-V). */
	bool doorbell_poll;
	/* Add RSS hash PPIs to received frames (a real host sends none). */
	bool rx_hash_ppi;
	/* Offer UDP hash types in the RSS capabilities (Azure's: TCP/IP). */
	bool rss_udp;
	/* Outstanding guest sends per queue (0 = EMU_NET_TX_PENDING_DEFAULT). */
	unsigned int tx_max_pending;
	/* Send completions wait this long after the backend took the frames,
	 * then go out in a batch (microseconds). */
	unsigned int tx_comp_delay_us;
	/* Held completions go out in reversed runs of this many (0, 1: in
	 * order), so the guest frees its sends out of order. */
	unsigned int tx_comp_reverse;
};

/* Leniencies (emu_net_config.lenient); names in emu_lenient_name(). */
#define EMU_LENIENT_INIT_RANGE   0x001u /* NVSP INIT: best of [min, max] */
#define EMU_LENIENT_LINK_AT_INIT 0x002u /* MEDIA_CONNECT after RNDIS INIT */
#define EMU_LENIENT_LINK_FLAPS   0x004u /* every link change indicated at once */
#define EMU_LENIENT_RESET        0x008u /* RNDIS RESET answered */
#define EMU_LENIENT_REINIT       0x010u /* second NVSP/RNDIS INIT only refused */
#define EMU_LENIENT_DUP_SETUP    0x020u /* duplicate setup messages only refused */
#define EMU_LENIENT_REVOKE       0x040u /* buffer revoke answered, channel runs */
#define EMU_LENIENT_EARLY_SUBCH  0x080u /* offers before the completion, table at once */
/* A bad RNDIS_ACK (unknown, duplicated, wrong channel) is counted and
 * logged but does not stop the channel. */
#define EMU_LENIENT_RX_ACK       0x100u
/* Received frames right after the PPIs, msg_len and range length exact
 * (a real host puts the frame at offset 256 of a full-size range). */
#define EMU_LENIENT_RX_EXACT     0x200u
/* Aggregated PACKET_MSGs are stepped by msg_len rounded up to 8 and
 * fewer than 8 trailing bytes are ignored (a real host steps exactly). */
#define EMU_LENIENT_TX_MSG_ALIGN 0x400u
/* TX offloads look past an inline 802.1Q tag (a real host takes the L2
 * header as 14 bytes: VLAN only via per-packet info). */
#define EMU_LENIENT_TX_INLINE_VLAN 0x800u
#define EMU_LENIENT_COUNT 12u
#define EMU_LENIENT_ALL ((1u << EMU_LENIENT_COUNT) - 1u)
/* Name of bit i (0..EMU_LENIENT_COUNT-1), or NULL. */
const char *emu_lenient_name(unsigned int i);
/* "name[,name...]" or "all" -> bits; -EINVAL for an unknown name. */
int emu_lenient_parse(const char *list, uint32_t *bits);

void emu_net_config_defaults(struct emu_net_config *cfg);

/*
 * Attach the network service to every device of the host (installs the
 * emu_service_ops and a busy-poll tick on the host loop).
 */
int emu_net_attach(struct emu_host *h, const struct emu_net_config *cfg);
void emu_net_detach(struct emu_host *h);

/* NIC of device idx, or NULL. */
struct emu_nic *emu_net_nic(struct emu_host *h, unsigned int idx);
struct emu_dev *emu_nic_dev(const struct emu_nic *nic);

/* ------------------------------------------------------------------ */
/* Wire backends                                                      */
/* ------------------------------------------------------------------ */

/* Where a frame lies in a buffer of several. */
struct emu_frame_span {
	uint32_t off, len;
};

struct emu_backend_ops {
	const char *name;
	/*
	 * A frame the guest sent, after the host did what the guest asked
	 * (VLAN tag inserted, LSO segmented, checksums filled in): a plain
	 * Ethernet frame. The backend copies it if it keeps it.
	 */
	void (*xmit)(struct emu_backend *be, const void *frame, size_t len);
	/*
	 * Optional: n plain frames of one guest packet at once, frame i at
	 * base + sp[i].off, sp[i].len bytes; the same as n xmit calls in
	 * order (one call for the many minimum frames a packet aggregates).
	 */
	void (*xmit_burst)(struct emu_backend *be, const uint8_t *base,
			   const struct emu_frame_span *sp, unsigned int n);
	/*
	 * Optional, with release: xmit and xmit_burst for frames that lie
	 * in the guest's transmit memory and stay there, unchanged by the
	 * host, until the next release call. The NIC calls release before
	 * the completion of any such frame can reach the guest (and before
	 * anything else may change its memory), so a backend may keep the
	 * pointer instead of copying the frame: the loopback then copies a
	 * frame once, from the guest's transmit pages straight into the
	 * receive sub-allocation.
	 */
	void (*xmit_held)(struct emu_backend *be, const void *frame, size_t len);
	void (*xmit_burst_held)(struct emu_backend *be, const uint8_t *base,
				const struct emu_frame_span *sp,
				unsigned int n);
	/*
	 * Stop holding frames: with deliver, the backend may first offer
	 * them to the guest (emu_nic_rx_burst: the NIC calls it between
	 * reading the guest's ring and sending completions); whatever it
	 * still keeps afterwards it copies.
	 */
	void (*release)(struct emu_backend *be, bool deliver);
	/* Called on every loop iteration (a generator injects here); may be NULL. */
	void (*poll)(struct emu_backend *be);
	/* One line of counters, e.g. "tap0: rx 10 tx 12 drop 0". */
	void (*print_stats)(struct emu_backend *be, FILE *out);
	void (*destroy)(struct emu_backend *be);
};

struct emu_backend {
	const struct emu_backend_ops *ops;
	struct emu_nic *nic;   /* set by emu_nic_set_backend */
};

/* Replace the NIC's backend (the old one is destroyed); NULL = discard. */
void emu_nic_set_backend(struct emu_nic *nic, struct emu_backend *be);

/*
 * Offer a frame from the wire to the guest. The host strips an 802.1Q
 * tag into the VLAN per-packet info, computes the RSS hash, picks the
 * channel from the guest's indirection table, and checks the checksums
 * it reports. Returns 0 when delivered; -ENETDOWN when the link is down,
 * the guest is not ready or its packet filter rejects the frame; -EAGAIN
 * when the guest's ring or receive buffer is full (flow control: the
 * caller may retry later); -EMSGSIZE when longer than MTU + headers.
 * Every outcome is counted.
 */
int emu_nic_rx(struct emu_nic *nic, const void *frame, size_t len);

/*
 * Flags of emu_nic_rx_flags and emu_nic_rx_burst.
 *
 * EMU_RX_CSUM_GOOD: the backend vouches that every IPv4 header and
 * TCP/UDP checksum the frame carries is correct (it built them, as the
 * generator does). The host then reports them as verified without
 * summing the bytes; what it reports (which protocols) still comes from
 * parsing the frame. Without the flag every checksum is recomputed, so
 * the guest's checksum-result PPI tells the truth for any frame. Never
 * set it for frames from outside (TAP, loopback of guest frames).
 */
#define EMU_RX_CSUM_GOOD 0x1u
/*
 * EMU_RX_SAME_LAYOUT (burst, with EMU_RX_CSUM_GOOD): every frame has the
 * first one's length and headers apart from addresses, ports, IP id,
 * checksums and payload (as the generator's flows). The host then finds
 * the checksum bits by parsing the first frame only. Length, filter and
 * VLAN checks still run per frame; a frame of another length is parsed.
 * Ignored without EMU_RX_CSUM_GOOD (unverified frames are always summed).
 */
#define EMU_RX_SAME_LAYOUT 0x2u
/*
 * EMU_RX_PERIOD(p) (burst, 1 <= p <= 65535, with EMU_RX_CSUM_GOOD and
 * EMU_RX_SAME_LAYOUT): every frame k >= p of the burst has the length
 * and the first EMU_RX_PERIOD_BYTES bytes of frame k - p (the
 * generator's flows repeat every p frames). Those bytes are all that
 * decide the RSS queue of an untagged IPv4 frame with a 20-byte header
 * (addresses, ports, what emu_rss_v4_n reads): such a frame of the RSS
 * run gets the queue found for frame k - p in the same run, when that
 * one was found from those bytes. A promise of the emulator's own
 * backends about frames they built, like EMU_RX_CSUM_GOOD: never set it
 * for frames from outside (the backends' tests check the generator
 * keeps it).
 */
#define EMU_RX_PERIOD_SHIFT 16u
#define EMU_RX_PERIOD(p) ((uint32_t)(p) << EMU_RX_PERIOD_SHIFT)
#define EMU_RX_PERIOD_MASK 0xffff0000u
#define EMU_RX_PERIOD_BYTES 38u
#define EMU_RX_FLAGS_ALL (EMU_RX_CSUM_GOOD | EMU_RX_SAME_LAYOUT | \
			  EMU_RX_PERIOD_MASK)

/* emu_nic_rx with flags (EMU_RX_*); -EINVAL for unknown flags. */
int emu_nic_rx_flags(struct emu_nic *nic, const void *frame, size_t len,
		     uint32_t flags);

/*
 * Offer n frames in order, each as emu_nic_rx would, but consecutive
 * frames for the same channel travel in one transfer-page packet with a
 * range each (at most rx_max_ranges), which the guest ACKs once; with
 * RSS, the common frames of a burst are gathered per channel even when
 * channels alternate (each channel still gets its frames in order).
 * rc[i] receives frame i's result. Stops at the first frame the host
 * cannot take now (-EAGAIN: ring or buffer full; -ENETDOWN: link, guest
 * state or filter) and returns the number of frames before it: each of
 * those was delivered (rc 0) or refused for good (counted, rc < 0).
 * Returns -EINVAL for bad arguments.
 */
int emu_nic_rx_burst(struct emu_nic *nic, const void *const *frames,
		     const size_t *lens, unsigned int n, uint32_t flags,
		     int *rc);

/*
 * Drain measurements (the generator's drain mode, docs/benchmarks.md):
 * emu_nic_rx_hold holds back everything the host writes on each open
 * queue's host->guest ring (vmbus_ring_hold: framed into the ring, the
 * write index not published) until emu_nic_rx_publish hands it to the
 * guest at once, signalling the channels that want it.
 * emu_nic_rx_drained: the guest has read (and committed) everything
 * published on every open queue. Hold and publish within one call of
 * the backend's poll (nothing else of the NIC runs in between).
 * emu_nic_rx_hold returns 0, -ENETDOWN (no open queue) or -ENOMEM.
 */
int emu_nic_rx_hold(struct emu_nic *nic);
void emu_nic_rx_publish(struct emu_nic *nic);
bool emu_nic_rx_drained(const struct emu_nic *nic);
/* Receive-buffer sub-allocations the guest holds (sent, not ACKed). */
uint32_t emu_nic_rx_bufs_out(const struct emu_nic *nic);

/* MAC the guest sees (for generators building frames to it). */
const uint8_t *emu_nic_mac(const struct emu_nic *nic);

/* ------------------------------------------------------------------ */
/* Control: runtime events and fault injection                        */
/* ------------------------------------------------------------------ */

int emu_nic_set_link(struct emu_nic *nic, bool up);
int emu_nic_set_link_speed(struct emu_nic *nic, uint32_t speed_100bps);
/*
 * Rescind the device (guest fds fail with EIO, the session ends) and,
 * later, offer it again: a new device instance with fresh rings and
 * buffers and no NVSP/RNDIS state (see emu_dev_reoffer). Both -EPROTO
 * when the device is already in that state.
 */
int emu_nic_rescind(struct emu_nic *nic);
int emu_nic_reoffer(struct emu_nic *nic);
void emu_nic_set_ctrl_delay(struct emu_nic *nic, unsigned int ms);
/* Hold send completions this long from now on (also those held now);
 * UINT64_MAX holds them until the delay is lowered again. */
void emu_nic_set_tx_comp_delay(struct emu_nic *nic, uint64_t us);

enum emu_fault {
	EMU_FAULT_DROP_COMPLETION,  /* swallow the next N TX completions */
	EMU_FAULT_DUP_COMPLETION,   /* send the next N TX completions twice */
	EMU_FAULT_BAD_XFER_RANGE,   /* next N RX packets: range outside the buffer */
	EMU_FAULT_BAD_RNDIS_LEN,    /* next N RX packets: msg_len beyond the range */
	EMU_FAULT_BAD_PPI,          /* next N RX packets: PPI with size 0 */
	EMU_FAULT_BAD_DESC,         /* next N packets: descriptor offset8 > len8 */
	EMU_FAULT_UNKNOWN_COMPLETION, /* next N: completion with an unknown id */
	EMU_FAULT_COUNT
};
/* Arm fault f for the next count occurrences (0 disarms). */
int emu_nic_inject_fault(struct emu_nic *nic, enum emu_fault f, unsigned int count);
/* Name for control commands and logs ("drop-completion", ...); NULL if bad. */
const char *emu_fault_name(enum emu_fault f);
int emu_fault_from_name(const char *name, enum emu_fault *out);

/*
 * Generic faults on host->guest messages (emu_mutate.c). Kinds:
 *   nvsp        NVSP completions and notifications (payload offsets)
 *   tx-comp     completions of the guest's sends (RNDIS_PKT_COMPLETE)
 *   rndis-comp  RNDIS control completions (offsets in the RNDIS message)
 *   indication  RNDIS status indications (idem)
 *   xfer        transfer-page packet headers of received data (offsets
 *               from the descriptor; ranges start at byte 24)
 *   rndis-data  RNDIS PACKET_MSG + per-packet info of the first frame
 *   ring        ring indices of the queue the next packet goes to
 * FIELD is a name (see vmbus-emu-ctl --help) or a byte offset
 * "OFF[/WIDTH]" (width 1, 2, 4 or 8; default 4). The value is written
 * little-endian into the next count messages of the kind. -EINVAL for
 * an unknown kind or field, -ERANGE for a value wider than the field,
 * -ENOSPC when EMU_MUT_SLOTS mutations are armed already.
 */
int emu_nic_mutate(struct emu_nic *nic, const char *kind, const char *field,
		   uint64_t value, unsigned int count);
/*
 * Control replies: the next count replies of kind ("nvsp", "rndis",
 * "indication" or "any") are delayed by ms, each on its own clock
 * (EMU_REPLY_NEVER: held for ever), or dropped.
 */
#define EMU_REPLY_NEVER UINT32_MAX
int emu_nic_reply_delay(struct emu_nic *nic, const char *kind, uint32_t ms,
			unsigned int count);
int emu_nic_reply_drop(struct emu_nic *nic, const char *kind,
		       unsigned int count);

/* Accelerated networking: announce a VF with this serial, or revoke it. */
int emu_nic_vf_offer(struct emu_nic *nic, uint32_t serial);
int emu_nic_vf_revoke(struct emu_nic *nic);
/* True while the guest has switched its data path to the VF. */
bool emu_nic_datapath_is_vf(const struct emu_nic *nic);

/*
 * A VF device behind the association (emu_vf.c): a veth pair whose guest
 * end carries the NIC's MAC and, in its alias ("vf-serial:N"), the serial
 * (the stand-in for the vPCI slot a real VF's serial comes from). Without
 * one, the association is a message only and the guest's switch to the VF
 * is completed without switching, as Azure's host does with no VF.
 */
struct emu_vf_config {
	char guest_ifname[16];	/* the guest's netdev (IFNAMSIZ) */
	char host_ifname[16];	/* the host's end, where steered frames go in */
	/* The netdev appears this long after the association (Azure: ~1 s). */
	unsigned int appear_ms;
	/* Create the netdev at offer time, before the association. */
	bool before;
	/* Serial the alias shows when it must differ from the association's. */
	bool alias_serial_set;
	uint32_t alias_serial;
	/* Graceful revoke: unicast goes back to synthetic this long before
	 * the netdev is removed (frames in the kernel's queues reach it). */
	unsigned int grace_ms;
	/* Abrupt revoke: the netdev goes at once and the host keeps steering
	 * into the void this long before it switches back (frames lost). */
	unsigned int abrupt_lag_ms;
};
void emu_vf_config_defaults(struct emu_vf_config *c);
/* Back the NIC's VF with a device (while no VF is offered): 0, -EBUSY,
 * -EINVAL, or -ENOTSUP when built without libnl-route-3. */
int emu_nic_vf_attach(struct emu_nic *nic, const struct emu_vf_config *c);
/* Change one setting by name (appear-ms, before, alias-serial, grace-ms,
 * lag-ms); -ENOENT without a device, -EINVAL for a bad name or value. */
int emu_nic_vf_set(struct emu_nic *nic, const char *key, const char *value);
/* Surprise removal (fault): see emu_vf_config.abrupt_lag_ms. */
int emu_nic_vf_revoke_abrupt(struct emu_nic *nic);

struct emu_vf_stats {
	bool attached, present;	/* a device is configured; its netdev exists */
	bool steering;		/* unicast to the MAC goes to the VF now */
	bool revoking;
	uint64_t rx, rx_bytes;	/* frames steered into the VF */
	uint64_t tx, tx_bytes;	/* frames the guest sent on the VF */
	uint64_t tx_dropped;	/* of those, dropped by the host end's kernel */
	uint64_t rx_lost;	/* steered to a VF that is gone */
	uint64_t rx_busy;	/* VF send queue full: the backend retries */
	uint64_t switches, switches_refused; /* guest switches to the VF */
	uint64_t appeared, removed; /* netdev life cycle */
};
void emu_nic_vf_stats(const struct emu_nic *nic, struct emu_vf_stats *out);

void emu_nic_set_trace(struct emu_nic *nic, bool on);

/*
 * Where the service's log lines go (one line per call, no newline):
 * protocol errors ("nic0 relid 15: protocol error: ..."), traces and
 * notices. Default (fn NULL): stderr. Set after emu_net_attach.
 */
typedef void (*emu_net_log_fn)(void *arg, const char *line);
void emu_net_set_log(struct emu_host *h, emu_net_log_fn fn, void *arg);

/* ------------------------------------------------------------------ */
/* Counters                                                           */
/* ------------------------------------------------------------------ */

struct emu_chan_stats {
	uint64_t rx_packets, rx_bytes;   /* host -> guest data */
	uint64_t tx_packets, tx_bytes;   /* guest -> host data (frames after LSO) */
	uint64_t rx_drop_ring_full;      /* guest ring had no room */
	uint64_t rx_drop_no_buffer;      /* no free receive sub-allocation */
	uint64_t tx_errors;              /* guest data packets completed with failure */
	uint64_t completions_sent;
	/* Receive buffers (frames, control messages) the guest's RNDIS_ACKs
	 * gave back: one ACK of a multi-range packet counts its frames. */
	uint64_t acks_received;
	uint64_t irqs_raised, doorbells; /* host->guest and guest->host signals */
	/* Rings the guest left non-empty without the signal it owed (for
	 * EMU_NET_DOORBELL_GRACE_MS): each such stall counts once. */
	uint64_t missed_doorbells;
	/* RNDIS_ACKs naming no outstanding packet of this channel (unknown,
	 * duplicated, or sent on another channel): the channel stops. */
	uint64_t rx_ack_errors;
	/* Data packets failed because their aggregated PACKET_MSGs do not
	 * follow each other at exactly msg_len, or leave bytes over. */
	uint64_t tx_msg_len_errors;
	/* Data packets that carried more than one PACKET_MSG (aggregated). */
	uint64_t tx_aggregated;
	/* Times the host stopped reading this ring because tx_max_pending
	 * sends were outstanding; sends outstanding now. */
	uint64_t tx_pending_full;
	uint64_t tx_pending;
	/* Offloads done on the guest's behalf: LSO sends and the segments
	 * cut from them, checksum requests, VLAN tags inserted; offload
	 * requests refused (not in force, LSO too big, bad MSS). */
	uint64_t tx_lso, tx_lso_segments, tx_csum, tx_vlan;
	uint64_t tx_offload_refused;
};

struct emu_nic_stats {
	uint64_t rx_drop_filter;   /* packet filter / link down */
	uint64_t rx_drop_not_ready; /* no open session with RNDIS up and buffers */
	uint64_t rx_drop_too_big;
	uint64_t protocol_errors;  /* guest messages the host rejected */
	uint64_t ctrl_messages;    /* NVSP + RNDIS control messages handled */
	/* The host stopped the primary channel, as Azure's does (reason in
	 * the log: "channel stopped: ..."). */
	uint64_t channel_stops;
	uint64_t mutated;          /* messages a mutate fault changed */
	uint64_t replies_delayed, replies_dropped;
	/* GPAs the guest named that are not in its guest-physical page
	 * table (e.g. a virtual address): the host cannot reach them. */
	uint64_t gpa_invalid;
};

/* Number of open channels (primary + subchannels). */
unsigned int emu_nic_nchan(const struct emu_nic *nic);
void emu_nic_chan_stats(const struct emu_nic *nic, unsigned int queue,
			struct emu_chan_stats *out);
void emu_nic_stats(const struct emu_nic *nic, struct emu_nic_stats *out);
/* Human-readable counters of the NIC and each channel. */
void emu_nic_print_stats(const struct emu_nic *nic, FILE *out);

#endif /* EMU_NET_H */
