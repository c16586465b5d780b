/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A scripted guest against the host network service, in one process:
 * the emulated host runs on the test's thread (ng_pump runs a few loop
 * iterations), the "guest" opens /dev/uio0 over the emulator's socket,
 * hands over memory, and speaks NVSP/RNDIS through the test guest
 * library (test/emulator/tests/tguest.h: the core's ring, packet and
 * message code, validators checked) on the rings the kernel face
 * created. ng_bring_up* bring the NIC up with the core's step function
 * (hv_bringup), as the PMD does; the single-step helpers below
 * (ng_nvsp_init, ng_rndis_init, ...) exist for tests that plant a guest
 * bug or provoke a host fault at one step. Shared by the emu_net_* test
 * programs.
 */
#ifndef NET_HARNESS_H
#define NET_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu_net_priv.h"
#include "tguest.h"

#define NG_MEM_SIZE (1u << 20)
/* Guest-physical page of g->mem's first page: GPA != VA, as on Hyper-V. */
#define NG_GPA_PAGE 0x80000123ull
#define NG_MAX_CAP 64
/* Frames the capture backend keeps: up to a jumbo frame. */
#define NG_CAP_FRAME 9216u
#define NG_MAX_LOG 64
#define NG_SECTION 6144u

/* Backend that keeps what the guest sent. */
struct ng_cap {
	struct emu_backend be;
	unsigned int n;
	unsigned int bursts;	/* xmit_burst calls */
	/* xmit_held / xmit_burst_held: frames held now and in all; release
	 * calls; releases that came after a completion left while frames
	 * were held (the NIC's rule: never). */
	unsigned int held, held_total, releases, late;
	uint64_t comps_at_hold;	/* completions sent at the first hold */
	size_t len[NG_MAX_CAP];
	uint8_t f[NG_MAX_CAP][NG_CAP_FRAME];
};

struct g {
	struct emu_host *h;
	struct emu_dev *dev;
	struct emu_nic *nic;
	int sock;
	uint8_t *mem;          /* guest memory handed to the host */
	uint8_t *recvbuf, *sendbuf;
	size_t recv_size;
	struct vmbus_ring tx[EMU_NET_MAX_QUEUES], rx[EMU_NET_MAX_QUEUES];
	struct tg_chan chan[EMU_NET_MAX_QUEUES]; /* over tx[q], rx[q] */
	struct ng_bell { struct g *g; unsigned int q; } bell[EMU_NET_MAX_QUEUES];
	struct tg_session sess;  /* ng_bring_up*, ng_session_* */
	uint32_t version;
	uint32_t rid;
	char log[NG_MAX_LOG][512];
	unsigned int nlog;
	struct ng_cap cap;
	uint8_t pkt[65536];
	uint8_t msg[4096];
	bool mute;             /* planted bug: never ring the doorbell */
	bool gpa_is_va;        /* ng_gpa_page gives VA page numbers */
};

struct ng_opts {
	uint32_t max_version;      /* host's highest NVSP version */
	unsigned int ring_delay_ms; /* reoffer_ring_delay_ms */
	size_t ring_size;           /* per direction; 0 = 256 KiB */
	uint32_t lenient;           /* EMU_LENIENT_*; 0 = strict */
	unsigned int subch_delay_ms; /* offers after the completion */
	unsigned int subch_grant_max;
	bool txtbl_offset_quirk;
	uint32_t resp_size_pre61;   /* 0 = the default (40) */
	bool doorbell_poll;         /* leniency: read rings without signals */
	bool gpa_is_va;             /* leniency: GPA = VA (--gpa-mode=va) */
	/*
	 * Host settings over the harness defaults (which are the service's
	 * defaults, but send completions without delay so that a test sees
	 * them after one ng_pump). May be NULL.
	 */
	void (*net_cfg)(struct emu_net_config *nc);
};

