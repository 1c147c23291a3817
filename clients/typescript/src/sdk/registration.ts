// A @temporalio/worker Worker's options as the sidecar's Register.
//
// sdk-core takes its worker options from the SDK; on the sidecar some become the
// registration (types, capacity, identity, versioning behaviour), some stay in the app
// (the cache bound and the graceful shutdown time, enforced by the adapter), and the
// rest are the sidecar's flags (pollers, rate limits, sticky and heartbeat timing).

import { createRequire } from "node:module";

import type { WorkerOptions } from "@temporalio/worker";
import type { CompiledWorkerOptionsWithBuildId } from "@temporalio/worker/lib/worker-options";

import { Register, WorkerDeployment, WorkflowRegistration } from "../gen/sidecar/bridge/v1/bridge.js";
import { VersioningBehavior } from "../gen/sidecar/bridge/v1/common.js";
import { CORE_PROTOCOL_VERSION } from "./version.js";

/** What the sidecar calls this language layer: the SDK name @temporalio/worker reports. */
export const SDK_NAME = "temporal-typescript";

/** A Worker option the sidecar cannot honour for this app. */
export class UnsupportedWorkerOptionError extends TypeError {
  override name = "UnsupportedWorkerOptionError";
}

/**
 * Options the sidecar sets for every app on a task queue, with its flag: an app that sets
 * one gets a log line saying the sidecar's value is in force.
 */
const SIDECAR_OWNED: Readonly<Record<string, string>> = {
  workflowTaskPollerBehavior: "--poller-behavior and --max-workflow-task-pollers",
  activityTaskPollerBehavior: "--poller-behavior and --max-activity-task-pollers",
  nexusTaskPollerBehavior: "--poller-behavior and --max-nexus-task-pollers",
  maxConcurrentWorkflowTaskPolls: "--max-workflow-task-pollers",
  maxConcurrentActivityTaskPolls: "--max-activity-task-pollers",
  maxConcurrentNexusTaskPolls: "--max-nexus-task-pollers",
  nonStickyToStickyPollRatio: "--nonsticky-to-sticky-poll-ratio",
  stickyQueueScheduleToStartTimeout: "--sticky-schedule-to-start-timeout",
  maxHeartbeatThrottleInterval: "--max-heartbeat-throttle-interval",
  defaultHeartbeatThrottleInterval: "--default-heartbeat-throttle-interval",
  maxEagerActivityReservationsPerWorkflowTask: "--eager-activities",
  useVersioning: "--use-versioning (build-id based versioning is deprecated: use workerDeploymentOptions)",
};

/** Options whose silent loss would surprise (a rate limit protects something downstream). */
const REFUSED: Readonly<Record<string, string>> = {
  maxActivitiesPerSecond: "--activities-per-second",
  maxTaskQueueActivitiesPerSecond: "--task-queue-activities-per-second",
};

/** What the adapter enforces on the app's side. */
export interface AppSettings {
  taskQueue: string;
  namespace: string;
  maxCachedWorkflows: number;
  shutdownGraceTimeMs: number;
  /** Logged once the sidecar answered. */
  notes: string[];
}

/** Refuses, before anything connects, the options the sidecar cannot honour. */
export function checkWorkerOptions(options: WorkerOptions): void {
  const raw = options as unknown as Record<string, unknown>;
  for (const [opt, flag] of Object.entries(REFUSED)) {
    if (raw[opt] != null) {
      throw new UnsupportedWorkerOptionError(
        `Worker option ${opt}=${JSON.stringify(raw[opt])} cannot apply to a worker on the sidecar: the sidecar ` +
          `polls for every app on the task queue, so set its ${flag} flag instead and drop ${opt}`,
      );
    }
  }
}

type SlotSupplier = CompiledWorkerOptionsWithBuildId["tuner"]["workflowTaskSlotSupplier"];

function slots(kind: string, s: SlotSupplier): number {
  switch (s.type) {
    case "fixed-size":
      return s.numSlots;
    case "resource-based":
      // The sidecar reserves slots by its own --tuner; the app offers its maximum.
      return s.maximumSlots;
    default:
      throw new UnsupportedWorkerOptionError(
        `the Worker's tuner has a custom slot supplier for ${kind}: on the sidecar, slots are reserved by the ` +
          "sidecar before it polls, so only fixed-size and resource-based tuners apply (the sidecar's --tuner " +
          "and --max-concurrent-* flags)",
      );
  }
}

