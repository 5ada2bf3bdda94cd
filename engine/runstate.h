/* SPDX-License-Identifier: MIT */
/*
 * The life of a run as one pure transition table (Blue Ocean's run states, spec §4.2):
 *
 *   QUEUED --START--> RUNNING --FINISH--> FINISHED (result SUCCESS|UNSTABLE|FAILURE|...)
 *     |                |   ^                 ^
 *     |              PAUSE RESUME            |
 *     |                v   |                 |
 *     +----ABORT---> PAUSED ----ABORT--------+  (ABORT from RUNNING too: result ABORTED)
 *
 * Invariants: (1) result is UNKNOWN until FINISHED; (2) a FINISHED run never changes.
 * Also the result algebra: results only get worse, in Jenkins' order.
 */
#ifndef TP_ENGINE_RUNSTATE_H
#define TP_ENGINE_RUNSTATE_H

#include "store/store.h"

enum tp_run_event {
    TP_RUN_EV_START,
    TP_RUN_EV_PAUSE,
    TP_RUN_EV_RESUME,
    TP_RUN_EV_FINISH,
    TP_RUN_EV_ABORT,
    TP_RUN_EV_COUNT
};

/*
 * Looks up the state that `event` leads to from `state`.
 * Returns 0 with *next set, or TP_ECONFLICT when the table has no such transition.
 */
int tp_runstate_next(enum tp_state state, enum tp_run_event event, enum tp_state *next);

/* The worse of two results (Result.combine in Jenkins): SUCCESS < UNSTABLE < FAILURE <
 * NOT_BUILT < ABORTED. */
enum tp_result tp_result_worse(enum tp_result a, enum tp_result b);

#endif
