/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_netvsc private state: one hn_data per port, one hn_chan per VMBus
 * channel, Rx and Tx queues mapped onto channels.
 *
 * Locking: only one thread may read a channel's inbound ring (bus rule),
 * and Tx completions, receive data and control replies all arrive there.
 * So every reader takes hn_chan.lock: the data path with a trylock (a busy
 * channel just yields nothing this burst), the control path with a lock.
 * Everything that reading a channel changes (Tx descriptors, the parked
 * transfer-page packet, pending ACKs) is only touched under that lock.
 */
#ifndef HN_VAR_H
#define HN_VAR_H

#include <stdbool.h>
#include <stdint.h>

#include <ethdev_driver.h>
#include <rte_log.h>
#include <rte_spinlock.h>

#include "rte_bus_vmbus.h"
#include "hv_bringup.h"
#include "hv_section.h"
#include "ndis_obj.h"
#include "ndis_wire.h"
#include "nvsp_msg.h"
#include "rndis_msg.h"
#include "rndis_ppi.h"
#include "rndis_tmpl.h"
#include "vmbus_pkt.h"

extern int hn_logtype;

#define HN_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, hn_logtype, "hn_netvsc: " fmt "\n", \
		##__VA_ARGS__)

#define HN_MAX_CHANNELS 64u
#define HN_RSS_TABLE 128u
/* Ranges per transfer-page packet: 562 with RSC is the host maximum. */
#define HN_XFER_RANGES_MAX 562u
/* Page-buffer entries a host takes in one packet (MAX_PAGE_BUFFER_COUNT). */
#define HN_GPA_MAX 32u
/* Tx descriptors of a port when the application leaves the ring size to
 * us, shared by its queues: late completions hold descriptors, page-buffer
 * ones hold the application's mbufs too, so more queues must not mean
 * more mbufs kept. */
#define HN_TXD_PORT_DEFAULT 4096u
/* Room for an RNDIS data header with every PPI we may send. */
#define HN_TXHDR_SLOT 128u
/* ACKs kept for retry when the outbound ring is full. */
#define HN_ACK_BACKLOG 64u

/* Transaction ids: a Tx send's comes from its queue's hv_xact table
 * (tagged HN_TX_TAG, bit 63 clear); control exchanges carry this bit, so
 * a host echo cannot be confused. */
#define HN_XID_CTL (UINT64_C(1) << 63)
/*
 * Tag of a Tx queue's transaction ids: the queue in the low 6 bits and
 * the queue's setup epoch above, so that a completion from before a
 * queue was set up again never matches a send of the new one (whose
 * table starts its generations afresh). Fits HV_XACT_TAG_MAX.
 */
#define HN_TX_TAG_EPOCHS 511u
#define HN_TX_TAG(q, epoch) (1u + (uint32_t)(q) + \
			     HN_MAX_CHANNELS * ((epoch) % HN_TX_TAG_EPOCHS))
#define HN_TX_TAG_QUEUE(tag) (((tag) - 1u) % HN_MAX_CHANNELS)

/* Kinds of rejected host input, one counter each (xstats). */
enum hn_bad {
	HN_BAD_PKT,         /* VMBus framing or type */
	HN_BAD_NVSP,        /* NVSP message in a packet */
	HN_BAD_RANGE,       /* transfer range outside the receive buffer */
	HN_BAD_RNDIS,       /* RNDIS data message or PPI */
	HN_BAD_FRAME_LEN,   /* frame too short or too long */
	HN_BAD_PAGESET,     /* transfer-page set id not ours */
	HN_BAD_XID,         /* completion for an unknown transaction */
	HN_BAD_DUP_XID,     /* completion for a transaction already done */
	HN_BAD_CTL,         /* control reply unexpected or malformed */
	HN_BAD_LATE_XID,    /* control reply after its request timed out */
	HN_BAD_KINDS
};

