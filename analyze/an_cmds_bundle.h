/* SPDX-License-Identifier: MIT */
/*
 * an_cmds_bundle.h - `asanalyze bundle OUT.tar.zst FILE...` (bundle.h).
 */
#ifndef AS_ANALYZE_AN_CMDS_BUNDLE_H
#define AS_ANALYZE_AN_CMDS_BUNDLE_H

int an_cmd_bundle(int argc, char **argv);

#endif
