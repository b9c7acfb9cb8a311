/* SPDX-License-Identifier: MIT */
/*
 * an_info.h - `asanalyze info` (see man/asanalyze.1).
 */
#ifndef AS_ANALYZE_AN_INFO_H
#define AS_ANALYZE_AN_INFO_H

/* argv[0] is "info"; returns the exit code (an_cli.h). */
int an_info_main(int argc, char **argv);

#endif
