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

/**
 * The metric names an expression selects, read off its parse tree: each VectorSelector's Identifier, or its
 * `__name__="x"` / quoted `{"x"}` matcher. A selector whose name is a regex or missing is a problem (no catalog can
 * vouch for it), as is a syntax error.
 */
export function promqlMetricNames(expr: string): { names: string[]; problems: string[] } {
  const tree = parser.parse(expr);
  const names: string[] = [];
  const problems = promqlErrors(expr);
  tree.iterate({
    enter: (node) => {
      if (node.name !== "VectorSelector") return;
      const text = expr.slice(node.from, node.to);
      const identifier = node.node.getChild("Identifier");
      if (identifier) {
        names.push(expr.slice(identifier.from, identifier.to));
        return;
      }
      const matchers = node.node.getChild("LabelMatchers");
      let named = false;
      for (let m = matchers?.firstChild; m; m = m.nextSibling) {
        const label = m.getChild("LabelName") ?? m.getChild("QuotedLabelName");
        const value = m.getChild("StringLiteral");
        if (m.name === "QuotedLabelName" || (m.name === "QuotedLabelMatcher" && !value)) {
          names.push(JSON.parse(expr.slice(m.from, m.to).replace(/^[^"]*/, "")));
          named = true;
        } else if (label && expr.slice(label.from, label.to) === "__name__" && value) {
          if (m.getChild("MatchOp")?.firstChild?.name !== "EqlSingle") problems.push(`metric name by pattern in '${text}'`);
          else names.push(JSON.parse(expr.slice(value.from, value.to)));
          named = true;
        }
      }
      if (!named) problems.push(`selector without a metric name: '${text}'`);
    },
  });
  return { names, problems };
}

/** Problems of a query against the exported series: its syntax problems and each name no exporter serves. */
export function queryMetricProblems(expr: string, served: ReadonlySet<string> | ReadonlyMap<string, unknown>): string[] {
  const { names, problems } = promqlMetricNames(expr);
  return [...problems, ...names.filter((n) => !served.has(n)).map((n) => `metric ${n} is exported by no deployed component`)];
}
