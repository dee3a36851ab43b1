// A stand-in for kubectl for the restore-drill script tests: answers the calls the script makes from a JSON state
// file ($FAKE_KUBECTL_STATE) and records every call in it. Objects: namespaces, backups, restores, podvolumerestores,
// pods, pvcs and workloads (by namespace), events, cronjob uids, RoleBindings and NetworkPolicies created, workloads
// scaled. A created Restore gets `restoreStatus` of the state as its status (and PodVolumeRestores labelled with its
// name from `podVolumeRestores`; the target namespace gets `restoredPods`, `restoredPvcs` and `restoredWorkloads`).
// `backupResults` holds backups' results files (as JSON; `backupResultsText`: as text). `networkPolicyFailures`
// makes that many NetworkPolicy creations fail first (RBAC propagation). `listedLabels` are the labels a label selector
// sees on a namespace instead of its own (it changed between a list and a later read). Anything else fails like
// kubectl would.
//
// One process serves all calls of every drill run of a test file (a node start per kubectl call, or per run, would
// cost more CPU than the drill). Each run has its own directory ($FAKE_KUBECTL_DIR): its state file state.json, the
// FIFO `response`, and `request`, a link to the FIFO this process reads. The `kubectl` on the script's PATH is
// test/lib/fake-kubectl.sh, which writes its arguments (and, for `-f -`, its standard input) into its run's directory
// and writes that directory's path into `request`; this process answers into the directory's `stdout` and `stderr` and
// writes the exit code into its FIFO `response`. One call at a time: a script makes one kubectl call at a time, and a
// test file one run at a time. The state is read before and written after every call, so it is complete when the
// script ends.
//
// Usage: node fake-kubectl.mjs <request FIFO>
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { jsonpath as render } from "./fake-jsonpath.mjs";

const requests = process.argv[2];
/** The run directory and state of the call being answered. */
let dir;
let state;

/** The answer to one call: ends it (thrown by out and die). */
class Reply {
  constructor(code, stdout, stderr) {
    this.code = code;
    this.stdout = stdout;
    this.stderr = stderr;
  }
}

function out(text) {
  throw new Reply(0, text, "");
}
function die(message) {
  throw new Reply(1, "", `error: ${message}\n`);
}

function matches(obj, sel) {
  if (!sel) return true;
  const labels = state.listedLabels?.[obj.metadata.name] ?? obj.metadata.labels ?? {};
  return sel.split(",").every((term) => {
    const [k, v] = term.split("=");
    return labels[k] === v;
  });
}
/** kubectl's `-o jsonpath=` output of the object (test/lib/fake-jsonpath.mjs); an unsupported template fails the call. */
function jsonpath(obj, template) {
  const text = render(obj, template);
  if (text === undefined) die(`unsupported JSONPath ${template}`);
  return text;
}
function list(items) {
  return JSON.stringify({ apiVersion: "v1", kind: "List", items });
}

const kinds = {
  namespace: "namespaces",
  namespaces: "namespaces",
  "backups.velero.io": "backups",
  "restores.velero.io": "restores",
  "podvolumerestores.velero.io": "podvolumerestores",
  "podvolumebackups.velero.io": "podvolumebackups",
  "downloadrequests.velero.io": "downloadrequests",
  pods: "pods",
  persistentvolumeclaims: "pvcs",
  cronjob: "cronjobs",
};

