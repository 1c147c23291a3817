// The TypeScript half of the polyglot pod: an activity the Python app's workflow
// (examples/polyglot/python_app.py, PyGreeter) calls by name. Plain @temporalio/activity code.

/** Called by the Python workflow PyGreeter on the same task queue. */
export async function ts_greet(name: string): Promise<string> {
  return `Hello, ${name}, from TypeScript!`;
}
