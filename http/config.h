/* SPDX-License-Identifier: MIT */
/*
 * A job's config.xml, read with expat as Jenkins and jenkins-job-builder write it: a Pipeline
 * job (`flow-definition`) with an inline script (CpsFlowDefinition) or one read from a git
 * repository when a build starts (CpsScmFlowDefinition), its description, whether
 * it is disabled, and its parameter definitions (string, text, booleanParam, choice, password;
 * choices in their three spellings), kept as the Groovy list the input step and the engine
 * read: `[string(name: 'X', defaultValue: 'y', description: '')]`; the job properties
 * disable-concurrent-builds, build discarder and timer triggers. Also the XML tidepool
 * answers for a job it did not get XML for. Pure.
 */
#ifndef TP_HTTP_CONFIG_H
#define TP_HTTP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct tp_buf;

struct tp_job_config {
    char *script;      /* the Jenkinsfile */
    char *description; /* NULL when none */
    char *parameters;  /* Groovy list of definitions, NULL when none */
    bool disabled;
    bool folder; /* a Folder's config.xml: no script, no parameters */
    /* job properties: DisableConcurrentBuildsJobProperty, BuildDiscarderProperty's
     * LogRotator (-1: not set), TimerTrigger specs (newline-separated, NULL when none) */
    bool no_concurrent;
    int keep_runs, keep_days;
    char *cron;
    /* CpsScmFlowDefinition (GitSCM): the repository, branch spec and script path (NULL when
     * not given); `script` is then "" */
    char *scm_url, *scm_branch, *script_path;
};

/* The root element of a folder's config.xml. */
#define TP_FOLDER_XML_ROOT "com.cloudbees.hudson.plugins.folder.Folder"

enum {
    TP_CONFIG_MAX = 4 << 20 /* bytes of a config.xml */
};

/*
 * Reads config.xml `xml` into `out` (owned: free with tp_job_config_close).
 * Returns 0, or TP_EINVAL with the reason in `error` (malformed XML, not a Pipeline job, a
 * script from SCM, no script) — nothing is kept.
 */
int tp_job_config_parse(const char *xml, size_t len, struct tp_job_config *out,
                        struct tp_buf *error);
void tp_job_config_close(struct tp_job_config *config);

/* Appends a Folder's config.xml. */
void tp_folder_config_write(const char *description, struct tp_buf *out);
/* Appends a flow-definition config.xml for a job with this script and description. */
void tp_job_config_write(const char *script, const char *description, bool disabled,
                         struct tp_buf *out);

#endif
