/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Gather element for ring writes. The core avoids <sys/uio.h> so that it
 * stays plain C11, and uses a 32-bit length because no VMBus packet can
 * exceed 16-bit len8 units anyway.
 */
#ifndef HV_SG_H
#define HV_SG_H

#include <stdint.h>

struct hv_sg {
	const void *base;
	uint32_t len;
};

#endif /* HV_SG_H */
