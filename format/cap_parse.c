/* SPDX-License-Identifier: MIT */
#include "cap_parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cap_block.h"
#include "cap_cursor.h"

/* SHB fixed part: magic, major, minor, section length */
#define SHB_FIXED 16
#define SHB_MIN (12 + SHB_FIXED)

static int why_set(char *why, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int why_set(char *why, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, CAP_PARSE_WHY, fmt, ap);
	va_end(ap);
	return code;
}

static uint32_t bswap32(uint32_t v)
{
	return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}

/* The byte-order magic decides how the SHB's own length is read, so it is
 * checked before the length (a big-endian length would look absurd). */
static int check_bom(const uint8_t *p, char *why)
{
	uint32_t bom = le32_get(p + 8);

	if (bom == PCAPNG_BOM)
		return 0;
	if (bom == bswap32(PCAPNG_BOM))
		return why_set(why, -EPROTONOSUPPORT,
			       "big-endian pcapng section is not supported; "
			       "convert it with 'editcap -F pcapng' on a little-endian host");
	return why_set(why, -EBADMSG, "bad byte-order magic %#x in section header", bom);
}

int cap_parse_block(const uint8_t *p, size_t avail, uint32_t *type, uint32_t *len,
		    size_t *need, char *why)
{
	uint32_t t, n, trailer;
	int rc;

	if (avail < 8) {
		*need = 8;
		return 0;
	}
	t = le32_get(p);
	if (t == PCAPNG_SHB) {
		if (avail < 12) {
			*need = 12;
			return 0;
		}
		rc = check_bom(p, why);
		if (rc)
			return rc;
	}
	n = le32_get(p + 4);
	if (n < 12 || (t == PCAPNG_SHB && n < SHB_MIN))
		return why_set(why, -EBADMSG, "block type %#x: length %u is too short", t, n);
	if (n % 4)
		return why_set(why, -EBADMSG, "block type %#x: length %u is not a multiple of 4",
			       t, n);
	if (n > PCAPNG_MAX_BLOCK)
		return why_set(why, -E2BIG, "block type %#x: length %u is over the %u byte limit",
			       t, n, PCAPNG_MAX_BLOCK);
	if (avail < n) {
		*need = n;
		return 0;
	}
	trailer = le32_get(p + n - 4);
	if (trailer != n)
		return why_set(why, -EBADMSG, "block type %#x: trailer length %u != header %u", t,
			       trailer, n);
	*type = t;
	*len = n;
	return 1;
}

/* Append "name=value\0" where value is an option string (not NUL-terminated
 * in the file; cut at an embedded NUL). */
static int meta_opt(struct cap_buf *meta, const char *name, const uint8_t *v, size_t n)
{
	size_t k = strlen(name), vl = strnlen((const char *)v, n);
	uint8_t *d = cap_buf_grow(meta, k + 1 + vl + 1);

	if (!d)
		return -ENOMEM;
	memcpy(d, name, k);
	d[k] = '=';
	memcpy(d + k + 1, v, vl);
	return 0;
}

static const char *shb_opt_name(uint16_t code)
{
	switch (code) {
	case OPT_COMMENT: return "shb_comment";
	case SHB_HARDWARE: return "shb_hardware";
	case SHB_OS: return "shb_os";
	case SHB_USERAPPL: return "shb_userappl";
	default: return NULL;
	}
}

/* Walk option TLVs: u16 code, u16 length, value padded to 4. */
static int shb_options(struct cap_cursor *c, struct cap_buf *meta, char *why)
{
	while (c->left) {
		const uint8_t *h = cap_cursor_take(c, 4), *v;
		uint16_t code, n;
		const char *name;

		if (!h)
			return why_set(why, -EBADMSG, "section header: %zu stray option bytes",
				       c->left);
		code = le16_get(h);
		n = le16_get(h + 2);
		if (code == OPT_ENDOFOPT)
			break;
		v = cap_cursor_take(c, ((size_t)n + 3) & ~(size_t)3);
		if (!v)
			return why_set(why, -EBADMSG,
				       "section header: option %u length %u runs past the block",
				       code, n);
		name = shb_opt_name(code);
		if (name && meta && meta_opt(meta, name, v, n))
			return why_set(why, -ENOMEM, "out of memory");
	}
	return 0;
}

int cap_parse_shb(const uint8_t *p, uint32_t len, struct cap_buf *meta, char *why)
{
	struct cap_cursor c;
	const uint8_t *f;
	uint16_t major, minor;

	cap_cursor_init(&c, p + 8, len - 12);
	f = cap_cursor_take(&c, SHB_FIXED);
	if (!f)
		return why_set(why, -EBADMSG, "section header block is too short");
	major = le16_get(f + 4);
	minor = le16_get(f + 6);
	if (major != 1)
		return why_set(why, -EPROTONOSUPPORT,
			       "pcapng version %u.%u is not supported (need 1.x)", major, minor);
	return shb_options(&c, meta, why);
}

