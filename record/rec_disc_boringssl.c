/* SPDX-License-Identifier: MIT */
/*
 * rec_disc_boringssl.c - find BoringSSL's SSL_write and SSL_read in a
 * stripped static binary (Bun, hence Claude Code's claude.exe).
 *
 * What survives stripping is BoringSSL's error reporting: every
 * OPENSSL_PUT_ERROR(SSL, reason) in ssl/ssl_lib.cc loads the library code
 * (ERR_LIB_SSL, 16), the reason code, __FILE__ and __LINE__ into argument
 * registers and calls the error function.  Which register gets which
 * argument changed between BoringSSL versions, so a site is taken as the
 * instruction that loads the address of the "…/ssl/ssl_lib.cc" string,
 * plus the run of `mov $imm32` / `xor` instructions around it that must
 * contain 16; the other immediates are the reason and the line.
 *
 * The sites are grouped by function with .eh_frame_hdr, and the functions
 * recognised by the reasons they report (BoringSSL's reason numbers):
 *   SSL_write      SSL_R_BAD_LENGTH (111), SSL_R_UNINITIALIZED (226) and
 *                  SSL_R_SSL_HANDSHAKE_FAILURE (215), nothing else
 *   ssl_read_impl  226 and 215, not 111, not ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED (66)
 *                  (others when ssl_do_post_handshake is inlined into it)
 *   SSL_read       66 (the QUIC check of SSL_peek) and either the
 *                  ssl_read_impl reasons (inlined) or a direct call to it;
 *                  when only SSL_peek has the sites, SSL_read is the
 *                  function next to it whose first call is SSL_peek;
 *                  between SSL_read and an inlined SSL_peek, the larger.
 * Line numbers and offsets never matter, so a new build is found the same
 * way.  Both functions have OpenSSL's signature (ssl, buf, int num) and
 * return the bytes transferred.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/cap_record.h"
#include "bpf/probe.h"
#include "rec_delf.h"
#include "rec_disc.h"

#define ERR_LIB_SSL 16
#define R_NOT_CALLED 0x1  /* ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED = 66 */
#define R_BAD_LENGTH 0x2  /* SSL_R_BAD_LENGTH = 111 */
#define R_HS_FAIL 0x4     /* SSL_R_SSL_HANDSHAKE_FAILURE = 215 */
#define R_UNINIT 0x8      /* SSL_R_UNINITIALIZED = 226 */
#define R_OTHER 0x10      /* any other reason */
#define MAX_FUNCS 512
#define MAX_STRS 4
#define CHAIN 6           /* register loads looked at on each side of a site */

struct bfunc {
	uint64_t start, end;
	unsigned reasons;
	unsigned sites;
	int how;          /* REC_DELF_FDE and/or REC_DELF_PAD: how its bounds were found */
};

struct bscan {
	const struct rec_delf *e;
	struct bfunc f[MAX_FUNCS];
	int n;
	unsigned sites, unplaced;
};

static unsigned reason_bit(uint32_t v)
{
	switch (v) {
	case 66: return R_NOT_CALLED;
	case 111: return R_BAD_LENGTH;
	case 215: return R_HS_FAIL;
	case 226: return R_UNINIT;
	}
	return 0;
}

