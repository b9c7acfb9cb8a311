/* SPDX-License-Identifier: MIT */
/*
 * hpack.h - HPACK header block decoding (RFC 7541) for one direction of one
 * HTTP/2 connection, wrapping nghttp2's inflater: the dynamic table lives
 * as long as the connection, so blocks must be fed in wire order.
 *
 * Calling sequence:
 *   hpack_init(&h);                        0 or -ENOMEM
 *   hpack_decode(&h, block, n, fn, ctx);   one whole header block (HEADERS
 *                                          or PUSH_PROMISE + CONTINUATION);
 *                                          fn gets every field in order;
 *                                          0, or -EBADMSG (the table is lost:
 *                                          every later block fails too)
 *   hpack_set_max_table(&h, size);         the peer's SETTINGS_HEADER_TABLE_SIZE
 *   hpack_release(&h);
 */
#ifndef AS_ANALYZE_HPACK_H
#define AS_ANALYZE_HPACK_H

#include <stddef.h>
#include <stdint.h>

struct hpack {
	void *inf;       /* nghttp2_hd_inflater */
	int broken;      /* a block failed: the dynamic table is unknown */
	uint32_t max_table;
	uint64_t blocks, fields;
};

typedef int (*hpack_field_fn)(void *ctx, const uint8_t *name, size_t nlen, const uint8_t *value,
			      size_t vlen);

int hpack_init(struct hpack *h);
int hpack_decode(struct hpack *h, const uint8_t *block, size_t n, hpack_field_fn fn, void *ctx);
void hpack_set_max_table(struct hpack *h, uint32_t size);
void hpack_release(struct hpack *h);

#endif
