/* SPDX-License-Identifier: BSD-3-Clause */
#include "rndis_ppi.h"
