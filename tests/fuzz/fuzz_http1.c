/* SPDX-License-Identifier: MIT */
/*
 * fuzz_http1.c - libFuzzer target for the HTTP/1.1 parser and body
 * decoders: the input is parsed as a request stream and as a response
 * stream, whole and in pieces whose sizes come from the input itself.
 * Invariants: never more bytes consumed than given; every message handed
 * over is either complete or carries an error.
 */
#include <stdint.h>
#include <stdlib.h>

#include "analyze/http1.h"

static void done(void *ctx, struct http_msg *m)
{
	if (!m->complete && !m->error)
		abort();
	if (m->body.len > m->body_len)
		abort();
	http_msg_free(m);
}

static int no_body(void *ctx)
{
	return 0;
}

static const struct http1_ops ops = { .done = done, .no_body = no_body };

static void run(enum http1_kind k, const uint8_t *d, size_t n, size_t step)
{
	struct http1_parser p;
	size_t off = 0;

	http1_init(&p, k, &ops, NULL);
	p.decode_limit = 1 << 20;
	while (off < n) {
		size_t s = step && step < n - off ? step : n - off;
		long r = http1_feed(&p, off, d + off, s);

		if (r > (long)s)
			abort();
		off += s;
	}
	http1_eof(&p, n);
	http1_release(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	size_t step = n ? (size_t)(d[0] % 17) + 1 : 1;

	run(HTTP1_REQUEST, d, n, 0);
	run(HTTP1_RESPONSE, d, n, 0);
	run(HTTP1_RESPONSE, d, n, step);
	run(HTTP1_REQUEST, d, n, step);
	return 0;
}