/* Frames by size (bytes without FCS: up to 64, 65-127, 128-255,
 * 256-511, 512-1023, 1024-1518, 1519 and more), then multicast and
 * broadcast (hn_stats.c names them). */
#define HN_SIZE_BINS 7u
struct hn_size_stats {
	uint64_t bin[HN_SIZE_BINS];
	uint64_t multicast, broadcast;
};

/* A frame's size class and cast, taken while the mbuf is ours. */
static inline uint32_t
hn_size_class(const struct rte_mbuf *m)
{
	const struct rte_ether_addr *da =
		rte_pktmbuf_mtod(m, const struct rte_ether_addr *);
	uint32_t len = m->pkt_len, c;

	/* <= 64, < 128, < 256, < 512, < 1024, <= 1518, larger: from the
	 * bit length of len (len 65..1023: 7..10 bits -> 1..4). */
	if (len <= 64)
		c = 0;
	else if (len < 1024)
		c = (uint32_t)(32 - __builtin_clz(len)) - 6u;
	else
		c = len <= 1518 ? 5 : 6;
	if (m->data_len >= RTE_ETHER_ADDR_LEN && rte_is_multicast_ether_addr(da))
		c |= rte_is_broadcast_ether_addr(da) ? 0x20 : 0x10;
	return c;
}

static inline void
hn_size_add(struct hn_size_stats *s, uint32_t c)
{
	s->bin[c & 0xf]++;
	/* Most frames are unicast: no read-modify-write of these. */
	if (unlikely(c & 0x30)) {
		s->multicast += (c >> 4) & 1;
		s->broadcast += c >> 5;
	}
}

struct hn_rx_stats {
	uint64_t packets, bytes, errors, nombuf;
	uint64_t acks, csum_bad;
	uint64_t discarded; /* data read past by a stopped port's control wait */
	/* Zero-copy (hn_rx_ext.c): frames as external mbufs, long frames
	 * copied because the channel held its share or because their bytes
	 * are not IOVA-contiguous, packets whose ACK waited for the
	 * application. */
	uint64_t extbuf, extbuf_fallback, extbuf_noncontig, acks_deferred;
	struct hn_size_stats sz;
};

struct hn_tx_stats {
	uint64_t packets, bytes, errors;
	uint64_t chimney, pagebuf, copy_fallback, agg_msgs;
	uint64_t ring_full, no_desc, host_nak, lost, too_big;
	struct hn_size_stats sz;
	uint64_t bad_offload, linearized; /* hn_offload.c */
	uint64_t late_done;    /* lost frames completed after all */
};

struct hn_txd {
	struct rte_mbuf *m;   /* page-buffer send; NULL for a copy */
	uint32_t section;     /* send-buffer section or UINT32_MAX */
	uint32_t pkts;        /* frames in this send */
	uint64_t bytes;
	uint64_t xid;         /* its pending transaction; 0: not sent */
	bool in_use;
	/* Not completed by a stop: the host may still read its section,
	 * header slot and mbuf, so none is reused until its completion
	 * comes or the session that held it ends. */
	bool abandoned;
	uint64_t abandoned_at; /* timer cycles */
};

struct hn_tx_queue;
struct hn_rx_queue;
struct hn_zx;

/* A control message from the host, queued for the session. */
#define HN_CTLQ_LEN 8u
#define HN_CTL_MSG_MAX 2048u
struct hn_ctl_in {
	uint32_t type;      /* enum hv_bu_in_type */
	bool completion;
	uint64_t trans_id;
	uint32_t len;
	uint8_t buf[HN_CTL_MSG_MAX];
};

/* A transfer-page packet being delivered, its ranges copied out. */
struct hn_xfer {
	uint64_t xid;
	uint32_t count, next;
	struct vmbus_xfer_page_range *r; /* count, in hn_chan.park_r */
};

/*
 * Receive packets an Rx burst reads ahead of delivery. Any other reader
 * (a Tx queue reaping completions, a control wait, an Rx burst that ran
 * out of mbufs) parks every receive packet it meets, up to what the host
 * can have outstanding, so that completions never wait behind data.
 */
