/* SPDX-License-Identifier: MIT */
/*
 * an_fmt.c - rendering helpers for the asanalyze verbs (see an_fmt.h).
 */
#include "an_fmt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "format/cap_reader.h"

#define NSEC UINT64_C(1000000000)

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

void an_clock_from_meta(struct an_clock *c, const uint8_t *data, size_t len)
{
	uint64_t mono, real;

	if (parse_u64(cap_kv_find(data, len, "clock_mono_ns"), &mono) ||
	    parse_u64(cap_kv_find(data, len, "clock_real_ns"), &real) || !real)
		return;
	c->valid = 1;
	c->mono_ns = mono;
	c->real_ns = real;
}

uint64_t an_clock_real(const struct an_clock *c, uint64_t ts)
{
	if (!c || !c->valid)
		return 0;
	/* ts may precede the anchor (snapshot records, rotated files) */
	if (ts >= c->mono_ns)
		return c->real_ns + (ts - c->mono_ns);
	if (c->mono_ns - ts > c->real_ns)
		return 0;
	return c->real_ns - (c->mono_ns - ts);
}

const char *an_fmt_iso(uint64_t real_ns, int digits, char *buf, size_t size)
{
	time_t sec = (time_t)(real_ns / NSEC);
	uint64_t frac = real_ns % NSEC;
	struct tm tm;
	char day[32];

	if (!real_ns || !gmtime_r(&sec, &tm)) {
		snprintf(buf, size, "-");
		return buf;
	}
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	if (digits == 3)
		snprintf(buf, size, "%s.%03" PRIu64 "Z", day, frac / 1000000);
	else if (digits == 6)
		snprintf(buf, size, "%s.%06" PRIu64 "Z", day, frac / 1000);
	else
		snprintf(buf, size, "%s.%09" PRIu64 "Z", day, frac);
	return buf;
}

const char *an_fmt_ts(const struct an_clock *c, uint64_t ts, int digits, char *buf,
		      size_t size)
{
	uint64_t real = an_clock_real(c, ts);

	if (real)
		return an_fmt_iso(real, digits, buf, size);
	snprintf(buf, size, "+%" PRIu64 ".%09" PRIu64, ts / NSEC, ts % NSEC);
	return buf;
}

const char *an_fmt_duration(uint64_t ns, char *buf, size_t size)
{
	uint64_t s = ns / NSEC, ms = ns / 1000000 % 1000;

	if (s >= 3600)
		snprintf(buf, size, "%" PRIu64 "h%02" PRIu64 "m%02" PRIu64 ".%03" PRIu64 "s",
			 s / 3600, s / 60 % 60, s % 60, ms);
	else if (s >= 60)
		snprintf(buf, size, "%" PRIu64 "m%02" PRIu64 ".%03" PRIu64 "s", s / 60, s % 60,
			 ms);
	else if (s || ms)
		snprintf(buf, size, "%" PRIu64 ".%03" PRIu64 "s", s, ms);
	else
		snprintf(buf, size, "0.%06" PRIu64 "s", ns / 1000 % 1000000);
	return buf;
}

const char *an_fmt_size(uint64_t bytes, char *buf, size_t size)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int i = -1;

	if (bytes < 1024) {
		snprintf(buf, size, "%" PRIu64 " B", bytes);
		return buf;
	}
	while (v >= 1024 && i < 3) {
		v /= 1024;
		i++;
	}
	snprintf(buf, size, "%.1f %s", v, unit[i]);
	return buf;
}

int an_esc(struct cap_buf *out, const void *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *b = p;
	uint8_t *o;
	size_t i;

	/* worst case 4 output bytes per input byte */
	if (cap_buf_reserve(out, n * 4 + 1))
		return -ENOMEM;
	o = out->p + out->len;
	for (i = 0; i < n; i++) {
		uint8_t c = b[i];

		if (c == '\\' || c == '"') {
			*o++ = '\\';
			*o++ = c;
		} else if (c >= 0x20 && c < 0x7f) {
			*o++ = c;
		} else if (c == '\n' || c == '\r' || c == '\t') {
			*o++ = '\\';
			*o++ = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
		} else {
			*o++ = '\\';
			*o++ = 'x';
			*o++ = (uint8_t)hex[c >> 4];
			*o++ = (uint8_t)hex[c & 15];
		}
	}
	out->len = (size_t)(o - out->p);
	return 0;
}

