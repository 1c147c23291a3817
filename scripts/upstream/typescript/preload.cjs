// Preloaded (node --require) into every ava worker process of sdk-typescript's
// packages/test by scripts/upstream/typescript/run.py in sidecar mode: every Worker
// the tests create with Worker.create (directly, or through test-helpers' wrapper)
// is created with SidecarWorker.create instead, with the same options, so it runs on
// the sidecar through the adapter. Replay (Worker.runReplayHistory) stays sdk-core's,
// as it does in the adapter. A test's own Worker subclass (one that sets its own
// native worker) is left alone and counted as native.
//
// Environment:
//   UPSTREAM_TS_MODULES   the harness directory whose node_modules the tests use
//   UPSTREAM_TS_COUNTS    a JSON-lines file: a line per Worker created, on the sidecar or natively
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');

const modules = process.env.UPSTREAM_TS_MODULES;
if (!modules) throw new Error('preload.cjs: UPSTREAM_TS_MODULES is not set');
const req = createRequire(path.join(modules, 'noop.js'));

// The same module instances the tests load (node caches by real path).
const { Worker } = req('@temporalio/worker');
const { SidecarWorker } = req('@temporal-sidecar/client/sdk');

const original = Worker.create;
const countsFile = process.env.UPSTREAM_TS_COUNTS;

// One line per Worker created, written at once (a test process may be killed).
function count(kind) {
  if (!countsFile) return;
  try {
    fs.appendFileSync(countsFile, JSON.stringify({ pid: process.pid, [kind]: 1 }) + '\n');
  } catch {
    // best effort
  }
}

function isSidecarClass(cls) {
  return cls === SidecarWorker || (typeof cls === 'function' && cls.prototype instanceof SidecarWorker);
}

Worker.create = async function create(options) {
  // SidecarWorker.create ends in super.create, i.e. here with this = SidecarWorker.
  if (isSidecarClass(this)) return await original.call(this, options);
  if (this !== Worker) {
    count('native');
    return await original.call(this, options);
  }
  count('sidecar');
  return await SidecarWorker.create(options);
};
