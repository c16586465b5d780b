/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libvmbus_emu_shim.so, guest-physical part. On Hyper-V a GPA range
 * carries guest-physical page numbers, which DPDK takes from
 * /proc/self/pagemap in IOVA-as-PA mode (rte_mem_virt2phy). Here that
 * file is ours: every page gets a frame number from a per-run
 * permutation of 2 MiB frames, so IOVA != VA and a driver that puts a
 * virtual address into a GPA range names no guest memory. The same
 * table goes to the emulator at uio open (EMU_MSG_FRAMES), which
 * translates GPAs only through it.
 *
 * A frame belongs to the backing page (file, offset), not to the
 * address, so remapping (EAL's legacy memory) keeps it. Anonymous
 * memory gets frames by address; the host can never reach it anyway.
 */
#define _GNU_SOURCE
#undef _FORTIFY_SOURCE
#undef _FILE_OFFSET_BITS
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "emu_proto.h"
#include "shim_internal.h"

#define SHIM_EXPORT __attribute__((visibility("default")))

#define PM_PAGE 4096ull
#define PM_CHUNK (2ull << 20)
#define PM_CHUNK_PAGES (PM_CHUNK / PM_PAGE)
/*
 * Frames live in [8 TiB, 8.5 TiB): above every address DPDK reserves
 * from its 4 GiB base and below the mmap area, and page numbers stay
 * under 2^32 (Debian's stock netvsc keeps a GPA page in an unsigned int).
 */
#define PM_BASE_PAGE (1ull << 31)
#define PM_SLOTS (1u << 18)
#define PM_MAX_CHUNKS 16384u
#define PM_MAX_FDS 16u
#define PM_PRESENT (1ull << 63)

struct pm_chunk {
	uint64_t dev, ino, off; /* ino 0: anonymous, off = address */
	uint32_t slot;
};

static struct pm_chunk pm_chunks[PM_MAX_CHUNKS];
static unsigned int pm_nchunks;
static uint8_t pm_used[PM_SLOTS / 8];
static uint64_t pm_seed;
static bool pm_seeded;
static pthread_mutex_t pm_lock = PTHREAD_MUTEX_INITIALIZER;
static bool pm_any; /* a pagemap was opened: reads must look */

struct pm_fd {
	int fd;          /* -1 = free */
	uint64_t dev, ino;
	uint64_t pos;
};

static struct pm_fd pm_fds[PM_MAX_FDS] = {
	[0 ... PM_MAX_FDS - 1] = { .fd = -1 },
};

static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* One permutation per emulator run (its root's identity), shared by
 * every process of the guest; VMBUS_EMU_GPA_SEED pins it. */
static void
seed_init(void)
{
	const char *env = getenv(EMU_ENV_GPA_SEED);
	const char *root = shim_root();
	struct stat st;

	if (pm_seeded)
		return;
	pm_seeded = true;
	if (env != NULL && env[0] != '\0') {
		pm_seed = strtoull(env, NULL, 0);
		return;
	}
	if (root != NULL && stat(root, &st) == 0)
		pm_seed = mix64((uint64_t)st.st_ino ^
				((uint64_t)st.st_ctim.tv_nsec << 20) ^
				((uint64_t)st.st_ctim.tv_sec << 40));
}

static struct pm_chunk *
chunk_find(uint64_t dev, uint64_t ino, uint64_t off)
{
	unsigned int i;

	for (i = 0; i < pm_nchunks; i++)
		if (pm_chunks[i].ino == ino && pm_chunks[i].dev == dev &&
		    pm_chunks[i].off == off)
			return &pm_chunks[i];
	return NULL;
}

static struct pm_chunk *
chunk_get(uint64_t dev, uint64_t ino, uint64_t off)
{
	struct pm_chunk *c = chunk_find(dev, ino, off);
	uint32_t slot;

	if (c != NULL || pm_nchunks == PM_MAX_CHUNKS)
		return c;
	seed_init();
	slot = (uint32_t)(mix64(pm_seed ^ mix64(dev ^ mix64(ino ^ mix64(off)))) %
			  PM_SLOTS);
	while (pm_used[slot / 8] & (1u << (slot % 8)))
		slot = (slot + 1) % PM_SLOTS;
	pm_used[slot / 8] |= (uint8_t)(1u << (slot % 8));
	c = &pm_chunks[pm_nchunks++];
	c->dev = dev;
	c->ino = ino;
	c->off = off;
	c->slot = slot;
	return c;
}

struct pm_map {
	uint64_t start, end, off, dev, ino;
	int region_minor, region_map; /* an emulator region, else -1 */
};

/* The emulator's receive/send buffer files: their frames are the host's
 * (emu_region_gpa_page), as the GPADL's pages are on Hyper-V. */
static void
region_of(const char *path, struct pm_map *m)
{
	const char *root = shim_root();
	unsigned int minor, map;
	size_t n;
	char end;

	m->region_minor = m->region_map = -1;
	if (root == NULL)
		return;
	n = strlen(root);
	if (strncmp(path, root, n) != 0 || path[n] != '/' ||
	    strncmp(path + n + 1, EMU_REGION_DIR "/uio", strlen(EMU_REGION_DIR) + 4) != 0)
		return;
	if (sscanf(path + n + 1 + strlen(EMU_REGION_DIR) + 4, "%u/map%u%c", &minor,
		   &map, &end) == 3 && end == '\n' &&
	    (map == 3 || map == 4)) {
		m->region_minor = (int)minor;
		m->region_map = (int)map;
	}
}

static bool
parse_maps_line(const char *line, struct pm_map *m)
{
	unsigned long long start, end, off, ino;
	unsigned int maj, min;
	char perms[8];
	int pos = 0;

	if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms,
		   &off, &maj, &min, &ino, &pos) < 7)
		return false;
	m->start = start;
	m->end = end;
	m->off = off;
	m->dev = makedev(maj, min);
	m->ino = ino;
	region_of(pos > 0 ? line + pos : "", m);
	return true;
}

