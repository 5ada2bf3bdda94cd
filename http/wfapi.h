/* SPDX-License-Identifier: MIT */
/*
 * Pipeline: Stage View's REST API (`wfapi`), as dashboards poll it: a job's description and
 * its runs (RunExt with their stages), one run, one stage with its steps (stageFlowNodes), a
 * step's log, the run's pending inputs and the proceed/abort URLs they name. Statuses in Stage
 * View's words (SUCCESS, FAILED, UNSTABLE, ABORTED, IN_PROGRESS, PAUSED_PENDING_INPUT,
 * NOT_EXECUTED); hrefs relative to the root, as Jenkins writes them.
 */
#ifndef TP_HTTP_WFAPI_H
#define TP_HTTP_WFAPI_H

#include "http/router.h"

extern const struct tp_route_table tp_wfapi_table;

#endif
