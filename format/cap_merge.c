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

		if (c >= m->hn)
			break;
		if (c + 1 < m->hn && item_less(m->h[c + 1], m->h[c]))
			c++;
		if (!item_less(m->h[c], x))
			break;
		m->h[i] = m->h[c];
		i = c;
	}
	m->h[i] = x;
}

static int heap_push(struct cap_merge *m, struct cap_merge_item *it)
{
	if (m->hn == m->hcap) {
		size_t nc = m->hcap ? m->hcap * 2 : 256;
		struct cap_merge_item **h = realloc(m->h, nc * sizeof(*h));

		if (!h)
			return -ENOMEM;
		m->h = h;
		m->hcap = nc;
	}
	m->h[m->hn++] = it;
	sift_up(m, m->hn - 1);
	return 0;
}

static struct cap_merge_item *q_at(const struct cap_merge *m, size_t i)
{
	return m->q[(m->qhead + i) % m->qcap];
}

static int q_push(struct cap_merge *m, struct cap_merge_item *it)
{
	if (m->qn == m->qcap) {
		size_t nc = m->qcap ? m->qcap * 2 : 256, i;
		struct cap_merge_item **q = malloc(nc * sizeof(*q));

		if (!q)
			return -ENOMEM;
		for (i = 0; i < m->qn; i++)
			q[i] = q_at(m, i);
		free(m->q);
		m->q = q;
		m->qcap = nc;
		m->qhead = 0;
	}
	m->q[(m->qhead + m->qn++) % m->qcap] = it;
	return 0;
}

int cap_merge_push(struct cap_merge *m, const struct cap_rec *rec)
{
	struct cap_merge_item *it = malloc(sizeof(*it) + rec->raw_len);
	int rc;

	if (!it)
		return -ENOMEM;
	it->rec = *rec;
	memcpy(it->raw, rec->raw, rec->raw_len);
	it->rec.raw = it->raw;
	it->rec.fixed = it->raw + (rec->fixed - rec->raw);
	it->rec.data = it->raw + (rec->data - rec->raw);
	it->order = m->order++;
	if (!m->qn || !item_less(it, q_at(m, m->qn - 1)))
		rc = q_push(m, it);
	else
		rc = heap_push(m, it);
	if (rc) {
		free(it);
		return rc;
	}
	m->n++;
	m->bytes += rec->raw_len;
	return 0;
}

/* 1 when the ring's head is the smallest record */
static int q_first(const struct cap_merge *m)
{
	return m->qn && (!m->hn || item_less(q_at(m, 0), m->h[0]));
}

const struct cap_rec *cap_merge_peek(const struct cap_merge *m)
{
	if (!m->n)
		return NULL;
	return q_first(m) ? &q_at(m, 0)->rec : &m->h[0]->rec;
}

struct cap_merge_item *cap_merge_pop(struct cap_merge *m)
{
	struct cap_merge_item *top;

	if (!m->n)
		return NULL;
	if (q_first(m)) {
		top = q_at(m, 0);
		m->qhead = (m->qhead + 1) % m->qcap;
		m->qn--;
	} else {
		top = m->h[0];
		m->h[0] = m->h[--m->hn];
		if (m->hn)
			sift_down(m, 0);
	}
	m->n--;
	m->bytes -= top->rec.raw_len;
	return top;
}

void cap_merge_release(struct cap_merge *m)
{
	struct cap_merge_item *it;

	while ((it = cap_merge_pop(m)))
		free(it);
	free(m->h);
	free(m->q);
	memset(m, 0, sizeof(*m));
}
