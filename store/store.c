/* SPDX-License-Identifier: MIT */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/timefmt.h"
#include "store/store_int.h"

#define PIPELINE_COLUMNS                                                                \
    "id, name, script, source, disabled, next_number, created_ms, config, param_defs, " \
    "description, folder, properties, cron"
#define RUN_COLUMNS                                                                          \
    "r.id, r.pipeline_id, p.name, r.number, r.queue_id, r.state, r.result, r.enqueue_ms, "   \
    "r.start_ms, r.end_ms, r.cause, r.cause_user, r.parameters, r.script, r.log_size, "      \
    "r.log_complete, r.blockage, r.description, r.display_name, r.commit_id, r.change_set, " \
    "r.restart_from"
#define NODE_COLUMNS                                                                           \
    "run_id, node_id, seq, type, name, first_parent, edges, state, result, start_ms, end_ms, " \
    "parent"
#define STEP_COLUMNS                                                                       \
    "run_id, step_id, node_id, name, display_name, description, state, result, start_ms, " \
    "end_ms, log_size, error, seq, input, value"

/* SQL text, indexed by enum tp_sql; each is prepared once, on first use. */
static const char *const sql_text[SQL_COUNT] = {
    [SQL_PIPELINE_PUT] =
        "INSERT INTO pipelines(name, script, source, created_ms) "
        "VALUES(?1, ?2, ?3, ?4) ON CONFLICT(name) DO UPDATE SET "
        "script = excluded.script, source = excluded.source WHERE folder = 0 RETURNING id",
    [SQL_PIPELINE_GET] = "SELECT " PIPELINE_COLUMNS " FROM pipelines WHERE name = ?1",
    [SQL_PIPELINE_GET_BY_ID] = "SELECT " PIPELINE_COLUMNS " FROM pipelines WHERE id = ?1",
    [SQL_PIPELINE_LIST] = "SELECT " PIPELINE_COLUMNS " FROM pipelines ORDER BY name",
    [SQL_PIPELINE_SET_CONFIG] = "UPDATE pipelines SET script = ?2, config = ?3, param_defs = ?4, "
                                "description = ?5, disabled = ?6, properties = ?7 WHERE id = ?1",
    [SQL_PIPELINE_SET_CRON] = "UPDATE pipelines SET cron = ?2 WHERE id = ?1",
    [SQL_PIPELINE_SET_PROPERTIES] = "UPDATE pipelines SET properties = ?2 WHERE id = ?1",
    [SQL_RUN_SET_SCRIPT] = "UPDATE runs SET script = ?2, commit_id = ?3, change_set = ?4 "
                           "WHERE id = ?1",
    [SQL_PIPELINE_LIST_TIMED] = "SELECT " PIPELINE_COLUMNS " FROM pipelines "
                                "WHERE cron IS NOT NULL AND disabled = 0 AND folder = 0 "
                                "ORDER BY name",
    [SQL_PIPELINE_SET_DISABLED] = "UPDATE pipelines SET disabled = ?2 WHERE id = ?1",
    /* an item with everything inside it, when it is a folder */
    [SQL_PIPELINE_DELETE] =
        "WITH t(n) AS (SELECT name FROM pipelines WHERE id = ?1) "
        "DELETE FROM pipelines WHERE name = (SELECT n FROM t) OR "
        "substr(name, 1, length((SELECT n FROM t)) + 1) = (SELECT n FROM t) || '/'",
    [SQL_PIPELINE_RENAME] =
        "WITH t(n) AS (SELECT name FROM pipelines WHERE id = ?1) "
        "UPDATE pipelines SET name = ?2 || substr(name, length((SELECT n FROM t)) + 1) "
        "WHERE name = (SELECT n FROM t) OR "
        "substr(name, 1, length((SELECT n FROM t)) + 1) = (SELECT n FROM t) || '/'",
    [SQL_FOLDER_PUT] = "INSERT INTO pipelines(name, script, source, created_ms, folder) "
                       "VALUES(?1, '', ?3, ?2, ?4) ON CONFLICT(name) DO NOTHING",
    [SQL_FAVORITE_ADD] = "INSERT INTO favorites(user, pipeline_id) VALUES(?1, ?2) "
                         "ON CONFLICT DO NOTHING",
    [SQL_FAVORITE_REMOVE] = "DELETE FROM favorites WHERE user = ?1 AND pipeline_id = ?2",
    [SQL_FAVORITE_CLEAR] = "DELETE FROM favorites WHERE user = ?1",
    [SQL_FAVORITE_LIST] = "SELECT " PIPELINE_COLUMNS " FROM pipelines WHERE id IN "
                          "(SELECT pipeline_id FROM favorites WHERE user = ?1) ORDER BY name",
    /* states: 1 RUNNING, 2 PAUSED, 5 FINISHED (enum tp_state, stored) */
    [SQL_PIPELINE_STATUSES] =
        "SELECT p.id, p.name, p.disabled, p.folder, "
        "(SELECT r.result FROM runs r WHERE r.pipeline_id = p.id AND r.state = 5 "
        " ORDER BY r.number DESC LIMIT 1), "
        "EXISTS(SELECT 1 FROM runs r WHERE r.pipeline_id = p.id AND r.state IN (1, 2)) "
        "FROM pipelines p ORDER BY p.name",
    [SQL_PIPELINE_TAKE_NUMBER] = "UPDATE pipelines SET next_number = next_number + 1 "
                                 "WHERE id = ?1 RETURNING next_number - 1",
    [SQL_RUN_INSERT] = "INSERT INTO runs(pipeline_id, number, queue_id, state, result, "
                       "enqueue_ms, cause, cause_user, parameters, script, restart_from) "
                       "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) RETURNING id",
    [SQL_RUN_UPDATE] = "UPDATE runs SET state = ?2, result = ?3, start_ms = ?4, end_ms = ?5, "
                       "log_size = ?6, log_complete = ?7, blockage = ?8, description = ?9, "
                       "display_name = ?10 WHERE id = ?1",
    [SQL_RUN_GET_BY_QUEUE] = "SELECT " RUN_COLUMNS " FROM runs r JOIN pipelines p ON p.id = "
                             "r.pipeline_id WHERE r.queue_id = ?1",
    [SQL_RUN_GET] = "SELECT " RUN_COLUMNS " FROM runs r JOIN pipelines p ON p.id = r.pipeline_id "
                    "WHERE r.pipeline_id = ?1 AND r.number = ?2",
    [SQL_RUN_LIST] =
        "SELECT " RUN_COLUMNS " FROM runs r JOIN pipelines p ON p.id = "
        "r.pipeline_id WHERE r.pipeline_id = ?1 AND (?4 = 0 OR (?4 = 1) = (r.state = 0)) "
        "ORDER BY r.number DESC "
        "LIMIT ?3 OFFSET ?2",
    [SQL_RUN_LIST_UNFINISHED] = "SELECT " RUN_COLUMNS " FROM runs r JOIN pipelines p ON p.id = "
                                "r.pipeline_id WHERE r.state != 5 ORDER BY r.id",
    [SQL_QUEUE_ID_MAX] = "SELECT COALESCE(MAX(queue_id), 0) FROM runs",
    [SQL_NODES_CLOSE] = "UPDATE nodes SET state = 5, result = ?2, end_ms = ?3 "
                        "WHERE run_id = ?1 AND state IN (0, 1, 2)",
    [SQL_STEPS_CLOSE] = "UPDATE steps SET state = 5, result = ?2, end_ms = ?3 "
                        "WHERE run_id = ?1 AND state IN (0, 1, 2)",
    [SQL_RUN_DELETE_LOG] = "DELETE FROM log_chunks WHERE run_id = ?1",
    [SQL_RUN_DELETE_STEPS] = "DELETE FROM steps WHERE run_id = ?1",
    [SQL_RUN_DELETE_NODES] = "DELETE FROM nodes WHERE run_id = ?1",
    [SQL_RUN_DELETE] = "DELETE FROM runs WHERE id = ?1 AND state = 5",
    [SQL_NODE_PUT] = "INSERT OR REPLACE INTO nodes(" NODE_COLUMNS
                     ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    [SQL_NODE_LIST] = "SELECT " NODE_COLUMNS " FROM nodes WHERE run_id = ?1 ORDER BY seq, node_id",
    [SQL_NODE_GET] = "SELECT " NODE_COLUMNS " FROM nodes WHERE run_id = ?1 AND node_id = ?2",
    [SQL_STEP_PUT] = "INSERT OR REPLACE INTO steps(" STEP_COLUMNS
                     ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    [SQL_STEP_LIST_ALL] =
        "SELECT " STEP_COLUMNS " FROM steps WHERE run_id = ?1 ORDER BY seq, step_id",
    [SQL_STEP_LIST_NODE] = "WITH RECURSIVE sub(id) AS (SELECT ?2 UNION ALL SELECT n.node_id "
                           "FROM nodes n JOIN sub ON n.parent = sub.id WHERE n.run_id = ?1) "
                           "SELECT " STEP_COLUMNS " FROM steps WHERE run_id = ?1 AND "
                           "node_id IN sub ORDER BY seq, step_id",
    [SQL_STEP_GET] = "SELECT " STEP_COLUMNS " FROM steps WHERE run_id = ?1 AND step_id = ?2",
    [SQL_LOG_APPEND] = "INSERT INTO log_chunks(run_id, offset, step_id, step_offset, len, lf, "
                       "data) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [SQL_LOG_SUM_RUN] = "SELECT COALESCE(SUM(len), 0), COALESCE(SUM(lf), 0) FROM log_chunks "
                        "WHERE run_id = ?1 AND offset >= ?2",
    [SQL_LOG_SUM_STEP] = "SELECT COALESCE(SUM(len), 0), COALESCE(SUM(lf), 0) FROM log_chunks "
                         "WHERE run_id = ?1 AND step_id = ?3 AND step_offset >= ?2",
    [SQL_LOG_BEFORE_RUN] = "SELECT offset, data FROM log_chunks WHERE run_id = ?1 AND "
                           "offset < ?2 ORDER BY offset DESC LIMIT 1",
    [SQL_LOG_BEFORE_STEP] = "SELECT step_offset, data FROM log_chunks WHERE run_id = ?1 AND "
                            "step_id = ?3 AND step_offset < ?2 ORDER BY step_offset DESC LIMIT 1",
    [SQL_LOG_READ_RUN] = "SELECT offset, step_id, step_offset, data FROM log_chunks "
                         "WHERE run_id = ?1 AND offset >= COALESCE((SELECT MAX(offset) FROM "
                         "log_chunks WHERE run_id = ?1 AND offset <= ?2), 0) "
                         "ORDER BY offset LIMIT ?4",
    [SQL_LOG_READ_STEP] = "SELECT step_offset, step_id, step_offset, data FROM log_chunks "
                          "WHERE run_id = ?1 AND step_id = ?3 AND step_offset >= COALESCE(("
                          "SELECT MAX(step_offset) FROM log_chunks WHERE run_id = ?1 AND "
                          "step_id = ?3 AND step_offset <= ?2), 0) ORDER BY step_offset LIMIT ?4",
};

