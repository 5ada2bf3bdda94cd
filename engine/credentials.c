/* SPDX-License-Identifier: MIT */
#include "engine/credentials.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fs.h"
#include "common/mem.h"
#include "engine/engine_int.h"

enum {
    STORE_MAX = 4 << 20 /* bytes of credentials.json */
};

static const char NOT_FOUND[] =
    "org.jenkinsci.plugins.credentialsbinding.impl.CredentialNotFoundException: ";

/* The run's credentials store, read the first time; NULL after failing `f` (not JSON). */
static const cJSON *store_of(struct frame *f)
{
    struct run *run = f->run;
    if (run->credentials == NULL) {
        struct tp_buf text;
        tp_buf_init(&text);
        const char *path =
            tp_arena_printf(&run->arena, "%s/credentials.json", tp_engine_data_dir(run->engine));
        int err = tp_fs_read_file(path, STORE_MAX, &text);
        run->credentials = err == 0 ? cJSON_Parse(tp_buf_str(&text)) : NULL;
        if (err == 0 && !cJSON_IsObject(run->credentials)) {
            tp_frame_fail(
                f, TP_RESULT_FAILURE, true,
                tp_arena_printf(&run->arena, "%s is not a JSON object of credentials", path));
            tp_buf_close(&text);
            cJSON_Delete(run->credentials);
            run->credentials = NULL;
            return NULL;
        }
        tp_buf_close(&text);
        if (run->credentials == NULL)
            run->credentials = cJSON_CreateObject();
    }
    return run->credentials;
}

/* The credential `id`, or NULL after failing `f` with Jenkins' message. */
static const cJSON *find(struct frame *f, const char *id)
{
    const cJSON *store = store_of(f);
    if (store == NULL)
        return NULL;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(store, id);
    if (!cJSON_IsObject(c)) {
        tp_frame_fail(f, TP_RESULT_FAILURE, false,
                      tp_arena_printf(&f->run->arena,
                                      "%sCould not find credentials entry with ID '%s'", NOT_FOUND,
                                      id));
        return NULL;
    }
    return c;
}

static const char *field(const cJSON *c, const char *name)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, name));
    return v != NULL ? v : "";
}

/* Remembers a secret: from now on it never reaches the log. */
static void add_secret(struct run *run, const char *secret)
{
    if (secret == NULL || *secret == '\0')
        return;
    for (size_t i = 0; i < run->nsecrets; i++) {
        if (strcmp(run->secrets[i], secret) == 0)
            return;
    }
    run->secrets = tp_xrealloc(run->secrets, (run->nsecrets + 1) * sizeof(*run->secrets));
    run->secrets[run->nsecrets++] = tp_xstrdup(secret);
}

/* Writes a secret file (mode 0600) and returns its path, or NULL after failing `f`. */
static const char *write_secret_file(struct frame *f, const char *id, const char *name,
                                     const char *content)
{
    struct run *run = f->run;
    const char *dir = tp_arena_printf(&run->arena, "%s@tmp/secretFiles/%s", run->workspace, id);
    const char *base = strrchr(name, '/');
    base = base != NULL ? base + 1 : name;
    const char *path = tp_arena_printf(&run->arena, "%s/%s", dir, *base ? base : "secret");
    int err = strchr(id, '/') != NULL || strstr(id, "..") != NULL ? TP_EINVAL : tp_fs_mkdir_p(dir);
    if (err == 0)
        err = tp_fs_write_file(path, content, strlen(content), 0600);
    if (err < 0) {
        tp_frame_fail(f, TP_RESULT_FAILURE, true,
                      tp_arena_printf(&run->arena, "cannot write the secret file of %s: %s", id,
                                      tp_strerror(err)));
        return NULL;
    }
    return path;
}

/* Binds `c` the way its kind binds: `variable` gets the secret (or file path, or user:pass),
 * `user`/`pass` (may be NULL) the username and password. */
