/* SPDX-License-Identifier: MIT */
/*
 * an_cli.h - what every asanalyze verb shares: message style and exit codes.
 *
 * Messages go to stderr as "asanalyze: SUBJECT: what is wrong" (lower case,
 * no full stop, subject quoted).  Exit codes: AN_EXIT_OK, AN_EXIT_DATA
 * (bad or incomplete data, failed check), AN_EXIT_USAGE (bad command line).
 * A verb is int an_VERB_main(int argc, char **argv) with argv[0] the verb
 * name; it returns the exit code.
 */
#ifndef AS_ANALYZE_AN_CLI_H
#define AS_ANALYZE_AN_CLI_H

#include "format/cap_err.h"

#define AN_EXIT_OK 0
#define AN_EXIT_DATA 1
#define AN_EXIT_USAGE 2

/* "asanalyze: " + message + newline on stderr. */
void an_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A usage error of @verb: message plus a hint; returns AN_EXIT_USAGE. */
int an_usage(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Report a library error (file, offset, block, text) with an optional hint. */
void an_err_cap(const struct cap_err *e, const char *hint);

/*
 * Explain what getopt_long(3) rejected (opterr must be 0); @c is its return
 * ('?' or ':').  Returns AN_EXIT_USAGE.
 */
int an_bad_option(const char *verb, int c, char *const argv[]);

/*
 * Replace each incident bundle among (*argv)[first..*argc) by its capture
 * members (bundle.h); prints the error.  0 or -1.
 */
int an_bundle_inputs(int *argc, char ***argv, int first);

/* Parse a non-negative decimal number; 0 or -EINVAL. */
int an_parse_u64(const char *s, unsigned long long *out);

#endif
