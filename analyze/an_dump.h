/* SPDX-License-Identifier: MIT */
/*
 * an_dump.h - `asanalyze dump FILE... [--json] [--full] [--type T] [--pid P]`:
 * one line per record (text or JSON Lines), decoded by an_rec.h, with an
 * escaped payload preview; --full prints whole payloads with continuation
 * chunks joined.
 */
#ifndef AS_ANALYZE_AN_DUMP_H
#define AS_ANALYZE_AN_DUMP_H

/* argv[0] is "dump"; returns the exit code (an_cli.h). */
int an_dump_main(int argc, char **argv);

#endif