static int bind_credential(struct frame *f, const char *id, const cJSON *c, const char *kind,
                           const char *variable, const char *user, const char *pass)
{
    struct run *run = f->run;
    const char *type = field(c, "type");
    if (strcmp(kind, "any") == 0)
        kind = type;
    if (strcmp(type, kind) != 0 &&
        !(strcmp(kind, "usernameColonPassword") == 0 && strcmp(type, "usernamePassword") == 0)) {
        tp_frame_fail(f, TP_RESULT_FAILURE, false,
                      tp_arena_printf(&run->arena,
                                      "%sCredentials '%s' is of type '%s' where '%s' was expected",
                                      NOT_FOUND, id, type, kind));
        return TP_EINVAL;
    }
    if (strcmp(type, "string") == 0) {
        add_secret(run, field(c, "secret"));
        if (variable != NULL)
            tp_env_set(&f->env, variable, field(c, "secret"));
        return 0;
    }
    if (strcmp(type, "usernamePassword") == 0) {
        const char *joined =
            tp_arena_printf(&run->arena, "%s:%s", field(c, "username"), field(c, "password"));
        add_secret(run, joined);
        add_secret(run, field(c, "password"));
        if (variable != NULL)
            tp_env_set(&f->env, variable, joined);
        if (user != NULL)
            tp_env_set(&f->env, user, field(c, "username"));
        if (pass != NULL)
            tp_env_set(&f->env, pass, field(c, "password"));
        return 0;
    }
    if (strcmp(type, "aws") == 0) {
        /* {"type": "aws", "accessKey": "...", "secretKey": "..."} */
        add_secret(run, field(c, "secretKey"));
        if (user != NULL)
            tp_env_set(&f->env, user, field(c, "accessKey"));
        if (pass != NULL)
            tp_env_set(&f->env, pass, field(c, "secretKey"));
        return 0;
    }
    if (strcmp(type, "file") == 0 || strcmp(type, "sshUserPrivateKey") == 0) {
        bool key = type[0] == 's';
        const char *path = write_secret_file(f, id, key ? "key" : field(c, "fileName"),
                                             field(c, key ? "privateKey" : "content"));
        if (path == NULL)
            return TP_EINVAL;
        if (key)
            add_secret(run, field(c, "passphrase"));
        if (variable != NULL)
            tp_env_set(&f->env, variable, path);
        if (user != NULL && key)
            tp_env_set(&f->env, user, field(c, "username"));
        if (pass != NULL && key)
            tp_env_set(&f->env, pass, field(c, "passphrase"));
        return 0;
    }
    tp_frame_fail(f, TP_RESULT_FAILURE, false,
                  tp_arena_printf(&run->arena,
                                  "%sNo suitable binding handler could be found for type %s.",
                                  NOT_FOUND, type));
    return TP_EINVAL;
}

int tp_credentials_ssh_key(struct frame *f, const char *id, bool quiet, const char **key_path,
                           const char **username, const char **passphrase)
{
    struct run *run = f->run;
    const cJSON *c;
    if (quiet) { /* looked for without failing: it may be missing */
        const cJSON *store = store_of(f);
        if (store == NULL)
            return TP_EINVAL;
        c = cJSON_GetObjectItemCaseSensitive(store, id);
        if (!cJSON_IsObject(c))
            return TP_ENOTFOUND;
    } else if ((c = find(f, id)) == NULL) {
        return f->failed && f->run->credentials == NULL ? TP_EINVAL : TP_ENOTFOUND;
    }
    if (strcmp(field(c, "type"), "sshUserPrivateKey") != 0) {
        tp_frame_fail(f, TP_RESULT_FAILURE, true,
                      tp_arena_printf(&run->arena, "credentials %s are not an SSH key", id));
        return TP_EINVAL;
    }
    *key_path = write_secret_file(f, id, "key", field(c, "privateKey"));
    if (*key_path == NULL)
        return TP_EINVAL;
    *username = field(c, "username");
    *passphrase = field(c, "passphrase");
    add_secret(run, *passphrase);
    return 0;
}

int tp_credentials_env(struct frame *f, const char *key, const char *id)
{
    const cJSON *c = find(f, id);
    if (c == NULL)
        return TP_EINVAL;
    char *user = tp_arena_printf(&f->run->arena, "%s_USR", key);
    char *pass = tp_arena_printf(&f->run->arena, "%s_PSW", key);
    return bind_credential(f, id, c, "any", key, user, pass);
}

/* The text of a named argument of a binding call, evaluated; NULL when absent. */
static const char *arg(struct frame *f, const struct tp_expr *call, const char *name)
{
    const char *text = NULL;
    tp_frame_eval_text(f, tp_ast_named_arg(call, name), &text);
    return text;
}

/* The kind a `[$class: 'StringBinding', ...]` binding names (the symbol it is written as
 * now), or NULL after failing `f` for a class tidepool does not bind. */
