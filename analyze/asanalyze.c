/* SPDX-License-Identifier: MIT */
/*
 * asanalyze.c - the offline analyzer CLI: `asanalyze VERB [OPTIONS] ARGS`.
 * main() only dispatches; each verb lives in its own an_VERB.c and returns
 * the exit code (0 ok, 1 data error, 2 usage error).
 */
#include <stdio.h>
#include <string.h>

#include "analyze/an_cli.h"
#include "analyze/an_cmds.h"
#include "analyze/an_cmds_bundle.h"
#include "analyze/an_dump.h"
#include "analyze/an_info.h"
#include "analyze/an_repair.h"
#include "analyze/an_verify.h"
#include "format/cap_record.h"

#ifndef ASIGHT_VERSION
#define ASIGHT_VERSION "unknown"
#endif

struct verb {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *summary;
};

static const struct verb verbs[] = {
	{ "info", an_info_main, "summarize a capture: host, time range, counts, integrity" },
	{ "dump", an_dump_main, "print one line (or JSON object) per record" },
	{ "verify", an_verify_main, "recompute the hash chain; exit 1 on the first bad frame" },
	{ "repair", an_repair_main, "rewrite a crashed or cut capture into a clean one" },
	{ "tree", an_cmd_tree, "process tree like pstree -a, with durations and exit codes" },
	{ "conversations", an_cmd_conversations,
	  "every LLM API call as a transcript (--json: one object per call)" },
	{ "explain", an_cmd_explain, "prompt -> tool call -> processes/files/network -> next prompt" },
	{ "export", an_cmd_export, "write the model to SQLite (--sqlite OUT.db) and/or JSON Lines" },
	{ "bundle", an_cmd_bundle,
	  "pack captures, SQLite export, summary and manifest into OUT.tar.zst" },
};

static void usage(FILE *f)
{
	size_t i;

	fputs("usage: asanalyze VERB [OPTIONS] FILE...\n"
	      "       asanalyze --help | --version\n\nverbs:\n", f);
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  %-14s %s\n", verbs[i].name, verbs[i].summary);
	fputs("\n'asanalyze VERB --help' describes a verb; see asanalyze(1) and ascap(5).\n", f);
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return AN_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return AN_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("asanalyze %s (capture format %d)\n", ASIGHT_VERSION, CAP_FORMAT_VERSION);
		return AN_EXIT_OK;
	}
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].main(argc - 1, argv + 1);
	if (argv[1][0] == '-')
		an_err("unknown option '%s'; see 'asanalyze --help'", argv[1]);
	else
		an_err("unknown verb '%s'; see 'asanalyze --help'", argv[1]);
	return AN_EXIT_USAGE;
}
