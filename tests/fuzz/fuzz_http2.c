/* SPDX-License-Identifier: MIT */
/*
 * fuzz_http2.c - libFuzzer target for the HTTP/2 decoder through the conv
 * layer.  Input: the first byte picks how the rest is split between client
 * and server; the rest is client bytes (after the preface the target adds)
 * then server bytes.  Fed whole and in small pieces, the exchanges and
 * their errors must be the same (split invariance), and nothing may crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "analyze/conv.h"
#include "analyze/http2.h"

struct acc {
	uint32_t crc;
	size_t count;
};

static uint32_t crc_s(uint32_t crc, const char *s)
{
	return s ? (uint32_t)crc32(crc, (const Bytef *)s, (uInt)strlen(s)) : crc;
}

static void on_ex(void *ctx, struct conv_exchange *ex)
{
	struct acc *a = ctx;
	const struct http_msg *m[2] = { ex->req, ex->resp };
	int k;

	for (k = 0; k < 2; k++) {
		if (!m[k])
			continue;
		a->crc = crc_s(a->crc, m[k]->method);
		a->crc = crc_s(a->crc, m[k]->target);
		a->crc = (uint32_t)crc32(a->crc, (const Bytef *)&m[k]->status, sizeof(int));
		a->crc = (uint32_t)crc32(a->crc, m[k]->body.p, (uInt)m[k]->body.len);
	}
	a->crc = crc_s(a->crc, conv_exchange_error(ex));
	a->count++;
}

static void feed(struct conv_set *cs, struct stream_conn *sc, int dir, const uint8_t *d, size_t n,
		 size_t step)
{
	size_t off = 0;

	while (off < n) {
		size_t s = step && step < n - off ? step : n - off;

		conv_stream_ops()->data(cs, sc, dir, off, d + off, s);
		off += s;
	}
}

static struct acc run(const uint8_t *d, size_t n, size_t step)
{
	struct acc a = { 0, 0 };
	struct stream_conn sc;
	struct conv_set *cs;
	size_t cut = n ? (size_t)d[0] * (n - 1) / 255 + 1 : 0;

	if (conv_new(on_ex, &a, &cs))
		abort();
	memset(&sc, 0, sizeof(sc));
	conv_stream_ops()->open(cs, &sc);
	conv_stream_ops()->data(cs, &sc, CAP_TLS_WRITE, 0, (const uint8_t *)H2_PREFACE,
				H2_PREFACE_LEN);
	if (n) {
		/* interleave the two sides the way a capture would */
		feed(cs, &sc, CAP_TLS_WRITE, d + 1, cut - 1, step);
		feed(cs, &sc, CAP_TLS_READ, d + cut, n - cut, step);
	}
	conv_finish(cs);
	conv_free(cs);
	return a;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct acc whole = run(d, n, 0), parts = run(d, n, n > 1 ? (size_t)(d[1] % 13) + 1 : 1);

	if (whole.crc != parts.crc || whole.count != parts.count)
		abort();
	return 0;
}
