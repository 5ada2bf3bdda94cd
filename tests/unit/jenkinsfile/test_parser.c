/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "harness/tp_test.h"
#include "jenkinsfile/parser.h"

/* Parses `src` and dumps its AST (or the first diagnostic) into `out`. */
static int dump(const char *src, struct tp_buf *out)
{
    struct tp_arena arena;
    struct tp_diags diags;
    struct tp_script script;
    tp_arena_init(&arena);
    tp_diags_init(&diags, &arena);
    tp_buf_reset(out);
    int err = tp_parse(src, strlen(src), &arena, &diags, &script);
    if (err == 0)
        tp_ast_dump_block(script.body, out);
    else
        tp_buf_printf(out, "%d:%d: %s", diags.items[0].line, diags.items[0].col,
                      diags.items[0].message);
    tp_arena_close(&arena);
    return err;
}

#define ASSERT_AST(expected, src)                     \
    do {                                              \
        struct tp_buf out_;                           \
        tp_buf_init(&out_);                           \
        dump((src), &out_);                           \
        ASSERT_STR_EQ((expected), tp_buf_str(&out_)); \
        tp_buf_close(&out_);                          \
    } while (0)

TP_TEST(command_calls_named_args_and_closures)
{
    ASSERT_AST("{(call sh \"make\")}", "sh 'make'");
    ASSERT_AST("{(call junit (: \"testResults\" \"x.xml\") (: \"allowEmptyResults\" true))}",
               "junit testResults: 'x.xml', allowEmptyResults: true");
    ASSERT_AST("{(call stage \"Build\" (closure {(call steps (closure {(call echo \"hi\")}))}))}",
               "stage('Build') {\n  steps {\n    echo 'hi'\n  }\n}");
    ASSERT_AST("{(call agent any)}", "agent any");
    ASSERT_AST("{(call timeout (: \"time\" 5) (closure {(call retry 3)}))}",
               "timeout(time: 5) { retry 3 }");
    ASSERT_AST("{(call step (map (: \"$class\" \"JUnitResultArchiver\")))}",
               "step([$class: 'JUnitResultArchiver'])");
    ASSERT_AST("{(call pipeline (closure {(call agent any) (call stages (closure {}))}))}",
               "pipeline {\n  agent any; stages { }\n}");
}

TP_TEST(expressions_and_precedence)
{
    ASSERT_AST("{(assign = x (binary + 1 (binary * 2 3)))}", "x = 1 + 2 * 3");
    ASSERT_AST("{(assign = x (ternary (binary && a (unary ! b)) c (elvis d e)))}",
               "x = a && !b ? c : d ?: e");
    ASSERT_AST("{(assign = (prop X env) (call trim (call sh (: \"script\" \"date\") "
               "(: \"returnStdout\" true))))}",
               "env.X = sh(script: 'date', returnStdout: true).trim()");
    ASSERT_AST("{(assign = r (prop? result (prop previousBuild currentBuild)))}",
               "r = currentBuild.previousBuild?.result");
    ASSERT_AST("{(assign = m (binary ==~ b \"rel.*\"))}", "m = b ==~ /rel.*/");
    ASSERT_AST("{(assign = l (list 1 (map (: \"k\" \"v\")) (map)))}", "l = [1, [k: 'v'], [:]]");
    ASSERT_AST("{(assign = s (gstr \"a\" (prop B env) \"c\" d))}", "s = \"a${env.B}c$d\"");
    ASSERT_AST("{(assign = x (call (call each list (closure it {(call echo it)}))))}",
               "x = list.each { it -> echo it }()");
    ASSERT_AST("{(assign = y (binary && a b))}", "y = a\n    && b");
    ASSERT_AST("{(assign = z (call c (call b a)))}", "z = a\n  .b()\n  .c()");
    ASSERT_AST("{(assign = c (cast String (call readYaml)))}", "c = (String) readYaml()");
    ASSERT_AST("{(decl records (call readCSV (: \"file\" \"x.csv\")))}",
               "def records = readCSV file: 'x.csv'");
}

