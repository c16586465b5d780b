/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Accelerated networking: the VF the host associates with the synthetic
 * NIC, found through rtnetlink (libnl-3), probed as a DPDK port owned by
 * ours, and steered to transparently (docs/pmd.md, "Accelerated
 * networking").
 *
 * Threads: the data path runs the burst wrappers of hn_vf_rxtx.c, which
 * read one per-queue word (the VF port, or HN_VF_NONE) per burst; a
 * control thread per port watches rtnetlink and the host's messages and
 * does every hot-add and hot-remove; application control calls (start,
 * stop, close, promiscuous, stats) take vf->lock, the control thread too.
 * Retiring a VF port from a queue is a Dekker handshake: the control
 * thread clears the word, fences, and waits for the queue's busy flag to
 * drop; the data path sets busy, fences, and reads the word again before
 * it touches the VF (only while a VF is attached). No lock and no atomic
 * read-modify-write on the data path.
 */
#ifndef HN_VF_H
#define HN_VF_H

#include <net/if.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <rte_ethdev.h>

#include "hn_var.h"
#include "hn_vf_pci.h"

#define HN_VF_NONE UINT16_MAX
/* Transaction id of our SWITCH_DATA_PATH requests (control range). */
#define HN_XID_VF_SWITCH (HN_XID_CTL | UINT64_C(0x5646))
/* The stand-in's rings (devargs we give it, hn_vf.c ring_geometry):
 * hn_vf_salvage.c maps them. Up to MTU 1500 (what fits 2 KiB frames)
 * 4096 frames of 2 KiB a ring; above, frames sized to the MTU (a multiple
 * of 1 KiB, four to a block: frames must tile blocks) and fewer of them. */
#define HN_VF_RING_FRAMES 4096u
#define HN_VF_RING_FRAME_SIZE 2048u
#define HN_VF_RING_BLOCK_SIZE 4096u
#define HN_VF_RING_FRAMES_JUMBO 512u
/* Rx bursts the VF fills whole between two polls of the synthetic path. */
#define HN_VF_SYN_EVERY 8u
/* Netdevs carrying our MAC we keep track of. */
#define HN_VF_CAND_MAX 8u

struct hn_vf_q {
	volatile uint16_t port;	/* VF port this queue uses, or HN_VF_NONE */
	volatile uint8_t busy;	/* data path inside a VF burst */
	/* Rx: bursts that found the VF queue empty (fewer frames than asked);
	 * the control path waits for one after the switch back (drained). */
	volatile uint32_t drained;
	uint32_t skipped;	/* Rx: synthetic polls skipped (hn_vf_rxtx.c) */
	/* Tx: frames taken back from a VF whose netdev vanished
	 * (hn_vf_salvage.c), sent on the synthetic path before the next
	 * burst. The control path fills resend and publishes resend_n (only
	 * when 0); the data path sends from resend_i and stores 0 when done. */
	struct rte_mbuf **resend;
	volatile uint32_t resend_n;
	uint32_t resend_i;
} __rte_cache_aligned;

/* A netdev with our MAC (a possible VF). */
struct hn_vf_cand {
	int ifindex;
	char name[IF_NAMESIZE];
	bool up;
	bool has_serial;	/* the stand-in's alias "vf-serial:N" */
	uint32_t serial;
	bool pci;		/* has a PCI device behind it: */
	struct hn_vf_pci pci_dev;
	bool refused_logged;
};

struct hn_vf_nl;

/* Where the attached VF port came from: what its removal undoes. */
enum hn_vf_origin {
	HN_VF_STANDIN,	/* a stand-in vdev we probed on the netdev */
	HN_VF_PCI,	/* its PCI function, probed by us */
	HN_VF_ADOPTED,	/* a port that was there (EAL's or the application's) */
};

struct hn_vf {
	struct hn_data *hv;
	pthread_mutex_t lock;	/* control path only */
	pthread_t thread;
	bool thread_on;
	volatile bool stop;

	/* Devargs. */
	bool enabled;
	char pmd[32];		/* stand-in PMD for a netdev without PCI */

	/* Written by the channel-0 reader, read by the control thread. */
	volatile uint32_t host_seq;	/* bumped on each host VF message */
	volatile bool assoc_allocated;
	volatile uint32_t assoc_serial;
	volatile uint32_t switch_done;	/* completions of our SWITCH requests */

	/* Netdevs with our MAC (rtnetlink view). */
	struct hn_vf_nl *nl;
	struct hn_vf_cand cand[HN_VF_CAND_MAX];
	unsigned int ncand;

	/* The attached VF. */
	bool started;		/* our port is started */
	bool attached;
	bool on_vf;		/* the host switched to the VF for us */
	uint16_t port;
	int ifindex;
	char ifname[IF_NAMESIZE];
	char vdev_name[64];
	enum hn_vf_origin origin;
	char dev_name[RTE_ETH_NAME_MAX_LEN];	/* the VF port's name, for the log */
	bool new_cb;		/* claim() registered for new ports */
	uint16_t kept;		/* an adopted port kept at a removal, or HN_VF_NONE */
	int kept_ifindex;	/* its netdev */
	uint32_t ring_frames, ring_frame_size;	/* its rings' geometry */
	uint32_t gen;
	uint32_t detach_seq;	/* hot-removes, never reset (hot_add) */
	/* Ours, made at init: the VF port, and ports carrying our MAC
	 * claimed before the host associates them (claim()). */
	struct rte_eth_dev_owner owner;

	struct hn_vf_q rxq[RTE_MAX_QUEUES_PER_PORT];
	struct hn_vf_q txq[RTE_MAX_QUEUES_PER_PORT];

	/* The stand-in's packet sockets, whose kernel drops we read
	 * (hn_vf_kstats.c), and those drops so far. */
	int kfd[RTE_MAX_QUEUES_PER_PORT];
	unsigned int nkfd;
	uint64_t kdrops;

	/* Totals of VF ports already closed, and life-cycle counters. */
	struct rte_eth_stats past;
	/* The attached VF port's stats at attach or at our last reset: reads
	 * subtract them. Its own reset would race its data path (a burst's
	 * read-modify-write storing the old count back), as ours would. */
	struct rte_eth_stats base;
	uint64_t adds, removes, abrupt_removes, lost, switch_timeouts;
	uint64_t serial_refused;
	/* Frames taken back from a removed VF's transmit rings (its
	 * counts corrected, hn_vf.c), sent on the synthetic path. */
	uint64_t tx_salvaged;
	/* Frames the application was told were sent on the VF that never
	 * left: not taken back (no mbuf), or taken back but not resent
	 * before the port stopped. In oerrors too. */
	uint64_t tx_lost;
	/* Frames in the stand-in's receive rings before the switch to it
	 * (not the host's: hn_vf.c, drop_foreign), dropped. */
	uint64_t rx_foreign;

	/* rte_flow handles (hn_vf_flow.c), and the last refusal's text. */
	TAILQ_HEAD(hn_flow_list, rte_flow) flows;
	char flow_msg[160];
};

/* What hn_vf_salvage() found in the transmit rings. */
struct hn_vf_salvaged {
	uint64_t taken;		/* frames waiting in the rings */
	uint64_t bytes;		/* their bytes */
	uint64_t lost;		/* of them, not resent (no mbuf, list busy) */
};

/* hn_vf.c (called by hn_ethdev.c and hn_session.c). */
int hn_vf_init(struct hn_data *hv, const struct rte_devargs *da);
void hn_vf_fini(struct hn_data *hv);
void hn_vf_start(struct hn_data *hv);
void hn_vf_session_reset(struct hn_data *hv);
void hn_vf_stop(struct hn_data *hv);
void hn_vf_host_assoc(struct hn_data *hv, bool allocated, uint32_t serial);
void hn_vf_host_switch(struct hn_data *hv, uint32_t datapath);
void hn_vf_switch_comp(struct hn_data *hv);
void hn_vf_filter_sync(struct hn_data *hv);
int hn_vf_stats_get(struct rte_eth_dev *dev, struct rte_eth_stats *st);
int hn_vf_stats_reset(struct rte_eth_dev *dev);
int hn_vf_xstats_get_names(struct rte_eth_dev *dev,
			   struct rte_eth_xstat_name *names, unsigned int n);
int hn_vf_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xs,
		     unsigned int n);

