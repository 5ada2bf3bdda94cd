/* SPDX-License-Identifier: MIT */
/* engine/groovy: the Groovy-lite interpreter, driven in memory through a test host. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/fs.h"
#include "common/mem.h"
#include "engine/groovy.h"
#include "harness/tp_test.h"
#include "jenkinsfile/parser.h"
#include "jenkinsfile/plan.h"

/* The test host: `echo` and println write to `out`; `sh` returns "  out\n" (returnStdout),
 * 0 (returnStatus) or fails on "exit 1"; `error` throws; `suspend` suspends; env has HOME. */
struct host_state {
    struct tp_buf out;
    int steps;
};

static bool test_lookup(void *ctx, struct tp_groovy *g, const char *name, struct tp_gv *out)
{
    (void)ctx;
    if (strcmp(name, "HOME") == 0) {
        *out = tp_gv_cstr(g, "/home/me");
        return true;
    }
    return false;
}

static int test_call(void *ctx, struct tp_groovy *g, const char *name, const struct tp_gcall *c,
                     struct tp_gv *out)
{
    struct host_state *h = ctx;
    h->steps++;
    *out = tp_gv_null();
    struct tp_gv arg = c->nargs > 0 ? c->args[0] : tp_gv_null();
    const struct tp_gv *script = c->named ? tp_gmap_get_str(c->named, "script") : NULL;
    if (script != NULL)
        arg = *script;
    if (strcmp(name, "echo") == 0) {
        tp_gv_to_string(arg, &h->out);
        tp_buf_putc(&h->out, '\n');
        return TP_GROOVY_OK;
    }
    if (strcmp(name, "sh") == 0) {
        if (arg.kind == TP_GV_STRING && strcmp(arg.u.s, "exit 1") == 0)
            return tp_groovy_throw(g, "hudson.AbortException", "script returned exit code 1");
        const struct tp_gv *rs = c->named ? tp_gmap_get_str(c->named, "returnStdout") : NULL;
        const struct tp_gv *rc = c->named ? tp_gmap_get_str(c->named, "returnStatus") : NULL;
        if (rs != NULL && tp_gv_truth(*rs))
            *out = tp_gv_cstr(g, "  out\n");
        else if (rc != NULL && tp_gv_truth(*rc))
            *out = tp_gv_int(0);
        return TP_GROOVY_OK;
    }
    if (strcmp(name, "error") == 0) {
        struct tp_buf text;
        tp_buf_init(&text);
        tp_gv_to_string(arg, &text);
        tp_groovy_throw(g, "hudson.AbortException", "%s", tp_buf_str(&text));
        tp_buf_close(&text);
        return TP_GROOVY_THROW;
    }
    if (strcmp(name, "suspend") == 0)
        return TP_GROOVY_SUSPEND;
    if (strcmp(name, "dir") == 0 && c->closure.kind == TP_GV_CLOSURE)
        return tp_groovy_call_closure(g, c->closure, NULL, 0, out);
    h->steps--;
    return TP_GROOVY_NO_STEP;
}

static void test_print(void *ctx, const char *text, size_t len)
{
    struct host_state *h = ctx;
    tp_buf_append(&h->out, text, len);
}

/* Runs `source` as a whole script; `out` gets what it printed, then "=> value" or
 * "!! class: message" for an exception it threw, "|| suspended". Returns the status. */
