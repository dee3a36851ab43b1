import { readFileSync } from "node:fs";
import { join } from "node:path";
import { importGraph, cycles, ROOT } from "./import-graph";
const g = importGraph();
for (const c of cycles(g)) { console.log("CYCLE", c.length); for (const f of c) console.log("  ", f, "->", (g.get(f)??[]).filter(t=>c.includes(t)).join(", ")); }
const seen = new Set<string>(); const q = ["components/config.ts"]; const parent = new Map<string,string>();
while (q.length) { const f = q.pop()!; if (seen.has(f)) continue; seen.add(f); for (const t of g.get(f) ?? []) { if (!seen.has(t)) { parent.set(t, f); q.push(t);} } }
for (const f of seen) { const src = readFileSync(join(ROOT, f), "utf8"); if (/extends pulumi\.ComponentResource|new k8s\.|new pulumi\./.test(src)) { let p = f, chain=[f]; while (parent.has(p)) { p = parent.get(p)!; chain.unshift(p);} console.log("RES", chain.join(" -> ")); } }
