/* SPDX-License-Identifier: MIT */
/*
 * autil.h - small containers shared by the analysis modules: a growable
 * array helper and a hash map keyed by three u64 words (pid, start, ptr).
 *
 * Calling sequence (map):
 *   struct au_map m = {0};
 *   au_map_put(&m, k, v); v = au_map_get(&m, k); au_map_release(&m);
 * The map does not own its values.  Functions return 0 or -ENOMEM.
 */
#ifndef AS_ANALYZE_AUTIL_H
#define AS_ANALYZE_AUTIL_H

#include <stddef.h>
#include <stdint.h>

struct au_key {
	uint64_t a, b, c;
};

struct au_map {
	struct au_slot *slots;
	size_t n, cap;
};

void *au_map_get(const struct au_map *m, struct au_key k);
int au_map_put(struct au_map *m, struct au_key k, void *v);
void au_map_release(struct au_map *m);
/* free() every value whose key's c is @c, but @keep (for maps that own
 * some of their values). */
void au_map_free_values(struct au_map *m, uint64_t c, const void *keep);
/* Remove every entry for which @drop returns 1 (it may free the value);
 * 0 or -ENOMEM (then nothing is removed). */
int au_map_drop(struct au_map *m, int (*drop)(void *ctx, struct au_key k, void *v), void *ctx);

/*
 * Make room for one more element of @size bytes in *@arr (count *@n,
 * capacity *@cap); returns a pointer to the new zeroed element (and bumps
 * *@n) or NULL on -ENOMEM.
 */
void *au_push(void *arr, size_t *n, size_t *cap, size_t size);

/* strndup that never returns NULL for n == 0 input; NULL only on ENOMEM. */
char *au_strndup(const void *s, size_t n);
char *au_strdup(const char *s);

/* Give back a cap_buf's unused capacity (a finished body or text is kept
 * for the whole analysis; its doubling slack is not). */
struct cap_buf;
void au_buf_shrink(struct cap_buf *b);
/* The first allocation of an empty cap_buf at @cap bytes instead of
 * cap_buf's 4 KiB: a short text or a body of known length then comes from
 * the small-size caches of malloc, instead of large chunks that are split
 * and merged again (the analysis makes millions of them). */
int au_buf_prealloc(struct cap_buf *b, size_t cap);

/*
 * Strings that live and die together (a model's file paths) from large
 * blocks: one malloc per block instead of one a string, and one free.
 *   struct au_arena a = {0}; s = au_arena_strndup(&a, p, n); au_arena_release(&a);
 */
struct au_arena {
	struct au_arena_blk *blk;
	size_t used, cap;
};

/* @n bytes of @s (which need not be NUL-terminated) and a NUL; NULL on ENOMEM. */
char *au_arena_strndup(struct au_arena *a, const void *s, size_t n);
/* @dir, "/" unless @dir ends with one, and @b; NULL on ENOMEM. */
char *au_arena_join(struct au_arena *a, const char *dir, const char *b);
void au_arena_release(struct au_arena *a);
/* Forget every string but keep the current block for the next ones (a
 * scratch arena reused row after row). */
void au_arena_reset(struct au_arena *a);

/*
 * Where the analysis of capture(s) @paths is cached: FILE.db beside the
 * first when its directory is writable, else $XDG_CACHE_HOME/asight/ (or
 * ~/.cache/asight/) under a name keyed by every path.  0 or -ENAMETOOLONG.
 */
int au_cache_path(const char *const *paths, size_t n, char *db, size_t size);

/* printf into a new string; NULL on ENOMEM. */
char *au_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
