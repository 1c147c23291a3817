// The TypeScript half of the polyglot pod: a workflow that calls an activity the Python
// app (examples/polyglot/python_app.py) serves on the same task queue. Plain
// @temporalio/workflow code; the activity is known by its name alone.

import { proxyActivities } from "@temporalio/workflow";

/** The Python app's activity py_shout(text) -> str. */
interface PythonActivities {
  py_shout(text: string): Promise<string>;
}

const { py_shout } = proxyActivities<PythonActivities>({ startToCloseTimeout: "10s" });

/** Calls the Python activity py_shout. */
export async function tsGreeter(name: string): Promise<string> {
  return `${await py_shout(name)} (via a TypeScript workflow)`;
}