static void hdr_decode(const uint8_t *b, struct cap_rec_hdr *h)
{
	h->type = le16_get(b);
	h->hdr_len = le16_get(b + 2);
	h->cpu = le32_get(b + 4);
	h->ts_ns = le64_get(b + 8);
	h->seq = le64_get(b + 16);
	h->pid = le32_get(b + 24);
	h->tid = le32_get(b + 28);
	h->task_start_ns = le64_get(b + 32);
	h->orig_len = le32_get(b + 40);
	h->cap_len = le32_get(b + 44);
	h->fixed_len = le16_get(b + 48);
	h->flags = le16_get(b + 50);
	h->data_off = le32_get(b + 52);
}

int cap_parse_record(const uint8_t *p, uint32_t len, struct cap_rec *rec, char *why)
{
	const uint8_t *body = p + 8;
	size_t n = len - 12, need;

	if (n < 4)
		return why_set(why, -EBADMSG, "custom block of %u bytes has no enterprise number",
			       len);
	if (le32_get(body) != CAP_PEN)
		return 0;
	body += 4;
	n -= 4;
	if (n < CAP_REC_HDR_MIN)
		return why_set(why, -EBADMSG, "record of %zu bytes is shorter than its %u byte header",
			       n, CAP_REC_HDR_MIN);
	hdr_decode(body, &rec->hdr);
	if (rec->hdr.hdr_len < CAP_REC_HDR_MIN)
		return why_set(why, -EBADMSG, "record header length %u < %u", rec->hdr.hdr_len,
			       CAP_REC_HDR_MIN);
	/* readers hand out EPBs with this type: a stored one would pass for a
	 * packet whose raw bytes are not an EPB */
	if (rec->hdr.type == CAP_REC_PACKET)
		return why_set(why, -EBADMSG, "record type %u is reserved for packets (EPBs)",
			       rec->hdr.type);
	/* 64-bit sum: three lengths from the file cannot overflow it */
	need = (size_t)rec->hdr.hdr_len + rec->hdr.fixed_len + (uint64_t)rec->hdr.cap_len;
	if (need > n)
		return why_set(why, -EBADMSG,
			       "record type %u: header %u + fixed %u + data %u bytes > %zu in block",
			       rec->hdr.type, rec->hdr.hdr_len, rec->hdr.fixed_len,
			       rec->hdr.cap_len, n);
	rec->raw = body;
	rec->raw_len = need;
	rec->fixed = body + rec->hdr.hdr_len;
	rec->fixed_len = rec->hdr.fixed_len;
	rec->data = rec->fixed + rec->fixed_len;
	rec->data_len = rec->hdr.cap_len;
	return 1;
}

#define EPB_FIXED 20

int cap_parse_epb(const uint8_t *p, uint32_t len, struct cap_rec *rec, char *why)
{
	const uint8_t *b = p + 8;
	uint32_t caplen;

	if (len < 12 + EPB_FIXED)
		return why_set(why, -EBADMSG, "enhanced packet block of %u bytes is too short", len);
	caplen = le32_get(b + 12);
	if (caplen > len - 12 - EPB_FIXED)
		return why_set(why, -EBADMSG,
			       "enhanced packet block: captured length %u > %u bytes in block",
			       caplen, len - 12 - EPB_FIXED);
	memset(&rec->hdr, 0, sizeof(rec->hdr));
	rec->hdr.type = CAP_REC_PACKET;
	rec->hdr.hdr_len = CAP_REC_HDR_MIN;
	rec->hdr.cpu = le32_get(b);
	rec->hdr.ts_ns = (uint64_t)le32_get(b + 4) << 32 | le32_get(b + 8);
	rec->hdr.cap_len = caplen;
	rec->hdr.orig_len = le32_get(b + 16);
	if (rec->hdr.orig_len > caplen)
		rec->hdr.flags = CAP_RF_TRUNC;
	else
		rec->hdr.orig_len = caplen;
	rec->raw = p;
	rec->raw_len = len;
	rec->fixed = b + EPB_FIXED;
	rec->fixed_len = 0;
	rec->data = b + EPB_FIXED;
	rec->data_len = caplen;
	return 0;
}

int cap_parse_anchor(const uint8_t *meta, size_t len, int64_t *real_minus_mono)
{
	const char *m = cap_kv_find(meta, len, "clock_mono_ns");
	const char *r = cap_kv_find(meta, len, "clock_real_ns");

	if (!m || !r)
		return -1;
	*real_minus_mono = (int64_t)(strtoull(r, NULL, 10) - strtoull(m, NULL, 10));
	return 1;
}

/* Unsigned arithmetic: both values come from the file and may be anything. */
uint64_t cap_parse_to_mono(uint64_t real_ns, int64_t real_minus_mono)
{
	uint64_t d = (uint64_t)real_minus_mono;

	if (real_minus_mono >= 0)
		return real_ns > d ? real_ns - d : 0;
	d = 0 - d;
	return real_ns > UINT64_MAX - d ? UINT64_MAX : real_ns + d;
}

int cap_parse_meta_add(struct cap_buf *meta, const uint8_t *data, size_t len)
{
	if (cap_buf_append(meta, data, len))
		return -ENOMEM;
	if (len && data[len - 1] != '\0' && cap_buf_append(meta, "", 1))
		return -ENOMEM;
	return 0;
}
