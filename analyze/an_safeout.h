/* SPDX-License-Identifier: MIT */
/*
 * an_safeout.h - standard output made safe for a terminal.
 *
 * Captured bytes (prompts, paths, argv, headers, model names) reach the
 * human-readable outputs of asanalyze in many places; rather than trust
 * each printf to escape them, the text verbs write through a stream that
 * lets only printable text, newlines and tabs through: other C0 controls
 * and DEL become \xHH, C1 controls (U+0080..U+009F, which some terminals
 * obey even in UTF-8) and bidirectional overrides (which reorder what is
 * shown) become \u{XXXX}, bytes that are not UTF-8 become \xHH.  A UTF-8
 * sequence split across writes is held until it is complete.
 */
#ifndef AS_ANALYZE_AN_SAFEOUT_H
#define AS_ANALYZE_AN_SAFEOUT_H

#include <stdio.h>

/* A filtering stream writing into @out (left open by fclose), or NULL. */
FILE *an_safeout_open(FILE *out);

/* Replace stdout by a filtering stream over it; 0 or -errno.  Call once,
 * before any output; the stream is flushed at exit. */
int an_safeout_stdout(void);

#endif
