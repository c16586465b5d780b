/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pending-transaction table: matches the host's replies to the guest's
 * outstanding requests without ever trusting an id the host sends back.
 *
 * The guest registers a request of some kind (an NVSP request sent with
 * "completion requested", an RNDIS control message, a data send) and
 * gets an id to put on the wire: the VMBus transaction id, or the RNDIS
 * request id. A reply is looked up by (id, kind): the id is decoded into
 * a slot index and a generation and both are checked, so a stale,
 * forged, duplicated or late id can never reach a freed or reused slot.
 * The caller's cookie (its own descriptor index or pointer) is handed
 * back only for a valid match; nothing taken from the host is used as a
 * pointer or as an unchecked index.
 *
 * Id layout: slot index + 1 in the low HV_XACT_IDX_BITS bits (so 0 is
 * never issued: hosts use 0 and ids with bit 63 set for unsolicited
 * messages, and RNDIS forbids request id 0), generation above. With
 * HV_XACT_F_ID32 the generation is 15 bits and every id fits an RNDIS
 * request id (u32, bit 31 clear); otherwise 32 bits, and bits 48-62
 * carry the table's tag (hv_xact_init_tagged): tables with different
 * tags never issue the same id, so a completion can be routed to its
 * table by hv_xact_id_tag() before any lookup (e.g. tag 0 for the
 * control session, queue + 1 for each Tx queue).
 *
 * Rejected replies are counted by reason and by kind in hv_xact_stats,
 * which the caller may read at any time (the table owner's thread).
 *
 * Storage is the caller's (no allocation). A table is not thread-safe:
 * use one per queue, or lock around it.
 */
#ifndef HV_XACT_H
#define HV_XACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HV_XACT_IDX_BITS 16u
/* Slot index + 1 must fit the index field, and 0 is not an id. */
#define HV_XACT_MAX_SLOTS ((1u << HV_XACT_IDX_BITS) - 1u)

/*
 * Request kinds, so that a reply of the wrong type is not accepted for
 * an id that happens to be valid. Callers may use their own values up
 * to HV_XACT_KIND_COUNT - 1; these are the ones the core's bring-up and
 * the PMD use.
 */
enum hv_xact_kind {
	HV_XACT_NVSP_INIT = 0,      /* NVSP INIT -> INIT_COMPLETE */
	HV_XACT_NVSP_RECV_BUF,      /* SEND_RECV_BUF -> ..._COMPLETE */
	HV_XACT_NVSP_SEND_BUF,      /* SEND_SEND_BUF -> ..._COMPLETE */
	HV_XACT_NVSP_SUBCHANNEL,    /* SUBCHANNEL -> SUBCHANNEL */
	HV_XACT_NVSP_SWITCH_DP,     /* SWITCH_DATA_PATH -> empty completion */
	HV_XACT_NVSP_RNDIS_CTL,     /* SEND_RNDIS_PKT (control) -> RNDIS_PKT_COMPLETE */
	HV_XACT_NVSP_RNDIS_DATA,    /* SEND_RNDIS_PKT (data) -> RNDIS_PKT_COMPLETE */
	HV_XACT_RNDIS_INIT,         /* RNDIS INITIALIZE -> INITIALIZE_CMPLT */
	HV_XACT_RNDIS_QUERY,        /* QUERY -> QUERY_CMPLT */
	HV_XACT_RNDIS_SET,          /* SET -> SET_CMPLT */
	HV_XACT_RNDIS_KEEPALIVE,    /* KEEPALIVE -> KEEPALIVE_CMPLT */
	HV_XACT_KIND_COUNT = 16,
};

/* Ids fit in 31 bits (RNDIS request ids). */
#define HV_XACT_F_ID32 0x1u

/* Why a reply was refused. */
enum hv_xact_reject {
	HV_XACT_REJ_UNKNOWN = 0, /* never issued, out of range or stale */
	HV_XACT_REJ_DUPLICATE,   /* already completed */
	HV_XACT_REJ_LATE,        /* after cancel or timeout */
	HV_XACT_REJ_KIND,        /* pending, but the reply is of another kind */
	HV_XACT_REJ_COUNT,
};

struct hv_xact_stats {
	uint64_t issued[HV_XACT_KIND_COUNT];
	uint64_t completed[HV_XACT_KIND_COUNT];
	uint64_t cancelled[HV_XACT_KIND_COUNT]; /* by cancel or expiry */
	uint64_t expired[HV_XACT_KIND_COUNT];   /* the expiry subset */
	/* Indexed by the kind the reply claimed to be. */
	uint64_t rejected[HV_XACT_REJ_COUNT][HV_XACT_KIND_COUNT];
};

/* Opaque to callers; sized here so they can provide the storage. */
struct hv_xact_slot {
	uint64_t cookie;
	uint64_t deadline;
	uint32_t gen;       /* generation of the current or last request */
	uint16_t kind;
	uint8_t state;      /* free, pending */
	uint8_t retired_by; /* how the last request ended: complete, cancel */
	uint32_t next_free;
};

struct hv_xact_table {
	struct hv_xact_slot *slots;
	uint32_t nslots;
	uint32_t free_head; /* nslots when empty */
	uint32_t pending;
	uint32_t gen_mask;
	uint64_t tag_bits;  /* tag << HV_XACT_TAG_SHIFT */
	struct hv_xact_stats stats;
};

/* What a successful lookup or expiry hands back. */
struct hv_xact_done {
	uint64_t id;
	uint64_t cookie;
	uint32_t kind;
};

/*
 * Set up t over nslots caller slots (1..HV_XACT_MAX_SLOTS); flags
 * HV_XACT_F_*. 0 or -EINVAL.
 */
int
hv_xact_init(struct hv_xact_table *t, struct hv_xact_slot *slots,
	     uint32_t nslots, uint32_t flags);

/*
 * The same with a tag (1..HV_XACT_TAG_MAX) in every id; not with
 * HV_XACT_F_ID32. 0 or -EINVAL.
 */
#define HV_XACT_TAG_SHIFT 48u
#define HV_XACT_TAG_MAX 0x7fffu
int
hv_xact_init_tagged(struct hv_xact_table *t, struct hv_xact_slot *slots,
		    uint32_t nslots, uint32_t flags, uint32_t tag);

/* Tag of any id (0 for untagged tables and the host's own ids). */
static inline uint32_t
hv_xact_id_tag(uint64_t id)
{
	return (uint32_t)(id >> HV_XACT_TAG_SHIFT) & HV_XACT_TAG_MAX;
}

/*
 * Register a request of kind with the caller's cookie; deadline is in
 * the caller's time unit (UINT64_MAX: never expires). Writes the wire
 * id. 0, -EINVAL (kind) or -ENOBUFS (every slot pending).
 */
int
hv_xact_register(struct hv_xact_table *t, uint32_t kind, uint64_t cookie,
		 uint64_t deadline, uint64_t *id);

/*
 * Match a reply: id as received from the host, kind what the reply is.
 * On success the slot is released and *out (may be NULL) filled.
 * Errors, each counted: -ENOENT unknown id, -EALREADY duplicate,
 * -ETIME late (cancelled or expired), -EPROTO wrong kind (the request
 * stays pending), -EINVAL kind out of range.
 */
int
hv_xact_complete(struct hv_xact_table *t, uint64_t id, uint32_t kind,
		 struct hv_xact_done *out);

/*
 * Look without releasing: 0 if id names a pending request of kind
 * (nothing counted), -ENOENT otherwise. For replies that come in parts.
 */
int
hv_xact_peek(const struct hv_xact_table *t, uint64_t id, uint32_t kind,
	     struct hv_xact_done *out);

/*
 * Give up on a pending request (its reply will count as late).
 * 0 or -ENOENT if id is not pending.
 */
int
hv_xact_cancel(struct hv_xact_table *t, uint64_t id, struct hv_xact_done *out);

/*
 * Retire one pending request whose deadline is <= now, oldest slot
 * first in index order. 0 with *out filled, or -ENOENT if none.
 * Call in a loop to reap all of them.
 */
int
hv_xact_expire(struct hv_xact_table *t, uint64_t now,
	       struct hv_xact_done *out);

/* Cancel every pending request (detach): returns how many. */
uint32_t
hv_xact_cancel_all(struct hv_xact_table *t);

static inline uint32_t
hv_xact_pending(const struct hv_xact_table *t)
{
	return t->pending;
}

/* Sum of rejected replies of every kind for one reason. */
uint64_t
hv_xact_rejected(const struct hv_xact_table *t, enum hv_xact_reject why);

#endif /* HV_XACT_H */
