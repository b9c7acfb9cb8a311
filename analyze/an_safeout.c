/* SPDX-License-Identifier: MIT */
/* an_safeout.c - a terminal-safe standard output (see an_safeout.h). */
#include "an_safeout.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct safeout {
	FILE *out;               /* the real standard output */
	unsigned char held[4];   /* start of a UTF-8 sequence cut by a write */
	size_t nheld;
};

/* Bytes of the UTF-8 sequence that starts with @c, 0 when @c cannot start one. */
static size_t seq_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	return 0;
}

/* The code point of a complete sequence, or -1 when it is not valid UTF-8. */
static long decode(const unsigned char *s, size_t n)
{
	static const long min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	long cp = n == 1 ? s[0] : s[0] & (0x7f >> n);
	size_t i;

	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	return cp;
}

/* Marks that change the order text is shown in, and C1 controls. */
static int unsafe_cp(long cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x61c || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Write one sequence of @n bytes (n from seq_len, all present). */
static void put_seq(FILE *f, const unsigned char *s, size_t n)
{
	long cp = n ? decode(s, n) : -1;

	if (cp < 0) {
		fprintf(f, "\\x%02x", s[0]); /* not UTF-8: that byte alone */
		return;
	}
	if (n == 1 && ((cp < 0x20 && cp != '\n' && cp != '\t') || cp == 0x7f))
		fprintf(f, "\\x%02lx", cp);
	else if (unsafe_cp(cp))
		fprintf(f, "\\u{%04lx}", cp);
	else
		fwrite(s, 1, n, f);
}

/* Consume what @s holds from @p; returns bytes used (held when cut). */
static size_t step(struct safeout *so, const unsigned char *p, size_t avail)
{
	size_t n = seq_len(p[0]), i;

	if (!n) {
		put_seq(so->out, p, 0);
		return 1;
	}
	if (n > avail) {
		/* a cut sequence is held only while its bytes look right */
		for (i = 1; i < avail; i++)
			if ((p[i] & 0xc0) != 0x80)
				break;
		if (i < avail) {
			put_seq(so->out, p, 0);
			return 1;
		}
		memcpy(so->held, p, avail);
		so->nheld = avail;
		return avail;
	}
	if (decode(p, n) < 0) {
		put_seq(so->out, p, 0);
		return 1;
	}
	put_seq(so->out, p, n);
	return n;
}

static ssize_t so_write(void *cookie, const char *buf, size_t size)
{
	struct safeout *so = cookie;
	const unsigned char *p = (const unsigned char *)buf;
	size_t off = 0;

	/* complete a held sequence first */
	while (so->nheld && off < size) {
		unsigned char tmp[4];
		size_t n = seq_len(so->held[0]), have = so->nheld;

		memcpy(tmp, so->held, have);
		while (have < n && off < size)
			tmp[have++] = p[off++];
		so->nheld = 0;
		if (have < n) {
			memcpy(so->held, tmp, have);
			so->nheld = have;
			return (ssize_t)size;
		}
		for (size_t k = 0; k < have;)
			k += step(so, tmp + k, have - k);
	}
	while (off < size)
		off += step(so, p + off, size - off);
	return (ssize_t)size;
}

static int so_close(void *cookie)
{
	struct safeout *so = cookie;
	size_t i;

	for (i = 0; i < so->nheld; i++) /* a sequence the output ended inside */
		put_seq(so->out, so->held + i, 0);
	fflush(so->out);
	free(so);
	return 0;
}

/* the real stdout, for the exit handler only */
static FILE *real_stdout;

/* exit() flushes streams in no set order: close ours before it runs */
static void restore(void)
{
	if (real_stdout && stdout != real_stdout) {
		fclose(stdout);
		stdout = real_stdout;
		fflush(stdout);
	}
}

FILE *an_safeout_open(FILE *out)
{
	static const cookie_io_functions_t io = { .write = so_write, .close = so_close };
	struct safeout *so = calloc(1, sizeof(*so));
	FILE *f;

	if (!so)
		return NULL;
	so->out = out;
	f = fopencookie(so, "w", io);
	if (!f)
		free(so);
	return f;
}

int an_safeout_stdout(void)
{
	FILE *f = an_safeout_open(stdout);

	if (!f)
		return -errno;
	real_stdout = stdout;
	stdout = f;
	atexit(restore);
	return 0;
}
