// The stand-in for sdk-core's worker behind @temporalio/worker's `Worker.nativeWorkerCtor`.
//
// The SDK reaches its Rust core only through a `NativeWorkerLike` (poll and complete
// workflow activations, activity tasks and Nexus tasks, record heartbeats, initiate and
// finalize shutdown), with sdk-core's protobuf messages as bytes. `SidecarCoreWorker`
// forwards those bytes over one `Connect` stream of the sidecar, registered with
// `core_protocol_version`; the sidecar does what sdk-core would (polling, slots, sticky
// cache, history, throttling, conversion).
//
// What sdk-core does inside the process and the sidecar cannot (it is another process)
// is done here:
// - a run the app holds whose session ended (the sidecar restarted, the stream broke) is
//   evicted from the SDK's cache with a local RemoveFromCache activation, whose completion
//   stays here; activities and Nexus tasks of that session are cancelled (the sidecar
//   has failed them for retry, so their results have nowhere to go), and the adapter
//   connects and registers again;
// - the Worker's maxCachedWorkflows, when below the sidecar's cache, is enforced by asking
//   the sidecar to evict the least recently used run, as sdk-core's cache would;
// - initiateShutdown drains the session (Drain → Drained), cancels running activities
//   once the Worker's shutdownGraceTime has passed, and then each poll ends with
//   ShutdownError as sdk-core's do (the SDK evicts its cached runs itself then).

import * as grpc from "@grpc/grpc-js";
import { coresdk } from "@temporalio/proto";
import { type Logger, ShutdownError } from "@temporalio/worker";

import {
  BridgeServiceClient,
  ConnectRequest,
  type ConnectResponse,
  type Register,
  type Registered,
} from "../gen/sidecar/bridge/v1/bridge.js";
import { CompletionErrorKind } from "../gen/sidecar/bridge/v1/bridge.js";
import type { AppSettings } from "./registration.js";
import { runIdOf, taskTokenOf, undelimit } from "./wire.js";

/** The largest message on the bridge (the sidecar's default --bridge-max-message-bytes). */
export const MAX_MESSAGE_BYTES = 128 << 20;

/** Status codes that mean the registration or token is wrong: retrying cannot help. */
const REFUSAL_CODES = new Set([
  grpc.status.FAILED_PRECONDITION,
  grpc.status.INVALID_ARGUMENT,
  grpc.status.UNAUTHENTICATED,
  grpc.status.PERMISSION_DENIED,
  grpc.status.UNIMPLEMENTED,
  grpc.status.RESOURCE_EXHAUSTED,
]);

/** The sidecar refused this worker's registration, or could not be reached. */
export class SidecarRefusedError extends Error {
  override name = "SidecarRefusedError";
}

/** What one poll returns next; the SDK polls each kind from one loop. */
class Inbox {
  private readonly items: Buffer[] = [];
  private readonly waiters: { resolve: (b: Buffer) => void; reject: (e: unknown) => void }[] = [];
  private error: unknown;
  closed = false;

  constructor(private readonly kind: string) {}

  put(b: Buffer): void {
    const w = this.waiters.shift();
    if (w !== undefined) w.resolve(b);
    else this.items.push(b);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.items.length === 0) {
      for (const w of this.waiters.splice(0)) w.reject(new ShutdownError(`${this.kind} polling has shut down`));
    }
  }

  /** The next poll raises err once: the SDK then fails the Worker, as after a fatal core error. */
  fail(err: unknown): void {
    const w = this.waiters.shift();
    if (w !== undefined) w.reject(err);
    else this.error = err;
  }

  get(): Promise<Buffer> {
    if (this.error !== undefined) {
      const err = this.error;
      this.error = undefined;
      return Promise.reject(err);
    }
    const b = this.items.shift();
    if (b !== undefined) return Promise.resolve(b);
    if (this.closed) return Promise.reject(new ShutdownError(`${this.kind} polling has shut down`));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }
}

/** A workflow run the SDK holds in its cache. */
interface Run {
  session: number;
  outstanding: boolean; // an activation is with the SDK
  evicting: boolean; // ... and it is a RemoveFromCache
  localEviction: boolean; // ... made here: its completion stays here
  evictWhenAnswered: boolean; // its session ended while the activation was out
  evictionRequested: boolean;
}

