/* SPDX-License-Identifier: BSD-3-Clause */
/* The emulator instance: configuration, root directory, devices, loop. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu_internal.h"

void
emu_config_defaults(struct emu_config *cfg)
{
	static const uint8_t mac[6] = { 0x00, 0x15, 0x5d, 0x00, 0x00, 0x10 };

	memset(cfg, 0, sizeof(*cfg));
	cfg->name = "default";
	cfg->nics = 1;
	memcpy(cfg->mac, mac, sizeof(mac));
	cfg->mtu = 1500;
	cfg->ring_size = HV_UIO_DEFAULT_RING_SIZE;
	cfg->recv_size = HV_UIO_DEFAULT_RECV_BUF_SIZE;
	cfg->send_size = HV_UIO_DEFAULT_SEND_BUF_SIZE;
	cfg->relid_base = 15;
	cfg->monitor_base = 2;
	cfg->gpadl_base = 925200;
}

static bool
size_ok(size_t size, size_t min)
{
	long pg = sysconf(_SC_PAGESIZE);

	return pg > 0 && size >= min && size % (size_t)pg == 0 &&
	       size <= (1u << 30);
}

int
emu_config_check(const struct emu_config *c, const char **why)
{
	long pg = sysconf(_SC_PAGESIZE);
	const char *w = NULL;

	if (c->nics == 0 || c->nics > EMU_MAX_NICS)
		w = "number of NICs must be 1..8";
	else if (!size_ok(c->ring_size, 2 * (size_t)(pg > 0 ? pg : 4096)))
		w = "ring size must be a multiple of the page size, >= 2 pages, <= 1 GiB";
	else if (!size_ok(c->recv_size, 1) || !size_ok(c->send_size, 1))
		w = "buffer sizes must be non-zero multiples of the page size, <= 1 GiB";
	else if (c->relid_base == 0 ||
		 c->relid_base + c->nics * EMU_RELID_STRIDE >= VMBUS_RELID_MAX)
		w = "relid base out of range";
	else if (c->monitor_base + (c->nics - 1) * EMU_MONITOR_STRIDE >=
		 VMBUS_MONITOR_ID_MAX)
		w = "monitor id base too large for this many NICs (ids < 128)";
	else if (c->gpadl_base == 0 || c->gpadl_base > UINT32_MAX - 2 * EMU_MAX_NICS)
		w = "gpadl base out of range";
	else if (c->mtu < 68 || c->mtu > 65535)
		w = "MTU must be 68..65535";
	else if (c->name == NULL || strchr(c->name, '/') != NULL || c->name[0] == '\0')
		w = "name must be non-empty and contain no '/'";
	if (why != NULL)
		*why = w;
	return w == NULL ? 0 : -EINVAL;
}

static int
host_init(struct emu_host *h)
{
	unsigned int i;
	int ret;

	ret = emu_sysfs_root_create(h->root);
	if (ret != 0)
		return ret;
	h->root_created = true;
	ret = emu_loop_create(&h->loop);
	for (i = 0; ret == 0 && i < h->cfg.nics; i++) {
		ret = emu_dev_create(h, i, &h->dev[i]);
		if (ret == 0)
			h->ndevs++;
	}
	return ret;
}

int
emu_host_create(const struct emu_config *cfg, struct emu_host **out)
{
	struct emu_host *h;
	int ret = emu_config_check(cfg, NULL);

	if (ret != 0)
		return ret;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return -ENOMEM;
	h->cfg = *cfg;
	if (cfg->root != NULL)
		ret = emu_path(h->root, sizeof(h->root), "%s", cfg->root);
	else
		ret = emu_path(h->root, sizeof(h->root), "/dev/shm/vmbus-emu-%s",
			       cfg->name);
	/* The stored config must not point into the caller's memory. */
	h->cfg.root = h->root;
	h->cfg.name = NULL;
	if (ret == 0)
		ret = host_init(h);
	if (ret != 0) {
		emu_host_destroy(h);
		return ret;
	}
	*out = h;
	return 0;
}

void
emu_host_destroy(struct emu_host *h)
{
	unsigned int i;

	if (h == NULL)
		return;
	for (i = 0; i < h->ndevs; i++)
		emu_dev_destroy(h->dev[i]);
	emu_loop_destroy(h->loop);
	if (h->root_created)
		emu_sysfs_root_remove(h->root);
	free(h);
}

void
emu_host_set_service(struct emu_host *h, const struct emu_service_ops *ops,
		     void *arg)
{
	h->ops = ops;
	h->ops_arg = arg;
}

struct emu_loop *
emu_host_loop(struct emu_host *h)
{
	return h->loop;
}

const char *
emu_host_root(const struct emu_host *h)
{
	return h->root;
}

unsigned int emu_host_ndevs(const struct emu_host *h) { return h->ndevs; }
const struct emu_config *
emu_host_config(const struct emu_host *h)
{
	return &h->cfg;
}

struct emu_dev *
emu_host_dev(struct emu_host *h, unsigned int idx)
{
	return idx < h->ndevs ? h->dev[idx] : NULL;
}

const char *
emu_dev_guid(const struct emu_dev *d)
{
	return d->guid;
}

unsigned int
emu_dev_index(const struct emu_dev *d)
{
	return d->index;
}

