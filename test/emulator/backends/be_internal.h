/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared by the backend implementations; not for users of the backends. */
#ifndef EMU_BE_INTERNAL_H
#define EMU_BE_INTERNAL_H

#include <stddef.h>

#include "emu_backend.h"

/* Every backend of this directory starts with this. */
struct emu_be_base {
	struct emu_backend be;
	enum emu_backend_kind kind;
	struct emu_backend_counters c;
};

extern const struct emu_backend_ops emu_tap_ops;
extern const struct emu_backend_ops emu_gen_ops;
extern const struct emu_backend_ops emu_sink_ops;
extern const struct emu_backend_ops emu_loop_ops;

/* The base of one of our backends, NULL for a foreign (or NULL) one. */
struct emu_be_base *emu_be_base(const struct emu_backend *be);

/* Counters shared by the print_stats of every backend. */
void emu_be_print_counters(const struct emu_be_base *b, const char *name,
			   FILE *out);

/* Deliver one frame to the guest and count the outcome. */
int emu_be_to_guest(struct emu_be_base *b, const void *frame, size_t len);

#endif /* EMU_BE_INTERNAL_H */
