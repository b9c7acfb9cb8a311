/* SPDX-License-Identifier: MIT */
/*
 * tui_panel.c - draw attributed lines with curses (see tui_panel.h).
 */
#include "tui_panel.h"

#include <curses.h>

#include "tui_crt.h"

static void draw_row(int y, const struct tui_line *l, int cols, int hl)
{
	size_t span = 0, i = 0, k, run;
	int x = 0, w;
	enum tui_attr a = TA_NORMAL;

	move(y, 0);
	while (i < l->len) {
		while (span < l->nspans && l->spans[span].off <= i)
			a = (enum tui_attr)l->spans[span++].attr;
		/* a run of one attribute that fits in the row */
		for (run = 0; i + run < l->len; run += k) {
			if (span < l->nspans && l->spans[span].off <= i + run)
				break;
			w = tui_char_width(l->text + i + run, l->len - i - run, &k);
			if (x + w > cols)
				break;
			x += w;
		}
		if (!run)
			break;
		attrset(tui_crt_attr(a, hl));
		addnstr(l->text + i, (int)run);
		i += run;
		if (x >= cols)
			break;
	}
	attrset(tui_crt_attr(l->nspans && a == TA_TITLE ? TA_TITLE : TA_NORMAL, hl));
	/* bottom-right cell: writing it would scroll some terminals */
	for (; x < cols - (y == LINES - 1); x++)
		addch(' ');
}

void tui_panel_draw(const struct tui_screen *s)
{
	int y, cols = s->ncols;

	erase();
	for (y = 0; y < s->nrows && y < LINES; y++)
		draw_row(y, &s->rows[y], cols, s->hl[y]);
	attrset(A_NORMAL);
	refresh();
}
