#!/bin/sh
# tests/check-deps.sh - reject includes that point backwards in the data
# flow (design.md section 2): format/ includes nothing of ours; record/
# only bpf/ and format/; analyze/ only format/; replay/ analyze/ + format/.
rc=0
check() {
	dir=$1
	allowed=$2
	for f in "$dir"/*.[ch]; do
		[ -e "$f" ] || continue
		grep -nE '^#include "' "$f" | while IFS= read -r line; do
			inc=$(echo "$line" | sed -E 's/.*#include "([^"]+)".*/\1/')
			case "$inc" in
			*/*) top=${inc%%/*} ;;
			*) top=$dir ;;
			esac
			case " $dir $allowed " in
			*" $top "*) ;;
			*) echo "$f: includes $inc (not allowed from $dir/)"; echo x >>"$TMPF" ;;
			esac
		done
	done
}
TMPF=$(mktemp)
check format ""
check record "bpf format build"
check analyze "format"
check replay "analyze format"
[ -s "$TMPF" ] && rc=1
rm -f "$TMPF"
[ $rc = 0 ] && echo "dependencies ok"
exit $rc
