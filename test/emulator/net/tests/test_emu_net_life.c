/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device and data-path life cycle: VF association and data-path
 * switching, the host-initiated VF removal, rescind and re-offer of the
 * whole device (also with a late ring file).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net_harness.h"

#define VF_SERIAL 0x10u

static int
setup_late_ring(void **state)
{
	const struct ng_opts o = { .max_version = NVSP_VERSION_61,
				   .ring_delay_ms = 200 };

	return ng_setup(state, &o);
}

static void
expect_vf_assoc(struct g *g, bool allocated, uint32_t serial)
{
	struct vmbus_pkt_info pi;
	struct nvsp_vf_info vi;
	uint8_t hdr[16];

	assert_int_equal(ng_recv_pkt(g, 0, &pi), 0);
	assert_int_equal(pi.type, VMBUS_PKT_DATA_INBAND);
	assert_int_equal(pi.trans_id, EMU_NET_XID_VF_ASSOC);
	assert_true(pi.flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED);
	assert_int_equal(nvsp_parse_vf_association(pi.payload, pi.payload_len, &vi), 0);
	assert_int_equal(vi.allocated, allocated);
	if (allocated)
		assert_int_equal(vi.serial, serial);
	/* The empty completion a guest owes; the host must swallow it. */
	assert_int_equal(vmbus_pkt_build_comp(hdr, sizeof(hdr), 0, pi.trans_id), 16);
	ng_send_pkt(g, 0, hdr, sizeof(hdr), NULL, 0);
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

static void
test_emu_net_vf_offer_and_switch(void **state)
{
	struct g *g = *state;
	const struct hv_bringup_result *r;
	struct vmbus_pkt_info pi;
	uint8_t hdr[16];

	assert_int_equal(emu_nic_vf_offer(g->nic, VF_SERIAL), 0);
	assert_int_equal(emu_nic_vf_offer(g->nic, VF_SERIAL), -EBUSY);
	/* Not before RNDIS INIT; right after its reply and link status,
	 * so the session (still querying) is the one that sees it. */
	ng_bring_up(g);
	r = hv_bringup_result(&g->sess.b);
	assert_true(r->valid & HV_BU_HAVE_VF);
	assert_true(r->vf_allocated);
	assert_int_equal(r->vf_serial, VF_SERIAL);
	/* The empty completion a guest owes; the host must swallow it. */
	assert_int_equal(vmbus_pkt_build_comp(hdr, sizeof(hdr), 0,
					      EMU_NET_XID_VF_ASSOC), 16);
	ng_send_pkt(g, 0, hdr, sizeof(hdr), NULL, 0);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
	/* No VF device behind the association (strict, as Azure): the
	 * switch is completed without switching. */
	switch_path(g, NVSP_DATAPATH_VF);
	assert_false(emu_nic_datapath_is_vf(g->nic));
	assert_true(ng_logged(g, "no VF device present: completed without switching"));
	switch_path(g, NVSP_DATAPATH_SYNTHETIC);
	assert_false(emu_nic_datapath_is_vf(g->nic));
	/* Host removes the VF: the guest is synthetic, so allocated = 0 only
	 * (test_emu_net_vf covers the SWITCH with a device). */
	assert_int_equal(emu_nic_vf_revoke(g->nic), 0);
	assert_false(emu_nic_datapath_is_vf(g->nic));
	expect_vf_assoc(g, false, 0);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
	assert_int_equal(emu_nic_vf_revoke(g->nic), -ENOENT);
	/* Offered while the guest is up: announced at once. */
	assert_int_equal(emu_nic_vf_offer(g->nic, VF_SERIAL + 1), 0);
	expect_vf_assoc(g, true, VF_SERIAL + 1);
	assert_int_equal(ng_protocol_errors(g), 0);
}

/* No association for a guest without SR-IOV or below NVSP 4. */
static void
test_emu_net_vf_not_announced(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;

	assert_int_equal(emu_nic_vf_offer(g->nic, VF_SERIAL), 0);
	ng_bring_up_with(g, NVSP_VERSION_61, NVSP_NDIS_CAP_IEEE8021Q);
	ng_pump(g);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
	/* Revoking a VF the guest never heard of sends nothing either. */
	assert_int_equal(emu_nic_vf_revoke(g->nic), 0);
	ng_pump(g);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
}

static void
test_emu_net_vf_old_nvsp(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;

	assert_int_equal(emu_nic_vf_offer(g->nic, VF_SERIAL), 0);
	ng_bring_up_with(g, NVSP_VERSION_2, NVSP_NDIS_CAP_SRIOV);
	ng_pump(g);
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
}

/* Whether devices/<guid><tail> exists under the instance root. */
static bool
exists(const struct g *g, const char *tail)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/sys/bus/vmbus/devices/%s%s",
		 emu_host_root(g->h), emu_dev_guid(g->dev), tail);
	return access(path, F_OK) == 0;
}