/* The mapping holding va; false if none. */
static bool
find_mapping(uint64_t va, struct pm_map *out)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[4096 + 128];
	bool found = false;

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		struct pm_map m;

		if (parse_maps_line(line, &m) && va >= m.start && va < m.end) {
			*out = m;
			found = true;
		}
	}
	fclose(f);
	return found;
}

/* The pagemap entry of virtual page vpn (0: not mapped, as the kernel). */
/* last: the mapping of the previous entry of the same read (one parse
 * of /proc/self/maps for a whole range), or start 0 = none. */
static uint64_t
entry_of(uint64_t vpn, struct pm_map *last)
{
	uint64_t va = vpn * PM_PAGE, pos;
	struct pm_chunk *c;
	struct pm_map m;

	if (vpn > UINT64_MAX / PM_PAGE)
		return 0;
	if (last->end != 0 && va >= last->start && va < last->end) {
		m = *last;
	} else {
		if (!find_mapping(va, &m))
			return 0;
		*last = m;
	}
	if (m.ino != 0 && m.region_map >= 0)
		return PM_PRESENT |
		       emu_region_gpa_page((uint32_t)m.region_minor, (uint32_t)m.region_map,
					   (m.off + (va - m.start)) / PM_PAGE);
	if (m.ino != 0) {
		pos = m.off + (va - m.start);
		c = chunk_get(m.dev, m.ino, pos & ~(PM_CHUNK - 1));
	} else {
		pos = va;
		c = chunk_get(0, 0, va & ~(PM_CHUNK - 1));
	}
	if (c == NULL)
		return 0;
	return PM_PRESENT | (PM_BASE_PAGE + (uint64_t)c->slot * PM_CHUNK_PAGES +
			     (pos % PM_CHUNK) / PM_PAGE);
}

bool
shim_pagemap_path(const char *path)
{
	char own[64];

	if (path == NULL || shim_root() == NULL)
		return false;
	snprintf(own, sizeof(own), "/proc/%d/pagemap", (int)getpid());
	return strcmp(path, "/proc/self/pagemap") == 0 ||
	       strcmp(path, "/proc/thread-self/pagemap") == 0 ||
	       strcmp(path, own) == 0;
}

