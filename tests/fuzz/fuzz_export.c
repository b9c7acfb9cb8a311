/* SPDX-License-Identifier: MIT */
/*
 * fuzz_export.c - libFuzzer target for the Perfetto and pcapng exports:
 * the input is a client byte stream, the line "\n--RESPONSE--\n", then the
 * server's bytes (as fuzz_llm.c; an HTTP/2 preface makes it HTTP/2).  They
 * become one TLS connection of one process, its exchanges and LLM calls,
 * in a model built by hand, which both exporters write to /dev/null.
 * Nothing may crash, and a model with exchanges must give packets.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/export_pcapng.h"
#include "analyze/export_perfetto.h"
#include "analyze/model.h"
#include "tests/fuzz/fuzz_feed.h"

static void on_ex(void *ctx, struct conv_exchange *ex)
{
	struct model *m = ctx;
	struct llm_call *c = llm_from_exchange(ex, NULL), **slot;

	if (!c)
		return;
	slot = au_push(&m->calls, &m->ncalls, &m->ccalls, sizeof(*slot));
	if (slot)
		*slot = c;
	else
		llm_call_free(c);
}

static void export(struct model *m)
{
	FILE *f = fopen("/dev/null", "w");
	long n;

	if (!f)
		abort();
	n = export_pcapng_write(m, NULL, f, 1);
	if (n == 0 && m->convs->nex && m->convs->ex[0]->req)
		abort(); /* a captured request always makes packets */
	export_perfetto_write(m, NULL, f, 1);
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const char mark[] = "\n--RESPONSE--\n";
	const uint8_t *mk = memmem(d, n, mark, sizeof(mark) - 1);
	size_t cn = mk ? (size_t)(mk - d) : n, off, step = 4096, i;
	struct model m;
	uint64_t seq = 1;

	memset(&m, 0, sizeof(m));
	if (tree_new(&m.tree) || conv_new(on_ex, &m, &m.convs) ||
	    stream_new(conv_stream_ops(), m.convs, &m.streams))
		abort();
	fuzz_feed_tls(m.streams, CAP_TLS_WRITE, seq++, d, cn);
	if (mk) {
		const uint8_t *r = mk + sizeof(mark) - 1;
		size_t rn = n - (size_t)(r - d);

		for (off = 0; off < rn; off += step)
			fuzz_feed_tls(m.streams, CAP_TLS_READ, seq++, r + off,
			     rn - off < step ? rn - off : step);
	}
	stream_finish(m.streams);
	conv_finish(m.convs);
	m.first_ts = 1000;
	m.last_ts = seq * 1000;
	export(&m);
	for (i = 0; i < m.ncalls; i++)
		llm_call_free(m.calls[i]);
	free(m.calls);
	stream_free(m.streams);
	conv_free(m.convs);
	tree_free(m.tree);
	au_map_release(&m.fds);
	return 0;
}
