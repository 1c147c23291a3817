// The end-to-end benchmark's workflows for @temporalio/worker (see bench/internal/workloads
// for the Go definitions the other contenders follow): the same logic as every contender.

import { condition, defineSignal, proxyActivities, setHandler, sleep } from "@temporalio/workflow";

interface EchoActivities {
  Echo(s: string): Promise<string>;
}

// One attempt, so a lost or failed task fails the workflow and shows in the results.
const { Echo } = proxyActivities<EchoActivities>({ startToCloseTimeout: "30s", retry: { maximumAttempts: 1 } });

/** Chain(k, input): k Echo activities one after another, each on the previous result. */
export async function Chain(k: number, input: string): Promise<string> {
  let out = input;
  for (let i = 0; i < k; i++) out = await Echo(out);
  return out;
}

export const goSignal = defineSignal<[string]>("go");

/** TimerSignal(ms): sleeps ms milliseconds, waits for the signal "go", returns its value. */
export async function TimerSignal(ms: number): Promise<string> {
  let value: string | undefined;
  setHandler(goSignal, (v: string) => {
    if (value === undefined) value = v;
  });
  await sleep(ms);
  await condition(() => value !== undefined);
  return value!;
}
