/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "harness/tp_test.h"
#include "store/store.h"

static char *temp_db(void)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/tp-store-XXXXXX");
    int fd = mkstemp(path);
    close(fd);
    unlink(path);
    return path;
}

static void remove_db(const char *path)
{
    char other[128];
    unlink(path);
    snprintf(other, sizeof(other), "%s-wal", path);
    unlink(other);
    snprintf(other, sizeof(other), "%s-shm", path);
    unlink(other);
}

struct chunks {
    struct tp_buf data;
    int64_t from;
};

static int gather(void *ctx, const struct tp_log_chunk *chunk)
{
    struct chunks *c = ctx;
    int64_t skip = c->from > chunk->offset ? c->from - chunk->offset : 0;
    if (skip < (int64_t)chunk->len)
        tp_buf_append(&c->data, chunk->data + skip, chunk->len - (size_t)skip);
    return 0;
}

TP_TEST(pipelines_runs_and_reopen)
{
    const char *path = temp_db();
    struct tp_store *store;
    struct tp_arena arena;
    tp_arena_init(&arena);
    ASSERT_OK(tp_store_open(path, &store));
    int64_t id, id2;
    ASSERT_OK(tp_store_pipeline_put(store, "b", "pipeline {}", NULL, &id));
    ASSERT_OK(tp_store_pipeline_put(store, "a", "x", "/jobs/a.Jenkinsfile", &id2));
    ASSERT_OK(tp_store_pipeline_put(store, "b", "pipeline { v2 }", NULL, &id2));
    ASSERT_EQ(id, id2); /* put replaces, same id */
    struct tp_run_rec run = { .pipeline_id = id,
                              .state = TP_STATE_QUEUED,
                              .result = TP_RESULT_UNKNOWN,
                              .enqueue_ms = 1000,
                              .cause = "Started by user x",
                              .script = "s" };
    ASSERT_OK(tp_store_run_insert(store, &run));
    ASSERT_EQ(1, run.number);
    int64_t first_queue = run.queue_id;
    ASSERT_OK(tp_store_run_insert(store, &run));
    ASSERT_EQ(2, run.number);
    ASSERT_EQ(first_queue + 1, run.queue_id);
    run.state = TP_STATE_FINISHED;
    run.result = TP_RESULT_FAILURE;
    run.start_ms = 1001;
    run.end_ms = 1500;
    run.log_complete = true;
    ASSERT_OK(tp_store_run_update(store, &run));
    struct tp_run_rec bad = { .pipeline_id = 999, .script = "s" };
    ASSERT_EQ(TP_ENOTFOUND, tp_store_run_insert(store, &bad));
    ASSERT_OK(tp_store_flush(store));
    tp_store_close(store);

    ASSERT_OK(tp_store_open(path, &store));
    struct tp_pipeline_rec p;
    ASSERT_OK(tp_store_pipeline_get(store, "b", &arena, &p));
    ASSERT_STR_EQ("pipeline { v2 }", p.script);
    ASSERT_EQ(3, p.next_number);
    ASSERT_EQ(TP_ENOTFOUND, tp_store_pipeline_get(store, "zzz", &arena, &p));
    struct tp_run_rec got;
    ASSERT_OK(tp_store_run_get(store, id, 2, &arena, &got));
    ASSERT_EQ(TP_STATE_FINISHED, got.state);
    ASSERT_EQ(TP_RESULT_FAILURE, got.result);
    ASSERT_STR_EQ("b", got.pipeline);
    ASSERT_STR_EQ("Started by user x", got.cause);
    ASSERT_TRUE(got.log_complete);
    ASSERT_EQ(TP_ENOTFOUND, tp_store_run_get(store, id, 3, &arena, &got));
    /* Queue ids keep growing across a reopen. */
    struct tp_run_rec third = { .pipeline_id = id, .state = TP_STATE_QUEUED, .script = "s" };
    ASSERT_OK(tp_store_run_insert(store, &third));
    ASSERT_EQ(first_queue + 2, third.queue_id);
    tp_store_close(store);
    tp_arena_close(&arena);
    remove_db(path);
}