/** An activity (remote or local) or Nexus task the SDK is running. */
interface Task {
  session: number;
  local: boolean;
  cancelSent: boolean;
}

export interface CoreWorkerConfig {
  /** The sidecar's bridge address, as grpc-js takes it (host:port or unix:///path). */
  address: string;
  token?: string;
  register: Register;
  settings: AppSettings;
  logger: Logger;
  sdkVersion: string;
  supportedRange: string;
  connectTimeoutMs: number;
}

function backoffMs(attempt: number): number {
  const base = Math.min(100 * 2 ** Math.min(attempt, 10), 5000);
  return base * (0.8 + 0.4 * Math.random());
}

/**
 * sdk-core's worker, as @temporalio/worker calls it, over one Connect stream of the
 * sidecar. The methods are those of `NativeWorkerLike` (see `SidecarWorker`).
 */
export class SidecarCoreWorker {
  readonly type = "worker" as const;

  private readonly client: BridgeServiceClient;
  private readonly metadata = new grpc.Metadata();
  private readonly workflows = new Inbox("workflow activation");
  private readonly activities = new Inbox("activity task");
  private readonly nexus = new Inbox("Nexus task");
  private readonly runs = new Map<string, Run>(); // in least-recently-used order
  private readonly tasks = new Map<string, Task>(); // by base64 task token
  private readonly nexusTasks = new Map<string, Task>();

  private generation = 0; // the current session's number; 0 before the first
  private call: grpc.ClientDuplexStream<ConnectRequest, ConnectResponse> | undefined; // the live session's
  private drainSent = false;
  private drained = false;
  private stopping = false;
  private cacheLimit: number | undefined; // enforced here when below the sidecar's
  private graceTimer: NodeJS.Timeout | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private wakeReconnect: (() => void) | undefined;
  private serveLoop: Promise<void> | undefined;
  private readonly stopped: Promise<void>;
  private markStopped!: () => void;
  registered: Registered | undefined;

