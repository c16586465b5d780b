/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the emulator's pure parts: shim path/mmap rules, guest memory. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "emu_guestmem.h"
#include "shim_path.h"

static void
test_emu_path_rewrite_prefixes(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(shim_path_rewrite("/r", "/sys/bus/vmbus/devices", out,
					   sizeof(out)), 1);
	assert_string_equal(out, "/r/sys/bus/vmbus/devices");
	assert_int_equal(shim_path_rewrite("/r", "/sys/bus/vmbus", out, sizeof(out)), 1);
	assert_int_equal(shim_path_rewrite("/r", "/sys/class/uio/uio3", out,
					   sizeof(out)), 1);
	assert_string_equal(out, "/r/sys/class/uio/uio3");
	assert_int_equal(shim_path_rewrite("/r", "/dev/uio12", out, sizeof(out)), 1);
	assert_string_equal(out, "/r/dev/uio12");
}

static void
test_emu_path_rewrite_leaves_others(void **state)
{
	char out[64] = "untouched";

	(void)state;
	/* Component boundaries matter: vmbus2 and uio0x are other names. */
	assert_int_equal(shim_path_rewrite("/r", "/sys/bus/vmbus2", out, sizeof(out)), 0);
	assert_int_equal(shim_path_rewrite("/r", "/sys/bus/pci/devices", out,
					   sizeof(out)), 0);
	assert_int_equal(shim_path_rewrite("/r", "/dev/uio0x", out, sizeof(out)), 0);
	assert_int_equal(shim_path_rewrite("/r", "/dev/uio", out, sizeof(out)), 0);
	assert_int_equal(shim_path_rewrite("/r", "/dev/uio01", out, sizeof(out)), 0);
	assert_int_equal(shim_path_rewrite("/r", "sys/bus/vmbus", out, sizeof(out)), 0);
	assert_int_equal(shim_path_rewrite(NULL, "/sys/bus/vmbus", out, sizeof(out)), 0);
	assert_string_equal(out, "untouched");
}

static void
test_emu_path_rewrite_too_long(void **state)
{
	char out[20];

	(void)state;
	assert_int_equal(shim_path_rewrite("/root", "/sys/bus/vmbus/devices", out,
					   sizeof(out)), -ENAMETOOLONG);
	/* Exactly fitting (with NUL) is fine. */
	assert_int_equal(shim_path_rewrite("/r", "/sys/class/uio", out, 17), 1);
	assert_int_equal(shim_path_rewrite("/r", "/sys/class/uio", out, 16),
			 -ENAMETOOLONG);
}

static void
test_emu_path_uio_index(void **state)
{
	unsigned int idx = 99;

	(void)state;
	assert_true(shim_path_uio_index("/dev/uio0", &idx));
	assert_int_equal(idx, 0);
	assert_true(shim_path_uio_index("/dev/uio65535", &idx));
	assert_int_equal(idx, 65535);
	assert_false(shim_path_uio_index("/dev/uio65536", &idx));
	assert_false(shim_path_uio_index("/dev/uio-1", &idx));
	assert_false(shim_path_uio_index("/dev/uio0/", &idx));
}

static void
test_emu_path_strip_root(void **state)
{
	char p[64];

	(void)state;
	strcpy(p, "/r/sys/bus/vmbus/devices/x");
	shim_path_strip_root("/r", p);
	assert_string_equal(p, "/sys/bus/vmbus/devices/x");
	strcpy(p, "/r/regions/uio0/map0");
	shim_path_strip_root("/r", p);
	assert_string_equal(p, "/r/regions/uio0/map0");
	strcpy(p, "/rr/sys/bus/vmbus");
	shim_path_strip_root("/r", p);
	assert_string_equal(p, "/rr/sys/bus/vmbus");
}

