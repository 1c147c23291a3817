// @temporalio/worker on the sidecar (src/sdk), against a real dev server and the sidecar
// built from this repository: the SDK's own workflows, activities and replayer, with
// only the Worker's creation changed.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { Client, Connection, WorkflowFailedError, WorkflowUpdateFailedError } from "@temporalio/client";
import { ApplicationFailure } from "@temporalio/common";
import { DeterminismViolationError } from "@temporalio/workflow";
import { coresdk } from "@temporalio/proto";
import {
  DefaultLogger,
  Runtime,
  Worker,
  bundleWorkflowCode,
  type WorkflowBundleWithSourceMap,
} from "@temporalio/worker";

import {
  SidecarRefusedError,
  SidecarWorker,
  UnsupportedTemporalVersionError,
  UnsupportedWorkerOptionError,
  checkTemporalWorkerVersion,
  discoverWorkflows,
} from "../sdk/index.js";
import { runIdOf, taskTokenOf, undelimit } from "../sdk/wire.js";
import * as activities from "./fixtures/activities.js";
import { Env, NAMESPACE, REPO_ROOT, portIsFree, waitUntil } from "./harness.js";

// The SDK's logs at WARN and above, so that a failure shows what the worker saw.
Runtime.install({ logger: new DefaultLogger("WARN") });

const FIXTURE_WORKFLOWS = require.resolve("./fixtures/workflows.js");

describe("wire helpers", () => {
  test("read the run id and task token of sdk-core's delimited messages", () => {
    const completion = coresdk.workflow_completion.WorkflowActivationCompletion.encodeDelimited({
      runId: "run-1",
      successful: { commands: [{ startTimer: { seq: 1 } }] },
    }).finish();
    const plain = undelimit(Buffer.from(completion));
    assert.equal(runIdOf(plain), "run-1");
    assert.equal(
      coresdk.workflow_completion.WorkflowActivationCompletion.decode(plain).successful?.commands?.[0]?.startTimer?.seq,
      1,
    );
    const token = Buffer.from([0, 1, 2, 250, 251]);
    const hb = coresdk.ActivityHeartbeat.encodeDelimited({ taskToken: token, details: [{ data: Buffer.from("x") }] }).finish();
    assert.equal(taskTokenOf(undelimit(Buffer.from(hb))), token.toString("base64"));
    const done = coresdk.ActivityTaskCompletion.encodeDelimited({ taskToken: token, result: { completed: {} } }).finish();
    assert.equal(taskTokenOf(undelimit(Buffer.from(done))), token.toString("base64"));
    assert.throws(() => undelimit(Buffer.from([5, 1, 2])), /says 5 bytes, has 2/);
  });
});

describe("version and options", () => {
  test("the pinned @temporalio/worker is supported; one outside the range is refused naming both", () => {
    assert.equal(checkTemporalWorkerVersion(), "1.24.0");
    assert.equal(checkTemporalWorkerVersion("1.22.0"), "1.22.0");
    assert.throws(
      () => checkTemporalWorkerVersion("1.21.1"),
      (err: Error) =>
        err instanceof UnsupportedTemporalVersionError && /1\.21\.1/.test(err.message) && /1\.22\.0 to 1\.24\.x/.test(err.message),
    );
    assert.throws(() => checkTemporalWorkerVersion("1.25.0"), UnsupportedTemporalVersionError);
  });

  test("workflow types are read from the workflows module", () => {
    assert.deepEqual(discoverWorkflows(FIXTURE_WORKFLOWS), {
      names: ["cancellable", "child", "collector", "drifting", "failing", "greeter", "localShouter", "parent", "tsGreeter"],
      dynamic: false,
    });
    assert.equal(discoverWorkflows("/nonexistent/workflows.js"), undefined);
  });

  test("a rate limit the sidecar owns is refused before connecting", async () => {
    await assert.rejects(
      SidecarWorker.create({ taskQueue: "x", activities, maxActivitiesPerSecond: 5 }),
      (err: Error) => err instanceof UnsupportedWorkerOptionError && /--activities-per-second/.test(err.message),
    );
  });
});

