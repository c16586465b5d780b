/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * UIO mapping of a device: the regions of /dev/uioN (map i at offset
 * i * system page size, sizes from sysfs), subchannel ring files, the
 * UIO fd, and the table that lets secondary processes map everything at
 * the primary's addresses (served over the rte_mp channel, because with
 * --no-huge there is no shared memory to put it in).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_eal_memconfig.h>
#include <rte_errno.h>
#include <rte_interrupts.h>
#include <rte_memory.h>

#include "vmbus_private.h"
#include "linux/vmbus_sysfs.h"

#define VMBUS_MP_ACTION "bus_vmbus_maps"
#define VMBUS_MP_PER_MSG 10u
#define VMBUS_MP_TIMEOUT_S 5

/* Next address to suggest for a mapping (primary only). */
static uintptr_t vmbus_next_va;

size_t
vmbus_page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);

	return p > 0 ? (size_t)p : 4096u;
}

static int
find_max_end_va(const struct rte_memseg_list *msl, void *arg)
{
	uintptr_t *end = arg, e = (uintptr_t)msl->base_va + msl->len;

	if (e > *end)
		*end = e;
	return 0;
}

/*
 * Suggest addresses just above DPDK's memory: a secondary process maps
 * that memory at the same place, so the range after it is free there too.
 */
static void *
next_hint(uint64_t len)
{
	uintptr_t hint;

	if (vmbus_next_va == 0) {
		uintptr_t end = 0;

		rte_memseg_list_walk(find_max_end_va, &end);
		/* 1 GiB of air after the memsegs, 2 MiB aligned. */
		vmbus_next_va = RTE_ALIGN_CEIL(end + (1ULL << 30), 1ULL << 21);
	}
	hint = vmbus_next_va;
	vmbus_next_va += RTE_ALIGN_CEIL(len, vmbus_page_size());
	return (void *)hint;
}