#define HN_RX_AHEAD 8u
/* Park size before the host has said how many sub-allocations its
 * receive buffer has, and the most any host may make us keep. */
#define HN_PARK_MIN 8u
#define HN_PARK_RANGES_MAX 65536u

struct hn_chan {
	rte_spinlock_t lock;
	struct rte_vmbus_chan *chan;
	struct hn_data *hv;
	uint16_t idx;
	uint8_t *buf;          /* one packet copied out of the ring */
	uint32_t buf_size;
	struct hn_xfer *park;  /* park_cap packets, oldest at park_head */
	uint32_t park_head, park_n, park_cap;
	/* Their ranges, each packet's contiguous, in arrival order. */
	struct vmbus_xfer_page_range *park_r;
	uint32_t park_rcap;
	uint64_t acks[HN_ACK_BACKLOG]; /* ACKs the ring had no room for */
	uint32_t nacks;
	bool need_sig;
	/* Tx queue whose completed mbufs wait in its done[] for the bulk
	 * free at the end of this poll (hn_tx_comp_flush). */
	struct hn_tx_queue *done_txq;
	uint64_t rx_bursts;    /* Rx bursts on this channel (progress mark) */
	uint8_t ack_msg[NVSP_REQ_SIZE];
	uint64_t bad[HN_BAD_KINDS];
	uint64_t bad_base[HN_BAD_KINDS]; /* bad at the last reset */
	uint64_t bad_logged[HN_BAD_KINDS]; /* timer cycles of the last log */
};

struct hn_rx_queue {
	struct hn_data *hv;
	struct hn_chan *hc;
	struct rte_mempool *mp;
	uint16_t port_id, queue_id;
	/* Hot-path copies, set at queue setup. */
	uint64_t mbuf_init;    /* rearm_data of a fresh one-segment mbuf */
	uint64_t ol_base;      /* ol_flags every mbuf of the pool keeps */
	uint32_t seg_room;     /* frame bytes one mbuf takes */
	bool zc;               /* zero-copy receive (hn_rx_ext.c) */
	uint32_t copybreak;    /* longer frames go zero-copy */
	struct hn_rx_stats st;
	struct hn_rx_stats st_base; /* st at the last reset (hn_stats.c) */
};

struct hn_tx_queue {
	struct hn_data *hv;
	struct hn_chan *hc;
	uint16_t port_id, queue_id;
	uint32_t ntxd;
	struct hn_txd *txd;
	uint32_t *free_txd, nfree_txd;
	/* Sends the host has not completed: a completion is matched by id
	 * and generation, so a late one for a reclaimed descriptor (stop)
	 * never completes the descriptor's next send. One slot each. */
	struct hv_xact_table xact;
	struct hv_xact_slot *xslots;
	/* This queue's slice of the send buffer: the core's section map,
	 * used by one thread at a time (under the channel lock). */
	struct hv_section_map secmap;
	uint64_t *sec_words;
	uint32_t sec_nwords;    /* sec_words' size (sections of its session) */
	uint32_t sec_cursor, nsec;
	/* The map is kept across stop/start while the slice and session
	 * are the same (abandoned sends keep their sections taken). */
	uint32_t sec_base, sec_session;
	bool sec_ready;
	uint32_t nabandoned;
	const struct rte_memzone *hdr_mz;    /* HN_TXHDR_SLOT per descriptor */
	/* Prebuilt RNDIS headers: [0] no PPI, [1] VLAN. */
	struct rndis_pkt_tmpl tmpl[2];
	/* The NVSP message of every page-buffer send (no section). */
	uint8_t nv_pagebuf[NVSP_REQ_SIZE];
	/* Copied mbufs, freed in bulk at the end of the burst. */
	struct rte_mbuf *done[64];
	uint32_t ndone;
	/* Open aggregate: a section being filled, sent at burst end. */
	int32_t agg_txd;       /* -1: none */
	uint32_t agg_off;      /* bytes used in the section */
	uint32_t agg_last;     /* offset of the last message */
	uint32_t agg_max;      /* bytes an aggregate may use */
	uint32_t fast_max;     /* longest frame of the copy fast path */
	struct hn_tx_stats st;
	struct hn_tx_stats st_base; /* st at the last reset (hn_stats.c) */
};

