// @temporal-sidecar/client/sdk: run a @temporalio/worker Worker on the sidecar.
//
//   -const worker = await Worker.create({ connection, taskQueue, workflowsPath, activities });
//   +const worker = await SidecarWorker.create({ connection, taskQueue, workflowsPath, activities });
//
// Everything else is the SDK's own: bundling, isolates, interceptors, sinks, data
// converters, activities, Nexus handlers, replay. Only its native worker (sdk-core) is
// replaced, by a stand-in that forwards sdk-core's messages to the sidecar. The Worker's
// NativeConnection should point at the sidecar's WorkflowService proxy (the sidecar runs
// with --workflow-service-proxy and a loopback TCP --bridge-listen, since sdk-core's
// client dials no unix socket), so the app holds no Temporal credentials.

import { AsyncLocalStorage } from "node:async_hooks";

import { type Logger, type NativeConnection, Runtime, Worker, type WorkerOptions } from "@temporalio/worker";
import { NativeWorker, type NativeReplayHandle, type NativeWorkerLike } from "@temporalio/worker/lib/worker";
import type { CompiledWorkerOptions, CompiledWorkerOptionsWithBuildId } from "@temporalio/worker/lib/worker-options";
import type { WorkflowCreator } from "@temporalio/worker/lib/workflow/interface";
import type { WorkflowBundleWithSourceMapAndFilename } from "@temporalio/worker/lib/workflow/workflow-worker-thread/input";
import { InternalNativeConnection } from "@temporalio/worker/lib/connection";

import { SidecarCoreWorker } from "./core-worker.js";
import { buildRegistration, checkWorkerOptions } from "./registration.js";
import { checkTemporalWorkerVersion, supportedRangeText } from "./version.js";

export { SidecarCoreWorker, SidecarRefusedError } from "./core-worker.js";
export { SDK_NAME, UnsupportedWorkerOptionError, buildRegistration, discoverWorkflows } from "./registration.js";
export {
  CORE_PROTOCOL_VERSION,
  PINNED_VERSION,
  SUPPORTED_RANGE,
  UnsupportedTemporalVersionError,
  checkTemporalWorkerVersion,
  supportedRangeText,
  temporalWorkerVersion,
} from "./version.js";

/** The environment variable naming the sidecar's bridge address (as the Python adapter reads it). */
export const ENV_ADDRESS = "TEMPORAL_SIDECAR_ADDRESS";
/** The environment variable holding the sidecar's --bridge-token, if it has one. */
export const ENV_TOKEN = "TEMPORAL_SIDECAR_TOKEN";
/**
 * Where the sidecar listens when nothing says otherwise: where a Worker's NativeConnection
 * dials by default, because in a pod the sidecar takes the frontend's place there.
 */
export const DEFAULT_ADDRESS = "localhost:7233";

/** How to reach the sidecar; every field is optional. */
export interface SidecarOptions {
  /** The sidecar's --bridge-listen (host:port, or unix:///path). Defaults to $TEMPORAL_SIDECAR_ADDRESS, else localhost:7233. */
  address?: string;
  /** The sidecar's --bridge-token. Defaults to $TEMPORAL_SIDECAR_TOKEN. */
  token?: string;
  /**
   * The workflow types this worker runs, when they cannot be read from `workflowsPath`
   * (a prebuilt `workflowBundle`); without them the worker registers as a dynamic workflow.
   */
  workflowTypes?: readonly string[];
  /** How long Worker.create waits for the sidecar to answer. Default 30s. */
  connectTimeoutMs?: number;
}

/** A Worker's options, plus how to reach the sidecar. */
export type SidecarWorkerOptions = WorkerOptions & { sidecar?: SidecarOptions };

interface Pending {
  sidecar: SidecarOptions;
  raw: WorkerOptions;
  sdkVersion: string;
  /** The workflow threads Worker.create started, stopped here if the sidecar refuses. */
  workflowCreator?: WorkflowCreator;
}

// Worker.create calls the native worker's constructor with compiled options only; the
// sidecar options of that one create call travel alongside (creates may interleave).
const pending = new AsyncLocalStorage<Pending>();

