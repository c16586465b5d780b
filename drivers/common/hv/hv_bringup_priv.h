/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private glue between the two halves of the session: hv_bringup.c
 * (ops, requests, the step) and hv_bringup_rx.c (answers, notes,
 * timeouts). Not for callers.
 */
#ifndef HV_BRINGUP_PRIV_H
#define HV_BRINGUP_PRIV_H

#include "hv_bringup.h"

/* Queries of the bring-up, in order. */
struct hv_bu_query {
	uint32_t oid;
	bool required;
	uint32_t min_version; /* NVSP version below which it is skipped */
};

#define HV_BU_NQUERIES 6u
extern const struct hv_bu_query hv_bu_queries[HV_BU_NQUERIES];

/* End the current op with an error (reported by the next step). */
void
hv_bu_fail(struct hv_bringup *b, uint32_t error, int err);

/* Move to state; its request is built by the next step. */
void
hv_bu_enter(struct hv_bringup *b, uint32_t state);

bool
hv_bu_op_running(const struct hv_bringup *b);

/* Apply one host message or timeout: 0 or -errno (refused, counted). */
int
hv_bu_on_input(struct hv_bringup *b, const struct hv_bu_in *in);

#endif /* HV_BRINGUP_PRIV_H */
