/* SPDX-License-Identifier: MIT */
/*
 * an_cmds.h - the analysis verbs of asanalyze.  Each is
 * int an_cmd_VERB(int argc, char **argv) with argv[0] the verb name, and
 * returns the exit code (AN_EXIT_OK, AN_EXIT_DATA, AN_EXIT_USAGE).
 *
 *   tree FILE... [--pid P]                 process tree like pstree -a
 *   conversations FILE... [--json] [--full] LLM calls as transcripts
 *   explain FILE...                        prompt -> tool call -> effects
 *   export --sqlite OUT.db | --jsonl OUT FILE...
 *
 * Common options: --pricing FILE (cost table; default: $ASIGHT_PRICING,
 * then pricing.tsv next to the program's share/ or source tree),
 * --no-redact (print secrets as captured), -q (no summary line).
 */
#ifndef AS_ANALYZE_AN_CMDS_H
#define AS_ANALYZE_AN_CMDS_H

#include <stddef.h>

int an_cmd_tree(int argc, char **argv);
int an_cmd_conversations(int argc, char **argv);
int an_cmd_explain(int argc, char **argv);
int an_cmd_export(int argc, char **argv);

/*
 * Path of the default pricing table: $ASIGHT_PRICING, else pricing.tsv in
 * share/asight or analyze/ next to the running program; written into @buf
 * when found there.  NULL when there is none.
 */
const char *an_pricing_default(char *buf, size_t size);

#endif
