/**
 * PromQL syntax check for the alert rules, with Prometheus's own grammar (@prometheus-io/lezer-promql, the parser of
 * the Prometheus web UI): syntax errors, unknown functions (the grammar knows every function name) and, as the one
 * type rule the grammar leaves to the engine, range-vector functions called without a range selector.
 */
import { parser } from "@prometheus-io/lezer-promql";

/** Functions whose argument must be a range vector (`x[5m]`). */
const RANGE_FUNCTIONS = new Set(["Increase", "Rate", "Irate", "Delta", "Idelta", "Deriv", "Changes", "Resets", "PredictLinear", "HoltWinters", "AbsentOverTime", "PresentOverTime", "LastOverTime", "AvgOverTime", "MinOverTime", "MaxOverTime", "SumOverTime", "CountOverTime", "QuantileOverTime", "StddevOverTime", "StdvarOverTime"]);

/** Problems of one expression, as `<kind> at <offset>: <text>`; empty when it parses cleanly. */
export function promqlErrors(expr: string): string[] {
  const tree = parser.parse(expr);
  const errors: string[] = [];
  tree.iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(`syntax error at ${node.from}: '${expr.slice(Math.max(0, node.from - 10), node.to + 10)}'`);
      if (node.name === "FunctionCall") {
        const identifier = node.node.getChild("FunctionIdentifier")?.firstChild?.name;
        const body = node.node.getChild("FunctionCallBody");
        if (identifier && RANGE_FUNCTIONS.has(identifier)) {
          const first = body?.firstChild;
          if (!first || (first.name !== "MatrixSelector" && first.name !== "SubqueryExpr")) {
            errors.push(`${identifier} at ${node.from} needs a range vector argument: '${expr.slice(node.from, node.to)}'`);
          }
        }
      }
    },
  });
  if (tree.topNode.name !== "PromQL") errors.push(`not a PromQL expression: ${tree.topNode.name}`);
  return errors;
}
