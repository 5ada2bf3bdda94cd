/* SPDX-License-Identifier: MIT */
/* tidepool: Jenkins and Blue Ocean in one small binary. This file wires the rooms together
 * and owns the event loop; see docs/ARCHITECTURE.md. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/str.h"
#include "engine/engine.h"
#include "engine/stubs.h"
#include "engine/tools.h"
#include "http/api.h"
#include "http/auth.h"
#include "http/cache.h"
#include "http/crypto.h"
#include "http/jwt.h"
#include "http/server.h"
#include "http/sse.h"
#include "jenkinsfile/lexer.h"
#include "jenkinsfile/plan.h"
#include "jobsdir.h"
#include "store/store.h"

#ifndef TP_VERSION
#    define TP_VERSION "0.0.0"
#endif
/* The Jenkins version whose API tidepool answers as (the X-Jenkins header clients read). */
#define TP_JENKINS_API_VERSION "2.479.3"

static const char usage[] =
    "usage: tidepool <command> [options]\n"
    "\n"
    "commands:\n"
    "  serve [--port N] [--bind ADDR] [--data DIR] [--jobs DIR] [--executors N]\n"
    "        [--stubs FILE] [--tools FILE] [--users FILE]\n"
    "        Serve the Jenkins and Blue Ocean APIs. Defaults: port 8080, bind\n"
    "        127.0.0.1, data ./tidepool-data, no jobs dir, 2 executors. In the jobs\n"
    "        dir, NAME.Jenkinsfile or NAME/Jenkinsfile becomes pipeline NAME and\n"
    "        other sub-directories folders; changes are picked up as they happen.\n"
    "        --users turns security on (HTTP basic auth, Blue Ocean JWT): one\n"
    "        `name:role:hash` line per user, role read, build or admin.\n"
    "        SIGINT or SIGTERM stop it cleanly.\n"
    "  passwd NAME ROLE\n"
    "        Read a password on stdin; print the users-file line for it.\n"
    "  run FILE [--param K=V]... [--data DIR] [--stubs FILE] [--tools FILE]\n"
    "        Run one Jenkinsfile without a server and stream its console log to\n"
    "        stdout. Exit status 0 when the run ends SUCCESS, 1 otherwise.\n"
    "        Without --data, a temporary data dir is used and removed.\n"
    "  --stubs FILE: one line per step tidepool does not have, what it does\n"
    "        instead: `NAME noop`, `NAME shell:COMMAND` or `NAME fail`.\n"
    "  --tools FILE: the tool installations `tools {}` and `tool` use, one\n"
    "        `TYPE NAME HOME` line each (jdk jdk17 /usr/lib/jvm/java-17...).\n"
    "  lint [--plan] FILE...\n"
    "        Check Jenkinsfiles; print FILE:LINE:COL: message for each problem.\n"
    "        Exit status 0 valid, 1 invalid, 2 unreadable. --plan also prints the\n"
    "        compiled plan (stages, ids, directives, Blue Ocean graph).\n"
    "  --version   Print the version.\n"
    "  --help      Print this help.\n";

__attribute__((format(printf, 1, 2))) static int die_usage(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "tidepool: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see tidepool --help)\n");
    return 2;
}

static int parse_stubs(const char *text, void *out, struct tp_buf *error)
{
    return tp_stubs_parse(text, out, error);
}

static int parse_tools(const char *text, void *out, struct tp_buf *error)
{
    return tp_tools_parse(text, out, error);
}

/* Reads a config file (--stubs, --tools) of at most `max` bytes into `out` with `parse`; on
 * a problem prints it and returns false. */
static bool load_config(const char *path, size_t max,
                        int (*parse)(const char *text, void *out, struct tp_buf *error), void *out)
{
    struct tp_buf text, error;
    tp_buf_init(&text);
    tp_buf_init(&error);
    int err = tp_fs_read_file(path, max, &text);
    if (err < 0)
        fprintf(stderr, "tidepool: cannot read %s: %s\n", path, tp_strerror(err));
    else if (parse(tp_buf_str(&text), out, &error) < 0)
        fprintf(stderr, "tidepool: %s: %s\n", path, tp_buf_str(&error));
    bool ok = err == 0 && error.len == 0;
    tp_buf_close(&text);
    tp_buf_close(&error);
    return ok;
}

