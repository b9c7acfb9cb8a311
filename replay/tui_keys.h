/* SPDX-License-Identifier: MIT */
/*
 * tui_keys.h - keys to actions.  tui_crt turns curses keys and mouse
 * wheel events into the codes below; tui_keys_handle() runs the action
 * bound to a key for the current view and returns reaction flags telling
 * the loop what to do.  Actions change state only; they never draw.
 */
#ifndef AS_REPLAY_TUI_KEYS_H
#define AS_REPLAY_TUI_KEYS_H

#include "tui_app.h"

enum tui_key {
	TUI_K_UP = 0x110000, /* above every Unicode code point */
	TUI_K_DOWN,
	TUI_K_LEFT,
	TUI_K_RIGHT,
	TUI_K_PGUP,
	TUI_K_PGDN,
	TUI_K_HOME,
	TUI_K_END,
	TUI_K_ENTER,
	TUI_K_ESC,
	TUI_K_BACKSPACE,
	TUI_K_TAB,
	TUI_K_RESIZE,
	TUI_K_WHEEL_UP,
	TUI_K_WHEEL_DOWN,
	TUI_K_F1,
};

#define TUI_CTRL(c) ((c) & 0x1f)

enum tui_reaction {
	TR_NONE = 0,
	TR_REDRAW = 1 << 0,   /* render and draw the screen */
	TR_QUIT = 1 << 1,     /* leave the loop */
	TR_PLAY = 1 << 2,     /* playback state changed: adjust the key timeout */
};

/* Run the action for @key; returns enum tui_reaction flags. */
int tui_keys_handle(struct tui_app *a, int key);

#endif
