/* SPDX-License-Identifier: MIT */
/*
 * tui_panel.h - draw a rendered screen (tui_app_render) with curses: each
 * row clipped to the width at a character boundary, the cursor row
 * highlighted across the whole width.  With tui_crt.c the only curses
 * caller.
 */
#ifndef AS_REPLAY_TUI_PANEL_H
#define AS_REPLAY_TUI_PANEL_H

#include "tui_app.h"

void tui_panel_draw(const struct tui_screen *s);

#endif