static bool parse_int(const char *text, long min, long max, long *out)
{
    int64_t v;
    if (tp_str_to_i64(text, strlen(text), &v) < 0 || v < min || v > max)
        return false;
    *out = (long)v;
    return true;
}

/* --- lint --- */

static int cmd_lint(int argc, char **argv)
{
    bool show_plan = argc > 0 && strcmp(argv[0], "--plan") == 0;
    if (show_plan) {
        argc--;
        argv++;
    }
    if (argc < 1)
        return die_usage("%s", "lint needs at least one FILE");
    int status = 0;
    for (int i = 0; i < argc; i++) {
        struct tp_buf text;
        tp_buf_init(&text);
        int err = tp_fs_read_file(argv[i], TP_LEX_MAX_SOURCE, &text);
        if (err < 0) {
            fprintf(stderr, "%s: cannot read: %s\n", argv[i], tp_strerror(err));
            tp_buf_close(&text);
            status = 2;
            continue;
        }
        struct tp_plan *plan;
        err = tp_plan_compile(text.data, text.len, &plan);
        for (size_t k = 0; k < plan->diags.count; k++) {
            const struct tp_diag *d = &plan->diags.items[k];
            printf("%s:%d:%d: %s\n", argv[i], d->line, d->col, d->message);
        }
        if (err < 0 && status == 0)
            status = 1;
        if (err == 0 && show_plan) {
            struct tp_buf dump;
            tp_buf_init(&dump);
            tp_plan_dump(plan, &dump);
            fputs(tp_buf_str(&dump), stdout);
            tp_buf_close(&dump);
        }
        tp_plan_free(plan);
        tp_buf_close(&text);
    }
    return status;
}

/* --- shared start-up of store and engine --- */

struct app {
    uv_loop_t *loop;
    struct tp_store *store;
    struct tp_engine *engine;
    struct tp_server *server;
    struct tp_jobsdir *jobs; /* serve --jobs: the directory loaded and watched */
    uv_signal_t sigint, sigterm;
    struct tp_app http;
    char session[16];
    int exit_status;
    int64_t run_id; /* `run`: the run being watched */
    bool stopping;
};

static int open_data(struct app *app, const char *data_dir, char *absolute)
{
    int err = tp_fs_mkdir_p(data_dir);
    if (err < 0) {
        fprintf(stderr, "tidepool: cannot create data dir %s: %s\n", data_dir, tp_strerror(err));
        return err;
    }
    if (realpath(data_dir, absolute) == NULL) {
        fprintf(stderr, "tidepool: %s: %s\n", data_dir, strerror(errno));
        return -errno;
    }
    char db[PATH_MAX + 16];
    snprintf(db, sizeof(db), "%s/tidepool.db", absolute);
    err = tp_store_open(db, &app->store);
    if (err < 0)
        fprintf(stderr, "tidepool: cannot open %s: %s\n", db,
                err == TP_ECONFLICT ? "another tidepool is using this data dir" : tp_strerror(err));
    return err;
}

static void on_closed_quietly(uv_handle_t *handle)
{
    (void)handle;
}

static void on_engine_stopped(void *ctx)
{
    struct app *app = ctx;
    if (app->server != NULL)
        tp_server_stop(app->server);
    app->server = NULL;
    tp_jobsdir_close(app->jobs);
    app->jobs = NULL;
    uv_close((uv_handle_t *)&app->sigint, on_closed_quietly);
    uv_close((uv_handle_t *)&app->sigterm, on_closed_quietly);
    uv_stop(app->loop);
}

static void on_signal(uv_signal_t *signal, int signum)
{
    struct app *app = signal->data;
    if (app->stopping) {
        tp_log(TP_LOG_WARN, "main", "second signal=%d: exiting now", signum);
        exit(130);
    }
    app->stopping = true;
    tp_log(TP_LOG_INFO, "main", "signal=%d: shutting down", signum);
    tp_engine_shutdown(app->engine, on_engine_stopped, app);
}

