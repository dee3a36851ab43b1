/**
 * Validates Kubernetes objects against the real schemas: `velero.io` (and other CRD-backed kinds) against the CRD
 * OpenAPI schemas, core kinds against the official Kubernetes OpenAPI schemas shipped by `kubernetes-models`.
 * CRD schemas are made strict (unknown fields are errors): the API server would prune a misspelt field silently, which
 * for a backup Schedule means a setting that never takes effect. Core kinds are typed at compile time by
 * @pulumi/kubernetes, so their schema check covers types, enums and required fields.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { parseAllDocuments } from "yaml";

type Obj = Record<string, unknown>;

/** The velero.io CRDs: vendored from Velero's repository (see fixtures/velero-crds/SOURCE.md), or `VELERO_CRDS_DIR`. */
export const VELERO_CRDS_DIR = resolve(process.env.VELERO_CRDS_DIR ?? join(__dirname, "..", "fixtures", "velero-crds"));
/** CRDs of other projects this program writes objects of (copied from their upstream repositories). */
const EXTRA_CRDS_DIR = join(__dirname, "..", "fixtures", "crds");

/** Marks every object schema that lists its properties as closed, unless it preserves unknown fields. */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (!schema || typeof schema !== "object") return schema;
  const s = Object.fromEntries(Object.entries(schema as Obj).map(([k, v]) => [k, k === "enum" || k === "default" || k === "example" ? v : strict(v)])) as Obj;
  if (s.properties && s.additionalProperties === undefined && !s["x-kubernetes-preserve-unknown-fields"]) s.additionalProperties = false;
  if (s["x-kubernetes-int-or-string"]) {
    delete s.type;
    s.anyOf = [{ type: "integer" }, { type: "string" }];
  }
  return s;
}

// Formats (date-time, int64...) are not part of what a manifest of ours can get wrong; types and fields are.
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const crdValidators = new Map<string, ValidateFunction>();

function loadCrds(dir: string): void {
  if (!existsSync(dir)) return;
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), "utf8"))) {
      const crd = doc.toJS() as { kind?: string; spec?: { group: string; names: { kind: string }; versions: { name: string; schema?: { openAPIV3Schema: Obj } }[] } };
      if (crd?.kind !== "CustomResourceDefinition" || !crd.spec) continue;
      for (const version of crd.spec.versions) {
        if (!version.schema) continue;
        const schema = strict(version.schema.openAPIV3Schema) as Obj;
        // metadata is checked against ObjectMeta below; the CRD only says "object".
        (schema.properties as Obj).metadata = { type: "object" };
        crdValidators.set(`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`, ajv.compile(schema));
      }
    }
  }
}

export function veleroCrdsAvailable(): boolean {
  return existsSync(VELERO_CRDS_DIR) && readdirSync(VELERO_CRDS_DIR).some((f) => f.endsWith(".yaml"));
}

/** The one line printed (locally) or thrown (with `CI` set) when the CRDs are missing: CI never skips them. */
export const MISSING_CRDS_LINE = `velero.io CRDs not found in ${VELERO_CRDS_DIR}: unset VELERO_CRDS_DIR to use the vendored copy in test/fixtures/velero-crds, or point it at a folder of velero.io_*.yaml files`;
if (!veleroCrdsAvailable()) {
  if (process.env.CI) throw new Error(MISSING_CRDS_LINE);
  console.warn(`SKIPPING the velero.io conformance checks: ${MISSING_CRDS_LINE}`);
}

loadCrds(VELERO_CRDS_DIR);
loadCrds(EXTRA_CRDS_DIR);

const OBJECT_META_SCHEMA = join(__dirname, "..", "..", "node_modules", "@kubernetes-models", "apimachinery", "_schemas", "IoK8sApimachineryPkgApisMetaV1ObjectMeta.js");

function schemaModuleName(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["core", apiVersion];
  const groupPart = group.split(".")[0];
  return `IoK8sApi${groupPart[0].toUpperCase()}${groupPart.slice(1)}${version[0].toUpperCase()}${version.slice(1)}${kind}`;
}

function describe(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "type":
      return `must be ${p.type}`;
    case "required":
      return `must have required property '${p.missingProperty}'`;
    case "additionalProperties":
      return `unknown field '${p.additionalProperty}'`;
    case "enum":
      return `must be one of ${JSON.stringify(p.allowedValues)}`;
    default:
      return e.message ?? `${e.keyword} ${JSON.stringify(p)}`;
  }
}

function format(errors: readonly ErrorObject[] | null | undefined, ignoreRequired: boolean): string[] {
  return (errors ?? []).filter((e) => !(ignoreRequired && e.keyword === "required")).map((e) => `${e.instancePath || "/"} ${e.keyword}: ${describe(e)}`);
}

async function coreValidator(apiVersion: string, kind: string): Promise<((data: unknown) => boolean) & { errors?: ErrorObject[] | null } | undefined> {
  const file = join(__dirname, "..", "..", "node_modules", "kubernetes-models", "_schemas", `${schemaModuleName(apiVersion, kind)}.js`);
  if (!existsSync(file)) return undefined;
  return (await import(file)).validate;
}

/**
 * Schema errors of one object (empty when valid). `partial`: a server-side-apply patch, which may omit required
 * fields but must not carry wrong ones.
 */
export async function validateObject(object: Obj, partial = false): Promise<string[]> {
  const apiVersion = String(object.apiVersion);
  const kind = String(object.kind);
  const errors: string[] = [];
  const crd = crdValidators.get(`${apiVersion}/${kind}`) ?? crdValidators.get(`${apiVersion.split("/")[0]}/${apiVersion.split("/")[1]}/${kind}`);
  if (crd) {
    if (!crd(object)) errors.push(...format(crd.errors, partial));
    const metaValidate = (await import(OBJECT_META_SCHEMA)).validate;
    if (!metaValidate(object.metadata)) errors.push(...format(metaValidate.errors, partial).map((e) => `/metadata${e}`));
  } else {
    const validate = await coreValidator(apiVersion, kind);
    if (!validate) return [`no schema known for ${apiVersion} ${kind}: add its CRD to test/fixtures/crds`];
    if (!validate(object)) errors.push(...format(validate.errors, partial));
  }
  return errors;
}
