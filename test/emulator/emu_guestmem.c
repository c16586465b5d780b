/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu_guestmem.h"
#include "vmbus_wire.h"

void
emu_guestmem_init(struct emu_guestmem *gm)
{
	memset(gm, 0, sizeof(*gm));
}

static bool
overlaps(const struct emu_guestmem_range *a, uint64_t va, uint64_t len)
{
	return va < a->va + a->len && a->va < va + len;
}

static void
drop_at(struct emu_guestmem *gm, unsigned int i)
{
	if (gm->r[i].owned)
		munmap(gm->r[i].ptr, gm->r[i].len);
	memmove(&gm->r[i], &gm->r[i + 1], (gm->n - i - 1) * sizeof(gm->r[0]));
	gm->n--;
}

/*
 * The fd comes from an untrusted guest process. Touching a mapping past
 * the end of its file raises SIGBUS in the host, so the whole range must
 * lie inside a regular file (memfd, hugetlbfs, tmpfs) as it is now. A
 * guest that shrinks the file later can still do that; DPDK never does.
 */
static bool
fd_covers(int fd, uint64_t file_off, uint64_t len)
{
	struct stat st;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0)
		return false;
	return file_off <= (uint64_t)st.st_size &&
	       len <= (uint64_t)st.st_size - file_off;
}

static bool
range_ok(uint64_t va, uint64_t len)
{
	if (len == 0 || va % HV_PAGE_SIZE != 0 || len % HV_PAGE_SIZE != 0)
		return false;
	return va + len > va; /* no wrap-around */
}

/* Returns 1 if an identical range exists, 0 after making room, or -errno. */
static int
make_room(struct emu_guestmem *gm, uint64_t va, uint64_t len)
{
	unsigned int i = 0;

	while (i < gm->n) {
		if (gm->r[i].va == va && gm->r[i].len == len)
			return 1;
		if (overlaps(&gm->r[i], va, len))
			drop_at(gm, i);
		else
			i++;
	}
	return gm->n < EMU_GUESTMEM_MAX ? 0 : -ENOBUFS;
}

static void
insert_sorted(struct emu_guestmem *gm, const struct emu_guestmem_range *nr)
{
	unsigned int i = 0;

	while (i < gm->n && gm->r[i].va < nr->va)
		i++;
	memmove(&gm->r[i + 1], &gm->r[i], (gm->n - i) * sizeof(gm->r[0]));
	gm->r[i] = *nr;
	gm->n++;
}

int
emu_guestmem_add_fd(struct emu_guestmem *gm, const struct emu_mem_range *r,
		    int fd)
{
	struct emu_guestmem_range nr = { .va = r->va, .len = r->len, .owned = true };
	long pagesz = sysconf(_SC_PAGESIZE);
	void *p;
	int ret;

	if (!range_ok(r->va, r->len) || pagesz <= 0 ||
	    r->file_off % (uint64_t)pagesz != 0 || r->len > SIZE_MAX ||
	    r->file_off > (uint64_t)INT64_MAX - r->len ||
	    !fd_covers(fd, r->file_off, r->len))
		return -EINVAL;
	ret = make_room(gm, r->va, r->len);
	if (ret != 0)
		return ret > 0 ? 0 : ret;
	p = mmap(NULL, (size_t)r->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)r->file_off);
	if (p == MAP_FAILED)
		return -errno;
	nr.ptr = p;
	insert_sorted(gm, &nr);
	return 0;
}

int
emu_guestmem_add_ptr(struct emu_guestmem *gm, uint64_t va, uint64_t len,
		     void *ptr)
{
	struct emu_guestmem_range nr = { .va = va, .len = len, .ptr = ptr };
	int ret;

	if (ptr == NULL || !range_ok(va, len))
		return -EINVAL;
	ret = make_room(gm, va, len);
	if (ret != 0)
		return ret > 0 ? 0 : ret;
	insert_sorted(gm, &nr);
	return 0;
}

static bool
extent_ok(const struct emu_frame_extent *e)
{
	uint64_t max_pages = UINT64_MAX >> HV_PAGE_SHIFT;

	return e->npages != 0 && e->va % HV_PAGE_SIZE == 0 &&
	       e->gpa_page <= max_pages && e->npages <= max_pages - e->gpa_page &&
	       e->npages <= (UINT64_MAX - e->va) >> HV_PAGE_SHIFT;
}

