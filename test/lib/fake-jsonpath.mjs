// kubectl's JSONPath output as the restore-drill script tests' stand-in for kubectl (test/lib/fake-kubectl.mjs) renders it.
/**
 * kubectl's JSONPath output, field paths only: `{.a.b}` with `\.` escaping a dot in a key and `[*]` after a key for
 * every element of that list (the results separated by spaces), text outside braces as is, a missing key as nothing
 * (kubectl get's --allow-missing-template-keys default), a quoted text (`{"\n"}`), and `{range .key[*]}…{end}` (the body
 * once per element of that list). Anything else: undefined. test/integration/kubectl-jsonpath.test.ts compares it with
 * the real kubectl on every template restore-drill.sh uses.
 */
export function jsonpath(obj, template) {
  const ranged = template.replace(/\{range \.(\w+)\[\*\]\}(.*?)\{end\}/gs, (_, key, body) => (obj?.[key] ?? []).map((item) => jsonpath(item, body) ?? "{unsupported}").join(""));
  const text = ranged.replace(/\{"((?:[^"\\]|\\.)*)"\}/g, (_, quoted) => JSON.parse(`"${quoted}"`)).replace(/\{\.((?:[^{}.\\]|\\.|\.(?!\.))*)\}/g, (_, path) => {
    let values = [obj];
    for (const segment of path.split(/(?<!\\)\./)) {
      const every = segment.endsWith("[*]");
      const key = (every ? segment.slice(0, -3) : segment).replace(/\\(.)/g, "$1");
      values = values.map((value) => value?.[key]).filter((value) => value !== undefined && value !== null);
      if (every) values = values.flatMap((value) => (Array.isArray(value) ? value : []));
    }
    return values.map((value) => (typeof value === "object" ? JSON.stringify(value) : String(value))).join(" ");
  });
  return /[{}]/.test(text) ? undefined : text;
}
