/* SPDX-License-Identifier: MIT */
/*
 * db_http.c - the http_messages rows of the SQLite export (see db.h):
 * headers as a JSON array of [name, value] pairs, in order, duplicates
 * kept, secrets redacted; bodies as text up to DB_BODY_MAX bytes.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/autil.h"
#include "analyze/db_priv.h"
#include "analyze/redact.h"

/* 0 when @s is printable ASCII needing no JSON escape, else -1: then
 * jansson writes the whole array, as the database has always had it. */
static int plain_json(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e || *s == '"' ||
		    *s == '\\')
			return -1;
	return 0;
}

/* Append ["name","value"] to the array in *buf; -1 when jansson must. */
static int hj_add(char **buf, size_t *len, size_t *cap, const char *name, const char *v)
{
	size_t nn = strlen(name), nv = strlen(v), need = *len + nn + nv + 10;
	char *o;

	if (plain_json(name) || plain_json(v))
		return -1;
	if (need > *cap) {
		size_t nc = *cap * 2 > need ? *cap * 2 : need;
		char *p = realloc(*buf, nc);

		if (!p)
			return -1;
		*buf = p;
		*cap = nc;
	}
	o = *buf + *len;
	if (*len > 1)
		*o++ = ',';
	*o++ = '[';
	*o++ = '"';
	memcpy(o, name, nn);
	o += nn;
	memcpy(o, "\",\"", 3);
	o += 3;
	memcpy(o, v, nv);
	o += nv;
	*o++ = '"';
	*o++ = ']';
	*len = (size_t)(o - *buf);
	return 0;
}

/* The common case, printable ASCII headers, written directly: jansson's
 * compact dump costs more than the insert.  NULL: use headers_json_j(). */
static char *headers_json_fast(const struct http_msg *h, int redact)
{
	size_t i, len = 1, cap = 256;
	char *buf = malloc(cap);
	int bad = !buf;

	if (buf)
		buf[0] = '[';
	for (i = 0; !bad && h && i < h->nhdrs; i++) {
		const char *name = h->hdrs[i].name, *value = h->hdrs[i].value;
		/* most values have nothing to redact: no copy of those */
		int scrub = redact && name && value &&
			    (redact_header_name(name) || !redact_clean(value, strlen(value)));
		char *v = scrub ? redact_header(name, value) : NULL;

		bad = (scrub && !v) || !name || !value ||
		      hj_add(&buf, &len, &cap, name, scrub ? v : value);
		free(v);
	}
	if (bad || len + 2 > cap) {
		free(buf);
		return NULL;
	}
	buf[len++] = ']';
	buf[len] = 0;
	return buf;
}

static char *headers_json_j(const struct http_msg *h, int redact)
{
	json_t *a = json_array();
	char *s;
	size_t i;

	for (i = 0; h && i < h->nhdrs; i++) {
		char *v = redact ? redact_header(h->hdrs[i].name, h->hdrs[i].value)
				 : au_strdup(h->hdrs[i].value);
		json_t *pair = json_pack("[ss]", h->hdrs[i].name, v ? v : "");

		if (pair)
			json_array_append_new(a, pair);
		free(v);
	}
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

static char *headers_json(const struct http_msg *h, int redact)
{
	char *s = headers_json_fast(h, redact);

	return s ? s : headers_json_j(h, redact);
}

static char *body_text(const struct http_msg *h)
{
	size_t n;

	if (!h || !h->body.len)
		return NULL;
	n = h->body.len < DB_BODY_MAX ? h->body.len : DB_BODY_MAX;
	return au_strndup(h->body.p, strnlen((const char *)h->body.p, n));
}

int dbw_http_row(struct dbw *w, struct dbs *h, const struct conv_exchange *ex)
{
	const struct http_msg *q = ex->req, *r = ex->resp;
	char *qh = headers_json(q, w->redact), *rh = headers_json(r, w->redact);
	char *qb = body_text(q), *rb = body_text(r);
	int rc;

	rc = dbw_run(w, h, "iIsrIssrrIIsiIIIs", (int64_t)ex->id,
		     NUL_IF(!ex->conn, ex->conn ? ex->conn->id : 0), q ? q->method : NULL,
		     q ? q->target : NULL, NUL_IF(!r, r ? r->status : 0), qh, rh, qb, rb,
		     NUL_IF(!q, q ? q->body_len : 0), NUL_IF(!r, r ? r->body_len : 0),
		     r ? http_dec_name(r->coding) : NULL, (int64_t)ex->is_sse,
		     NUL_IF(!q, q ? q->t_first : 0), NUL_IF(!r, r ? r->t_head : 0),
		     NUL_IF(!r, r ? r->t_end : 0), conv_exchange_error(ex));
	free(qh);
	free(rh);
	free(qb);
	free(rb);
	return rc;
}