static int run(const char *source, struct tp_buf *out)
{
    struct tp_arena arena;
    struct tp_diags diags;
    struct tp_script script;
    tp_arena_init(&arena);
    tp_diags_init(&diags, &arena);
    tp_buf_reset(out);
    int rc = tp_parse(source, strlen(source), &arena, &diags, &script);
    if (rc != 0) {
        tp_buf_printf(out, "parse error: %s", diags.count ? diags.items[0].message : "?");
        tp_arena_close(&arena);
        return -1;
    }
    struct host_state h = { .steps = 0 };
    tp_buf_init(&h.out);
    struct tp_groovy_host host = {
        .ctx = &h, .lookup = test_lookup, .call = test_call, .print = test_print
    };
    struct tp_groovy g;
    tp_groovy_init(&g, &arena, &host, NULL, script.body);
    struct tp_gv result;
    rc = tp_groovy_run(&g, script.body, &result);
    tp_buf_append(out, h.out.data, h.out.len);
    if (rc == TP_GROOVY_OK) {
        tp_buf_puts(out, "=> ");
        tp_gv_to_string(result, out);
    } else if (rc == TP_GROOVY_THROW) {
        const struct tp_gexc *x = tp_groovy_exception(&g);
        tp_buf_printf(out, "!! %s: %s", x->class_name, x->message ? x->message : "null");
    } else {
        tp_buf_puts(out, "|| suspended");
    }
    tp_buf_close(&h.out);
    tp_arena_close(&arena);
    return rc;
}

#define EXPECT(source, expected)                   \
    do {                                           \
        run(source, &out);                         \
        ASSERT_STR_EQ(expected, tp_buf_str(&out)); \
    } while (0)

TP_TEST(strings_and_their_methods)
{
    struct tp_buf out;
    tp_buf_init(&out);
    EXPECT("def v = sh(returnStdout: true, script: 'x').trim()\n\"[${v}]\"", "=> [out]");
    EXPECT("'a-b-c'.split('-').size() + '1.2.3'.tokenize('.').join('|')", "=> 31|2|3");
    EXPECT("'Hello'.toUpperCase() + 'Hello'.toLowerCase().capitalize() + 'x'.padLeft(3, '0')",
           "=> HELLOHello00x");
    EXPECT("'v1.2.3'.replace('v', '').replaceAll(/\\d/, 'N') + 'abc'.substring(1, 2)", "=> N.N.Nb");
    EXPECT("'feature/x'.startsWith('feature/') && 'a.txt'.endsWith('.txt') && 'abc'.contains('b')",
           "=> true");
    EXPECT("'42'.toInteger() + 1", "=> 43");
    EXPECT("'ab' * 3 + ('main' - 'ai')", "=> abababmn");
    EXPECT("\"home=$HOME ${HOME.size()} ${1 + 2}\"", "=> home=/home/me 8 3");
    EXPECT("'x'.isEmpty() || ''.isEmpty()", "=> true");
    EXPECT("'l1\\nl2\\r\\nl3'.readLines()", "=> [l1, l2, l3]");
    EXPECT("'release-1.4' ==~ /release-[0-9.]+/", "=> true");
    EXPECT("def m = ('v12.5' =~ /v(\\d+)\\.(\\d+)/); m[0][1] + ':' + m[0][2]", "=> 12:5");
    EXPECT("if ('abc' =~ /b/) { 'found' } else { 'no' }", "=> found");
    EXPECT("null.trim()",
           "!! java.lang.NullPointerException: Cannot invoke method trim() on null object");
    EXPECT("'abc'.frob()", "!! groovy.lang.MissingMethodException: No signature of method: "
                           "java.lang.String.frob() is applicable for 0 argument(s)");
    EXPECT("'x1'.toInteger()", "!! java.lang.NumberFormatException: For input string: \"x1\"");
    tp_buf_close(&out);
}

