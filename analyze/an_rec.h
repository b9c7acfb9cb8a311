/* SPDX-License-Identifier: MIT */
/*
 * an_rec.h - decode one raw record into a list of named, typed fields, so
 * that the text and JSON renderers of `asanalyze dump` print the same
 * things.  No protocol knowledge: this is cap_record.h made readable.
 *
 * Calling sequence:
 *   struct an_rec d;
 *   an_rec_decode(&d, &rec);      fills d.f[0..d.n) and d.payload
 *   ... render, then decode the next record into the same struct
 *
 * Lifetime: fields point into the record (valid until the next
 * cap_reader_next()) or into d's own small string pool.  Decoding never
 * fails: fields that do not fit the record are left out, unknown types get
 * a generic decoding (fixed body as hex, data as payload).
 */
#ifndef AS_ANALYZE_AN_REC_H
#define AS_ANALYZE_AN_REC_H

#include <stddef.h>
#include <stdint.h>

#include "format/cap_reader.h"

enum an_ftype {
	AN_F_UINT,   /* u */
	AN_F_INT,    /* s */
	AN_F_HEX,    /* u, rendered 0x... (a string in JSON) */
	AN_F_RET,    /* s: result; negative values are -errno */
	AN_F_STR,    /* p/len bytes from the capture: quoted in text, UTF-8 or escaped in JSON */
	AN_F_SYM,    /* p/len plain ASCII made by the decoder: printed as is */
	AN_F_ARGV,   /* p/len: NUL-separated words; text: shell-quoted, JSON: array */
	AN_F_KV,     /* p/len: NUL-separated key=value; JSON: object */
	AN_F_TS,     /* u: monotonic ns; text: wall clock, JSON: ns */
};

#define AN_FF_BARE 1 /* text: print the value without "name=" */
#define AN_FF_JSON 2 /* JSON only */
#define AN_FF_TEXT 4 /* text only */

struct an_field {
	const char *name;
	unsigned char type;  /* enum an_ftype */
	unsigned char flags; /* AN_FF_* */
	uint64_t u;
	int64_t s;
	const uint8_t *p;
	size_t len;
};

#define AN_REC_MAX_FIELDS 24

struct an_rec {
	const char *type_name;    /* "exec", ..., or "type1234" */
	struct an_field f[AN_REC_MAX_FIELDS];
	unsigned n;
	const uint8_t *payload;   /* bytes to show as a payload, or NULL */
	size_t payload_len;
	char pool[1536];          /* decoder-made strings */
	size_t pool_used;
	char type_buf[16];
};

/* Decode @rec into @d (which needs no initialisation). */
void an_rec_decode(struct an_rec *d, const struct cap_rec *rec);

/* Name of a record type: the library's name, or "typeN" when unknown. */
const char *an_rec_type_name(unsigned type, char *buf, size_t size);

/* Parse a --type argument: a name (any case) or a number; -EINVAL. */
int an_rec_type_parse(const char *s, unsigned *type);

/* 1 for records the writer adds itself (META STATS CHAIN INDEX FOOTER). */
int an_rec_is_housekeeping(unsigned type);

#endif
