/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * State of the host network service shared by its modules (emu_net.c,
 * emu_nvsp.c, emu_rndis.c, emu_txpath.c, emu_rxpath.c, emu_rxfast.c,
 * emu_rxrss.c, emu_faults.c, emu_net_stats.c) and exposed to its
 * white-box tests. Not for the wire backends or the control socket:
 * they use emu_net.h.
 */
#ifndef EMU_NET_PRIV_H
#define EMU_NET_PRIV_H

#include <errno.h>
#include <stdarg.h>

#include "emu_copy.h"
#include "emu_net.h"
#include "emu_rss_memo.h"
#include "emu_toeplitz.h"
#include "hv_compiler.h"
#include "ndis_obj.h"
#include "rndis_msg.h"
#include "nvsp_msg.h"
#include "rndis_ppi.h"
#include "vmbus_pkt.h"
#include "vmbus_ring.h"

/* Biggest Ethernet frame handled (an LSO frame: 64 KiB IP + L2). */
#define EMU_NET_FRAME_MAX (65536u + 32u)
/* Bytes of RNDIS message(s) one guest packet may carry. */
#define EMU_NET_GATHER_MAX (2u * EMU_NET_FRAME_MAX)
/* PACKET_MSGs of one guest packet kept from the validating pass. */
#define EMU_NET_TX_MSGS 32u
/* Guest packets handled per channel per tick before committing. */
#define EMU_NET_BATCH 64u
/* Free room the host->guest ring needs before we read a guest packet:
 * every reply to one packet (completions, a table) fits in it. */
#define EMU_NET_REPLY_ROOM 512u
/* A guest writes its packet, then rings: a ring non-empty this long
 * without the signal is a missed doorbell, not a signal on its way. */
#define EMU_NET_DOORBELL_GRACE_MS 200u
/* Receive sub-allocations only control messages may use. */
/* Receive sub-allocations 0..15: control messages only (as a real host). */
#define EMU_NET_CTRL_RESERVE 16u
/*
 * A receive sub-allocation as a real host cuts it: 256 bytes for the
 * RNDIS header and PPIs, where the frame starts, then the MTU, then 36
 * bytes left unused (docs/design/protocol.md, "Receive buffer").
 */
#define EMU_NET_RX_HEADROOM 256u
#define EMU_NET_RX_FOOTER 36u
/* emu_nic.sub_pool of the control sub-allocations. */
#define EMU_RX_POOL_CTRL EMU_NET_MAX_QUEUES
/* Largest control reply we build and most we queue (as a real host). */
#define EMU_NET_CTRL_MSG_MAX 1024u
#define EMU_NET_CTRL_QUEUE_MAX (100u * 1024u)
/* RSS indirection entries we advertise and accept. */
#define EMU_NET_RSS_ENTRIES 128u
/* RNDIS INIT_CMPLT: aggregation limits we offer. */
#define EMU_NET_RNDIS_MAX_PKTS 8u
#define EMU_NET_RNDIS_MAX_XFER 0xEFFFFFFFu
#define EMU_NET_RNDIS_ALIGN_SHIFT 3u
/* Transaction ids of host-originated requests (openvmm's values). */
#define EMU_NET_XID_VF_ASSOC 0x8000000000000000ull
#define EMU_NET_XID_DATAPATH 0x8000000000000001ull

#define EMU_NET_PRINTF(f, a) __attribute__((format(printf, f, a)))

struct emu_net;

/* A send completion waiting for its time and for ring room. */
struct emu_tx_comp {
	uint64_t trans_id;
	uint64_t t_ns;      /* when posted; 0: due at once */
	uint32_t status;
	bool data;
};

