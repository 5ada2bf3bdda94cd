/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "harness/tp_test.h"
#include "jenkinsfile/plan.h"

static struct tp_plan *compile(const char *src, int *err)
{
    struct tp_plan *plan;
    *err = tp_plan_compile(src, strlen(src), &plan);
    return plan;
}

/* The first diagnostic as "L:C: message". */
static const char *first_error(struct tp_plan *plan, char *out, size_t size)
{
    if (plan->diags.count == 0)
        return "(none)";
    const struct tp_diag *d = &plan->diags.items[0];
    snprintf(out, size, "%d:%d: %s", d->line, d->col, d->message);
    return out;
}

TP_TEST(ids_follow_jenkins_flow_node_allocation)
{
    int err;
    /* Blue Ocean's anchor: agent any + stage + echo -> the echo is flow node 7. */
    struct tp_plan *plan = compile("pipeline { agent any\n stages { stage('Example') {\n"
                                   " steps { echo 'Hello World' } } } }",
                                   &err);
    ASSERT_OK(err);
    ASSERT_EQ(1, plan->nstages);
    ASSERT_EQ(6, plan->stages[0]->id);
    ASSERT_EQ(7, plan->stages[0]->steps.items[0].id);
    tp_plan_free(plan);

    plan = compile("pipeline {\n agent any\n environment { A = 'a' }\n stages {\n"
                   "  stage('One') { steps { echo 'x'; sh 'y' } }\n"
                   "  stage('Two') { environment { B = \"$A\" }\n steps { sh 'z' } }\n"
                   "  stage('Three') { steps { echo 'w' } }\n }\n}\n",
                   &err);
    ASSERT_OK(err);
    ASSERT_EQ(3, plan->nstages);
    /* start 2, node 3/4, withEnv 5/6, stage One 7/8, echo 9, sh 10, ends 11/12 */
    ASSERT_EQ(8, plan->stages[0]->id);
    ASSERT_EQ(9, plan->stages[0]->steps.items[0].id);
    ASSERT_EQ(10, plan->stages[0]->steps.items[1].id);
    /* stage Two 13/14, withEnv 15/16, sh 17, ends 18..21 */
    ASSERT_EQ(14, plan->stages[1]->id);
    ASSERT_EQ(17, plan->stages[1]->steps.items[0].id);
    ASSERT_EQ(23, plan->stages[2]->id);
    ASSERT_STR_EQ("14", plan->stages[0]->edges);
    ASSERT_STR_EQ("23", plan->stages[1]->edges);
    ASSERT_STR_EQ("", plan->stages[2]->edges);
    ASSERT_EQ(0, plan->stages[0]->first_parent);
    ASSERT_EQ(8, plan->stages[1]->first_parent);
    ASSERT_TRUE(tp_plan_find_stage(plan, 14) == plan->stages[1]);
    ASSERT_TRUE(tp_plan_find_stage(plan, 15) == NULL);
    ASSERT_STR_EQ("A", plan->env[0].key);
    ASSERT_STR_EQ("B", plan->stages[1]->env[0].key);
    tp_plan_free(plan);

    plan = compile("pipeline { agent none; stages { stage('S') { steps { echo 'e' } } } }", &err);
    ASSERT_OK(err);
    ASSERT_EQ(TP_AGENT_NONE, plan->agent.kind);
    ASSERT_EQ(4, plan->stages[0]->id);
    tp_plan_free(plan);
}

struct error_case {
    const char *src;
    const char *expected; /* first diagnostic, "L:C: message" */
};