  constructor(private readonly config: CoreWorkerConfig) {
    this.client = new BridgeServiceClient(config.address, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
      "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
    });
    if (config.token) this.metadata.set("authorization", `Bearer ${config.token}`);
    this.stopped = new Promise((resolve) => (this.markStopped = resolve));
  }

  /**
   * Connects, registers and waits for the sidecar's answer; a refusal throws here, so
   * Worker.create fails as with a wrong namespace.
   */
  async start(): Promise<Registered> {
    await new Promise<void>((resolve, reject) => {
      this.client.waitForReady(Date.now() + this.config.connectTimeoutMs, (err) => {
        if (err) {
          reject(
            new SidecarRefusedError(
              `no sidecar answered at ${this.config.address} within ${this.config.connectTimeoutMs}ms: is it ` +
                `running, and is its --bridge-listen ${this.config.address}? (${err.message})`,
            ),
          );
        } else resolve();
      });
    });
    const first = new Promise<Registered>((resolve, reject) => {
      this.serveLoop = this.serve(resolve, reject);
    });
    try {
      return await first;
    } catch (err) {
      this.client.close();
      throw err;
    }
  }

  // ------------------------------------------------------------ NativeWorkerLike

  pollWorkflowActivation(): Promise<Buffer> {
    return this.workflows.get();
  }

  pollActivityTask(): Promise<Buffer> {
    return this.activities.get();
  }

  pollNexusTask(): Promise<Buffer> {
    return this.nexus.get();
  }

  async completeWorkflowActivation(delimited: Buffer): Promise<void> {
    const completion = undelimit(delimited);
    const runId = runIdOf(completion);
    const run = this.runs.get(runId);
    if (run === undefined || !run.outstanding) {
      // Not something this worker was given; the sidecar names the problem.
      this.send({ $case: "coreWorkflowCompletion", value: completion });
      return;
    }
    run.outstanding = false;
    if (run.evicting) {
      this.runs.delete(runId);
      if (!run.localEviction && run.session === this.generation) {
        this.send({ $case: "coreWorkflowCompletion", value: completion });
      }
      this.checkDone();
      return;
    }
    if (run.session !== this.generation || this.call === undefined || run.evictWhenAnswered) {
      // Its session is gone: the sidecar has moved the run on.
      this.evictLocally(runId, run, "the session with the sidecar ended");
      return;
    }
    this.send({ $case: "coreWorkflowCompletion", value: completion });
    this.enforceCacheLimit(runId);
  }

  async completeActivityTask(delimited: Buffer): Promise<void> {
    const completion = undelimit(delimited);
    const token = taskTokenOf(completion);
    const task = this.tasks.get(token);
    this.tasks.delete(token);
    if (task === undefined || task.session === this.generation) {
      this.send({ $case: "coreActivityCompletion", value: completion });
    } else {
      this.config.logger.debug("dropping the result of an activity whose session with the sidecar ended");
    }
    this.checkDone();
  }

  async completeNexusTask(delimited: Buffer): Promise<void> {
    const completion = undelimit(delimited);
    const token = taskTokenOf(completion);
    const task = this.nexusTasks.get(token);
    this.nexusTasks.delete(token);
    if (task === undefined || task.session === this.generation) {
      this.send({ $case: "coreNexusCompletion", value: completion });
    } else {
      this.config.logger.debug("dropping the result of a Nexus task whose session with the sidecar ended");
    }
    this.checkDone();
  }

  recordActivityHeartbeat(delimited: Buffer): void {
    const heartbeat = undelimit(delimited);
    const task = this.tasks.get(taskTokenOf(heartbeat));
    if (task === undefined || task.session === this.generation) {
      this.send({ $case: "coreActivityHeartbeat", value: heartbeat });
    }
  }

  replaceClient(): void {
    // The sidecar talks to Temporal; a new client changes nothing here.
  }

  flushCoreLogs(): void {
    // sdk-core's logs are the sidecar's.
  }

  initiateShutdown(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.config.logger.debug("worker shutting down: draining the session with the sidecar");
    this.drain();
    // sdk-core cancels the activities still running once the graceful shutdown time has passed.
    this.graceTimer = setTimeout(
      () => this.cancelActivities(coresdk.activity_task.ActivityCancelReason.WORKER_SHUTDOWN),
      this.config.settings.shutdownGraceTimeMs,
    );
    this.wakeReconnect?.();
    this.checkDone();
  }

  async finalizeShutdown(): Promise<void> {
    this.initiateShutdown();
    if (this.graceTimer !== undefined) clearTimeout(this.graceTimer);
    for (const t of this.timers) clearTimeout(t);
    if (this.call !== undefined) {
      // The sidecar ends the stream after Drained and our half-close.
      const timeout = new Promise<"timeout">((resolve) => {
        const t = setTimeout(() => resolve("timeout"), 10_000);
        t.unref();
      });
      if ((await Promise.race([this.stopped, timeout])) === "timeout") {
        this.config.logger.warn("the sidecar did not end the session within 10s of the drain; closing it");
        this.call?.cancel();
      }
    }
    this.wakeReconnect?.();
    await this.serveLoop;
    this.client.close();
  }

  // ------------------------------------------------------------ session

  private async serve(onRegistered: (r: Registered) => void, onRefused: (e: unknown) => void): Promise<void> {
    let attempt = 0;
    let first = true;
    try {
      while (!this.stopping) {
        let why: string;
        try {
          why = await this.session((r) => {
            attempt = 0;
            if (first) onRegistered(r);
          });
        } catch (err) {
          if (err instanceof SidecarRefusedError) {
            this.refused(err, first ? onRefused : undefined);
            return;
          }
          why = `the stream to the sidecar broke (${String(err)})`;
        } finally {
          this.sessionEnded();
        }
        if (this.registered !== undefined) first = false;
        if (this.stopping) return;
        const delay = backoffMs(++attempt);
        this.config.logger.warn(`${why}; reconnecting to ${this.config.address} in ${Math.round(delay)}ms`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, delay);
          this.wakeReconnect = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.wakeReconnect = undefined;
      }
    } finally {
      this.markStopped();
      this.checkDone();
    }
  }

  private refused(err: SidecarRefusedError, onRefused: ((e: unknown) => void) | undefined): void {
    if (onRefused !== undefined) {
      this.stopping = true;
      for (const inbox of [this.workflows, this.activities, this.nexus]) inbox.close();
      onRefused(err);
      return;
    }
    this.config.logger.error(err.message);
    this.failPolls(err);
  }

  private failPolls(err: unknown): void {
    // As sdk-core's fatal poll errors: each poll raises once, and the Worker fails.
    this.stopping = true;
    for (const inbox of [this.workflows, this.activities, this.nexus]) inbox.fail(err);
    this.drain();
    this.checkDone();
  }

  /** One Connect stream, from Register to its end; resolves with why it ended. */
  private session(onRegistered: (r: Registered) => void): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const call = this.client.connect(this.metadata);
      let isRegistered = false;
      let settled = false;
      const settle = (f: () => void): void => {
        if (settled) return;
        settled = true;
        if (this.call === call) this.call = undefined;
        f();
      };
      call.on("data", (m: ConnectResponse) => {
        if (!isRegistered) {
          if (m.message?.$case !== "registered") {
            call.cancel();
            settle(() =>
              reject(
                new SidecarRefusedError(
                  `the sidecar at ${this.config.address} answered the registration with ` +
                    `${m.message?.$case ?? "nothing"}: is it a sidecar that speaks the core protocol?`,
                ),
              ),
            );
            return;
          }
          isRegistered = true;
          this.generation++;
          this.call = call;
          this.drainSent = false;
          this.drained = false;
          this.onRegistered(m.message.value);
          onRegistered(m.message.value);
          if (this.stopping) this.drain();
          return;
        }
        try {
          this.handle(m);
        } catch (err) {
          this.config.logger.error("cannot handle a message from the sidecar", { error: err });
        }
      });
      call.on("error", (err: grpc.ServiceError) => {
        if (REFUSAL_CODES.has(err.code)) {
          settle(() =>
            reject(
              new SidecarRefusedError(`the sidecar at ${this.config.address} refused the worker: ${err.details}`),
            ),
          );
        } else if (err.code === grpc.status.CANCELLED && this.stopping) {
          settle(() => resolve("the session was closed at shutdown"));
        } else {
          settle(() => resolve(`the stream to the sidecar broke (${grpc.status[err.code]}: ${err.details})`));
        }
      });
      call.on("end", () => settle(() => resolve("the sidecar ended the session")));
      call.write(ConnectRequest.fromPartial({ message: { $case: "register", value: this.config.register } }));
    });
  }

  private onRegistered(r: Registered): void {
    const reg = this.config.register;
    if (this.registered === undefined) {
      this.config.logger.info(
        `@temporalio/worker ${this.config.sdkVersion} (supported: ${this.config.supportedRange}) on sidecar ` +
          `${r.sidecarIdentity} ${r.sidecarVersion}: task queue ${r.taskQueue}, namespace ${r.namespace}, ` +
          `session ${r.sessionId}, ${reg.workflows.length + (reg.dynamicWorkflow ? 1 : 0)} workflow types` +
          `${reg.dynamicWorkflow ? " (dynamic)" : ""}, ${reg.activities.length} activity types, ` +
          `${reg.nexusServices.length} Nexus services (core protocol ${reg.coreProtocolVersion})`,
      );
      for (const note of this.config.settings.notes) this.config.logger.info(note);
      const sidecarCache = r.limits?.maxCachedWorkflows ?? 0;
      const appCache = this.config.settings.maxCachedWorkflows;
      if (appCache < sidecarCache) {
        this.cacheLimit = appCache;
        this.config.logger.info(
          `maxCachedWorkflows=${appCache}: this worker keeps at most ${appCache} runs of the sidecar's ` +
            `${sidecarCache}-run cache`,
        );
      }
      const caps = r.limits?.maxConcurrent;
      const app = reg.capacity;
      if (caps !== undefined && app !== undefined) {
        for (const [name, mine, cap] of [
          ["maxConcurrentWorkflowTaskExecutions", app.workflowActivations, caps.workflowActivations],
          ["maxConcurrentActivityTaskExecutions", app.activities, caps.activities],
          ["maxConcurrentLocalActivityExecutions", app.localActivities, caps.localActivities],
          ["maxConcurrentNexusTaskExecutions", app.nexusTasks, caps.nexusTasks],
        ] as const) {
          if (cap && mine > cap) {
            this.config.logger.info(`${name}=${mine}: the sidecar runs at most ${cap} at once across its apps, in force`);
          }
        }
      }
    } else {
      this.config.logger.info(`registered again with sidecar ${r.sidecarIdentity} (session ${r.sessionId})`);
    }
    this.registered = r;
  }

  private send(message: NonNullable<ConnectRequest["message"]>): boolean {
    if (this.call === undefined) return false;
    this.call.write({ message });
    return true;
  }

  private drain(): void {
    if (!this.drainSent && this.send({ $case: "drain", value: {} })) this.drainSent = true;
  }

  private handle(m: ConnectResponse): void {
    const msg = m.message;
    switch (msg?.$case) {
      case "coreWorkflowActivation":
        this.onActivation(msg.value);
        return;
      case "coreActivityTask":
        this.onActivityTask(msg.value);
        return;
      case "coreNexusTask":
        this.onNexusTask(msg.value);
        return;
      case "completionError": {
        const e = msg.value;
        const what = e.task?.$case === "runId" ? `run ${e.task.value}` : "a task";
        const text = `the sidecar did not accept the completion of ${what}: ${e.message} (${CompletionErrorKind[e.kind]})`;
        if (e.kind === CompletionErrorKind.COMPLETION_ERROR_KIND_UNKNOWN_TASK) this.config.logger.info(text);
        else this.config.logger.warn(text);
        return;
      }
      case "shutdown": {
        const g = msg.value.gracePeriod;
        const graceMs = g ? Number(g.seconds) * 1000 + Math.floor(g.nanos / 1e6) : 0;
        this.config.logger.info(`the sidecar is shutting down; running activities have ${graceMs}ms to finish`);
        // No new tasks follow; running activities get the sidecar's grace period, then are
        // cancelled as sdk-core cancels them at shutdown.
        const t = setTimeout(() => {
          this.timers.delete(t);
          this.cancelActivities(coresdk.activity_task.ActivityCancelReason.WORKER_SHUTDOWN);
        }, graceMs);
        this.timers.add(t);
        return;
      }
      case "drained":
        this.drained = true;
        // Nothing is outstanding: close our side; the sidecar ends the stream.
        this.call?.end();
        this.checkDone();
        return;
      case "workerError":
        if (msg.value.fatal) {
          this.config.logger.error(`the sidecar stopped polling for good: ${msg.value.message}`);
          this.failPolls(new Error(`the sidecar stopped polling for good: ${msg.value.message}`));
        } else {
          this.config.logger.warn(`the sidecar reports: ${msg.value.message}`);
        }
        return;
      default:
        this.config.logger.warn(`ignoring a ${msg?.$case ?? "empty"} message on a core session`);
    }
  }

  private onActivation(b: Buffer): void {
    const act = coresdk.workflow_activation.WorkflowActivation.decode(b);
    const evicting = act.jobs.some((j) => j.removeFromCache != null);
    let run = this.runs.get(act.runId);
    if (run === undefined) {
      run = {
        session: this.generation,
        outstanding: false,
        evicting: false,
        localEviction: false,
        evictWhenAnswered: false,
        evictionRequested: false,
      };
    } else {
      this.runs.delete(act.runId); // re-inserted last: most recently used
      if (run.outstanding) {
        this.config.logger.error(`the sidecar sent run ${act.runId} a second activation before the first was answered`);
      }
    }
    this.runs.set(act.runId, run);
    run.session = this.generation;
    run.outstanding = true;
    run.evicting = evicting;
    run.localEviction = false;
    this.workflows.put(b);
  }

  private onActivityTask(b: Buffer): void {
    const t = coresdk.activity_task.ActivityTask.decode(b);
    const token = Buffer.from(t.taskToken).toString("base64");
    if (t.start != null) {
      this.tasks.set(token, { session: this.generation, local: t.start.isLocal === true, cancelSent: false });
    } else if (t.cancel != null) {
      const task = this.tasks.get(token);
      if (task !== undefined) {
        if (task.cancelSent) return;
        task.cancelSent = true;
      }
    }
    this.activities.put(b);
  }

  private onNexusTask(b: Buffer): void {
    const t = coresdk.nexus.NexusTask.decode(b);
    if (t.task != null) {
      this.nexusTasks.set(Buffer.from(t.task.taskToken ?? []).toString("base64"), {
        session: this.generation,
        local: false,
        cancelSent: false,
      });
    } else if (t.cancelTask != null) {
      const task = this.nexusTasks.get(Buffer.from(t.cancelTask.taskToken ?? []).toString("base64"));
      if (task !== undefined) {
        if (task.cancelSent) return;
        task.cancelSent = true;
      }
    }
    this.nexus.put(b);
  }

  /** Whatever the session held is gone from the sidecar: evict its runs here, cancel its tasks. */
  private sessionEnded(): void {
    this.call = undefined;
    const ended = this.generation;
    for (const [runId, run] of [...this.runs]) {
      if (run.session !== ended) continue;
      if (run.outstanding) {
        if (run.evicting) run.localEviction = true;
        else run.evictWhenAnswered = true;
      } else if (!this.stopping) {
        this.evictLocally(runId, run, "the session with the sidecar ended");
      }
    }
    this.cancelActivities(coresdk.activity_task.ActivityCancelReason.NOT_FOUND, ended);
    for (const [token, task] of this.nexusTasks) {
      if (task.session !== ended || task.cancelSent) continue;
      task.cancelSent = true;
      this.nexus.put(
        Buffer.from(
          coresdk.nexus.NexusTask.encode({
            cancelTask: {
              taskToken: Buffer.from(token, "base64"),
              reason: coresdk.nexus.NexusTaskCancelReason.WORKER_SHUTDOWN,
            },
          }).finish(),
        ),
      );
    }
    this.checkDone();
  }

  private evictLocally(runId: string, run: Run, why: string): void {
    run.outstanding = true;
    run.evicting = true;
    run.localEviction = true;
    run.evictWhenAnswered = false;
    this.workflows.put(
      Buffer.from(
        coresdk.workflow_activation.WorkflowActivation.encode({
          runId,
          jobs: [
            {
              removeFromCache: {
                message: why,
                reason: coresdk.workflow_activation.RemoveFromCache.EvictionReason.FATAL,
              },
            },
          ],
        }).finish(),
      ),
    );
  }

  private requestEviction(runId: string): void {
    const run = this.runs.get(runId);
    if (run === undefined || run.evictionRequested) return;
    run.evictionRequested = true;
    this.send({ $case: "requestEviction", value: { runId, message: "the worker's maxCachedWorkflows" } });
  }

  private enforceCacheLimit(answered: string): void {
    const limit = this.cacheLimit;
    if (limit === undefined) return;
    if (limit === 0) {
      // sdk-core with no cache evicts every run once its activation is answered.
      this.requestEviction(answered);
      return;
    }
    const cached = [...this.runs].filter(([, r]) => !r.evicting && !r.evictionRequested).map(([id]) => id);
    for (const id of cached.slice(0, Math.max(0, cached.length - limit))) this.requestEviction(id);
  }

  private cancelActivities(reason: coresdk.activity_task.ActivityCancelReason, onlySession?: number): void {
    for (const [token, task] of this.tasks) {
      if (task.cancelSent || (onlySession !== undefined && task.session !== onlySession)) continue;
      // Local activities end with their workflow task; sdk-core cancels only remote ones at shutdown.
      if (onlySession === undefined && task.local) continue;
      task.cancelSent = true;
      const shutdown = reason === coresdk.activity_task.ActivityCancelReason.WORKER_SHUTDOWN;
      this.activities.put(
        Buffer.from(
          coresdk.activity_task.ActivityTask.encode({
            taskToken: Buffer.from(token, "base64"),
            cancel: {
              reason,
              details: shutdown ? { isWorkerShutdown: true } : { isNotFound: true },
            },
          }).finish(),
        ),
      );
    }
  }

  /**
   * Once shutting down and the session is drained (or gone), end each kind's polls when
   * nothing of that kind is outstanding. The SDK evicts its cached runs itself once the
   * workflow poll has ended.
   */
  private checkDone(): void {
    if (!this.stopping) return;
    if (this.call !== undefined && !this.drained) return;
    const outstandingRun = [...this.runs.values()].some((r) => r.outstanding);
    if (!outstandingRun) this.workflows.close();
    if (this.tasks.size === 0) this.activities.close();
    if (this.nexusTasks.size === 0) this.nexus.close();
  }
}