static void
test_emu_mmap_index(void **state)
{
	unsigned int idx = 77;

	(void)state;
	assert_int_equal(shim_uio_mmap_index(3 * 4096, 4096, MAP_SHARED, 4096, 5, &idx), 0);
	assert_int_equal(idx, 3);
	assert_int_equal(shim_uio_mmap_index(0, 1, MAP_SHARED_VALIDATE, 4096, 5, &idx), 0);
	assert_int_equal(idx, 0);
	assert_int_equal(shim_uio_mmap_index(5 * 4096, 4096, MAP_SHARED, 4096, 5, &idx),
			 -EINVAL);
	assert_int_equal(shim_uio_mmap_index(4096 + 8, 4096, MAP_SHARED, 4096, 5, &idx),
			 -EINVAL);
	assert_int_equal(shim_uio_mmap_index(0, 4096, MAP_PRIVATE, 4096, 5, &idx),
			 -EINVAL);
	assert_int_equal(shim_uio_mmap_index(0, 0, MAP_SHARED, 4096, 5, &idx), -EINVAL);
	/* A huge offset must not wrap into a small index. */
	assert_int_equal(shim_uio_mmap_index(UINT64_MAX & ~4095ull, 4096, MAP_SHARED,
					     4096, 5, &idx), -EINVAL);
}

static void
test_emu_mmap_len(void **state)
{
	(void)state;
	assert_int_equal(shim_uio_mmap_len_ok(8192, 8192, 4096), 0);
	assert_int_equal(shim_uio_mmap_len_ok(8193, 8192, 4096), -EINVAL);
	/* A 2 KiB region still maps one whole page, not more. */
	assert_int_equal(shim_uio_mmap_len_ok(4096, 2048, 4096), 0);
	assert_int_equal(shim_uio_mmap_len_ok(4097, 2048, 4096), -EINVAL);
	assert_int_equal(shim_uio_mmap_len_ok(4096, 0, 4096), -EINVAL);
}

static uint8_t mem_a[3 * 4096] __attribute__((aligned(4096)));
static uint8_t mem_b[4096] __attribute__((aligned(4096)));

static void
test_emu_guestmem_bounds(void **state)
{
	struct emu_guestmem gm;
	const uint64_t va = 0x100000000ull;

	(void)state;
	emu_guestmem_init(&gm);
	assert_int_equal(emu_guestmem_add_ptr(&gm, va, sizeof(mem_a), mem_a), 0);
	assert_int_equal(emu_guestmem_add_ptr(&gm, va + 0x10000, sizeof(mem_b), mem_b), 0);
	/* Strict: without a page table no GPA is guest memory. */
	assert_null(emu_guestmem_translate(&gm, va >> 12, 0, 1));
	/* The leniency: GPA = VA. */
	gm.gpa_is_va = true;
	assert_ptr_equal(emu_guestmem_translate(&gm, va >> 12, 0, 1), mem_a);
	assert_ptr_equal(emu_guestmem_translate(&gm, (va >> 12) + 2, 4095, 1),
			 mem_a + 3 * 4096 - 1);
	/* One byte past the end, and a span crossing the end. */
	assert_null(emu_guestmem_translate(&gm, (va >> 12) + 3, 0, 1));
	assert_null(emu_guestmem_translate(&gm, (va >> 12) + 2, 4000, 200));
	assert_null(emu_guestmem_translate(&gm, (va >> 12) - 1, 4095, 2));
	assert_null(emu_guestmem_translate(&gm, va >> 12, 0, 0));
	/* Offsets larger than a page are allowed, within the range. */
	assert_ptr_equal(emu_guestmem_translate(&gm, va >> 12, 4096 + 5, 10),
			 mem_a + 4096 + 5);
	assert_ptr_equal(emu_guestmem_va(&gm, va + 0x10000 + 100, 10), mem_b + 100);
	/* The gap between the ranges is not guest memory. */
	assert_null(emu_guestmem_va(&gm, va + 0x8000, 1));
	/* Overflowing inputs. */
	assert_null(emu_guestmem_translate(&gm, UINT64_MAX, 0, 1));
	assert_null(emu_guestmem_va(&gm, UINT64_MAX - 2, 10));
	emu_guestmem_clear(&gm);
	assert_null(emu_guestmem_va(&gm, va, 1));
}

/* GPAs go through the guest's page table only, extent by extent. */
static uint8_t mem_c[4096] __attribute__((aligned(4096)));

/* The last-hit hints are only hints: after the table changes under them
 * (indexes shift, entries go) every answer is still the table's. */