/* hn_vf_flow.c: rte_flow, passed to the VF. */
struct rte_flow_ops;
int hn_vf_flow_ops_get(struct rte_eth_dev *dev, const struct rte_flow_ops **ops);
void hn_vf_flow_fini(struct hn_vf *vf);

/* hn_vf_nl.c: the rtnetlink watcher (libnl-3), or a stub without it. */
bool hn_vf_nl_available(void);
int hn_vf_nl_open(struct hn_vf *vf);
void hn_vf_nl_close(struct hn_vf *vf);
/* Read pending link events into vf->cand; waits up to ms for one. */
int hn_vf_nl_poll(struct hn_vf *vf, int ms);
int hn_vf_nl_set_mtu(int ifindex, uint32_t mtu);

/* hn_vf_kstats.c: the kernel's drops in the stand-in's receive rings. */
void hn_vf_kstats_find(struct hn_vf *vf);
void hn_vf_kstats_read(struct hn_vf *vf);
void hn_vf_kstats_forget(struct hn_vf *vf);

/* hn_vf_salvage.c: frames left in a vanished VF's transmit rings. */
void hn_vf_salvage(struct hn_vf *vf, uint16_t ntxq, struct hn_vf_salvaged *sv);
uint64_t hn_vf_salvage_drop(struct hn_vf *vf);
void hn_vf_salvage_send(struct hn_tx_queue *txq, struct hn_vf_q *vq);

/* hn_vf_rxtx.c: the burst wrappers. */
uint16_t hn_vf_recv_pkts(void *rxq, struct rte_mbuf **pkts, uint16_t n);
uint16_t hn_vf_xmit_pkts(void *txq, struct rte_mbuf **pkts, uint16_t n);

#endif /* HN_VF_H */
