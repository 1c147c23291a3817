// Real processes for the adapter's integration tests, as clients/python/tests/conftest.py
// starts them: a Temporal dev server (the pinned CLI) and the sidecar built from this
// repository. A missing tool fails the tests; they are never skipped.

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import { Connection } from "@temporalio/client";

export const REPO_ROOT = path.resolve(__dirname, "../../../..");
export const NAMESPACE = "default";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Whether nothing listens on 127.0.0.1:port. */
export async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

function tail(file: string, n = 40): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-n).join("\n");
  } catch {
    return "";
  }
}

/** Polls cond every 50ms until it holds; fails with what() after timeoutMs. */
export async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(what());
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A process started in its own group, so that stopping it stops its children too. */
class Proc {
  exitCode: number | null = null;
  readonly exited: Promise<number | null>;
  constructor(
    readonly child: ChildProcess,
    readonly log: string,
  ) {
    this.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        this.exitCode = code ?? (signal ? -1 : null);
        resolve(this.exitCode);
      }),
    );
  }

  get running(): boolean {
    return this.exitCode === null;
  }

  logSays(text: string): boolean {
    try {
      return readFileSync(this.log, "utf8").includes(text);
    } catch {
      return false;
    }
  }

  /** SIGKILL: a crash. */
  async kill(): Promise<void> {
    if (!this.running || this.child.pid === undefined) return;
    process.kill(-this.child.pid, "SIGKILL");
    await this.exited;
  }

  /** SIGTERM (graceful), then SIGKILL after timeoutMs; resolves with the exit code. */
  async stop(timeoutMs = 15_000): Promise<number | null> {
    if (!this.running || this.child.pid === undefined) return this.exitCode;
    try {
      process.kill(-this.child.pid, "SIGTERM");
    } catch {
      return this.exitCode;
    }
    const t = setTimeout(() => {
      try {
        process.kill(-this.child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }, timeoutMs);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }
}

function start(cmd: string, args: string[], log: string, env?: NodeJS.ProcessEnv, cwd?: string): Proc {
  const out = openSync(log, "a");
  const child = spawn(cmd, args, { stdio: ["ignore", out, out], detached: true, env: env ?? process.env, cwd });
  return new Proc(child, log);
}

export class Env {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), "tsc-"));
  private readonly procs: Proc[] = [];
  devServer = "";
  sidecarBinary = "";

  /** Starts the dev server and builds the sidecar (or takes $TEMPORAL_SIDECAR_BINARY). */
  async setUp(): Promise<void> {
    const [, binary] = await Promise.all([this.startDevServer(), this.buildSidecar()]);
    this.sidecarBinary = binary;
  }

  private temporalCli(): string {
    const cli = process.env["TEMPORAL_CLI"] || path.join(REPO_ROOT, "bin", "temporal");
    if (!existsSync(cli)) {
      throw new Error(
        `the Temporal CLI is not at ${cli}: run \`make temporal-cli\` ` +
          "(go install github.com/temporalio/cli/cmd/temporal@v1.5.1) or set TEMPORAL_CLI",
      );
    }
    return cli;
  }

  private async startDevServer(): Promise<void> {
    const [port, httpPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
    this.devServer = `127.0.0.1:${port}`;
    const proc = start(
      this.temporalCli(),
      [
        "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", String(port),
        "--http-port", String(httpPort), "--metrics-port", String(metricsPort), "--log-level", "warn",
        "--disable-config-file", "--disable-config-env",
      ],
      path.join(this.dir, "devserver.log"),
    );
    this.procs.push(proc);
    await waitUntil(
      async () => {
        if (!proc.running) throw new Error(`the Temporal dev server exited with ${proc.exitCode}:\n${tail(proc.log)}`);
        let conn: Connection | undefined;
        try {
          conn = await Connection.connect({ address: this.devServer, connectTimeout: 2000 });
          await conn.workflowService.describeNamespace({ namespace: NAMESPACE });
          return true;
        } catch {
          return false;
        } finally {
          await conn?.close();
        }
      },
      90_000,
      () => `the Temporal dev server did not answer within 90s:\n${tail(proc.log)}`,
    );
  }

  private async buildSidecar(): Promise<string> {
    const prebuilt = process.env["TEMPORAL_SIDECAR_BINARY"];
    if (prebuilt) {
      if (!existsSync(prebuilt)) throw new Error(`TEMPORAL_SIDECAR_BINARY=${prebuilt} does not exist`);
      return prebuilt;
    }
    const out = path.join(this.dir, "sidecar");
    try {
      await promisify(execFile)(process.env["GO"] || "go", ["build", "-o", out, "./cmd/sidecar"], {
        cwd: REPO_ROOT,
        maxBuffer: 16 << 20,
      });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(`go build ./cmd/sidecar failed (install Go 1.26 or set GO):\n${e.stderr ?? e.message}`);
    }
    return out;
  }

  /**
   * Starts a sidecar serving every task queue its apps register, with the WorkflowService
   * proxy on its loopback TCP bridge; resolves with its bridge address once it is ready.
   */
  async startSidecar(opts: { port?: number; args?: string[] } = {}): Promise<{ address: string; proc: Proc }> {
    const port = opts.port ?? (await freePort());
    const address = `127.0.0.1:${port}`;
    const log = path.join(this.dir, `sidecar-${port}.log`);
    const proc = start(
      this.sidecarBinary,
      [
        "--address", this.devServer, "--namespace", NAMESPACE, "--bridge-listen", address,
        "--workflow-service-proxy", "--http-listen", "", "--log-level", "debug",
        "--task-queue-idle-timeout", "1s", ...(opts.args ?? []),
      ],
      log,
    );
    this.procs.push(proc);
    await waitUntil(
      () => {
        if (!proc.running) throw new Error(`the sidecar exited with ${proc.exitCode}:\n${tail(log)}`);
        return proc.logSays("sidecar ready");
      },
      30_000,
      () => `the sidecar did not start within 30s:\n${tail(log)}`,
    );
    return { address, proc };
  }

  /**
   * Starts an example app (node by default; `runner` is another interpreter and its
   * arguments before the script) with its output in the test directory.
   */
  startApp(script: string, env: NodeJS.ProcessEnv, name: string, runner: string[] = [process.execPath], args: string[] = []): Proc {
    const [cmd, ...pre] = runner as [string, ...string[]];
    const proc = start(cmd, [...pre, script, ...args], path.join(this.dir, `${name}.log`), { ...process.env, ...env });
    this.procs.push(proc);
    return proc;
  }

  tail(file: string): string {
    return tail(file);
  }

  async tearDown(): Promise<void> {
    for (const p of [...this.procs].reverse()) await p.stop();
    if (!process.env["TEMPORAL_SIDECAR_KEEP_LOGS"]) rmSync(this.dir, { recursive: true, force: true });
  }
}

export type { Proc };
