/* SPDX-License-Identifier: MIT */
/*
 * Step stubs (`--stubs FILE`): what a step tidepool does not have does instead, so a
 * real-world Jenkinsfile whose plugin steps are missing can still run. One stub per line:
 *
 *   # comment
 *   slackSend   noop
 *   sonarScan   shell:echo "scanning $TP_STUB_ARGS"
 *   deployProd  fail
 *
 * noop: the step succeeds (a block step runs its body); shell:<command>: the command runs as
 * an `sh` step would (the call's arguments as JSON in TP_STUB_ARGS); fail: the step fails.
 * Every stubbed call is logged. Pure: parsing only; the engine applies them.
 */
#ifndef TP_ENGINE_STUBS_H
#define TP_ENGINE_STUBS_H

#include <stddef.h>

struct tp_buf;

enum tp_stub_kind {
    TP_STUB_NOOP,
    TP_STUB_SHELL,
    TP_STUB_FAIL
};

struct tp_stub {
    char *name;
    enum tp_stub_kind kind;
    char *command; /* SHELL: the command */
};

struct tp_stubs {
    struct tp_stub *items;
    size_t count;
};

enum {
    TP_STUBS_MAX = 1000, /* stubs in one file */
    TP_STUBS_MAX_FILE = 1 << 20
};

/*
 * Parses a stub file's text into `out` (owned: free with tp_stubs_close).
 * Returns 0, or TP_EINVAL with "line N: problem" in `error` (nothing is kept).
 */
int tp_stubs_parse(const char *text, struct tp_stubs *out, struct tp_buf *error);
void tp_stubs_close(struct tp_stubs *stubs);
/* The stub for step `name`, or NULL. */
const struct tp_stub *tp_stubs_find(const struct tp_stubs *stubs, const char *name);

#endif