TP_TEST(numbers_lists_and_maps)
{
    struct tp_buf out;
    tp_buf_init(&out);
    EXPECT("[7 / 2, 4 / 2, 7 % 3, 2 ** 10, -3 + 1.5]", "=> [3.5, 2, 1, 1024, -1.5]");
    EXPECT("9223372036854775807 + 1 > 0", "=> true");
    EXPECT("def l = [3, 1, 2]; l << 5; l.sort(); l", "=> [1, 2, 3, 5]");
    EXPECT("[1, 2, 3].collect { it * 2 }.findAll { it > 2 }.sum()", "=> 10");
    EXPECT("[1, 2, 2, 3].unique().inject(0) { a, b -> a + b }", "=> 6");
    EXPECT("def m = [a: 1, b: 2]; m.c = 3; m['d'] = 4; m.collect { k, v -> k + v }.join(',')",
           "=> a1,b2,c3,d4");
    EXPECT("def m = [a: 1]; [m.a, m.missing, m.containsKey('a'), 'a' in m, 2 in [1, 2]]",
           "=> [1, null, true, true, true]");
    EXPECT("[a: [1, 2]] == [a: [1, 2]] && [1, 2] != [2, 1]", "=> true");
    EXPECT("[x: 1].collectEntries { k, v -> [(k): v + 1] }", "=> [x:2]");
    EXPECT("[b: 2, a: 1, c: 3].sort()", "=> [a:1, b:2, c:3]");
    EXPECT("def e = [:]; e.isEmpty() ? 'empty' : 'full'", "=> empty");
    EXPECT("def n = null; n?.size() ?: 'none'", "=> none");
    EXPECT("(1..4).collect { it }.reverse()", "=> [4, 3, 2, 1]");
    EXPECT("[1, 2, 3].any { it > 2 } && [1, 2, 3].every { it > 0 } && [1, 2].find { it > 1 } == 2",
           "=> true");
    EXPECT("['b', 'a'].sort { it }.first()", "=> a");
    tp_buf_close(&out);
}

TP_TEST(statements_closures_and_methods)
{
    struct tp_buf out;
    tp_buf_init(&out);
    EXPECT("def total = 0\nfor (i in [1, 2, 3]) { if (i == 2) { continue }; total += i }\n"
           "for (int j = 0; j < 3; j++) { total += 10 }\nwhile (true) { total++; if (total > 40) "
           "break }\ntotal",
           "=> 41");
    EXPECT("def r = []\nswitch ('b') { case 'a': r << 1\ncase 'b': r << 2\ncase 'c': r << 3; "
           "break\ndefault: r << 4 }\nswitch (9) { case [1, 2]: r << 'small'; break\ndefault: r "
           "<< 'big' }\nr",
           "=> [2, 3, big]");
    EXPECT("def count = 0\n[1, 2].each { count += it }\ncount", "=> 3");
    EXPECT("def twice(x) { return x * 2 }\ndef fact(n) { n <= 1 ? 1 : n * fact(n - 1) }\n"
           "twice(fact(5))",
           "=> 240");
    EXPECT("def add = { a, b -> a + b }\nadd(2, 3) + add.call(1, 1)", "=> 7");
    EXPECT("try { sh 'exit 1' } catch (e) { echo \"caught ${e.message}\" } finally { echo 'fin' "
           "}\n'after'",
           "caught script returned exit code 1\nfin\n=> after");
    EXPECT("try { throw new IllegalStateException('bad') } catch (IllegalArgumentException e) { "
           "'wrong' } catch (IllegalStateException e) { e.message }",
           "=> bad");
    EXPECT("try { error 'stop' } finally { echo 'cleanup' }",
           "cleanup\n!! hudson.AbortException: stop");
    EXPECT("x = 1\ndef f() { x + 1 }\nf()", "=> 2");
    EXPECT("def y = 1\ndef f() { y }\nf()",
           "!! groovy.lang.MissingPropertyException: No such property: y for class: "
           "groovy.lang.Binding");
    EXPECT("def v = dir('x') { 'inside' }\nv", "=> inside");
    EXPECT("println 'printed'\nprint 'raw'", "printed\nraw=> null");
    EXPECT("frob 1", "!! java.lang.NoSuchMethodError: No such DSL method 'frob' found among steps");
    tp_buf_close(&out);
}

TP_TEST(suspension_unwinds_without_finally_and_limits_hold)
{
    struct tp_buf out;
    tp_buf_init(&out);
    ASSERT_EQ(
        TP_GROOVY_SUSPEND,
        run("try { echo 'a'; suspend() } catch (e) { echo 'no' } finally { echo 'no' }", &out));
    ASSERT_STR_EQ("a\n|| suspended", tp_buf_str(&out));
    EXPECT("while (true) { }", "!! tidepool.ScriptLimitException: the script ran more than 20 "
                               "million operations (an endless loop?)");
    EXPECT("def f(n) { f(n + 1) }\ntry { f(0) } catch (Throwable t) { 'caught' }",
           "!! java.lang.StackOverflowError: null");
    EXPECT("def s = 'x'\nwhile (true) { s = s + s }",
           "!! java.lang.OutOfMemoryError: string too long");
    tp_buf_close(&out);
}

