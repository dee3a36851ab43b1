/**
 * The Benji integrity CronJobs as pure data (components/benji/integrity.ts): what benji.ts creates, what the alerts
 * watch and what the flow inventory lists as `verifiedBy`.
 */
import { describe, expect, it } from "vitest";
import { parseStackConfig } from "../components/config";
import {
  BENJI_DRILL_SCRIPT,
  BENJI_INTEGRITY_DEFAULTS,
  BENJI_SCRUB_SCRIPT,
  benjiIntegrityCronJobs,
  type BenjiIntegritySettings,
} from "../components/benji/integrity";
import { benjiIntegrityFromConfig } from "../components/stack-args";
import { readStackFile } from "../scripts/lib/stack-file";
import { ROOT } from "./harness";

const I = 'labels["benji-backup.me/instance"] == "acme"';

describe("benjiIntegrityCronJobs", () => {
  it("defaults: scrub 10%/33% daily at 01:00, drill Saturdays 12:00 within 6h, metadata backup daily at 04:30", () => {
    expect(benjiIntegrityCronJobs("acme", BENJI_INTEGRITY_DEFAULTS, ["rbd-a", "rbd-b"])).toEqual([
      {
        name: "benji-deep-scrub",
        role: "scrub",
        schedule: "0 1 * * *",
        command: ["bash", "-c", BENJI_SCRUB_SCRIPT, "benji-deep-scrub", "10", "33", `${I} and status != "incomplete"`, `${I} and status == "invalid"`],
        profile: "maintenance",
        verifies: "scrub",
      },
      {
        name: "benji-restore-drill",
        role: "drill",
        schedule: "0 12 * * 6",
        command: ["bash", "-c", BENJI_DRILL_SCRIPT, "benji-restore-drill", `${I} and labels["benji-backup.me/k8s-pvc"] and status == "valid"`, "rbd-a", "rbd-b"],
        profile: "drill",
        activeDeadlineSeconds: 21600,
        verifies: "drill",
      },
      { name: "benji-metadata-backup", role: "metadata-backup", schedule: "30 4 * * *", command: ["benji-command", "metadata-backup", "--force", `${I} and status != "incomplete"`], profile: "maintenance" },
    ]);
  });

  it("leaves out what is disabled", () => {
    const settings: BenjiIntegritySettings = { ...BENJI_INTEGRITY_DEFAULTS, scrub: { ...BENJI_INTEGRITY_DEFAULTS.scrub, enabled: false }, metadataBackup: { enabled: false, schedule: "0 0 * * *" } };
    expect(benjiIntegrityCronJobs("acme", settings, []).map((j) => j.role)).toEqual(["drill"]);
  });
});

describe("flows.benji.{scrub,drill,metadataBackup} defaults", () => {
  it("are BENJI_INTEGRITY_DEFAULTS (drill.timeout '6h' = 21600 s)", () => {
    const { config, secretKeys } = readStackFile(ROOT, "prod");
    const cfg = parseStackConfig(config, new Set(secretKeys), "prod");
    expect([cfg.flows.benji.scrub, cfg.flows.benji.drill, cfg.flows.benji.metadataBackup]).toEqual([
      { enabled: true, schedule: "0 1 * * *", versionPercentage: 10, blockPercentage: 33 },
      { enabled: true, schedule: "0 12 * * 6", timeout: "6h" },
      { enabled: true, schedule: "30 4 * * *" },
    ]);
    expect(benjiIntegrityFromConfig(cfg.flows.benji)).toEqual(BENJI_INTEGRITY_DEFAULTS);
  });
});
