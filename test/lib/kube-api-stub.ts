/**
 * A read-only Kubernetes API server on loopback for running the real kubectl against fixed objects: legacy discovery
 * (`/api`, `/api/v1`, `/apis`, `/apis/<group>/<version>`: what kubectl falls back to when the server does not answer
 * aggregated discovery) and GET of one object or a list (with an equality label selector). Enough for `kubectl get
 * <resource> [name] [-l k=v] [--ignore-not-found] -o jsonpath=…`; anything else is a 404 Status.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A resource kubectl can name: where it lives in the API and what discovery says of it. */
export interface StubResource {
  /** "" for the core group. */
  readonly group: string;
  readonly version: string;
  /** Plural name, e.g. `restores`. */
  readonly name: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly shortNames?: readonly string[];
}

/** One stored object: its resource and the object itself (metadata.name and, when namespaced, metadata.namespace). */
export interface StubObject {
  readonly resource: StubResource;
  readonly object: { metadata: { name: string; namespace?: string; labels?: Record<string, string> } } & Record<string, unknown>;
}

export interface KubeApiStub {
  readonly url: string;
  /** Every request, `METHOD path?query`. */
  readonly requests: string[];
  close(): Promise<void>;
}

const VERBS = ["get", "list"];

function groupVersion(r: StubResource): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

function discovery(resources: readonly StubResource[], path: string): unknown {
  if (path === "/api") return { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [] };
  if (path === "/apis") {
    const groups = [...new Set(resources.filter((r) => r.group).map((r) => groupVersion(r)))].map((gv) => {
      const [name, version] = gv.split("/");
      const preferred = { groupVersion: gv, version };
      return { name, versions: [preferred], preferredVersion: preferred };
    });
    return { kind: "APIGroupList", apiVersion: "v1", groups };
  }
  const gv = path === "/api/v1" ? "v1" : path.replace(/^\/apis\//, "");
  const matching = resources.filter((r) => groupVersion(r) === gv);
  if (matching.length === 0) return undefined;
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: gv,
    resources: matching.map((r) => ({ name: r.name, singularName: r.kind.toLowerCase(), namespaced: r.namespaced, kind: r.kind, verbs: VERBS, shortNames: r.shortNames ?? [] })),
  };
}

function selected(labels: Record<string, string> | undefined, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(",").every((term) => {
    const [key, value] = term.split("=");
    return (labels ?? {})[key] === value;
  });
}

/** Starts the stub with these resources and objects. */
export async function startKubeApiStub(resources: readonly StubResource[], objects: readonly StubObject[]): Promise<KubeApiStub> {
  const requests: string[] = [];
  const send = (res: ServerResponse, code: number, body: unknown) => {
    res.writeHead(code, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const notFound = (res: ServerResponse, what: string) =>
    send(res, 404, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: `${what} not found`, reason: "NotFound", code: 404 });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://stub");
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    if (req.method !== "GET") return send(res, 405, { kind: "Status", apiVersion: "v1", status: "Failure", code: 405 });
    const found = discovery(resources, url.pathname);
    if (found) return send(res, 200, found);
    const m = /^\/(?:api\/v1|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?$/.exec(url.pathname);
    if (!m) return notFound(res, url.pathname);
    const [, group = "", version = "v1", namespace, plural, name] = m;
    const resource = resources.find((r) => r.group === group && r.version === version && r.name === plural);
    if (!resource) return notFound(res, plural);
    const inScope = objects.filter((o) => o.resource === resource && (namespace === undefined || o.object.metadata.namespace === namespace));
    const apiVersion = groupVersion(resource);
    if (name !== undefined) {
      const one = inScope.find((o) => o.object.metadata.name === name);
      return one ? send(res, 200, { apiVersion, kind: resource.kind, ...one.object }) : notFound(res, `${plural} "${name}"`);
    }
    const items = inScope.filter((o) => selected(o.object.metadata.labels, url.searchParams.get("labelSelector"))).map((o) => ({ apiVersion, kind: resource.kind, ...o.object }));
    return send(res, 200, { apiVersion, kind: `${resource.kind}List`, metadata: { resourceVersion: "1" }, items });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