/** One kubectl call: its arguments and what it read on standard input. Ends by throwing its Reply. */
function call(args, stdin) {
  state.calls.push(args.join(" "));
  // Parse: flags with values, boolean flags, positionals.
  const valued = new Set(["-n", "--namespace", "-l", "--selector", "-o", "--output", "-f", "--filename", "--timeout", "--replicas"]);
  const flags = {};
  const positional = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.includes("=") && a.startsWith("--")) {
      const [k, v] = a.split(/=(.*)/s);
      flags[k] = v;
    } else if (valued.has(a)) {
      flags[a] = args[++i];
    } else if (a.startsWith("-")) {
      flags[a] = true;
    } else {
      positional.push(a);
    }
  }
  const ns = flags["-n"] ?? flags["--namespace"];
  const selector = flags["-l"] ?? flags["--selector"];
  const output = flags["-o"] ?? flags["--output"];
  const [verb, resource, name] = positional;

  if (verb === "get" && resource === "deployments.apps,statefulsets.apps") {
    if (output !== "name") die(`unsupported output ${output}`);
    out((state.workloads?.[ns] ?? []).map((w) => `${w}\n`).join(""));
  }

  if (verb === "scale") {
    if (flags["--replicas"] !== "0") die("the drill only scales to zero");
    const targets = positional.slice(1);
    for (const t of targets) {
      if (!(state.workloads?.[ns] ?? []).includes(t)) die(`${t} not found in ${ns}`);
      state.scaled.push(`${ns}/${t}`);
    }
    out(targets.map((t) => `${t} scaled\n`).join(""));
  }

  if (verb === "get") {
    const kind = kinds[resource];
    if (!kind) die(`the server doesn't have a resource type "${resource}"`);
    if (kind === "cronjobs") {
      const uid = state.cronjobs[name];
      if (!uid) die(`cronjobs.batch "${name}" not found`);
      out(output === "jsonpath={.metadata.uid}" ? uid : JSON.stringify({ metadata: { name, uid } }));
    }
    if (kind === "downloadrequests") {
      // Signed as Velero does, with a file:// URL to the backup's results (gzip JSON), or to nothing when it has none.
      const request = (state.downloadrequests ?? []).find((o) => o.metadata.name === name && o.metadata.namespace === ns);
      if (!request) die(`downloadrequests.velero.io "${name}" not found`);
      if (output !== "jsonpath={.status.downloadURL}") die(`unsupported output ${output}`);
      const target = request.spec.target.name;
      const file = join(dir, `${target}-results.gz`);
      const results = (state.backupResults ?? {})[target];
      if (results !== undefined) writeFileSync(file, gzipSync(JSON.stringify(results)));
      // A results file that is not JSON at all, as is.
      const raw = (state.backupResultsText ?? {})[target];
      if (raw !== undefined) writeFileSync(file, gzipSync(raw));
      out(`file://${file}`);
    }
    let items;
    if (kind === "namespaces") items = state.namespaces;
    else if (kind === "pods" || kind === "pvcs") items = (state[kind][ns] ?? []);
    else items = (state[kind] ?? []).filter((o) => o.metadata.namespace === ns);
    if (name) {
      const found = items.find((o) => o.metadata.name === name);
      if (!found) {
        if (flags["--ignore-not-found"]) out("");
        die(`${resource} "${name}" not found`);
      }
      if (output === "name") out(`namespace/${name}\n`);
      if (output === "json") out(JSON.stringify(found));
      if (output?.startsWith("jsonpath=")) out(jsonpath(found, output.slice("jsonpath=".length)));
      die(`unsupported output ${output}`);
    }
    const selected = items.filter((o) => matches(o, selector));
    if (output === "json") out(list(selected));
    if (output?.startsWith("jsonpath=")) out(jsonpath({ kind: "List", items: selected }, output.slice("jsonpath=".length)));
    die(`unsupported output ${output}`);
  }

  if (verb === "create") {
    const file = flags["-f"] ?? flags["--filename"];
    const obj = JSON.parse(file === "-" ? stdin : readFileSync(file, "utf8"));
    state.created.push(obj);
    if (obj.kind === "Namespace") {
      state.namespaces.push(obj);
    } else if (obj.kind === "Restore") {
      state.restores.push({ ...obj, status: state.restoreStatus });
      for (const pvr of state.podVolumeRestores ?? []) {
        state.podvolumerestores.push({ metadata: { name: `${obj.metadata.name}-${pvr.name}`, namespace: obj.metadata.namespace, labels: { "velero.io/restore-name": obj.metadata.name } }, status: { phase: pvr.phase } });
      }
      // The restored namespace's pods and PVCs, as the fixture describes them.
      const target = Object.values(obj.spec.namespaceMapping)[0];
      state.pods[target] = state.restoredPods ?? [];
      state.pvcs[target] = state.restoredPvcs ?? [];
      state.workloads[target] = state.restoredWorkloads ?? [];
    } else if (obj.kind === "DownloadRequest") {
      state.downloadrequests = [...(state.downloadrequests ?? []), obj];
    } else if (obj.kind === "Event") {
      state.events.push(obj);
    } else if (obj.kind === "RoleBinding") {
      state.rolebindings.push(obj);
    } else if (obj.kind === "NetworkPolicy") {
      if ((state.networkPolicyFailures ?? 0) > 0) {
        state.networkPolicyFailures -= 1;
        state.created.pop();
        die(`networkpolicies.networking.k8s.io is forbidden: User "system:serviceaccount:backup-system:restore-drill" cannot create resource "networkpolicies" in the namespace "${obj.metadata.namespace}"`);
      }
      state.networkpolicies.push(obj);
    } else {
      die(`unexpected kind ${obj.kind}`);
    }
    out(`${obj.kind.toLowerCase()}/${obj.metadata.name ?? "generated"} created\n`);
  }

  if (verb === "delete") {
    const kind = kinds[resource];
    if (kind === "namespaces") {
      const before = state.namespaces.length;
      state.namespaces = state.namespaces.filter((o) => o.metadata.name !== name);
      if (state.namespaces.length === before) die(`namespaces "${name}" not found`);
      state.deleted.push(`namespace/${name}`);
      out(`namespace "${name}" deleted\n`);
    }
    if (kind === "restores") {
      state.restores = state.restores.filter((o) => o.metadata.name !== name);
      state.deleted.push(`restore/${ns}/${name}`);
      out(`restore.velero.io "${name}" deleted\n`);
    }
    die(`unexpected delete ${resource}`);
  }

  die(`unexpected call: ${args.join(" ")}`);
}

for (;;) {
  // Blocks until fake-kubectl.sh opens the FIFO; the call's files are complete once it has written its directory.
  dir = readFileSync(requests, "utf8");
  const stateFile = join(dir, "state.json");
  state = JSON.parse(readFileSync(stateFile, "utf8"));
  const args = readFileSync(join(dir, "args"), "utf8").split("\0").slice(0, -1);
  const stdinFile = join(dir, "stdin");
  const stdin = existsSync(stdinFile) ? readFileSync(stdinFile, "utf8") : "";
  rmSync(stdinFile, { force: true });
  let reply;
  try {
    call(args, stdin);
    reply = new Reply(1, "", "error: the fake kubectl did not answer\n");
  } catch (err) {
    if (err instanceof Reply) {
      reply = err;
    } else {
      // A fault of this stand-in: the call fails and the log (the test's check after the run) has it.
      process.stderr.write(`${err.stack}\n`);
      reply = new Reply(1, "", `error: the fake kubectl failed: ${err.message}\n`);
    }
  }
  writeFileSync(stateFile, JSON.stringify(state));
  writeFileSync(join(dir, "stdout"), reply.stdout);
  writeFileSync(join(dir, "stderr"), reply.stderr);
  try {
    writeFileSync(join(dir, "response"), `${reply.code}\n`);
  } catch (err) {
    // The test released a call whose kubectl was killed (its run timed out): nobody reads the answer.
    if (err.code !== "EPIPE") throw err;
  }
}