/* Reasons of the error site whose file load is at @site; 0 if not ERR_LIB_SSL. */
static unsigned site_reasons(const struct rec_delf *e, uint64_t site, unsigned len)
{
	const uint8_t *p = rec_delf_at(e, site - 6 * CHAIN, 12 * CHAIN + len);
	const uint8_t *s, *q;
	uint32_t imm[2 * CHAIN], v;
	unsigned n = 0, k, l, bits = 0;
	int lib = 0, reg; /* the register is not needed here */

	if (!p)
		return 0;
	s = p + 6 * CHAIN;
	for (q = s + len, k = 0; k < CHAIN && (l = rec_delf_reg_load(q, &reg, &v)); k++, q += l)
		imm[n++] = v;
	/* backwards: the instruction must end exactly where the next begins */
	for (q = s, k = 0; k < CHAIN; k++) {
		for (l = 6; l >= 2; l--)
			if (rec_delf_reg_load(q - l, &reg, &v) == l)
				break;
		if (l < 2)
			break;
		q -= l;
		imm[n++] = v;
	}
	for (k = 0; k < n; k++) {
		if (imm[k] == ERR_LIB_SSL && !lib)
			lib = 1;
		else
			bits |= reason_bit(imm[k]);
	}
	if (!lib)
		return 0;
	return bits ? bits : R_OTHER;
}

static void on_site(void *ctx, uint64_t site, unsigned len, int which)
{
	struct bscan *b = ctx;
	unsigned bits = site_reasons(b->e, site, len);
	uint64_t start, end;
	int i, how;

	(void)which;
	if (!bits)
		return;
	b->sites++;
	how = rec_delf_func(b->e, site, &start, &end);
	if (how < 0) {
		b->unplaced++;
		return;
	}
	for (i = 0; i < b->n && b->f[i].start != start; i++)
		;
	if (i == b->n) {
		if (b->n == MAX_FUNCS)
			return;
		b->f[b->n].start = start;
		b->f[b->n].end = end;
		b->n++;
	}
	b->f[i].reasons |= bits;
	b->f[i].sites++;
	b->f[i].how |= how;
}

static int has(const struct bfunc *f, unsigned want, unsigned not)
{
	return (f->reasons & want) == want && !(f->reasons & not);
}

static int calls_to(const struct rec_delf *e, const struct bfunc *f, uint64_t to)
{
	uint64_t c[64];
	int n = rec_delf_calls(e, f->start, f->end, c, 64);

	while (n-- > 0)
		if (c[n] == to)
			return 1;
	return 0;
}

/* SSL_write: the one function with exactly the write reasons. */
static const struct bfunc *find_write(const struct bscan *b)
{
	const struct bfunc *w = NULL;
	int i;

	for (i = 0; i < b->n; i++) {
		if (!has(&b->f[i], R_BAD_LENGTH | R_UNINIT | R_HS_FAIL, R_OTHER))
			continue;
		if (w)
			return NULL; /* ambiguous: better nothing than the wrong one */
		w = &b->f[i];
	}
	return w;
}

/* Is @f SSL_read or SSL_peek: the QUIC check and the read_impl reasons? */
static int is_peek_like(const struct bscan *b, const struct bfunc *f)
{
	int i;

	if (!has(f, R_NOT_CALLED, R_BAD_LENGTH))
		return 0;
	if (has(f, R_UNINIT | R_HS_FAIL, 0))
		return 1;
	if (f->reasons != R_NOT_CALLED)
		return 0;
	for (i = 0; i < b->n; i++)
		if (has(&b->f[i], R_UNINIT | R_HS_FAIL, R_BAD_LENGTH | R_NOT_CALLED) &&
		    calls_to(b->e, f, b->f[i].start))
			return 1;
	return 0;
}

/*
 * A thin SSL_read around an SSL_peek that has the sites: the function near
 * it (same translation unit) whose first call goes to SSL_peek.
 */
static uint64_t read_wrapper(const struct rec_delf *e, const struct bfunc *peek)
{
	uint64_t va, s, x, c[1];

	for (va = peek->start > 0x2000 ? peek->start - 0x2000 : 0; va < peek->end + 0x2000;) {
		if (rec_delf_func(e, va, &s, &x) < 0 || x <= va) {
			va++;
			continue;
		}
		if (s != peek->start && rec_delf_calls(e, s, x, c, 1) == 1 && c[0] == peek->start)
			return s;
		va = x;
	}
	return 0;
}