/* One channel = one queue: the rings as host reader/writer. */
struct emu_net_queue {
	struct emu_nic *nic;
	struct emu_chan *ch;
	unsigned int id;       /* subchannel id; 0 = primary */
	struct vmbus_ring in;  /* guest->host: we read */
	struct vmbus_ring out; /* host->guest: we write */
	bool broken;           /* ring corrupt: ignored until reopened */
	bool out_waiting;      /* we asked for room with pending_send_sz */
	/* emu_nic_rx_hold's state for out (allocated at its first use). */
	struct vmbus_ring_hold *hold;
	bool held;
	/* Doorbells (emu_net.c): the reader is unmasked and found the ring
	 * empty, so the guest owes a signal with its next packet. */
	bool armed;
	uint64_t unsignalled_ns; /* armed ring first seen non-empty; 0 = no */
	bool missed;             /* this episode is counted already */
	uint32_t uio_kicks_seen; /* emu_nic.uio_kicks consumed so far */
	/* The guest's signal words of this channel, found once at open
	 * (the pages outlive the queue: a rescind closes it first):
	 * monitor trigger word (NULL: no monitor id) and interrupt-page
	 * word (NULL: none), each with the channel's bit. */
	uint32_t *mon_word, *int_word;
	uint32_t mon_mask, int_mask;
	bool uio_doorbell; /* no monitor id: a uio write signals it */
	/* Send completions held back (emu_txcomp.c): a FIFO of comp_cap. */
	struct emu_tx_comp *comp;
	uint32_t comp_cap, comp_head, comp_n;
	uint32_t comp_run; /* held since the last reversal (tx_comp_reverse) */
	bool comp_full;        /* reading stopped at comp_cap outstanding */
	/* The completion packet comp_flush_runs stamps ids into, built
	 * for one status and NVSP version (ct_ok: built). */
	uint8_t ct[sizeof(struct vmbus_pkt_desc) + NVSP_RESP_SIZE_V61];
	uint32_t ct_len, ct_status, ct_version;
	bool ct_ok;
	/* The first bytes of the last PACKET_MSG the plain transmit walk
	 * accepted (emu_txpath.c, tx_seen_*): equal bytes, equal verdict. */
	struct emu_tx_seen {
		/* Bytes [0, data_abs) but msg_len's, masked. */
		uint64_t w[8] __attribute__((aligned(16)));
		uint64_t mask[8] __attribute__((aligned(16)));
		uint32_t data_abs, data_len; /* data_abs 0: none */
	} tx_seen;
	/* What emu_tx_gpa_fast checks once per poll rather than per packet
	 * (emu_txgpa.c): filled by its first packet, dropped at each poll's
	 * start and after any packet the full path handled (the only ways
	 * the NIC's state, the receive buffers or guest memory change while
	 * a poll reads packets). */
	struct emu_gpa_cache {
		bool ok;
		bool va;                 /* guest memory is GPA = VA */
		const uint8_t *hull_lo;  /* every NIC's receive buffers */
		const uint8_t *hull_hi;
		struct emu_guestmem *gm;
		/* The two hinted guest-memory ranges in pages, first page
		 * number and count (va mode; count 0: none). */
		uint64_t r_pfn[2], r_npg[2];
		uint8_t *r_ptr[2];
		/* The last header emu_tx_one_plain accepted (its private
		 * copy, zero past hlen) and its verdict: the same bytes for
		 * the same packet length get the same one. hlen 0: none. */
		uint64_t hb[8] __attribute__((aligned(16)));
		uint32_t hlen, total, data_abs, data_len;
		/* The last descriptor and NVSP message emu_tx_gpa_fast
		 * accepted (gpa_desc_ok; kept across polls: they depend on
		 * their bytes alone). desc_w 0: none. */
		uint64_t desc_w, nvsp_w;
		uint32_t desc_rc;
	} gpa;
};

/* What an emu_ctrl_msg is sent as. */
enum emu_ctrl_how {
	EMU_CTRL_RNDIS = 0,   /* RNDIS message in a receive sub-allocation */
	EMU_CTRL_NVSP_COMP,   /* NVSP completion of trans_id on the primary */
};

/*
 * A control reply or indication waiting for its time and for room. Each
 * has its own due time (a delayed reply does not hold later ones);
 * UINT64_MAX: never (the "never reply" fault).
 */
struct emu_ctrl_msg {
	struct emu_ctrl_msg *next;
	uint64_t due_ns;
	uint64_t trans_id;
	uint8_t how;          /* enum emu_ctrl_how */
	uint32_t len;
	uint8_t data[];
};

/* Reply classes of the delay/drop faults. */
enum emu_reply_kind {
	EMU_REPLY_NVSP = 0,
	EMU_REPLY_RNDIS,
	EMU_REPLY_IND,
	EMU_REPLY_KINDS
};

/* An armed reply fault: the next count replies of a kind. */
struct emu_reply_rule {
	unsigned int delay_count, drop_count;
	uint32_t delay_ms;   /* EMU_REPLY_NEVER: held for ever */
};

/* Mutation kinds (emu_mutate.c). */
enum emu_mut_kind {
	EMU_MUT_NVSP = 0,
	EMU_MUT_TX_COMP,
	EMU_MUT_RNDIS_COMP,
	EMU_MUT_IND,
	EMU_MUT_XFER,
	EMU_MUT_RNDIS_DATA,
	EMU_MUT_RING,
	EMU_MUT_KINDS
};

#define EMU_MUT_SLOTS 8u
/* Field offsets at or above this are special (descriptor, ring). */
#define EMU_MUT_OFF_TRANS_ID 0x10000u
#define EMU_MUT_OFF_H2G_WRITE 0x10001u
#define EMU_MUT_OFF_G2H_READ 0x10002u
#define EMU_MUT_OFF_STATUS 0x10003u    /* NVSP status, by message type */

struct emu_mut_slot {
	unsigned int count;   /* 0: free */
	uint8_t kind;         /* enum emu_mut_kind */
	uint8_t width;        /* 1, 2, 4 or 8 */
	uint32_t off;
	uint64_t value;
};

