// Drives tidepool with node-jenkins (npm `jenkins`) and jenkins-api, as their users do.
// Usage: node npm_clients.js BASE_URL; prints "ok <what>" lines, exits non-zero on a failure.
"use strict";
const assert = require("assert");
const util = require("util");
const Jenkins = require("jenkins");
const jenkinsApi = require("jenkins-api");

const base = process.argv[2];

async function until(what, fn, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting for " + what);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function nodeJenkins() {
  const jenkins = new Jenkins({ baseUrl: base, crumbIssuer: true });
  const info = await jenkins.info();
  assert.strictEqual(info._class, "hudson.model.Hudson");
  assert.ok(await jenkins.job.exists("params"));
  assert.ok(!(await jenkins.job.exists("nope")));
  const names = (await jenkins.job.list()).map((j) => j.name).sort();
  assert.deepStrictEqual(names, ["params", "slow"]);
  const queueId = await jenkins.job.build({ name: "params", parameters: { GREETING: "node" } });
  const item = await until("executable", async () => (await jenkins.queue.item(queueId)).executable);
  const number = item.number;
  const build = await until("finished", async () => {
    const b = await jenkins.build.get("params", number);
    return b.building ? null : b;
  });
  assert.strictEqual(build.result, "SUCCESS");
  const log = await jenkins.build.log("params", number);
  assert.ok(log.includes("greeting=node loud=false\n"), log);
  // the log stream reads progressiveText until X-More-Data stops
  const streamed = await new Promise((resolve, reject) => {
    let text = "";
    const stream = jenkins.build.logStream("params", number, { delay: 20 });
    stream.on("data", (chunk) => (text += chunk));
    stream.on("error", reject);
    stream.on("end", () => resolve(text));
  });
  assert.strictEqual(streamed, log);
  console.log("ok node-jenkins build, queue, log, logStream");

  const xml = await jenkins.job.config("params");
  assert.ok(xml.includes("<flow-definition"), xml);
  await jenkins.job.create("made", xml);
  await jenkins.job.disable("made");
  assert.strictEqual((await jenkins.job.get("made")).color, "disabled");
  await jenkins.job.enable("made");
  await jenkins.job.destroy("made");
  assert.ok(!(await jenkins.job.exists("made")));
  console.log("ok node-jenkins job create, disable, enable, destroy (302s)");

  const slowQueue = await jenkins.job.build("slow");
  const slow = await until("slow started", async () => (await jenkins.queue.item(slowQueue)).executable);
  await jenkins.build.stop("slow", slow.number);
  const stopped = await until("slow stopped", async () => {
    const b = await jenkins.build.get("slow", slow.number);
    return b.building ? null : b;
  });
  assert.strictEqual(stopped.result, "ABORTED");
  const nodes = await jenkins.node.list();
  assert.strictEqual(nodes[0].displayName, "master");
  assert.ok(Array.isArray(await jenkins.queue.list()));
  console.log("ok node-jenkins stop, nodes, queue");
}

async function jenkinsApiClient() {
  const api = jenkinsApi.init(base);
  const call = (name, ...args) => util.promisify(api[name]).call(api, ...args);
  const jobs = await call("all_jobs");
  assert.ok(jobs.some((j) => j.name === "params"));
  const started = await call("build_with_params", "params", { GREETING: "api" });
  assert.ok(started.queueId > 0);
  const item = await until("executable", async () => (await call("queue_item", started.queueId)).executable);
  await until("finished", async () => !(await call("build_info", "params", item.number)).building);
  const last = await call("last_build_info", "params");
  assert.strictEqual(last.number, item.number);
  assert.strictEqual(last.result, "SUCCESS");
  const output = await call("console_output", "params", item.number);
  assert.ok(JSON.stringify(output).includes("greeting=api"), JSON.stringify(output));
  const builds = await call("all_builds", "params");
  assert.ok(builds.length >= 2);
  console.log("ok jenkins-api jobs, build_with_params, queue_item, last_build_info, console");
}

(async () => {
  await nodeJenkins();
  await jenkinsApiClient();
})().catch((err) => {
  console.error("FAIL", err && err.stack ? err.stack : err);
  process.exit(1);
});
