/* SPDX-License-Identifier: MIT */
#include "engine/runstate.h"

#include <stdint.h>

#include "common/err.h"

/* Cells hold GO(state) = state + 1, so a cell left out of an initializer (0) means "no such
 * transition" rather than silently meaning QUEUED. */
#define GO(s) ((uint8_t)((s) + 1))

static const uint8_t table[TP_STATE_COUNT][TP_RUN_EV_COUNT] = {
    [TP_STATE_QUEUED] = { [TP_RUN_EV_START] = GO(TP_STATE_RUNNING),
                          [TP_RUN_EV_ABORT] = GO(TP_STATE_FINISHED) },
    [TP_STATE_RUNNING] = { [TP_RUN_EV_PAUSE] = GO(TP_STATE_PAUSED),
                           [TP_RUN_EV_FINISH] = GO(TP_STATE_FINISHED),
                           [TP_RUN_EV_ABORT] = GO(TP_STATE_FINISHED) },
    [TP_STATE_PAUSED] = { [TP_RUN_EV_RESUME] = GO(TP_STATE_RUNNING),
                          [TP_RUN_EV_ABORT] = GO(TP_STATE_FINISHED) },
};

int tp_runstate_next(enum tp_state state, enum tp_run_event event, enum tp_state *next)
{
    if ((unsigned)state >= TP_STATE_COUNT || (unsigned)event >= TP_RUN_EV_COUNT)
        return TP_EINVAL;
    uint8_t cell = table[state][event];
    if (cell == 0)
        return TP_ECONFLICT;
    *next = (enum tp_state)(cell - 1);
    return 0;
}

enum tp_result tp_result_worse(enum tp_result a, enum tp_result b)
{
    /* Only the five real results are ordered; UNKNOWN/NONE never win over one of them. */
    if (a > TP_RESULT_ABORTED)
        return b;
    if (b > TP_RESULT_ABORTED)
        return a;
    return a > b ? a : b;
}