/* An fd with a unique inode (so a reused number is told apart) whose
 * reads and seeks we serve. */
int
shim_pagemap_open(int flags)
{
	struct stat st;
	unsigned int i;
	int fd;

	if ((flags & O_ACCMODE) != O_RDONLY) {
		errno = EACCES;
		return -1;
	}
	fd = SHIM_REAL(memfd_create)("vmbus-emu-pagemap",
				     (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
	if (fd < 0 || fstat(fd, &st) != 0)
		return -1;
	pthread_mutex_lock(&pm_lock);
	for (i = 0; i < PM_MAX_FDS; i++) {
		struct stat old;

		/* Free: never used, or its fd was closed (maybe reused). */
		if (pm_fds[i].fd < 0 || fstat(pm_fds[i].fd, &old) != 0 ||
		    (uint64_t)old.st_ino != pm_fds[i].ino ||
		    (uint64_t)old.st_dev != pm_fds[i].dev) {
			pm_fds[i].fd = fd;
			pm_fds[i].dev = st.st_dev;
			pm_fds[i].ino = st.st_ino;
			pm_fds[i].pos = 0;
			__atomic_store_n(&pm_any, true, __ATOMIC_RELEASE);
			break;
		}
	}
	pthread_mutex_unlock(&pm_lock);
	if (i == PM_MAX_FDS) {
		close(fd);
		errno = EMFILE;
		return -1;
	}
	return fd;
}

/* Slot of fd if it is one of ours; call with pm_lock held. */
static struct pm_fd *
pm_lookup(int fd)
{
	struct stat st;
	unsigned int i;

	if (fd < 0)
		return NULL;
	for (i = 0; i < PM_MAX_FDS; i++)
		if (pm_fds[i].fd == fd)
			break;
	if (i == PM_MAX_FDS || fstat(fd, &st) != 0 ||
	    (uint64_t)st.st_ino != pm_fds[i].ino ||
	    (uint64_t)st.st_dev != pm_fds[i].dev)
		return NULL;
	return &pm_fds[i];
}

static ssize_t
pm_read_at(void *buf, size_t count, uint64_t pos)
{
	uint8_t *out = buf;
	struct pm_map last = { .end = 0 };
	size_t done = 0;

	while (done < count) {
		uint64_t e = entry_of((pos + done) / 8, &last);
		size_t in = (pos + done) % 8, n = 8 - in;

		if (n > count - done)
			n = count - done;
		memcpy(out + done, (const uint8_t *)&e + in, n);
		done += n;
	}
	return (ssize_t)done;
}

/* 1 and *ret set if fd is a pagemap of ours, else 0. */
int
shim_pagemap_read(int fd, void *buf, size_t count, const uint64_t *at,
		  ssize_t *ret)
{
	struct pm_fd *p;

	if (!__atomic_load_n(&pm_any, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&pm_lock);
	p = pm_lookup(fd);
	if (p != NULL) {
		*ret = pm_read_at(buf, count, at != NULL ? *at : p->pos);
		if (at == NULL)
			p->pos += (uint64_t)*ret;
	}
	pthread_mutex_unlock(&pm_lock);
	return p != NULL;
}

static int
pm_seek(int fd, int64_t off, int whence, int64_t *ret)
{
	struct pm_fd *p;

	if (!__atomic_load_n(&pm_any, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&pm_lock);
	p = pm_lookup(fd);
	if (p != NULL) {
		int64_t base = whence == SEEK_SET ? 0 :
			       whence == SEEK_CUR ? (int64_t)p->pos : -1;

		if (base < 0 || (off < 0 && -off > base)) {
			errno = EINVAL;
			*ret = -1;
		} else {
			p->pos = (uint64_t)(base + off);
			*ret = (int64_t)p->pos;
		}
	}
	pthread_mutex_unlock(&pm_lock);
	return p != NULL;
}

SHIM_EXPORT off_t
lseek(int fd, off_t off, int whence)
{
	int64_t r;

	if (pm_seek(fd, off, whence, &r))
		return (off_t)r;
	return SHIM_REAL(lseek)(fd, off, whence);
}

SHIM_EXPORT off64_t
lseek64(int fd, off64_t off, int whence)
{
	int64_t r;

	if (pm_seek(fd, off, whence, &r))
		return (off64_t)r;
	return SHIM_REAL(lseek64)(fd, off, whence);
}

SHIM_EXPORT ssize_t
pread(int fd, void *buf, size_t count, off_t off)
{
	uint64_t at = (uint64_t)off;
	ssize_t r;

	if (off >= 0 && shim_pagemap_read(fd, buf, count, &at, &r))
		return r;
	return SHIM_REAL(pread)(fd, buf, count, off);
}

SHIM_EXPORT ssize_t
pread64(int fd, void *buf, size_t count, off64_t off)
{
	uint64_t at = (uint64_t)off;
	ssize_t r;

	if (off >= 0 && shim_pagemap_read(fd, buf, count, &at, &r))
		return r;
	return SHIM_REAL(pread64)(fd, buf, count, off);
}

/* ---- Handover: the frames of the shared mappings, for the host ---- */

struct pm_batch {
	int sock;
	struct emu_msg_frames m;
	int err;
};

static void
batch_flush(struct pm_batch *b)
{
	size_t len = offsetof(struct emu_msg_frames, ext) +
		     (size_t)b->m.count * sizeof(b->m.ext[0]);

	if (b->m.count == 0 || b->err != 0)
		return;
	if (send(b->sock, &b->m, len, MSG_NOSIGNAL) != (ssize_t)len)
		b->err = -EIO;
	b->m.count = 0;
}

static void
batch_add(struct pm_batch *b, uint64_t gpa_page, uint64_t va, uint64_t npages)
{
	struct emu_frame_extent *last =
		b->m.count > 0 ? &b->m.ext[b->m.count - 1] : NULL;

	if (last != NULL && last->gpa_page + last->npages == gpa_page &&
	    last->va + last->npages * PM_PAGE == va) {
		last->npages += npages;
		return;
	}
	if (b->m.count == EMU_MSG_FRAMES_MAX)
		batch_flush(b);
	b->m.ext[b->m.count].gpa_page = gpa_page;
	b->m.ext[b->m.count].va = va;
	b->m.ext[b->m.count].npages = npages;
	b->m.count++;
}

/* Frames of one file mapping line that the guest's pagemap gave out. */
static void
add_mapping(struct pm_batch *b, const struct pm_map *m)
{
	uint64_t va = m->start;

	while (va < m->end) {
		uint64_t pos = m->off + (va - m->start);
		uint64_t in = pos % PM_CHUNK;
		uint64_t n = (PM_CHUNK - in) / PM_PAGE;
		struct pm_chunk *c;

		if (n > (m->end - va) / PM_PAGE)
			n = (m->end - va) / PM_PAGE;
		if (n == 0)
			break;
		c = chunk_find(m->dev, m->ino, pos - in);
		if (c != NULL)
			batch_add(b, PM_BASE_PAGE + (uint64_t)c->slot * PM_CHUNK_PAGES +
					     in / PM_PAGE,
				  va, n);
		va += n * PM_PAGE;
	}
}

int
shim_pagemap_send(int sock)
{
	struct pm_batch *b = calloc(1, sizeof(*b));
	char line[4096 + 128];
	FILE *f;
	int err;

	if (b == NULL)
		return -ENOMEM;
	f = fopen("/proc/self/maps", "re");
	if (f == NULL) {
		free(b);
		return 0; /* No table: every GPA will be refused, not open(). */
	}
	b->sock = sock;
	b->m.hdr.magic = EMU_MSG_MAGIC;
	b->m.hdr.type = EMU_MSG_FRAMES;
	b->m.hdr.version = EMU_MSG_VERSION;
	pthread_mutex_lock(&pm_lock);
	while (fgets(line, sizeof(line), f) != NULL) {
		struct pm_map m;

		if (parse_maps_line(line, &m) && m.ino != 0)
			add_mapping(b, &m);
	}
	pthread_mutex_unlock(&pm_lock);
	fclose(f);
	batch_flush(b);
	err = b->err;
	free(b);
	return err;
}
