/* SPDX-License-Identifier: MIT */
/*
 * hpack.c - HPACK decoding through nghttp2's inflater (see hpack.h).
 */
#include "hpack.h"

#include <errno.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

int hpack_init(struct hpack *h)
{
	nghttp2_hd_inflater *inf = NULL;

	memset(h, 0, sizeof(*h));
	if (nghttp2_hd_inflate_new(&inf))
		return -ENOMEM;
	h->inf = inf;
	h->max_table = 4096;
	return 0;
}

/*
 * The inflater refuses a dynamic table size update above the limit it was
 * told; the encoder's limit is what its peer announced, so follow the
 * largest announced value (never shrink: an update may already be in flight).
 */
void hpack_set_max_table(struct hpack *h, uint32_t size)
{
	if (!h->inf || size <= h->max_table)
		return;
	if (!nghttp2_hd_inflate_change_table_size(h->inf, size))
		h->max_table = size;
}

int hpack_decode(struct hpack *h, const uint8_t *block, size_t n, hpack_field_fn fn, void *ctx)
{
	int rc = 0;

	if (!h->inf || h->broken)
		return -EBADMSG;
	if (!block)
		block = (const uint8_t *)""; /* an empty block: no arithmetic on NULL */
	h->blocks++;
	for (;;) {
		nghttp2_nv nv;
		int flags = 0;
		ssize_t r = nghttp2_hd_inflate_hd2(h->inf, &nv, &flags, block, n, 1);

		if (r < 0 || (size_t)r > n) {
			h->broken = 1;
			return -EBADMSG;
		}
		block += r;
		n -= (size_t)r;
		if (flags & NGHTTP2_HD_INFLATE_EMIT) {
			h->fields++;
			/* keep decoding after a callback failure: the table must stay in step */
			if (!rc && fn)
				rc = fn(ctx, nv.name, nv.namelen, nv.value, nv.valuelen);
		}
		if (flags & NGHTTP2_HD_INFLATE_FINAL) {
			nghttp2_hd_inflate_end_headers(h->inf);
			break;
		}
		if (!n && !(flags & NGHTTP2_HD_INFLATE_EMIT)) {
			/* in_final with no FINAL flag: the block stopped mid-field */
			h->broken = 1;
			return -EBADMSG;
		}
	}
	return rc;
}

void hpack_release(struct hpack *h)
{
	if (h->inf)
		nghttp2_hd_inflate_del(h->inf);
	h->inf = NULL;
}
