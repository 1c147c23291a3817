// The TypeScript app of the polyglot pod, run by `make demo` (examples/demo) beside the
// Python app examples/polyglot/python_app.py, both on one task queue of one sidecar:
//
//   TEMPORAL_SIDECAR_ADDRESS=127.0.0.1:PORT node dist/examples/polyglot/worker.js TASK_QUEUE
//
// A @temporalio/worker Worker (SidecarWorker.create, the one change from Worker.create)
// serves the TypeScript workflow tsGreeter and the activity ts_greet. While it runs, a
// @temporalio/client Client, also through the sidecar's WorkflowService proxy, runs the
// Python workflow PyGreeter (which calls ts_greet here) and tsGreeter (which calls the
// Python activity py_shout). The sidecar routes each task by its type. The results are
// printed; the worker then shuts down and the process exits 0.

import { randomUUID } from "node:crypto";

import { Client, Connection } from "@temporalio/client";
import { DefaultLogger, Runtime } from "@temporalio/worker";

import { ENV_ADDRESS, SidecarWorker } from "../../sdk/index.js";
import * as activities from "./activities.js";

async function main(): Promise<void> {
  const taskQueue = process.argv[2] ?? "polyglot";
  const address = process.env[ENV_ADDRESS];
  if (!address) throw new Error(`set ${ENV_ADDRESS} to the sidecar's loopback TCP bridge (host:port)`);
  Runtime.install({ logger: new DefaultLogger("WARN") });

  const worker = await SidecarWorker.create({
    namespace: "default",
    taskQueue,
    workflowsPath: require.resolve("./workflows"),
    activities,
    sidecar: { address },
  });
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection, namespace: "default" });
    await worker.runUntil(async () => {
      const [fromPython, fromTs] = await Promise.all([
        client.workflow.execute("PyGreeter", { taskQueue, workflowId: `polyglot-py-${randomUUID()}`, args: ["Ada"] }),
        client.workflow.execute("tsGreeter", { taskQueue, workflowId: `polyglot-ts-${randomUUID()}`, args: ["Grace"] }),
      ]);
      console.log(`Python workflow PyGreeter -> TypeScript activity ts_greet: ${String(fromPython)}`);
      console.log(`TypeScript workflow tsGreeter -> Python activity py_shout: ${String(fromTs)}`);
    });
  } finally {
    await connection.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