/* Length of the UTF-8 sequence starting at @b (0 when invalid or cut). */
static size_t utf8_seq(const uint8_t *b, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (b[0] < 0x80)
		return b[0] ? 1 : 0;
	if ((b[0] & 0xe0) == 0xc0)
		len = 2, cp = b[0] & 0x1f;
	else if ((b[0] & 0xf0) == 0xe0)
		len = 3, cp = b[0] & 0x0f;
	else if ((b[0] & 0xf8) == 0xf0)
		len = 4, cp = b[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((b[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (b[i] & 0x3f);
	}
	/* overlong forms, surrogates and values past U+10FFFF are invalid */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

size_t an_utf8_prefix(const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i = 0;

	while (i < n) {
		size_t k = utf8_seq(b + i, n - i);

		if (!k)
			break;
		i += k;
	}
	return i;
}

int an_is_text(const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if ((b[i] < 0x20 || b[i] >= 0x7f) && b[i] != '\n' && b[i] != '\r' &&
		    b[i] != '\t')
			return 0;
	return 1;
}

static int shell_safe(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("_@%+=:,./-", c) != NULL;
}

int an_shquote(struct cap_buf *out, const void *p, size_t n)
{
	const uint8_t *b = p;
	int safe = n > 0, printable = 1;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!b[i] || !shell_safe(b[i]))
			safe = 0;
		if (b[i] < 0x20 || b[i] >= 0x7f)
			printable = 0;
	}
	if (safe)
		return cap_buf_append(out, b, n);
	if (!printable) {
		/* $'...': ANSI-C quoting so no raw control byte is ever printed */
		if (cap_buf_append(out, "$'", 2))
			return -ENOMEM;
		for (i = 0; i < n; i++) {
			int rc = b[i] == '\'' ? cap_buf_append(out, "\\'", 2) :
						b[i] == '"' ? cap_buf_append(out, "\"", 1) :
						an_esc(out, b + i, 1);
			if (rc)
				return rc;
		}
		return cap_buf_append(out, "'", 1);
	}
	if (cap_buf_append(out, "'", 1))
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		int rc = b[i] == '\'' ? cap_buf_append(out, "'\\''", 4) :
					cap_buf_append(out, b + i, 1);
		if (rc)
			return rc;
	}
	return cap_buf_append(out, "'", 1);
}

int an_base64(struct cap_buf *out, const void *p, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const uint8_t *b = p;
	uint8_t *o;
	size_t i;

	if (cap_buf_reserve(out, (n + 2) / 3 * 4 + 1))
		return -ENOMEM;
	o = out->p + out->len;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)b[i] << 16 | (uint32_t)b[i + 1] << 8 | b[i + 2];

		*o++ = (uint8_t)tab[v >> 18];
		*o++ = (uint8_t)tab[v >> 12 & 63];
		*o++ = (uint8_t)tab[v >> 6 & 63];
		*o++ = (uint8_t)tab[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)b[i] << 16 | (i + 1 < n ? (uint32_t)b[i + 1] << 8 : 0);

		*o++ = (uint8_t)tab[v >> 18];
		*o++ = (uint8_t)tab[v >> 12 & 63];
		*o++ = i + 1 < n ? (uint8_t)tab[v >> 6 & 63] : '=';
		*o++ = '=';
	}
	out->len = (size_t)(o - out->p);
	return 0;
}

const char *an_fmt_sockaddr(unsigned family, unsigned port, const uint8_t addr[16],
			    const char *path, size_t path_max, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN];
	struct cap_buf e = { 0 };
	size_t n;

	switch (family) {
	case AF_INET:
		inet_ntop(AF_INET, addr, ip, sizeof(ip));
		snprintf(buf, size, "%s:%u", ip, port);
		break;
	case AF_INET6:
		inet_ntop(AF_INET6, addr, ip, sizeof(ip));
		snprintf(buf, size, "[%s]:%u", ip, port);
		break;
	case AF_UNIX:
		n = strnlen(path, path_max);
		if (an_esc(&e, path, n) == 0 && e.len)
			snprintf(buf, size, "unix:%.*s", (int)e.len, (const char *)e.p);
		else
			snprintf(buf, size, "unix:%s", n ? "?" : "(unnamed)");
		cap_buf_release(&e);
		break;
	case AF_UNSPEC:
		snprintf(buf, size, "unspec");
		break;
	default:
		snprintf(buf, size, "family%u", family);
	}
	return buf;
}

const char *an_fmt_family(unsigned family, char *buf, size_t size)
{
	if (family == AF_INET)
		snprintf(buf, size, "inet");
	else if (family == AF_INET6)
		snprintf(buf, size, "inet6");
	else if (family == AF_UNIX)
		snprintf(buf, size, "unix");
	else
		snprintf(buf, size, "%u", family);
	return buf;
}

const char *an_fmt_errno(int err, char *buf, size_t size)
{
	const char *n = err > 0 ? strerrorname_np(err) : NULL;

	if (n)
		snprintf(buf, size, "%s", n);
	else
		snprintf(buf, size, "E%d", err);
	return buf;
}