/*
 * Per port, in shared memory: secondary processes use it too, so what the
 * data path follows from here is shared at the same address in every
 * process (the ethdev's data, the channels, the host's buffers); the
 * process-local ethdev is hn_eth().
 */
struct hn_data {
	struct rte_vmbus_device *vmbus; /* the primary's: control path only */
	struct rte_eth_dev_data *data;  /* shared ethdev data */
	uint16_t port_id;

	/* Devargs. */
	uint32_t host_timeout_ms;
	uint32_t latency_us;
	uint32_t rx_copybreak, tx_copybreak;
	bool rx_extmbuf;

	uint32_t tx_epoch;     /* Tx queue setups so far (HN_TX_TAG) */
	uint32_t session_gen;  /* sessions attached so far */

	/* Session with the host. */
	uint32_t nvsp_version;
	uint32_t ndis_version;
	uint8_t *recv_buf;
	uint32_t recv_size;
	uint8_t *send_buf;
	uint32_t send_size, sec_size, sec_count;
	uint32_t recv_sec_count; /* receive sub-allocations (the park's size) */
	bool rxbuf_connected, txbuf_connected, rndis_up;
	uint32_t max_pkts_per_msg, max_xfer, pkt_align;
	uint32_t mtu, max_frame;
	uint32_t link_speed;   /* 100 bps */
	bool link_up;
	struct ndis_offload hw_caps;
	bool have_hw_caps;
	/* Offloads in force (hn_offload.c): LSO 0 = off. */
	uint64_t tx_ofl;
	uint32_t lso4_max, lso4_minsg, lso6_max, lso6_minsg;
	struct rte_mempool *big_mp; /* linear copies of many-page frames */
	struct ndis_rss_caps_info rss_caps;
	bool have_rss_caps;
	uint32_t max_queues;   /* from RSS caps and the bus */
	uint32_t filter;       /* current RNDIS packet filter */
	bool promisc, allmulti;
	volatile bool dead;    /* host gone: no more host I/O */
	bool lsc_pending;

	/* Control session (hv_bringup), driven under ctl_lock. */
	rte_spinlock_t ctl_lock;
	struct hv_bringup bu;
	bool bu_busy;          /* an op runs: control input is queued */
	bool session_started;
	bool subch_requested;
	const struct rte_memzone *ctl_mz; /* one page for RNDIS requests */
	/* Earlier pages the host may still read (a request never completed):
	 * freed once the channels are closed. */
	const struct rte_memzone *ctl_mz_lent[4];
	uint32_t nctl_mz_lent, ctl_mz_seq;
	/* Control input read by whoever polls channel 0 (under its lock). */
	struct hn_ctl_in ctlq[HN_CTLQ_LEN];
	uint32_t ctlq_head, ctlq_n;
	struct hn_ctl_in ctl_cur; /* the one being stepped */

	/* Channels: index = subchannel id. */
	uint32_t nchan;
	uint32_t subch_granted;
	struct hn_chan chans[HN_MAX_CHANNELS];
	/* Zero-copy receive state by channel, and the receive buffer's
	 * IOVA by 4 KiB page; hn_rx_ext.c. */
	struct hn_zx *zx[HN_MAX_CHANNELS];
	rte_iova_t *rb_iova;