const char *tp_state_name(enum tp_state state)
{
    static const char *const names[TP_STATE_COUNT] = {
        "QUEUED", "RUNNING", "PAUSED", "SKIPPED", "NOT_BUILT", "FINISHED", NULL,
    };
    return (unsigned)state < TP_STATE_COUNT ? names[state] : NULL;
}

const char *tp_result_name(enum tp_result result)
{
    static const char *const names[TP_RESULT_COUNT] = {
        "SUCCESS", "UNSTABLE", "FAILURE", "NOT_BUILT", "ABORTED", "UNKNOWN", NULL,
    };
    return (unsigned)result < TP_RESULT_COUNT ? names[result] : NULL;
}

int tp_store_exec(struct tp_store *store, const char *sql)
{
    char *message = NULL;
    if (sqlite3_exec(store->db, sql, NULL, NULL, &message) != SQLITE_OK) {
        tp_log(TP_LOG_ERROR, "store", "exec failed: %s", message ? message : "?");
        sqlite3_free(message);
        return TP_EDB;
    }
    return 0;
}

static sqlite3_stmt *stmt_get(struct tp_store *store, enum tp_sql id)
{
    if (store->stmt[id] == NULL) {
        if (sqlite3_prepare_v3(store->db, sql_text[id], -1, SQLITE_PREPARE_PERSISTENT,
                               &store->stmt[id], NULL) != SQLITE_OK) {
            tp_log(TP_LOG_ERROR, "store", "prepare failed sql=%d: %s", (int)id,
                   sqlite3_errmsg(store->db));
            return NULL;
        }
    }
    return store->stmt[id];
}