TP_TEST(validation_speaks_jenkins)
{
    static const struct error_case cases[] = {
        { "pipeline {\n agent any\n foo { }\n stages { stage('a') { steps { echo 'x' } } }\n}",
          "3:2: Undefined section \"foo\"" },
        { "pipeline {\n agent any\n}", "1:1: Missing required section \"stages\"" },
        { "pipeline {\n stages { stage('a') { steps { echo 'x' } } }\n}",
          "1:1: Missing required section \"agent\"" },
        { "pipeline {\n agent any\n agent none\n stages { stage('a') { steps { echo 'x' } } }\n}",
          "3:2: Multiple occurrences of the agent section" },
        { "pipeline {\n agent any\n stages { }\n}", "3:2: No stages specified" },
        { "pipeline {\n agent any\n stages { echo 'x' }\n}", "3:11: Expected a stage" },
        { "pipeline {\n agent any\n stages {\n  stage('a') {\n   sh 'make'\n  }\n }\n}",
          "5:4: Unknown stage section \"sh\". Starting with version 0.5, steps in a stage must be "
          "in a ‘steps’ block." },
        { "pipeline {\n agent any\n stages {\n  stage('a') { }\n }\n}",
          "4:3: Expected one of \"steps\", \"stages\", or \"parallel\" for stage \"a\"" },
        { "pipeline {\n agent any\n stages {\n  stage('a') { steps { } }\n }\n}",
          "4:16: No steps specified for branch" },
        { "pipeline {\n agent any\n stages {\n  stage('a') { steps { echo 'x' } }\n"
          "  stage('a') { steps { echo 'y' } }\n }\n}",
          "5:3: Duplicate stage name: \"a\"" },
        { "pipeline {\n agent any\n stages {\n  stage { steps { echo 'x' } }\n }\n}",
          "4:3: Expected a stage name but did not find any" },
        { "pipeline {\n agent linux\n stages { stage('a') { steps { echo 'x' } } }\n}",
          "2:2: Only \"agent none\", \"agent any\" or \"agent {...}\" are allowed." },
        { "pipeline {\n agent { label 'a'; docker 'b' }\n stages { stage('a') { steps { echo "
          "'x' } } }\n}",
          "2:2: Only one agent type is allowed per agent section" },
        { "pipeline {\n agent { foo 'x' }\n stages { stage('a') { steps { echo 'x' } } }\n}",
          "2:10: Invalid agent type \"foo\" specified. Must be one of [any, docker, dockerfile, "
          "kubernetes, label, none, node]" },
        { "pipeline {\n agent any\n environment { A = 'x' - 'y' }\n stages { stage('a') { "
          "steps { echo 'x' } } }\n}",
          "3:24: Environment variable values can only be joined together with ‘+’s." },
        { "pipeline {\n agent any\n environment { A = 'x'\n A = 'y' }\n stages { stage('a') { "
          "steps { echo 'x' } } }\n}",
          "4:2: Duplicate environment variable name: \"A\"" },
        { "pipeline {\n agent any\n environment { A = B }\n stages { stage('a') { steps { echo "
          "'x' } } }\n}",
          "3:20: Environment variable values must either be single quoted, double quoted, or "
          "function calls." },
        { "pipeline {\n agent any\n environment { }\n stages { stage('a') { steps { echo 'x' } "
          "} }\n}",
          "3:2: No variables specified for environment" },
        { "pipeline {\n agent any\n properties { }\n stages { stage('a') { steps { echo 'x' } "
          "} }\n}",
          "3:2: The ‘properties’ section has been renamed as of version 0.8. Use ‘options’ "
          "instead." },
        { "pipeline {\n agent any\n x = 1\n stages { stage('a') { steps { echo 'x' } } }\n}",
          "3:2: Not a valid section definition: \"x = 1\". Some extra configuration is "
          "required." },
        { "pipeline {\n agent any\n stages { stage('a') { steps { stage('b') { } } } }\n}",
          "3:32: Invalid step \"stage\" used - not allowed in this context - The stage step "
          "cannot be used in Declarative Pipelines" },
        { "pipeline\n", "1:1: Expected a block with the \"pipeline\" step" },
        { "node {\n  pipeline {\n    agent any\n  }\n}\n",
          "2:3: pipeline block must be at the top-level, not within another block." },
        { "pipeline {\n agent any\n options { [a: 1] }\n stages { stage('a') { steps { echo 'x' "
          "} } }\n}",
          "3:12: Options cannot be defined as maps" },
        { "pipeline {\n agent any\n environment { A = ${B} }\n stages { stage('a') { steps { "
          "echo 'x' } } }\n}",
          "3:20: ${B} cannot be used as a value directly. Did you mean \"${B}\"? (add quotes)" },
        { "echo 'scripted'\n",
          "1:1: No pipeline { ... } block found: tidepool runs declarative pipelines" },
        { "pipeline {\n agent any\n post { }\n stages { stage('a') { steps { echo 'x' } } }\n}",
          "3:2: post can not be empty" },
        { "pipeline {\n agent any\n post { foo { echo 'x' } }\n stages { stage('a') { steps { echo "
          "'x' } } }\n}",
          "3:9: Invalid condition \"foo\" - valid conditions are [always, changed, fixed, "
          "regression, aborted, success, unsuccessful, unstable, failure, notBuilt, cleanup]" },
        { "pipeline {\n agent any\n post { always { echo 'x' }\n always { echo 'y' } }\n stages { "
          "stage('a') { steps { echo 'x' } } }\n}",
          "4:2: Duplicate build condition name: \"always\"" },
        { "pipeline {\n agent any\n post { echo 'x' }\n stages { stage('a') { steps { echo 'x' } } "
          "}\n}",
          "3:9: The ‘post’ section can only contain build condition names with code blocks. Valid "
          "condition names are [always, changed, fixed, regression, aborted, success, "
          "unsuccessful, unstable, failure, notBuilt, cleanup]" },
        { "pipeline {\n agent any\n options { foo() }\n stages { stage('a') { steps { echo 'x' } } "
          "}\n}",
          "3:12: Invalid option type \"foo\". Valid option types: [ansiColor, buildDiscarder, "
          "checkoutToSubdirectory, copyArtifactPermission, disableConcurrentBuilds, "
          "disableRestartFromStage, disableResume, durabilityHint, githubProjectProperty, lock, "
          "newContainerPerStage, overrideIndexTriggers, parallelsAlwaysFailFast, preserveStashes, "
          "quietPeriod, rateLimitBuilds, retry, skipDefaultCheckout, skipStagesAfterUnstable, "
          "throttle, timeout, timestamps, withCredentials, withEnv]" },
        { "pipeline {\n agent any\n options { timeout(time: 1)\n timeout(time: 2) }\n stages { "
          "stage('a') { steps { echo 'x' } } }\n}",
          "4:2: Duplicate option name: \"timeout\"" },
        { "pipeline {\n agent any\n options { timeout(time: 1) { echo 'x' } }\n stages { "
          "stage('a') { steps { echo 'x' } } }\n}",
          "3:12: Options definitions cannot have blocks" },
        { "pipeline {\n agent any\n options { parameters([]) }\n stages { stage('a') { steps { "
          "echo 'x' } } }\n}",
          "3:12: The \"parameters\" job property can't be used in the \"options\" directive. Use "
          "the \"parameters {...}\" directive instead." },
        { "pipeline {\n agent any\n parameters { foo(name: 'x') }\n stages { stage('a') { steps { "
          "echo 'x' } } }\n}",
          "3:15: Invalid parameter type \"foo\". Valid parameter types: [activeChoice, "
          "booleanParam, choice, credentials, extendedChoice, file, gitParameter, password, "
          "reactiveChoice, run, string, text]" },
        { "pipeline {\n agent any\n parameters { string('a', name: 'x') }\n stages { stage('a') { "
          "steps { echo 'x' } } }\n}",
          "3:15: Cannot mix named and unnamed arguments" },
        { "pipeline {\n agent any\n triggers { cron('H * * * *')\n cron('@daily') }\n stages { "
          "stage('a') { steps { echo 'x' } } }\n}",
          "4:2: Duplicate trigger name: \"cron\"" },
        { "pipeline {\n agent any\n triggers { nightly() }\n stages { stage('a') { steps { echo "
          "'x' } } }\n}",
          "3:13: Invalid trigger type \"nightly\". Valid trigger types: [GenericTrigger, "
          "bitbucketPush, cron, gitlab, githubPush, issueCommentTrigger, parameterizedCron, "
          "pollSCM, upstream]" },
        { "pipeline {\n agent any\n tools { }\n stages { stage('a') { steps { echo 'x' } } }\n}",
          "3:2: No tools specified" },
        { "pipeline {\n agent any\n tools { cobol 'x' }\n stages { stage('a') { steps { echo 'x' } "
          "} }\n}",
          "3:10: Invalid tool type \"cobol\". Valid tool types: [ant, dotnetsdk, go, gradle, jdk, "
          "maven, msbuild, nodejs, terraform]" },
        { "pipeline {\n agent any\n libraries { x('a') }\n stages { stage('a') { steps { echo 'x' "
          "} } }\n}",
          "3:14: Expected a \"lib(...)\" but got libraries { x('a') }" },
        { "pipeline {\n agent any\n stages { stage('a') { when { } \n steps { echo 'x' } } }\n}",
          "3:24: Empty when closure, remove the property or add some content." },
        { "pipeline {\n agent any\n stages { stage('a') { when { foo() } \n steps { echo 'x' } } "
          "}\n}",
          "3:31: Unknown conditional foo. Valid conditionals are: allOf, anyOf, branch, "
          "buildingTag, changeRequest, changelog, changeset, environment, equals, expression, "
          "isRestartedRun, not, tag, triggeredBy" },
        { "pipeline {\n agent any\n stages { stage('a') { when { not { branch 'a'; branch 'b' } } "
          "\n steps { echo 'x' } } }\n}",
          "3:31: Nested when condition \"not\" requires exactly 1 child condition(s)." },
        { "pipeline {\n agent any\n stages { stage('a') { when { anyOf { } } \n steps { echo 'x' } "
          "} }\n}",
          "3:31: Nested when condition \"anyOf\" requires at least one child condition." },
        { "pipeline {\n agent any\n stages { stage('a') { when { beforeAgent 'yes'; branch 'x' } "
          "\n steps { echo 'x' } } }\n}",
          "3:31: Expected a boolean with beforeAgent" },
        { "pipeline {\n agent any\n stages { stage('a') { input { ok 'go' } \n steps { echo 'x' } "
          "} }\n}",
          "3:24: No message specified for input" },
        { "pipeline {\n agent any\n stages { stage('a') { input { message 'm'; submiter 'bob' } \n "
          "steps { echo 'x' } } }\n}",
          "3:45: Not a valid field for input: \"submiter\"" },
        { "pipeline {\n agent any\n stages { stage('a') { input { message 'm'; ok 'a', 'b' } \n "
          "steps { echo 'x' } } }\n}",
          "3:45: Too many arguments for field \"ok\"" },
        { "pipeline {\n agent any\n stages { stage('a') { failFast 'yes'\n parallel { stage('b') { "
          "steps { echo 'x' } } } } }\n}",
          "3:24: Expected a boolean with failFast" },
        { "pipeline {\n agent any\n stages { stage('a') { agent any\n parallel { stage('b') { "
          "steps { echo 'x' } } } } }\n}",
          "3:24: \"agent\" is not allowed in stage \"a\" as it contains parallel or matrix "
          "stages" },
        { "pipeline {\n agent any\n stages { stage('a') { parallel { stage('b') { parallel { "
          "stage('c') { steps { echo 'x' } } } } } } }\n}",
          "3:48: \"matrix\" or \"parallel\" cannot be nested inside another \"matrix\" or "
          "\"parallel\"." },
        { "pipeline {\n agent any\n stages { stage('a') { steps { echo 'x' }\n stages { stage('b') "
          "{ steps { echo 'y' } } } } }\n}",
          "3:11: Only one of \"matrix\", \"parallel\", \"stages\", or \"steps\" allowed for stage "
          "\"a\"" },
        { "pipeline {\n agent any\n stages { stage('a') { steps { echo 'x'; parallel(b: { echo 'y' "
          "}) } } }\n}",
          "3:42: Invalid step \"parallel\" used - not allowed in this context - The parallel step "
          "can only be used as the only top-level step in a stage's step block" },
        { "pipeline {\n agent any\n stages { stage('a') { matrix { stages { stage('b') { steps { "
          "echo 'x' } } } } } }\n}",
          "3:24: Missing required section \"axes\"" },
        { "pipeline {\n agent any\n stages { stage('a') { matrix { axes { axis { name 'a-b'; "
          "values 'x' } } \n stages { stage('b') { steps { echo 'x' } } } } } }\n}",
          "3:40: \"a-b\" is not a valid identifier and cannot be used for an environment variable. "
          "Identifiers must start with a letter or underscore and can contain only letters, "
          "numbers or underscores." },
        { "pipeline {\n agent any\n stages { stage('a') { matrix { axes { axis { name 'A'; values "
          "'x', 'x' } } \n stages { stage('b') { steps { echo 'x' } } } } } }\n}",
          "3:69: Duplicate axis value: \"x\"" },
        { "pipeline {\n agent any\n stages { stage('a') { matrix { axes { } \n stages { stage('b') "
          "{ steps { echo 'x' } } } } } }\n}",
          "3:33: No axis directives specified" },
        { "pipeline {\n agent any\n stages { stage('a') { agent { docker { args '-v x' } }\n steps "
          "{ echo 'x' } } }\n}",
          "3:32: Missing required parameter for agent type \"docker\": image" },
        { "pipeline {\n agent any\n stages { stage('a') { agent { node { lable 'x' } }\n steps { "
          "echo 'x' } } }\n}",
          "3:39: Invalid config option \"lable\" for agent type \"node\". Valid config options are "
          "[customWorkspace, label, retries]" },
    };
    char text[1024];
    int mismatches = 0;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int err;
        struct tp_plan *plan = compile(cases[i].src, &err);
        const char *got = first_error(plan, text, sizeof(text));
        if (err != TP_ESYNTAX || strcmp(cases[i].expected, got) != 0 || plan->nstages != 0) {
            printf("  case %zu:\n    expected %s\n    got      %s\n", i, cases[i].expected, got);
            mismatches++;
        }
        tp_plan_free(plan);
    }
    ASSERT_EQ(0, mismatches);
}

