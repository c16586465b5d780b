/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Compiler helpers for the wire headers and the protocol core.
 *
 * Kept free of libc and DPDK so the kernel glue and every userspace
 * component can include it.
 */
#ifndef HV_COMPILER_H
#define HV_COMPILER_H

#define HV_PACKED __attribute__((packed))
#define HV_ALIGNED(n) __attribute__((aligned(n)))

#define hv_likely(x) __builtin_expect(!!(x), 1)
#define hv_unlikely(x) __builtin_expect(!!(x), 0)

/* Every wire struct states its size once, next to its definition. */
#define HV_ASSERT_SIZE(type, size) \
	_Static_assert(sizeof(type) == (size), #type " must be " #size " bytes")

#define HV_ASSERT_OFFSET(type, member, off)                                 \
	_Static_assert(__builtin_offsetof(type, member) == (off),             \
		       #type "." #member " must be at offset " #off)

#define HV_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Round up to a multiple of a power of two. */
#define HV_ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))

/* All Hyper-V wire formats are little-endian; so is every host we run on. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "Hyper-V wire formats are little-endian; big-endian hosts are not supported"
#endif

#endif /* HV_COMPILER_H */