static int db_error(struct tp_store *store, const char *what)
{
    tp_log(TP_LOG_ERROR, "store", "%s failed: %s", what, sqlite3_errmsg(store->db));
    return TP_EDB;
}

/* Opens the batch transaction on the first write after a flush. */
static int batch_begin(struct tp_store *store)
{
    if (store->in_batch)
        return 0;
    int err = tp_store_exec(store, "BEGIN");
    if (err == 0)
        store->in_batch = true;
    return err;
}

int tp_store_flush(struct tp_store *store)
{
    if (!store->in_batch)
        return 0;
    store->in_batch = false;
    return tp_store_exec(store, "COMMIT");
}

uint64_t tp_store_generation(const struct tp_store *store)
{
    return (uint64_t)sqlite3_total_changes64(store->db);
}

bool tp_store_dirty(const struct tp_store *store)
{
    return store->in_batch;
}

static bool is_empty_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && st.st_size == 0;
}

int tp_store_open(const char *path, struct tp_store **out)
{
    struct tp_store *store = tp_xcalloc(1, sizeof(*store));
    int err;
    if (sqlite3_open_v2(path, &store->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        tp_log(TP_LOG_ERROR, "store", "open path=%s failed: %s", path,
               store->db ? sqlite3_errmsg(store->db) : "out of memory");
        err = TP_EDB;
        goto fail;
    }
    sqlite3_extended_result_codes(store->db, 1);
    sqlite3_busy_timeout(store->db, 200); /* a file another process holds: say so soon */
    /* A file that is still empty holds nothing a crash could lose: create it without
     * syncs (they are most of a first start-up), then sync as usual. */
    bool fresh = is_empty_file(path);
    if (fresh) {
        err = tp_store_exec(store, "PRAGMA synchronous=OFF");
        if (err < 0)
            goto fail;
    }
    /* One process owns the file: the locks are taken once and kept, not for every read (they
     * were most of a read's cost), and a second server on the same data dir is refused. */
    err = tp_store_exec(store, "PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL; "
                               "PRAGMA foreign_keys=ON;");
    if (err < 0 && (sqlite3_errcode(store->db) & 0xff) == SQLITE_BUSY)
        err = TP_ECONFLICT; /* another process has it */
    if (err < 0)
        goto fail;
    sqlite3_busy_timeout(store->db, 5000);
    err = tp_store_migrate(store);
    if (err == 0)
        err = tp_store_exec(store, "PRAGMA synchronous=NORMAL");
    if (err < 0)
        goto fail;
    err = tp_store_queue_id_max(store, &store->next_queue_id);
    if (err < 0)
        goto fail;
    store->next_queue_id++;
    *out = store;
    return 0;
fail:
    tp_store_close(store);
    return err;
}

void tp_store_close(struct tp_store *store)
{
    if (store == NULL)
        return;
    if (store->db != NULL)
        tp_store_flush(store);
    for (int i = 0; i < SQL_COUNT; i++)
        sqlite3_finalize(store->stmt[i]);
    sqlite3_close(store->db);
    free(store);
}

/* --- column helpers --- */

static const char *col_text(sqlite3_stmt *stmt, int col, struct tp_arena *arena)
{
    if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
        return NULL;
    const unsigned char *text = sqlite3_column_text(stmt, col);
    return tp_arena_strndup(arena, (const char *)text, (size_t)sqlite3_column_bytes(stmt, col));
}

static void bind_text(sqlite3_stmt *stmt, int col, const char *text)
{
    if (text == NULL)
        sqlite3_bind_null(stmt, col);
    else
        sqlite3_bind_text(stmt, col, text, -1, SQLITE_STATIC);
}

/* Steps a statement that returns no rows (or ignores them), then resets it. */
static int step_done(struct tp_store *store, sqlite3_stmt *stmt, const char *what)
{
    int rc = sqlite3_step(stmt);
    int err = (rc == SQLITE_DONE || rc == SQLITE_ROW) ? 0 : db_error(store, what);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return err;
}

/* --- pipelines --- */

static void read_pipeline(sqlite3_stmt *stmt, struct tp_arena *arena, struct tp_pipeline_rec *out)
{
    out->id = sqlite3_column_int64(stmt, 0);
    out->name = col_text(stmt, 1, arena);
    out->script = col_text(stmt, 2, arena);
    out->source = col_text(stmt, 3, arena);
    out->disabled = sqlite3_column_int(stmt, 4) != 0;
    out->next_number = sqlite3_column_int64(stmt, 5);
    out->created_ms = sqlite3_column_int64(stmt, 6);
    out->config = col_text(stmt, 7, arena);
    out->param_defs = col_text(stmt, 8, arena);
    out->description = col_text(stmt, 9, arena);
    out->folder = sqlite3_column_int(stmt, 10) != 0;
    out->multibranch = sqlite3_column_int(stmt, 10) == 2;
    out->properties = col_text(stmt, 11, arena);
    out->cron = col_text(stmt, 12, arena);
}

int tp_store_folder_put(struct tp_store *store, const char *name, const char *source,
                        bool multibranch)
{
    sqlite3_stmt *stmt = stmt_get(store, SQL_FOLDER_PUT);
    if (stmt == NULL || batch_begin(store) < 0)
        return TP_EDB;
    bind_text(stmt, 1, name);
    sqlite3_bind_int64(stmt, 2, tp_time_now_ms());
    bind_text(stmt, 3, source);
    sqlite3_bind_int(stmt, 4, multibranch ? 2 : 1);
    int rc = sqlite3_step(stmt), err = 0;
    if (rc != SQLITE_DONE)
        err = db_error(store, "folder put");
    else
        err = sqlite3_changes(store->db) > 0 ? 1 : 0;
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return err;
}

/* Runs one prepared write statement with `bind` already applied; TP_ENOTFOUND when it
 * changed no row, TP_ECONFLICT on a uniqueness violation. */
static int pipeline_write(struct tp_store *store, sqlite3_stmt *stmt, const char *what)
{
    int rc = sqlite3_step(stmt), err = 0;
    if (rc == SQLITE_CONSTRAINT)
        err = TP_ECONFLICT;
    else if (rc != SQLITE_DONE)
        err = db_error(store, what);
    else if (sqlite3_changes(store->db) == 0)
        err = TP_ENOTFOUND;
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return err;
}

int tp_store_pipeline_set_config(struct tp_store *store, int64_t id,
                                 const struct tp_pipeline_config *config)
{
    sqlite3_stmt *stmt = stmt_get(store, SQL_PIPELINE_SET_CONFIG);
    if (stmt == NULL || batch_begin(store) < 0)
        return TP_EDB;
    sqlite3_bind_int64(stmt, 1, id);
    bind_text(stmt, 2, config->script);
    bind_text(stmt, 3, config->config);
    bind_text(stmt, 4, config->param_defs);
    bind_text(stmt, 5, config->description);
    sqlite3_bind_int(stmt, 6, config->disabled ? 1 : 0);
    bind_text(stmt, 7, config->properties);
    return pipeline_write(store, stmt, "pipeline set config");
}

int tp_store_pipeline_set_cron(struct tp_store *store, int64_t id, const char *cron)
{
    sqlite3_stmt *stmt = stmt_get(store, SQL_PIPELINE_SET_CRON);
    if (stmt == NULL || batch_begin(store) < 0)
        return TP_EDB;
    sqlite3_bind_int64(stmt, 1, id);
    bind_text(stmt, 2, cron);
    return pipeline_write(store, stmt, "pipeline set cron");
}

int tp_store_pipeline_set_properties(struct tp_store *store, int64_t id, const char *properties)
{
    sqlite3_stmt *stmt = stmt_get(store, SQL_PIPELINE_SET_PROPERTIES);
    if (stmt == NULL || batch_begin(store) < 0)
        return TP_EDB;
    sqlite3_bind_int64(stmt, 1, id);
    bind_text(stmt, 2, properties);
    return pipeline_write(store, stmt, "pipeline set properties");
}

int tp_store_run_set_script(struct tp_store *store, int64_t run_id, const char *script,
                            const char *commit_id, const char *change_set)
{
    sqlite3_stmt *stmt = stmt_get(store, SQL_RUN_SET_SCRIPT);
    if (stmt == NULL || batch_begin(store) < 0)
        return TP_EDB;
    sqlite3_bind_int64(stmt, 1, run_id);
    bind_text(stmt, 2, script);
    bind_text(stmt, 3, commit_id);
    bind_text(stmt, 4, change_set);
    return pipeline_write(store, stmt, "run set script");
}

int tp_store_pipeline_list_timed(struct tp_store *store, struct tp_arena *arena,
                                 tp_store_pipeline_fn each, void *ctx)
{
    sqlite3_stmt *stmt = stmt_get(store, SQL_PIPELINE_LIST_TIMED);
    if (stmt == NULL)
        return TP_EDB;
    int rc, err = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct tp_pipeline_rec rec;
        read_pipeline(stmt, arena, &rec);
        if (each(ctx, &rec) != 0)
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = db_error(store, "pipeline list timed");
    sqlite3_reset(stmt);
    return err;
}

int tp_store_pipeline_statuses(struct tp_store *store, struct tp_arena *arena,
                               tp_store_status_fn each, void *ctx)
{
    sqlite3_stmt *stmt = stmt_get(store, SQL_PIPELINE_STATUSES);
    if (stmt == NULL)
        return TP_EDB;
    int rc, err = 0;
    while (err == 0 && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct tp_pipeline_status s = {
            .id = sqlite3_column_int64(stmt, 0),
            .name = col_text(stmt, 1, arena),
            .disabled = sqlite3_column_int(stmt, 2) != 0,
            .folder = sqlite3_column_int(stmt, 3) != 0,
            .multibranch = sqlite3_column_int(stmt, 3) == 2,
            .last_result = sqlite3_column_type(stmt, 4) == SQLITE_NULL
                               ? TP_RESULT_NONE
                               : (enum tp_result)sqlite3_column_int(stmt, 4),
            .building = sqlite3_column_int(stmt, 5) != 0,
        };
        err = each(ctx, &s);
    }
    if (err == 0 && rc != SQLITE_DONE)
        err = db_error(store, "pipeline statuses");
    sqlite3_reset(stmt);
    return err;
}

int tp_store_pipeline_set_disabled(struct tp_store *store, int64_t id, bool disabled)
{
    sqlite3_stmt *stmt = stmt_get(store, SQL_PIPELINE_SET_DISABLED);
    if (stmt == NULL || batch_begin(store) < 0)
        return TP_EDB;
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_int(stmt, 2, disabled ? 1 : 0);
    return pipeline_write(store, stmt, "pipeline set disabled");
}

int tp_store_pipeline_delete(struct tp_store *store, int64_t id)
{
    sqlite3_stmt *stmt = stmt_get(store, SQL_PIPELINE_DELETE);
    if (stmt == NULL || batch_begin(store) < 0)
        return TP_EDB;
    sqlite3_bind_int64(stmt, 1, id);
    return pipeline_write(store, stmt, "pipeline delete");
}

int tp_store_pipeline_rename(struct tp_store *store, int64_t id, const char *name)
{
    sqlite3_stmt *stmt = stmt_get(store, SQL_PIPELINE_RENAME);
    if (stmt == NULL || batch_begin(store) < 0)
        return TP_EDB;
    sqlite3_bind_int64(stmt, 1, id);
    bind_text(stmt, 2, name);
    return pipeline_write(store, stmt, "pipeline rename");
}

int tp_store_pipeline_put(struct tp_store *store, const char *name, const char *script,
                          const char *source, int64_t *id)
{
    sqlite3_stmt *stmt = stmt_get(store, SQL_PIPELINE_PUT);
    if (stmt == NULL || batch_begin(store) < 0)
        return TP_EDB;
    bind_text(stmt, 1, name);
    bind_text(stmt, 2, script);
    bind_text(stmt, 3, source);
    sqlite3_bind_int64(stmt, 4, tp_time_now_ms());
    int err = 0, rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(stmt, 0);
    else if (rc == SQLITE_DONE)
        err = TP_ECONFLICT; /* the name is a folder's */
    else
        err = db_error(store, "pipeline put");
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return err;
}

static int pipeline_get_one(struct tp_store *store, sqlite3_stmt *stmt, struct tp_arena *arena,
                            struct tp_pipeline_rec *out)
{
    if (stmt == NULL)
        return TP_EDB;
    int rc = sqlite3_step(stmt);
    int err = 0;
    if (rc == SQLITE_ROW)
        read_pipeline(stmt, arena, out);
    else if (rc == SQLITE_DONE)
        err = TP_ENOTFOUND;
    else
        err = db_error(store, "pipeline get");
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return err;
}

int tp_store_pipeline_get(struct tp_store *store, const char *name, struct tp_arena *arena,
                          struct tp_pipeline_rec *out)
{
    sqlite3_stmt *stmt = stmt_get(store, SQL_PIPELINE_GET);
    if (stmt != NULL)
        bind_text(stmt, 1, name);
    return pipeline_get_one(store, stmt, arena, out);
}

int tp_store_pipeline_get_by_id(struct tp_store *store, int64_t id, struct tp_arena *arena,
                                struct tp_pipeline_rec *out)
{
    sqlite3_stmt *stmt = stmt_get(store, SQL_PIPELINE_GET_BY_ID);
    if (stmt != NULL)
        sqlite3_bind_int64(stmt, 1, id);
    return pipeline_get_one(store, stmt, arena, out);
}

int tp_store_pipeline_list(struct tp_store *store, struct tp_arena *arena,
                           tp_store_pipeline_fn each, void *ctx)
{
    sqlite3_stmt *stmt = stmt_get(store, SQL_PIPELINE_LIST);
    if (stmt == NULL)
        return TP_EDB;
    int rc, err = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct tp_pipeline_rec rec;
        read_pipeline(stmt, arena, &rec);
        if (each(ctx, &rec) != 0)
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = db_error(store, "pipeline list");
    sqlite3_reset(stmt);
    return err;
}

/* --- favorites --- */

int tp_store_favorite_set(struct tp_store *store, const char *user, int64_t pipeline_id,
                          bool favorite)
{
    sqlite3_stmt *stmt = stmt_get(store, favorite ? SQL_FAVORITE_ADD : SQL_FAVORITE_REMOVE);
    if (stmt == NULL || batch_begin(store) < 0)
        return TP_EDB;
    bind_text(stmt, 1, user);
    sqlite3_bind_int64(stmt, 2, pipeline_id);
    int err = sqlite3_step(stmt) == SQLITE_DONE ? 0 : db_error(store, "favorite set");
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return err;
}

int tp_store_favorites_clear(struct tp_store *store, const char *user)
{
    sqlite3_stmt *stmt = stmt_get(store, SQL_FAVORITE_CLEAR);
    if (stmt == NULL || batch_begin(store) < 0)
        return TP_EDB;
    bind_text(stmt, 1, user);
    int err = sqlite3_step(stmt) == SQLITE_DONE ? 0 : db_error(store, "favorites clear");
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return err;
}

int tp_store_favorites_list(struct tp_store *store, const char *user, struct tp_arena *arena,
                            tp_store_pipeline_fn each, void *ctx)
{
    sqlite3_stmt *stmt = stmt_get(store, SQL_FAVORITE_LIST);
    if (stmt == NULL)
        return TP_EDB;
    bind_text(stmt, 1, user);
    int rc, err = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct tp_pipeline_rec rec;
        read_pipeline(stmt, arena, &rec);
        if (each(ctx, &rec) != 0)
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = db_error(store, "favorites list");
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return err;
}

/* --- runs --- */

static void read_run(sqlite3_stmt *stmt, struct tp_arena *arena, struct tp_run_rec *out)
{
    out->id = sqlite3_column_int64(stmt, 0);
    out->pipeline_id = sqlite3_column_int64(stmt, 1);
    out->pipeline = col_text(stmt, 2, arena);
    out->number = sqlite3_column_int64(stmt, 3);
    out->queue_id = sqlite3_column_int64(stmt, 4);
    out->state = (enum tp_state)sqlite3_column_int(stmt, 5);
    out->result = (enum tp_result)sqlite3_column_int(stmt, 6);
    out->enqueue_ms = sqlite3_column_int64(stmt, 7);
    out->start_ms = sqlite3_column_int64(stmt, 8);
    out->end_ms = sqlite3_column_int64(stmt, 9);
    out->cause = col_text(stmt, 10, arena);
    out->cause_user = col_text(stmt, 11, arena);
    out->parameters = col_text(stmt, 12, arena);
    out->script = col_text(stmt, 13, arena);
    out->log_size = sqlite3_column_int64(stmt, 14);
    out->log_complete = sqlite3_column_int(stmt, 15) != 0;
    out->blockage = col_text(stmt, 16, arena);
    out->description = col_text(stmt, 17, arena);
    out->display_name = col_text(stmt, 18, arena);
    out->commit_id = col_text(stmt, 19, arena);
    out->change_set = col_text(stmt, 20, arena);
    out->restart_from = col_text(stmt, 21, arena);
}

int tp_store_run_collect(void *list, const struct tp_run_rec *rec)
{
    struct tp_run_list *l = list;
    l->items = tp_arena_grow(l->arena, l->items, l->count, &l->cap, sizeof(*l->items));
    l->items[l->count++] = *rec;
    return 0;
}

int tp_store_run_insert(struct tp_store *store, struct tp_run_rec *rec)
{
    sqlite3_stmt *take = stmt_get(store, SQL_PIPELINE_TAKE_NUMBER);
    sqlite3_stmt *insert = stmt_get(store, SQL_RUN_INSERT);
    if (take == NULL || insert == NULL || batch_begin(store) < 0)
        return TP_EDB;
    sqlite3_bind_int64(take, 1, rec->pipeline_id);
    int rc = sqlite3_step(take);
    if (rc == SQLITE_ROW)
        rec->number = sqlite3_column_int64(take, 0);
    sqlite3_reset(take);
    sqlite3_clear_bindings(take);
    if (rc == SQLITE_DONE)
        return TP_ENOTFOUND;
    if (rc != SQLITE_ROW)
        return db_error(store, "take build number");

    rec->queue_id = store->next_queue_id++;
    sqlite3_bind_int64(insert, 1, rec->pipeline_id);
    sqlite3_bind_int64(insert, 2, rec->number);
    sqlite3_bind_int64(insert, 3, rec->queue_id);
    sqlite3_bind_int(insert, 4, (int)rec->state);
    sqlite3_bind_int(insert, 5, (int)rec->result);
    sqlite3_bind_int64(insert, 6, rec->enqueue_ms);
    bind_text(insert, 7, rec->cause);
    bind_text(insert, 8, rec->cause_user);
    bind_text(insert, 9, rec->parameters);
    bind_text(insert, 10, rec->script);
    bind_text(insert, 11, rec->restart_from);
    int err = 0;
    if (sqlite3_step(insert) == SQLITE_ROW)
        rec->id = sqlite3_column_int64(insert, 0);
    else
        err = db_error(store, "run insert");
    sqlite3_reset(insert);
    sqlite3_clear_bindings(insert);
    return err;
}

int tp_store_run_update(struct tp_store *store, const struct tp_run_rec *rec)
{
    sqlite3_stmt *stmt = stmt_get(store, SQL_RUN_UPDATE);
    if (stmt == NULL || batch_begin(store) < 0)
        return TP_EDB;
    sqlite3_bind_int64(stmt, 1, rec->id);
    sqlite3_bind_int(stmt, 2, (int)rec->state);
    sqlite3_bind_int(stmt, 3, (int)rec->result);
    sqlite3_bind_int64(stmt, 4, rec->start_ms);
    sqlite3_bind_int64(stmt, 5, rec->end_ms);
    sqlite3_bind_int64(stmt, 6, rec->log_size);
    sqlite3_bind_int(stmt, 7, rec->log_complete ? 1 : 0);
    bind_text(stmt, 8, rec->blockage);
    bind_text(stmt, 9, rec->description);
    bind_text(stmt, 10, rec->display_name);
    return step_done(store, stmt, "run update");
}

int tp_store_run_get(struct tp_store *store, int64_t pipeline_id, int64_t number,
                     struct tp_arena *arena, struct tp_run_rec *out)
{
    sqlite3_stmt *stmt = stmt_get(store, SQL_RUN_GET);
    if (stmt == NULL)
        return TP_EDB;
    sqlite3_bind_int64(stmt, 1, pipeline_id);
    sqlite3_bind_int64(stmt, 2, number);
    int rc = sqlite3_step(stmt), err = 0;
    if (rc == SQLITE_ROW)
        read_run(stmt, arena, out);
    else if (rc == SQLITE_DONE)
        err = TP_ENOTFOUND;
    else
        err = db_error(store, "run get");
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return err;
}

int tp_store_run_get_by_queue(struct tp_store *store, int64_t queue_id, struct tp_arena *arena,
                              struct tp_run_rec *out)
{
    sqlite3_stmt *stmt = stmt_get(store, SQL_RUN_GET_BY_QUEUE);
    if (stmt == NULL)
        return TP_EDB;
    sqlite3_bind_int64(stmt, 1, queue_id);
    int rc = sqlite3_step(stmt), err = 0;
    if (rc == SQLITE_ROW)
        read_run(stmt, arena, out);
    else if (rc == SQLITE_DONE)
        err = TP_ENOTFOUND;
    else
        err = db_error(store, "run get by queue");
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return err;
}

static int run_rows(struct tp_store *store, sqlite3_stmt *stmt, struct tp_arena *arena,
                    tp_store_run_fn each, void *ctx)
{
    int rc, err = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct tp_run_rec rec;
        read_run(stmt, arena, &rec);
        if (each(ctx, &rec) != 0)
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = db_error(store, "run list");
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return err;
}

int tp_store_run_list(struct tp_store *store, int64_t pipeline_id, enum tp_run_filter filter,
                      int64_t start, int64_t limit, struct tp_arena *arena, tp_store_run_fn each,
                      void *ctx)
{
    sqlite3_stmt *stmt = stmt_get(store, SQL_RUN_LIST);
    if (stmt == NULL)
        return TP_EDB;
    sqlite3_bind_int64(stmt, 1, pipeline_id);
    sqlite3_bind_int(stmt, 4, (int)filter);
    sqlite3_bind_int64(stmt, 2, start);
    sqlite3_bind_int64(stmt, 3, limit);
    return run_rows(store, stmt, arena, each, ctx);
}

int tp_store_run_list_unfinished(struct tp_store *store, struct tp_arena *arena,
                                 tp_store_run_fn each, void *ctx)
{
    sqlite3_stmt *stmt = stmt_get(store, SQL_RUN_LIST_UNFINISHED);
    if (stmt == NULL)
        return TP_EDB;
    return run_rows(store, stmt, arena, each, ctx);
}

int tp_store_run_close_open_nodes(struct tp_store *store, int64_t run_id, enum tp_result result,
                                  int64_t end_ms)
{
    static const enum tp_sql which[] = { SQL_NODES_CLOSE, SQL_STEPS_CLOSE };

    if (batch_begin(store) < 0)
        return TP_EDB;
    for (size_t i = 0; i < 2; i++) {
        sqlite3_stmt *stmt = stmt_get(store, which[i]);
        if (stmt == NULL)
            return TP_EDB;
        sqlite3_bind_int64(stmt, 1, run_id);
        sqlite3_bind_int(stmt, 2, (int)result);
        sqlite3_bind_int64(stmt, 3, end_ms);
        int err = step_done(store, stmt, "close open nodes");
        if (err < 0)
            return err;
    }
    return 0;
}

int tp_store_run_delete(struct tp_store *store, int64_t run_id)
{
    static const enum tp_sql which[] = { SQL_RUN_DELETE_LOG, SQL_RUN_DELETE_STEPS,
                                         SQL_RUN_DELETE_NODES, SQL_RUN_DELETE };

    if (batch_begin(store) < 0)
        return TP_EDB;
    for (size_t i = 0; i < sizeof(which) / sizeof(which[0]); i++) {
        sqlite3_stmt *stmt = stmt_get(store, which[i]);
        if (stmt == NULL)
            return TP_EDB;
        sqlite3_bind_int64(stmt, 1, run_id);
        int err = step_done(store, stmt, "run delete");
        if (err < 0)
            return err;
    }
    return 0;
}

int tp_store_queue_id_max(struct tp_store *store, int64_t *out)
{
    sqlite3_stmt *stmt = stmt_get(store, SQL_QUEUE_ID_MAX);
    if (stmt == NULL)
        return TP_EDB;
    int err = 0;
    if (sqlite3_step(stmt) == SQLITE_ROW)
        *out = sqlite3_column_int64(stmt, 0);
    else
        err = db_error(store, "queue id max");
    sqlite3_reset(stmt);
    return err;
}

/* --- nodes --- */

static void read_node(sqlite3_stmt *stmt, struct tp_arena *arena, struct tp_node_rec *out)
{
    out->run_id = sqlite3_column_int64(stmt, 0);
    out->node_id = sqlite3_column_int64(stmt, 1);
    out->seq = sqlite3_column_int64(stmt, 2);
    out->type = (enum tp_node_type)sqlite3_column_int(stmt, 3);
    out->name = col_text(stmt, 4, arena);
    out->first_parent = sqlite3_column_int64(stmt, 5);
    out->edges = col_text(stmt, 6, arena);
    out->state = (enum tp_state)sqlite3_column_int(stmt, 7);
    out->result = (enum tp_result)sqlite3_column_int(stmt, 8);
    out->start_ms = sqlite3_column_int64(stmt, 9);
    out->end_ms = sqlite3_column_int64(stmt, 10);
    out->parent = sqlite3_column_int64(stmt, 11);
}

int tp_store_node_put(struct tp_store *store, const struct tp_node_rec *rec)
{
    sqlite3_stmt *stmt = stmt_get(store, SQL_NODE_PUT);
    if (stmt == NULL || batch_begin(store) < 0)
        return TP_EDB;
    sqlite3_bind_int64(stmt, 1, rec->run_id);
    sqlite3_bind_int64(stmt, 2, rec->node_id);
    sqlite3_bind_int64(stmt, 3, rec->seq);
    sqlite3_bind_int(stmt, 4, (int)rec->type);
    bind_text(stmt, 5, rec->name);
    sqlite3_bind_int64(stmt, 6, rec->first_parent);
    bind_text(stmt, 7, rec->edges ? rec->edges : "");
    sqlite3_bind_int(stmt, 8, (int)rec->state);
    sqlite3_bind_int(stmt, 9, (int)rec->result);
    sqlite3_bind_int64(stmt, 10, rec->start_ms);
    sqlite3_bind_int64(stmt, 11, rec->end_ms);
    sqlite3_bind_int64(stmt, 12, rec->parent);
    return step_done(store, stmt, "node put");
}

int tp_store_node_list(struct tp_store *store, int64_t run_id, struct tp_arena *arena,
                       tp_store_node_fn each, void *ctx)
{
    sqlite3_stmt *stmt = stmt_get(store, SQL_NODE_LIST);
    if (stmt == NULL)
        return TP_EDB;
    sqlite3_bind_int64(stmt, 1, run_id);
    int rc, err = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct tp_node_rec rec;
        read_node(stmt, arena, &rec);
        if (each(ctx, &rec) != 0)
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = db_error(store, "node list");
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return err;
}

int tp_store_node_get(struct tp_store *store, int64_t run_id, int64_t node_id,
                      struct tp_arena *arena, struct tp_node_rec *out)
{
    sqlite3_stmt *stmt = stmt_get(store, SQL_NODE_GET);
    if (stmt == NULL)
        return TP_EDB;
    sqlite3_bind_int64(stmt, 1, run_id);
    sqlite3_bind_int64(stmt, 2, node_id);
    int rc = sqlite3_step(stmt), err = 0;
    if (rc == SQLITE_ROW)
        read_node(stmt, arena, out);
    else if (rc == SQLITE_DONE)
        err = TP_ENOTFOUND;
    else
        err = db_error(store, "node get");
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return err;
}

/* --- steps --- */

static void read_step(sqlite3_stmt *stmt, struct tp_arena *arena, struct tp_step_rec *out)
{
    out->run_id = sqlite3_column_int64(stmt, 0);
    out->step_id = sqlite3_column_int64(stmt, 1);
    out->node_id = sqlite3_column_int64(stmt, 2);
    out->name = col_text(stmt, 3, arena);
    out->display_name = col_text(stmt, 4, arena);
    out->description = col_text(stmt, 5, arena);
    out->state = (enum tp_state)sqlite3_column_int(stmt, 6);
    out->result = (enum tp_result)sqlite3_column_int(stmt, 7);
    out->start_ms = sqlite3_column_int64(stmt, 8);
    out->end_ms = sqlite3_column_int64(stmt, 9);
    out->log_size = sqlite3_column_int64(stmt, 10);
    out->error = col_text(stmt, 11, arena);
    out->seq = sqlite3_column_int64(stmt, 12);
    out->input = col_text(stmt, 13, arena);
    out->value = col_text(stmt, 14, arena);
}

int tp_store_step_put(struct tp_store *store, const struct tp_step_rec *rec)
{
    sqlite3_stmt *stmt = stmt_get(store, SQL_STEP_PUT);
    if (stmt == NULL || batch_begin(store) < 0)
        return TP_EDB;
    sqlite3_bind_int64(stmt, 1, rec->run_id);
    sqlite3_bind_int64(stmt, 2, rec->step_id);
    sqlite3_bind_int64(stmt, 3, rec->node_id);
    bind_text(stmt, 4, rec->name);
    bind_text(stmt, 5, rec->display_name);
    bind_text(stmt, 6, rec->description);
    sqlite3_bind_int(stmt, 7, (int)rec->state);
    sqlite3_bind_int(stmt, 8, (int)rec->result);
    sqlite3_bind_int64(stmt, 9, rec->start_ms);
    sqlite3_bind_int64(stmt, 10, rec->end_ms);
    sqlite3_bind_int64(stmt, 11, rec->log_size);
    bind_text(stmt, 12, rec->error);
    sqlite3_bind_int64(stmt, 13, rec->seq);
    bind_text(stmt, 14, rec->input);
    bind_text(stmt, 15, rec->value);
    return step_done(store, stmt, "step put");
}

int tp_store_step_list(struct tp_store *store, int64_t run_id, int64_t node_id,
                       struct tp_arena *arena, tp_store_step_fn each, void *ctx)
{
    sqlite3_stmt *stmt = stmt_get(store, node_id ? SQL_STEP_LIST_NODE : SQL_STEP_LIST_ALL);
    if (stmt == NULL)
        return TP_EDB;
    sqlite3_bind_int64(stmt, 1, run_id);
    if (node_id)
        sqlite3_bind_int64(stmt, 2, node_id);
    int rc, err = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct tp_step_rec rec;
        read_step(stmt, arena, &rec);
        if (each(ctx, &rec) != 0)
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = db_error(store, "step list");
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return err;
}

int tp_store_step_get(struct tp_store *store, int64_t run_id, int64_t step_id,
                      struct tp_arena *arena, struct tp_step_rec *out)
{
    sqlite3_stmt *stmt = stmt_get(store, SQL_STEP_GET);
    if (stmt == NULL)
        return TP_EDB;
    sqlite3_bind_int64(stmt, 1, run_id);
    sqlite3_bind_int64(stmt, 2, step_id);
    int rc = sqlite3_step(stmt), err = 0;
    if (rc == SQLITE_ROW)
        read_step(stmt, arena, out);
    else if (rc == SQLITE_DONE)
        err = TP_ENOTFOUND;
    else
        err = db_error(store, "step get");
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return err;
}

/* --- logs --- */

/* Counts '\n' bytes not preceded by '\r' in data[0..len); `prev` is the byte before data. */
static int64_t count_lone_lf(const char *data, size_t len, char prev)
{
    int64_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\n' && (i > 0 ? data[i - 1] : prev) != '\r')
            n++;
    }
    return n;
}