static void
test_emu_guestmem_stale_hint(void **state)
{
	struct emu_guestmem gm;
	const uint64_t va = 0x100000000ull;
	struct emu_frame_extent e = { .gpa_page = 0x500, .npages = 3, .va = va };

	(void)state;
	emu_guestmem_init(&gm);
	assert_int_equal(emu_guestmem_add_ptr(&gm, va, sizeof(mem_a), mem_a), 0);
	assert_int_equal(emu_guestmem_add_ptr(&gm, va + 0x10000, sizeof(mem_b), mem_b), 0);
	/* Hint on mem_b (index 1). */
	assert_ptr_equal(emu_guestmem_va(&gm, va + 0x10000 + 8, 8), mem_b + 8);
	/* A range below both: mem_b moves to index 2, index 1 is mem_a. */
	assert_int_equal(emu_guestmem_add_ptr(&gm, va - 0x10000, sizeof(mem_c), mem_c), 0);
	assert_ptr_equal(emu_guestmem_va(&gm, va + 0x10000 + 8, 8), mem_b + 8);
	assert_ptr_equal(emu_guestmem_va(&gm, va + 4096, 8), mem_a + 4096);
	assert_ptr_equal(emu_guestmem_va(&gm, va - 0x10000, 4096), mem_c);
	/* A span leaving the hinted range is refused, not clipped. */
	assert_null(emu_guestmem_va(&gm, va - 0x10000 + 4000, 200));
	/* Extents: hint on the first, then the table replaced. */
	assert_int_equal(emu_guestmem_add_frames(&gm, &e, 1), 0);
	assert_ptr_equal(emu_guestmem_translate(&gm, 0x501, 4, 4), mem_a + 4096 + 4);
	e.gpa_page = 0x400;
	e.npages = 1;
	assert_int_equal(emu_guestmem_add_frames(&gm, &e, 1), 0);
	assert_ptr_equal(emu_guestmem_translate(&gm, 0x501, 4, 4), mem_a + 4096 + 4);
	assert_ptr_equal(emu_guestmem_translate(&gm, 0x400, 4, 4), mem_a + 4);
	assert_null(emu_guestmem_translate(&gm, 0x401, 0, 1));
	/* Everything gone: a hint past the end finds nothing. */
	emu_guestmem_clear(&gm);
	assert_null(emu_guestmem_va(&gm, va + 0x10000 + 8, 8));
	assert_null(emu_guestmem_translate(&gm, 0x501, 4, 4));
}