/** The workflow types a workflows module exports, or undefined when it cannot be read. */
export interface DiscoveredWorkflows {
  names: string[];
  /** The module's default export is a function: the SDK runs it for any other type. */
  dynamic: boolean;
}

/**
 * Reads the workflow functions a `workflowsPath` module exports, as the SDK's sandbox
 * looks them up (`mod[workflowType]`, else `mod.default`). Loading a workflows module
 * outside the sandbox is what client code does to type its calls; a module that cannot
 * load here (TypeScript source, sandbox-only code at its top level) yields undefined, and
 * the worker registers as a dynamic workflow instead.
 */
export function discoverWorkflows(workflowsPath: string): DiscoveredWorkflows | undefined {
  try {
    const mod = createRequire(__filename)(workflowsPath) as Record<string, unknown>;
    const names = Object.keys(mod)
      .filter((k) => k !== "default" && k !== "__esModule" && typeof mod[k] === "function")
      .sort();
    return { names, dynamic: typeof mod["default"] === "function" };
  } catch {
    return undefined;
  }
}

function versioningBehavior(b: string | undefined): VersioningBehavior {
  switch (b) {
    case "PINNED":
      return VersioningBehavior.VERSIONING_BEHAVIOR_PINNED;
    case "AUTO_UPGRADE":
      return VersioningBehavior.VERSIONING_BEHAVIOR_AUTO_UPGRADE;
    default:
      return VersioningBehavior.VERSIONING_BEHAVIOR_UNSPECIFIED;
  }
}

function nexusOperations(handler: unknown): string[] {
  // nexus-rpc's ServiceHandler: definition.operations maps keys to { name }.
  const ops = (handler as { definition?: { operations?: Record<string, { name?: string }> } }).definition?.operations;
  if (ops == null) return [];
  return Object.entries(ops)
    .map(([k, op]) => op?.name ?? k)
    .sort();
}

export interface RegistrationInput {
  compiled: CompiledWorkerOptionsWithBuildId;
  /** The options as the app wrote them (to tell what it set from defaults). */
  raw: WorkerOptions;
  sdkVersion: string;
  /** Overrides discovery: the workflow types this worker runs. */
  workflowTypes?: readonly string[];
}

/**
 * Which nondeterminism fails the workflow rather than its task, by the rule the SDK
 * itself gives sdk-core (toNativeWorkerOptions): an error type list naming
 * NondeterminismError, DeterminismViolationError or Error, for every type ('*') or one.
 */
function nondeterminismFailsWorkflow(errorTypes: Record<string, string[]> | undefined): {
  all: boolean;
  types: Set<string>;
} {
  const out = { all: false, types: new Set<string>() };
  for (const [type, errors] of Object.entries(errorTypes ?? {})) {
    if (!errors.some((e) => e === "NondeterminismError" || e === "DeterminismViolationError" || e === "Error")) {
      continue;
    }
    if (type === "*") {
      out.all = true;
    } else {
      out.types.add(type);
    }
  }
  return out;
}

/**
 * The Worker's deployment version, as @temporalio/worker gives it to sdk-core: from
 * workerDeploymentOptions, else the buildId the app set; undefined (the sidecar's own)
 * when it set neither.
 */
function deploymentOf(raw: Record<string, unknown>, defaultBehavior: VersioningBehavior): WorkerDeployment | undefined {
  const d = raw.workerDeploymentOptions as
    | { version: { deploymentName: string; buildId: string }; useWorkerVersioning: boolean }
    | undefined;
  if (d !== undefined) {
    return WorkerDeployment.fromPartial({
      deploymentName: d.version.deploymentName,
      buildId: d.version.buildId,
      useVersioning: d.useWorkerVersioning,
      defaultVersioningBehavior: defaultBehavior,
    });
  }
  if (typeof raw.buildId === "string" && raw.buildId !== "") {
    return WorkerDeployment.fromPartial({ buildId: raw.buildId });
  }
  return undefined;
}