/* Every script block, expression and top-level statement of the real-world corpus runs
 * through the interpreter with the test host without a crash or an unbounded run. */
static void visit(const struct tp_block *b, struct tp_arena *arena, const struct tp_block *top,
                  int *runs, int depth);

static void visit_expr(const struct tp_expr *e, struct tp_arena *arena, const struct tp_block *top,
                       int *runs, int depth)
{
    if (e == NULL || depth > 50)
        return;
    if (e->kind == TP_EXPR_CALL && e->closure != NULL) {
        if (e->a == NULL && e->text != NULL &&
            (strcmp(e->text, "script") == 0 || strcmp(e->text, "expression") == 0)) {
            struct host_state h = { .steps = 0 };
            tp_buf_init(&h.out);
            struct tp_groovy_host host = {
                .ctx = &h, .lookup = test_lookup, .call = test_call, .print = test_print
            };
            struct tp_groovy g;
            tp_groovy_init(&g, arena, &host, NULL, top);
            struct tp_gv result;
            (void)tp_groovy_run(&g, e->closure->body, &result);
            tp_buf_close(&h.out);
            (*runs)++;
        }
        visit(e->closure->body, arena, top, runs, depth + 1);
    }
    for (size_t i = 0; i < e->args.count; i++)
        visit_expr(e->args.items[i], arena, top, runs, depth + 1);
}

static void visit(const struct tp_block *b, struct tp_arena *arena, const struct tp_block *top,
                  int *runs, int depth)
{
    for (size_t i = 0; b != NULL && i < b->count; i++) {
        const struct tp_stmt *s = b->items[i];
        visit_expr(s->expr, arena, top, runs, depth);
        visit(s->body, arena, top, runs, depth + 1);
        visit(s->else_body, arena, top, runs, depth + 1);
    }
}

TP_TEST(the_corpus_runs_without_a_crash)
{
    const char *dir = getenv("TP_CORPUS_DIR");
    if (dir == NULL)
        dir = "../shared/corpus/jenkinsfiles";
    DIR *d = opendir(dir);
    ASSERT_TRUE(d != NULL);
    int files = 0, runs = 0;
    struct tp_buf text;
    tp_buf_init(&text);
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.' || strstr(e->d_name, ".tsv") != NULL)
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%.3800s/%.255s", dir, e->d_name);
        tp_buf_reset(&text);
        if (tp_fs_read_file(path, 4 << 20, &text) < 0)
            continue;
        struct tp_plan *plan;
        if (tp_plan_compile(text.data ? text.data : "", text.len, &plan) == 0) {
            struct tp_arena arena;
            tp_arena_init(&arena);
            struct host_state h = { .steps = 0 };
            tp_buf_init(&h.out);
            struct tp_groovy_host host = { .ctx = &h, .lookup = test_lookup, .call = test_call };
            struct tp_groovy g;
            tp_groovy_init(&g, &arena, &host, NULL, plan->script.body);
            (void)tp_groovy_run_prologue(&g);
            tp_buf_close(&h.out);
            visit(plan->script.body, &arena, plan->script.body, &runs, 0);
            tp_arena_close(&arena);
            files++;
        }
        tp_plan_free(plan);
    }
    if (d != NULL)
        closedir(d);
    tp_buf_close(&text);
    ASSERT_EQ(106, files);
    ASSERT_TRUE(runs > 150);
}

TP_TEST_LIST(TP_CASE(strings_and_their_methods), TP_CASE(numbers_lists_and_maps),
             TP_CASE(statements_closures_and_methods),
             TP_CASE(suspension_unwinds_without_finally_and_limits_hold),
             TP_CASE(the_corpus_runs_without_a_crash))
