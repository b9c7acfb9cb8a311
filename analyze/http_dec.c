/* SPDX-License-Identifier: MIT */
/*
 * http_dec.c - content decoding for HTTP bodies (see http_dec.h).
 */
#include "http_dec.h"

#include <brotli/decode.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include <zstd.h>

#define OUT_CHUNK 16384

int http_dec_coding(const char *v, enum http_coding *out)
{
	size_t n;

	while (*v == ' ' || *v == '\t')
		v++;
	n = strcspn(v, " \t,;");
	if (v[n + strspn(v + n, " \t")] == ',')
		return -ENOTSUP; /* stacked codings: not seen from LLM APIs */
	if (!n || (n == 8 && !strncasecmp(v, "identity", 8)))
		*out = HTTP_CODING_IDENTITY;
	else if ((n == 4 && !strncasecmp(v, "gzip", 4)) || (n == 6 && !strncasecmp(v, "x-gzip", 6)))
		*out = HTTP_CODING_GZIP;
	else if (n == 7 && !strncasecmp(v, "deflate", 7))
		*out = HTTP_CODING_DEFLATE;
	else if (n == 2 && !strncasecmp(v, "br", 2))
		*out = HTTP_CODING_BR;
	else if (n == 4 && !strncasecmp(v, "zstd", 4))
		*out = HTTP_CODING_ZSTD;
	else
		return -ENOTSUP;
	return 0;
}

const char *http_dec_name(enum http_coding c)
{
	static const char *const names[] = { "identity", "gzip", "deflate", "br", "zstd" };

	return c <= HTTP_CODING_ZSTD ? names[c] : "?";
}

int http_dec_init(struct http_dec *d, enum http_coding c, uint64_t limit)
{
	memset(d, 0, sizeof(*d));
	d->coding = c;
	d->limit = limit;
	switch (c) {
	case HTTP_CODING_GZIP:
	case HTTP_CODING_DEFLATE:
		d->state = calloc(1, sizeof(z_stream));
		break;
	case HTTP_CODING_BR:
		d->state = BrotliDecoderCreateInstance(NULL, NULL, NULL);
		break;
	case HTTP_CODING_ZSTD:
		d->state = ZSTD_createDStream();
		if (d->state && ZSTD_isError(ZSTD_initDStream(d->state))) {
			ZSTD_freeDStream(d->state);
			d->state = NULL;
		}
		break;
	default:
		return 0;
	}
	if (!d->state)
		return -ENOMEM;
	if (c == HTTP_CODING_GZIP && inflateInit2((z_stream *)d->state, 15 + 16) != Z_OK) {
		free(d->state);
		d->state = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* Emit @n decoded bytes, enforcing the limit. */
static int emit(struct http_dec *d, const uint8_t *p, size_t n, http_dec_out_fn out, void *ctx)
{
	if (d->out + n > d->limit) {
		n = d->limit - d->out;
		if (n)
			out(ctx, p, n);
		d->out = d->limit;
		return d->err = -E2BIG;
	}
	d->out += n;
	if (n)
		out(ctx, p, n);
	return 0;
}

static int feed_zlib(struct http_dec *d, const uint8_t *in, size_t n, http_dec_out_fn out,
		     void *ctx)
{
	z_stream *z = d->state;
	uint8_t buf[OUT_CHUNK];
	int r;

	if (d->coding == HTTP_CODING_DEFLATE && !d->started) {
		/* "deflate" is zlib-wrapped by the RFC, raw in some servers */
		int wrapped = n >= 2 && (in[0] & 0x0f) == 8 && ((in[0] << 8) | in[1]) % 31 == 0;

		if (!n)
			return 0;
		if (inflateInit2(z, wrapped ? 15 : -15) != Z_OK)
			return d->err = -ENOMEM;
		d->started = 1;
	}
	z->next_in = (Bytef *)in;
	z->avail_in = (uInt)n;
	while (z->avail_in || !d->finished) {
		if (d->finished) {
			/* concatenated gzip members */
			if (d->coding != HTTP_CODING_GZIP || inflateReset(z) != Z_OK)
				return 0; /* trailing garbage after the stream: ignored */
			d->finished = 0;
		}
		z->next_out = buf;
		z->avail_out = sizeof(buf);
		r = inflate(z, Z_NO_FLUSH);
		if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR)
			return d->err = -EBADMSG;
		if (emit(d, buf, sizeof(buf) - z->avail_out, out, ctx))
			return d->err;
		if (r == Z_STREAM_END)
			d->finished = 1;
		else if (z->avail_out)
			break; /* needs more input */
	}
	return 0;
}

static int feed_br(struct http_dec *d, const uint8_t *in, size_t n, http_dec_out_fn out,
		   void *ctx)
{
	uint8_t buf[OUT_CHUNK];
	BrotliDecoderResult r;

	do {
		size_t avail_out = sizeof(buf);
		uint8_t *next_out = buf;

		r = BrotliDecoderDecompressStream(d->state, &n, &in, &avail_out, &next_out, NULL);
		if (r == BROTLI_DECODER_RESULT_ERROR)
			return d->err = -EBADMSG;
		if (emit(d, buf, sizeof(buf) - avail_out, out, ctx))
			return d->err;
	} while (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT);
	if (r == BROTLI_DECODER_RESULT_SUCCESS)
		d->finished = 1;
	return 0;
}

static int feed_zstd(struct http_dec *d, const uint8_t *in, size_t n, http_dec_out_fn out,
		     void *ctx)
{
	uint8_t buf[OUT_CHUNK];
	ZSTD_inBuffer ib = { in, n, 0 };
	size_t r;

	do {
		ZSTD_outBuffer ob = { buf, sizeof(buf), 0 };

		r = ZSTD_decompressStream(d->state, &ob, &ib);
		if (ZSTD_isError(r))
			return d->err = -EBADMSG;
		if (emit(d, buf, ob.pos, out, ctx))
			return d->err;
		d->finished = r == 0;
		if (ob.pos < ob.size && ib.pos == ib.size)
			break;
	} while (ib.pos < ib.size || r);
	return 0;
}

int http_dec_feed(struct http_dec *d, const uint8_t *in, size_t n, http_dec_out_fn out, void *ctx)
{
	if (d->err)
		return d->err;
	d->in += n;
	switch (d->coding) {
	case HTTP_CODING_GZIP:
	case HTTP_CODING_DEFLATE:
		return feed_zlib(d, in, n, out, ctx);
	case HTTP_CODING_BR:
		return feed_br(d, in, n, out, ctx);
	case HTTP_CODING_ZSTD:
		return feed_zstd(d, in, n, out, ctx);
	default:
		return emit(d, in, n, out, ctx);
	}
}

int http_dec_end(struct http_dec *d)
{
	if (d->err)
		return d->err;
	if (d->coding != HTTP_CODING_IDENTITY && d->in && !d->finished)
		return -ENODATA;
	return 0;
}

void http_dec_release(struct http_dec *d)
{
	switch (d->coding) {
	case HTTP_CODING_GZIP:
	case HTTP_CODING_DEFLATE:
		if (d->state && (d->coding == HTTP_CODING_GZIP || d->started))
			inflateEnd(d->state);
		free(d->state);
		break;
	case HTTP_CODING_BR:
		BrotliDecoderDestroyInstance(d->state);
		break;
	case HTTP_CODING_ZSTD:
		ZSTD_freeDStream(d->state);
		break;
	default:
		break;
	}
	d->state = NULL;
}
