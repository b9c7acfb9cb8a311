/* SPDX-License-Identifier: MIT */
/*
 * rec_disc_awslc.c - find aws-lc's EVP_AEAD_CTX_seal and EVP_AEAD_CTX_open
 * in a stripped static binary (Rust programs using rustls with the
 * aws-lc-rs provider, hence OpenAI's codex).
 *
 * rustls keeps the TLS state machine in Rust, where nothing survives
 * stripping, but every TLS record it protects goes through one C call of
 * aws-lc: rustls 0.23 seals a record with aws-lc-rs's
 * seal_in_place_append_tag, which calls EVP_AEAD_CTX_seal on the plaintext
 * (TLS 1.3: data, then the inner content type byte), and opens one with
 * open_in_place, which calls EVP_AEAD_CTX_open and leaves the plaintext in
 * place.  So the plaintext is copied at the entry of seal and at the
 * return of open (bpf/tls_aead.bpf.h).
 *
 * Those two are found like BoringSSL's SSL_write (rec_disc_boringssl.c):
 * each OPENSSL_PUT_ERROR(CIPHER, reason) in crypto/fipsmodule/cipher/aead.c
 * calls ERR_put_error(AE_LIB_CIPHER = 30, 0, reason, __FILE__, __LINE__),
 * so a site is an instruction loading the address of the ".../cipher/aead.c"
 * string, with `mov $30,%edi` and `mov $reason,%edx` among the register
 * loads around it.  Sites are grouped by .eh_frame_hdr function and the
 * functions told apart by their reasons (BoringSSL/aws-lc CIPHER_R_*):
 *   EVP_AEAD_CTX_seal          TOO_LARGE (117), BUFFER_TOO_SMALL (103),
 *                              OUTPUT_ALIASES_INPUT (115)
 *   EVP_AEAD_CTX_open          OUTPUT_ALIASES_INPUT, BAD_DECRYPT (101)
 *   EVP_AEAD_CTX_seal_scatter  OUTPUT_ALIASES_INPUT, INVALID_OPERATION (112)
 *   EVP_AEAD_CTX_open_gather   OUTPUT_ALIASES_INPUT, CTRL_NOT_IMPLEMENTED
 *                              (104) without BAD_DECRYPT (open may inline it)
 * seal_scatter is probed too: rustls 0.23 seals TLS 1.2 GCM records with
 * it (seal_in_place_separate_tag), and later rustls seals TLS 1.3 records
 * out of place with it, the content type as its extra input.  open_gather
 * is only counted (rustls opens with EVP_AEAD_CTX_open, which inlines or
 * calls it).  Reason numbers are part of aws-lc's public ABI; line numbers
 * and offsets never matter.
 * BoringSSL has the same file and functions: its finder runs first, and
 * BoringSSL's own SSL_write/SSL_read are the better probe there.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/cap_record.h"
#include "bpf/probe.h"
#include "rec_delf.h"
#include "rec_disc.h"

#define AE_LIB_CIPHER 30
#define AE_BAD_DECRYPT 0x01    /* CIPHER_R_BAD_DECRYPT = 101 */
#define AE_TOO_SMALL 0x02      /* CIPHER_R_BUFFER_TOO_SMALL = 103 */
#define AE_CTRL_NOT_IMPL 0x04  /* CIPHER_R_CTRL_NOT_IMPLEMENTED = 104 */
#define AE_INVALID_OP 0x08     /* CIPHER_R_INVALID_OPERATION = 112 */
#define AE_ALIAS 0x10          /* CIPHER_R_OUTPUT_ALIASES_INPUT = 115 */
#define AE_TOO_LARGE 0x20      /* CIPHER_R_TOO_LARGE = 117 */
#define AE_OTHER 0x40
#define AE_MAX_FUNCS 64
#define AE_MAX_STRS 4
#define AE_CHAIN 6 /* register loads looked at on each side of a site */

struct afunc {
	uint64_t start, end;
	unsigned reasons;
};

struct ascan {
	const struct rec_delf *e;
	struct afunc f[AE_MAX_FUNCS];
	int n;
	unsigned sites;
};

static unsigned ae_reason_bit(uint32_t v)
{
	switch (v) {
	case 101: return AE_BAD_DECRYPT;
	case 103: return AE_TOO_SMALL;
	case 104: return AE_CTRL_NOT_IMPL;
	case 112: return AE_INVALID_OP;
	case 115: return AE_ALIAS;
	case 117: return AE_TOO_LARGE;
	}
	return AE_OTHER;
}

#define AE_REG_EDX 2
#define AE_REG_EDI 7

/* The reason bit of the site whose file load is at @site; 0 if not CIPHER. */
static unsigned ae_site_reason(const struct rec_delf *e, uint64_t site, unsigned len)
{
	const uint8_t *p = rec_delf_at(e, site - 6 * AE_CHAIN, 12 * AE_CHAIN + len), *s, *q;
	unsigned k, l, bits = 0;
	uint32_t v;
	int lib = 0, reg;

	if (!p)
		return 0;
	s = p + 6 * AE_CHAIN;
	for (q = s + len, k = 0; k < AE_CHAIN && (l = rec_delf_reg_load(q, &reg, &v)); k++, q += l) {
		lib |= reg == AE_REG_EDI && v == AE_LIB_CIPHER;
		if (reg == AE_REG_EDX)
			bits = ae_reason_bit(v);
	}
	/* backwards: an instruction must end exactly where the next begins */
	for (q = s, k = 0; k < AE_CHAIN; k++, q -= l) {
		for (l = 6; l >= 2; l--)
			if (rec_delf_reg_load(q - l, &reg, &v) == l)
				break;
		if (l < 2)
			break;
		lib |= reg == AE_REG_EDI && v == AE_LIB_CIPHER;
		if (reg == AE_REG_EDX && !bits)
			bits = ae_reason_bit(v);
	}
	return lib ? (bits ? bits : AE_OTHER) : 0;
}