/* Link indications (coalesced as Azure's host does). */
enum emu_link_pending {
	EMU_LINK_NONE = 0,
	EMU_LINK_ACTIVE,  /* indicate nic->link_up on the next tick */
	EMU_LINK_DELAY,   /* indicate it at link_due_ns */
};

enum emu_rndis_state {
	EMU_RNDIS_UNINIT = 0,
	EMU_RNDIS_READY,
	EMU_RNDIS_HALTED,
};

/* Sub-allocation state in emu_nic.sub_busy. */
#define EMU_SUB_FREE 0u
#define EMU_SUB_DATA 1u
#define EMU_SUB_CTRL 2u
/* Holds a later range of a multi-range packet: freed with the packet's
 * first sub-allocation (its trans_id), never ACKed on its own. */
#define EMU_SUB_MEMBER 3u
/* sub_next: last sub-allocation of its packet. */
#define EMU_SUB_NONE UINT32_MAX
/*
 * sub_next of a packet's first sub-allocation when the packet is made of
 * blocks (ranges in ascending order within each): EMU_SUB_BLK | k at the
 * first id of each block of k, with EMU_SUB_SEG when another block
 * follows, whose first id is then in sub_link (of this block's first).
 * The blocks' other ids' sub_next are not read (nor kept): staging and
 * release take a block whole, not id by id. A packet extended by other
 * ids is turned into a chain first (emu_rx_blk_chain).
 */
#define EMU_SUB_BLK 0x80000000u
#define EMU_SUB_SEG 0x40000000u
#define EMU_SUB_KMASK 0x3fffffffu

static inline bool
emu_sub_is_blk(uint32_t next)
{
	return (next & EMU_SUB_BLK) != 0 && next != EMU_SUB_NONE;
}

/* The packet at first, if made of blocks, as a chain: each block's ids
 * in order, then the next block's. At most count ids (ours, bounded all
 * the same). */
static inline void
emu_rx_blk_chain(uint32_t *nexts, const uint32_t *links, uint32_t count,
		 uint32_t first)
{
	uint32_t x = first, v, k, j, nx, left = count;

	while (x < count && emu_sub_is_blk(v = nexts[x])) {
		k = v & EMU_SUB_KMASK;
		if (k == 0 || k > count - x || k > left)
			k = 1;
		left -= k;
		nx = (v & EMU_SUB_SEG) && left != 0 ? links[x] : EMU_SUB_NONE;
		for (j = 0; j + 1 < k; j++)
			nexts[x + j] = x + j + 1;
		nexts[x + k - 1] = nx;
		x = nx;
	}
}

/* Room for the largest RNDIS header the RX path writes: the 44-byte
 * PACKET_MSG and all six u32 PPIs (116 bytes), copied as one block. */
#define EMU_RX_HDR_MAX 128u
_Static_assert(EMU_RX_HDR_MAX <= EMU_NET_RX_HEADROOM,
	       "a header template fits in a sub-allocation's headroom");

/*
 * The RNDIS header and PPIs last encoded for a data frame
 * (emu_rxpath.c). Consecutive frames nearly always carry the same
 * metadata; a frame whose metadata equals the key (all but the hash
 * value) gets a copy with msg_len, data_len and the hash value patched
 * instead of a new encoding.
 */
struct emu_rx_hdr_tpl {
	bool valid;
	uint32_t present;   /* key: rndis_pkt_meta fields except hash_value */
	uint32_t csum;
	uint32_t hash_info;
	uint16_t vlan_tci;
	uint32_t hdr_len;   /* where the frame starts (header + PPIs, or more) */
	uint32_t msg_len;   /* fixed msg_len; 0: hdr_len + the frame's */
	uint32_t hash_off;  /* offset of the hash value; 0 without one */
	uint8_t bytes[EMU_RX_HDR_MAX];
};

/* Free sub-allocations of one queue (or of control messages): a stack
 * inside emu_nic.sub_free, over the id range the queue owns. */
struct emu_rx_pool {
	uint32_t *free;
	uint32_t n;
};

/* What the receive pools were split for (emu_rxpool.c). */
struct emu_rx_pool_key {
	bool valid;
	bool rss_on;
	uint32_t rss_entries;
	uint64_t open;     /* open queues, bit i = queue i */
	uint32_t table[EMU_NET_RSS_ENTRIES];
};

/*
 * One queue's transfer-page packet being assembled by the RSS run
 * (emu_rxrss.c): a run's frames are sorted by queue into theirs, so a
 * burst whose frames alternate between queues still travels in few
 * packets. Each is sized to what the queue's ring has room for, so its
 * send cannot find the ring full.
 */
struct emu_rx_qpkt {
	uint32_t n;            /* ranges so far */
	uint32_t first;        /* its first sub-allocation: the trans_id */
	uint32_t last;         /* its last one: the chain's end */
	uint32_t frame[EMU_NET_RX_RANGES_MAX]; /* index per range, from the
					       * run's first frame */
	/* The header, then the ranges, as they go to the ring. */
	struct vmbus_xfer_page_hdr xh;
	struct vmbus_xfer_page_range r[EMU_NET_RX_RANGES_MAX];
};
_Static_assert(offsetof(struct emu_rx_qpkt, r) ==
	       offsetof(struct emu_rx_qpkt, xh) + sizeof(struct vmbus_xfer_page_hdr),
	       "the ranges follow the transfer-page header");

