/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "harness/tp_test.h"
#include "jenkinsfile/ast.h"
#include "jenkinsfile/lexer.h"

struct lexed {
    struct tp_arena arena;
    struct tp_diags diags;
    const struct tp_token *toks;
    size_t count;
    int err;
};

static void lex(struct lexed *l, const char *src)
{
    tp_arena_init(&l->arena);
    tp_diags_init(&l->diags, &l->arena);
    l->err = tp_lex(src, strlen(src), &l->arena, &l->diags, &l->toks, &l->count);
}

TP_TEST(tokens_operators_and_positions)
{
    struct lexed l;
    lex(&l, "#!groovy\nx ==~ /a\\/b\\d+/ // c\n  y?.z ?: 1.5e3 <=> 0x1F\n");
    ASSERT_OK(l.err);

    enum tp_tok_kind kinds[] = { TP_TOK_NEWLINE, TP_TOK_IDENT, TP_TOK_MATCH,     TP_TOK_STRING,
                                 TP_TOK_NEWLINE, TP_TOK_IDENT, TP_TOK_SAFE_DOT,  TP_TOK_IDENT,
                                 TP_TOK_ELVIS,   TP_TOK_FLOAT, TP_TOK_SPACESHIP, TP_TOK_INT,
                                 TP_TOK_NEWLINE, TP_TOK_EOF };

    size_t i = 0;
    /* The shebang line leaves its newline (the first token may be that newline or x). */
    if (l.toks[0].kind != TP_TOK_NEWLINE)
        i = 1;
    for (size_t k = 0; k < l.count; k++)
        ASSERT_EQ(kinds[k + i], l.toks[k].kind);
    const struct tp_token *re = NULL, *y = NULL;
    for (size_t k = 0; k < l.count; k++) {
        if (l.toks[k].kind == TP_TOK_STRING)
            re = &l.toks[k];
        if (l.toks[k].kind == TP_TOK_IDENT && strcmp(l.toks[k].text, "y") == 0)
            y = &l.toks[k];
    }
    ASSERT_STR_EQ("a/b\\d+", re->text); /* slashy: only \/ is an escape */
    ASSERT_EQ(3, y->line);
    ASSERT_EQ(3, y->col);
    tp_arena_close(&l.arena);
}

TP_TEST(strings_of_every_kind)
{
    struct lexed l;
    lex(&l, "'a\\'b\\n' '''x\n'y'\\\nz''' \"q\\\"\\$v\" $/a$$b$/c/$ 'é\\u00e9'");
    ASSERT_OK(l.err);
    ASSERT_STR_EQ("a'b\n", l.toks[0].text);
    ASSERT_STR_EQ("x\n'y'z", l.toks[1].text);
    ASSERT_EQ(TP_TOK_STRING, l.toks[2].kind);
    ASSERT_STR_EQ("q\"$v", l.toks[2].text);
    ASSERT_STR_EQ("a$b/c", l.toks[3].text);
    ASSERT_STR_EQ("\xc3\xa9\xc3\xa9", l.toks[4].text);
    tp_arena_close(&l.arena);
}

TP_TEST(gstrings_carry_their_expressions)
{
    struct lexed l;
    lex(&l, "\"v=${a.b(\"}\")}-$x.y.z. end $1\"");
    ASSERT_OK(l.err);
    const struct tp_token *t = &l.toks[0];
    ASSERT_EQ(TP_TOK_GSTRING, t->kind);
    ASSERT_EQ(5, t->nparts);
    ASSERT_STR_EQ("v=", t->parts[0].text);
    ASSERT_TRUE(t->parts[1].text == NULL);
    /* a . b ( "}" ) EOF */
    ASSERT_EQ(7, t->parts[1].ntokens);
    ASSERT_STR_EQ("}", t->parts[1].tokens[4].text);
    ASSERT_STR_EQ("-", t->parts[2].text);
    ASSERT_EQ(6, t->parts[3].ntokens); /* x . y . z EOF: the final dot is text */
    ASSERT_STR_EQ(". end $1", t->parts[4].text);
    tp_arena_close(&l.arena);
}

TP_TEST(errors_have_positions)
{
    struct lexed l;
    lex(&l, "echo 'ok'\n  sh 'never closed\n");
    ASSERT_EQ(TP_ESYNTAX, l.err);
    ASSERT_EQ(1, l.diags.count);
    ASSERT_EQ(2, l.diags.items[0].line);
    ASSERT_EQ(6, l.diags.items[0].col);
    ASSERT_STR_EQ("Unterminated string literal", l.diags.items[0].message);
    tp_arena_close(&l.arena);
    lex(&l, "/* open comment\n");
    ASSERT_EQ(TP_ESYNTAX, l.err);
    ASSERT_STR_EQ("Unterminated comment", l.diags.items[0].message);
    tp_arena_close(&l.arena);
    lex(&l, "\"${ unclosed\"");
    ASSERT_EQ(TP_ESYNTAX, l.err);
    tp_arena_close(&l.arena);
}

TP_TEST(nesting_is_bounded)
{
    char src[2048];
    size_t n = 0;
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(src + n, sizeof(src) - n, "\"${");
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(src + n, sizeof(src) - n, "}\"");
    struct lexed l;
    lex(&l, src);
    ASSERT_EQ(TP_ESYNTAX, l.err);
    tp_arena_close(&l.arena);
}

TP_TEST_LIST(TP_CASE(tokens_operators_and_positions), TP_CASE(strings_of_every_kind),
             TP_CASE(gstrings_carry_their_expressions), TP_CASE(errors_have_positions),
             TP_CASE(nesting_is_bounded))
