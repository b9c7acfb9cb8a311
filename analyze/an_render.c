/* SPDX-License-Identifier: MIT */
/*
 * an_render.c - decoded record -> text line or JSON line (see an_render.h).
 */
#include "an_render.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

static int put(struct cap_buf *b, const char *s)
{
	return cap_buf_append(b, s, strlen(s));
}

static int putf(struct cap_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int putf(struct cap_buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	return cap_buf_append(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static const char *const flag_names[] = { "more", "trunc", "err" };

/* ---- text ---- */

static int text_argv(struct cap_buf *b, const uint8_t *p, size_t n)
{
	size_t i = 0;
	int rc = put(b, "[");

	while (!rc && i < n) {
		size_t l = strnlen((const char *)p + i, n - i);

		if (i)
			rc = put(b, " ");
		if (!rc)
			rc = an_shquote(b, p + i, l);
		i += l + 1;
	}
	return rc ? rc : put(b, "]");
}

static int text_kv(struct cap_buf *b, const uint8_t *p, size_t n)
{
	size_t i = 0;
	int rc = 0;

	while (!rc && i < n) {
		size_t l = strnlen((const char *)p + i, n - i);
		const uint8_t *eq = memchr(p + i, '=', l);

		if (i)
			rc = put(b, " ");
		if (!rc && eq) {
			size_t k = (size_t)(eq - (p + i));

			rc = an_esc(b, p + i, k);
			if (!rc)
				rc = put(b, "=");
			if (!rc)
				rc = an_shquote(b, eq + 1, l - k - 1);
		} else if (!rc) {
			rc = an_shquote(b, p + i, l);
		}
		i += l + 1;
	}
	return rc;
}

static int text_field(struct an_render *r, const struct an_field *f)
{
	struct cap_buf *b = &r->line;
	char tmp[64];
	int rc = put(b, " ");

	if (!rc && !(f->flags & AN_FF_BARE))
		rc = putf(b, "%s=", f->name);
	if (rc)
		return rc;
	switch (f->type) {
	case AN_F_UINT:
		return putf(b, "%" PRIu64, f->u);
	case AN_F_INT:
		return putf(b, "%" PRId64, f->s);
	case AN_F_HEX:
		return putf(b, "%#" PRIx64, f->u);
	case AN_F_RET:
		if (f->s < 0 && f->s > -4096)
			return putf(b, "-%s", an_fmt_errno((int)-f->s, tmp, sizeof(tmp)));
		return putf(b, "%" PRId64, f->s);
	case AN_F_STR:
		return an_shquote(b, f->p, f->len);
	case AN_F_SYM:
		return cap_buf_append(b, f->p, f->len);
	case AN_F_ARGV:
		return text_argv(b, f->p, f->len);
	case AN_F_KV:
		return text_kv(b, f->p, f->len);
	case AN_F_TS:
		return put(b, an_fmt_ts(&r->clk, f->u, 6, tmp, sizeof(tmp)));
	}
	return 0;
}

static int text_head(struct an_render *r, const struct cap_rec *rec, const struct an_rec *d)
{
	char ts[64];

	return putf(&r->line, "%s %3u %7u/%-7u %-9s",
		    an_fmt_ts(&r->clk, rec->hdr.ts_ns, 6, ts, sizeof(ts)), rec->hdr.cpu,
		    rec->hdr.pid, rec->hdr.tid, d->type_name);
}

static int text_flags(struct cap_buf *b, unsigned flags)
{
	int rc = 0, first = 1;
	unsigned i;

	for (i = 0; i < 3 && !rc; i++) {
		if (!(flags & (1u << i)))
			continue;
		rc = putf(b, "%s%s", first ? " [" : ",", flag_names[i]);
		first = 0;
	}
	return rc || first ? rc : put(b, "]");
}

static int render_text(struct an_render *r, const struct cap_rec *rec, const struct an_rec *d,
		       const uint8_t *payload, size_t plen, int joined, FILE *out)
{
	unsigned flags = rec->hdr.flags & (joined ? ~(unsigned)CAP_RF_MORE : 0xffffu);
	size_t show = plen < r->preview ? plen : r->preview, i;
	int rc;

	r->line.len = 0;
	rc = text_head(r, rec, d);
	for (i = 0; !rc && i < d->n; i++)
		if (!(d->f[i].flags & AN_FF_JSON))
			rc = text_field(r, &d->f[i]);
	if (!rc && !joined && ((rec->hdr.flags & CAP_RF_MORE) || rec->hdr.data_off))
		rc = putf(&r->line, " chunk=%u/%u", rec->hdr.data_off, rec->hdr.orig_len);
	if (!rc)
		rc = text_flags(&r->line, flags);
	if (!rc && payload) {
		rc = putf(&r->line, " len=%zu \"", plen);
		if (!rc)
			rc = an_esc(&r->line, payload, show);
		if (!rc)
			rc = put(&r->line, show < plen ? "\"..." : "\"");
	}
	if (!rc)
		rc = put(&r->line, "\n");
	if (!rc)
		fwrite(r->line.p, 1, r->line.len, out);
	return rc;
}

/* ---- JSON ---- */

/* Bytes from the capture as a JSON string: exact when valid UTF-8,
 * else the escaped form (an_fmt.h). */
static json_t *jbytes(struct an_render *r, const uint8_t *p, size_t n)
{
	if (an_utf8_prefix(p, n) == n)
		return json_stringn((const char *)p, n);
	r->tmp.len = 0;
	if (an_esc(&r->tmp, p, n))
		return NULL;
	return json_stringn((const char *)r->tmp.p, r->tmp.len);
}

static json_t *jlist(struct an_render *r, const uint8_t *p, size_t n, int kv)
{
	json_t *v = kv ? json_object() : json_array();
	size_t i = 0;

	while (v && i < n) {
		size_t l = strnlen((const char *)p + i, n - i);
		const uint8_t *eq = kv ? memchr(p + i, '=', l) : NULL;

		if (!kv) {
			json_array_append_new(v, jbytes(r, p + i, l));
		} else if (eq) {
			json_t *val = jbytes(r, eq + 1, l - (size_t)(eq - (p + i)) - 1);
			json_t *key = jbytes(r, p + i, (size_t)(eq - (p + i)));

			if (key && val)
				json_object_set(v, json_string_value(key), val);
			json_decref(key);
			json_decref(val);
		}
		i += l + 1;
	}
	return v;
}

static json_t *jint(uint64_t u)
{
	return json_integer((json_int_t)u);
}

static void json_field(struct an_render *r, json_t *o, const struct an_field *f)
{
	char tmp[64];

	switch (f->type) {
	case AN_F_UINT:
	case AN_F_TS:
		json_object_set_new(o, f->name, jint(f->u));
		break;
	case AN_F_INT:
		json_object_set_new(o, f->name, json_integer(f->s));
		break;
	case AN_F_HEX:
		snprintf(tmp, sizeof(tmp), "%#" PRIx64, f->u);
		json_object_set_new(o, f->name, json_string(tmp));
		break;
	case AN_F_RET:
		json_object_set_new(o, f->name, json_integer(f->s));
		if (f->s < 0 && f->s > -4096)
			json_object_set_new(o, "errno",
					    json_string(an_fmt_errno((int)-f->s, tmp, sizeof(tmp))));
		break;
	case AN_F_STR:
	case AN_F_SYM:
		json_object_set_new(o, f->name, jbytes(r, f->p, f->len));
		break;
	case AN_F_ARGV:
	case AN_F_KV:
		json_object_set_new(o, f->type == AN_F_KV ? "meta" : f->name,
				    jlist(r, f->p, f->len, f->type == AN_F_KV));
		break;
	}
}

static void json_payload(struct an_render *r, json_t *o, const uint8_t *p, size_t plen)
{
	size_t show = plen < r->preview ? plen : r->preview;
	size_t text = an_utf8_prefix(p, show);

	/* a preview may cut a multi-byte character: still text */
	if (text == show || (show < plen && show - text < 4 && an_utf8_prefix(p, plen) >= text)) {
		json_object_set_new(o, "payload", json_stringn((const char *)p, text));
	} else {
		r->tmp.len = 0;
		if (!an_esc(&r->tmp, p, show))
			json_object_set_new(o, "payload",
					    json_stringn((const char *)r->tmp.p, r->tmp.len));
		r->tmp.len = 0;
		if (!an_base64(&r->tmp, p, show))
			json_object_set_new(o, "payload_b64",
					    json_stringn((const char *)r->tmp.p, r->tmp.len));
	}
	json_object_set_new(o, "payload_len", jint(plen));
	if (show < plen)
		json_object_set_new(o, "payload_cut", json_true());
}

static void json_head(struct an_render *r, json_t *o, const struct cap_rec *rec,
		      const struct an_rec *d, unsigned flags)
{
	char ts[64];
	json_t *fl;
	unsigned i;

	json_object_set_new(o, "ts", json_string(an_fmt_ts(&r->clk, rec->hdr.ts_ns, 9, ts,
							    sizeof(ts))));
	json_object_set_new(o, "ts_ns", jint(rec->hdr.ts_ns));
	json_object_set_new(o, "cpu", jint(rec->hdr.cpu));
	json_object_set_new(o, "pid", jint(rec->hdr.pid));
	json_object_set_new(o, "tid", jint(rec->hdr.tid));
	json_object_set_new(o, "task_start_ns", jint(rec->hdr.task_start_ns));
	json_object_set_new(o, "seq", jint(rec->hdr.seq));
	json_object_set_new(o, "type", json_string(d->type_name));
	json_object_set_new(o, "type_id", jint(rec->hdr.type));
	if (r->multi_file)
		json_object_set_new(o, "file", jint(rec->file_index));
	json_object_set_new(o, "frame", jint(rec->frame_no));
	if (!flags)
		return;
	fl = json_array();
	for (i = 0; i < 3; i++)
		if (flags & (1u << i))
			json_array_append_new(fl, json_string(flag_names[i]));
	json_object_set_new(o, "flags", fl);
}

static int render_json(struct an_render *r, const struct cap_rec *rec, const struct an_rec *d,
		       const uint8_t *payload, size_t plen, int joined, FILE *out)
{
	unsigned flags = rec->hdr.flags & (joined ? ~(unsigned)CAP_RF_MORE : 0xffffu);
	json_t *o = json_object();
	size_t i;
	int rc;

	if (!o)
		return -ENOMEM;
	json_head(r, o, rec, d, flags);
	for (i = 0; i < d->n; i++)
		if (!(d->f[i].flags & AN_FF_TEXT))
			json_field(r, o, &d->f[i]);
	if (!joined && ((rec->hdr.flags & CAP_RF_MORE) || rec->hdr.data_off))
		json_object_set_new(o, "data_off", jint(rec->hdr.data_off));
	if (payload) {
		json_payload(r, o, payload, plen);
		if (rec->hdr.orig_len != plen)
			json_object_set_new(o, "orig_len", jint(rec->hdr.orig_len));
	}
	rc = json_dumpf(o, out, JSON_COMPACT) ? -ENOMEM : 0;
	fputc('\n', out);
	json_decref(o);
	return rc;
}

int an_render_rec(struct an_render *r, const struct cap_rec *rec, const struct an_rec *d,
		  const uint8_t *payload, size_t plen, int joined, FILE *out)
{
	if (r->json)
		return render_json(r, rec, d, payload, plen, joined, out);
	return render_text(r, rec, d, payload, plen, joined, out);
}

void an_render_release(struct an_render *r)
{
	cap_buf_release(&r->line);
	cap_buf_release(&r->tmp);
}