	/* RSS (hn_rss.c): the table holds queue ids. */
	uint8_t rss_key[NDIS_RSS_KEY_SIZE];
	uint16_t rss_reta[HN_RSS_TABLE];
	bool rss_reta_user;    /* the application's table, not the spread */
	bool rss_on;           /* the host has our parameters */
	uint64_t rss_hf;       /* RTE_ETH_RSS_* */
	uint64_t rx_unknown_note;
	struct rte_ether_addr mac;

	struct hn_vf *vf;      /* accelerated networking (hn_vf.h), or NULL */
	/* The host's last VF association: it may come during attach, before
	 * hn_vf_init (the host sends it right after RNDIS INIT). */
	bool vf_assoc;
	uint32_t vf_assoc_serial;
};

/* hn_session.c: bring-up, control exchanges, channel events. */
int hn_session_attach(struct hn_data *hv);
void hn_session_detach(struct hn_data *hv);
int hn_rndis_set(struct hn_data *hv, uint32_t oid, const void *in,
		 uint32_t len);
int hn_set_filter(struct hn_data *hv, uint32_t filter);
int hn_subchan_open(struct hn_data *hv, uint32_t want);
void hn_ctl_rndis_msg(struct hn_chan *hc, const uint8_t *msg, uint32_t len);
void hn_ctl_comp(struct hn_chan *hc, const struct vmbus_pkt_info *pi);
void hn_ctl_inband(struct hn_chan *hc, const struct vmbus_pkt_info *pi);
void hn_host_dead(struct hn_data *hv, int err);
void hn_bad(struct hn_chan *hc, enum hn_bad kind, const char *field,
	    uint64_t value);

/* hn_queues.c: the channel set behind the queues. */
int hn_queues_configure(struct hn_data *hv, uint32_t nq);

/* hn_rss.c: receive-side scaling parameters. */
void hn_rss_init(struct hn_data *hv);
int hn_rss_set(struct hn_data *hv, uint16_t nrxq);
uint16_t hn_rss_entries(const struct hn_data *hv);
uint64_t hn_rss_hf_capa(const struct hn_data *hv);
int hn_rss_configure(struct rte_eth_dev *dev);
int hn_rss_hash_update(struct rte_eth_dev *dev, struct rte_eth_rss_conf *conf);
int hn_rss_hash_conf_get(struct rte_eth_dev *dev, struct rte_eth_rss_conf *conf);
int hn_rss_reta_update(struct rte_eth_dev *dev,
		       struct rte_eth_rss_reta_entry64 *reta, uint16_t size);
int hn_rss_reta_query(struct rte_eth_dev *dev,
		      struct rte_eth_rss_reta_entry64 *reta, uint16_t size);

/* hn_qinfo.c: queue introspection. */
uint32_t hn_rx_queue_count(void *rxq);
int hn_rx_descriptor_status(void *rxq, uint16_t offset);
int hn_tx_descriptor_status(void *txq, uint16_t offset);
int hn_tx_done_cleanup(void *txq, uint32_t free_cnt);
void hn_rxq_info_get(struct rte_eth_dev *dev, uint16_t qid,
		     struct rte_eth_rxq_info *qinfo);
void hn_txq_info_get(struct rte_eth_dev *dev, uint16_t qid,
		     struct rte_eth_txq_info *qinfo);

/* hn_chan.c: reading a channel (shared by Rx, Tx and the control wait). */
enum hn_poll_mode { HN_POLL_RX, HN_POLL_TX, HN_POLL_CTL };
int hn_chan_init(struct hn_data *hv, uint16_t idx, struct rte_vmbus_chan *c);
void hn_chan_fini(struct hn_chan *hc);
int hn_chan_poll(struct hn_chan *hc, enum hn_poll_mode mode,
		 unsigned int budget);
void hn_chan_flush_acks(struct hn_chan *hc);
void hn_chan_ack_xfer(struct hn_chan *hc);
void hn_chan_ack(struct hn_chan *hc, uint64_t xid);
void hn_chan_unpark(struct hn_chan *hc);
int hn_chan_park_size(struct hn_chan *hc, uint32_t sub_allocs);

