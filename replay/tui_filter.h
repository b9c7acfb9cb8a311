/* SPDX-License-Identifier: MIT */
/*
 * tui_filter.h - the timeline filter language of asreplay's `f` prompt and
 * --filter option, parsed into a struct the model turns into SQL.
 *
 *   pid=N  comm=NAME  kind=K[,K...]  tree=PID  proc=ID  tool=ID
 *   since=T  until=T  text=WORDS  WORDS
 *
 * T is relative to the first event ("12.5", "90s", "1500ms", "2m") or a
 * UTC time of day on the first event's date ("21:30:05", "21:30:05.250").
 * Bare words are one text term (substring, ASCII case-insensitive).
 * Terms combine with AND.  No curses, no SQLite: unit-tested alone.
 */
#ifndef AS_REPLAY_TUI_FILTER_H
#define AS_REPLAY_TUI_FILTER_H

#include <stddef.h>
#include <stdint.h>

/* Event kinds of the timeline (stored in rp_events.kind). */
enum tui_kind {
	TK_NONE = 0,
	TK_LLM,
	TK_TOOL,
	TK_EXEC,
	TK_EXIT,
	TK_FILE,
	TK_NET,
	TK_TLS,
	TK_DROP,
	TK_COUNT
};

/* "llm", "tool", ... ; "?" for an unknown kind. */
const char *tui_kind_name(int kind);
/* Kind by name (also accepts "network", "process"); TK_NONE if unknown. */
int tui_kind_parse(const char *s, size_t n);

struct tui_time {
	int set;
	int wall;        /* 1: @ns is a UTC time of day; 0: relative to the first event */
	int64_t ns;
};

struct tui_filter {
	long pid;        /* -1: any */
	long tree_pid;   /* -1: any; events of that pid's processes and descendants */
	int64_t proc;    /* 0: any; processes.proc_id whose subtree is kept */
	int64_t tool;    /* 0: any; tool_calls.tool_call_pk whose effects are kept */
	unsigned kinds;  /* bit (1 << kind); 0: any */
	char comm[64];
	char text[256];
	struct tui_time since, until;
};

void tui_filter_init(struct tui_filter *f);

/* 1 when the filter keeps everything. */
int tui_filter_empty(const struct tui_filter *f);

/*
 * Parse @expr into @f (re-initialized first).  Returns 0, or -EINVAL with
 * @msg naming the term at fault.
 */
int tui_filter_parse(struct tui_filter *f, const char *expr, char *msg, size_t msg_size);

/* Parse a time value ("12.5", "90s", "1500ms", "2m", "21:30:05.250"). */
int tui_time_parse(const char *s, size_t n, struct tui_time *t);

#endif
