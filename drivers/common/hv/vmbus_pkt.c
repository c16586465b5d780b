/* SPDX-License-Identifier: BSD-3-Clause */
#include "vmbus_pkt.h"
