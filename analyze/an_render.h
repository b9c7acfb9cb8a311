/* SPDX-License-Identifier: MIT */
/*
 * an_render.h - render a decoded record (an_rec.h) as one text line or one
 * JSON object line (JSON Lines, via jansson).
 *
 * Text line:
 *   TIME CPU PID/TID TYPE FIELDS [flags] [len=N "ESCAPED PAYLOAD"[...]]
 * JSON line: {"ts": ISO, "ts_ns", "cpu", "pid", "tid", "seq", "type",
 *   "type_id", fields..., "payload", "payload_b64", "payload_len", ...}
 * The payload rules are in man/asanalyze.1 (JSON OUTPUT).
 */
#ifndef AS_ANALYZE_AN_RENDER_H
#define AS_ANALYZE_AN_RENDER_H

#include <stdio.h>

#include "an_fmt.h"
#include "an_rec.h"
#include "format/cap_buf.h"
#include "format/cap_reader.h"

struct an_render {
	int json;           /* JSON Lines instead of text */
	size_t preview;     /* payload bytes to show; SIZE_MAX: all */
	struct an_clock clk;/* anchor of the file being read */
	int multi_file;     /* several inputs: add the file index */
	struct cap_buf line;
	struct cap_buf tmp;
};

/*
 * Render @rec, decoded in @d, with @payload (@plen bytes; may be d->payload
 * or a joined payload, then @joined is 1) to @out.  Returns 0 or -ENOMEM.
 */
int an_render_rec(struct an_render *r, const struct cap_rec *rec, const struct an_rec *d,
		  const uint8_t *payload, size_t plen, int joined, FILE *out);

void an_render_release(struct an_render *r);

#endif
