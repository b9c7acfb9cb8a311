/* SPDX-License-Identifier: MIT */
#include "cap_merge.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int item_less(const struct cap_merge_item *a, const struct cap_merge_item *b)
{
	if (a->rec.hdr.ts_ns != b->rec.hdr.ts_ns)
		return a->rec.hdr.ts_ns < b->rec.hdr.ts_ns;
	if (a->rec.hdr.seq != b->rec.hdr.seq)
		return a->rec.hdr.seq < b->rec.hdr.seq;
	return a->order < b->order;
}

static void sift_up(struct cap_merge *m, size_t i)
{
	struct cap_merge_item *x = m->h[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (!item_less(x, m->h[p]))
			break;
		m->h[i] = m->h[p];
		i = p;
	}
	m->h[i] = x;
}

static void sift_down(struct cap_merge *m, size_t i)
{
	struct cap_merge_item *x = m->h[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= m->n)
			break;
		if (c + 1 < m->n && item_less(m->h[c + 1], m->h[c]))
			c++;
		if (!item_less(m->h[c], x))
			break;
		m->h[i] = m->h[c];
		i = c;
	}
	m->h[i] = x;
}

int cap_merge_push(struct cap_merge *m, const struct cap_rec *rec)
{
	struct cap_merge_item *it;

	if (m->n == m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 256;
		struct cap_merge_item **h = realloc(m->h, nc * sizeof(*h));

		if (!h)
			return -ENOMEM;
		m->h = h;
		m->cap = nc;
	}
	it = malloc(sizeof(*it) + rec->raw_len);
	if (!it)
		return -ENOMEM;
	it->rec = *rec;
	memcpy(it->raw, rec->raw, rec->raw_len);
	it->rec.raw = it->raw;
	it->rec.fixed = it->raw + (rec->fixed - rec->raw);
	it->rec.data = it->raw + (rec->data - rec->raw);
	it->order = m->order++;
	m->bytes += rec->raw_len;
	m->h[m->n++] = it;
	sift_up(m, m->n - 1);
	return 0;
}

const struct cap_rec *cap_merge_peek(const struct cap_merge *m)
{
	return m->n ? &m->h[0]->rec : NULL;
}

struct cap_merge_item *cap_merge_pop(struct cap_merge *m)
{
	struct cap_merge_item *top;

	if (!m->n)
		return NULL;
	top = m->h[0];
	m->h[0] = m->h[--m->n];
	if (m->n)
		sift_down(m, 0);
	m->bytes -= top->rec.raw_len;
	return top;
}

void cap_merge_release(struct cap_merge *m)
{
	while (m->n)
		free(m->h[--m->n]);
	free(m->h);
	memset(m, 0, sizeof(*m));
}