static void put(struct rec_disc_result *out, uint64_t off, uint32_t cookie, const char *name,
		const char *method)
{
	struct rec_disc_func *f;

	if (out->n >= REC_DISC_MAX)
		return;
	f = &out->f[out->n++];
	memset(f, 0, sizeof(*f));
	f->off = off;
	f->cookie = cookie;
	snprintf(f->name, sizeof(f->name), "%s", name);
	snprintf(f->kind, sizeof(f->kind), "boringssl");
	snprintf(f->method, sizeof(f->method), "%s", method);
}

static int pick_read(const struct bscan *b, const struct bfunc **rd, uint64_t *wrapper)
{
	const struct bfunc *c[4];
	int i, n = 0;

	*wrapper = 0;
	for (i = 0; i < b->n && n < 4; i++)
		if (is_peek_like(b, &b->f[i]))
			c[n++] = &b->f[i];
	if (!n)
		return -ENOENT;
	/* one of them calls the other: the caller is SSL_read */
	for (i = 0; n == 2 && i < 2; i++)
		if (calls_to(b->e, c[i], c[1 - i]->start)) {
			*rd = c[i];
			return 0;
		}
	if (n == 1) {
		*rd = c[0];
		*wrapper = c[0]->reasons == R_NOT_CALLED ? read_wrapper(b->e, c[0]) : 0;
		return 0;
	}
	*rd = c[0];
	for (i = 1; i < n; i++)
		if (c[i]->end - c[i]->start > (*rd)->end - (*rd)->start)
			*rd = c[i];
	return 0;
}

static const char *bounds(const struct bfunc *f)
{
	return f->how & REC_DELF_FDE ? ".eh_frame_hdr" : "padding";
}

/* Find the error sites and group them; 1 when there are some. */
static int scan(const struct rec_delf *e, struct bscan *b)
{
	uint64_t strs[MAX_STRS];
	/* BoringSSL's libssl is C++ since 2017; OpenSSL's ssl/ssl_lib.c is not
	 * ours (other error calls, other reason numbers) */
	int ns = rec_delf_strings(e, "ssl/ssl_lib.cc", strs, MAX_STRS);

	if (ns <= 0)
		return 0;
	if (ns > MAX_STRS)
		ns = MAX_STRS;
	b->e = e;
	rec_delf_refs(e, strs, ns, on_site, b);
	return b->sites ? 1 : 0;
}

int rec_disc_boringssl(int fd, const char *path, struct rec_disc_result *out)
{
	struct rec_delf e;
	struct bscan *b;
	const struct bfunc *w, *r = NULL;
	uint64_t wrap = 0;
	char how[128];
	int rc;

	(void)path;
	rc = rec_delf_open(fd, &e);
	if (rc)
		return rc == -ENOEXEC ? 0 : rc;
	b = calloc(1, sizeof(*b));
	if (!b) {
		rec_delf_close(&e);
		return -ENOMEM;
	}
	rc = scan(&e, b);
	if (rc <= 0)
		goto out;
	w = find_write(b);
	if (w) {
		snprintf(how, sizeof(how), "ssl_lib.cc error sites, reasons 111 226 215; "
			 "bounds by %s", bounds(w));
		put(out, rec_delf_off(&e, w->start), ASR_TLS_SSL_WRITE, "SSL_write", how);
	}
	if (!pick_read(b, &r, &wrap)) {
		snprintf(how, sizeof(how), "%sssl_lib.cc error sites, reasons %s; bounds by %s",
			 wrap ? "caller of SSL_peek with " : "",
			 r->reasons == R_NOT_CALLED ? "66 + call to ssl_read_impl (226 215)"
						    : "66 226 215", bounds(r));
		put(out, rec_delf_off(&e, wrap ? wrap : r->start), ASR_TLS_SSL_READ | ASR_CK_READ,
		    "SSL_read", how);
	}
	rc = out->n;
out:
	free(b);
	rec_delf_close(&e);
	return rc;
}
