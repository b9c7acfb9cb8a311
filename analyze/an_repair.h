/* SPDX-License-Identifier: MIT */
/*
 * an_repair.h - `asanalyze repair` (see man/asanalyze.1).
 */
#ifndef AS_ANALYZE_AN_REPAIR_H
#define AS_ANALYZE_AN_REPAIR_H

/* argv[0] is "repair"; returns the exit code (an_cli.h). */
int an_repair_main(int argc, char **argv);

#endif