static void ae_on_site(void *ctx, uint64_t site, unsigned len, int which)
{
	struct ascan *a = ctx;
	unsigned bit = ae_site_reason(a->e, site, len);
	uint64_t start, end;
	int i;

	(void)which;
	if (!bit || rec_delf_func(a->e, site, &start, &end) < 0)
		return;
	a->sites++;
	for (i = 0; i < a->n && a->f[i].start != start; i++)
		;
	if (i == a->n) {
		if (a->n == AE_MAX_FUNCS)
			return;
		a->f[a->n].start = start;
		a->f[a->n].end = end;
		a->n++;
	}
	a->f[i].reasons |= bit;
}

static int ae_has(const struct afunc *f, unsigned want, unsigned not)
{
	return (f->reasons & want) == want && !(f->reasons & not);
}

static void ae_put(struct rec_disc_result *out, const struct rec_delf *e, const struct afunc *f,
		uint32_t cookie, const char *name, const char *method)
{
	struct rec_disc_func *d;

	if (out->n >= REC_DISC_MAX)
		return;
	d = &out->f[out->n++];
	memset(d, 0, sizeof(*d));
	d->off = rec_delf_off(e, f->start);
	d->cookie = cookie;
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(d->kind, sizeof(d->kind), "aws-lc");
	snprintf(d->method, sizeof(d->method), "%s", method);
}

/* Probe every seal and open found (a binary may hold two aws-lc builds). */
static int ae_pick(const struct ascan *a, struct rec_disc_result *out)
{
	unsigned nseal = 0, nopen = 0, nscat = 0, ngath = 0;
	char how[128];
	int i;

	for (i = 0; i < a->n; i++) {
		const struct afunc *f = &a->f[i];

		nscat += ae_has(f, AE_ALIAS | AE_INVALID_OP, AE_TOO_LARGE | AE_BAD_DECRYPT);
		ngath += ae_has(f, AE_ALIAS | AE_CTRL_NOT_IMPL, AE_BAD_DECRYPT | AE_TOO_LARGE);
	}
	for (i = 0; i < a->n; i++) {
		const struct afunc *f = &a->f[i];

		if (ae_has(f, AE_ALIAS | AE_TOO_LARGE | AE_TOO_SMALL, AE_BAD_DECRYPT | AE_INVALID_OP)) {
			snprintf(how, sizeof(how), "cipher/aead.c error sites (reasons 117 103 115) "
				 "in .eh_frame_hdr function; %u sites, scatter/gather %u/%u",
				 a->sites, nscat, ngath);
			ae_put(out, a->e, f, ASR_TLS_AEAD_SEAL, "EVP_AEAD_CTX_seal", how);
			nseal++;
		} else if (ae_has(f, AE_ALIAS | AE_INVALID_OP, AE_TOO_LARGE | AE_BAD_DECRYPT)) {
			snprintf(how, sizeof(how), "cipher/aead.c error sites (reasons 115 112) "
				 "in .eh_frame_hdr function; %u sites", a->sites);
			ae_put(out, a->e, f, ASR_TLS_AEAD_SEAL_SCATTER, "EVP_AEAD_CTX_seal_scatter",
			       how);
		} else if (ae_has(f, AE_ALIAS | AE_BAD_DECRYPT, AE_TOO_LARGE | AE_INVALID_OP)) {
			snprintf(how, sizeof(how), "cipher/aead.c error sites (reasons 115 101) "
				 "in .eh_frame_hdr function; %u sites, scatter/gather %u/%u",
				 a->sites, nscat, ngath);
			ae_put(out, a->e, f, ASR_TLS_AEAD_OPEN | ASR_CK_READ, "EVP_AEAD_CTX_open",
			    how);
			nopen++;
		}
	}
	/* one direction alone would make half conversations: all or nothing */
	if (!nseal || !nopen) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	return out->n;
}

int rec_disc_awslc(int fd, const char *path, struct rec_disc_result *out)
{
	struct rec_delf e;
	struct ascan *a;
	uint64_t strs[AE_MAX_STRS];
	int rc, ns;

	(void)path;
	rc = rec_delf_open(fd, &e);
	if (rc)
		return rc == -ENOEXEC ? 0 : rc;
	ns = rec_delf_strings(&e, "crypto/fipsmodule/cipher/aead.c", strs, AE_MAX_STRS);
	if (ns <= 0) {
		rec_delf_close(&e);
		return 0;
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		rec_delf_close(&e);
		return -ENOMEM;
	}
	a->e = &e;
	rec_delf_refs(&e, strs, ns < AE_MAX_STRS ? ns : AE_MAX_STRS, ae_on_site, a);
	rc = ae_pick(a, out);
	free(a);
	rec_delf_close(&e);
	return rc;
}
