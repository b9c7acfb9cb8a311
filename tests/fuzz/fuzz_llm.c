/* SPDX-License-Identifier: MIT */
/*
 * fuzz_llm.c - libFuzzer target for the whole conversation layer: the input
 * is a client byte stream, the line "\n--RESPONSE--\n", then the server's
 * bytes.  They go through TLS reassembly, HTTP/1.1 pairing, SSE and the
 * LLM providers (jansson), as one connection of one process.  Nothing may
 * crash; every exchange must produce a call or be skipped.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/conv.h"
#include "analyze/llm.h"

static void on_ex(void *ctx, struct conv_exchange *ex)
{
	struct llm_call *c = llm_from_exchange(ex, NULL);

	if (c && c->in_tok < -1)
		abort();
	llm_call_free(c);
}

static void feed(struct stream_set *s, int dir, uint64_t seq, const uint8_t *d, size_t n)
{
	struct cap_tls t = { .conn = 0x1000, .fd = 3, .dir = (uint16_t)dir };
	struct cap_rec r;

	memset(&r, 0, sizeof(r));
	r.hdr.type = CAP_REC_TLS;
	r.hdr.pid = 42;
	r.hdr.seq = seq;
	r.hdr.ts_ns = seq * 1000;
	r.hdr.orig_len = (uint32_t)n;
	r.fixed = (const uint8_t *)&t;
	r.fixed_len = sizeof(t);
	r.data = d;
	r.data_len = n;
	stream_feed(s, &r);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const char mark[] = "\n--RESPONSE--\n";
	const uint8_t *m = memmem(d, n, mark, sizeof(mark) - 1);
	size_t cn = m ? (size_t)(m - d) : n, off, step = 4096;
	struct conv_set *cs;
	struct stream_set *s;
	uint64_t seq = 1;

	if (conv_new(on_ex, NULL, &cs) || stream_new(conv_stream_ops(), cs, &s))
		abort();
	feed(s, CAP_TLS_WRITE, seq++, d, cn);
	if (m) {
		const uint8_t *r = m + sizeof(mark) - 1;
		size_t rn = n - (size_t)(r - d);

		for (off = 0; off < rn; off += step)
			feed(s, CAP_TLS_READ, seq++, r + off, rn - off < step ? rn - off : step);
	}
	stream_finish(s);
	conv_finish(cs);
	stream_free(s);
	conv_free(cs);
	return 0;
}
