/* SPDX-License-Identifier: MIT */
/* Migrations: an append-only list applied under PRAGMA user_version. Never edit a shipped one. */
#include <stdio.h>

#include "common/err.h"
#include "common/log.h"
#include "store/store_int.h"

static const char *const migrations[] = {
    /* 1: the first schema. */
    "CREATE TABLE pipelines("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  script TEXT NOT NULL,"
    "  source TEXT,"
    "  disabled INTEGER NOT NULL DEFAULT 0,"
    "  next_number INTEGER NOT NULL DEFAULT 1,"
    "  created_ms INTEGER NOT NULL) STRICT;"
    "CREATE TABLE runs("
    "  id INTEGER PRIMARY KEY,"
    "  pipeline_id INTEGER NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,"
    "  number INTEGER NOT NULL,"
    "  queue_id INTEGER NOT NULL,"
    "  state INTEGER NOT NULL,"
    "  result INTEGER NOT NULL,"
    "  enqueue_ms INTEGER NOT NULL,"
    "  start_ms INTEGER NOT NULL DEFAULT 0,"
    "  end_ms INTEGER NOT NULL DEFAULT 0,"
    "  cause TEXT,"
    "  cause_user TEXT,"
    "  parameters TEXT,"
    "  script TEXT NOT NULL,"
    "  log_size INTEGER NOT NULL DEFAULT 0,"
    "  log_complete INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE(pipeline_id, number)) STRICT;"
    "CREATE TABLE nodes("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  node_id INTEGER NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  type INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  first_parent INTEGER NOT NULL,"
    "  edges TEXT NOT NULL,"
    "  state INTEGER NOT NULL,"
    "  result INTEGER NOT NULL,"
    "  start_ms INTEGER NOT NULL,"
    "  end_ms INTEGER NOT NULL,"
    "  PRIMARY KEY(run_id, node_id)) STRICT, WITHOUT ROWID;"
    "CREATE TABLE steps("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  step_id INTEGER NOT NULL,"
    "  node_id INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  display_name TEXT NOT NULL,"
    "  description TEXT,"
    "  state INTEGER NOT NULL,"
    "  result INTEGER NOT NULL,"
    "  start_ms INTEGER NOT NULL,"
    "  end_ms INTEGER NOT NULL,"
    "  log_size INTEGER NOT NULL,"
    "  error TEXT,"
    "  PRIMARY KEY(run_id, step_id)) STRICT, WITHOUT ROWID;"
    "CREATE INDEX steps_node ON steps(run_id, node_id, step_id);"
    /* Console log chunks. `lf` counts the lone '\n' bytes, so the CRLF length of any range
     * of whole chunks is SUM(len + lf) without reading the data. */
    "CREATE TABLE log_chunks("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  offset INTEGER NOT NULL,"
    "  step_id INTEGER NOT NULL,"
    "  step_offset INTEGER NOT NULL,"
    "  len INTEGER NOT NULL,"
    "  lf INTEGER NOT NULL,"
    "  data BLOB NOT NULL,"
    "  PRIMARY KEY(run_id, offset)) STRICT, WITHOUT ROWID;"
    "CREATE INDEX log_chunks_step ON log_chunks(run_id, step_id, step_offset);",
    /* 2: the structural parent of a node (a branch's stage, a nested stage's group), so a
     * stage's steps include those of the stages and branches inside it. */
    "ALTER TABLE nodes ADD COLUMN parent INTEGER NOT NULL DEFAULT 0;",
    /* 3: the order steps started in: a step run again (retry) gets an id after the plan's,
     * and lists are in execution order, as Jenkins' flow nodes are. Old rows keep 0 and
     * their id order. */
    "ALTER TABLE steps ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;",
    /* 4: the input a PAUSED step waits for (Blue Ocean's InputStepImpl fields, JSON). */
    "ALTER TABLE steps ADD COLUMN input TEXT;",
    /* 5: what a finished step returned to Groovy (JSON), so a run resumed after a restart
     * replays its script blocks with the same values. */
    "ALTER TABLE steps ADD COLUMN value TEXT;",
    /* 6: why a queued run waits (Jenkins' causeOfBlockage), when not for an executor. */
    "ALTER TABLE runs ADD COLUMN blockage TEXT;",
    /* 7: jobs made from config.xml: the XML as given, the parameters it declares (so they
     * show before the first run), the description. */
    "ALTER TABLE pipelines ADD COLUMN config TEXT;"
    "ALTER TABLE pipelines ADD COLUMN param_defs TEXT;"
    "ALTER TABLE pipelines ADD COLUMN description TEXT;",
    /* 8: what a script set as currentBuild.description and currentBuild.displayName. */
    "ALTER TABLE runs ADD COLUMN description TEXT;"
    "ALTER TABLE runs ADD COLUMN display_name TEXT;",
    /* 9: folders are items too (a row with no script of its own); names are paths "a/b". */
    "ALTER TABLE pipelines ADD COLUMN folder INTEGER NOT NULL DEFAULT 0;",
    /* 10: each user's favorite pipelines. */
    "CREATE TABLE favorites("
    "  user TEXT NOT NULL,"
    "  pipeline_id INTEGER NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,"
    "  PRIMARY KEY(user, pipeline_id)) STRICT, WITHOUT ROWID;",
    /* 11: job properties a config.xml set (JSON: disableConcurrentBuilds, numToKeep,
     * daysToKeep, cron), and the timer spec the job runs on (its config.xml's or its
     * Jenkinsfile's triggers { cron() }). */
    "ALTER TABLE pipelines ADD COLUMN properties TEXT;"
    "ALTER TABLE pipelines ADD COLUMN cron TEXT;",
    /* 12: the revision a run's script came from (Pipeline script from SCM, multibranch) and
     * the commits since the job's previous run (JSON). */
    "ALTER TABLE runs ADD COLUMN commit_id TEXT;"
    "ALTER TABLE runs ADD COLUMN change_set TEXT;",
    /* 13: the top-level stage a run restarted from (Blue Ocean's "restart stage"): the
     * stages before it are skipped. */
    "ALTER TABLE runs ADD COLUMN restart_from TEXT;",
};

