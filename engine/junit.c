/* SPDX-License-Identifier: MIT */
/*
 * The junit step: reads the JUnit XML reports an Ant pattern selects (with expat, streamed and
 * bounded), counts test cases, failures and skips; failures make the step, its stage and the
 * build UNSTABLE unless skipMarkingBuildUnstable; the summary is the step's value to Groovy
 * (totalCount, failCount, skipCount, passCount, as TestResultSummary has them).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <expat.h>

#include "common/err.h"
#include "engine/engine_int.h"

enum {
    REPORT_MAX = 256 << 20 /* bytes of one report file */
};

struct counts {
    long total, failed, skipped;
    /* inside a <testcase>: whether it failed (failure or error) or was skipped */
    int case_depth, depth;
    bool case_failed, case_skipped;
};

struct reading {
    struct frame *f;
    struct counts counts;
    const char *error; /* the first report that could not be read */
};

static void XMLCALL on_start(void *data, const XML_Char *name, const XML_Char **attributes)
{
    struct counts *c = data;
    (void)attributes;
    c->depth++;
    if (strcmp(name, "testcase") == 0 && c->case_depth == 0) {
        c->case_depth = c->depth;
        c->case_failed = c->case_skipped = false;
    } else if (c->case_depth > 0 && (strcmp(name, "failure") == 0 || strcmp(name, "error") == 0)) {
        c->case_failed = true;
    } else if (c->case_depth > 0 && strcmp(name, "skipped") == 0) {
        c->case_skipped = true;
    }
}

static void XMLCALL on_end(void *data, const XML_Char *name)
{
    struct counts *c = data;
    if (c->case_depth == c->depth && strcmp(name, "testcase") == 0) {
        c->total++;
        c->failed += c->case_failed;
        c->skipped += !c->case_failed && c->case_skipped;
        c->case_depth = 0;
    }
    c->depth--;
}

static int read_report(void *ctx, const char *path, const char *rel)
{
    struct reading *r = ctx;
    (void)rel;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        r->error = tp_arena_printf(&r->f->run->arena, "Failed to read test report file %s: %s",
                                   path, tp_strerror(-errno));
        return 0;
    }
    XML_Parser parser = XML_ParserCreate(NULL);
    struct counts c = { 0 };
    XML_SetUserData(parser, &c);
    XML_SetElementHandler(parser, on_start, on_end);
    char buffer[65536];
    size_t seen = 0;
    bool ok = true;
    for (;;) {
        ssize_t n = read(fd, buffer, sizeof(buffer));
        if (n < 0 || (seen += (size_t)(n > 0 ? n : 0)) > REPORT_MAX) {
            r->error = tp_arena_printf(&r->f->run->arena, "Failed to read test report file %s: %s",
                                       path, n < 0 ? tp_strerror(-errno) : "too large");
            ok = false;
            break;
        }
        if (XML_Parse(parser, buffer, (int)n, n == 0) == XML_STATUS_ERROR) {
            r->error = tp_arena_printf(&r->f->run->arena,
                                       "Failed to read test report file %s: %s at line %lu", path,
                                       XML_ErrorString(XML_GetErrorCode(parser)),
                                       (unsigned long)XML_GetCurrentLineNumber(parser));
            ok = false;
            break;
        }
        if (n == 0)
            break;
    }
    XML_ParserFree(parser);
    close(fd);
    if (ok) {
        r->counts.total += c.total;
        r->counts.failed += c.failed;
        r->counts.skipped += c.skipped;
    }
    return 0;
}

static bool flag(const struct tp_plan_step *step, const char *name)
{
    const struct tp_expr *e = tp_ast_named_arg(step->call, name);
    return e != NULL && e->kind == TP_EXPR_BOOL && e->flag;
}

static enum tp_step_status fail(struct frame *f, const char *message)
{
    tp_frame_fail(f, TP_RESULT_FAILURE, true, message);
    f->step.result = TP_RESULT_FAILURE;
    return TP_STEP_DONE;
}

enum tp_step_status tp_step_junit(struct frame *f, const struct tp_plan_step *step)
{
    const char *pattern = NULL;
    if (tp_frame_eval_text(f, tp_step_arg(step->call, "testResults"), &pattern) < 0) {
        f->step.result = TP_RESULT_FAILURE;
        return TP_STEP_DONE;
    }
    if (pattern == NULL || pattern[0] == '\0')
        return fail(f, "junit requires testResults (an Ant pattern)");
    f->step.description = pattern;
    tp_run_puts(f->run, "Recording test results\n");
    struct reading r = { .f = f };
    long files = tp_files_each(f, f->cwd, pattern, NULL, true, read_report, &r);
    bool allow_empty = flag(step, "allowEmptyResults");
    if (files < 0)
        return fail(f, tp_arena_printf(&f->run->arena, "cannot read test reports: %s",
                                       tp_strerror((int)files)));
    if (r.error != NULL)
        return fail(f, r.error);
    if (files == 0 && !allow_empty)
        return fail(f, "No test report files were found. Configuration error?");
    if (files > 0 && r.counts.total == 0 && !allow_empty)
        return fail(f, "None of the test reports contained any result");
    cJSON *summary = cJSON_CreateObject();
    cJSON_AddNumberToObject(summary, "totalCount", (double)r.counts.total);
    cJSON_AddNumberToObject(summary, "failCount", (double)r.counts.failed);
    cJSON_AddNumberToObject(summary, "skipCount", (double)r.counts.skipped);
    cJSON_AddNumberToObject(summary, "passCount",
                            (double)(r.counts.total - r.counts.failed - r.counts.skipped));
    f->step_value = summary;
    f->step.result = TP_RESULT_SUCCESS;
    if (r.counts.failed > 0 && !flag(step, "skipMarkingBuildUnstable")) {
        tp_frame_mark(f, TP_RESULT_UNSTABLE, TP_RESULT_UNSTABLE);
        f->step.result = TP_RESULT_UNSTABLE;
    }
    return TP_STEP_DONE;
}