/* Frames of one transfer-page packet being assembled (emu_rxpath.c). */
struct emu_rx_batch {
	unsigned int qi;       /* channel the packet goes to */
	uint32_t n;            /* ranges so far */
	uint32_t first_frame;  /* burst index of the first frame in it */
	uint64_t bytes;        /* frame bytes, for the counters */
	int *rc;               /* the burst's per-frame results */
	bool stopped;          /* a flush failed: the burst ends ... */
	unsigned int stop;     /* ... at this frame */
	/* The burst may take rx_fast (emu_rxpath.c): same layout, no RSS,
	 * no header fault armed, the real host's layout. */
	bool fast;
	/* ... with every frame's checksums summed (no EMU_RX_CSUM_GOOD):
	 * a frame whose bits differ from the template's takes the general
	 * path. */
	bool verify;
	/* ... and the template fits its frames (checked after each frame
	 * of the general path, the only one that changes it). */
	bool tpl_fast;
	/* EMU_RX_SAME_LAYOUT: checksum bits of the burst's first frame. */
	bool csum_known;
	uint32_t csum;
	size_t csum_len;       /* the (stripped) length they were found for */
	struct emu_rx_hdr_tpl tpl;
	/* RSS on: the burst may take the RSS run (rss_fast: the same
	 * conditions as fast, no hash PPIs, no mutation armed), and the
	 * template fits its frames (rss_tpl, checked as tpl_fast). */
	bool rss_fast;
	bool rss_tpl;
	/* The RSS run's packets, per queue (allocated on first use). */
	struct emu_rx_qpkt *qp[EMU_NET_MAX_QUEUES];
	/* The RSS run's queues by frame bytes (emu_rss_memo.h). */
	struct emu_rss_memo memo;
	/* EMU_RX_PERIOD's p for a vouched burst of the same layout; 0:
	 * none. */
	uint32_t period;
	uint32_t sub[EMU_NET_RX_RANGES_MAX];
	/* The transfer-page packet's header, then its ranges: written to
	 * the ring as they lie (vmbus_pkt_build_xfer_hdr). */
	struct vmbus_xfer_page_hdr xh;
	struct vmbus_xfer_page_range r[EMU_NET_RX_RANGES_MAX];
};
_Static_assert(offsetof(struct emu_rx_batch, r) ==
	       offsetof(struct emu_rx_batch, xh) + sizeof(struct vmbus_xfer_page_hdr),
	       "the ranges follow the transfer-page header");
_Static_assert(EMU_NET_RSS_ENTRIES <= EMU_RSS_MEMO_QMAP,
	       "the RSS memo holds any indirection table");

struct emu_nic {
	struct emu_net *net;
	struct emu_dev *dev;
	unsigned int idx;
	bool trace;
	unsigned int ctrl_delay_ms;
	uint64_t tx_comp_delay_ns;
	struct emu_backend *be;
	/* The backend holds frames in the guest's transmit memory
	 * (xmit_held): emu_nic_tx_release before their completions go. */
	bool be_held;

	/* NVSP session (reset whenever the primary channel opens). */
	uint32_t version;        /* 0 until an INIT succeeded */
	bool ndis_config_seen;
	bool ndis_version_seen;
	uint32_t mtu;            /* L2 MTU, Ethernet header included */
	uint64_t caps;           /* NDIS_CONFIG capabilities */
	uint32_t ndis_version;

	/* Receive buffer (map 3) and its sub-allocations. */
	bool rxbuf_on;
	uint16_t rxbuf_id;
	uint8_t *rxbuf;
	uint32_t rxbuf_size;
	uint32_t sub_size, sub_count;
	uint32_t *sub_free;      /* the pools' stacks of free indexes */
	uint32_t sub_nfree;      /* free in all pools */
	uint8_t *sub_busy;       /* EMU_SUB_* per index */
	uint32_t *sub_next;      /* next sub-allocation of the same packet */
	uint32_t *sub_link;      /* a block's first: the next block (EMU_SUB_SEG) */
	uint8_t *sub_pool;       /* owner: queue id or EMU_RX_POOL_CTRL */
	uint8_t *sub_chan;       /* a packet's first: the queue it went out on */
	struct emu_rx_pool pool[EMU_NET_MAX_QUEUES + 1];
	struct emu_rx_pool_key pool_key;
	uint32_t rx_frame_off;   /* frame offset in a sub-allocation; 0: after the PPIs */
	uint32_t rx_max_ranges;  /* ranges per transfer-page packet */
	/* Queue 0's frames before its pool's stack may be sorted again
	 * (rx_fast_stage: a stack in pieces, sorted into blocks). */
	uint64_t rx_heal_next;
	struct emu_rx_batch *rxb;
	/* Tests: every received frame takes the general path (the fast
	 * paths are compared with it). */
	bool rx_general;
	/* Version for which ack_ok was computed (the ACK fast path). */
	uint32_t ack_version;
	bool ack_cached, ack_ok;
	/* The same for SEND_RNDIS_PKT (the transmit fast path). */
	uint32_t send_version;
	bool send_cached, send_ok;

