/* SPDX-License-Identifier: MIT */
/*
 * t_safeout.c - the terminal-safe output stream: text, newlines, tabs and
 * valid UTF-8 pass unchanged, also when a sequence is cut between writes;
 * C0 controls, DEL, C1 controls, bidi overrides and bytes that are not
 * UTF-8 come out escaped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/an_safeout.h"
#include "tests/harness.h"

/* Write @n pieces through the filter, flushing after each; the result. */
static char *filtered(const char *const *pieces, size_t n)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *out = open_memstream(&buf, &len);
	FILE *f = an_safeout_open(out);

	for (i = 0; i < n; i++) {
		fputs(pieces[i], f);
		fflush(f);
	}
	fclose(f);
	fclose(out);
	return buf;
}

#define CHECK_FILTER(expect, ...)                                          \
	do {                                                               \
		const char *const p_[] = { __VA_ARGS__ };                  \
		char *got_ = filtered(p_, sizeof(p_) / sizeof(p_[0]));     \
		CHECK(got_ && !strcmp(got_, expect));                      \
		if (got_ && strcmp(got_, expect))                          \
			fprintf(stderr, "  got '%s'\n", got_);             \
		free(got_);                                                \
	} while (0)

TEST(plain_and_utf8_pass)
{
	CHECK_FILTER("hello\tworld\n", "hello\tworld\n");
	CHECK_FILTER("caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x98\x80");
	/* sequences cut between writes */
	CHECK_FILTER("\xe2\x80\x94", "\xe2", "\x80", "\x94");
	CHECK_FILTER("\xf0\x9f\x98\x80!", "\xf0\x9f", "\x98\x80!");
}

TEST(controls_escaped)
{
	CHECK_FILTER("a\\x1b]2;pwned\\x07b", "a\x1b]2;pwned\x07" "b");
	CHECK_FILTER("\\x1b[2J\\x7f", "\x1b[2J\x7f");
	CHECK_FILTER("\\u{009b}31m", "\xc2\x9b" "31m");              /* C1 CSI */
	CHECK_FILTER("\\u{202e}desrever", "\xe2\x80\xae" "desrever"); /* RLO */
	CHECK_FILTER("\\u{2066}x", "\xe2\x81\xa6" "x");               /* LRI */
	CHECK_FILTER("\\u{009b}", "\xc2", "\x9b");                    /* cut C1 */
}

TEST(not_utf8_escaped)
{
	CHECK_FILTER("\\x9b31m", "\x9b" "31m");        /* raw 8-bit CSI */
	CHECK_FILTER("\\xc3(", "\xc3(");               /* bad continuation */
	CHECK_FILTER("\\xc0\\xaf", "\xc0\xaf");        /* overlong */
	CHECK_FILTER("\\xed\\xa0\\x80", "\xed\xa0\x80"); /* surrogate */
	CHECK_FILTER("x\\xe2\\x80", "x\xe2\x80");       /* cut at the end */
}

int main(void)
{
	RUN(plain_and_utf8_pass);
	RUN(controls_escaped);
	RUN(not_utf8_escaped);
	return harness_done();
}
