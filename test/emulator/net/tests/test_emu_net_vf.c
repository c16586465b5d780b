/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The VF device behind the association (emu_vf.c), with a real veth
 * pair: it appears after the association (or before it), unicast to the
 * NIC's MAC goes through it once the guest switched, broadcast stays
 * synthetic, what the guest sends on it reaches the backend, and the
 * revoke follows Azure's order, gracefully or abruptly. Needs root (veth)
 * and libnl-route-3; skipped otherwise.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net_harness.h"

#define VF_SERIAL 0x10u
/* Hang guard of the waits below (never an assertion on timing). */
#define GUARD_MS 5000

static char gname[IFNAMSIZ], hname[IFNAMSIZ];

static int
setup(void **state)
{
	const struct ng_opts o = { .max_version = NVSP_VERSION_61 };
	struct emu_vf_config c;
	struct g *g;

	int rc;

	*state = NULL;
	if (geteuid() != 0) {
		print_message("skipped: needs root for the veth pair\n");
		return 0;
	}
	if (ng_setup(state, &o) != 0)
		return -1;
	g = *state;
	snprintf(gname, sizeof(gname), "evg%d", (int)getpid() % 100000);
	snprintf(hname, sizeof(hname), "evh%d", (int)getpid() % 100000);
	emu_vf_config_defaults(&c);
	strcpy(c.guest_ifname, gname);
	strcpy(c.host_ifname, hname);
	c.appear_ms = 0;
	c.grace_ms = 0;
	rc = emu_nic_vf_attach(g->nic, &c);
	if (rc == -ENOTSUP) {
		print_message("skipped: built without libnl-route-3\n");
		ng_teardown(state);
		*state = NULL;
		return 0;
	}
	return rc;
}

static int
teardown(void **state)
{
	int rc;

	if (*state == NULL)
		return 0;
	/* Frees the VF, which removes a netdev still there. */
	rc = ng_teardown(state);

	assert_int_equal(if_nametoindex(gname), 0);
	return rc;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void
expect_vf_assoc(struct g *g, bool allocated, uint32_t serial)
{
	struct vmbus_pkt_info pi;
	struct nvsp_vf_info vi;
	uint8_t hdr[16];

	assert_int_equal(ng_recv_pkt(g, 0, &pi), 0);
	assert_int_equal(pi.trans_id, EMU_NET_XID_VF_ASSOC);
	assert_int_equal(nvsp_parse_vf_association(pi.payload, pi.payload_len, &vi), 0);
	assert_int_equal(vi.allocated, allocated);
	if (allocated)
		assert_int_equal(vi.serial, serial);
	assert_int_equal(vmbus_pkt_build_comp(hdr, sizeof(hdr), 0, pi.trans_id), 16);
	ng_send_pkt(g, 0, hdr, sizeof(hdr), NULL, 0);
}

static void
expect_host_switch_back(struct g *g)
{
	struct vmbus_pkt_info pi;
	uint32_t dp;

	assert_int_equal(ng_recv_pkt(g, 0, &pi), 0);
	assert_int_equal(pi.trans_id, EMU_NET_XID_DATAPATH);
	assert_int_equal(nvsp_parse_switch_data_path(pi.payload, pi.payload_len, &dp), 0);
	assert_int_equal(dp, NVSP_DATAPATH_SYNTHETIC);
}

static void
switch_path(struct g *g, uint32_t dp)
{
	struct vmbus_pkt_info pi;
	uint8_t m[40];

	assert_int_equal(nvsp_build_switch_data_path(m, sizeof(m), dp), 40);
	ng_send_inband(g, 0, m, sizeof(m), 90 + dp, true);
	ng_expect_comp(g, 0, 90 + dp, &pi);
	assert_int_equal(pi.payload_len, 0);
}

static struct emu_vf_stats
vf_stats(const struct g *g)
{
	struct emu_vf_stats v;

	emu_nic_vf_stats(g->nic, &v);
	return v;
}

/* Pump until the guest's netdev exists and runs (or is gone), bounded
 * by GUARD_MS. */
static void
pump_until_netdev(struct g *g, bool present)
{
	uint64_t end = now_ms() + GUARD_MS;
	struct emu_vf_stats v;

	for (;;) {
		emu_nic_vf_stats(g->nic, &v);
		if ((if_nametoindex(gname) != 0) == present &&
		    (!present || v.present))
			break;
		if (now_ms() >= end)
			break;
		ng_pump(g);
	}
	assert_int_equal(if_nametoindex(gname) != 0, present);
	if (present)
		assert_true(v.present);
}

static int
guest_socket(void)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(ETH_P_ALL) };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));

	assert_true(fd >= 0);
	sll.sll_ifindex = (int)if_nametoindex(gname);
	assert_int_not_equal(sll.sll_ifindex, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0);
	return fd;
}

/* Next frame the guest's end received (incoming only). */
static ssize_t
guest_recv(int fd, uint8_t *buf, size_t len)
{
	uint64_t end = now_ms() + GUARD_MS;

	while (now_ms() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct sockaddr_ll sll;
		socklen_t sl = sizeof(sll);
		ssize_t n;

		(void)poll(&p, 1, 100);
		n = recvfrom(fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&sll, &sl);
		if (n > 0 && sll.sll_pkttype != PACKET_OUTGOING)
			return n;
	}
	return -1;
}

