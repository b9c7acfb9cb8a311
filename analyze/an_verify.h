/* SPDX-License-Identifier: MIT */
/*
 * an_verify.h - `asanalyze verify` (see man/asanalyze.1).
 */
#ifndef AS_ANALYZE_AN_VERIFY_H
#define AS_ANALYZE_AN_VERIFY_H

/* argv[0] is "verify"; returns the exit code (an_cli.h). */
int an_verify_main(int argc, char **argv);

#endif
