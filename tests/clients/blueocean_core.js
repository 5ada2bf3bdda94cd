// The real @jenkins-cd/blueocean-core-js (Blue Ocean's own JavaScript library) against
// tidepool, in Node with a jsdom page as Blue Ocean's web page would give it: fetch a pipeline
// (every answer goes through the capabilities API), the search pager, start a run, the runs
// pager, the run until FINISHED, its nodes, its log with its headers, replay, and SseBus
// hearing job_run_started and job_run_ended for the run.
// Usage: node blueocean_core.js http://127.0.0.1:PORT JOB
'use strict';

const base = process.argv[2];
const job = process.argv[3];

const fail = (message) => {
    console.log('FAIL ' + message);
    process.exit(1);
};
setTimeout(() => fail('timed out'), 60000);
process.on('unhandledRejection', (e) => fail('unhandled rejection: ' + (e && e.stack || e)));

// 1. The page Blue Ocean serves: root URL and app URL in <head>, window/document globals.
const { JSDOM } = require('jsdom');
const dom = new JSDOM(
    '<!DOCTYPE html><html><head data-rooturl="" data-appurl="/blue" data-resurl="/static" ' +
    'data-servertime="' + Date.now() + '"></head><body><div id="root"></div></body></html>',
    { url: base + '/blue/' });
global.window = dom.window;
global.document = dom.window.document;
global.navigator = dom.window.navigator;
global.localStorage = dom.window.localStorage;
global.$blueocean = {
    organization: { name: 'jenkins', displayName: 'Jenkins', organizationGroup: '/' },
    config: { jenkinsConfig: { security: { enabled: false, enableJWT: false }, version: '2.479.3' },
              features: {} },
    jsExtensions: [],
};

// 2. Root-relative URLs go to the server; the library keeps data-rooturl empty.
const absolute = (url) => (typeof url === 'string' && url.startsWith('/') ? base + url : url);
const nativeFetch = global.fetch;
const requests = [];
global.fetch = (url, options) => {
    requests.push((options && options.method || 'GET') + ' ' + url);
    return nativeFetch(absolute(url), options);
};
window.fetch = global.fetch;
const NodeXHR = require('xmlhttprequest').XMLHttpRequest;
global.XMLHttpRequest = function () {
    const xhr = new NodeXHR();
    const open = xhr.open;
    xhr.open = function (method, url, ...rest) {
        return open.call(this, method, absolute(url), ...rest);
    };
    return xhr;
};
const NodeEventSource = require('eventsource');
window.EventSource = function (url, init) {
    return new NodeEventSource(absolute(url), init);
};
global.EventSource = window.EventSource;

const core = require('@jenkins-cd/blueocean-core-js');
const { Fetch, pipelineService, activityService, RunApi, SseBus, capable } = core;

const until = async (what, test, ms = 30000) => {
    const deadline = Date.now() + ms;
    for (;;) {
        const value = await test();
        if (value)
            return value;
        if (Date.now() > deadline)
            fail('never: ' + what);
        await new Promise((r) => setTimeout(r, 50));
    }
};

(async () => {
    const pipelineHref = '/blue/rest/organizations/jenkins/pipelines/' + job + '/';

    // SseBus: the run's start and end, heard over the gateway
    const heard = [];
    SseBus.subscribeToJob((run, event) => heard.push([event.jenkins_event, run && run.state]),
                       (event) => event.job_name === job);
    await until('the SSE connection is up', () => window.JenkinsBlueOceanCoreJSSSEConnected);

    // the pipeline, with capabilities
    const pipeline = await pipelineService.fetchPipeline(pipelineHref, { useCache: false });
    if (pipeline.name !== job || pipeline._links.self.href !== pipelineHref)
        fail('pipeline ' + JSON.stringify(pipeline));
    if (!capable(pipeline, 'io.jenkins.blueocean.rest.model.BluePipeline') ||
        !capable(pipeline, 'hudson.model.Job') ||
        capable(pipeline, 'io.jenkins.blueocean.rest.model.BlueBranch'))
        fail('capabilities of ' + pipeline._class);

    // the search pager (what the dashboard lists)
    const pager = pipelineService.pipelinesPager('jenkins', '*' + job.slice(0, 3) + '*');
    await until('the pipelines pager loads', () => !pager.pending && pager.data.length > 0);
    if (!pager.data.some((p) => p.name === job))
        fail('search pager ' + JSON.stringify(pager.data.map((p) => p.name)));

    // start a run, as the Run button does
    await new Promise((r) => setTimeout(r, 300)); // the SSE subscription settles
    const queued = await RunApi.startRun(pipeline);
    if (queued.state !== 'QUEUED' || queued.id !== '1')
        fail('queued run ' + JSON.stringify(queued));

    // the runs pager
    const runs = activityService.activityPager('jenkins', job);
    await until('the runs pager shows the run', () => !runs.pending && runs.data.length > 0);

    // the run until it is done
    const runHref = pipelineHref + 'runs/1/';
    const done = await until('the run finishes', async () => {
        const run = await activityService.fetchActivity(runHref, { useCache: false });
        return run.state === 'FINISHED' ? run : null;
    });
    if (done.result !== 'SUCCESS')
        fail('run ' + JSON.stringify(done));

    // nodes and the log, with the headers the log view reads
    const nodes = await Fetch.fetchJSON(runHref + 'nodes/');
    if (nodes.map((n) => n.displayName).join() !== 'Build')
        fail('nodes ' + JSON.stringify(nodes));
    const log = await Fetch.fetch(runHref + 'log/?start=0');
    const text = await log.text();
    if (!text.includes('hello from tidepool') || log.headers.get('X-Text-Size') === null ||
        log.headers.get('X-More-Data') === 'true')
        fail('log ' + text);

    // replay
    const replayed = await RunApi.replayRun(done);
    if (replayed.state !== 'QUEUED' || replayed.id !== '2')
        fail('replay ' + JSON.stringify(replayed));
    await until('the replay finishes', async () => {
        const run = await activityService.fetchActivity(pipelineHref + 'runs/2/', { useCache: false });
        return run.state === 'FINISHED';
    });

    // what SseBus heard for run 1
    await until('SseBus hears the run end', () => heard.filter((h) => h[0] === 'job_run_ended').length >= 1);
    const names = heard.map((h) => h[0]);
    if (names.indexOf('job_run_started') < 0 || names.indexOf('job_run_ended') < names.indexOf('job_run_started'))
        fail('SseBus heard ' + JSON.stringify(heard));
    if (!requests.some((r) => r.startsWith('POST') && r.includes('/blue/rest/classes/')))
        fail('no capabilities request was made: ' + JSON.stringify(requests));
    console.log('ok blueocean-core-js ' + names.join(' '));
    process.exit(0);
})().catch((e) => fail(e && e.stack || String(e)));