async function createSidecarNativeWorker(
  runtime: Runtime,
  _connection: NativeConnection,
  options: CompiledWorkerOptionsWithBuildId,
): Promise<NativeWorkerLike> {
  const p = pending.getStore();
  if (p === undefined) {
    throw new Error("SidecarWorker's native worker was created outside SidecarWorker.create");
  }
  const { register, settings } = buildRegistration({
    compiled: options,
    raw: p.raw,
    sdkVersion: p.sdkVersion,
    workflowTypes: p.sidecar.workflowTypes,
  });
  const logger = runtime.logger;
  const worker = new SidecarCoreWorker({
    address: p.sidecar.address ?? DEFAULT_ADDRESS,
    token: p.sidecar.token ?? process.env[ENV_TOKEN],
    register,
    settings,
    logger,
    sdkVersion: p.sdkVersion,
    supportedRange: supportedRangeText(),
    connectTimeoutMs: p.sidecar.connectTimeoutMs ?? 30_000,
  });
  await worker.start();
  return worker;
}

/** The native worker's constructor the SDK calls: the sidecar for live work, sdk-core for replay. */
const sidecarNativeWorkerCtor = {
  create: createSidecarNativeWorker,
  // Replay needs no server and no sidecar: sdk-core's own replayer, as Worker.runReplayHistory uses.
  createReplay(runtime: Runtime, options: CompiledWorkerOptionsWithBuildId): Promise<NativeReplayHandle> {
    return NativeWorker.createReplay(runtime, options);
  },
};

/**
 * A @temporalio/worker Worker whose sdk-core is the sidecar. Create it as a Worker:
 * `SidecarWorker.create({...the same options...})`, optionally with `sidecar: {...}`.
 */
export class SidecarWorker extends Worker {
  protected static override nativeWorkerCtor = sidecarNativeWorkerCtor;

  /**
   * Creates a Worker on the sidecar. Throws before connecting when the installed
   * @temporalio/worker is outside the supported range (naming both), when an option
   * cannot apply on the sidecar, and after connecting when the sidecar refuses the
   * registration (with its reason).
   */
  public static override async create(options: SidecarWorkerOptions): Promise<SidecarWorker> {
    const sdkVersion = checkTemporalWorkerVersion();
    const { sidecar = {}, ...workerOptions } = options;
    checkWorkerOptions(workerOptions);
    const address = sidecar.address ?? process.env[ENV_ADDRESS] ?? DEFAULT_ADDRESS;
    if (workerOptions.connection === undefined) {
      // The Worker's own client (activities' and Nexus handlers' Context.client) then talks
      // to the sidecar's WorkflowService proxy. An InternalNativeConnection is one the
      // Worker closes when it shuts down, as it does the connection it makes itself.
      if (address.startsWith("unix:")) {
        throw new TypeError(
          `SidecarWorker.create needs a connection: the sidecar is at ${address}, and sdk-core's client ` +
            "cannot dial a unix socket. Pass a NativeConnection to the sidecar's WorkflowService proxy " +
            "(run it with --workflow-service-proxy and a loopback TCP --bridge-listen)",
        );
      }
      workerOptions.connection = await InternalNativeConnection.connect({ address });
      try {
        return await this.createOnSidecar(workerOptions, sidecar, address, sdkVersion);
      } catch (err) {
        // Worker.create closes only a connection it made itself.
        await workerOptions.connection.close();
        throw err;
      }
    }
    return await this.createOnSidecar(workerOptions, sidecar, address, sdkVersion);
  }

  private static async createOnSidecar(
    workerOptions: WorkerOptions,
    sidecar: SidecarOptions,
    address: string,
    sdkVersion: string,
  ): Promise<SidecarWorker> {
    const store: Pending = { sidecar: { ...sidecar, address }, raw: workerOptions, sdkVersion };
    try {
      return (await pending.run(store, () => super.create(workerOptions))) as SidecarWorker;
    } catch (err) {
      // Worker.create leaves its workflow threads running when the native worker fails.
      await store.workflowCreator?.destroy();
      throw err;
    }
  }

  protected static override async createWorkflowCreator(
    workflowBundle: WorkflowBundleWithSourceMapAndFilename,
    compiledOptions: CompiledWorkerOptions,
    logger: Logger,
  ): Promise<WorkflowCreator> {
    const creator = await super.createWorkflowCreator(workflowBundle, compiledOptions, logger);
    const store = pending.getStore();
    if (store !== undefined) store.workflowCreator = creator;
    return creator;
  }
}