unsigned int
emu_dev_uio_minor(const struct emu_dev *d)
{
	return d->sysfs.uio;
}

const uint8_t *
emu_dev_mac(const struct emu_dev *d)
{
	return d->mac;
}

bool
emu_dev_is_open(const struct emu_dev *d)
{
	return d->open;
}

uint32_t
emu_dev_irq_count(const struct emu_dev *d)
{
	return d->irq_count;
}

void
emu_dev_set_priv(struct emu_dev *d, void *priv)
{
	d->priv = priv;
}

void *
emu_dev_priv(const struct emu_dev *d)
{
	return d->priv;
}

struct emu_guestmem *
emu_dev_guestmem(struct emu_dev *d)
{
	return &d->mem;
}

struct emu_chan *
emu_dev_primary(struct emu_dev *d)
{
	return &d->chan[0];
}

void *
emu_dev_map(const struct emu_dev *d, enum hv_uio_map k, size_t *len)
{
	if ((unsigned int)k >= HV_UIO_MAP_COUNT || d->map[k].base == NULL)
		return NULL;
	if (len != NULL)
		*len = d->map[k].size;
	return d->map[k].base;
}

struct vmbus_monitor_page *
emu_dev_monitor_page(const struct emu_dev *d)
{
	return emu_dev_map(d, HV_UIO_MAP_MONITOR_PAGE, NULL);
}

uint32_t
emu_dev_gpadl(const struct emu_dev *d, enum hv_uio_map k)
{
	return k == HV_UIO_MAP_RECV_BUF || k == HV_UIO_MAP_SEND_BUF ? d->gpadl[k] : 0;
}

/* A GPA inside device d's receive or send buffer (emu_region_gpa_page),
 * NULL unless the span is guest-physically contiguous there. */
static void *
region_translate_dev(const struct emu_dev *d, uint64_t gpa_page,
		     uint64_t offset, uint64_t len)
{
	unsigned int k;

	for (k = HV_UIO_MAP_RECV_BUF; k <= HV_UIO_MAP_SEND_BUF; k++) {
		/* Page 4 of a map has the map's first frame. */
		uint64_t base = emu_region_gpa_page(d->sysfs.uio, k, 4);
		uint64_t first, last, g, page, npages;

		if (d->map[k].base == NULL || gpa_page < base ||
		    gpa_page - base >= EMU_REGION_GPA_SPAN)
			continue;
		npages = d->map[k].size / HV_PAGE_SIZE;
		first = gpa_page + offset / HV_PAGE_SIZE;
		last = gpa_page + (offset + len - 1) / HV_PAGE_SIZE;
		page = (first - base) ^ 4u;
		for (g = first; g <= last; g++)
			if (((g - base) ^ 4u) != page + (g - first) ||
			    page + (g - first) >= npages)
				return NULL;
		return (uint8_t *)d->map[k].base + page * HV_PAGE_SIZE +
		       offset % HV_PAGE_SIZE;
	}
	return NULL;
}

/* The guest's memory is one guest-physical space: a send may name pages
 * of any device's buffers (a frame received on one NIC forwarded from
 * its receive buffer by another). */
static void *
region_translate(struct emu_dev *d, uint64_t gpa_page, uint64_t offset,
		 uint64_t len)
{
	const struct emu_host *h = d->host;
	unsigned int i;
	void *p;

	if (len == 0 || offset > EMU_REGION_GPA_SPAN * HV_PAGE_SIZE ||
	    len > EMU_REGION_GPA_SPAN * HV_PAGE_SIZE)
		return NULL;
	p = region_translate_dev(d, gpa_page, offset, len);
	for (i = 0; p == NULL && h != NULL && i < h->ndevs; i++)
		if (h->dev[i] != NULL && h->dev[i] != d)
			p = region_translate_dev(h->dev[i], gpa_page, offset, len);
	return p;
}

void *
emu_dev_translate(struct emu_dev *d, uint64_t gpa_page, uint64_t offset,
		  uint64_t len)
{
	void *p = emu_guestmem_translate(&d->mem, gpa_page, offset, len);

	if (p == NULL && !d->mem.gpa_is_va)
		p = region_translate(d, gpa_page, offset, len);

	if (p == NULL)
		d->gpa_invalid++;
	return p;
}

uint64_t
emu_dev_gpa_invalid(const struct emu_dev *d)
{
	return d->gpa_invalid;
}

struct emu_chan *
emu_dev_chan_by_relid(struct emu_dev *d, uint32_t relid)
{
	unsigned int i;

	for (i = 0; i < EMU_MAX_CHANS; i++)
		if (d->chan[i].used && d->chan[i].relid == relid)
			return &d->chan[i];
	return NULL;
}

struct emu_dev *
emu_chan_dev(const struct emu_chan *c)
{
	return c->dev;
}

uint32_t
emu_chan_relid(const struct emu_chan *c)
{
	return c->relid;
}

uint32_t
emu_chan_subchan_id(const struct emu_chan *c)
{
	return c->subchan_id;
}

uint32_t
emu_chan_monitor_id(const struct emu_chan *c)
{
	return c->monitor_id;
}

void
emu_chan_set_priv(struct emu_chan *c, void *priv)
{
	c->priv = priv;
}

void *
emu_chan_priv(const struct emu_chan *c)
{
	return c->priv;
}