static void
add_extent(struct emu_guestmem *gm, const struct emu_frame_extent *e)
{
	unsigned int i = 0;

	/* Drop what it overlaps: the guest's table changed there. */
	while (i < gm->nf) {
		const struct emu_frame_extent *o = &gm->f[i];

		if (o->gpa_page < e->gpa_page + e->npages &&
		    e->gpa_page < o->gpa_page + o->npages) {
			memmove(&gm->f[i], &gm->f[i + 1],
				(gm->nf - i - 1) * sizeof(gm->f[0]));
			gm->nf--;
		} else {
			i++;
		}
	}
	for (i = 0; i < gm->nf && gm->f[i].gpa_page < e->gpa_page; i++)
		;
	memmove(&gm->f[i + 1], &gm->f[i], (gm->nf - i) * sizeof(gm->f[0]));
	gm->f[i] = *e;
	gm->nf++;
}

int
emu_guestmem_add_frames(struct emu_guestmem *gm,
			const struct emu_frame_extent *e, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!extent_ok(&e[i]))
			return -EINVAL;
	if (gm->f == NULL) {
		gm->f = calloc(EMU_GUESTMEM_MAX_FRAMES, sizeof(gm->f[0]));
		if (gm->f == NULL)
			return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if (gm->nf == EMU_GUESTMEM_MAX_FRAMES)
			return -ENOBUFS;
		add_extent(gm, &e[i]);
	}
	return 0;
}

void
emu_guestmem_clear(struct emu_guestmem *gm)
{
	while (gm->n > 0)
		drop_at(gm, gm->n - 1);
	free(gm->f);
	gm->f = NULL;
	gm->nf = 0;
}

void *
emu_guestmem_va(struct emu_guestmem *gm, uint64_t va, uint64_t len)
{
	unsigned int lo = 0, hi = gm->n;
	const struct emu_guestmem_range *r;

	if (len == 0 || va + len < va)
		return NULL;
	if (gm->hint_r < gm->n && emu_guestmem_range_holds(&gm->r[gm->hint_r], va, len))
		return gm->r[gm->hint_r].ptr + (va - gm->r[gm->hint_r].va);
	if (gm->hint_r2 < gm->n && emu_guestmem_range_holds(&gm->r[gm->hint_r2], va, len))
		return gm->r[gm->hint_r2].ptr + (va - gm->r[gm->hint_r2].va);
	/* Binary search for the last range starting at or below va. */
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (gm->r[mid].va <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	r = &gm->r[lo - 1];
	if (!emu_guestmem_range_holds(r, va, len))
		return NULL;
	gm->hint_r2 = gm->hint_r;
	gm->hint_r = lo - 1;
	return r->ptr + (va - r->va);
}

/* The extent holding gpa_page, or NULL. */
static const struct emu_frame_extent *
find_extent(struct emu_guestmem *gm, uint64_t gpa_page)
{
	unsigned int lo = 0, hi = gm->nf;

	if (gm->hint_f < gm->nf && gpa_page >= gm->f[gm->hint_f].gpa_page &&
	    gpa_page - gm->f[gm->hint_f].gpa_page < gm->f[gm->hint_f].npages)
		return &gm->f[gm->hint_f];
	if (gm->hint_f2 < gm->nf && gpa_page >= gm->f[gm->hint_f2].gpa_page &&
	    gpa_page - gm->f[gm->hint_f2].gpa_page < gm->f[gm->hint_f2].npages)
		return &gm->f[gm->hint_f2];
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (gm->f[mid].gpa_page <= gpa_page)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || gpa_page - gm->f[lo - 1].gpa_page >= gm->f[lo - 1].npages)
		return NULL;
	gm->hint_f2 = gm->hint_f;
	gm->hint_f = lo - 1;
	return &gm->f[lo - 1];
}

void *
emu_guestmem_translate(struct emu_guestmem *gm, uint64_t gpa_page,
		       uint64_t offset, uint64_t len)
{
	const struct emu_frame_extent *e;
	uint64_t rel, room;

	if (gpa_page > (UINT64_MAX >> HV_PAGE_SHIFT))
		return NULL;
	if (offset > UINT64_MAX - (gpa_page << HV_PAGE_SHIFT))
		return NULL;
	if (gm->gpa_is_va)
		return emu_guestmem_va(gm, (gpa_page << HV_PAGE_SHIFT) + offset, len);
	e = find_extent(gm, gpa_page);
	if (e == NULL)
		return NULL;
	/* Guest-physical contiguity ends with the extent. */
	rel = (gpa_page - e->gpa_page) << HV_PAGE_SHIFT;
	room = (e->npages << HV_PAGE_SHIFT) - rel;
	if (offset > room || len > room - offset)
		return NULL;
	return emu_guestmem_va(gm, e->va + rel + offset, len);
}