TP_TEST(every_error_is_collected_and_formatted_like_groovy)
{
    int err;
    struct tp_plan *plan = compile("pipeline {\n  agent any\n  foo { }\n  stages {\n"
                                   "    stage('a') { steps { echo 'x' } }\n"
                                   "    stage('a') { steps { echo 'y' } }\n  }\n}\n",
                                   &err);
    ASSERT_EQ(TP_ESYNTAX, err);
    ASSERT_EQ(2, plan->diags.count);
    struct tp_buf out;
    tp_buf_init(&out);
    tp_plan_format_errors(plan, &out);
    ASSERT_STR_EQ("org.codehaus.groovy.control.MultipleCompilationErrorsException: startup "
                  "failed:\n"
                  "WorkflowScript: 3: Undefined section \"foo\" @ line 3, column 3.\n"
                  "     foo { }\n"
                  "     ^\n"
                  "\n"
                  "WorkflowScript: 6: Duplicate stage name: \"a\" @ line 6, column 5.\n"
                  "       stage('a') { steps { echo 'y' } }\n"
                  "       ^\n"
                  "\n"
                  "2 errors\n",
                  out.data);
    tp_buf_close(&out);
    tp_plan_free(plan);
}

TP_TEST(oversized_source_is_refused)
{
    size_t len = TP_LEX_MAX_SOURCE + 1;
    char *big = malloc(len);
    memset(big, ' ', len);
    struct tp_plan *plan;
    ASSERT_EQ(TP_ETOOBIG, tp_plan_compile(big, len, &plan));
    ASSERT_EQ(1, plan->diags.count);
    tp_plan_free(plan);
    free(big);
}

TP_TEST_LIST(TP_CASE(ids_follow_jenkins_flow_node_allocation), TP_CASE(validation_speaks_jenkins),
             TP_CASE(every_error_is_collected_and_formatted_like_groovy),
             TP_CASE(oversized_source_is_refused))
