/* SPDX-License-Identifier: BSD-3-Clause */
/* What all backends share: counters, the --backend parser, the factory. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "be_internal.h"

struct emu_be_base *
emu_be_base(const struct emu_backend *be)
{
	if (be == NULL)
		return NULL;
	if (be->ops != &emu_tap_ops && be->ops != &emu_gen_ops &&
	    be->ops != &emu_sink_ops && be->ops != &emu_loop_ops)
		return NULL;
	/* be is the first member of the base. */
	return (struct emu_be_base *)(uintptr_t)be;
}

void
emu_backend_counters(const struct emu_backend *be,
		     struct emu_backend_counters *out)
{
	const struct emu_be_base *b = emu_be_base(be);

	if (b == NULL)
		memset(out, 0, sizeof(*out));
	else
		*out = b->c;
}

void
emu_be_print_counters(const struct emu_be_base *b, const char *name, FILE *out)
{
	const struct emu_backend_counters *c = &b->c;

	fprintf(out, "backend %s: to-guest %" PRIu64 " bytes %" PRIu64
		" from-guest %" PRIu64 " bytes %" PRIu64 " backpressure %" PRIu64
		" not-ready %" PRIu64 " drops %" PRIu64 " seq-errors %" PRIu64 "\n",
		name, c->to_guest, c->to_guest_bytes, c->from_guest,
		c->from_guest_bytes, c->backpressure, c->not_ready, c->drops,
		c->seq_errors);
}

int
emu_be_to_guest(struct emu_be_base *b, const void *frame, size_t len)
{
	int ret;

	if (b->be.nic == NULL) {
		b->c.not_ready++;
		return -ENETDOWN;
	}
	ret = emu_nic_rx(b->be.nic, frame, len);
	if (ret == 0) {
		b->c.to_guest++;
		b->c.to_guest_bytes += len;
	} else if (ret == -EAGAIN) {
		b->c.backpressure++;
	} else if (ret == -ENETDOWN) {
		b->c.not_ready++;
	} else {
		b->c.drops++;
	}
	return ret;
}

void
emu_gen_config_defaults(struct emu_gen_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->flows = 1;
	cfg->size = 64;
	cfg->burst = 32;
	cfg->start = true;
}

static int
parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int
parse_ipv4_prefix(const char *s, struct emu_tap_config *tap)
{
	unsigned int a[4], prefix;
	char tail;
	int i;

	if (sscanf(s, "%3u.%3u.%3u.%3u/%2u%c", &a[0], &a[1], &a[2], &a[3],
		   &prefix, &tail) != 5 || prefix > 32)
		return -EINVAL;
	for (i = 0; i < 4; i++) {
		if (a[i] > 255)
			return -EINVAL;
		tap->ip[i] = (uint8_t)a[i];
	}
	tap->prefix = prefix;
	tap->has_ip = true;
	return 0;
}

/* One "key=value" (or, first, a bare interface name) of a tap spec. */
static int
parse_tap_item(char *item, bool first, struct emu_tap_config *tap,
	       const char **why)
{
	char *eq = strchr(item, '=');

	if (eq == NULL && first) {
		if (strlen(item) >= sizeof(tap->ifname)) {
			*why = "tap: interface name too long";
			return -EINVAL;
		}
		strcpy(tap->ifname, item);
		return 0;
	}
	if (eq == NULL) {
		*why = "tap: expected key=value";
		return -EINVAL;
	}
	*eq++ = '\0';
	if (strcmp(item, "netns") == 0) {
		if (*eq == '\0' || strlen(eq) >= sizeof(tap->netns) ||
		    strchr(eq, '/') != NULL) {
			*why = "tap: bad netns name";
			return -EINVAL;
		}
		strcpy(tap->netns, eq);
		return 0;
	}
	if (strcmp(item, "ip") == 0) {
		if (parse_ipv4_prefix(eq, tap) != 0) {
			*why = "tap: ip must be A.B.C.D/NN";
			return -EINVAL;
		}
		return 0;
	}
	*why = "tap: unknown key (netns, ip)";
	return -EINVAL;
}