/* hn_rx.c */
int hn_rx_queue_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc,
		      unsigned int socket, const struct rte_eth_rxconf *conf,
		      struct rte_mempool *mp);
void hn_rx_queue_release(struct rte_eth_dev *dev, uint16_t qid);
uint16_t hn_recv_pkts(void *rxq, struct rte_mbuf **pkts, uint16_t n);

/* hn_tx.c */
int hn_tx_queue_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc,
		      unsigned int socket, const struct rte_eth_txconf *conf);
void hn_tx_queue_release(struct rte_eth_dev *dev, uint16_t qid);
uint16_t hn_xmit_pkts(void *txq, struct rte_mbuf **pkts, uint16_t n);
void hn_tx_comp(struct hn_chan *hc, const struct vmbus_pkt_info *pi);
void hn_tx_comp_flush(struct hn_chan *hc);
int hn_tx_slice_sections(struct hn_data *hv);
void hn_tx_reclaim(struct hn_tx_queue *txq);

/* hn_offload.c: offloads and frames too scattered for one packet. */
#define HN_TX_OFL_FLAGS (RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK | \
			 RTE_MBUF_F_TX_TCP_SEG)
void hn_offload_capa(const struct hn_data *hv, uint64_t *tx, uint64_t *rx);
int hn_offload_configure(struct hn_data *hv);
int hn_offload_tx_meta(const struct hn_data *hv, const struct rte_mbuf *m,
		       struct rndis_pkt_meta *meta);
int hn_offload_linearize(const struct hn_data *hv, const struct rte_mbuf *m,
			 struct rte_mbuf **out);
void hn_offload_fini(struct hn_data *hv);

/* hn_mtu.c */
int hn_mtu_set(struct rte_eth_dev *dev, uint16_t mtu);
int hn_mtu_configure(struct rte_eth_dev *dev);
int hn_dev_reset(struct rte_eth_dev *dev);
uint16_t hn_mtu_max(const struct hn_data *hv);

/* hn_stats.c */
int hn_stats_get(struct rte_eth_dev *dev, struct rte_eth_stats *st);
int hn_stats_reset(struct rte_eth_dev *dev);
int hn_xstats_get_names(struct rte_eth_dev *dev,
			struct rte_eth_xstat_name *names, unsigned int n);
int hn_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xs,
		  unsigned int n);

/* hn_intr.c: Rx interrupts */
int hn_intr_setup(struct rte_eth_dev *dev);
void hn_intr_release(struct rte_eth_dev *dev);
int hn_rx_intr_enable(struct rte_eth_dev *dev, uint16_t qid);
int hn_rx_intr_disable(struct rte_eth_dev *dev, uint16_t qid);

/* hn_ethdev.c: bursts and queue queries (per process) */
void hn_set_fast_ops(struct rte_eth_dev *eth);

/* hn_mp.c: secondary processes */
int hn_probe_secondary(struct rte_vmbus_device *vdev,
		       const struct eth_dev_ops *primary_ops);
int hn_remove_secondary(struct rte_eth_dev *eth);

/* This process's ethdev of the port. */
static inline struct rte_eth_dev *
hn_eth(const struct hn_data *hv)
{
	return &rte_eth_devices[hv->port_id];
}

/* Slot of the i-th parked packet (i < park_cap; no division). */
static inline uint32_t
hn_park_slot(const struct hn_chan *hc, uint32_t i)
{
	uint32_t j = hc->park_head + i;

	return j >= hc->park_cap ? j - hc->park_cap : j;
}

/* The oldest parked receive packet, or NULL. */
static inline struct hn_xfer *
hn_chan_parked(struct hn_chan *hc)
{
	return hc->park_n != 0 ? &hc->park[hc->park_head] : NULL;
}

static inline struct hn_chan *
hn_queue_chan(struct hn_data *hv, uint16_t qid)
{
	return &hv->chans[qid % hv->nchan];
}

#endif /* HN_VAR_H */
