/* SPDX-License-Identifier: BSD-3-Clause */
#include "hv_guid.h"
