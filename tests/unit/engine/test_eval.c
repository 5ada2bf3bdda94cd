/* SPDX-License-Identifier: MIT */
/* engine/eval */
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "engine/eval.h"
#include "engine/linebuf.h"
#include "engine/runstate.h"
#include "harness/tp_test.h"
#include "jenkinsfile/parser.h"

static const char *env_lookup(void *ctx, const char *name)
{
    (void)ctx;
    if (strcmp(name, "HOME") == 0)
        return "/home/me";
    if (strcmp(name, "N") == 0)
        return "7";
    return NULL;
}

static const char *no_params(void *ctx, const char *name)
{
    (void)ctx;
    (void)name;
    return NULL;
}

/* Evaluates the right-hand side of `x = <source>` and returns the value or the error. */
static int eval(const char *source, struct tp_buf *out, struct tp_buf *error)
{
    struct tp_arena arena;
    struct tp_diags diags;
    struct tp_script script;
    tp_arena_init(&arena);
    tp_diags_init(&diags, &arena);
    char text[512];
    snprintf(text, sizeof(text), "x = %s\n", source);
    int err = tp_parse(text, strlen(text), &arena, &diags, &script);
    if (err == 0) {
        struct tp_eval_ctx ctx = { .env = env_lookup, .param = no_params };
        err = tp_eval_string(script.body->items[0]->expr->b, &ctx, out, error);
    }
    tp_arena_close(&arena);
    return err;
}

TP_TEST(eval_strings_and_interpolation)
{
    struct tp_buf out, error;
    tp_buf_init(&out);
    tp_buf_init(&error);
    ASSERT_OK(eval("'$HOME ${N}'", &out, &error));
    ASSERT_STR_EQ("$HOME ${N}", out.data);
    tp_buf_reset(&out);
    ASSERT_OK(eval("\"home=$HOME n=${env.N}${N} miss=${env.NOPE} p=${params.P}\"", &out, &error));
    ASSERT_STR_EQ("home=/home/me n=77 miss=null p=null", out.data);
    tp_buf_reset(&out);
    ASSERT_OK(eval("'a' + \"b$N\" + 3 + true", &out, &error));
    ASSERT_STR_EQ("ab73true", out.data);
    tp_buf_reset(&out);
    ASSERT_EQ(TP_EINVAL, eval("\"${UNDEFINED}\"", &out, &error));
    ASSERT_STR_EQ("groovy.lang.MissingPropertyException: No such property: UNDEFINED for class: "
                  "groovy.lang.Binding",
                  error.data);
    tp_buf_reset(&error);
    ASSERT_EQ(TP_EUNSUPPORTED, eval("\"${N.toInteger() * 2}\"", &out, &error));
    ASSERT_TRUE(strstr(error.data, "cannot evaluate") != NULL);
    tp_buf_close(&out);
    tp_buf_close(&error);
}

TP_TEST_LIST(TP_CASE(eval_strings_and_interpolation))
