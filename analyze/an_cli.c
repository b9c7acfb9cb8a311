/* SPDX-License-Identifier: MIT */
/*
 * an_cli.c - message and option helpers shared by the asanalyze verbs.
 */
#include "an_cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "analyze/bundle.h"

void an_err(const char *fmt, ...)
{
	char buf[4096];
	va_list ap;

	fflush(stdout);
	fputs("asanalyze: ", stderr);
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* a bundle's member is read as /proc/self/fd/N: say "BUNDLE:MEMBER" */
	bundle_fix_text(buf, sizeof(buf));
	fputs(buf, stderr);
	fputc('\n', stderr);
}

int an_bundle_inputs(int *argc, char ***argv, int first)
{
	char msg[1024];

	msg[0] = 0;
	if (!bundle_expand(argc, argv, first, msg, sizeof(msg)))
		return 0;
	an_err("%s", msg);
	return -1;
}

int an_usage(const char *verb, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "asanalyze: %s: ", verb);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; see 'asanalyze %s --help'\n", verb);
	return AN_EXIT_USAGE;
}

void an_err_cap(const struct cap_err *e, const char *hint)
{
	char buf[768];

	cap_strerror(e, buf, sizeof(buf));
	if (hint)
		an_err("%s; %s", buf, hint);
	else
		an_err("%s", buf);
}

int an_bad_option(const char *verb, int c, char *const argv[])
{
	const char *arg = optind > 0 ? argv[optind - 1] : "?";

	if (c == ':')
		return an_usage(verb, "option '%s' needs a value", arg);
	if (optopt)
		return an_usage(verb, "unknown option '-%c'", optopt);
	return an_usage(verb, "unknown option '%s'", arg);
}

int an_parse_u64(const char *s, unsigned long long *out)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno || *end ? -EINVAL : 0;
}
