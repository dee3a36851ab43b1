import { it } from "vitest";
import { planStack } from "./harness";
it("evaluates prod 4 times", async () => {
  for (let i = 0; i < 4; i++) {
    const t = performance.now();
    await planStack("prod");
    console.log("prod eval", (performance.now() - t).toFixed(0), "ms");
  }
}, 300_000);
