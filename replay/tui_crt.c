/* SPDX-License-Identifier: MIT */
/*
 * tui_crt.c - curses setup, colors and key decoding (see tui_crt.h).
 */
#include "tui_crt.h"

#include <curses.h>

#include "tui_keys.h"

static const struct {
	short fg;
	unsigned long extra;
} colors[TA_COUNT] = {
	[TA_NORMAL] = { -1, 0 },          [TA_DIM] = { -1, A_DIM },
	[TA_BOLD] = { -1, A_BOLD },       [TA_LLM] = { COLOR_MAGENTA, A_BOLD },
	[TA_TOOL] = { COLOR_YELLOW, A_BOLD }, [TA_EXEC] = { COLOR_GREEN, 0 },
	[TA_EXIT] = { COLOR_GREEN, A_DIM }, [TA_FILE] = { COLOR_CYAN, 0 },
	[TA_NET] = { COLOR_BLUE, A_BOLD }, [TA_TLS] = { COLOR_BLUE, 0 },
	[TA_DROP] = { COLOR_RED, A_BOLD | A_REVERSE }, [TA_ESC] = { COLOR_RED, A_REVERSE },
	[TA_TITLE] = { -1, A_REVERSE | A_BOLD }, [TA_KEY] = { COLOR_YELLOW, 0 },
	[TA_MATCH] = { COLOR_YELLOW, A_REVERSE }, [TA_ERROR] = { COLOR_RED, A_BOLD },
};

int tui_crt_init(void)
{
	short i;

	if (!initscr())
		return -1;
	raw(); /* ^C and ^Z reach the key table: quit cleanly */
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	/* Home/End differ between xterm, screen and tmux, whatever TERM says */
	define_key("\033[1~", KEY_HOME);
	define_key("\033[H", KEY_HOME);
	define_key("\033OH", KEY_HOME);
	define_key("\033[7~", KEY_HOME);
	define_key("\033[4~", KEY_END);
	define_key("\033[F", KEY_END);
	define_key("\033OF", KEY_END);
	define_key("\033[8~", KEY_END);
	mousemask(BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
	mouseinterval(0);
	if (has_colors()) {
		start_color();
		use_default_colors();
		for (i = 0; i < TA_COUNT; i++)
			init_pair((short)(i + 1), colors[i].fg, -1);
	}
	return 0;
}

void tui_crt_done(void)
{
	if (!isendwin())
		endwin();
}

void tui_crt_repaint(void)
{
	clearok(curscr, TRUE);
}

void tui_crt_size(int *rows, int *cols)
{
	getmaxyx(stdscr, *rows, *cols);
}

unsigned long tui_crt_attr(enum tui_attr a, int highlighted)
{
	unsigned long v = 0;

	if (a >= TA_COUNT)
		a = TA_NORMAL;
	if (has_colors())
		v |= COLOR_PAIR(a + 1);
	v |= colors[a].extra;
	if (highlighted)
		v = (v & ~(unsigned long)A_DIM) ^ A_REVERSE;
	return v;
}

static int mouse_key(void)
{
	MEVENT ev;

	if (getmouse(&ev) != OK)
		return -1;
	if (ev.bstate & BUTTON4_PRESSED)
		return TUI_K_WHEEL_UP;
	if (ev.bstate & BUTTON5_PRESSED)
		return TUI_K_WHEEL_DOWN;
	return -1;
}

static int func_key(wint_t k)
{
	switch (k) {
	case KEY_UP: return TUI_K_UP;
	case KEY_DOWN: return TUI_K_DOWN;
	case KEY_LEFT: return TUI_K_LEFT;
	case KEY_RIGHT: return TUI_K_RIGHT;
	case KEY_PPAGE: return TUI_K_PGUP;
	case KEY_NPAGE: return TUI_K_PGDN;
	case KEY_HOME: return TUI_K_HOME;
	case KEY_END: return TUI_K_END;
	case KEY_ENTER: return TUI_K_ENTER;
	case KEY_BACKSPACE: return TUI_K_BACKSPACE;
	case KEY_RESIZE: return TUI_K_RESIZE;
	case KEY_F(1): return TUI_K_F1;
	case KEY_MOUSE: return mouse_key();
	default: return -1;
	}
}

int tui_crt_key(int timeout_ms)
{
	wint_t k;
	int rc;

	timeout(timeout_ms);
	rc = get_wch(&k);
	if (rc == ERR)
		return -1;
	if (rc == KEY_CODE_YES)
		return func_key(k);
	switch (k) {
	case '\r': case '\n': return TUI_K_ENTER;
	case 27: return TUI_K_ESC;
	case 127: case 8: return TUI_K_BACKSPACE;
	case '\t': return TUI_K_TAB;
	default: return (int)k;
	}
}
