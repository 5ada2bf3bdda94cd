/* SPDX-License-Identifier: MIT */
/*
 * Credentials (private to engine/): the local secret store `<data>/credentials.json`, the
 * `credentials('id')` helper of `environment {}`, the `withCredentials` bindings, and the
 * masking of every bound secret as `****` in the run's log.
 *
 * The store maps ids to credentials, read when a run first needs one:
 *
 *   { "api-token": { "type": "string", "secret": "..." },
 *     "deploy":    { "type": "usernamePassword", "username": "...", "password": "..." },
 *     "kubeconfig":{ "type": "file", "fileName": "config", "content": "..." },
 *     "git-key":   { "type": "sshUserPrivateKey", "username": "git", "privateKey": "...",
 *                    "passphrase": "..." },
 *     "aws-key":   { "type": "aws", "accessKey": "AKIA...", "secretKey": "..." } }
 *
 * A file credential (and an SSH key) is written, mode 0600, under
 * `<workspace>@tmp/secretFiles/`, removed when the run ends.
 */
#ifndef TP_ENGINE_CREDENTIALS_H
#define TP_ENGINE_CREDENTIALS_H

#include <stdbool.h>
#include <stddef.h>

struct frame;
struct run;
struct tp_buf;
struct tp_expr;

/* environment { KEY = credentials('id') }: binds KEY (and KEY_USR, KEY_PSW for a username and
 * password or an SSH key) in f's environment. Returns 0, or TP_EINVAL after failing `f`. */
int tp_credentials_env(struct frame *f, const char *key, const char *id);
/* withCredentials([string(credentialsId: 'id', variable: 'V'), ...]): binds each in f's
 * environment. Returns 0, or TP_EINVAL after failing `f`. */
int tp_credentials_with(struct frame *f, const struct tp_expr *bindings);
/* The SSH key `id` (sshagent): its file written (0600), its username and passphrase (masked
 * from now on). Returns 0; TP_ENOTFOUND when there is no such credential (`f` failed with
 * Jenkins' message, unless `quiet`); TP_EINVAL after failing `f` (not a key, unwritable). */
int tp_credentials_ssh_key(struct frame *f, const char *id, bool quiet, const char **key_path,
                           const char **username, const char **passphrase);
/* Appends `data` to `out` with every secret of the run replaced by "****". */
void tp_credentials_mask(const struct run *run, const char *data, size_t len, struct tp_buf *out);
/* Forgets the run's secrets and removes its secret files. */
void tp_credentials_run_end(struct run *run);

#endif
