/* SPDX-License-Identifier: MIT */
/*
 * tui_help.c - the help view: every key, as a document like any other.
 * Keep in step with tui_keys.c and man/asreplay.1.
 */
#include "tui_app.h"

static const char *const help_text[] = {
	"#Views",
	"1  timeline: one line per event, colored by kind",
	"2  process tree: Enter filters the timeline to a subtree",
	"3  conversations: LLM calls; Enter opens the transcript",
	"?  this help;  q or Esc goes back;  Q quits",
	"#Moving",
	"j k Down Up          one line (mouse wheel: three)",
	"PgDn PgUp ^F ^B      one page;  ^D ^U half a page",
	"g G Home End         first, last",
	"Tab                  move the keys between the timeline and the detail pane",
	"#Timeline",
	"Enter d              show or hide the detail pane of the selected event",
	"c                    open the conversation of an llm or tool event",
	"p                    show the event's process in the process tree",
	"/                    search as you type (text, comm); Enter keeps, Esc cancels",
	"n N                  next, previous match",
	"f                    filter as you type: pid=N comm=NAME kind=llm,tool,exec,exit,",
	"                     file,net,tls,drop tree=PID since=T until=T text=WORDS or WORDS",
	"                     (T: 12.5, 90s, 2m relative; 21:30:05.250 UTC time of day)",
	"F                    clear the filter",
	"#Process tree",
	"Left h  Right l      collapse, expand;  Enter: timeline of this subtree",
	"#Conversations",
	"Enter                open a call;  in a transcript, Enter on a tool call shows",
	"                     the processes and files it caused, on an effect jumps to it",
	"#Playback",
	"space                play or pause in recorded time (idle gaps over 1 s are skipped)",
	"< >                  slower, faster: 1x 2x 10x max (max: one event per tick)",
	"#Safety",
	"Captured bytes never reach the terminal raw: control bytes, invalid UTF-8",
	"and bidirectional controls are shown escaped, like \\e[31m or \\xff.",
};

void tui_help_load(struct tui_app *a)
{
	struct tui_line *l;
	size_t i;

	tui_doc_clear(&a->help);
	for (i = 0; i < sizeof(help_text) / sizeof(help_text[0]); i++) {
		l = tui_doc_add(&a->help, DT_NONE, 0);
		if (!l)
			return;
		if (help_text[i][0] == '#')
			tui_line_add(l, TA_TITLE, help_text[i] + 1);
		else
			tui_line_add(l, TA_NORMAL, help_text[i]);
	}
}
