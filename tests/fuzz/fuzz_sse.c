/* SPDX-License-Identifier: MIT */
/*
 * fuzz_sse.c - libFuzzer target for the SSE parser: the same input fed
 * whole and in pieces must give the same events (split invariance).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "analyze/sse.h"

struct acc {
	uint32_t crc;
	size_t count;
};

static void on_ev(void *ctx, const struct sse_event *e)
{
	struct acc *a = ctx;

	a->crc = (uint32_t)crc32(a->crc, (const Bytef *)e->event, (uInt)strlen(e->event));
	a->crc = (uint32_t)crc32(a->crc, (const Bytef *)e->data, (uInt)e->data_len);
	a->count++;
}

static struct acc run(const uint8_t *d, size_t n, size_t step)
{
	struct sse_parser p;
	struct acc a = { 0, 0 };
	size_t off = 0;

	sse_init(&p, on_ev, &a);
	while (off < n) {
		size_t s = step && step < n - off ? step : n - off;

		sse_feed(&p, off, d + off, s);
		off += s;
	}
	sse_finish(&p, n);
	sse_release(&p);
	return a;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct acc whole = run(d, n, 0), parts = run(d, n, n ? (size_t)(d[0] % 7) + 1 : 1);

	if (whole.crc != parts.crc || whole.count != parts.count)
		abort();
	return 0;
}
