/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Memory-ordering wrappers for fields shared with another party.
 *
 * The VMBus ring header is a plain struct of uint32_t fields in memory
 * that the other side of the channel (host or guest, another thread or
 * another process) reads and writes concurrently. These wrappers give each
 * access an explicit C11 memory-model meaning through the GCC/clang
 * __atomic builtins, which work on plain (non-_Atomic) objects, so the
 * wire structs stay layout-exact and shareable with the kernel glue.
 *
 * Every call site of an ordering wrapper says which other access it pairs
 * with and why.
 */
#ifndef HV_ATOMIC_H
#define HV_ATOMIC_H

#include <stdint.h>

/*
 * Single-copy-atomic load with no ordering: the value is read exactly
 * once (no tearing, no re-load by the compiler), nothing more.
 */
static inline uint32_t
hv_load_relaxed_u32(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* Single-copy-atomic store with no ordering. */
static inline void
hv_store_relaxed_u32(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

/*
 * Load-acquire: no later load or store of this thread can be performed
 * before it. Paired with a store-release (or a release fence followed by
 * a store) of the other party, everything that party wrote before its
 * release is visible after this load.
 */
static inline uint32_t
hv_load_acquire_u32(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/*
 * Store-release: no earlier load or store of this thread can be performed
 * after it. Publishes everything written before it to a party that
 * load-acquires the value.
 */
static inline void
hv_store_release_u32(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/*
 * Full fence: orders earlier stores before later loads (the only ordering
 * acquire/release does not give; mfence on x86). Needed by the
 * "store my flag, then look at yours" handshakes where each side must see
 * the other's store or have its own seen.
 */
static inline void
hv_fence_full(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/*
 * Read fence (acquire fence): later loads and stores are not performed
 * before earlier loads. Turns a preceding relaxed load into an acquire.
 */
static inline void
hv_fence_acquire(void)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
}

/*
 * Read-modify-write on 64-bit bitmap words and 32-bit counters shared by
 * several threads of one process (the send-section allocator). Each
 * returns the value before the operation.
 */
static inline uint64_t
hv_load_relaxed_u64(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* Acquire: a bit won here sees everything its last releaser wrote. */
static inline uint64_t
hv_fetch_or_acquire_u64(uint64_t *p, uint64_t v)
{
	return __atomic_fetch_or(p, v, __ATOMIC_ACQUIRE);
}

/* Release: what was written under the bit is published with its clear. */
static inline uint64_t
hv_fetch_and_release_u64(uint64_t *p, uint64_t v)
{
	return __atomic_fetch_and(p, v, __ATOMIC_RELEASE);
}

static inline uint32_t
hv_fetch_add_relaxed_u32(uint32_t *p, uint32_t v)
{
	return __atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

static inline uint32_t
hv_fetch_sub_relaxed_u32(uint32_t *p, uint32_t v)
{
	return __atomic_fetch_sub(p, v, __ATOMIC_RELAXED);
}

#endif /* HV_ATOMIC_H */
