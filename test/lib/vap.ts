/**
 * Evaluates a ValidatingAdmissionPolicy spec the way the API server does (admissionregistration.k8s.io/v1), with a CEL
 * implementation: match constraints (resource and operation), match conditions, variables, then every validation.
 * An evaluation error counts as a failed validation (the policies here all use failurePolicy: Fail).
 */
import { evaluate } from "@marcbachmann/cel-js";
import type { Obj } from "../harness";

export interface AdmissionRequest {
  readonly operation: "CREATE" | "UPDATE" | "DELETE" | "CONNECT";
  readonly resource: { readonly group: string; readonly version: string; readonly resource: string };
  readonly subResource?: string;
  readonly namespace?: string;
  readonly userInfo: { readonly username: string };
}

/** What evaluating one request gives: not matched, or the messages of the validations that did not hold. */
export type Admission = "not matched" | string[];

function holds(expression: string, ctx: Obj): boolean {
  try {
    return evaluate(expression, ctx) === true;
  } catch {
    return false;
  }
}

export function admit(spec: Obj, request: AdmissionRequest, object: Obj | null, oldObject: Obj | null = null, namespaceObject: Obj | null = null): Admission {
  const resourceName = request.subResource ? `${request.resource.resource}/${request.subResource}` : request.resource.resource;
  const ruleMatches = (spec.matchConstraints.resourceRules as Obj[]).some(
    (r) =>
      (r.apiGroups.includes("*") || r.apiGroups.includes(request.resource.group)) &&
      (r.operations.includes("*") || r.operations.includes(request.operation)) &&
      (r.resources.includes("*") || r.resources.includes(resourceName)),
  );
  if (!ruleMatches) return "not matched";
  const ctx: Obj = { request: { namespace: "", ...request }, object, oldObject, namespaceObject };
  for (const condition of (spec.matchConditions ?? []) as Obj[]) {
    try {
      if (evaluate(condition.expression, ctx) !== true) return "not matched";
    } catch {
      return [`match condition ${condition.name} failed to evaluate`];
    }
  }
  const variables: Obj = {};
  for (const v of (spec.variables ?? []) as Obj[]) {
    try {
      variables[v.name] = evaluate(v.expression, { ...ctx, variables });
    } catch {
      // Referencing a variable that failed to evaluate fails the validation that does.
    }
  }
  return (spec.validations as Obj[]).filter((v) => !holds(v.expression, { ...ctx, variables })).map((v) => v.message as string);
}
