/* SPDX-License-Identifier: MIT */
/* Private to store/: the connection struct shared by store.c and schema.c. */
#ifndef TP_STORE_STORE_INT_H
#define TP_STORE_STORE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

enum tp_sql {
    SQL_PIPELINE_PUT,
    SQL_PIPELINE_GET,
    SQL_PIPELINE_GET_BY_ID,
    SQL_PIPELINE_LIST,
    SQL_PIPELINE_TAKE_NUMBER,
    SQL_PIPELINE_SET_CONFIG,
    SQL_PIPELINE_SET_DISABLED,
    SQL_PIPELINE_DELETE,
    SQL_PIPELINE_RENAME,
    SQL_PIPELINE_STATUSES,
    SQL_FOLDER_PUT,
    SQL_PIPELINE_SET_CRON,
    SQL_PIPELINE_SET_PROPERTIES,
    SQL_RUN_SET_SCRIPT,
    SQL_PIPELINE_LIST_TIMED,
    SQL_FAVORITE_ADD,
    SQL_FAVORITE_REMOVE,
    SQL_FAVORITE_CLEAR,
    SQL_FAVORITE_LIST,
    SQL_RUN_INSERT,
    SQL_RUN_UPDATE,
    SQL_RUN_GET,
    SQL_RUN_GET_BY_QUEUE,
    SQL_RUN_LIST,
    SQL_RUN_LIST_UNFINISHED,
    SQL_QUEUE_ID_MAX,
    SQL_NODES_CLOSE,
    SQL_STEPS_CLOSE,
    SQL_RUN_DELETE_LOG,
    SQL_RUN_DELETE_STEPS,
    SQL_RUN_DELETE_NODES,
    SQL_RUN_DELETE,
    SQL_NODE_PUT,
    SQL_NODE_LIST,
    SQL_NODE_GET,
    SQL_STEP_PUT,
    SQL_STEP_LIST_ALL,
    SQL_STEP_LIST_NODE,
    SQL_STEP_GET,
    SQL_LOG_APPEND,
    SQL_LOG_SUM_RUN,
    SQL_LOG_SUM_STEP,
    SQL_LOG_BEFORE_RUN,
    SQL_LOG_BEFORE_STEP,
    SQL_LOG_READ_RUN,
    SQL_LOG_READ_STEP,
    SQL_COUNT
};

struct tp_store {
    sqlite3 *db;
    sqlite3_stmt *stmt[SQL_COUNT];
    bool in_batch;
    int64_t next_queue_id;
};

/* Applies every migration newer than the file's user_version. Returns 0, TP_EDB, TP_ESCHEMA. */
int tp_store_migrate(struct tp_store *store);
/* Runs SQL text without results; logs SQLite's message on failure. Returns 0 or TP_EDB. */
int tp_store_exec(struct tp_store *store, const char *sql);

#endif
