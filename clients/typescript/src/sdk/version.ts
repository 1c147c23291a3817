// Which @temporalio/worker releases the adapter runs.

import { createRequire } from "node:module";

/** The sidecar's core protocol the adapter speaks (Register.core_protocol_version). */
export const CORE_PROTOCOL_VERSION = 1;

/**
 * The @temporalio/worker releases whose native-worker seam (`Worker.nativeWorkerCtor`,
 * `NativeWorkerLike`) and sdk-core messages the adapter drives, both bounds inclusive
 * as [major, minor]. 1.22 is the newest tag of the public sdk-typescript snapshot (its
 * tests run through the adapter); 1.24.0 is pinned in package-lock.json. The seam has
 * the same shape since 1.15, but older releases carry an sdk-core whose messages predate
 * the sidecar's core protocol 1.
 */
export const SUPPORTED_RANGE: readonly [readonly [number, number], readonly [number, number]] = [
  [1, 22],
  [1, 24],
];

/** The pinned release the tests run. */
export const PINNED_VERSION = "1.24.0";

export class UnsupportedTemporalVersionError extends Error {
  override name = "UnsupportedTemporalVersionError";
}

export function supportedRangeText(): string {
  const [[loMa, loMi], [hiMa, hiMi]] = SUPPORTED_RANGE;
  return `${loMa}.${loMi}.0 to ${hiMa}.${hiMi}.x`;
}

/** The installed @temporalio/worker's version. */
export function temporalWorkerVersion(): string {
  const require = createRequire(__filename);
  const pkg = require("@temporalio/worker/package.json") as { version: string };
  return pkg.version;
}

/**
 * Returns the installed @temporalio/worker's version, or throws naming it and the
 * supported range when the adapter does not drive it.
 */
export function checkTemporalWorkerVersion(version: string = temporalWorkerVersion()): string {
  const m = /^(\d+)\.(\d+)\./.exec(version);
  if (m === null) {
    throw new UnsupportedTemporalVersionError(`cannot read @temporalio/worker's version ${JSON.stringify(version)}`);
  }
  const got = Number(m[1]) * 1000 + Number(m[2]);
  const [[loMa, loMi], [hiMa, hiMi]] = SUPPORTED_RANGE;
  if (got < loMa * 1000 + loMi || got > hiMa * 1000 + hiMi) {
    throw new UnsupportedTemporalVersionError(
      `@temporalio/worker ${version} is not supported by @temporal-sidecar/client/sdk, which runs ` +
        `@temporalio/worker ${supportedRangeText()} (built and tested against ${PINNED_VERSION}; ` +
        `sidecar core protocol ${CORE_PROTOCOL_VERSION}); install a @temporalio/worker in that range`,
    );
  }
  return version;
}