	/* Send buffer (map 4). */
	bool txbuf_on;
	uint16_t txbuf_id;
	uint8_t *txbuf;
	uint32_t txbuf_size;
	uint32_t section_size, section_count;

	/* RNDIS device. */
	enum emu_rndis_state rndis;
	uint32_t filter;
	bool link_up;
	uint32_t link_speed;
	struct ndis_offload_params offload; /* last accepted SET */
	bool rss_on;
	uint32_t rss_hash_info;
	uint8_t rss_key[NDIS_RSS_KEY_SIZE];
	uint32_t rss_table[EMU_NET_RSS_ENTRIES];
	uint32_t rss_entries;
	/* The hash by table for rss_key (synced once per receive burst). */
	struct emu_toeplitz rss_tz;
	/* rss_table with a queue that is not open as 0 (the primary), as
	 * rss_pick resolves it: rebuilt with the receive pools, whose key
	 * holds the table and the open queues (emu_rxpool.c). */
	uint8_t rss_qmap[EMU_NET_RSS_ENTRIES];

	/* Accelerated networking. */
	bool vf_offered;
	uint32_t vf_serial;
	bool vf_announced;
	bool datapath_vf;
	/* Checked once per receive burst: unicast goes to the VF (emu_vf.c). */
	bool vf_steer;
	struct emu_vf *vf;	/* the VF device, NULL = messages only */

	struct emu_net_queue *q[EMU_NET_MAX_QUEUES];
	unsigned int q_end;      /* one past the highest open queue */
	struct emu_chan_stats qst[EMU_NET_MAX_QUEUES];
	struct emu_nic_stats st;
	uint64_t rx_drop_other;  /* malformed frames offered by a backend */
	uint32_t uio_kicks;      /* enabling uio writes: signal no-monitor channels */

	struct emu_ctrl_msg *ctrl_head, *ctrl_tail;
	uint32_t ctrl_bytes;
	unsigned int faults[EMU_FAULT_COUNT];

	/* Strictness: the host stopped the session (until the next open). */
	bool stopped;
	/* Subchannels granted and waiting to be offered (at subch_due_ns),
	 * then the table once all granted ones are open. */
	uint32_t subch_granted;
	bool subch_offer_pending;
	uint64_t subch_due_ns;
	bool txtbl_pending;
	uint64_t jitter_seed;
	/* Link state the guest was last told, and what is pending. */
	bool guest_link_up;
	uint64_t ctrl_last_due;  /* due time of the last RNDIS reply queued */
	uint8_t link_pending;   /* enum emu_link_pending */
	uint64_t link_due_ns;
	/* Generic faults. */
	struct emu_reply_rule reply_rule[EMU_REPLY_KINDS];
	struct emu_mut_slot mut[EMU_MUT_SLOTS];
	unsigned int mut_armed;  /* slots with count != 0 */
	uint8_t mut_buf[2][VMBUS_PKT_XFER_HDR_LEN(EMU_NET_RX_RANGES_MAX)];

	uint8_t *pkt;     /* one packet copied out of a ring */
	uint8_t *gather;  /* RNDIS bytes of one guest packet */
	uint8_t *frame;   /* a guest frame being worked on */
	uint8_t *seg;     /* one LSO segment */
	uint8_t *tagged;  /* a frame with its 802.1Q tag inserted */
	/* PACKET_MSGs of one guest packet, parsed before any is sent
	 * (the last slot serves every message past EMU_NET_TX_MSGS). */
	struct rndis_pkt_info tx_pk[EMU_NET_TX_MSGS + 1];
};

struct emu_net {
	struct emu_host *host;
	struct emu_net_config cfg;
	struct emu_nic *nic[EMU_MAX_NICS];
	unsigned int nnics;
	emu_net_log_fn log;
	void *log_arg;
	uint64_t now_ns;   /* emu_net_tick_now: read once per tick */
	bool now_valid;
};

/* emu_net.c: logging, sending, queues. */
void emu_net_log(const struct emu_nic *nic, const char *fmt, ...)
	EMU_NET_PRINTF(2, 3);
/* Count and log a guest input the host rejects. */
void emu_net_proto_error(struct emu_nic *nic, const struct emu_net_queue *q,
			 const char *fmt, ...) EMU_NET_PRINTF(3, 4);
void emu_net_trace(const struct emu_nic *nic, const struct emu_net_queue *q,
		   const char *fmt, ...) EMU_NET_PRINTF(3, 4);
