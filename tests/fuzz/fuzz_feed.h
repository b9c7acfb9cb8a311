/* SPDX-License-Identifier: MIT */
/*
 * fuzz_feed.h - hand fuzz input to the analyzer as the TLS plaintext of
 * one connection (pid 42, conn 0x1000, fd 3), one record per call, the
 * way the recorder's records reach stream_feed().
 */
#ifndef AS_TESTS_FUZZ_FEED_H
#define AS_TESTS_FUZZ_FEED_H

#include <stdint.h>
#include <string.h>

#include "analyze/stream.h"
#include "format/cap_reader.h"

static inline void fuzz_feed_tls(struct stream_set *s, int dir, uint64_t seq, const uint8_t *d,
				 size_t n)
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

#endif