static void watch_signals(struct app *app)
{
    uv_signal_init(app->loop, &app->sigint);
    uv_signal_init(app->loop, &app->sigterm);
    app->sigint.data = app->sigterm.data = app;
    uv_signal_start(&app->sigint, on_signal, SIGINT);
    uv_signal_start(&app->sigterm, on_signal, SIGTERM);
}

static void close_app(struct app *app)
{
    tp_engine_free(app->engine);
    /* Run the loop until every handle's close callback has run. */
    uv_run(app->loop, UV_RUN_DEFAULT);
    uv_loop_close(app->loop);
    tp_store_close(app->store);
}

/* --- serve --- */

/* The engine's changes, to the SSE gateway. */
static void on_sse_run(void *ctx, const struct tp_run_rec *run)
{
    tp_sse_on_run(ctx, run);
}

static void on_sse_node(void *ctx, const struct tp_run_rec *run, const struct tp_node_rec *node)
{
    tp_sse_on_node(ctx, run, node);
}

static void on_sse_step(void *ctx, const struct tp_run_rec *run, const struct tp_step_rec *step)
{
    tp_sse_on_step(ctx, run, step);
}

static void on_sse_commit(void *ctx)
{
    tp_sse_commit(ctx);
}

/* serve --users: the users, and the JWT key kept in the data dir (made on first use). */
static int load_security(struct app *app, const char *users_file, const char *data_dir)
{
    struct tp_buf text, error;
    tp_buf_init(&text);
    tp_buf_init(&error);
    int err = tp_crypto_load(&error);
    if (err < 0)
        fprintf(stderr, "tidepool: --users needs %s\n", tp_buf_str(&error));
    else if ((err = tp_fs_read_file(users_file, 1 << 20, &text)) < 0)
        fprintf(stderr, "tidepool: cannot read %s: %s\n", users_file, tp_strerror(err));
    else if ((err = tp_users_parse(text.data, text.len, &app->http.users, &error)) < 0)
        fprintf(stderr, "tidepool: %s: %s\n", users_file, tp_buf_str(&error));
    tp_buf_close(&text);
    tp_buf_close(&error);
    if (err < 0)
        return err;
    char path[PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/jwt-key.pem", data_dir);
    struct tp_buf pem;
    tp_buf_init(&pem);
    err = tp_fs_read_file(path, 1 << 16, &pem);
    if (err == UV_ENOENT) {
        err = tp_jwt_generate(&pem);
        FILE *f = NULL;
        int fd = err == 0 ? open(path, O_WRONLY | O_CREAT | O_EXCL, 0600) : -1;
        if (fd >= 0 && (f = fdopen(fd, "w")) != NULL) {
            err = fwrite(pem.data, 1, pem.len, f) == pem.len ? 0 : -errno;
            err = fclose(f) == 0 ? err : -errno;
        } else {
            err = err < 0 ? err : -errno;
            if (fd >= 0)
                close(fd);
        }
    }
    if (err == 0)
        err = tp_jwt_new(pem.data, pem.len, &app->http.jwt);
    tp_buf_close(&pem);
    if (err < 0)
        fprintf(stderr, "tidepool: cannot use the JWT key %s: %s\n", path, tp_strerror(err));
    return err;
}

static int cmd_passwd(int argc, char **argv)
{
    if (argc != 2 || strchr(argv[0], ':') != NULL ||
        (strcmp(argv[1], "read") != 0 && strcmp(argv[1], "build") != 0 &&
         strcmp(argv[1], "admin") != 0))
        return die_usage("%s", "passwd NAME ROLE (ROLE: read, build or admin)");
    char password[1024];
    if (fgets(password, sizeof(password), stdin) == NULL)
        return die_usage("%s", "passwd reads the password on stdin");
    password[strcspn(password, "\r\n")] = '\0';
    struct tp_buf hash;
    tp_buf_init(&hash);
    int err = tp_crypto_load(&hash);
    if (err < 0)
        fprintf(stderr, "tidepool: %s\n", tp_buf_str(&hash));
    else if ((err = tp_password_hash(password, &hash)) == 0)
        printf("%s:%s:%s\n", argv[0], argv[1], tp_buf_str(&hash));
    else
        fprintf(stderr, "tidepool: an empty password cannot be hashed\n");
    tp_buf_close(&hash);
    return err == 0 ? 0 : 1;
}

static int cmd_serve(int argc, char **argv)
{
    long port = 8080, executors = 2;
    const char *bind = "127.0.0.1", *data = "./tidepool-data", *jobs = NULL, *stubs_file = NULL,
               *users_file = NULL, *tools_file = NULL;
    for (int i = 0; i < argc; i += 2) {
        const char *opt = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (value == NULL)
            return die_usage("option %s needs a value", opt);
        if (strcmp(opt, "--port") == 0) {
            if (!parse_int(value, 0, 65535, &port))
                return die_usage("bad port: %s", value);
        } else if (strcmp(opt, "--executors") == 0) {
            if (!parse_int(value, 1, 1024, &executors))
                return die_usage("bad executor count: %s", value);
        } else if (strcmp(opt, "--bind") == 0) {
            bind = value;
        } else if (strcmp(opt, "--data") == 0) {
            data = value;
        } else if (strcmp(opt, "--jobs") == 0) {
            jobs = value;
        } else if (strcmp(opt, "--stubs") == 0) {
            stubs_file = value;
        } else if (strcmp(opt, "--users") == 0) {
            users_file = value;
        } else if (strcmp(opt, "--tools") == 0) {
            tools_file = value;
        } else {
            return die_usage("unknown option: %s", opt);
        }
    }

    static struct tp_stubs stubs; /* for the process's life */
    static struct tp_tools tools;
    if ((stubs_file != NULL && !load_config(stubs_file, TP_STUBS_MAX_FILE, parse_stubs, &stubs)) ||
        (tools_file != NULL && !load_config(tools_file, TP_TOOLS_MAX_FILE, parse_tools, &tools)))
        return 2;
    struct app app = { .loop = uv_default_loop() };
    char absolute[PATH_MAX];
    if (open_data(&app, data, absolute) < 0)
        return 1;
    unsigned char random[4];
    uv_random(NULL, NULL, random, sizeof(random), 0, NULL);
    snprintf(app.session, sizeof(app.session), "%02x%02x%02x%02x", random[0], random[1], random[2],
             random[3]);
    app.http = (struct tp_app){ .store = app.store,
                                .version = TP_JENKINS_API_VERSION,
                                .session = app.session };
    if (users_file != NULL && load_security(&app, users_file, absolute) < 0) {
        tp_store_close(app.store);
        return 1;
    }
    int err = tp_server_start(app.loop, bind, (int)port, tp_api_handle, &app.http, &app.server);
    if (err < 0) {
        fprintf(stderr, "tidepool: cannot listen on %s:%ld: %s\n", bind, port, uv_strerror(err));
        tp_store_close(app.store);
        return 1;
    }
    char root_url[300];
    if (strchr(bind, ':') != NULL)
        snprintf(root_url, sizeof(root_url), "http://[%s]:%d/", bind, tp_server_port(app.server));
    else
        snprintf(root_url, sizeof(root_url), "http://%s:%d/", bind, tp_server_port(app.server));
    struct tp_engine_options options = { .data_dir = absolute,
                                         .executors = (int)executors,
                                         .root_url = root_url,
                                         .stubs = &stubs,
                                         .tools = &tools };
    /* tests look at the timer triggers more often than once a minute */
    const char *tick = getenv("TP_CRON_TICK_MS");
    long tick_ms = 0;
    if (tick != NULL && parse_int(tick, 10, 60000, &tick_ms))
        options.cron_tick_ms = (uint64_t)tick_ms;
    err = tp_engine_new(app.loop, app.store, &options, &app.engine);
    if (err == 0)
        err = tp_engine_recover(app.engine);
    if (err < 0) {
        fprintf(stderr, "tidepool: cannot start the engine: %s\n", tp_strerror(err));
        return 1;
    }
    app.http.engine = app.engine;
    app.http.sse = tp_sse_new(root_url);
    struct tp_engine_events events = { .on_run = on_sse_run,
                                       .on_node = on_sse_node,
                                       .on_step = on_sse_step,
                                       .on_commit = on_sse_commit,
                                       .ctx = app.http.sse };
    tp_engine_set_events(app.engine, &events);
    if (jobs != NULL &&
        tp_jobsdir_open(app.loop, jobs, app.engine, app.store, app.http.sse, &app.jobs) < 0)
        return 1;
    watch_signals(&app);
    tp_log(TP_LOG_INFO, "main", "listening url=%s data=%s executors=%ld", root_url, absolute,
           executors);
    printf("tidepool %s serving %s (Blue Ocean API: %sblue/rest/organizations/jenkins/)\n",
           TP_VERSION, root_url, root_url);
    fflush(stdout);
    /* TP_NO_CACHE: every answer made afresh (the benchmarks' "before") */
    if (getenv("TP_NO_CACHE") == NULL)
        app.http.cache = tp_cache_new();
    uv_run(app.loop, UV_RUN_DEFAULT);
    close_app(&app);
    tp_sse_free(app.http.sse);
    tp_users_free(app.http.users);
    tp_jwt_free(app.http.jwt);
    tp_cache_free(app.http.cache);
    tp_log(TP_LOG_INFO, "main", "stopped");
    return 0;
}

/* --- run --- */

static void on_run_log(void *ctx, int64_t run_id, const char *data, size_t len)
{
    struct app *app = ctx;
    if (run_id == app->run_id) {
        fwrite(data, 1, len, stdout);
        fflush(stdout);
    }
}

static void on_run_change(void *ctx, const struct tp_run_rec *run)
{
    struct app *app = ctx;
    if (run->id != app->run_id || run->state != TP_STATE_FINISHED)
        return;
    app->exit_status = run->result == TP_RESULT_SUCCESS ? 0 : 1;
    if (!app->stopping) {
        app->stopping = true;
        tp_engine_shutdown(app->engine, on_engine_stopped, app);
    }
}

static int cmd_run(int argc, char **argv)
{
    const char *file = NULL, *data = NULL, *stubs_file = NULL, *tools_file = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--param") == 0 || strcmp(argv[i], "--data") == 0 ||
            strcmp(argv[i], "--stubs") == 0 || strcmp(argv[i], "--tools") == 0) {
            if (i + 1 >= argc)
                return die_usage("option %s needs a value", argv[i]);
            if (argv[i][2] == 'd') {
                data = argv[i + 1];
            } else if (argv[i][2] == 's') {
                stubs_file = argv[i + 1];
            } else if (argv[i][2] == 't') {
                tools_file = argv[i + 1];
            } else {
                if (strchr(argv[i + 1], '=') == NULL)
                    return die_usage("--param needs K=V, got %s", argv[i + 1]);
            }
            i++;
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            return die_usage("unknown option: %s", argv[i]);
        } else if (file == NULL) {
            file = argv[i];
        } else {
            return die_usage("unexpected argument: %s", argv[i]);
        }
    }
    if (file == NULL)
        return die_usage("%s", "run needs a FILE");
    static struct tp_stubs stubs;
    static struct tp_tools tools;
    if ((stubs_file != NULL && !load_config(stubs_file, TP_STUBS_MAX_FILE, parse_stubs, &stubs)) ||
        (tools_file != NULL && !load_config(tools_file, TP_TOOLS_MAX_FILE, parse_tools, &tools)))
        return 2;
    struct tp_buf text;
    tp_buf_init(&text);
    int err = tp_fs_read_file(file, TP_LEX_MAX_SOURCE, &text);
    if (err < 0) {
        fprintf(stderr, "tidepool: cannot read %s: %s\n", file, tp_strerror(err));
        tp_buf_close(&text);
        return 2;
    }

    char temp[] = "/tmp/tidepool-run-XXXXXX";
    if (data == NULL) {
        if (mkdtemp(temp) == NULL) {
            fprintf(stderr, "tidepool: cannot create a temporary dir: %s\n", strerror(errno));
            return 1;
        }
        data = temp;
    }
    tp_log_threshold = TP_LOG_WARN;
    struct app app = { .loop = uv_default_loop(), .exit_status = 1 };
    char absolute[PATH_MAX];
    if (open_data(&app, data, absolute) < 0)
        return 1;
    struct tp_engine_options options = { .data_dir = absolute,
                                         .executors = 1,
                                         .root_url = "http://127.0.0.1:8080/",
                                         .no_answers = true,
                                         .stubs = &stubs,
                                         .tools = &tools };
    err = tp_engine_new(app.loop, app.store, &options, &app.engine);
    if (err < 0) {
        fprintf(stderr, "tidepool: cannot start the engine: %s\n", tp_strerror(err));
        return 1;
    }
    struct tp_engine_events events = { .on_log = on_run_log, .on_run = on_run_change, .ctx = &app };
    tp_engine_set_events(app.engine, &events);

    /* The pipeline is named after the file: build.Jenkinsfile -> build. */
    const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
    char name[NAME_MAX + 1];
    snprintf(name, sizeof(name), "%s", base);
    if (tp_str_ends_with(name, ".Jenkinsfile") && strlen(name) > 12)
        name[strlen(name) - 12] = '\0';
    struct tp_arena arena;
    tp_arena_init(&arena);
    struct tp_run_rec queued;
    /* --param K=V, as Blue Ocean's {"parameters":[{"name":K,"value":V}]}. */
    cJSON *params = cJSON_CreateArray(); /* none given: every parameter gets its default */
    for (int i = 0; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--param") != 0)
            continue;
        const char *eq = strchr(argv[i + 1], '=');
        cJSON *entry = cJSON_CreateObject();
        char *key = tp_xstrndup(argv[i + 1], (size_t)(eq - argv[i + 1]));
        cJSON_AddStringToObject(entry, "name", key);
        cJSON_AddStringToObject(entry, "value", eq + 1);
        free(key);
        cJSON_AddItemToArray(params, entry);
        i++;
    }
    struct tp_buf error;
    tp_buf_init(&error);
    err = tp_engine_pipeline_put(app.engine, name, text.data, file);
    if (err == 0)
        err = tp_engine_start(app.engine, name, "anonymous", params, &arena, &queued, &error);
    cJSON_Delete(params);
    tp_buf_close(&text);
    if (err < 0) {
        fprintf(stderr, "tidepool: cannot start the run: %s\n",
                error.len ? tp_buf_str(&error) : tp_strerror(err));
        tp_buf_close(&error);
        tp_arena_close(&arena);
        return 1;
    }
    tp_buf_close(&error);
    app.run_id = queued.id;
    tp_arena_close(&arena);
    watch_signals(&app);
    uv_run(app.loop, UV_RUN_DEFAULT);
    close_app(&app);
    if (data == temp)
        tp_fs_remove_tree(temp);
    return app.exit_status;
}

int main(int argc, char **argv)
{
    /* A peer that closes its socket must cost a write error, not the process; children
     * get every signal back to its default from the executor (POSIX_SPAWN_SETSIGDEF). */
    signal(SIGPIPE, SIG_IGN);
    tp_json_init();
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("tidepool %s\n", TP_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "serve") == 0)
        return cmd_serve(argc - 2, argv + 2);
    if (strcmp(argv[1], "run") == 0)
        return cmd_run(argc - 2, argv + 2);
    if (strcmp(argv[1], "lint") == 0)
        return cmd_lint(argc - 2, argv + 2);
    if (strcmp(argv[1], "passwd") == 0)
        return cmd_passwd(argc - 2, argv + 2);
    return die_usage("unknown command: %s", argv[1]);
}
