/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RNDIS control messages, both halves of each exchange.
 *
 * Guest: build INITIALIZE/QUERY/SET/HALT/KEEPALIVE/RESET, validate the
 * host's completions and status indications. Host (emulator): validate
 * the guest's control messages, build completions and indications.
 *
 * Parsers take (buf, len) holding one message as received (len is what
 * the transport delivered: the transfer range or the send section), read
 * each field once into the caller's struct and check every length and
 * offset before use. Info/status buffer slices are returned as pointers
 * into buf plus an offset from the message start; the caller copies them
 * if buf is shared with the other party.
 *
 * Returns: builders the message length or -ENOBUFS (buffer too small),
 * -EINVAL (bad argument), -EMSGSIZE (too big for the wire). Parsers 0,
 * -EINVAL (malformed), -EPROTO (wrong type for this parser / not allowed
 * from this side), -ERANGE (value out of accepted range), -EIO (well
 * formed but the status reports failure; out->status holds it).
 */
#ifndef RNDIS_MSG_H
#define RNDIS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rndis_wire.h"

/* Guests never aggregate at less than 4-byte alignment. */
#define RNDIS_PKT_ALIGN_MIN 4u
/* Smallest useful max_xfer_size: a PACKET_MSG header and a minimal frame. */
#define RNDIS_MAX_XFER_SIZE_MIN 58u

/* Header of any RNDIS message, as peeked before dispatching on type. */
struct rndis_peek {
	uint32_t type;
	uint32_t msg_len;
	uint32_t rid;  /* valid if has_rid */
	bool has_rid;
};

/* INITIALIZE_CMPLT contents (guest parses, host builds). */
struct rndis_init_info {
	uint32_t rid;
	uint32_t status;
	uint32_t major;
	uint32_t minor;
	uint32_t device_flags;
	uint32_t medium;
	uint32_t max_pkts_per_msg;
	uint32_t max_xfer_size;
	uint32_t pkt_align_factor; /* <= RNDIS_PKT_ALIGN_FACTOR_MAX once parsed */
};

/* QUERY_CMPLT: the info buffer is info_len bytes at info_off. */
struct rndis_query_result {
	uint32_t rid;
	uint32_t status;
	uint32_t info_len;
	uint32_t info_off; /* from message start; 0 if info_len is 0 */
	const void *info;  /* into the parsed buffer; NULL if info_len is 0 */
};

/* SET_CMPLT, KEEPALIVE_CMPLT and RESET_CMPLT (rid 0, addressing_reset). */
struct rndis_cmplt_result {
	uint32_t rid;
	uint32_t status;
	uint32_t addressing_reset;
};

/* INDICATE_STATUS: the status buffer is buf_len bytes at buf_off. */
struct rndis_status_ind {
	uint32_t status;
	uint32_t msg_len;
	uint32_t buf_len;
	uint32_t buf_off; /* from message start; 0 if buf_len is 0 */
	const void *buf;  /* into the parsed buffer; NULL if buf_len is 0 */
};

/* A guest control message as the host validated it. */
struct rndis_ctl_req {
	uint32_t type;   /* INIT, QUERY, SET, HALT or KEEPALIVE */
	uint32_t msg_len;
	uint32_t rid;    /* != 0 */
	uint32_t major;  /* INIT */
	uint32_t minor;  /* INIT */
	uint32_t max_xfer_size; /* INIT */
	uint32_t oid;    /* QUERY, SET */
	uint32_t info_len;
	uint32_t info_off; /* from message start; 0 if info_len is 0 */
	const void *info;  /* into the parsed buffer; NULL if info_len is 0 */
};

/* Guest builders. rid must be non-zero. */
int
rndis_init_req_build(void *buf, size_t len, uint32_t rid,
		     uint32_t max_xfer_size);
int
rndis_query_req_build(void *buf, size_t len, uint32_t rid, uint32_t oid,
		      const void *info, uint32_t info_len);
int
rndis_set_req_build(void *buf, size_t len, uint32_t rid, uint32_t oid,
		    const void *info, uint32_t info_len);
int
rndis_halt_req_build(void *buf, size_t len, uint32_t rid);
int
rndis_keepalive_req_build(void *buf, size_t len, uint32_t rid);
int
rndis_reset_req_build(void *buf, size_t len);

/* Either side: header of any message; msg_len is checked against len. */
int
rndis_msg_peek(const void *buf, size_t len, struct rndis_peek *out);

/* Guest validators of host messages. */
int
rndis_init_cmplt_parse(const void *buf, size_t len,
		       struct rndis_init_info *out);
int
rndis_query_cmplt_parse(const void *buf, size_t len,
			struct rndis_query_result *out);
int
rndis_set_cmplt_parse(const void *buf, size_t len,
		      struct rndis_cmplt_result *out);
int
rndis_keepalive_cmplt_parse(const void *buf, size_t len,
			    struct rndis_cmplt_result *out);
int
rndis_reset_cmplt_parse(const void *buf, size_t len,
			struct rndis_cmplt_result *out);
/*
 * len must be the enclosing length (the transfer range): pre-Fe hosts do
 * not count the status buffer in msg_len, so it is bounded by len.
 */
int
rndis_indicate_status_parse(const void *buf, size_t len,
			    struct rndis_status_ind *out);
/* Speed (100 bps units) of a parsed LINK_SPEED_CHANGE indication. */
int
rndis_status_link_speed(const struct rndis_status_ind *ind, uint32_t *speed);

/* Aggregation alignment in bytes of a parsed INITIALIZE_CMPLT. */
uint32_t
rndis_init_pkt_align(const struct rndis_init_info *info);

/* Host validator of guest control messages. */
int
rndis_ctl_req_parse(const void *buf, size_t len, struct rndis_ctl_req *out);

/* Host builders. */
int
rndis_init_cmplt_build(void *buf, size_t len,
		       const struct rndis_init_info *info);
int
rndis_query_cmplt_build(void *buf, size_t len, uint32_t rid, uint32_t status,
			const void *info, uint32_t info_len);
int
rndis_set_cmplt_build(void *buf, size_t len, uint32_t rid, uint32_t status);
int
rndis_keepalive_cmplt_build(void *buf, size_t len, uint32_t rid,
			    uint32_t status);
int
rndis_reset_cmplt_build(void *buf, size_t len, uint32_t status,
			uint32_t addressing_reset);
int
rndis_indicate_status_build(void *buf, size_t len, uint32_t status,
			    const void *sbuf, uint32_t sbuf_len);

#endif /* RNDIS_MSG_H */
