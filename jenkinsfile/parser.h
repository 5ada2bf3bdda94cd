/* SPDX-License-Identifier: MIT */
/*
 * The Groovy parser: tokens -> AST, by hand-written recursive descent. Pure. It parses the
 * whole file (code before and after `pipeline {}` included): statements, command-call syntax
 * (`sh 'make'`), named arguments, trailing closures, lists and maps, GStrings (whose embedded
 * token streams become expressions), and Groovy's operators with their precedence.
 */
#ifndef TP_JENKINSFILE_PARSER_H
#define TP_JENKINSFILE_PARSER_H

#include <stddef.h>

#include "jenkinsfile/ast.h"

struct tp_arena;

enum {
    TP_PARSE_MAX_DEPTH = 200
};

/*
 * Lexes and parses src[0..len) into `*out` (memory in `arena`). Every syntax error is added
 * to `diags` with its line and column; parsing stops at the first one (as Groovy does).
 * Returns 0, or TP_ESYNTAX (see diags), TP_ETOOBIG.
 */
int tp_parse(const char *src, size_t len, struct tp_arena *arena, struct tp_diags *diags,
             struct tp_script *out);

#endif
