/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test double of the network service (emu_net.h) for the backend and
 * control unit tests: records frames offered with emu_nic_rx and the
 * last control call, and answers with a scripted return code.
 */
#ifndef FAKE_NET_H
#define FAKE_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu_net.h"

#define FAKE_MAX_FRAMES 256
#define FAKE_FRAME_MAX 2048

struct fake_frame {
	size_t len;
	uint8_t data[FAKE_FRAME_MAX];
};

struct emu_nic {
	uint8_t mac[6];
	struct emu_backend *be;
	/* emu_nic_rx: calls made, frames kept, scripted answers */
	unsigned int rx_calls;
	unsigned int nframes;
	struct fake_frame frames[FAKE_MAX_FRAMES];
	int rx_ret;		/* answer once refuse_from calls were accepted */
	unsigned int refuse_from; /* 0 = never refuse */
	/* emu_nic_rx_burst: calls made and the flags of the last one */
	unsigned int burst_calls;
	uint32_t rx_flags;
	/* Bursts' frames that broke their EMU_RX_PERIOD promise. */
	unsigned int period_errors;
	/* emu_nic_rx_hold / _publish / _drained: calls, whether held,
	 * frames offered while not held, the scripted "drained" answer */
	unsigned int holds, publishes, unheld_frames;
	bool held, drained;
	uint32_t bufs_out;	/* emu_nic_rx_bufs_out's scripted answer */
	/* last control call */
	char last[64];
	long arg1, arg2;
};

void fake_nic_init(struct emu_nic *nic);

#endif /* FAKE_NET_H */
