/* SPDX-License-Identifier: MIT */
/*
 * tui_line.h - an attributed line of text that views render into and
 * tui_panel draws.  Views never write to the terminal; they fill lines.
 *
 * Invariant: the text of a line is always safe to send to a terminal.
 * Captured bytes enter only through tui_line_add_safe(), which escapes
 * every control byte (C0, DEL, C1), invalid UTF-8, bidirectional and
 * zero-width format characters, and anything wcwidth() cannot size, as
 * visible \e, \n, \xNN or \u{NNNN} in the TA_ESC attribute.  tui_line_add()
 * is for the program's own ASCII literals; it escapes too, so a mistake
 * there cannot inject either.
 *
 * Calling sequence:
 *   struct tui_line l; tui_line_init(&l);
 *   tui_line_add(&l, TA_DIM, "12:00:01 "); tui_line_add_safe(&l, TA_FILE, p, n, 1);
 *   ... tui_line_reset(&l) to reuse, tui_line_release(&l) to free.
 */
#ifndef AS_REPLAY_TUI_LINE_H
#define AS_REPLAY_TUI_LINE_H

#include <stddef.h>
#include <stdint.h>

/* Attributes: tui_crt maps them to colors. */
enum tui_attr {
	TA_NORMAL = 0,
	TA_DIM,
	TA_BOLD,
	TA_LLM,
	TA_TOOL,
	TA_EXEC,
	TA_EXIT,
	TA_FILE,
	TA_NET,
	TA_TLS,
	TA_DROP,
	TA_ESC,      /* an escaped byte from captured data */
	TA_TITLE,    /* title and status bars */
	TA_KEY,      /* a key name in the status bar */
	TA_MATCH,    /* search match */
	TA_ERROR,
	TA_COUNT
};

struct tui_span {
	uint32_t off;  /* byte offset where this attribute starts */
	uint8_t attr;
};

struct tui_line {
	char *text;            /* UTF-8, NUL-terminated, never NULL after init */
	size_t len, cap;
	struct tui_span *spans;
	size_t nspans, cspans;
	int oom;               /* an allocation failed; the line is cut short */
};

void tui_line_init(struct tui_line *l);
void tui_line_reset(struct tui_line *l);
void tui_line_release(struct tui_line *l);

/* Append a NUL-terminated string (escaped like captured data). */
void tui_line_add(struct tui_line *l, enum tui_attr a, const char *s);

/* printf into the line (escaped like captured data). */
void tui_line_addf(struct tui_line *l, enum tui_attr a, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Append @n captured bytes, escaping whatever is not plain printable text.
 * @utf8: the terminal takes UTF-8 (else every non-ASCII character is
 * escaped too).  Returns the number of escapes written.
 */
size_t tui_line_add_safe(struct tui_line *l, enum tui_attr a, const void *p, size_t n, int utf8);

/* Append bytes [@off, @off + @len) of @src (already safe) with their attributes. */
void tui_line_copy(struct tui_line *dst, const struct tui_line *src, size_t off, size_t len);

/* Pad with spaces up to @col display columns. */
void tui_line_pad(struct tui_line *l, enum tui_attr a, size_t col);

/* Display width in columns (the text is sanitized, so every char is sized). */
size_t tui_line_width(const struct tui_line *l);

/* Attribute at byte offset @off. */
enum tui_attr tui_line_attr_at(const struct tui_line *l, size_t off);

/*
 * Width of the UTF-8 character at @s (at most @n bytes) and its length in
 * *@len; used by tui_panel to clip at the screen edge.
 */
int tui_char_width(const char *s, size_t n, size_t *len);

/*
 * Escape @n bytes into a plain NUL-terminated string (for --print):
 * the same rules as tui_line_add_safe without attributes.  Writes at most
 * @size bytes; returns the length it needed.
 */
size_t tui_escape(char *dst, size_t size, const void *p, size_t n, int utf8);

#endif