const char *an_fmt_signal(int sig, char *buf, size_t size)
{
	const char *n = sig > 0 ? sigabbrev_np(sig) : NULL;

	if (n)
		snprintf(buf, size, "SIG%s", n);
	else
		snprintf(buf, size, "SIG%d", sig);
	return buf;
}

/* glibc's O_LARGEFILE is 0 on 64-bit (implied there); the kernel's flag,
 * as fdinfo shows it, is 0100000 on x86_64 (the recorder's only ABI) */
#define KERNEL_O_LARGEFILE (O_LARGEFILE ? O_LARGEFILE : 0100000)

const char *an_fmt_oflags(unsigned flags, char *buf, size_t size)
{
	static const struct {
		unsigned bit;
		const char *name;
	} tab[] = {
		/* multi-bit flags first: O_SYNC includes O_DSYNC, O_TMPFILE O_DIRECTORY */
		{ O_SYNC, "O_SYNC" },         { O_TMPFILE, "O_TMPFILE" },
		{ O_CREAT, "O_CREAT" },       { O_EXCL, "O_EXCL" },
		{ O_NOCTTY, "O_NOCTTY" },     { O_TRUNC, "O_TRUNC" },
		{ O_APPEND, "O_APPEND" },     { O_NONBLOCK, "O_NONBLOCK" },
		{ O_DSYNC, "O_DSYNC" },       { O_DIRECT, "O_DIRECT" },
		{ KERNEL_O_LARGEFILE, "O_LARGEFILE" }, { O_DIRECTORY, "O_DIRECTORY" },
		{ O_NOFOLLOW, "O_NOFOLLOW" }, { O_NOATIME, "O_NOATIME" },
		{ O_CLOEXEC, "O_CLOEXEC" },   { O_PATH, "O_PATH" },
	};
	unsigned acc = flags & O_ACCMODE, rest = flags & ~(unsigned)O_ACCMODE, i;
	size_t n;

	n = (size_t)snprintf(buf, size, "%s",
			     acc == O_RDONLY ? "O_RDONLY" : acc == O_WRONLY ? "O_WRONLY" :
			     acc == O_RDWR ? "O_RDWR" : "O_ACCMODE");
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]) && n < size; i++) {
		/* O_LARGEFILE is 0 in x86-64 user space: such entries never match */
		if (!tab[i].bit || (rest & tab[i].bit) != tab[i].bit)
			continue;
		rest &= ~tab[i].bit;
		n += (size_t)snprintf(buf + n, size - n, "|%s", tab[i].name);
	}
	if (rest && n < size)
		snprintf(buf + n, size - n, "|%#x", rest);
	return buf;
}

const char *an_fmt_hex(const uint8_t *p, size_t n, char *buf, size_t size)
{
	size_t i;

	if (!size)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < n && 2 * i + 2 < size; i++)
		snprintf(buf + 2 * i, 3, "%02x", p[i]);
	return buf;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

void an_progress_init(struct an_progress *p, const char *label, const char *const *paths,
		      size_t n)
{
	memset(p, 0, sizeof(*p));
	p->on = isatty(STDERR_FILENO);
	p->label = label;
	p->paths = paths;
	p->npaths = n;
	p->total = p->on ? an_files_size(paths, n) : 0;
	p->on = p->on && p->total > 0;
	p->last_ns = now_ns();
}

void an_progress_update(struct an_progress *p, unsigned file_index, uint64_t off)
{
	char a[32], b[32];
	uint64_t t, done;

	if (!p->on)
		return;
	t = now_ns();
	if (t - p->last_ns < 200000000ull)
		return;
	p->last_ns = t;
	while (p->cur < file_index && p->cur < p->npaths)
		p->base += an_files_size(p->paths + p->cur++, 1);
	done = p->base + off;
	if (done > p->total)
		done = p->total;
	fprintf(stderr, "\r%s: %3u%% (%s of %s)", p->label, (unsigned)(done * 100 / p->total),
		an_fmt_size(done, a, sizeof(a)), an_fmt_size(p->total, b, sizeof(b)));
	p->shown = 1;
}

void an_progress_end(struct an_progress *p)
{
	if (p->on && p->shown)
		fprintf(stderr, "\r\033[K");
	p->shown = 0;
}

uint64_t an_files_size(const char *const *paths, size_t n)
{
	uint64_t sum = 0;
	struct stat st;
	size_t i;

	for (i = 0; i < n; i++)
		if (stat(paths[i], &st) == 0)
			sum += (uint64_t)st.st_size;
	return sum;
}
