/* SPDX-License-Identifier: BSD-3-Clause */
#include "nvsp_msg.h"