TP_TEST(statements)
{
    ASSERT_AST("{(if (binary == a 1) {(call echo \"one\")} else {(if b {(call echo \"b\")} "
               "else {(call echo \"other\")})})}",
               "if (a == 1) { echo 'one' } else if (b) echo 'b'\nelse { echo 'other' }");
    ASSERT_AST("{(for-in x list {(call echo x)})}", "for (def x in list) { echo x }");
    ASSERT_AST("{(try {(call sh \"x\")} (catch e {(call echo (gstr \"failed \" e))}) finally "
               "{(call deleteDir)})}",
               "try {\n sh 'x'\n} catch (Exception e) {\n echo \"failed $e\"\n} finally {\n "
               "deleteDir()\n}");
    ASSERT_AST("{(method notify status {(call echo status)}) (call notify \"ok\")}",
               "def notify(String status) {\n  echo status\n}\nnotify('ok')");
    ASSERT_AST("{(import java.text.SimpleDateFormat) _}",
               "import java.text.SimpleDateFormat\n@Library('lib@1.0') _");
    ASSERT_AST("{(decl x 1) (decl y \"s\") (while (binary < x 3) {(postfix ++ x)})}",
               "def x = 1\nString y = 's'\nwhile (x < 3) { x++ }");
    ASSERT_AST("{(switch x (case 1 {(call echo \"one\") (break)}) (case nil {(call echo \"d\")}))}",
               "switch (x) {\n case 1:\n  echo 'one'\n  break\n default:\n  echo 'd'\n}");
}

TP_TEST(syntax_errors_have_positions)
{
    struct tp_buf out;
    tp_buf_init(&out);
    ASSERT_EQ(TP_ESYNTAX, dump("pipeline {\n  agent any\n", &out));
    ASSERT_STR_EQ("3:1: expecting '}', found '<EOF>'", out.data);
    ASSERT_EQ(TP_ESYNTAX, dump("x = (1 + \n", &out));
    ASSERT_EQ(TP_ESYNTAX, dump("stage('a') }", &out));
    ASSERT_STR_EQ("1:12: unexpected token: }", out.data);
    ASSERT_EQ(TP_ESYNTAX, dump("1 = 2", &out));
    ASSERT_EQ(TP_ESYNTAX, dump("try { x() }", &out));
    ASSERT_EQ(TP_ESYNTAX, dump("pipeline\n{\n  agent any\n}", &out));
    ASSERT_TRUE(strncmp(out.data, "2:1: Ambiguous expression", 25) == 0);
    tp_buf_close(&out);
}

TP_TEST(deep_nesting_is_an_error_not_a_crash)
{
    static char src[200000];
    size_t n = 0;
    for (int i = 0; i < 20000; i++)
        src[n++] = '(';
    src[n++] = '1';
    for (int i = 0; i < 20000; i++)
        src[n++] = ')';
    src[n] = '\0';
    struct tp_buf out;
    tp_buf_init(&out);
    ASSERT_EQ(TP_ESYNTAX, dump(src, &out));
    ASSERT_TRUE(strstr(out.data, "too deep") != NULL);
    n = 0;
    for (int i = 0; i < 20000; i++)
        n += (size_t)snprintf(src + n, sizeof(src) - n, "a{");
    ASSERT_EQ(TP_ESYNTAX, dump(src, &out));
    tp_buf_close(&out);
}

/* Every real-world Jenkinsfile of the corpus parses, except those whose braces do not
 * balance (Groovy rejects them too). */
TP_TEST(the_corpus_parses)
{
    const char *dir = getenv("TP_CORPUS_DIR");
    if (dir == NULL)
        dir = "../shared/corpus/jenkinsfiles";
    DIR *d = opendir(dir);
    if (d == NULL) {
        printf("  corpus not found at %s: set TP_CORPUS_DIR\n", dir);
        ASSERT_TRUE(d != NULL);
    }
    struct dirent *e;
    int parsed = 0, rejected = 0;
    struct tp_buf text, out;
    tp_buf_init(&text);
    tp_buf_init(&out);
    while ((e = readdir(d)) != NULL) {
        if (strstr(e->d_name, ".Jenkinsfile") == NULL)
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        ASSERT_TRUE(f != NULL);
        char chunk[8192];
        size_t n;
        tp_buf_reset(&text);
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
            tp_buf_append(&text, chunk, n);
        fclose(f);
        int err = dump(text.data, &out);
        bool unbalanced = strncmp(e->d_name, "087-", 4) == 0 || strncmp(e->d_name, "115-", 4) == 0;
        if (unbalanced) {
            ASSERT_EQ(TP_ESYNTAX, err);
            rejected++;
        } else {
            if (err != 0)
                printf("  %s: %s\n", e->d_name, out.data);
            ASSERT_OK(err);
            parsed++;
        }
    }
    closedir(d);
    tp_buf_close(&text);
    tp_buf_close(&out);
    ASSERT_EQ(114, parsed);
    ASSERT_EQ(2, rejected);
}

TP_TEST_LIST(TP_CASE(command_calls_named_args_and_closures), TP_CASE(expressions_and_precedence),
             TP_CASE(statements), TP_CASE(syntax_errors_have_positions),
             TP_CASE(deep_nesting_is_an_error_not_a_crash), TP_CASE(the_corpus_parses))