TP_TEST(logs_measure_and_read_from_any_offset)
{
    const char *path = temp_db();
    struct tp_store *store;
    ASSERT_OK(tp_store_open(path, &store));
    int64_t pid;
    ASSERT_OK(tp_store_pipeline_put(store, "p", "s", NULL, &pid));
    struct tp_run_rec run = { .pipeline_id = pid, .state = TP_STATE_RUNNING, .script = "s" };
    ASSERT_OK(tp_store_run_insert(store, &run));
    const char *pieces[] = { "[Pipeline] sh\n", "+ echo hi\nhi\n", "[Pipeline] }\n",
                             "win\r\nline\n" };
    int64_t steps[] = { 0, 7, 0, 7 };
    int64_t offset = 0, step_offset = 0;
    for (int i = 0; i < 4; i++) {
        struct tp_log_chunk c = { .offset = offset,
                                  .step_id = steps[i],
                                  .step_offset = steps[i] ? step_offset : 0,
                                  .data = pieces[i],
                                  .len = strlen(pieces[i]) };
        ASSERT_OK(tp_store_log_append(store, run.id, &c));
        offset += (int64_t)c.len;
        if (steps[i])
            step_offset += (int64_t)c.len;
    }
    int64_t raw, lf;
    ASSERT_OK(tp_store_log_measure(store, run.id, 0, 0, &raw, &lf));
    ASSERT_EQ(offset, raw);
    ASSERT_EQ(5, lf); /* the "\r\n" is not a lone LF */
    ASSERT_OK(tp_store_log_measure(store, run.id, 0, 17, &raw, &lf));
    ASSERT_EQ(offset - 17, raw);
    ASSERT_EQ(4, lf);
    ASSERT_OK(tp_store_log_measure(store, run.id, 7, 0, &raw, &lf));
    ASSERT_EQ(step_offset, raw);
    ASSERT_OK(tp_store_log_measure(store, run.id, 7, 1000, &raw, &lf));
    ASSERT_EQ(0, raw);

    struct chunks c = { .from = 17 };
    tp_buf_init(&c.data);
    ASSERT_OK(tp_store_log_read(store, run.id, 0, 17, 10, gather, &c));
    ASSERT_STR_EQ("cho hi\nhi\n[Pipeline] }\nwin\r\nline\n", c.data.data);
    tp_buf_reset(&c.data);
    c.from = 3;
    ASSERT_OK(tp_store_log_read(store, run.id, 7, 3, 10, gather, &c));
    ASSERT_STR_EQ("cho hi\nhi\nwin\r\nline\n", c.data.data);
    tp_buf_close(&c.data);
    tp_store_close(store);
    remove_db(path);
}

TP_TEST(newer_schema_is_refused)
{
    const char *path = temp_db();
    struct tp_store *store;
    ASSERT_OK(tp_store_open(path, &store));
    tp_store_close(store);
    char command[256];
    snprintf(command, sizeof(command), "sqlite3 %s 'PRAGMA user_version=999' 2>/dev/null", path);
    if (system(command) != 0) {
        printf("  sqlite3 CLI missing: checked by opening a garbage file instead\n");
        FILE *f = fopen(path, "wb");
        fputs("this is not a database at all, not even close............................", f);
        fclose(f);
        ASSERT_TRUE(tp_store_open(path, &store) < 0);
    } else {
        ASSERT_EQ(TP_ESCHEMA, tp_store_open(path, &store));
    }
    remove_db(path);
}

TP_TEST_LIST(TP_CASE(pipelines_runs_and_reopen), TP_CASE(logs_measure_and_read_from_any_offset),
             TP_CASE(newer_schema_is_refused))
