/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host is as strict as Hyper-V's: planted guest bugs stall or fail
 * here with a named counter. Doorbells: a guest->host ring the host
 * found empty is read again only after the guest's signal. GPAs: a
 * virtual address in a GPA range is not guest memory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <time.h>

#include "net_harness.h"

/* Hang guard for waiting on the host's grace period, not a timing check. */
#define WAIT_NS (10ull * 1000000000u)

static void
send_init(struct g *g)
{
	uint8_t m[40];

	assert_int_equal(nvsp_build_init(m, sizeof(m), NVSP_VERSION_61), 40);
	ng_send_inband(g, 0, m, sizeof(m), 7, true);
}

/* Run the host until queue 0 counts a missed doorbell (or the guard). */
static void
pump_until_missed(struct g *g)
{
	uint64_t deadline = emu_net_now_ns() + WAIT_NS;
	struct timespec ms = { 0, 1000000 };

	while (ng_qstats(g, 0).missed_doorbells == 0 &&
	       emu_net_now_ns() < deadline) {
		ng_pump(g);
		nanosleep(&ms, NULL);
	}
}

static void
test_emu_net_mute_guest_stalls(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;
	uint8_t *ip = emu_dev_map(g->dev, HV_UIO_MAP_INT_PAGE, NULL);
	uint32_t relid = emu_chan_relid(emu_dev_primary(g->dev));

	g->mute = true;
	send_init(g);
	/* An interrupt-page bit is no doorbell: no hypercall delivers it. */
	assert_non_null(ip);
	((uint32_t *)(void *)(ip + VMBUS_INT_PAGE_SEND_OFFSET))[relid / 32] |=
		1u << (relid % 32);
	pump_until_missed(g);
	assert_int_equal(ng_qstats(g, 0).missed_doorbells, 1);
	assert_true(ng_logged(g, "nic0: relid 15: missed doorbell: 64 bytes left in the guest->host ring without a signal"));
	/* Stalled: INIT was never read, so never answered. */
	assert_int_equal(ng_recv_pkt(g, 0, &pi), -EAGAIN);
	assert_int_equal(ng_qstats(g, 0).completions_sent, 0);
	/* The late doorbell wakes the host; the stall was counted once. */
	ng_doorbell(g, 0);
	ng_pump(g);
	ng_expect_comp(g, 0, 7, &pi);
	assert_int_equal(ng_qstats(g, 0).missed_doorbells, 1);
}

static void
test_emu_net_signalling_guest_served(void **state)
{
	struct g *g = *state;

	/* ng_send_pkt rings when vmbus_ring_write says so: every reply
	 * comes without any missed doorbell. */
	ng_bring_up(g);
	assert_int_equal(ng_qstats(g, 0).missed_doorbells, 0);
	assert_true(ng_qstats(g, 0).doorbells > 0);
}

/* An RNDIS query whose GPA range names page pfn, completed with *status. */
static void
query_at(struct g *g, uint64_t pfn, uint8_t *page, uint64_t id,
	 uint32_t *status)
{
	struct vmbus_pkt_page pg = { .pfn = pfn };
	uint8_t hdr[64], m[40];
	int len, hl;

	len = rndis_query_req_build(page, HV_PAGE_SIZE, ++g->rid,
				    RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE, NULL, 0);
	assert_true(len > 0);
	pg.byte_count = (uint32_t)len;
	assert_int_equal(nvsp_build_rndis_pkt(m, sizeof(m), NVSP_CHANNEL_TYPE_CONTROL,
					      NVSP_SECTION_INDEX_NONE, 0), 40);
	hl = vmbus_pkt_build_gpa_pages(hdr, sizeof(hdr), &pg, 1, sizeof(m), id,
				       VMBUS_PKT_FLAG_COMPLETION_REQUESTED);
	assert_true(hl > 0);
	ng_send_pkt(g, 0, hdr, (size_t)hl, m, sizeof(m));
	*status = ng_expect_tx_comp(g, 0, id);
}

static void
test_emu_net_va_in_gpa_range(void **state)
{
	struct g *g = *state;
	uint8_t *page = g->mem + 20 * HV_PAGE_SIZE;
	struct emu_nic_stats st;
	uint32_t status;

	ng_bring_up(g);
	emu_nic_stats(g->nic, &st);
	assert_int_equal(st.gpa_invalid, 0);
	/* Planted bug: the buffer's virtual page number as its GPA. */
	query_at(g, (uint64_t)(uintptr_t)page / HV_PAGE_SIZE, page, 0x77, &status);
	assert_int_equal(status, NVSP_STATUS_FAILURE);
	emu_nic_stats(g->nic, &st);
	assert_int_equal(st.gpa_invalid, 1);
	assert_true(ng_logged(g, "is not guest memory the host can reach"));
	/* The same request by its guest-physical page is served. */
	query_at(g, ng_gpa_page(g, page), page, 0x78, &status);
	assert_int_equal(status, NVSP_STATUS_SUCCESS);
	emu_nic_stats(g->nic, &st);
	assert_int_equal(st.gpa_invalid, 1);
}

static int
setup_poll(void **state)
{
	const struct ng_opts o = { .max_version = NVSP_VERSION_61,
				   .doorbell_poll = true };

	return ng_setup(state, &o);
}

static void
test_emu_net_poll_leniency(void **state)
{
	struct g *g = *state;
	struct vmbus_pkt_info pi;

	/* --doorbell-mode=poll: the same mute guest is answered at once. */
	g->mute = true;
	send_init(g);
	ng_expect_comp(g, 0, 7, &pi);
	assert_int_equal(ng_qstats(g, 0).missed_doorbells, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_emu_net_mute_guest_stalls,
						ng_setup_default, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_signalling_guest_served,
						ng_setup_default, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_poll_leniency,
						setup_poll, ng_teardown),
		cmocka_unit_test_setup_teardown(test_emu_net_va_in_gpa_range,
						ng_setup_default, ng_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
