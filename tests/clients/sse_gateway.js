// The real @jenkins-cd/sse-gateway headless client against tidepool: connect, subscribe to the
// `job` channel filtered on the job's name and to the `pipeline` channel, start a run once the
// subscription is acknowledged, and check the events of that run arrive, in order.
// Usage: node sse_gateway.js http://127.0.0.1:PORT JOB
'use strict';

const base = process.argv[2];
const job = process.argv[3];
const sse = require('@jenkins-cd/sse-gateway/headless-client');

const fail = (message) => {
    console.log('FAIL ' + message);
    process.exit(1);
};
setTimeout(() => fail('timed out; job events seen: ' + JSON.stringify(jobEvents)), 20000);

const jobEvents = [];
const pipelineEvents = [];
let started = false;

const connection = sse.connect({
    clientId: 'tidepool-test',
    jenkinsUrl: base,
    onConnect: () => {
        connection.subscribe({
            channelName: 'pipeline',
            filter: { pipeline_job_name: job },
            onEvent: (event) => pipelineEvents.push(event),
        });
        connection.subscribe({
            channelName: 'job',
            filter: { job_name: job },
            onEvent: (event) => {
                if (event.jenkins_channel !== 'job' || event.job_name !== job)
                    fail('an event the filter does not match: ' + JSON.stringify(event));
                for (const [key, value] of Object.entries(event)) {
                    if (typeof value !== 'string')
                        fail('a value that is not a string: ' + key);
                }
                jobEvents.push(event.jenkins_event);
                if (event.jenkins_event === 'job_run_ended')
                    finish(event);
            },
            onSubscribed: () => {
                if (started)
                    return;
                started = true;
                fetch(base + '/job/' + job + '/build', { method: 'POST' }).then((r) => {
                    if (r.status !== 201)
                        fail('build answered ' + r.status);
                });
            },
        });
    },
});

function finish(ended) {
    const want = ['job_run_queue_enter', 'job_run_queue_left', 'job_run_started', 'job_run_ended'];
    if (JSON.stringify(jobEvents) !== JSON.stringify(want))
        fail('job events ' + JSON.stringify(jobEvents));
    if (ended.job_run_status !== 'SUCCESS' || ended.jenkins_object_id !== '1' ||
        ended.blueocean_job_rest_url !== '/blue/rest/organizations/jenkins/pipelines/' + job + '/' ||
        ended.jenkins_object_url !== 'job/' + job + '/1/' || ended.jenkins_org !== 'jenkins' ||
        ended.sse_subs_dispatcher === undefined)
        fail('job_run_ended ' + JSON.stringify(ended));
    // pipeline events come before the run ends; give the stream a moment for nothing else
    const names = pipelineEvents.map((e) => e.jenkins_event);
    if (names[0] !== 'pipeline_start' || names[names.length - 1] !== 'pipeline_end' ||
        !names.includes('pipeline_stage') || !names.includes('pipeline_step'))
        fail('pipeline events ' + JSON.stringify(names));
    const step = pipelineEvents.find((e) => e.jenkins_event === 'pipeline_step');
    if (step.pipeline_step_name !== 'sh' || step.pipeline_run_id !== '1' ||
        step.pipeline_step_stage_name !== 'Build')
        fail('pipeline_step ' + JSON.stringify(step));
    console.log('ok sse-gateway ' + jobEvents.join(' ') + ' | ' + names.join(' '));
    connection.disconnect();
    process.exit(0);
}
