/**
 * README's architecture picture is the Mermaid diagram coverage.md carries for the prod stack (scripts/lib/coverage.ts),
 * drawn from the flow inventory the program exports (`flows`), so it cannot drift from the flows the stack runs. After a change: `README_UPDATE=1 npx vitest run
 * test/readme-diagram.test.ts` rewrites the block, then review the diff.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { buildCoverage, coverageMermaid } from "../scripts/lib/coverage";
import { ROOT, planStack } from "./harness";

const BEGIN = "<!-- architecture: the prod stack's diagram from coverage.md, checked by test/readme-diagram.test.ts -->";
const END = "<!-- end architecture -->";

it("README's architecture diagram is the one coverage.md renders for the prod stack", async () => {
  const plan = await planStack("prod");
  const expected = `${BEGIN}\n\`\`\`mermaid\n${coverageMermaid(buildCoverage({ stack: "prod", objects: plan.objects(), exports: plan.exports }))}\n\`\`\`\n${END}`;
  const file = join(ROOT, "README.md");
  const readme = readFileSync(file, "utf8");
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  expect(start, "README.md has no architecture block").toBeGreaterThan(0);
  expect(end).toBeGreaterThan(start);
  const actual = readme.slice(start, end + END.length);
  if (process.env.README_UPDATE === "1" && actual !== expected) writeFileSync(file, readme.slice(0, start) + expected + readme.slice(end + END.length));
  else expect(actual).toBe(expected);
});
