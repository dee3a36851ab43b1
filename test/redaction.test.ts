import { describe, expect, it } from "vitest";
import { Redactor } from "../scripts/lib/redact";
import { buildPlanFiles } from "../scripts/lib/plan-output";
import { planStack } from "./harness";

describe("redaction by value", () => {
  it("replaces a secret whole, inside larger strings and in base64, leaving the rest readable", () => {
    const r = new Redactor(["hunter2-secret"], ["[default]\naws_secret_access_key=hunter2-secret\n", "literal-wrapped-secret"]);
    expect(r.text("hunter2-secret")).toBe("[secret]");
    expect(r.text("password: hunter2-secret # keep")).toBe("password: [secret] # keep");
    expect(r.text(Buffer.from("hunter2-secret").toString("base64"))).toBe("[secret]");
    expect(r.value({ a: ["x literal-wrapped-secret y"] })).toEqual({ a: ["x [secret] y"] });
    // A marked string that merely contains a known secret is not itself redacted whole.
    expect(r.text("[default]\naws_secret_access_key=hunter2-secret\n")).toBe("[default]\naws_secret_access_key=[secret]\n");
  });

  it.each(["dev", "prod"])("leaves no secret text anywhere in the %s plan output", async (stack) => {
    const plan = await planStack(stack);
    const { files } = buildPlanFiles(stack, plan.run);
    const all = [...files.values()].join("\n");
    const leaked = [...plan.run.secretStrings, ...plan.run.secretMarked].filter((s) => s.length >= 4 && all.includes(s));
    expect(leaked).toEqual([]);
  });
});
