/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Channel geometry: where things are in the memory a channel shares with
 * the host, computed once here for the bus, the emulator and the tests.
 *
 * Ring region (UIO map 0 of the primary channel, or a subchannel's
 * "ring" file): the guest->host (Tx) ring in the first half, the
 * host->guest (Rx) ring in the second; each is a header page and its
 * data area. The data area starts one *system* page after the header
 * (64 KiB-page guests keep the header page apart; the host only uses
 * the first 4 KiB), so both the region and each half must be multiples
 * of the system page and of the Hyper-V page.
 *
 * Doorbells: a channel with a monitor id is signalled through bit
 * id % 32 of trigger group id / 32 of the monitor page (UIO map 2); one
 * without, through bit relid % 32 of u32 word relid / 32 of the
 * guest->host half of the interrupt page (UIO map 1).
 */
#ifndef HV_CHAN_GEOM_H
#define HV_CHAN_GEOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmbus_wire.h"

struct hv_chan_geom {
	struct vmbus_ring_hdr *tx_hdr; /* guest -> host */
	uint8_t *tx_data;
	struct vmbus_ring_hdr *rx_hdr; /* host -> guest */
	uint8_t *rx_data;
	uint32_t data_size;            /* of each data area */
	size_t page_size;              /* system page the split used */
};

/*
 * Is size a valid ring region for this system page size (a power of two
 * >= HV_PAGE_SIZE)? 0 or -EINVAL: odd size, halves not page multiples,
 * no room for data after the header, or data areas over 4 GiB.
 */
int
hv_chan_ring_size_check(uint64_t size, size_t page_size);

/* Split the ring region at base into its two rings: 0 or -EINVAL. */
int
hv_chan_split(void *base, size_t size, size_t page_size,
	      struct hv_chan_geom *g);

/*
 * Both ring headers as a channel open leaves them: header pages zeroed,
 * feature_bits = pending_send_sz on both, and the Rx (inbound)
 * interrupt_mask = 1 if mask_inbound (current kernels open that way).
 * Only while neither party uses the rings.
 */
void
hv_chan_reset_headers(const struct hv_chan_geom *g, bool mask_inbound);

/*
 * The u32 word of the interrupt page (int_page: the whole page) holding
 * relid's guest->host doorbell bit, and that bit in *mask; NULL if relid
 * >= VMBUS_RELID_MAX.
 */
static inline uint32_t *
hv_chan_int_page_word(void *int_page, uint32_t relid, uint32_t *mask)
{
	if (relid >= VMBUS_RELID_MAX)
		return NULL;
	*mask = 1u << (relid % 32u);
	return (uint32_t *)(void *)((uint8_t *)int_page +
				    VMBUS_INT_PAGE_SEND_OFFSET) + relid / 32u;
}

/* The trigger-group word and bit of a monitor id; NULL if >= 128. */
static inline uint32_t *
hv_chan_monitor_word(struct vmbus_monitor_page *mp, uint32_t monitor_id,
		     uint32_t *mask)
{
	if (monitor_id >= VMBUS_MONITOR_ID_MAX)
		return NULL;
	*mask = 1u << (monitor_id % VMBUS_MONITOR_PER_GROUP);
	return &mp->trigger_group[monitor_id / VMBUS_MONITOR_PER_GROUP].pending;
}

/* The monitor id's latency slot (100 ns units); NULL if >= 128. */
static inline uint16_t *
hv_chan_monitor_latency(struct vmbus_monitor_page *mp, uint32_t monitor_id)
{
	if (monitor_id >= VMBUS_MONITOR_ID_MAX)
		return NULL;
	return &mp->latency[monitor_id / VMBUS_MONITOR_PER_GROUP]
			   [monitor_id % VMBUS_MONITOR_PER_GROUP];
}

#endif /* HV_CHAN_GEOM_H */
