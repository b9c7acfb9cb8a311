/* SPDX-License-Identifier: MIT */
/*
 * autil.c - containers for the analysis modules (see autil.h).
 */
#include "autil.h"

#include "format/cap_buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct au_slot {
	struct au_key k;
	void *v; /* NULL: empty */
};

static uint64_t key_hash(struct au_key k)
{
	uint64_t h = k.a * 0x9E3779B97F4A7C15ull;

	h ^= (k.b + 0x632BE59BD9B4E019ull) * 0xC2B2AE3D27D4EB4Full;
	h ^= (k.c + 0x165667B19E3779F9ull) * 0x94D049BB133111EBull;
	return h ^ (h >> 31);
}

static int key_eq(struct au_key x, struct au_key y)
{
	return x.a == y.a && x.b == y.b && x.c == y.c;
}

void *au_map_get(const struct au_map *m, struct au_key k)
{
	size_t i;

	if (!m->cap)
		return NULL;
	for (i = key_hash(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->slots[i].v)
			return NULL;
		if (key_eq(m->slots[i].k, k))
			return m->slots[i].v;
	}
}

static int map_grow(struct au_map *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 64, i, j;
	struct au_slot *ns = calloc(ncap, sizeof(*ns));

	if (!ns)
		return -ENOMEM;
	for (i = 0; i < m->cap; i++) {
		if (!m->slots[i].v)
			continue;
		for (j = key_hash(m->slots[i].k) & (ncap - 1); ns[j].v; j = (j + 1) & (ncap - 1))
			;
		ns[j] = m->slots[i];
	}
	free(m->slots);
	m->slots = ns;
	m->cap = ncap;
	return 0;
}

int au_map_put(struct au_map *m, struct au_key k, void *v)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap && map_grow(m))
		return -ENOMEM;
	for (i = key_hash(k) & (m->cap - 1); m->slots[i].v; i = (i + 1) & (m->cap - 1)) {
		if (key_eq(m->slots[i].k, k)) {
			m->slots[i].v = v;
			return 0;
		}
	}
	m->slots[i].k = k;
	m->slots[i].v = v;
	m->n++;
	return 0;
}

void au_map_free_values(struct au_map *m, uint64_t c, const void *keep)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		if (m->slots[i].v && m->slots[i].k.c == c && m->slots[i].v != keep)
			free(m->slots[i].v);
}

int au_map_drop(struct au_map *m, int (*drop)(void *ctx, struct au_key k, void *v), void *ctx)
{
	struct au_map nm = { 0 };
	size_t i;

	/* rebuilt rather than deleted in place: linear probing keeps no holes */
	nm.slots = calloc(m->cap ? m->cap : 1, sizeof(*nm.slots));
	if (!nm.slots)
		return -ENOMEM;
	nm.cap = m->cap;
	for (i = 0; i < m->cap; i++)
		if (m->slots[i].v && !drop(ctx, m->slots[i].k, m->slots[i].v))
			au_map_put(&nm, m->slots[i].k, m->slots[i].v); /* never grows */
	free(m->slots);
	*m = nm;
	return 0;
}

void au_map_release(struct au_map *m)
{
	free(m->slots);
	m->slots = NULL;
	m->n = m->cap = 0;
}

void *au_push(void *arr, size_t *n, size_t *cap, size_t size)
{
	void **pa = arr;
	char *p = *pa;

	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;

		p = realloc(p, nc * size);
		if (!p)
			return NULL;
		*pa = p;
		*cap = nc;
	}
	p += *n * size;
	memset(p, 0, size);
	(*n)++;
	return p;
}

char *au_strndup(const void *s, size_t n)
{
	char *p = malloc(n + 1);

	if (!p)
		return NULL;
	if (n)
		memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *au_strdup(const char *s)
{
	return s ? au_strndup(s, strlen(s)) : NULL;
}

int au_buf_prealloc(struct cap_buf *b, size_t cap)
{
	if (b->cap || !cap)
		return 0;
	b->p = malloc(cap);
	if (!b->p)
		return -ENOMEM;
	b->cap = cap;
	return 0;
}

void au_buf_shrink(struct cap_buf *b)
{
	uint8_t *p;

	if (!b->len) {
		cap_buf_release(b);
		return;
	}
	if (b->cap - b->len < 64)
		return;
	p = realloc(b->p, b->len + 1); /* room for a terminating NUL */
	if (p) {
		b->p = p;
		b->cap = b->len + 1;
	}
}

char *au_fmt(const char *fmt, ...)
{
	va_list ap;
	char *p = NULL;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&p, fmt, ap);
	va_end(ap);
	return r < 0 ? NULL : p;
}