/** The Register a Worker's options make, and what the adapter keeps. */
export function buildRegistration({ compiled, raw, sdkVersion, workflowTypes }: RegistrationInput): {
  register: Register;
  settings: AppSettings;
} {
  const notes: string[] = [];
  const rawRecord = raw as unknown as Record<string, unknown>;
  for (const [opt, flag] of Object.entries(SIDECAR_OWNED)) {
    if (rawRecord[opt] !== undefined) {
      notes.push(`Worker option ${opt} is set by the sidecar (${flag}) on the sidecar; the app's value is not used`);
    }
  }

  const deployment = compiled.workerDeploymentOptions;
  const defaultBehavior = deployment?.useWorkerVersioning
    ? versioningBehavior(deployment.defaultVersioningBehavior)
    : VersioningBehavior.VERSIONING_BEHAVIOR_UNSPECIFIED;

  const runsWorkflows = compiled.workflowBundle !== undefined || compiled.workflowsPath !== undefined;
  let workflows: WorkflowRegistration[] = [];
  let dynamicWorkflow = false;
  if (runsWorkflows) {
    let found: DiscoveredWorkflows | undefined;
    if (workflowTypes !== undefined) {
      found = { names: [...workflowTypes], dynamic: false };
    } else if (compiled.workflowsPath !== undefined) {
      found = discoverWorkflows(compiled.workflowsPath);
    }
    if (found === undefined || (found.names.length === 0 && !found.dynamic)) {
      // A prebuilt bundle (or a module that cannot load here) hides its types: take any.
      dynamicWorkflow = true;
      notes.push(
        "the workflow types could not be read from the Worker's workflows (a prebuilt workflowBundle or a " +
          "module that does not load outside the sandbox): registered as a dynamic workflow, so the sidecar " +
          "routes every workflow type of the task queue here; pass sidecar.workflowTypes to name them",
      );
    } else {
      dynamicWorkflow = found.dynamic;
      workflows = found.names.map((name) =>
        WorkflowRegistration.fromPartial({ name, versioningBehavior: defaultBehavior }),
      );
    }
  }

  const activities = [...compiled.activities.keys()].sort().map((name) => ({ name }));
  const nondeterminism = nondeterminismFailsWorkflow(compiled.workflowFailureErrorTypes);
  for (const w of workflows) {
    w.nondeterminismFailsWorkflow = nondeterminism.types.has(w.name);
  }
  const nexusServices = [...(compiled.nexusServiceHandlers ?? new Map<string, unknown>()).entries()]
    .map(([name, h]) => ({ name, operations: nexusOperations(h) }))
    .sort((a, b) => a.name.localeCompare(b.name));

  const { tuner } = compiled;
  const register = Register.fromPartial({
    protocolVersion: 1,
    coreProtocolVersion: CORE_PROTOCOL_VERSION,
    identity: compiled.identity,
    sdkName: SDK_NAME,
    sdkVersion,
    taskQueue: compiled.taskQueue,
    namespace: compiled.namespace,
    workflows,
    dynamicWorkflow,
    dynamicWorkflowVersioningBehavior: dynamicWorkflow ? defaultBehavior : VersioningBehavior.VERSIONING_BEHAVIOR_UNSPECIFIED,
    activities,
    nexusServices,
    nondeterminismFailsWorkflow: nondeterminism.all,
    deployment: deploymentOf(raw as unknown as Record<string, unknown>, defaultBehavior),
    capacity: {
      workflowActivations: runsWorkflows ? slots("workflow tasks", tuner.workflowTaskSlotSupplier) : 0,
      // No remote capacity (enableNonLocalActivities: false) runs the types as local activities only.
      activities:
        activities.length > 0 && compiled.enableNonLocalActivities ? slots("activities", tuner.activityTaskSlotSupplier) : 0,
      // Local activities are scheduled by this app's own workflows.
      localActivities:
        runsWorkflows && activities.length > 0 ? slots("local activities", tuner.localActivityTaskSlotSupplier) : 0,
      nexusTasks: nexusServices.length > 0 ? slots("Nexus tasks", tuner.nexusTaskSlotSupplier) : 0,
    },
  });
  return {
    register,
    settings: {
      taskQueue: compiled.taskQueue,
      namespace: compiled.namespace,
      maxCachedWorkflows: compiled.maxCachedWorkflows,
      shutdownGraceTimeMs: compiled.shutdownGraceTimeMs,
      notes,
    },
  };
}
