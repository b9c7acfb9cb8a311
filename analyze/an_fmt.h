/* SPDX-License-Identifier: MIT */
/*
 * an_fmt.h - rendering helpers shared by the asanalyze verbs: wall-clock
 * time from the META clock anchor, escaped payload previews, shell-like
 * quoting, socket addresses, errno/signal names, sizes, and a progress
 * indicator.
 *
 * Escaping rule (the same everywhere, documented in asanalyze(1)): bytes
 * 0x20..0x7e pass through except '\\' and '"', which become "\\\\" and
 * "\\\""; TAB, LF and CR become "\\t", "\\n", "\\r"; every other byte
 * becomes "\\xNN".  The result is pure ASCII without control bytes, and
 * Python's codecs.escape_decode() turns it back into the original bytes.
 *
 * Functions that fill a struct cap_buf append to it and return 0 or
 * -ENOMEM.  Functions that fill (buf, size) always NUL-terminate.
 */
#ifndef AS_ANALYZE_AN_FMT_H
#define AS_ANALYZE_AN_FMT_H

#include <stddef.h>
#include <stdint.h>

#include "format/cap_buf.h"

/* monotonic -> realtime: real = ts - mono_ns + real_ns (META clock anchor) */
struct an_clock {
	int valid;
	uint64_t mono_ns;
	uint64_t real_ns;
};

/* Take the anchor from a META record's "key=value\0" data; keeps @c when
 * the keys are missing or malformed. */
void an_clock_from_meta(struct an_clock *c, const uint8_t *data, size_t len);

/* Epoch ns for @ts_mono, or 0 when the anchor is unknown. */
uint64_t an_clock_real(const struct an_clock *c, uint64_t ts_mono);

/*
 * Render epoch ns as UTC ISO-8601 with @digits (3, 6 or 9) fraction digits,
 * e.g. "2025-11-25T21:06:01.123Z".  @real_ns == 0 renders as "-".
 */
const char *an_fmt_iso(uint64_t real_ns, int digits, char *buf, size_t size);

/* Monotonic @ts through @c, or "+SECONDS.FRACTION" (monotonic) without one. */
const char *an_fmt_ts(const struct an_clock *c, uint64_t ts, int digits, char *buf,
		      size_t size);

/* "2h03m04.567s", "4.567s", "0.000123s" */
const char *an_fmt_duration(uint64_t ns, char *buf, size_t size);

/* "123 B", "1.5 KiB", "3.2 MiB", ... */
const char *an_fmt_size(uint64_t bytes, char *buf, size_t size);

/* Escape @n bytes (rule above). */
int an_esc(struct cap_buf *out, const void *p, size_t n);

/* Length of the longest prefix of @p that is valid UTF-8 without NUL; a
 * multi-byte sequence cut at the end is left out. */
size_t an_utf8_prefix(const void *p, size_t n);

/* 1 when every byte is printable ASCII, TAB, LF or CR. */
int an_is_text(const void *p, size_t n);

/*
 * Quote one word for a POSIX shell: bare when made only of safe characters,
 * '...' when printable, $'...' with \xNN escapes otherwise.
 */
int an_shquote(struct cap_buf *out, const void *p, size_t n);

/* Base64 (RFC 4648, padded). */
int an_base64(struct cap_buf *out, const void *p, size_t n);

/* "127.0.0.1:443", "[::1]:8080", "unix:/run/x.sock", "unix:@abstract" */
const char *an_fmt_sockaddr(unsigned family, unsigned port, const uint8_t addr[16],
			    const char *path, size_t path_max, char *buf, size_t size);

/* "inet", "inet6", "unix" or the number */
const char *an_fmt_family(unsigned family, char *buf, size_t size);

/* "ENOENT" for 2, "E123" when unknown */
const char *an_fmt_errno(int err, char *buf, size_t size);

/* "SIGKILL" for 9, "SIG77" when unknown */
const char *an_fmt_signal(int sig, char *buf, size_t size);

/* "O_WRONLY|O_CREAT|O_TRUNC" */
const char *an_fmt_oflags(unsigned flags, char *buf, size_t size);

/* Lower-case hex of @n bytes. */
const char *an_fmt_hex(const uint8_t *p, size_t n, char *buf, size_t size);

/*
 * Progress on stderr, only when stderr is a terminal, at most every 200 ms:
 * "\rLABEL: 42% (12.3 MiB of 29.0 MiB)".  an_progress_end() clears the line.
 */
struct an_progress {
	int on;
	const char *label;
	const char *const *paths;
	size_t npaths;
	unsigned cur;          /* file being read */
	uint64_t base;         /* sizes of the files before it */
	uint64_t total;
	uint64_t last_ns;
	int shown;
};
void an_progress_init(struct an_progress *p, const char *label, const char *const *paths,
		      size_t n);
/* We are at byte @off of file @file_index. */
void an_progress_update(struct an_progress *p, unsigned file_index, uint64_t off);
void an_progress_end(struct an_progress *p);

/* Sum of the sizes of @n files (missing files count 0). */
uint64_t an_files_size(const char *const *paths, size_t n);

#endif
