/**
 * Starts a policy pack the way the Pulumi CLI does and talks to it over gRPC. The nodejs language host's RunPlugin
 * (pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs/main.go, v3.270.0) resolves `@pulumi/pulumi/cmd/run-policy-pack`
 * from the pack's directory, runs `node <it> <engine address> <pack directory>` with that directory as cwd and the
 * stack's identity and config in PULUMI_NODEJS_* / PULUMI_CONFIG, and reads the port the pack prints on stdout.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { analyzerGrpc, analyzerPb, emptyPb, grpc, structPb } from "./pulumi-rpc";

type AnalyzerClient = InstanceType<typeof analyzerGrpc.AnalyzerClient>;
type EnforcementLevelName = "advisory" | "mandatory" | "disabled" | "remediate";

/** One resource as the engine describes it to an analyzer. */
export interface AnalyzedResource {
  readonly type: string;
  readonly urn: string;
  readonly name: string;
  /** Analyze: the inputs; AnalyzeStack: the outputs. */
  readonly properties: Record<string, unknown>;
  readonly protect?: boolean;
  readonly parent?: string;
}

export interface Diagnostic {
  readonly policy: string;
  readonly urn: string;
  readonly message: string;
  readonly enforcementLevel: EnforcementLevelName;
}

export interface PolicyInfo {
  readonly name: string;
  readonly policies: { readonly name: string; readonly enforcementLevel: EnforcementLevelName }[];
}

const LEVELS: Record<number, EnforcementLevelName> = {
  [analyzerPb.EnforcementLevel.ADVISORY]: "advisory",
  [analyzerPb.EnforcementLevel.MANDATORY]: "mandatory",
  [analyzerPb.EnforcementLevel.DISABLED]: "disabled",
  [analyzerPb.EnforcementLevel.REMEDIATE]: "remediate",
};

function promisify<Req, Res>(client: AnalyzerClient, method: string, request: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    const fn = (client as unknown as Record<string, (r: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => void>)[method].bind(client);
    fn(request, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

function diagnosticsOf(response: InstanceType<typeof analyzerPb.AnalyzeResponse>): Diagnostic[] {
  return response.getDiagnosticsList().map((d) => ({ policy: d.getPolicyname(), urn: d.getUrn(), message: d.getMessage(), enforcementLevel: LEVELS[d.getEnforcementlevel()] }));
}

/** The resource options the engine sends (pkg/resource/plugin/analyzer_plugin.go marshals protect and parent too). */
function options(r: AnalyzedResource) {
  return new analyzerPb.AnalyzerResourceOptions().setProtect(r.protect === true).setParent(r.parent ?? "");
}

/** A running pack and a client to it. */
export class PolicyPackHost {
  private constructor(
    private readonly child: ChildProcess,
    private readonly client: AnalyzerClient,
    readonly stderr: () => string,
  ) {}

  /**
   * Starts the pack in `packDir` with `node` (the runtime running the tests); `@pulumi/pulumi` is resolved from the
   * pack's directory upwards, as the language host's locateModule does. Rejects with the pack's stderr if it exits.
   */
  static async start(packDir: string, engineAddress: string, stack = { organization: "organization", project: "cluster-backup", stack: "prod" }): Promise<PolicyPackHost> {
    const entry = createRequire(join(packDir, "package.json")).resolve("@pulumi/pulumi/cmd/run-policy-pack");
    const env = { ...process.env, PULUMI_NODEJS_ORGANIZATION: stack.organization, PULUMI_NODEJS_PROJECT: stack.project, PULUMI_NODEJS_STACK: stack.stack, PULUMI_NODEJS_DRY_RUN: "true", PULUMI_CONFIG: "{}" };
    const child = spawn(process.execPath, [entry, engineAddress, packDir], { cwd: packDir, env, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let stdout = "";
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout?.on("data", (d: Buffer) => {
        stdout += d.toString();
        const line = /^(\d+)\s*$/m.exec(stdout);
        if (line) resolve(Number(line[1]));
      });
      child.on("exit", (code) => reject(new Error(`the policy pack exited with ${code} before printing its port:\n${stderr}${stdout}`)));
      child.on("error", reject);
    });
    const client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    return new PolicyPackHost(child, client, () => stderr);
  }

  async info(): Promise<PolicyInfo> {
    const res = await promisify<unknown, InstanceType<typeof analyzerPb.AnalyzerInfo>>(this.client, "getAnalyzerInfo", new emptyPb.Empty());
    return { name: res.getName(), policies: res.getPoliciesList().map((p) => ({ name: p.getName(), enforcementLevel: LEVELS[p.getEnforcementlevel()] })) };
  }

  /** The engine's Configure call: per policy, settings (`--policy-pack-config` form, enforcement level left as is). */
  async configure(config: Record<string, Record<string, unknown>>, levels: Record<string, EnforcementLevelName> = {}): Promise<void> {
    const request = new analyzerPb.ConfigureAnalyzerRequest();
    const map = request.getPolicyconfigMap();
    const byLevel = Object.fromEntries(Object.entries(LEVELS).map(([k, v]) => [v, Number(k)]));
    for (const [name, settings] of Object.entries(config)) {
      map.set(name, new analyzerPb.PolicyConfig().setEnforcementlevel(byLevel[levels[name] ?? "mandatory"]).setProperties(structPb.Struct.fromJavaScript(settings as Record<string, never>)));
    }
    await promisify(this.client, "configure", request);
  }

  /** Analyze: what the engine sends for one resource before operating on it (its inputs). */
  async analyze(r: AnalyzedResource): Promise<Diagnostic[]> {
    const request = new analyzerPb.AnalyzeRequest().setType(r.type).setUrn(r.urn).setName(r.name).setOptions(options(r)).setProperties(structPb.Struct.fromJavaScript(r.properties as Record<string, never>));
    return diagnosticsOf(await promisify(this.client, "analyze", request));
  }

  /** AnalyzeStack: what the engine sends once at the end (every resource with its outputs). */
  async analyzeStack(resources: readonly AnalyzedResource[]): Promise<Diagnostic[]> {
    const list = resources.map((r) =>
      new analyzerPb.AnalyzerResource().setType(r.type).setUrn(r.urn).setName(r.name).setOptions(options(r)).setParent(r.parent ?? "").setProperties(structPb.Struct.fromJavaScript(r.properties as Record<string, never>)),
    );
    return diagnosticsOf(await promisify(this.client, "analyzeStack", new analyzerPb.AnalyzeStackRequest().setResourcesList(list)));
  }

  async stop(): Promise<void> {
    this.client.close();
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill();
    await exited;
  }
}