static size_t
frame_to(const struct g *g, uint8_t *f, const uint8_t *dst, uint8_t tag)
{
	size_t n = ng_tcp_frame(g, f, 100);

	memcpy(f, dst, 6);
	f[n - 1] = tag;
	return n;
}

/* Bring the guest up, offer, and wait for the device; switch to the VF. */
static void
up_and_switched(struct g *g)
{
	ng_bring_up(g);
	ng_set_filter(g, RNDIS_PACKET_TYPE_DIRECTED | RNDIS_PACKET_TYPE_BROADCAST);
	assert_int_equal(emu_nic_vf_offer(g->nic, VF_SERIAL), 0);
	expect_vf_assoc(g, true, VF_SERIAL);
	pump_until_netdev(g, true);
	switch_path(g, NVSP_DATAPATH_VF);
	assert_true(emu_nic_datapath_is_vf(g->nic));
	assert_true(vf_stats(g).steering);
}

static void
test_vf_steering_and_graceful_revoke(void **state)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct g *g = *state;
	uint8_t f[256], r[2048];
	struct vmbus_pkt_info pi;
	uint64_t syn;
	size_t n;
	int fd;
	char alias[64] = "";
	FILE *af;

	if (g == NULL)
		skip();
	up_and_switched(g);
	/* The guest can read the serial from the alias. */
	snprintf((char *)r, sizeof(r), "/sys/class/net/%s/ifalias", gname);
	af = fopen((char *)r, "r");
	assert_non_null(af);
	assert_non_null(fgets(alias, sizeof(alias), af));
	fclose(af);
	assert_string_equal(alias, "vf-serial:16\n");

	fd = guest_socket();
	syn = ng_qstats(g, 0).rx_packets;
	/* Unicast to the MAC: through the VF, with the MAC on its netdev. */
	n = frame_to(g, f, emu_nic_mac(g->nic), 1);
	assert_int_equal(emu_nic_rx(g->nic, f, n), 0);
	assert_int_equal(guest_recv(fd, r, sizeof(r)), (ssize_t)n);
	assert_memory_equal(r, f, n);
	assert_int_equal(vf_stats(g).rx, 1);
	assert_int_equal(ng_qstats(g, 0).rx_packets, syn);
	/* Broadcast: synthetic. */
	n = frame_to(g, f, bcast, 2);
	assert_int_equal(emu_nic_rx(g->nic, f, n), 0);
	assert_int_equal(ng_qstats(g, 0).rx_packets, syn + 1);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), 0);
	assert_int_equal(pi.type, VMBUS_PKT_DATA_XFER_PAGES);
	ng_ack(g, 0, pi.trans_id);
	assert_int_equal(vf_stats(g).rx, 1);
	/* What the guest sends on the VF reaches the backend. */
	n = frame_to(g, f, bcast, 3);
	memcpy(f + 6, emu_nic_mac(g->nic), 6);
	assert_int_equal(send(fd, f, n, 0), (ssize_t)n);
	{
		uint64_t end = now_ms() + GUARD_MS;

		while (g->cap.n == 0 && now_ms() < end)
			ng_pump(g);
	}
	assert_int_equal(g->cap.n, 1);
	assert_int_equal(g->cap.len[0], n);
	assert_memory_equal(g->cap.f[0], f, n);
	assert_int_equal(vf_stats(g).tx, 1);
	close(fd);

	/* Graceful revoke (grace 0): the VF goes first, then SWITCH back,
	 * then allocated = 0. */
	assert_int_equal(emu_nic_vf_revoke(g->nic), 0);
	assert_int_equal(if_nametoindex(gname), 0);
	expect_host_switch_back(g);
	expect_vf_assoc(g, false, 0);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
	assert_false(emu_nic_datapath_is_vf(g->nic));
	assert_false(vf_stats(g).steering);
	n = frame_to(g, f, emu_nic_mac(g->nic), 4);
	assert_int_equal(emu_nic_rx(g->nic, f, n), 0);
	assert_int_equal(ng_qstats(g, 0).rx_packets, syn + 2);
	assert_int_equal(vf_stats(g).removed, 1);

	/* Offered again: a new association and a new netdev. */
	assert_int_equal(emu_nic_vf_offer(g->nic, VF_SERIAL), 0);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), 0); /* the frame above */
	ng_ack(g, 0, pi.trans_id);
	expect_vf_assoc(g, true, VF_SERIAL);
	pump_until_netdev(g, true);
	assert_int_equal(vf_stats(g).appeared, 2);
	assert_int_equal(ng_protocol_errors(g), 0);
}

