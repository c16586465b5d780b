/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVSP/RNDIS control session of a netvsc guest as a step function: the
 * bring-up sequence, the subchannel request, RNDIS SETs at run time and
 * the teardown, without any waiting, I/O or allocation inside. The glue
 * (PMD, test guest, fuzz target) owns the channel and the clock:
 *
 *     struct hv_bu_in in = { .type = HV_BU_IN_NONE };
 *     for (;;) {
 *         hv_bringup_step(b, &in, &out);     // rc < 0: input rejected
 *         if (out.action == HV_BU_SEND)      { send it; in.type = NONE; }
 *         else if (out.action == HV_BU_WAIT) { in = next host message,
 *                                              or TIMEOUT when the
 *                                              caller's timer fires; }
 *         else break;                        // DONE or ERROR
 *     }
 *
 * Bring-up (hv_bringup_start): NVSP INIT with one exact version per
 * request (min = max), from cfg.nvsp_max_version down to
 * cfg.nvsp_min_version, the next lower one after each refusal; response
 * sizes of 28 or 40 bytes are both accepted. Then NDIS_CONFIG (MTU,
 * capabilities the version knows), NDIS_VERSION (6.30 from NVSP 5, else
 * 6.1), SEND_RECV_BUF and SEND_SEND_BUF with the caller's GPADLs, RNDIS
 * INITIALIZE and the queries PERMANENT_ADDRESS (required),
 * MAXIMUM_FRAME_SIZE, MEDIA_CONNECT_STATUS, LINK_SPEED, offload hardware
 * capabilities and (NVSP >= 5) RSS capabilities (optional: a refusal
 * just leaves the result's valid bit clear). Results: struct
 * hv_bringup_result.
 *
 * Messages out: HV_BU_SEND_INBAND: an inband packet whose payload is
 * out.msg. HV_BU_SEND_RNDIS: a GPA-direct packet whose payload is out.msg
 * (an NVSP SEND_RNDIS_PKT, control channel, no section) and whose single
 * range is out.rndis_len bytes at out.rndis_gpa, i.e. the RNDIS control
 * message the step wrote into cfg.rndis_buf (which must stay untouched
 * and mapped until the op ends). Either uses out.trans_id as the VMBus
 * transaction id and asks for a completion if out.completion_requested.
 *
 * Messages in: HV_BU_IN_NVSP: an NVSP message (payload of a completion
 * packet, completion = true, or of an inband packet) with the packet's
 * trans_id. HV_BU_IN_RNDIS: one RNDIS message the caller extracted from
 * a receive-buffer range of a transfer-page packet (and copied out of
 * shared memory; the caller also ACKs the packet). len must be the range
 * length (indications are bounded by it). HV_BU_IN_TIMEOUT: the caller's
 * wait for the host expired.
 *
 * Every reply is matched by id and kind through a pending-transaction
 * table (hv_xact.h) whose ids are untagged (hv_xact_id_tag() == 0, all
 * below 2^31): a guest that tags its data-path tables routes each
 * completion by tag, tag 0 to this session; unknown, duplicated, late and wrong-kind replies
 * are refused (step returns their -errno, out.action unchanged) and
 * counted in b->xact.stats; malformed or unrelated input is counted in
 * b->stats. Unsolicited host messages (link indications, VF association,
 * send-indirection table) are recorded in the result at any time and
 * flagged in out.events.
 *
 * Returns of the API: 0 or -errno (-EINVAL bad argument, -EBUSY an op in
 * progress, -EPROTO op not allowed in this state or version).
 */
#ifndef HV_BRINGUP_H
#define HV_BRINGUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv_xact.h"
#include "ndis_obj.h"
#include "nvsp_msg.h"
#include "rndis_msg.h"

/* RNDIS control messages the session builds fit in this much. */
#define HV_BU_RNDIS_BUF_MIN 1024u

struct hv_bringup_cfg {
	uint32_t nvsp_max_version; /* 0: NVSP_VERSION_61 */
	uint32_t nvsp_min_version; /* 0: NVSP_VERSION_2 */
	uint32_t mtu;              /* NDIS_CONFIG, L2 incl. 14-byte header; 0: 1514 */
	uint64_t ndis_caps;        /* NVSP_NDIS_CAP_*; bits the version lacks are dropped */
	uint32_t recv_buf_gpadl;
	uint32_t recv_buf_size;    /* bytes; host sub-allocations must fit */
	uint32_t send_buf_gpadl;
	uint32_t send_buf_size;    /* 0: no send buffer, SEND_SEND_BUF skipped */
	void *rndis_buf;           /* RNDIS control messages are built here */
	uint32_t rndis_buf_size;   /* >= HV_BU_RNDIS_BUF_MIN */
	uint64_t rndis_buf_gpa;    /* guest-physical address of rndis_buf */
	uint32_t rndis_max_xfer;   /* INITIALIZE max transfer; 0: 0x4000 */
};

/* hv_bringup_result.valid bits. */
#define HV_BU_HAVE_MAX_FRAME 0x01u
#define HV_BU_HAVE_LINK 0x02u
#define HV_BU_HAVE_LINK_SPEED 0x04u
#define HV_BU_HAVE_OFFLOAD 0x08u
#define HV_BU_HAVE_RSS 0x10u
#define HV_BU_HAVE_VF 0x20u
#define HV_BU_HAVE_INDIRECTION 0x40u
#define HV_BU_HAVE_SUBCHANNELS 0x80u

struct hv_bringup_result {
	uint32_t valid;              /* HV_BU_HAVE_* */
	uint32_t nvsp_version;
	uint32_t ndis_version;       /* major << 16 | minor */
	uint32_t mtu;                /* sent in NDIS_CONFIG */
	uint64_t ndis_caps;          /* sent in NDIS_CONFIG */
	uint32_t recv_section_size;  /* host's sub-allocation size */
	uint32_t recv_section_count;
	uint32_t send_section_size;  /* 0 without a send buffer */
	uint32_t send_section_count;
	struct rndis_init_info rndis; /* INITIALIZE_CMPLT */
	uint32_t rndis_pkt_align;    /* bytes */
	uint8_t mac[6];
	uint32_t max_frame_size;     /* HAVE_MAX_FRAME */
	bool link_up;                /* HAVE_LINK */
	uint32_t link_speed;         /* 100 bps units; HAVE_LINK_SPEED */
	struct ndis_offload offload; /* HAVE_OFFLOAD */
	struct ndis_rss_caps_info rss; /* HAVE_RSS */
	uint32_t num_subchannels;    /* granted; HAVE_SUBCHANNELS */
	bool vf_allocated;           /* HAVE_VF */
	uint32_t vf_serial;
	struct nvsp_indirection_info indirection; /* HAVE_INDIRECTION */
	uint32_t set_status;         /* RNDIS status of the last SET */
	uint32_t query_status;       /* RNDIS status of the last single query */
	uint32_t query_len;          /* its info length (may exceed the copy) */
	uint8_t query_info[64];      /* its first bytes */
};

enum hv_bu_in_type {
	HV_BU_IN_NONE = 0,
	HV_BU_IN_NVSP,
	HV_BU_IN_RNDIS,
	HV_BU_IN_TIMEOUT,
};

struct hv_bu_in {
	uint32_t type;      /* enum hv_bu_in_type */
	bool completion;    /* NVSP: came as a completion packet */
	uint64_t trans_id;  /* NVSP: the packet's transaction id */
	const void *buf;    /* NVSP payload or RNDIS message, private copy */
	size_t len;
};

enum hv_bu_action {
	HV_BU_WAIT = 0, /* give the next host message or a timeout */
	HV_BU_SEND,     /* send out.msg, then step again with IN_NONE */
	HV_BU_DONE,     /* no op in progress; the last one succeeded */
	HV_BU_ERROR,    /* the op failed: out.error, out.err, out.state */
};

enum hv_bu_send_kind {
	HV_BU_SEND_INBAND = 0,
	HV_BU_SEND_RNDIS,
};

enum hv_bu_error {
	HV_BU_ERR_NONE = 0,
	HV_BU_ERR_TIMEOUT,      /* the host did not answer in time */
	HV_BU_ERR_NO_VERSION,   /* every NVSP version refused */
	HV_BU_ERR_NVSP_INIT,    /* malformed INIT_COMPLETE */
	HV_BU_ERR_RECV_BUF,     /* receive buffer refused or invalid */
	HV_BU_ERR_SEND_BUF,     /* send buffer refused or invalid */
	HV_BU_ERR_RNDIS_INIT,   /* RNDIS INITIALIZE refused or invalid */
	HV_BU_ERR_QUERY,        /* a required query failed (MAC) */
	HV_BU_ERR_SUBCHANNEL,   /* subchannel request refused or invalid */
	HV_BU_ERR_SET,          /* malformed SET completion */
	HV_BU_ERR_RNDIS_SEND,   /* host failed an RNDIS control packet */
	HV_BU_ERR_BUILD,        /* a message did not fit (config) */
};

/* States, exposed to say where an op is or failed. */
enum hv_bu_state {
	HV_BU_S_IDLE = 0,
	HV_BU_S_NVSP_INIT,
	HV_BU_S_NDIS_CONFIG,
	HV_BU_S_NDIS_VERSION,
	HV_BU_S_RECV_BUF,
	HV_BU_S_SEND_BUF,
	HV_BU_S_RNDIS_INIT,
	HV_BU_S_QUERY,
	HV_BU_S_READY,
	HV_BU_S_SUBCHANNEL,
	HV_BU_S_RNDIS_SET,
	HV_BU_S_HALT,
	HV_BU_S_REVOKE_RECV,
	HV_BU_S_REVOKE_SEND,
	HV_BU_S_CLOSED,
	HV_BU_S_FAILED,
};

/* out.events bits: something the host told us on its own. */
#define HV_BU_EV_LINK 0x1u        /* link state or speed changed */
#define HV_BU_EV_VF 0x2u          /* VF association */
#define HV_BU_EV_INDIRECTION 0x4u /* send-indirection table */

struct hv_bu_out {
	uint32_t action;          /* enum hv_bu_action */
	uint32_t events;          /* HV_BU_EV_* seen in this step */
	/* HV_BU_SEND */
	uint32_t send_kind;       /* enum hv_bu_send_kind */
	uint8_t msg[NVSP_REQ_SIZE];
	uint32_t msg_len;
	uint64_t trans_id;
	bool completion_requested;
	uint64_t rndis_gpa;       /* HV_BU_SEND_RNDIS */
	uint32_t rndis_len;
	/* HV_BU_ERROR */
	uint32_t error;           /* enum hv_bu_error */
	int err;                  /* -errno from the failing validator */
	uint32_t state;           /* enum hv_bu_state that failed */
};

struct hv_bringup_stats {
	uint64_t ignored;   /* valid but unrelated (data, unknown notes) */
	uint64_t malformed; /* failed validation before any match */
	uint64_t refused;   /* versions the host refused */
};

/* Everything below is private to hv_bringup.c; sized for the caller. */
#define HV_BU_XACT_SLOTS 8u

struct hv_bringup {
	struct hv_bringup_cfg cfg;
	struct hv_bringup_result res;
	struct hv_bringup_stats stats;
	struct hv_xact_table xact;
	struct hv_xact_slot slots[HV_BU_XACT_SLOTS];
	uint32_t state;       /* enum hv_bu_state */
	uint32_t op_end;      /* state after the current op: READY or CLOSED */
	bool sent;            /* the current state's request is out */
	bool need_comp;       /* RNDIS: NVSP completion still due */
	bool need_reply;      /* RNDIS: RNDIS reply still due */
	uint32_t version_idx; /* into nvsp_versions */
	uint32_t query_idx;
	uint32_t cur_oid;
	uint64_t nvsp_id;     /* pending NVSP request or RNDIS packet */
	uint64_t rndis_id;    /* pending RNDIS request id */
	uint32_t subch_req;
	uint32_t set_len;     /* SET message already built in rndis_buf */
	bool rndis_up;        /* RNDIS INITIALIZE completed */
	bool up;              /* bring-up completed, not torn down */
	bool single_query;    /* QUERY state serves hv_bringup_rndis_query */
	bool recv_buf_sent;
	bool send_buf_sent;
	bool rndis_buf_lent;  /* an RNDIS packet's completion is still due */
	uint64_t lent_id;     /* its transaction id */
	uint32_t events;      /* HV_BU_EV_* of the current step */
	uint32_t error;
	int err;
	uint32_t fail_state;
};

/* Begin the bring-up. 0, -EINVAL (cfg), -EBUSY (not IDLE/CLOSED). */
int
hv_bringup_start(struct hv_bringup *b, const struct hv_bringup_cfg *cfg);

/*
 * Ask for n subchannels (NVSP >= 5, after bring-up). On DONE,
 * res.num_subchannels holds how many the host granted (<= n).
 */
int
hv_bringup_subchannels(struct hv_bringup *b, uint32_t n);

/*
 * RNDIS SET of oid with info_len bytes (copied now). On DONE,
 * res.set_status holds the host's RNDIS status (a refusal is not an
 * ERROR: the caller decides). After bring-up only.
 */
int
hv_bringup_rndis_set(struct hv_bringup *b, uint32_t oid, const void *info,
		     uint32_t info_len);

/*
 * RNDIS QUERY of oid (no input buffer, except the object headers the
 * offload and RSS capability queries need). On DONE, res.query_status,
 * res.query_len and res.query_info hold the answer, and the result
 * fields of the OIDs the bring-up queries (link state and speed, ...)
 * are refreshed. A refusal is not an ERROR; a malformed answer is.
 */
int
hv_bringup_rndis_query(struct hv_bringup *b, uint32_t oid);

/*
 * Run-time ops (subchannels, SET, QUERY) start from READY, or after a
 * run-time op failed (ERROR was reported; the session is still up):
 * -EBUSY while an op runs, -EPROTO before bring-up or after teardown.
 *
 * Teardown from any state (also after a failed or partial bring-up):
 * RNDIS HALT if RNDIS was initialised (hosts ignore it; its packet's
 * completion is awaited so rndis_buf can be released, a timeout skips
 * it), then REVOKE_RECV_BUF and REVOKE_SEND_BUF for the buffers that
 * were offered. Pending requests are cancelled (late replies counted).
 * Ends in CLOSED (DONE); a new hv_bringup_start may follow.
 */
int
hv_bringup_teardown(struct hv_bringup *b);

/*
 * rndis_buf may still be read by the host: an RNDIS control packet went
 * out and the NVSP completion that gives its buffer back has not come
 * (the op failed or timed out first). Building the next RNDIS message
 * there could change what the host reads; the caller should move to
 * another buffer (hv_bringup_set_rndis_buf) or wait. A late completion
 * of that packet clears it.
 */
bool
hv_bringup_rndis_buf_lent(const struct hv_bringup *b);

/*
 * Build RNDIS messages in another buffer from now on (no op running).
 * The old one is the caller's again, unless the host may still read it
 * (hv_bringup_rndis_buf_lent before the call). 0, -EINVAL or -EBUSY.
 */
int
hv_bringup_set_rndis_buf(struct hv_bringup *b, void *buf, uint32_t size,
			 uint64_t gpa);

/*
 * Advance with one input (NULL or IN_NONE: none) and say what to do
 * next in *out. Returns 0, or -errno if the input was refused (it is
 * counted; *out is still valid).
 */
int
hv_bringup_step(struct hv_bringup *b, const struct hv_bu_in *in,
		struct hv_bu_out *out);

static inline const struct hv_bringup_result *
hv_bringup_result(const struct hv_bringup *b)
{
	return &b->res;
}

/* Name of a state or error, for the caller's logs. */
const char *
hv_bringup_state_name(uint32_t state);
const char *
hv_bringup_error_name(uint32_t error);

#endif /* HV_BRINGUP_H */
