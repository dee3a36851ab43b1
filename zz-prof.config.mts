import { defineConfig } from "vitest/config";
export default defineConfig({ test: { include: ["test/zz-prof.test.ts"], pool: "forks", isolate: false, execArgv: ["--cpu-prof", "--cpu-prof-dir=/tmp/ts/vprof"] } });