/* Host, service, capture backend, guest memory; the guest opens uio0. */
int ng_setup(void **state, const struct ng_opts *o);
int ng_setup_default(void **state);
int ng_teardown(void **state);

void ng_pump(struct g *g);
/* What the shim does in open("/dev/uio0"), then the primary's rings. */
void ng_open_device(struct g *g);
void ng_attach_rings(struct g *g, unsigned int q);
bool ng_logged(const struct g *g, const char *needle);
uint64_t ng_protocol_errors(const struct g *g);
struct emu_chan_stats ng_qstats(const struct g *g, unsigned int q);

/* GPA page number of p (inside g->mem), as a driver's IOVA gives it. */
uint64_t ng_gpa_page(const struct g *g, const void *p);

/* Guest side of the channel. */
/* Ring channel q's doorbell (its monitor-page bit), as a driver must
 * when vmbus_ring_write asks for it. */
void ng_doorbell(struct g *g, unsigned int q);
void ng_send_pkt(struct g *g, unsigned int q, const void *hdr, size_t hlen,
		 const void *msg, size_t mlen);
void ng_send_inband(struct g *g, unsigned int q, const void *msg, size_t len,
		    uint64_t id, bool rc);
/* Next packet from the host on queue q, or -EAGAIN. */
int ng_recv_pkt(struct g *g, unsigned int q, struct vmbus_pkt_info *pi);
void ng_expect_comp(struct g *g, unsigned int q, uint64_t id,
		    struct vmbus_pkt_info *pi);
/* NVSP status of the RNDIS_PKT completion for id. */
uint32_t ng_expect_tx_comp(struct g *g, unsigned int q, uint64_t id);
void ng_ack(struct g *g, unsigned int q, uint64_t id);
/* Next transfer-page packet on q (completions skipped): copy, then ACK. */
uint32_t ng_recv_rndis(struct g *g, unsigned int q, uint8_t *out,
		       size_t out_len, uint32_t want_type);

/* NVSP set-up steps. */
void ng_nvsp_init(struct g *g, uint32_t version, uint32_t expect_status);
void ng_nvsp_config(struct g *g, uint64_t caps);
uint32_t ng_nvsp_recv_buf(struct g *g, uint32_t gpadl);
void ng_nvsp_send_buf(struct g *g);

/* RNDIS control, the DPDK way: one GPA page, trans_id 0. */
void ng_rndis_send(struct g *g, const void *req, int len);
uint32_t ng_rndis_query(struct g *g, uint32_t oid, void *out, uint32_t out_len);
uint32_t ng_rndis_set(struct g *g, uint32_t oid, const void *info, uint32_t len);
void ng_expect_indication(struct g *g, uint32_t status);
void ng_rndis_init(struct g *g);
void ng_set_filter(struct g *g, uint32_t filter);

/*
 * The session (hv_bringup) over queue 0, as the PMD configures it:
 * both buffers, RNDIS messages in guest page 16 (by its GPA).
 */
void ng_session_cfg(struct g *g, struct hv_bringup_cfg *cfg);
/* tg_session_run on g->sess; fails the test with s->why unless 0. */
void ng_session_ok(struct g *g, int rc);

/* The core's bring-up at exactly version with NDIS caps: NVSP, both
 * buffers, RNDIS INIT and the queries; every reply validated. */
void ng_bring_up_with(struct g *g, uint32_t version, uint64_t caps);
/*
 * The same steps one by one (NVSP INIT, NDIS config and version, both
 * buffers, RNDIS INIT, nothing after), for a test that must see exactly
 * what the host sends next (the session's queries would consume it).
 */
void ng_bring_up_by_hand(struct g *g, uint32_t version, uint64_t caps);
/* NVSP 6.1 with VLAN and SR-IOV caps. */
void ng_bring_up(struct g *g);

/* Ethernet + IPv4 + TCP frame to the NIC's MAC; returns its length. */
size_t ng_tcp_frame(const struct g *g, uint8_t *f, size_t payload);

#endif /* NET_HARNESS_H */
