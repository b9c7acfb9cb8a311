/* SPDX-License-Identifier: MIT */
/*
 * tui_crt.h - the terminal: curses setup, colors, keys, size, teardown.
 * With tui_panel.c the only code that calls curses.
 *
 * Calling sequence:
 *   tui_crt_init(); ... tui_crt_key(timeout_ms) ... tui_crt_done();
 */
#ifndef AS_REPLAY_TUI_CRT_H
#define AS_REPLAY_TUI_CRT_H

#include "tui_line.h"

/* 0, or -1 when the terminal cannot be initialized. */
int tui_crt_init(void);
void tui_crt_done(void);
void tui_crt_size(int *rows, int *cols);
/* Repaint everything on the next draw (after a resize, or ^L). */
void tui_crt_repaint(void);

/* curses attributes for @a (highlighted: the cursor row). */
unsigned long tui_crt_attr(enum tui_attr a, int highlighted);

/* The next key as a tui_keys.h code; -1 after @timeout_ms (-1: wait). */
int tui_crt_key(int timeout_ms);

#endif