static const char ring_file[] = "/channels/15/ring";
static const char sub_file[] = "/channels/15/subchannel_id";

static void
rescind_with_guest(struct g *g)
{
	uint32_t v = 1;
	char c;

	ng_bring_up(g);
	ng_set_filter(g, RNDIS_PACKET_TYPE_DIRECTED);
	assert_int_equal(emu_nic_rescind(g->nic), 0);
	assert_int_equal(emu_nic_rescind(g->nic), -EPROTO);
	/* The guest's fd is dead (EOF/EPIPE, which the shim turns into EIO). */
	assert_int_equal(recv(g->sock, &c, 1, MSG_DONTWAIT), 0);
	assert_int_equal(send(g->sock, &v, sizeof(v), MSG_NOSIGNAL), -1);
	assert_int_equal(errno, EPIPE);
	close(g->sock);
	g->sock = -1;
	assert_false(emu_dev_is_open(g->dev));
	assert_int_equal(emu_nic_nchan(g->nic), 0);
	assert_false(exists(g, ""));
	assert_int_equal(emu_nic_rx(g->nic, g->pkt, 60), -ENETDOWN);
	ng_pump(g);
}

static void
test_emu_net_rescind_reoffer(void **state)
{
	struct g *g = *state;
	uint32_t old_gpadl = emu_dev_gpadl(g->dev, HV_UIO_MAP_RECV_BUF);
	uint8_t f[64];

	assert_int_equal(emu_nic_reoffer(g->nic), -EPROTO);
	rescind_with_guest(g);
	assert_int_equal(emu_nic_reoffer(g->nic), 0);
	assert_int_equal(emu_nic_reoffer(g->nic), -EPROTO);
	assert_true(exists(g, ring_file));
	/* New buffers, new GPADL handles; the old handle is refused. */
	assert_int_not_equal(emu_dev_gpadl(g->dev, HV_UIO_MAP_RECV_BUF), old_gpadl);
	ng_open_device(g);
	/* A fresh session: INIT is accepted again, nothing carried over. */
	ng_nvsp_init(g, NVSP_VERSION_61, NVSP_STATUS_SUCCESS);
	ng_nvsp_config(g, NVSP_NDIS_CAP_IEEE8021Q);
	assert_int_equal(ng_nvsp_recv_buf(g, old_gpadl), NVSP_STATUS_FAILURE);
	assert_int_equal(ng_nvsp_recv_buf(g, emu_dev_gpadl(g->dev, HV_UIO_MAP_RECV_BUF)),
			 NVSP_STATUS_SUCCESS);
	ng_nvsp_send_buf(g);
	ng_rndis_init(g);
	assert_int_equal(g->nic->filter, 0);
	ng_set_filter(g, RNDIS_PACKET_TYPE_DIRECTED);
	memset(f, 0x42, sizeof(f));
	memcpy(f, emu_dev_mac(g->dev), 6);
	assert_int_equal(emu_nic_rx(g->nic, f, sizeof(f)), 0);
	assert_true(ng_recv_rndis(g, 0, g->msg, sizeof(g->msg),
				  NVSP_CHANNEL_TYPE_DATA) > sizeof(f));
	assert_int_equal(ng_protocol_errors(g), 1); /* the old GPADL */
}

static void
test_emu_net_reoffer_late_ring(void **state)
{
	struct g *g = *state;
	uint64_t deadline;

	rescind_with_guest(g);
	assert_int_equal(emu_nic_reoffer(g->nic), 0);
	/* The channel directory is complete except for its ring... */
	assert_true(exists(g, sub_file));
	assert_false(exists(g, ring_file));
	/* ...and the device can be opened and used meanwhile. */
	ng_open_device(g);
	ng_nvsp_init(g, NVSP_VERSION_61, NVSP_STATUS_SUCCESS);
	deadline = emu_net_now_ns() + 10ull * 1000000000u;
	while (!exists(g, ring_file) && emu_net_now_ns() < deadline)
		assert_int_equal(emu_loop_run_once(emu_host_loop(g->h), 50), 0);
	assert_true(exists(g, ring_file));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_emu_net_vf_offer_and_switch,
						ng_setup_default, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_vf_not_announced,
						ng_setup_default, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_vf_old_nvsp,
						ng_setup_default, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_rescind_reoffer,
						ng_setup_default, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_reoffer_late_ring,
						setup_late_ring, ng_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