uint64_t emu_net_now_ns(void);
struct emu_net_queue *emu_nic_queue(const struct emu_nic *nic, unsigned int i);
/* Write one packet (sg[0] starts with its descriptor) and signal. */
int emu_net_send(struct emu_net_queue *q, const struct hv_sg *sg,
		 unsigned int nsg);
/*
 * Several packets, each one contiguous element (descriptor first), each
 * published and signalled as emu_net_send would (vmbus_ring_write_many),
 * without its per-call work. For callers that checked
 * there is no armed mutation or descriptor fault (emu_net_send applies
 * those). Returns how many went out, the longest prefix that fit (the
 * rest goes through emu_net_send, which asks the guest for room), or
 * -errno (-EIO: channel stopped).
 */
int emu_net_send_many(struct emu_net_queue *q, const struct hv_sg *pkt,
		      unsigned int n);
/* emu_net_send_many for n packets of one template, the 8 bytes at
 * id_off of packet i being ids[i] (vmbus_ring_write_stamped), written in
 * place in the ring; same rules and returns. */
int emu_net_send_stamped(struct emu_net_queue *q, const void *tmpl, uint32_t len,
			 uint32_t id_off, const uint64_t *ids, unsigned int n);
/* Completion packet carrying msg (msg_len may be 0). */
int emu_net_send_comp(struct emu_net_queue *q, uint64_t trans_id,
		      const void *msg, size_t msg_len);
/* Inband packet carrying msg. */
int emu_net_send_inband(struct emu_net_queue *q, uint64_t trans_id,
			uint16_t flags, const void *msg, size_t msg_len);

/*
 * Stop the NIC's session as Azure's host does on a fatal guest error
 * (its worker ends: nothing is read or answered until the guest opens
 * the primary again). Counted (channel_stops) and logged with the
 * reason, "channel stopped: ...". With the leniency bit set: only
 * logged ("lenient, channel kept: ..."), returns false and the caller
 * goes on as the lenient host does; true if stopped.
 */
bool emu_net_stop(struct emu_nic *nic, const struct emu_net_queue *q,
		  uint32_t lenient_bit, const char *fmt, ...) EMU_NET_PRINTF(4, 5);
bool emu_net_lenient(const struct emu_nic *nic, uint32_t bit);

/* emu_mutate.c: apply armed mutations to a packet about to be written
 * (sg has room for the elements emu_net_send uses). */
void emu_mutate_apply(struct emu_net_queue *q, struct hv_sg *sg,
		      unsigned int nsg);
void emu_mutate_after_write(struct emu_net_queue *q);
/* Take one armed reply fault of kind: 1 drop, 2 delay (*ms), 0 none. */
int emu_reply_take(struct emu_nic *nic, enum emu_reply_kind kind, uint32_t *ms);

/* emu_nvsp.c: NVSP requests and host notifications. */
void emu_nvsp_handle(struct emu_net_queue *q, const struct vmbus_pkt_info *pi);
void emu_nvsp_session_reset(struct emu_nic *nic);
/* The session may carry data: INIT, NDIS_VERSION (and CONFIG from
 * NVSP 2), a receive buffer. Inline: the page-buffer path asks per packet. */
static inline bool
emu_nvsp_ready(const struct emu_nic *nic)
{
	return nic->version != 0 && nic->ndis_version_seen && nic->rxbuf_on &&
	       (nic->version < NVSP_VERSION_2 || nic->ndis_config_seen);
}
void emu_nvsp_vf_announce(struct emu_nic *nic);
/* Host side of a revoke: SWITCH(synthetic) if the guest is on the VF,
 * then the association withdrawn (allocated = 0). */
void emu_nvsp_vf_withdraw(struct emu_nic *nic);

/* emu_vf.c: the VF device and steering. */
void emu_vf_tick(struct emu_nic *nic);
void emu_vf_free(struct emu_nic *nic);
/* Hooks of the NVSP code: offered (before the association), announced,
 * and whether a guest switch to the VF can happen now. */
void emu_vf_on_offer(struct emu_nic *nic);
void emu_vf_on_announce(struct emu_nic *nic);
bool emu_vf_can_switch(const struct emu_nic *nic);
/* "before": the association waits until the netdev had time to settle. */
bool emu_vf_may_announce(const struct emu_nic *nic);
void emu_vf_count_switch(struct emu_nic *nic, bool refused);
/* Recompute nic->vf_steer after any change of the state it follows. */
void emu_vf_update(struct emu_nic *nic);
/* Starts the revoke of a VF device; false when there is none (then the
 * caller withdraws at once). */
bool emu_vf_revoke(struct emu_nic *nic, bool abrupt);
/* Busy while a revoke is in progress. */
bool emu_vf_busy(const struct emu_nic *nic);
/* emu_nic_rx_burst while steering: unicast to the MAC into the VF. */
int emu_vf_rx_burst(struct emu_nic *nic, const void *const *frames,
		    const size_t *lens, unsigned int n, uint32_t flags, int *rc);