static const char *binding_class(struct frame *f, const struct tp_expr *b)
{
    static const char *const classes[][2] = {
        { "StringBinding", "string" },
        { "UsernamePasswordMultiBinding", "usernamePassword" },
        { "UsernamePasswordBinding", "usernameColonPassword" },
        { "FileBinding", "file" },
        { "SSHUserPrivateKeyBinding", "sshUserPrivateKey" },
        { "AmazonWebServicesCredentialsBinding", "aws" },
    };
    const char *name = arg(f, b, "$class");
    for (size_t i = 0; name != NULL && i < sizeof(classes) / sizeof(classes[0]); i++) {
        if (strcmp(name, classes[i][0]) == 0)
            return classes[i][1];
    }
    tp_frame_fail(f, TP_RESULT_FAILURE, true,
                  tp_arena_printf(&f->run->arena,
                                  "withCredentials: tidepool binds no %s (string, username and "
                                  "password, file, SSH key and AWS bindings only)",
                                  name != NULL ? name : "binding without a $class"));
    return NULL;
}

int tp_credentials_with(struct frame *f, const struct tp_expr *bindings)
{
    if (bindings == NULL || bindings->kind != TP_EXPR_LIST) {
        tp_frame_fail(f, TP_RESULT_FAILURE, true,
                      "withCredentials expects a list of bindings: [string(credentialsId: 'id', "
                      "variable: 'NAME')]");
        return TP_EINVAL;
    }
    struct tp_buf names;
    tp_buf_init(&names);
    int err = 0;
    for (size_t i = 0; i < bindings->args.count && err == 0; i++) {
        const struct tp_expr *b = bindings->args.items[i];
        const char *kind = b->kind == TP_EXPR_CALL  ? b->text
                           : b->kind == TP_EXPR_MAP ? binding_class(f, b)
                                                    : NULL;
        if (kind == NULL) {
            if (!f->failed)
                tp_frame_fail(f, TP_RESULT_FAILURE, true,
                              "withCredentials: a binding is a call, string(credentialsId: 'id', "
                              "variable: 'V'), or a map with a known $class");
            err = TP_EINVAL;
            break;
        }
        const char *id = arg(f, b, "credentialsId");
        const char *variable = arg(f, b, "variable");
        const char *user = arg(f, b, "usernameVariable");
        const char *pass = arg(f, b, "passwordVariable");
        if (strcmp(kind, "sshUserPrivateKey") == 0) {
            variable = arg(f, b, "keyFileVariable");
            pass = arg(f, b, "passphraseVariable");
        } else if (strcmp(kind, "aws") == 0) {
            /* the access key id and the secret key, in AWS's own variables by default */
            user = arg(f, b, "accessKeyVariable");
            pass = arg(f, b, "secretKeyVariable");
            user = user != NULL ? user : "AWS_ACCESS_KEY_ID";
            pass = pass != NULL ? pass : "AWS_SECRET_ACCESS_KEY";
        }
        if (f->failed) {
            err = TP_EINVAL;
            break;
        }
        if (id == NULL) {
            tp_frame_fail(f, TP_RESULT_FAILURE, true,
                          tp_arena_printf(&f->run->arena,
                                          "withCredentials: %s needs a "
                                          "credentialsId",
                                          kind));
            err = TP_EINVAL;
            break;
        }
        const cJSON *c = find(f, id);
        if (c == NULL) {
            err = TP_EINVAL;
            break;
        }
        if (strcmp(kind, "usernameColonPassword") == 0)
            user = pass = NULL;
        err = bind_credential(f, id, c, kind, variable, user, pass);
        const char *bound[] = { variable, user, pass };
        for (size_t k = 0; k < 3; k++) {
            if (bound[k] != NULL)
                tp_buf_printf(&names, "%s$%s", names.len ? " or " : "", bound[k]);
        }
    }
    if (err == 0 && names.len > 0)
        tp_run_logf(f->run, "Masking supported pattern matches of %s\n", tp_buf_str(&names));
    tp_buf_close(&names);
    return err;
}

void tp_credentials_mask(const struct run *run, const char *data, size_t len, struct tp_buf *out)
{
    size_t i = 0;
    while (i < len) {
        size_t best = 0;
        for (size_t k = 0; k < run->nsecrets; k++) {
            size_t n = strlen(run->secrets[k]);
            if (n > best && n <= len - i && memcmp(data + i, run->secrets[k], n) == 0)
                best = n; /* the longest secret at this place: user:pass before pass */
        }
        if (best > 0) {
            tp_buf_puts(out, "****");
            i += best;
        } else {
            tp_buf_putc(out, data[i++]);
        }
    }
}

void tp_credentials_run_end(struct run *run)
{
    for (size_t i = 0; i < run->nsecrets; i++)
        free(run->secrets[i]);
    free(run->secrets);
    run->secrets = NULL;
    run->nsecrets = 0;
    cJSON_Delete(run->credentials);
    run->credentials = NULL;
    if (run->workspace != NULL)
        tp_fs_remove_tree(tp_arena_printf(&run->arena, "%s@tmp/secretFiles", run->workspace));
}