/* Grace: steering stops at once, the netdev goes later. */
static void
test_vf_graceful_grace(void **state)
{
	struct g *g = *state;
	uint8_t f[256];
	uint64_t syn;
	size_t n;

	if (g == NULL)
		skip();
	assert_int_equal(emu_nic_vf_set(g->nic, "grace-ms", "50"), 0);
	up_and_switched(g);
	syn = ng_qstats(g, 0).rx_packets;
	assert_int_equal(emu_nic_vf_revoke(g->nic), 0);
	assert_true(vf_stats(g).revoking);
	assert_false(vf_stats(g).steering);
	/* Still there, not steered to. */
	assert_int_not_equal(if_nametoindex(gname), 0);
	n = frame_to(g, f, emu_nic_mac(g->nic), 1);
	assert_int_equal(emu_nic_rx(g->nic, f, n), 0);
	assert_int_equal(ng_qstats(g, 0).rx_packets, syn + 1);
	/* A new offer waits for the revoke to end. */
	assert_int_equal(emu_nic_vf_offer(g->nic, VF_SERIAL), -EBUSY);
	pump_until_netdev(g, false);
	assert_false(vf_stats(g).revoking);
	assert_int_equal(vf_stats(g).rx_lost, 0);
}

/* Abrupt: the netdev goes at once; frames steered meanwhile are lost. */
static void
test_vf_abrupt_revoke(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;
	uint8_t f[256];
	uint64_t end;
	size_t n;

	if (g == NULL)
		skip();
	assert_int_equal(emu_nic_vf_set(g->nic, "lag-ms", "100"), 0);
	up_and_switched(g);
	assert_int_equal(emu_nic_vf_revoke_abrupt(g->nic), 0);
	assert_int_equal(if_nametoindex(gname), 0);
	assert_true(vf_stats(g).steering);
	n = frame_to(g, f, emu_nic_mac(g->nic), 1);
	assert_int_equal(emu_nic_rx(g->nic, f, n), 0);
	assert_int_equal(vf_stats(g).rx_lost, 1);
	/* Then SWITCH back and allocated = 0, in that order. */
	end = now_ms() + GUARD_MS;
	while (vf_stats(g).revoking && now_ms() < end)
		ng_pump(g);
	expect_host_switch_back(g);
	expect_vf_assoc(g, false, 0);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
	assert_false(vf_stats(g).steering);
}

/* Before the netdev exists the switch is completed without switching. */
static void
test_vf_switch_before_device(void **state)
{
	struct g *g = *state;

	if (g == NULL)
		skip();
	assert_int_equal(emu_nic_vf_set(g->nic, "appear-ms", "600000"), 0);
	ng_bring_up(g);
	assert_int_equal(emu_nic_vf_offer(g->nic, VF_SERIAL), 0);
	expect_vf_assoc(g, true, VF_SERIAL);
	ng_pump(g);
	assert_int_equal(if_nametoindex(gname), 0);
	switch_path(g, NVSP_DATAPATH_VF);
	assert_false(emu_nic_datapath_is_vf(g->nic));
	assert_true(ng_logged(g, "no VF device present: completed without switching"));
	assert_int_equal(vf_stats(g).switches_refused, 1);
	/* Revoked before it appeared: no device ever, association withdrawn. */
	assert_int_equal(emu_nic_vf_revoke(g->nic), 0);
	expect_vf_assoc(g, false, 0);
	assert_int_equal(vf_stats(g).appeared, 0);
}

/* "before": the netdev first (with another serial if asked), then the
 * association once the guest is up. */
static void
test_vf_netdev_before_association(void **state)
{
	struct g *g = *state;
	char path[128], alias[64] = "";
	uint8_t hdr[16];
	FILE *af;

	if (g == NULL)
		skip();
	assert_int_equal(emu_nic_vf_set(g->nic, "before", "1"), 0);
	assert_int_equal(emu_nic_vf_set(g->nic, "alias-serial", "17"), 0);
	assert_int_equal(emu_nic_vf_set(g->nic, "nonsense", "1"), -EINVAL);
	assert_int_equal(emu_nic_vf_offer(g->nic, VF_SERIAL), 0);
	assert_int_not_equal(if_nametoindex(gname), 0);
	snprintf(path, sizeof(path), "/sys/class/net/%s/ifalias", gname);
	af = fopen(path, "r");
	assert_non_null(af);
	assert_non_null(fgets(alias, sizeof(alias), af));
	fclose(af);
	assert_string_equal(alias, "vf-serial:17\n");
	pump_until_netdev(g, true);
	ng_bring_up(g);
	/* Announced during the session's queries: the session saw it. */
	assert_true(hv_bringup_result(&g->sess.b)->valid & HV_BU_HAVE_VF);
	assert_true(hv_bringup_result(&g->sess.b)->vf_allocated);
	assert_int_equal(hv_bringup_result(&g->sess.b)->vf_serial, VF_SERIAL);
	assert_int_equal(vmbus_pkt_build_comp(hdr, sizeof(hdr), 0,
					      EMU_NET_XID_VF_ASSOC), 16);
	ng_send_pkt(g, 0, hdr, sizeof(hdr), NULL, 0);
	switch_path(g, NVSP_DATAPATH_VF);
	assert_true(emu_nic_datapath_is_vf(g->nic));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_vf_steering_and_graceful_revoke,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_vf_graceful_grace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vf_abrupt_revoke, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vf_switch_before_device,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_vf_netdev_before_association,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
