/* SPDX-License-Identifier: MIT */
/*
 * http_dec.h - incremental HTTP content decoding (gzip, deflate, br, zstd)
 * with a decompression-bomb limit.
 *
 * Calling sequence:
 *   http_dec_init(&d, "gzip", limit);        0, or -ENOTSUP for unknown codings
 *   http_dec_feed(&d, in, n, out_fn, ctx);   any number of times, any split
 *   http_dec_end(&d);                        0, or -ENODATA when the coded
 *                                            stream stopped in the middle
 *   http_dec_release(&d);
 * Errors: -EBADMSG corrupt data, -E2BIG output would pass @limit bytes.
 * After an error every feed returns the same error and outputs nothing.
 */
#ifndef AS_ANALYZE_HTTP_DEC_H
#define AS_ANALYZE_HTTP_DEC_H

#include <stddef.h>
#include <stdint.h>

enum http_coding {
	HTTP_CODING_IDENTITY,
	HTTP_CODING_GZIP,
	HTTP_CODING_DEFLATE,
	HTTP_CODING_BR,
	HTTP_CODING_ZSTD,
};

struct http_dec {
	enum http_coding coding;
	uint64_t limit;     /* max decoded bytes */
	uint64_t out;       /* decoded bytes so far */
	uint64_t in;        /* coded bytes so far */
	int err;
	int started;        /* deflate: wrapper detected */
	int finished;       /* the coded stream ended */
	void *state;        /* z_stream, BrotliDecoderState or ZSTD_DStream */
};

typedef void (*http_dec_out_fn)(void *ctx, const uint8_t *p, size_t n);

/* Parse a Content-Encoding value; -ENOTSUP when unknown or stacked. */
int http_dec_coding(const char *value, enum http_coding *out);
const char *http_dec_name(enum http_coding c);

int http_dec_init(struct http_dec *d, enum http_coding c, uint64_t limit);
int http_dec_feed(struct http_dec *d, const uint8_t *in, size_t n, http_dec_out_fn out, void *ctx);
int http_dec_end(struct http_dec *d);
void http_dec_release(struct http_dec *d);

#endif
