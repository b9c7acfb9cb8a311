/* SPDX-License-Identifier: MIT */
/*
 * ws.h - RFC 6455 WebSocket frame parser for one direction of one
 * connection: the bytes that follow a 101 Switching Protocols answer to an
 * HTTP/1.1 upgrade.  No I/O: bytes in, messages out through a callback.
 *
 * Calling sequence:
 *   ws_init(&p, from_client, &ops, ctx);
 *   ws_set_extensions(&p, value)   optional: the Sec-WebSocket-Extensions
 *                                  header of the 101 response (the one the
 *                                  server agreed to); turns on
 *                                  permessage-deflate (RFC 7692)
 *   ws_feed(&p, ts, buf, n)        any split, down to one byte: n, or a
 *                                  negative error once the stream cannot be
 *                                  parsed any further
 *   ws_gap(&p, ts, n)              bytes were lost: frame boundaries are
 *                                  lost with them, the parser stops
 *   ws_eof(&p, ts)                 a frame or message left open is an error
 *   ws_release(&p);
 *
 * ops->message gets every complete data message (fragments joined,
 * unmasked, inflated) and every control frame (close, ping, pong), in
 * stream order; the data is valid during the call only.  ops->error gets
 * a problem that stops the parser (malformed frame, lost bytes, a cut
 * frame at the end), once, with the stream offset of the bad frame in the
 * text.  A message that fails to inflate is still delivered, with
 * m->error set; the parser goes on.
 * Messages are stored up to WS_MSG_STORE_MAX bytes (m->truncated beyond);
 * a compressed message expanding past WS_INFLATE_LIMIT is a bomb: its
 * inflation stops there (m->error).
 */
#ifndef AS_ANALYZE_WS_H
#define AS_ANALYZE_WS_H

#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "format/cap_buf.h"

#define WS_MSG_STORE_MAX (64u * 1024u * 1024u)
#define WS_INFLATE_LIMIT (256ull * 1024u * 1024u)
#define WS_CONTROL_MAX 125

enum ws_opcode {
	WS_OP_CONT = 0x0,
	WS_OP_TEXT = 0x1,
	WS_OP_BINARY = 0x2,
	WS_OP_CLOSE = 0x8,
	WS_OP_PING = 0x9,
	WS_OP_PONG = 0xa,
};

struct ws_message {
	int opcode;              /* enum ws_opcode (never WS_OP_CONT) */
	const uint8_t *data;     /* unmasked and inflated; valid during the callback */
	size_t len;              /* bytes at data */
	uint64_t full_len;       /* message length in all (> len when truncated) */
	uint64_t wire_len;       /* payload bytes on the wire (compressed size) */
	int compressed;          /* RSV1: permessage-deflate */
	int truncated;
	unsigned nframes;
	uint64_t off;            /* stream offset of its first frame */
	uint64_t t_first, t_end; /* when its first and last bytes were fed */
	const char *error;       /* inflate problem, or NULL */
	int close_code;          /* WS_OP_CLOSE: status code, -1 when none */
};

struct ws_ops {
	void (*message)(void *ctx, const struct ws_message *m);
	void (*error)(void *ctx, uint64_t ts, const char *why);
};

enum ws_state { WS_HEAD, WS_PAYLOAD, WS_DEAD };

struct ws_parser {
	const struct ws_ops *ops;
	void *ctx;
	int from_client;         /* client frames must be masked, server ones not */
	enum ws_state state;
	uint8_t hdr[14];         /* frame header being assembled */
	unsigned hlen;
	/* the frame in progress */
	int fin, rsv1, opcode, masked;
	uint8_t mask[4];
	uint64_t plen, pdone, foff;
	uint64_t f_ts;           /* when its first header byte was fed */
	/* the data message in progress */
	int m_on, m_opcode, m_comp, m_trunc;
	unsigned m_frames;
	uint64_t m_off, m_t_first, m_full, m_wire;
	struct cap_buf msg;
	char *m_err;
	/* the control frame in progress */
	uint8_t ctl[WS_CONTROL_MAX];
	size_t nctl;
	uint64_t c_t_first;
	/* permessage-deflate */
	int deflate;             /* negotiated */
	int no_context;          /* this direction's *_no_context_takeover */
	int z_on;
	z_stream z;
	uint64_t pos, ts;        /* stream bytes fed so far; ts of the current feed */
	uint64_t nmsgs, nframes;
	char *error;             /* the error that stopped the parser */
};

void ws_init(struct ws_parser *p, int from_client, const struct ws_ops *ops, void *ctx);
/* Parse a Sec-WebSocket-Extensions value; 1 when permessage-deflate is on. */
int ws_set_extensions(struct ws_parser *p, const char *value);
long ws_feed(struct ws_parser *p, uint64_t ts, const uint8_t *buf, size_t n);
void ws_gap(struct ws_parser *p, uint64_t ts, uint64_t n);
void ws_eof(struct ws_parser *p, uint64_t ts);
void ws_release(struct ws_parser *p);

#endif
