// The @temporalio/worker contenders of the end-to-end benchmark (bench/cmd/bench): one
// script, the same Worker options and the same workflow (./workflows) and activity (Echo)
// code either way.
//
//   node dist/bench/worker.js --address HOST:PORT ...   native: @temporalio/worker on its own sdk-core
//   node dist/bench/worker.js --sidecar HOST:PORT ...   the adapter: SidecarWorker.create, on the
//                                                        sidecar's loopback TCP bridge (with
//                                                        --workflow-service-proxy)
//
// The one difference is Worker.create against SidecarWorker.create (and where the
// connection points). It prints "ready" on stdout once the worker runs, stops on SIGTERM
// (the SDK's Runtime shuts the worker down, draining), writes the time of every activity
// completion to --timeline, and exits 0.

import { existsSync, renameSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";

import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  bundleWorkflowCode,
  type WorkerOptions,
} from "@temporalio/worker";

import { SidecarWorker } from "../sdk/index.js";

const completions: bigint[] = [];

/** Echo(s) returns s; its completion time goes to the timeline. */
async function Echo(s: string): Promise<string> {
  completions.push(BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6)));
  return s;
}

const WORKFLOW_TYPES = ["Chain", "TimerSignal"];

async function main(): Promise<void> {
  const { values: a } = parseArgs({
    options: {
      address: { type: "string", default: "" },
      sidecar: { type: "string", default: "" },
      namespace: { type: "string", default: "default" },
      "task-queue": { type: "string" },
      capacity: { type: "string", default: "100" },
      pollers: { type: "string", default: "2" },
      "activities-only": { type: "boolean", default: false },
      timeline: { type: "string", default: "" },
      bundle: { type: "string", default: "" },
    },
  });
  const taskQueue = a["task-queue"];
  if (!taskQueue) throw new Error("--task-queue is required");
  if (!a.address === !a.sidecar) throw new Error("exactly one of --address (native) and --sidecar (the adapter) is required");
  const capacity = Number(a.capacity);
  const pollers = Number(a.pollers);
  Runtime.install({ logger: new DefaultLogger("WARN") });

  const options: WorkerOptions = {
    namespace: a.namespace,
    taskQueue,
    activities: { Echo },
    maxConcurrentActivityTaskExecutions: capacity,
    maxConcurrentWorkflowTaskExecutions: capacity,
    maxConcurrentActivityTaskPolls: pollers,
    maxConcurrentWorkflowTaskPolls: pollers,
  };
  if (!a["activities-only"]) options.workflowBundle = await workflowBundle(a.bundle);

  let worker: Worker;
  let connection: NativeConnection | undefined;
  if (a.sidecar) {
    // The one line an app changes: SidecarWorker.create for Worker.create. Its connection
    // (made by SidecarWorker) is the sidecar's WorkflowService proxy.
    worker = await SidecarWorker.create({
      ...options,
      sidecar: { address: a.sidecar, workflowTypes: a["activities-only"] ? [] : WORKFLOW_TYPES },
    });
  } else {
    connection = await NativeConnection.connect({ address: a.address });
    worker = await Worker.create({ ...options, connection });
  }
  const running = worker.run();
  console.log("ready");
  await running;
  await connection?.close();
  console.error(`ts bench worker: answered ${completions.length} activities`);
  if (a.timeline) writeFileSync(a.timeline, completions.map((t) => `${t}\n`).join(""));
}

/**
 * The workflows' bundle. Bundling (webpack) takes seconds of CPU, so the first worker
 * writes it to `cache` and later ones load it from there; native and adapter run the same code.
 */
async function workflowBundle(cache: string): Promise<{ code: string } | { codePath: string }> {
  if (cache && existsSync(cache)) return { codePath: cache };
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve("./workflows"),
    logger: new DefaultLogger("WARN"),
  });
  if (cache) {
    writeFileSync(`${cache}.tmp`, code);
    renameSync(`${cache}.tmp`, cache);
  }
  return { code };
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