static int
open_uio(uint32_t minor)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/uio%u", minor);
	fd = open(path, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/*
 * Map len bytes of fd at offset. want != NULL: exactly there (secondary),
 * else near a hint. Returns the address or NULL with *err set.
 */
static void *
map_at(int fd, off_t offset, uint64_t len, void *want, int *err)
{
	int flags = MAP_SHARED;
	void *hint = want != NULL ? want : next_hint(len);
	void *va;

	if (want != NULL)
		flags |= MAP_FIXED_NOREPLACE;
	va = mmap(hint, (size_t)len, PROT_READ | PROT_WRITE, flags, fd, offset);
	if (va == MAP_FAILED) {
		*err = -errno;
		return NULL;
	}
	/* Kernels before 4.17 treat MAP_FIXED_NOREPLACE as a hint. */
	if (want != NULL && va != want) {
		munmap(va, (size_t)len);
		*err = -EADDRNOTAVAIL;
		return NULL;
	}
	return va;
}

static int
map_resources(struct rte_vmbus_device *dev, const void *const *want)
{
	size_t pg = vmbus_page_size();
	unsigned int i;
	int ret = 0;

	for (i = 0; i < dev->nb_resources; i++) {
		struct rte_vmbus_resource *r = &dev->resource[i];
		int fd = open_uio(dev->uio_minor);

		if (fd < 0)
			return fd;
		r->addr = map_at(fd, (off_t)(i * pg), r->len,
				 want != NULL ? (void *)(uintptr_t)want[i] : NULL,
				 &ret);
		close(fd);
		if (r->addr == NULL) {
			VMBUS_LOG(ERR, "%s: mmap of map%u (%" PRIu64 " bytes)"
				" failed: %s", dev->name, i, r->len,
				strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static void
unmap_resources(struct rte_vmbus_device *dev)
{
	unsigned int i;

	for (i = 0; i < HV_UIO_MAP_COUNT; i++) {
		struct rte_vmbus_resource *r = &dev->resource[i];

		if (r->addr != NULL)
			munmap(r->addr, (size_t)r->len);
		r->addr = NULL;
	}
}

static bool
is_network(const struct rte_vmbus_device *dev)
{
	static const struct hv_guid net = RTE_VMBUS_GUID(0xf8615163, 0xdf3e,
		0x46c5, 0x913f, 0xf2d2f965ed0eULL);

	return hv_guid_equal(&dev->class_id, &net);
}

/* Sizes and GPADLs from sysfs; network devices have 5 maps, others 3. */
static int
read_maps(struct rte_vmbus_device *dev)
{
	struct vmbus_sysfs_map m[HV_UIO_MAP_COUNT];
	unsigned int n = is_network(dev) ? HV_UIO_MAP_COUNT : 3, bad_map, i;
	const char *bad_file;
	int ret;

	ret = vmbus_sysfs_read_maps(dev->priv->devdir, dev->uio_minor, n,
				    vmbus_page_size(), m, &bad_map, &bad_file);
	/* Older kernels gave every class the buffer maps too. */
	if (ret == -EINVAL && n == 3 && bad_map == 3) {
		n = HV_UIO_MAP_COUNT;
		ret = vmbus_sysfs_read_maps(dev->priv->devdir, dev->uio_minor,
					    n, vmbus_page_size(), m, &bad_map,
					    &bad_file);
	}
	if (ret != 0) {
		VMBUS_LOG(ERR, "%s: uio%u maps/map%u/%s: %s", dev->name,
			dev->uio_minor, bad_map, bad_file, strerror(-ret));
		return ret;
	}
	dev->nb_resources = n;
	for (i = 0; i < n; i++) {
		dev->resource[i].len = m[i].size;
		dev->resource[i].gpadl = m[i].gpadl;
	}
	return 0;
}

/*
 * The kernel registers a UIO device in steps: uio<N>/ in sysfs, then its
 * maps/ entries, and devtmpfs adds /dev/uio<N>. A probe right after an
 * offer can fall between them; this says whether all of it is there.
 */
bool
vmbus_uio_published(const struct rte_vmbus_device *dev)
{
	struct vmbus_sysfs_map m[HV_UIO_MAP_COUNT];
	unsigned int n = is_network(dev) ? HV_UIO_MAP_COUNT : 3, bad_map;
	const char *bad_file;
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/dev/uio%u", dev->uio_minor);
	if (stat(path, &st) != 0)
		return false;
	/* Malformed is not "not yet": read_maps will report it. */
	return vmbus_sysfs_read_maps(dev->priv->devdir, dev->uio_minor, n,
				     vmbus_page_size(), m, &bad_map,
				     &bad_file) != -ENOENT;
}

/* ---- Secondary processes: the primary's address table ---- */

struct vmbus_mp_req {
	struct hv_guid id;
	uint32_t start;
};

struct vmbus_mp_entry {
	uint32_t relid;    /* 0: UIO map <index>; else subchannel ring */
	uint32_t index;
	uint64_t addr;
	uint64_t len;
};

struct vmbus_mp_rsp {
	int32_t status;
	uint32_t total;
	uint32_t n;
	struct vmbus_mp_entry e[VMBUS_MP_PER_MSG];
};

static struct rte_vmbus_device *
find_mapped_by_id(const struct hv_guid *id)
{
	struct rte_vmbus_device *dev;

	RTE_TAILQ_FOREACH(dev, &vmbus_bus.devices, next) {
		if (dev->priv->mapped && hv_guid_equal(&dev->device_id, id))
			return dev;
	}
	return NULL;
}

/* Entry i of dev's table: resources first, then subchannel rings. */
static void
table_entry(const struct rte_vmbus_device *dev, uint32_t i,
	    struct vmbus_mp_entry *e)
{
	memset(e, 0, sizeof(*e));
	if (i < dev->nb_resources) {
		e->index = i;
		e->addr = (uintptr_t)dev->resource[i].addr;
		e->len = dev->resource[i].len;
		return;
	}
	i -= dev->nb_resources;
	e->relid = dev->priv->sub_maps[i].relid;
	e->addr = (uintptr_t)dev->priv->sub_maps[i].addr;
	e->len = dev->priv->sub_maps[i].len;
}

static int
mp_handler(const struct rte_mp_msg *msg, const void *peer)
{
	struct rte_mp_msg reply;
	struct vmbus_mp_req req;
	struct vmbus_mp_rsp rsp;
	struct rte_vmbus_device *dev;
	uint32_t i;

	memset(&reply, 0, sizeof(reply));
	memset(&rsp, 0, sizeof(rsp));
	if (msg->len_param != sizeof(req)) {
		rsp.status = -EINVAL;
	} else {
		memcpy(&req, msg->param, sizeof(req));
		dev = find_mapped_by_id(&req.id);
		if (dev == NULL) {
			rsp.status = -ENODEV;
		} else {
			rsp.total = dev->nb_resources + dev->priv->nb_sub_maps;
			for (i = req.start; i < rsp.total &&
			     rsp.n < VMBUS_MP_PER_MSG; i++)
				table_entry(dev, i, &rsp.e[rsp.n++]);
		}
	}
	snprintf(reply.name, sizeof(reply.name), "%s", VMBUS_MP_ACTION);
	reply.len_param = sizeof(rsp);
	memcpy(reply.param, &rsp, sizeof(rsp));
	return rte_mp_reply(&reply, peer);
}

/* Ask the primary for entries start.. of dev's table. */
static int
mp_query(const struct rte_vmbus_device *dev, uint32_t start,
	 struct vmbus_mp_rsp *rsp)
{
	struct timespec ts = { .tv_sec = VMBUS_MP_TIMEOUT_S };
	struct vmbus_mp_req req = { .id = dev->device_id, .start = start };
	struct rte_mp_msg msg;
	struct rte_mp_reply reply;
	int ret = -EIO;

	memset(&msg, 0, sizeof(msg));
	snprintf(msg.name, sizeof(msg.name), "%s", VMBUS_MP_ACTION);
	msg.len_param = sizeof(req);
	memcpy(msg.param, &req, sizeof(req));
	if (rte_mp_request_sync(&msg, &reply, &ts) != 0)
		return -rte_errno;
	if (reply.nb_received == 1 &&
	    reply.msgs[0].len_param == sizeof(*rsp)) {
		memcpy(rsp, reply.msgs[0].param, sizeof(*rsp));
		ret = rsp->status;
		if (ret == 0 && (rsp->n > VMBUS_MP_PER_MSG ||
				 rsp->total > HV_UIO_MAP_COUNT +
					 VMBUS_MAX_CHANNELS))
			ret = -EPROTO;
	}
	free(reply.msgs);
	return ret;
}

/* Apply one entry of the primary's table in this secondary. */
static int
apply_entry(struct rte_vmbus_device *dev, const struct vmbus_mp_entry *e,
	    const void **want)
{
	struct vmbus_dev_priv *priv = dev->priv;
	struct vmbus_sub_map *sm;

	if (e->relid == 0) {
		if (e->index >= dev->nb_resources ||
		    e->len != dev->resource[e->index].len)
			return -EPROTO;
		want[e->index] = (const void *)(uintptr_t)e->addr;
		return 0;
	}
	if (priv->nb_sub_maps == VMBUS_MAX_CHANNELS)
		return -EPROTO;
	sm = &priv->sub_maps[priv->nb_sub_maps];
	sm->relid = e->relid;
	sm->len = e->len;
	sm->addr = (void *)(uintptr_t)e->addr;
	priv->nb_sub_maps++;
	return 0;
}

static int
map_secondary_subchans(struct rte_vmbus_device *dev)
{
	struct vmbus_dev_priv *priv = dev->priv;
	unsigned int i;
	int ret;

	for (i = 0; i < priv->nb_sub_maps; i++) {
		void *want = priv->sub_maps[i].addr;

		ret = vmbus_uio_map_ring(dev, priv->sub_maps[i].relid,
					 priv->sub_maps[i].len, &want);
		if (ret != 0) {
			priv->nb_sub_maps = i;
			return ret;
		}
	}
	return 0;
}

static int
map_secondary(struct rte_vmbus_device *dev)
{
	const void *want[HV_UIO_MAP_COUNT] = { NULL };
	struct vmbus_mp_rsp rsp;
	uint32_t got = 0, i;
	int ret;

	do {
		ret = mp_query(dev, got, &rsp);
		if (ret != 0)
			return ret;
		for (i = 0; i < rsp.n && ret == 0; i++)
			ret = apply_entry(dev, &rsp.e[i], want);
		if (ret != 0 || rsp.n == 0)
			break;
		got += rsp.n;
	} while (got < rsp.total);
	for (i = 0; i < dev->nb_resources && ret == 0; i++)
		if (want[i] == NULL)
			ret = -EPROTO;
	if (ret == 0)
		ret = map_resources(dev, want);
	if (ret != 0) {
		/*
		 * sub_maps holds the primary's addresses, none mapped here
		 * yet: vmbus_uio_unmap must not munmap whatever this
		 * process has there.
		 */
		dev->priv->nb_sub_maps = 0;
		return ret;
	}
	return map_secondary_subchans(dev);
}

/* ---- Device mapping ---- */

static int
setup_intr(struct rte_vmbus_device *dev)
{
	dev->intr_handle = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (dev->intr_handle == NULL)
		return -ENOMEM;
	if (rte_intr_fd_set(dev->intr_handle, dev->priv->uio_fd) != 0 ||
	    rte_intr_type_set(dev->intr_handle, RTE_INTR_HANDLE_EXT) != 0)
		return -EINVAL;
	return 0;
}

int
vmbus_uio_map(struct rte_vmbus_device *dev)
{
	struct vmbus_dev_priv *priv = dev->priv;
	int ret;

	ret = read_maps(dev);
	if (ret != 0)
		return ret;
	/* The first open is when the kernel opens the primary channel. */
	priv->uio_fd = open_uio(dev->uio_minor);
	if (priv->uio_fd < 0) {
		ret = priv->uio_fd;
		VMBUS_LOG(ERR, "%s: cannot open /dev/uio%u: %s", dev->name,
			dev->uio_minor, strerror(-ret));
		return ret;
	}
	priv->mapped = true;
	if (rte_eal_process_type() == RTE_PROC_PRIMARY)
		ret = map_resources(dev, NULL);
	else
		ret = map_secondary(dev);
	if (ret == 0)
		ret = setup_intr(dev);
	if (ret != 0)
		vmbus_uio_unmap(dev);
	return ret;
}

void
vmbus_uio_unmap(struct rte_vmbus_device *dev)
{
	struct vmbus_dev_priv *priv = dev->priv;
	unsigned int i;

	for (i = 0; i < priv->nb_sub_maps; i++)
		munmap(priv->sub_maps[i].addr, (size_t)priv->sub_maps[i].len);
	priv->nb_sub_maps = 0;
	unmap_resources(dev);
	rte_intr_instance_free(dev->intr_handle);
	dev->intr_handle = NULL;
	if (priv->uio_fd >= 0)
		close(priv->uio_fd);
	priv->uio_fd = -1;
	priv->mapped = false;
}

/*
 * Map channels/<relid>/ring. *addr NULL: anywhere (primary, recorded for
 * secondaries); else exactly at *addr.
 */
int
vmbus_uio_map_ring(struct rte_vmbus_device *dev, uint32_t relid,
		   uint64_t size, void **addr)
{
	struct vmbus_dev_priv *priv = dev->priv;
	char path[PATH_MAX];
	void *va;
	int fd, n, ret = 0;

	n = snprintf(path, sizeof(path), "%s/channels/%u/ring", priv->devdir,
		     relid);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	va = map_at(fd, 0, size, *addr, &ret);
	close(fd);
	if (va == NULL) {
		VMBUS_LOG(ERR, "%s: mmap of %s failed: %s", dev->name, path,
			strerror(-ret));
		return ret;
	}
	if (*addr == NULL) {
		struct vmbus_sub_map *sm;

		if (priv->nb_sub_maps == VMBUS_MAX_CHANNELS) {
			munmap(va, (size_t)size);
			return -ENOSPC;
		}
		sm = &priv->sub_maps[priv->nb_sub_maps++];
		sm->relid = relid;
		sm->addr = va;
		sm->len = size;
	}
	*addr = va;
	return 0;
}

void
vmbus_uio_unmap_ring(struct rte_vmbus_device *dev, void *addr, uint64_t size)
{
	struct vmbus_dev_priv *priv = dev->priv;
	unsigned int i;

	for (i = 0; i < priv->nb_sub_maps; i++) {
		if (priv->sub_maps[i].addr != addr)
			continue;
		priv->sub_maps[i] = priv->sub_maps[--priv->nb_sub_maps];
		break;
	}
	munmap(addr, (size_t)size);
}

/* A 4-byte write to the UIO fd; EIO means the device was rescinded. */
int
vmbus_uio_irq_write(struct rte_vmbus_device *dev, uint32_t value)
{
	ssize_t n;

	if (dev->priv->uio_fd < 0)
		return -EBADF;
	n = write(dev->priv->uio_fd, &value, sizeof(value));
	if (n == (ssize_t)sizeof(value))
		return 0;
	if (n < 0 && errno == EIO) {
		vmbus_dev_rescind(dev);
		return -ENODEV;
	}
	return n < 0 ? -errno : -EIO;
}

int
vmbus_mp_init(void)
{
	int ret;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return 0;
	ret = rte_mp_action_register(VMBUS_MP_ACTION, mp_handler);
	/* No multi-process support (--in-memory): fine without secondaries. */
	if (ret != 0 && rte_errno != ENOTSUP && rte_errno != EEXIST)
		return -rte_errno;
	return 0;
}

void
vmbus_mp_fini(void)
{
	if (rte_eal_process_type() == RTE_PROC_PRIMARY)
		rte_mp_action_unregister(VMBUS_MP_ACTION);
}