static void
test_emu_guestmem_frames(void **state)
{
	struct emu_guestmem gm;
	const uint64_t va = 0x100000000ull, gpa = 0x80012345ull;
	/* mem_a's pages 0-1 at gpa..gpa+1, page 2 far away at gpa - 7. */
	const struct emu_frame_extent e[2] = {
		{ .gpa_page = gpa, .npages = 2, .va = va },
		{ .gpa_page = gpa - 7, .npages = 1, .va = va + 2 * 4096 },
	};
	const struct emu_frame_extent bad[3] = {
		{ .gpa_page = 1, .npages = 0, .va = va },
		{ .gpa_page = 1, .npages = 1, .va = va + 1 },
		{ .gpa_page = UINT64_MAX >> 12, .npages = 2, .va = va },
	};
	unsigned int i;

	(void)state;
	emu_guestmem_init(&gm);
	assert_int_equal(emu_guestmem_add_ptr(&gm, va, sizeof(mem_a), mem_a), 0);
	assert_int_equal(emu_guestmem_add_frames(&gm, e, 2), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(emu_guestmem_add_frames(&gm, &bad[i], 1), -EINVAL);
	assert_ptr_equal(emu_guestmem_translate(&gm, gpa, 5, 1), mem_a + 5);
	assert_ptr_equal(emu_guestmem_translate(&gm, gpa + 1, 0, 4096), mem_a + 4096);
	assert_ptr_equal(emu_guestmem_translate(&gm, gpa - 7, 0, 4096),
			 mem_a + 2 * 4096);
	/* Virtually contiguous is not physically contiguous. */
	assert_null(emu_guestmem_translate(&gm, gpa + 1, 4000, 200));
	assert_null(emu_guestmem_translate(&gm, gpa + 2, 0, 1));
	/* The virtual address itself is no GPA. */
	assert_null(emu_guestmem_translate(&gm, va >> 12, 0, 1));
	/* A frame whose virtual page was never handed over. */
	const struct emu_frame_extent far = { .gpa_page = 5, .npages = 1,
					      .va = va + 0x100000 };

	assert_int_equal(emu_guestmem_add_frames(&gm, &far, 1), 0);
	assert_null(emu_guestmem_translate(&gm, 5, 0, 1));
	emu_guestmem_clear(&gm);
	assert_null(emu_guestmem_translate(&gm, gpa, 5, 1));
}

static void
test_emu_guestmem_replace_and_reject(void **state)
{
	struct emu_guestmem gm;
	unsigned int i;

	(void)state;
	emu_guestmem_init(&gm);
	assert_int_equal(emu_guestmem_add_ptr(&gm, 0x1000, 100, mem_a), -EINVAL);
	assert_int_equal(emu_guestmem_add_ptr(&gm, 0x1001, 4096, mem_a), -EINVAL);
	assert_int_equal(emu_guestmem_add_ptr(&gm, UINT64_MAX & ~4095ull, 8192, mem_a),
			 -EINVAL);
	assert_int_equal(emu_guestmem_add_ptr(&gm, 0x10000, 8192, mem_a), 0);
	/* Identical range again: kept once. */
	assert_int_equal(emu_guestmem_add_ptr(&gm, 0x10000, 8192, mem_b), 0);
	assert_int_equal(gm.n, 1);
	assert_ptr_equal(emu_guestmem_va(&gm, 0x10000, 1), mem_a);
	/* Overlapping differently: the guest remapped, the new one wins. */
	assert_int_equal(emu_guestmem_add_ptr(&gm, 0x11000, 4096, mem_b), 0);
	assert_int_equal(gm.n, 1);
	assert_ptr_equal(emu_guestmem_va(&gm, 0x11000, 1), mem_b);
	assert_null(emu_guestmem_va(&gm, 0x10000, 1));
	for (i = 1; i < EMU_GUESTMEM_MAX; i++)
		assert_int_equal(emu_guestmem_add_ptr(&gm, 0x100000 + i * 0x2000ull,
						      4096, mem_a), 0);
	assert_int_equal(emu_guestmem_add_ptr(&gm, 0x900000, 4096, mem_a), -ENOBUFS);
	/* Sorted for the binary search, whatever the insertion order. */
	for (i = 1; i < gm.n; i++)
		assert_true(gm.r[i - 1].va < gm.r[i].va);
	emu_guestmem_clear(&gm);
}

/* A guest fd shorter than the range it claims would SIGBUS the host. */
static void
test_emu_guestmem_fd_must_cover_range(void **state)
{
	struct emu_mem_range r = { .va = 0x200000, .len = 8192, .file_off = 0 };
	struct emu_guestmem gm;
	FILE *f = tmpfile();
	int pfd[2];
	uint8_t *p;

	(void)state;
	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), 8192), 0);
	emu_guestmem_init(&gm);
	r.len = 16384;
	assert_int_equal(emu_guestmem_add_fd(&gm, &r, fileno(f)), -EINVAL);
	r.len = 8192;
	r.file_off = 4096;
	assert_int_equal(emu_guestmem_add_fd(&gm, &r, fileno(f)), -EINVAL);
	assert_int_equal(gm.n, 0);
	r.file_off = 0;
	assert_int_equal(emu_guestmem_add_fd(&gm, &r, fileno(f)), 0);
	p = emu_guestmem_va(&gm, r.va + 8191, 1);
	assert_non_null(p);
	*p = 0x5a; /* the last byte is backed: no SIGBUS */
	assert_null(emu_guestmem_va(&gm, r.va + 8192, 1));
	/* Not a file at all. */
	assert_int_equal(pipe(pfd), 0);
	r.va = 0x400000;
	r.len = 4096;
	assert_int_equal(emu_guestmem_add_fd(&gm, &r, pfd[0]), -EINVAL);
	assert_int_equal(gm.n, 1);
	emu_guestmem_clear(&gm);
	close(pfd[0]);
	close(pfd[1]);
	fclose(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emu_path_rewrite_prefixes),
		cmocka_unit_test(test_emu_path_rewrite_leaves_others),
		cmocka_unit_test(test_emu_path_rewrite_too_long),
		cmocka_unit_test(test_emu_path_uio_index),
		cmocka_unit_test(test_emu_path_strip_root),
		cmocka_unit_test(test_emu_mmap_index),
		cmocka_unit_test(test_emu_mmap_len),
		cmocka_unit_test(test_emu_guestmem_bounds),
		cmocka_unit_test(test_emu_guestmem_stale_hint),
		cmocka_unit_test(test_emu_guestmem_frames),
		cmocka_unit_test(test_emu_guestmem_replace_and_reject),
		cmocka_unit_test(test_emu_guestmem_fd_must_cover_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