#define ARENA_BLOCK (64u * 1024u)

struct au_arena_blk {
	struct au_arena_blk *next;
	char data[];
};

/* Room for @n bytes; a string of more than a quarter block gets a block of
 * its own, kept behind the current one so that its room is not wasted. */
static char *arena_alloc(struct au_arena *a, size_t n)
{
	struct au_arena_blk *b;

	if (a->blk && a->cap - a->used >= n) {
		a->used += n;
		return a->blk->data + a->used - n;
	}
	if (n > ARENA_BLOCK / 4) {
		b = malloc(sizeof(*b) + n);
		if (!b)
			return NULL;
		if (a->blk) {
			b->next = a->blk->next;
			a->blk->next = b;
		} else {
			b->next = NULL;
			a->blk = b;
			a->used = a->cap = n;
		}
		return b->data;
	}
	b = malloc(sizeof(*b) + ARENA_BLOCK);
	if (!b)
		return NULL;
	b->next = a->blk;
	a->blk = b;
	a->cap = ARENA_BLOCK;
	a->used = n;
	return b->data;
}

char *au_arena_strndup(struct au_arena *a, const void *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = 0;
	}
	return p;
}

char *au_arena_join(struct au_arena *a, const char *dir, const char *b)
{
	size_t dl = strlen(dir), bl = strlen(b);
	int slash = !dl || dir[dl - 1] != '/';
	char *p = arena_alloc(a, dl + (size_t)slash + bl + 1);

	if (p) {
		memcpy(p, dir, dl);
		if (slash)
			p[dl] = '/';
		memcpy(p + dl + (size_t)slash, b, bl + 1);
	}
	return p;
}

void au_arena_reset(struct au_arena *a)
{
	struct au_arena_blk *b, *next;

	if (!a->blk)
		return;
	for (b = a->blk->next; b; b = next) {
		next = b->next;
		free(b);
	}
	a->blk->next = NULL;
	a->used = 0;
	if (a->cap != ARENA_BLOCK) /* a block of one big string: start afresh */
		au_arena_release(a);
}

void au_arena_release(struct au_arena *a)
{
	struct au_arena_blk *b, *next;

	for (b = a->blk; b; b = next) {
		next = b->next;
		free(b);
	}
	a->blk = NULL;
	a->used = a->cap = 0;
}

int au_cache_path(const char *const *paths, size_t n, char *db, size_t size)
{
	char dir[PATH_MAX], *slash;
	const char *base, *cache;
	unsigned long h = 5381;
	size_t i;

	snprintf(dir, sizeof(dir), "%s", paths[0]);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	else
		snprintf(dir, sizeof(dir), ".");
	if (!access(dir, W_OK))
		return snprintf(db, size, "%s.db", paths[0]) < (int)size ? 0 : -ENAMETOOLONG;
	/* not ours to write beside: a per-user cache keyed by the full paths */
	for (i = 0; i < n; i++)
		for (base = paths[i]; *base; base++)
			h = h * 33 + (unsigned char)*base;
	base = strrchr(paths[0], '/') ? strrchr(paths[0], '/') + 1 : paths[0];
	cache = getenv("XDG_CACHE_HOME");
	if (cache && *cache)
		snprintf(dir, sizeof(dir), "%s/asight", cache);
	else
		snprintf(dir, sizeof(dir), "%s/.cache/asight", getenv("HOME") ? getenv("HOME") : "/tmp");
	slash = strrchr(dir, '/');
	*slash = 0;
	mkdir(dir, 0700);
	*slash = '/';
	mkdir(dir, 0700);
	return snprintf(db, size, "%s/%s.%08lx.db", dir, base, h & 0xffffffffUL) < (int)size ?
		       0 : -ENAMETOOLONG;
}