/* Free the receive batch and its RSS packets (emu_rxpath.c). */
void emu_rx_batch_free(struct emu_nic *nic);
/* emu_nic_rx_burst without steering. */
int emu_rx_burst_synth(struct emu_nic *nic, const void *const *frames,
		       const size_t *lens, unsigned int n, uint32_t flags,
		       int *rc);

/* emu_vf_link*.c: the veth pair (libnl-route-3, or a stub without it). */
int emu_vf_link_create(const char *host, const char *guest,
		       const uint8_t mac[6], const char *alias);
int emu_vf_link_delete(const char *host);
bool emu_vf_link_available(void);
/* SEND_INDIRECTION_TABLE spreading 16 buckets over nchan channels. */
void emu_nvsp_send_indirection(struct emu_nic *nic, unsigned int nchan);
/* Late subchannel offers and the table after them (every tick). */
void emu_nvsp_tick(struct emu_nic *nic);

/* The loop tick's time (one clock read per tick, on first use). */
uint64_t emu_net_tick_now(struct emu_net *net);

/*
 * End the backend's hold on the guest's transmit frames (xmit_held):
 * deliver (only between reading the guest's ring and sending
 * completions: nic_tick) lets it offer them to the guest first; else
 * it copies them. Called before any completion can leave and before
 * any packet the fast paths do not take.
 */
void emu_nic_tx_release_slow(struct emu_nic *nic, bool deliver);

static inline void
emu_nic_tx_release(struct emu_nic *nic, bool deliver)
{
	if (nic->be_held)
		emu_nic_tx_release_slow(nic, deliver);
}

/* emu_txcomp.c: send completions, held back as a real host does. */
/* Complete trans_id: data SUCCESS waits tx_comp_delay_us, the rest goes
 * now (or waits for ring room). */
void emu_tx_comp_post(struct emu_net_queue *q, uint64_t trans_id,
		      uint32_t status, bool data);
/*
 * emu_tx_comp_post(q, trans_id, SUCCESS, true) inline for the common
 * case (held, no reversal: tx_comp_reverse takes the general path),
 * without the modulo: one entry at the FIFO's tail.
 */
static inline void
emu_tx_comp_post_ok(struct emu_net_queue *q, uint64_t trans_id)
{
	struct emu_net *net = q->nic->net;
	struct emu_tx_comp *c;
	uint32_t i, n = q->comp_n;

	if (hv_unlikely(q->comp == NULL || n >= q->comp_cap ||
			net->cfg.tx_comp_reverse >= 2 || !net->now_valid)) {
		emu_tx_comp_post(q, trans_id, NVSP_STATUS_SUCCESS, true);
		return;
	}
	i = q->comp_head + n;
	if (i >= q->comp_cap)
		i -= q->comp_cap;
	c = &q->comp[i];
	c->trans_id = trans_id;
	c->t_ns = net->now_ns;
	c->status = NVSP_STATUS_SUCCESS;
	c->data = true;
	q->comp_n = n + 1;
	q->nic->qst[q->id].tx_pending = n + 1;
}
/* Send the completions that are due, in order, as far as room allows. */
void emu_tx_comp_flush(struct emu_net_queue *q);
/* emu_tx_comp_room when the FIFO is full: count the stop once. */
bool emu_tx_comp_full(struct emu_net_queue *q);
/* May the host read another guest packet (below tx_max_pending)? Inline:
 * asked before every read. */
static inline bool
emu_tx_comp_room(struct emu_net_queue *q)
{
	if (hv_likely(q->comp_n < q->comp_cap) || q->comp == NULL)
		return true;
	return emu_tx_comp_full(q);
}
void emu_tx_comp_free(struct emu_net_queue *q);

/* emu_rndis.c: the offloads in force (hardware less what SETs turned off). */
void emu_rndis_offload_in_force(const struct emu_nic *nic,
				struct ndis_offload *out);

/* emu_txoffload.c: may the host do what a PACKET_MSG's PPIs ask (f is the
 * frame as sent)? 0, -EPERM (offload not in force), -E2BIG (LSO larger
 * than advertised), -ERANGE (MSS 0 or segments longer than the MTU). */
int emu_tx_offload_check(const struct emu_nic *nic,
			 const struct rndis_pkt_meta *m, const uint8_t *f,
			 size_t len);

/* emu_txpath.c: SEND_RNDIS_PKT from the guest. */
void emu_tx_rndis_pkt(struct emu_net_queue *q, const struct vmbus_pkt_info *pi,
		      const struct nvsp_rndis_pkt_info *rp);
/* One plain PACKET_MSG filling len bytes, its first hlen (<= 64) bytes
 * privately at h (64 bytes): its frame's place; false for anything
 * else (the full path decides). */
bool emu_tx_one_plain(struct emu_tx_seen *s, const uint8_t *h, uint32_t hlen,
		      uint32_t len, uint32_t *data_abs, uint32_t *data_len);

