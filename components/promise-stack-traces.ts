/**
 * Imported first by index.ts: formats the stack trace @pulumi/pulumi takes for every promise it tracks the cheap way
 * V8 does by default, without source maps, and leaves every other trace to the installed (source-mapped) formatter.
 *
 * Why (@pulumi/pulumi 3.270.0): `runtime/debuggable.js:253` `debuggablePromise` stores `new Error().stack` on each
 * promise it wraps (3,705 in a prod evaluation); the trace is only printed for promises still pending at exit
 * (`promiseDebugString`, debuggable.js:238, used by `leakedPromises`). `cmd/run/index.js:30` requires
 * `source-map-support/register` for every program and ts-node 10.9.2 installs `@cspotcode/source-map-support` on top
 * (ts-node dist/index.js:276), so each of those traces was mapped frame by frame: the largest cost of an evaluation.
 * Real errors and the resources' source positions (`resource.js:284-285` `Resource.stackTrace`, parsed from
 * `new Error().stack` at resource.js:329 and sent to the engine as `sourcePosition`) keep the mapped .ts positions.
 *
 * The wrap happens in place when this module loads (cmd/run and ts-node installed their formatters before the program
 * is loaded). Without an installed formatter (plain node, or `--enable-source-maps`, which maps inside Node) nothing
 * changes. Loading it again does not wrap twice.
 */

/** Marks our wrapper, shared by every copy of this module (a test runner may load it more than once). */
const WRAPPED = Symbol.for("cluster-backup.promise-stack-traces");

type PrepareStackTrace = (err: Error, callsites: NodeJS.CallSite[]) => unknown;

const DEBUGGABLE_FILE = /[\\/]@pulumi[\\/]pulumi[\\/]runtime[\\/]debuggable\.js$/;

/** The trace `debuggablePromise` takes for the promise it wraps: its own frame comes first. */
export function isDebuggablePromiseTrace(callsites: readonly NodeJS.CallSite[]): boolean {
  const top = callsites[0];
  return top !== undefined && top.getFunctionName() === "debuggablePromise" && DEBUGGABLE_FILE.test(top.getFileName() ?? "");
}

/** V8's own format: the error's string, then one `    at <callsite>` line per frame. */
export function plainStackTrace(err: Error, callsites: readonly NodeJS.CallSite[]): string {
  let head: string;
  try {
    head = Error.prototype.toString.call(err);
  } catch {
    head = "Error";
  }
  return head + callsites.map((site) => `\n    at ${site}`).join("");
}

/** Wraps the installed `Error.prepareStackTrace`, if any; returns whether the current one is (now) the wrapper. */
export function formatPromiseTracesPlainly(): boolean {
  const installed = Error.prepareStackTrace as (PrepareStackTrace & { [WRAPPED]?: true }) | undefined;
  if (typeof installed !== "function") return false;
  if (installed[WRAPPED]) return true;
  const wrapper = function (this: unknown, err: Error, callsites: NodeJS.CallSite[]): unknown {
    if (isDebuggablePromiseTrace(callsites)) return plainStackTrace(err, callsites);
    return installed.call(this, err, callsites);
  };
  Object.defineProperty(wrapper, WRAPPED, { value: true });
  Error.prepareStackTrace = wrapper;
  return true;
}

formatPromiseTracesPlainly();
