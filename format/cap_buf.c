/* SPDX-License-Identifier: MIT */
#include "cap_buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int cap_buf_reserve(struct cap_buf *b, size_t n)
{
	size_t want, cap;
	uint8_t *p;

	if (n <= b->cap - b->len)
		return 0;
	if (n > SIZE_MAX / 2 - b->len)
		return -ENOMEM;
	want = b->len + n;
	cap = b->cap ? b->cap : 4096;
	while (cap < want)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

int cap_buf_append(struct cap_buf *b, const void *p, size_t n)
{
	if (!n)
		return 0;
	if (cap_buf_reserve(b, n))
		return -ENOMEM;
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

uint8_t *cap_buf_grow(struct cap_buf *b, size_t n)
{
	uint8_t *r;

	if (cap_buf_reserve(b, n ? n : 1))
		return NULL;
	r = b->p + b->len;
	memset(r, 0, n);
	b->len += n;
	return r;
}

void cap_buf_consume(struct cap_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

void cap_buf_release(struct cap_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
