/* SPDX-License-Identifier: MIT */
/*
 * cap_buf.h - growable byte buffer.  Invariant: p is NULL only while cap is
 * 0; len <= cap.  Functions return 0 or -ENOMEM.
 */
#ifndef AS_FORMAT_CAP_BUF_H
#define AS_FORMAT_CAP_BUF_H

#include <stddef.h>
#include <stdint.h>

struct cap_buf {
	uint8_t *p;
	size_t len;
	size_t cap;
};

/* Make room for @n more bytes. */
int cap_buf_reserve(struct cap_buf *b, size_t n);
int cap_buf_append(struct cap_buf *b, const void *p, size_t n);
/* Append @n zero bytes and return a pointer to them, or NULL. */
uint8_t *cap_buf_grow(struct cap_buf *b, size_t n);
/* Drop the first @n bytes, moving the rest down. */
void cap_buf_consume(struct cap_buf *b, size_t n);
void cap_buf_release(struct cap_buf *b);

#endif
