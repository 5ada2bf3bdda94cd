/* SPDX-License-Identifier: MIT */
/*
 * Console logs over HTTP, as Blue Ocean's LogResource serves them (spec §8), and as the
 * classic API serves them (raw bytes): a run log or a
 * step log from a byte offset (default: the last `thresholdInKB`), lone '\n' sent as CRLF,
 * X-Text-Size / X-More-Data headers, streamed from the store chunk by chunk so a log of any
 * size never sits whole in memory; and a node log, the concatenation of its steps' logs.
 */
#ifndef TP_HTTP_LOGVIEW_H
#define TP_HTTP_LOGVIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "http/http.h"

enum {
    TP_LOGVIEW_HTML_MAX = 1 << 20 /* log bytes in one progressiveHtml answer */
};

struct tp_store;

/*
 * Answers with the log of run `run_id` (step_id 0) or of one step. `complete`: no more
 * bytes will be appended. `error`: text Blue Ocean appends to a step log when the step
 * ended with an error (NULL for none).
 * Returns 0, or TP_EINVAL for a bad start/thresholdInKB, TP_ENOTFOUND for a step with
 * neither output nor error, TP_EDB.
 */
int tp_logview_respond(struct tp_req *req, struct tp_resp *resp, struct tp_store *store,
                       int64_t run_id, int64_t step_id, bool complete, const char *error);

/*
 * Answers with the console log of run `run_id` as stored (the classic API's consoleText and,
 * when `progressive`, logText/progressiveText from byte `start` with X-Text-Size and, while
 * not `complete`, X-More-Data: true). Returns 0 or TP_EDB.
 */
int tp_logview_respond_raw(struct tp_req *req, struct tp_resp *resp, struct tp_store *store,
                           int64_t run_id, int64_t start, bool progressive, bool complete);
/*
 * The same as progressiveHtml: from byte `start`, HTML-escaped, at most TP_LOGVIEW_HTML_MAX
 * bytes of log per answer (ending at a line's end; X-More-Data: true while there is more or
 * the run goes on), with X-Text-Size and an X-ConsoleAnnotator state. Returns 0 or TP_EDB.
 */
int tp_logview_respond_html(struct tp_req *req, struct tp_resp *resp, struct tp_store *store,
                            int64_t run_id, int64_t start, bool complete);

/* One piece of a node log: a step's whole log and its error text. */
struct tp_logview_part {
    int64_t step_id;
    const char *error; /* copied */
};

/* Answers with the node log made of `parts` (in order). Returns 0 or TP_EDB. */
int tp_logview_respond_node(struct tp_req *req, struct tp_resp *resp, struct tp_store *store,
                            int64_t run_id, const struct tp_logview_part *parts, size_t nparts);

#endif
