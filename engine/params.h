/* SPDX-License-Identifier: MIT */
/*
 * Build parameters: the values a run gets from its trigger and its Jenkinsfile's
 * `parameters {}` definitions, validated as Blue Ocean validates `POST .../runs/`, and the
 * parameter definitions as Jenkins exports them. Pure.
 */
#ifndef TP_ENGINE_PARAMS_H
#define TP_ENGINE_PARAMS_H

#include <cjson/cJSON.h>

#include "jenkinsfile/plan.h"

struct tp_buf;

/*
 * Resolves the values of a run of `plan`: `given` is the trigger's "parameters" array
 * ([{"name":..,"value":..}], NULL when the trigger gave none). Every definition gets a value:
 * the one given, else its default. `*values` is a new array [{"name":..,"value":..}] (string
 * values; true/false for booleanParam) the caller frees with cJSON_Delete.
 * Returns 0, or TP_EINVAL with Blue Ocean's message in `error` ("This is parameterized job,
 * requires parameters", "No such parameter definition: X", ...).
 */
int tp_params_resolve(const struct tp_plan *plan, const cJSON *given, cJSON **values,
                      struct tp_buf *error);

/* The same over a list of definitions (an input's `parameters`). */
int tp_params_resolve_defs(const struct tp_plan_param *defs, size_t ndefs, const cJSON *given,
                           cJSON **values, struct tp_buf *error);

/* The value of parameter `name` in a resolved array, as its string, or NULL. */
const char *tp_params_get(const cJSON *values, const char *name);

/* Jenkins' export of the plan's parameter definitions (hudson.model.*ParameterDefinition). */
cJSON *tp_params_definitions_json(const struct tp_plan *plan);
/* The parameter definitions of a job: its Jenkinsfile's `parameters {}` (`plan`, may be NULL),
 * else those its config.xml declared (`xml_defs`, a Groovy list, may be NULL; read into
 * `arena`). Never fails: unreadable definitions count as none. */
void tp_params_of_job(const struct tp_plan *plan, const char *xml_defs, struct tp_arena *arena,
                      const struct tp_plan_param **defs, size_t *n);
cJSON *tp_params_definitions_defs(const struct tp_plan_param *defs, size_t ndefs);

#endif
