/* SPDX-License-Identifier: MIT */
/* engine/runstate: the transition table and the result algebra. */
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "engine/eval.h"
#include "engine/linebuf.h"
#include "engine/runstate.h"
#include "harness/tp_test.h"
#include "jenkinsfile/parser.h"

TP_TEST(every_transition_matches_the_table)
{
    struct {
        enum tp_state from;
        enum tp_run_event event;
        int to; /* -1: illegal */
    } expected[] = {
        { TP_STATE_QUEUED, TP_RUN_EV_START, TP_STATE_RUNNING },
        { TP_STATE_QUEUED, TP_RUN_EV_ABORT, TP_STATE_FINISHED },
        { TP_STATE_QUEUED, TP_RUN_EV_FINISH, -1 },
        { TP_STATE_QUEUED, TP_RUN_EV_PAUSE, -1 },
        { TP_STATE_QUEUED, TP_RUN_EV_RESUME, -1 },
        { TP_STATE_RUNNING, TP_RUN_EV_PAUSE, TP_STATE_PAUSED },
        { TP_STATE_RUNNING, TP_RUN_EV_FINISH, TP_STATE_FINISHED },
        { TP_STATE_RUNNING, TP_RUN_EV_ABORT, TP_STATE_FINISHED },
        { TP_STATE_RUNNING, TP_RUN_EV_START, -1 },
        { TP_STATE_RUNNING, TP_RUN_EV_RESUME, -1 },
        { TP_STATE_PAUSED, TP_RUN_EV_RESUME, TP_STATE_RUNNING },
        { TP_STATE_PAUSED, TP_RUN_EV_ABORT, TP_STATE_FINISHED },
        { TP_STATE_PAUSED, TP_RUN_EV_FINISH, -1 },
        { TP_STATE_PAUSED, TP_RUN_EV_START, -1 },
        { TP_STATE_PAUSED, TP_RUN_EV_PAUSE, -1 },
    };

    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
        enum tp_state next = TP_STATE_NONE;
        int err = tp_runstate_next(expected[i].from, expected[i].event, &next);
        if (expected[i].to < 0) {
            ASSERT_EQ(TP_ECONFLICT, err);
        } else {
            ASSERT_OK(err);
            ASSERT_EQ(expected[i].to, next);
        }
    }
    /* A finished run never changes again. */
    for (int ev = 0; ev < TP_RUN_EV_COUNT; ev++) {
        enum tp_state next;
        ASSERT_EQ(TP_ECONFLICT, tp_runstate_next(TP_STATE_FINISHED, (enum tp_run_event)ev, &next));
    }
    enum tp_state next;
    ASSERT_EQ(TP_EINVAL, tp_runstate_next(TP_STATE_COUNT, TP_RUN_EV_START, &next));
}

TP_TEST(results_only_get_worse)
{
    ASSERT_EQ(TP_RESULT_FAILURE, tp_result_worse(TP_RESULT_SUCCESS, TP_RESULT_FAILURE));
    ASSERT_EQ(TP_RESULT_FAILURE, tp_result_worse(TP_RESULT_FAILURE, TP_RESULT_UNSTABLE));
    ASSERT_EQ(TP_RESULT_ABORTED, tp_result_worse(TP_RESULT_ABORTED, TP_RESULT_FAILURE));
    ASSERT_EQ(TP_RESULT_UNSTABLE, tp_result_worse(TP_RESULT_UNKNOWN, TP_RESULT_UNSTABLE));
    ASSERT_EQ(TP_RESULT_SUCCESS, tp_result_worse(TP_RESULT_SUCCESS, TP_RESULT_NONE));
}

TP_TEST_LIST(TP_CASE(every_transition_matches_the_table), TP_CASE(results_only_get_worse))
