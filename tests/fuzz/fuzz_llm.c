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
#include "tests/fuzz/fuzz_feed.h"

static void on_ex(void *ctx, struct conv_exchange *ex)
{
	struct llm_call *c = llm_from_exchange(ex, NULL);

	if (c && c->in_tok < -1)
		abort();
	llm_call_free(c);
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
	fuzz_feed_tls(s, CAP_TLS_WRITE, seq++, d, cn);
	if (m) {
		const uint8_t *r = m + sizeof(mark) - 1;
		size_t rn = n - (size_t)(r - d);

		for (off = 0; off < rn; off += step)
			fuzz_feed_tls(s, CAP_TLS_READ, seq++, r + off,
				      rn - off < step ? rn - off : step);
	}
	stream_finish(s);
	conv_finish(cs);
	stream_free(s);
	conv_free(cs);
	return 0;
}
