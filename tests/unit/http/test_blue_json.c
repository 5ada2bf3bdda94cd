/* SPDX-License-Identifier: MIT */
/* http/blue_json: resource shapes, compared as compact JSON. */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/json.h"
#include "harness/tp_test.h"
#include "http/blue_json.h"

static char *print(cJSON *json)
{
    char *text = cJSON_PrintUnformatted(json);
    cJSON_Delete(json);
    return text;
}

TP_TEST(node_edges_carry_their_target_type)
{
    setenv("TZ", "UTC", 1);
    struct tp_run_rec run = { .pipeline = "p 1", .number = 3 };
    struct tp_node_rec node = { .node_id = 11,
                                .name = "Run Tests",
                                .type = TP_NODE_STAGE,
                                .first_parent = 6,
                                .state = TP_STATE_FINISHED,
                                .result = TP_RESULT_SUCCESS,
                                .start_ms = 1714557600000,
                                .end_ms = 1714557600250 };
    struct tp_blue_edge edges[] = { { 14, TP_NODE_PARALLEL }, { 49, TP_NODE_STAGE } };
    char *text = print(tp_blue_node_json(&run, &node, edges, 2, false, false, 0));
    ASSERT_STR_EQ(
        "{\"_class\":\"io.jenkins.blueocean.rest.impl.pipeline.PipelineNodeImpl\",\"_links\":{"
        "\"self\":{\"_class\":\"io.jenkins.blueocean.rest.hal.Link\",\"href\":\"/blue/rest/"
        "organizations/jenkins/pipelines/p%201/runs/3/nodes/11/\"},\"actions\":{\"_class\":"
        "\"io.jenkins.blueocean.rest.hal.Link\",\"href\":\"/blue/rest/organizations/jenkins/"
        "pipelines/p%201/runs/3/nodes/11/actions/\"},\"steps\":{\"_class\":\"io.jenkins."
        "blueocean.rest.hal.Link\",\"href\":\"/blue/rest/organizations/jenkins/pipelines/"
        "p%201/runs/3/nodes/11/steps/\"}},\"actions\":[],\"displayDescription\":null,"
        "\"displayName\":\"Run Tests\",\"durationInMillis\":250,\"edges\":[{\"_class\":\"io."
        "jenkins.blueocean.rest.impl.pipeline.PipelineNodeImpl$EdgeImpl\",\"id\":\"14\","
        "\"type\":\"PARALLEL\"},{\"_class\":\"io.jenkins.blueocean.rest.impl.pipeline."
        "PipelineNodeImpl$EdgeImpl\",\"id\":\"49\",\"type\":\"STAGE\"}],\"firstParent\":\"6\","
        "\"id\":\"11\",\"input\":null,\"result\":\"SUCCESS\",\"startTime\":\"2024-05-01T10:00:"
        "00.000+0000\",\"state\":\"FINISHED\",\"type\":\"STAGE\",\"causeOfBlockage\":null,"
        "\"restartable\":false}",
        text);
    free(text);
}

TP_TEST(future_node_has_no_state_result_or_start)
{
    struct tp_run_rec run = { .pipeline = "p", .number = 4 };
    struct tp_node_rec node = { .node_id = 17,
                                .name = "Deploy",
                                .type = TP_NODE_STAGE,
                                .state = TP_STATE_FINISHED,
                                .result = TP_RESULT_SUCCESS,
                                .start_ms = 1714557600000,
                                .end_ms = 1714557600250 };
    cJSON *o = tp_blue_node_json(&run, &node, NULL, 0, true, false, 0);
    ASSERT_TRUE(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "state")));
    ASSERT_TRUE(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "result")));
    ASSERT_TRUE(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "startTime")));
    ASSERT_EQ(0, (int)cJSON_GetObjectItemCaseSensitive(o, "durationInMillis")->valuedouble);
    cJSON_Delete(o);
}

TP_TEST(queued_run_is_a_queued_blue_run)
{
    struct tp_run_rec run = { .pipeline = "p",
                              .number = 2,
                              .queue_id = 9,
                              .state = TP_STATE_QUEUED,
                              .result = TP_RESULT_UNKNOWN,
                              .enqueue_ms = 1714557600000,
                              .cause = "Started by user x",
                              .cause_user = "x" };
    struct tp_blue_run_context ctx = { .estimated_duration_ms = -1 };
    cJSON *json = tp_blue_run_json(&run, &ctx, false);
    ASSERT_STR_EQ("io.jenkins.blueocean.service.embedded.rest.QueuedBlueRun",
                  tp_json_get_str(json, "_class"));
    ASSERT_STR_EQ("2", tp_json_get_str(json, "id"));
    ASSERT_STR_EQ("9", tp_json_get_str(json, "queueId"));
    ASSERT_STR_EQ("QUEUED", tp_json_get_str(json, "state"));
    ASSERT_STR_EQ("UNKNOWN", tp_json_get_str(json, "result"));
    ASSERT_STR_EQ("QueuedItem", tp_json_get_str(json, "type"));
    ASSERT_TRUE(cJSON_IsNull(cJSON_GetObjectItem(json, "enQueueTime")));
    ASSERT_STR_EQ("Waiting for next available executor", tp_json_get_str(json, "causeOfBlockage"));
    ASSERT_TRUE(cJSON_GetObjectItem(json, "nodes") == NULL);
    cJSON_Delete(json);
}

TP_TEST_LIST(TP_CASE(node_edges_carry_their_target_type),
             TP_CASE(future_node_has_no_state_result_or_start),
             TP_CASE(queued_run_is_a_queued_blue_run))