int tp_store_migrate(struct tp_store *store)
{
    const int latest = (int)(sizeof(migrations) / sizeof(migrations[0]));
    sqlite3_stmt *stmt = NULL;
    int version = 0;
    int err = tp_store_exec(store, "BEGIN IMMEDIATE");
    if (err < 0)
        return err;
    if (sqlite3_prepare_v2(store->db, "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK ||
        sqlite3_step(stmt) != SQLITE_ROW) {
        tp_log(TP_LOG_ERROR, "store", "reading user_version failed: %s", sqlite3_errmsg(store->db));
        err = TP_EDB;
        goto out;
    }
    version = sqlite3_column_int(stmt, 0);
    if (version > latest) {
        tp_log(TP_LOG_ERROR, "store", "schema version=%d is newer than this binary's %d", version,
               latest);
        err = TP_ESCHEMA;
        goto out;
    }
    for (int i = version; i < latest; i++) {
        err = tp_store_exec(store, migrations[i]);
        if (err < 0)
            goto out;
    }
    if (version < latest) {
        char pragma[64];
        snprintf(pragma, sizeof(pragma), "PRAGMA user_version=%d", latest);
        err = tp_store_exec(store, pragma);
        if (err < 0)
            goto out;
        tp_log(TP_LOG_INFO, "store", "migrated from=%d to=%d", version, latest);
    }
out:
    sqlite3_finalize(stmt);
    if (err < 0) {
        tp_store_exec(store, "ROLLBACK");
        return err;
    }
    return tp_store_exec(store, "COMMIT");
}