int tp_store_log_append(struct tp_store *store, int64_t run_id, const struct tp_log_chunk *chunk)
{
    sqlite3_stmt *stmt = stmt_get(store, SQL_LOG_APPEND);
    if (stmt == NULL || batch_begin(store) < 0)
        return TP_EDB;
    sqlite3_bind_int64(stmt, 1, run_id);
    sqlite3_bind_int64(stmt, 2, chunk->offset);
    sqlite3_bind_int64(stmt, 3, chunk->step_id);
    sqlite3_bind_int64(stmt, 4, chunk->step_offset);
    sqlite3_bind_int64(stmt, 5, (int64_t)chunk->len);
    sqlite3_bind_int64(stmt, 6, count_lone_lf(chunk->data, chunk->len, '\0'));
    sqlite3_bind_blob(stmt, 7, chunk->data, (int)chunk->len, SQLITE_STATIC);
    return step_done(store, stmt, "log append");
}

int tp_store_log_measure(struct tp_store *store, int64_t run_id, int64_t step_id, int64_t from,
                         int64_t *raw, int64_t *lf)
{
    sqlite3_stmt *sum = stmt_get(store, step_id ? SQL_LOG_SUM_STEP : SQL_LOG_SUM_RUN);
    sqlite3_stmt *before = stmt_get(store, step_id ? SQL_LOG_BEFORE_STEP : SQL_LOG_BEFORE_RUN);
    if (sum == NULL || before == NULL)
        return TP_EDB;
    int err = 0;
    *raw = 0;
    *lf = 0;
    sqlite3_bind_int64(sum, 1, run_id);
    sqlite3_bind_int64(sum, 2, from);
    if (step_id)
        sqlite3_bind_int64(sum, 3, step_id);
    if (sqlite3_step(sum) == SQLITE_ROW) {
        *raw = sqlite3_column_int64(sum, 0);
        *lf = sqlite3_column_int64(sum, 1);
    } else {
        err = db_error(store, "log measure");
    }
    sqlite3_reset(sum);
    sqlite3_clear_bindings(sum);
    if (err < 0)
        return err;

    /* The chunk that starts before `from` may still hold bytes at and after it. */
    sqlite3_bind_int64(before, 1, run_id);
    sqlite3_bind_int64(before, 2, from);
    if (step_id)
        sqlite3_bind_int64(before, 3, step_id);
    int rc = sqlite3_step(before);
    if (rc == SQLITE_ROW) {
        int64_t offset = sqlite3_column_int64(before, 0);
        const char *data = sqlite3_column_blob(before, 1);
        int64_t len = sqlite3_column_bytes(before, 1);
        if (offset + len > from) {
            int64_t skip = from - offset;
            *raw += len - skip;
            *lf += count_lone_lf(data + skip, (size_t)(len - skip), data[skip - 1]);
        }
    } else if (rc != SQLITE_DONE) {
        err = db_error(store, "log measure");
    }
    sqlite3_reset(before);
    sqlite3_clear_bindings(before);
    return err;
}

int tp_store_log_read(struct tp_store *store, int64_t run_id, int64_t step_id, int64_t from,
                      int max_chunks, tp_store_chunk_fn each, void *ctx)
{
    sqlite3_stmt *stmt = stmt_get(store, step_id ? SQL_LOG_READ_STEP : SQL_LOG_READ_RUN);
    if (stmt == NULL)
        return TP_EDB;
    sqlite3_bind_int64(stmt, 1, run_id);
    sqlite3_bind_int64(stmt, 2, from);
    if (step_id)
        sqlite3_bind_int64(stmt, 3, step_id);
    sqlite3_bind_int(stmt, 4, max_chunks);
    int rc, err = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct tp_log_chunk chunk = {
            .offset = sqlite3_column_int64(stmt, 0),
            .step_id = sqlite3_column_int64(stmt, 1),
            .step_offset = sqlite3_column_int64(stmt, 2),
            .data = sqlite3_column_blob(stmt, 3),
            .len = (size_t)sqlite3_column_bytes(stmt, 3),
        };
        if (chunk.data == NULL)
            chunk.data = "";
        if (each(ctx, &chunk) != 0)
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = db_error(store, "log read");
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return err;
}
