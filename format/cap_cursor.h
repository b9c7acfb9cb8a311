/* SPDX-License-Identifier: MIT */
/*
 * cap_cursor.h - little-endian field access and a bounds-checked cursor.
 *
 * Every field of a capture is read through le16/32/64_get on bytes, never by
 * casting a struct over file data.  cap_cursor_take() hands out @n bytes
 * only when they are there, so a parser checks each length before use.
 */
#ifndef AS_FORMAT_CAP_CURSOR_H
#define AS_FORMAT_CAP_CURSOR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t le16_get(const void *p)
{
	const uint8_t *b = p;
	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t le32_get(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

static inline uint64_t le64_get(const void *p)
{
	const uint8_t *b = p;
	return (uint64_t)le32_get(b) | (uint64_t)le32_get(b + 4) << 32;
}

static inline void le16_put(void *p, uint16_t v)
{
	uint8_t *b = p;
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

static inline void le32_put(void *p, uint32_t v)
{
	uint8_t *b = p;
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

static inline void le64_put(void *p, uint64_t v)
{
	le32_put(p, (uint32_t)v);
	le32_put((uint8_t *)p + 4, (uint32_t)(v >> 32));
}

struct cap_cursor {
	const uint8_t *p;  /* next unread byte */
	size_t left;       /* bytes left */
};

static inline void cap_cursor_init(struct cap_cursor *c, const void *p, size_t n)
{
	c->p = p;
	c->left = n;
}

/* Return a pointer to the next @n bytes and advance, or NULL when short. */
static inline const uint8_t *cap_cursor_take(struct cap_cursor *c, size_t n)
{
	const uint8_t *r;

	if (c->left < n)
		return NULL;
	r = c->p;
	c->p += n;
	c->left -= n;
	return r;
}

/*
 * Copy a fixed struct of @want bytes from @src that holds @have bytes:
 * shorter (older) structs are zero-filled, longer (newer) ones cut.
 */
static inline void cap_fixed_copy(void *dst, size_t want, const void *src, size_t have)
{
	size_t n = have < want ? have : want;

	memcpy(dst, src, n);
	if (n < want)
		memset((uint8_t *)dst + n, 0, want - n);
}

#endif