describe("through the sidecar", () => {
  const env = new Env();
  let bridge = "";
  let connection: Connection;
  let client: Client;
  let bundle: WorkflowBundleWithSourceMap;
  const workflowTypes = discoverWorkflows(FIXTURE_WORKFLOWS)!.names;

  before(async () => {
    await Promise.all([
      env.setUp(),
      bundleWorkflowCode({ workflowsPath: FIXTURE_WORKFLOWS, logger: new DefaultLogger("WARN") }).then((b) => (bundle = b)),
    ]);
    bridge = (await env.startSidecar()).address;
    // The client too goes through the sidecar's WorkflowService proxy.
    connection = await Connection.connect({ address: bridge });
    client = new Client({ connection, namespace: NAMESPACE });
  });

  after(async () => {
    await connection?.close();
    await env.tearDown();
  });

  /** A SidecarWorker on its own task queue with the test workflows and activities, running fn. */
  async function withWorker<T>(fn: (taskQueue: string) => Promise<T>, extra: Record<string, unknown> = {}): Promise<T> {
    const taskQueue = `ts-${randomUUID()}`;
    const worker = await SidecarWorker.create({
      workflowBundle: bundle,
      activities,
      taskQueue,
      namespace: NAMESPACE,
      sidecar: { address: bridge, workflowTypes },
      ...extra,
    });
    return await worker.runUntil(fn(taskQueue));
  }

  test("activities and timers", async () => {
    const result = await withWorker((taskQueue) =>
      client.workflow.execute("greeter", { taskQueue, workflowId: randomUUID(), args: ["sidecar"] }),
    );
    assert.equal(result, "Hello, sidecar!");
  });

  test("signals, queries and updates", async () => {
    await withWorker(async (taskQueue) => {
      const handle = await client.workflow.start("collector", { taskQueue, workflowId: randomUUID() });
      await handle.signal("add", "a");
      await handle.signal("add", "b");
      assert.deepEqual(await handle.query("items"), ["a", "b"]);
      assert.equal(await handle.executeUpdate("setPrefix", { args: [">"] }), "");
      assert.deepEqual(await handle.query("items"), [">a", ">b"]);
      // The validator rejects; the workflow goes on.
      await assert.rejects(
        handle.executeUpdate("setPrefix", { args: [""] }),
        (err: Error) => err instanceof WorkflowUpdateFailedError && /the prefix must not be empty/.test(String(err.cause)),
      );
      await handle.signal("add", "c");
      await handle.signal("done");
      assert.deepEqual(await handle.result(), [">a", ">b", ">c"]);
    });
  });

  test("child workflows", async () => {
    const workflowId = randomUUID();
    const result = await withWorker((taskQueue) => client.workflow.execute("parent", { taskQueue, workflowId, args: [3] }));
    assert.deepEqual(result, [0, 1, 2].map((i) => `child c${i} of ${workflowId}`));
  });

  test("local activities", async () => {
    const workflowId = randomUUID();
    const result = await withWorker((taskQueue) =>
      client.workflow.execute("localShouter", { taskQueue, workflowId, args: [["one", "two", "three"]] }),
    );
    assert.equal(result, "ONE TWO THREE");
    // Recorded as sdk-core's local activity markers, not as scheduled activities.
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const markers = history.events!.filter((e) => e.markerRecordedEventAttributes?.markerName === "core_local_activity");
    assert.equal(markers.length, 3);
    assert.equal(history.events!.filter((e) => e.activityTaskScheduledEventAttributes != null).length, 0);
  });

  test("cancellation reaches a running activity, and cleanup runs", async () => {
    const key = randomUUID();
    await withWorker(async (taskQueue) => {
      const handle = await client.workflow.start("cancellable", { taskQueue, workflowId: randomUUID(), args: [key] });
      await waitUntil(() => activities.cancelProbe.started.has(key), 20_000, () => "the activity did not start");
      await handle.cancel();
      assert.equal(await handle.result(), "Hello, cleanup!");
    });
    assert.equal(activities.cancelProbe.cancelledWith.get(key), "CANCELLED");
  });

  test("a workflow failure reaches the client as the SDK encoded it", async () => {
    const err = await withWorker((taskQueue) =>
      client.workflow.execute("failing", { taskQueue, workflowId: randomUUID(), args: ["on purpose"] }).then(
        () => assert.fail("the workflow did not fail"),
        (e: unknown) => e,
      ),
    );
    assert.ok(err instanceof WorkflowFailedError, String(err));
    const cause = err.cause as ApplicationFailure;
    assert.ok(cause instanceof ApplicationFailure, String(cause));
    assert.equal(cause.message, "failing: on purpose");
    assert.equal(cause.type, "FailingWorkflow");
  });

  test("nondeterminism fails the workflow where workflowFailureErrorTypes says so", async () => {
    const err = await withWorker(
      (taskQueue) =>
        client.workflow.execute("drifting", { taskQueue, workflowId: randomUUID() }).then(
          () => assert.fail("the workflow did not fail"),
          (e: unknown) => e,
        ),
      { maxCachedWorkflows: 0, workflowFailureErrorTypes: { drifting: ["NondeterminismError"] } },
    );
    assert.ok(err instanceof WorkflowFailedError, String(err));
    assert.match(String(err.cause?.message), /\[TMPRL1100\] Nondeterminism error/);
  });

  test("a history recorded through the sidecar replays in Worker.runReplayHistory", async () => {
    const workflowId = randomUUID();
    await withWorker((taskQueue) =>
      client.workflow.execute("greeter", { taskQueue, workflowId, args: ["replay"] }),
    );
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: bundle }, history, workflowId);
    // Code that issues other commands fails replay: the check can fail.
    await assert.rejects(
      Worker.runReplayHistory({ workflowsPath: require.resolve("./fixtures/workflows-changed.js") }, history, workflowId),
        );
  });

  test("a run survives the sidecar crashing and coming back: the adapter registers again", async () => {
    const { address, proc } = await env.startSidecar();
    const port = Number(new URL(`http://${address}`).port);
    const direct = new Client({ connection: await Connection.connect({ address: env.devServer }), namespace: NAMESPACE });
    try {
      await withWorker(
        async (taskQueue) => {
          const handle = await direct.workflow.start("collector", { taskQueue, workflowId: randomUUID() });
          await handle.signal("add", "before");
          assert.deepEqual(await handle.query("items"), ["before"]);
          await proc.kill();
          // The run the SDK held is evicted locally; the new sidecar replays it from history.
          await env.startSidecar({ port });
          await handle.signal("add", "after");
          await handle.signal("done");
          assert.deepEqual(await handle.result(), ["before", "after"]);
        },
        { sidecar: { address, workflowTypes } },
      );
    } finally {
      await direct.connection.close();
    }
  });

  test("the sidecar's refusal fails SidecarWorker.create with its reason", async () => {
    await assert.rejects(
      SidecarWorker.create({
        workflowBundle: bundle,
        taskQueue: `ts-${randomUUID()}`,
        namespace: "not-the-sidecars",
        sidecar: { address: bridge, workflowTypes },
      }),
      (err: Error) => err instanceof SidecarRefusedError && /not-the-sidecars/.test(err.message),
    );
  });

  test("polyglot: a Python workflow calls a TypeScript activity and a TypeScript workflow a Python one, on one queue", async () => {
    const python = path.join(REPO_ROOT, ".venv", "bin", "python");
    assert.ok(existsSync(python), `no ${python}: run \`make venv\` (temporalio and temporal_sidecar for the Python app)`);
    const taskQueue = `polyglot-${randomUUID()}`;
    const app = env.startApp(
      path.join(REPO_ROOT, "examples", "polyglot", "python_app.py"),
      { TEMPORAL_SIDECAR_ADDRESS: bridge },
      "polyglot-python",
      [python, "-m", "temporal_sidecar.sdk", "run"],
      [taskQueue],
    );
    try {
      await waitUntil(
        () => {
          if (!app.running) throw new Error(`the Python app exited with ${app.exitCode}:\n${env.tail(app.log)}`);
          return app.logSays("on sidecar");
        },
        60_000,
        () => `the Python app did not register within 60s:\n${env.tail(app.log)}`,
      );
      const worker = await SidecarWorker.create({
        workflowBundle: bundle,
        activities: { ts_greet: activities.ts_greet },
        taskQueue,
        namespace: NAMESPACE,
        sidecar: { address: bridge, workflowTypes },
      });
      await worker.runUntil(async () => {
        const [fromPython, fromTs] = await Promise.all([
          client.workflow.execute("PyGreeter", { taskQueue, workflowId: randomUUID(), args: ["Ada"] }),
          client.workflow.execute("tsGreeter", { taskQueue, workflowId: randomUUID(), args: ["Grace"] }),
        ]);
        assert.equal(fromPython, "Hello, Ada, from TypeScript! (via a Python workflow)");
        assert.equal(fromTs, "GRACE (from Python) (via a TypeScript workflow)");
      });
    } finally {
      await app.stop();
    }
  });

  test("the hello sample, unchanged but for the worker line", async () => {
    // The sample dials localhost:7233, where the sidecar sits in the app's pod. If that
    // port is taken here, run a copy that names another port instead.
    const built = path.resolve(__dirname, "../examples/hello");
    let dir = built;
    let port = 7233;
    if (!(await portIsFree(port))) {
      port = Number(new URL(`http://${bridge}`).port) + 1;
      while (!(await portIsFree(port))) port++;
      dir = path.resolve(__dirname, `../examples/hello-${port}`);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
      for (const f of ["activities.js", "workflows.js"]) copyFileSync(path.join(built, f), path.join(dir, f));
      const src = readFileSync(path.join(built, "worker.js"), "utf8");
      assert.ok(src.includes("'localhost:7233'"));
      writeFileSync(path.join(dir, "worker.js"), src.replace("'localhost:7233'", `'localhost:${port}'`));
    }
    const sidecar = await env.startSidecar({ port });
    const worker = env.startApp(path.join(dir, "worker.js"), {}, "hello-worker");
    try {
      const result = await client.workflow.execute("example", {
        taskQueue: "hello-world",
        workflowId: `hello-${randomUUID()}`,
        args: ["Temporal"],
      });
      assert.equal(result, "Hello, Temporal!");
      assert.ok(worker.logSays("@temporalio/worker 1.24.0"), env.tail(worker.log));
      // The workflow type was read from workflowsPath: no dynamic workflow on the queue.
      assert.ok(worker.logSays("task queue hello-world"), env.tail(worker.log));
      assert.ok(worker.logSays("1 workflow types, 1 activity types"), env.tail(worker.log));
      // SIGTERM: the SDK shuts the Worker down (drain through the sidecar) and the sample exits 0.
      assert.equal(await worker.stop(), 0, env.tail(worker.log));
    } finally {
      await worker.stop();
      await sidecar.proc.stop();
      if (dir !== built) rmSync(dir, { recursive: true, force: true });
    }
  });
});
