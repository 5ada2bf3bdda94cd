/* SPDX-License-Identifier: MIT */
/*
 * Jenkins' HTTP linter, as editor plugins and scripts call it: POST
 * /pipeline-model-converter/validate (plain text) and .../validateJenkinsfile (JSON), both
 * taking the form field `jenkinsfile`. One route table, the same compiler as `tidepool lint`.
 */
#ifndef TP_HTTP_LINT_H
#define TP_HTTP_LINT_H

#include "http/router.h"

extern const struct tp_route_table tp_lint_table;

#endif
