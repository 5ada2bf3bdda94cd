/* SPDX-License-Identifier: MIT */
/* Fuzz target: raw bytes -> HTTP connection -> router -> Blue Ocean handlers over an
 * in-memory store with one pipeline. Must never crash or leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "engine/engine.h"
#include "http/api.h"
#include "http/conn.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tp_app app;
static uv_loop_t loop;
static int runs;

static void setup(void)
{
    tp_log_threshold = TP_LOG_OFF;
    tp_json_init();
    uv_loop_init(&loop);
    if (tp_store_open(":memory:", &app.store) < 0)
        abort();
    struct tp_engine_options options = { .data_dir = "/tmp",
                                         .executors = 1,
                                         .root_url = "http://127.0.0.1:8080/" };
    if (tp_engine_new(&loop, app.store, &options, &app.engine) < 0)
        abort();
    tp_engine_pipeline_put(app.engine, "p",
                           "pipeline { agent any\n stages { stage('a') { steps { echo 'x' } } } }",
                           NULL);
    app.version = "2.479.3";
    app.session = "fuzz";
}

static const struct tp_conn_limits limits = { .max_header_bytes = 4096,
                                              .max_body_bytes = 4096,
                                              .max_headers = 32 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (app.store == NULL)
        setup();
    struct tp_conn conn;
    tp_conn_init(&conn, &limits, tp_api_handle, &app);
    /* Feed in two pieces split at a point the input chooses, as a socket might. */
    size_t cut = size > 0 ? data[0] % (size + 1) : 0;
    tp_conn_feed(&conn, (const char *)data, cut);
    tp_conn_feed(&conn, (const char *)data + cut, size - cut);
    while (conn.phase == TP_CONN_STREAMING) {
        conn.out.len = 0;
        tp_conn_pull(&conn, 4096);
    }
    tp_conn_close(&conn);
    /* POSTs queue runs that never start here: commit now and then to keep memory flat. */
    if (++runs % 1000 == 0)
        tp_store_flush(app.store);
    return 0;
}
