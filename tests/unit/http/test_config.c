/* SPDX-License-Identifier: MIT */
/* http/config: config.xml as Jenkins and jenkins-job-builder write it. */
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "harness/tp_test.h"
#include "http/config.h"

#define HEAD "<?xml version='1.1' encoding='UTF-8'?><flow-definition plugin=\"workflow-job\">"
#define DEF                                                                                      \
    "<definition class=\"org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition\">"                \
    "<script>pipeline { agent any; stages { stage('A') { steps { echo &quot;a &amp;&lt;b&quot; " \
    "} } } }</script></definition>"

TP_TEST(config_reads_script_description_and_parameters)
{
    static const char xml[] =
        HEAD "<description>it's &lt;mine&gt;</description><disabled>true</disabled><properties>"
             "<hudson.model.ParametersDefinitionProperty><parameterDefinitions>"
             "<hudson.model.StringParameterDefinition><name>S</name><description>d</description>"
             "<defaultValue>it's</defaultValue><trim>true</trim>"
             "</hudson.model.StringParameterDefinition>"
             "<hudson.model.BooleanParameterDefinition><name>B</name>"
             "<defaultValue>true</defaultValue></hudson.model.BooleanParameterDefinition>"
             "<hudson.model.ChoiceParameterDefinition><name>C1</name><choices class=\"java.util."
             "Arrays$ArrayList\"><a class=\"string-array\"><string>x</string><string>y</string>"
             "</a></choices></hudson.model.ChoiceParameterDefinition>"
             "<hudson.model.ChoiceParameterDefinition><name>C2</name><choices><string>p</string>"
             "</choices></hudson.model.ChoiceParameterDefinition>"
             "<hudson.model.ChoiceParameterDefinition><name>C3</name><choices>m\nn</choices>"
             "</hudson.model.ChoiceParameterDefinition>"
             "</parameterDefinitions></hudson.model.ParametersDefinitionProperty></properties>" DEF
             "</flow-definition>";
    struct tp_job_config c;
    struct tp_buf error;
    tp_buf_init(&error);
    ASSERT_OK(tp_job_config_parse(xml, strlen(xml), &c, &error));
    ASSERT_STR_EQ("pipeline { agent any; stages { stage('A') { steps { echo \"a &<b\" } } } }",
                  c.script);
    ASSERT_STR_EQ("it's <mine>", c.description);
    ASSERT_TRUE(c.disabled);
    ASSERT_STR_EQ("[string(name: 'S', defaultValue: 'it\\'s', description: 'd', trim: true), "
                  "booleanParam(name: 'B', defaultValue: true, description: ''), "
                  "choice(name: 'C1', choices: ['x', 'y'], description: ''), "
                  "choice(name: 'C2', choices: ['p'], description: ''), "
                  "choice(name: 'C3', choices: ['m', 'n'], description: '')]",
                  c.parameters);
    tp_job_config_close(&c);
    tp_buf_close(&error);
}

TP_TEST(config_reads_a_folder)
{
    static const char xml[] =
        "<?xml version='1.1' encoding='UTF-8'?>\n"
        "<com.cloudbees.hudson.plugins.folder.Folder plugin=\"cloudbees-folder\">"
        "<actions/><description>team &amp; co</description><properties/>"
        "</com.cloudbees.hudson.plugins.folder.Folder>";
    struct tp_job_config c;
    struct tp_buf error;
    tp_buf_init(&error);
    ASSERT_EQ(0, tp_job_config_parse(xml, sizeof(xml) - 1, &c, &error));
    ASSERT_TRUE(c.folder);
    ASSERT_STR_EQ("team & co", c.description);
    ASSERT_TRUE(c.script == NULL);
    struct tp_buf out;
    tp_buf_init(&out);
    tp_folder_config_write("a<b", &out);
    tp_job_config_close(&c);
    ASSERT_EQ(0, tp_job_config_parse(out.data, out.len, &c, &error));
    ASSERT_TRUE(c.folder);
    ASSERT_STR_EQ("a<b", c.description);
    tp_job_config_close(&c);
    tp_buf_close(&out);
    tp_buf_close(&error);
}

TP_TEST(config_refuses_what_it_cannot_run)
{
    static const struct {
        const char *xml, *error;
    } cases[] = {
        { HEAD "<definition", "Malformed config.xml" },
        { "<project><builders/></project>", "tidepool runs Pipeline jobs (flow-definition) only" },
        { HEAD "<definition class=\"org.jenkinsci.plugins.workflow.cps.CpsScmFlowDefinition\">"
               "</definition></flow-definition>",
          "config.xml has no git repository url" },
        { HEAD "<definition class=\"org.jenkinsci.plugins.workflow.cps.CpsScmFlowDefinition\">"
               "<scm class=\"hudson.scm.SubversionSCM\"/></definition></flow-definition>",
          "tidepool runs Pipeline scripts from git repositories only" },
        { HEAD "<description/></flow-definition>", "config.xml has no Pipeline script" },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct tp_job_config c;
        struct tp_buf error;
        tp_buf_init(&error);
        ASSERT_EQ(TP_EINVAL, tp_job_config_parse(cases[i].xml, strlen(cases[i].xml), &c, &error));
        ASSERT_TRUE(strncmp(tp_buf_str(&error), cases[i].error, strlen(cases[i].error)) == 0);
        ASSERT_TRUE(c.script == NULL);
        tp_buf_close(&error);
    }
}

TP_TEST(config_written_reads_back)
{
    struct tp_buf xml, error;
    tp_buf_init(&xml);
    tp_buf_init(&error);
    tp_job_config_write("echo \"<&>\" 'x'", "desc", false, &xml);
    struct tp_job_config c;
    ASSERT_OK(tp_job_config_parse(xml.data, xml.len, &c, &error));
    ASSERT_STR_EQ("echo \"<&>\" 'x'", c.script);
    ASSERT_STR_EQ("desc", c.description);
    ASSERT_TRUE(!c.disabled && c.parameters == NULL);
    tp_job_config_close(&c);
    tp_buf_close(&xml);
    tp_buf_close(&error);
}

TP_TEST_LIST(TP_CASE(config_reads_script_description_and_parameters),
             TP_CASE(config_reads_a_folder), TP_CASE(config_refuses_what_it_cannot_run),
             TP_CASE(config_written_reads_back))