static int
parse_gen_item(char *item, struct emu_gen_config *g, const char **why)
{
	char *eq = strchr(item, '=');
	uint64_t v;

	*why = "gen: expected flows=N, size=N, count=N, rate=N, burst=N, start=0|1, drain=0|1 or batch=N";
	if (eq == NULL)
		return -EINVAL;
	*eq++ = '\0';
	if (strcmp(item, "count") == 0)
		return parse_u64(eq, UINT64_MAX, &g->count);
	if (strcmp(item, "rate") == 0)
		return parse_u64(eq, UINT64_MAX, &g->rate);
	if (parse_u64(eq, 65536, &v) != 0)
		return -EINVAL;
	if (strcmp(item, "flows") == 0 && v >= 1)
		g->flows = (unsigned int)v;
	else if (strcmp(item, "size") == 0 && v >= 60)
		g->size = (unsigned int)v;
	else if (strcmp(item, "burst") == 0 && v >= 1 && v <= 1024)
		g->burst = (unsigned int)v;
	else if (strcmp(item, "start") == 0 && v <= 1)
		g->start = v == 1;
	else if (strcmp(item, "drain") == 0 && v <= 1)
		g->drain = v == 1;
	else if (strcmp(item, "batch") == 0)
		g->batch = (unsigned int)v;
	else
		return -EINVAL;
	return 0;
}

static int
parse_items(enum emu_backend_kind kind, char *list, struct emu_backend_spec *out,
	    const char **why)
{
	char *save = NULL, *item;
	bool first = true;
	int ret = 0;

	for (item = strtok_r(list, ",", &save); item != NULL && ret == 0;
	     item = strtok_r(NULL, ",", &save)) {
		if (kind == EMU_BACKEND_TAP)
			ret = parse_tap_item(item, first, &out->tap, why);
		else
			ret = parse_gen_item(item, &out->gen, why);
		first = false;
	}
	return ret;
}

int
emu_backend_parse(const char *text, struct emu_backend_spec *out,
		  const char **why)
{
	static const struct { const char *name; enum emu_backend_kind kind; } kinds[] = {
		{ "none", EMU_BACKEND_NONE }, { "tap", EMU_BACKEND_TAP },
		{ "gen", EMU_BACKEND_GEN }, { "sink", EMU_BACKEND_SINK },
		{ "loop", EMU_BACKEND_LOOP },
	};
	const char *colon = strchr(text, ':');
	size_t n = colon != NULL ? (size_t)(colon - text) : strlen(text);
	char buf[256];
	size_t i;

	memset(out, 0, sizeof(*out));
	emu_gen_config_defaults(&out->gen);
	*why = "unknown backend (tap, gen, sink, loop, none)";
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strlen(kinds[i].name) == n && strncmp(text, kinds[i].name, n) == 0)
			break;
	if (i == sizeof(kinds) / sizeof(kinds[0]))
		return -EINVAL;
	out->kind = kinds[i].kind;
	if (colon == NULL)
		return 0;
	if (out->kind != EMU_BACKEND_TAP && out->kind != EMU_BACKEND_GEN) {
		*why = "this backend takes no parameters";
		return -EINVAL;
	}
	if (strlen(colon + 1) >= sizeof(buf)) {
		*why = "backend parameters too long";
		return -EINVAL;
	}
	strcpy(buf, colon + 1);
	return parse_items(out->kind, buf, out, why);
}

int
emu_backend_create(const struct emu_backend_spec *spec, struct emu_loop *loop,
		   size_t max_frame, struct emu_backend **out)
{
	*out = NULL;
	switch (spec->kind) {
	case EMU_BACKEND_NONE: return 0;
	case EMU_BACKEND_TAP: return emu_tap_create(&spec->tap, loop, out);
	case EMU_BACKEND_GEN: return emu_gen_create(&spec->gen, max_frame, out);
	case EMU_BACKEND_SINK: return emu_sink_create(out);
	case EMU_BACKEND_LOOP: return emu_loop_backend_create(max_frame, out);
	}
	return -EINVAL;
}
