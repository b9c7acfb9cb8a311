/* SPDX-License-Identifier: MIT */
/*
 * an_try.c - run the analysis verbs of analyze/an_cmds.h before they are
 * wired into asanalyze: `an_try VERB [OPTIONS] FILE...`.
 */
#include <stdio.h>
#include <string.h>

#include "analyze/an_cmds.h"

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} verbs[] = {
		{ "tree", an_cmd_tree },
		{ "conversations", an_cmd_conversations },
		{ "explain", an_cmd_explain },
		{ "export", an_cmd_export },
	};
	size_t i;

	for (i = 0; argc > 1 && i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].fn(argc - 1, argv + 1);
	fputs("usage: an_try tree|conversations|explain|export [OPTIONS] FILE...\n", stderr);
	return 2;
}