/* emu_txpath.c: an inband SEND_RNDIS_PKT whose RNDIS bytes are one send
 * section holding PACKET_MSGs, in one pass from nic->pkt (len bytes);
 * false: nothing was done, the full path takes it. */
bool emu_tx_inband_fast(struct emu_net_queue *q, uint32_t len);
/* emu_txgpa.c: fill q->gpa's NIC-state checks (false: the full path). */
bool emu_tx_fast_state_fill(struct emu_net_queue *q);

/* emu_txgpa.c: a page-buffer SEND_RNDIS_PKT of one plain frame, read in
 * one pass from nic->pkt (len bytes); false: the full path takes it. */
bool emu_tx_gpa_fast(struct emu_net_queue *q, uint32_t len);
/* Drop emu_tx_gpa_fast's per-poll checks (emu_net.c: a poll starts, or
 * the full path handled a packet). */
static inline void
emu_tx_gpa_forget(struct emu_net_queue *q)
{
	q->gpa.ok = false;
	q->gpa.hlen = 0;
}

/* emu_rndis.c: the RNDIS device. Returns the NVSP status to complete with. */
uint32_t emu_rndis_control(struct emu_net_queue *q, const uint8_t *msg,
			   size_t len);
void emu_rndis_reset(struct emu_nic *nic);
/* Queue a status indication (sent when the guest can take it). */
void emu_rndis_indicate(struct emu_nic *nic, uint32_t status, const void *buf,
			uint32_t len);
/* Send what is due from the control queue; drop everything on clear. */
void emu_ctrl_flush(struct emu_nic *nic);
/* Pending link indications (coalescing); called by emu_ctrl_flush. */
void emu_link_tick(struct emu_nic *nic);
void emu_ctrl_clear(struct emu_nic *nic);
/* An NVSP completion through the control queue (delay/drop faults). */
void emu_ctrl_nvsp_comp(struct emu_nic *nic, uint64_t trans_id,
			const void *msg, uint32_t len);

/* emu_rxpool.c: the receive buffer's sub-allocations and their owners. */
int emu_rxbuf_setup(struct emu_nic *nic);
void emu_rxbuf_teardown(struct emu_nic *nic);
/* Split the pools again if the open queues or the RSS table changed. */
void emu_rx_pools_update(struct emu_nic *nic);
/* Free a packet's sub-allocations (first and its chain); how many. */
uint32_t emu_rx_pkt_release(struct emu_nic *nic, uint32_t first);

/* A free sub-allocation of queue qi (EMU_RX_POOL_CTRL: control). */
static inline int
emu_rx_sub_alloc(struct emu_nic *nic, unsigned int qi, uint32_t *idx)
{
	struct emu_rx_pool *p = &nic->pool[qi];

	if (p->n == 0)
		return -EAGAIN;
	*idx = p->free[--p->n];
	nic->sub_nfree--;
	nic->sub_busy[*idx] = qi == EMU_RX_POOL_CTRL ? EMU_SUB_CTRL : EMU_SUB_DATA;
	nic->sub_next[*idx] = EMU_SUB_NONE;
	return 0;
}

/* Give idx back to the pool that owns it now. */
static inline void
emu_rx_sub_release(struct emu_nic *nic, uint32_t idx)
{
	struct emu_rx_pool *p = &nic->pool[nic->sub_pool[idx]];

	nic->sub_busy[idx] = EMU_SUB_FREE;
	p->free[p->n++] = idx;
	nic->sub_nfree++;
}

/* emu_rxpath.c: host->guest RNDIS messages. */
/* Copy a control message into a sub-allocation and send it: 0/-EAGAIN. */
int emu_rx_send_ctrl(struct emu_nic *nic, const void *msg, uint32_t len);
/* The guest's RNDIS_ACK (a completion packet carrying 108). */
void emu_rx_ack(struct emu_net_queue *q, const struct vmbus_pkt_info *pi);
/*
 * One frame of a burst, staged into nic->rxb (sent when the packet is
 * full or the burst ends); runs of common frames take rx_fast_run
 * instead. 0, or what emu_nic_rx would return.
 */
int emu_rx_frame(struct emu_nic *nic, unsigned int i, const uint8_t *f,
		 size_t len, uint32_t flags);
/* The copy of each received frame (out of line: benchmarks count it). */
void emu_rx_frame_copy(uint8_t *dst, const uint8_t *f, size_t len);

/*
 * Consume one armed occurrence of f. Inline: the RX path asks for every
 * frame, and almost always nothing is armed.
 */
static inline bool
emu_fault_take(struct emu_nic *nic, enum emu_fault f)
{
	if (hv_likely(nic->faults[f] == 0))
		return false;
	nic->faults[f]--;
	return true;
}

/* emu_net_stats.c */
const char *emu_nvsp_type_name(uint32_t type);

#endif /* EMU_NET_PRIV_H */
