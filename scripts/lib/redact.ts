/**
 * Redaction by value (docs/plan-contract.md): every secret text is replaced by "[secret]" wherever it appears, whole or inside a
 * larger string, so generated files stay readable around it. Base64 forms are redacted too (Kubernetes `data`).
 */
import { REDACTED } from "../../policy/shared/redaction";

export { REDACTED };
const MIN_LENGTH = 4;

export class Redactor {
  private readonly needles: string[];

  /**
   * @param primitives secret values known at their source (config, provider outputs).
   * @param marked strings that were marked secret in inputs or exports; those that contain no primitive are
   *   secrets in their own right (a literal wrapped in pulumi.secret) and are redacted whole.
   */
  constructor(primitives: Iterable<string>, marked: Iterable<string> = []) {
    const base = [...primitives].filter((s) => s.length >= MIN_LENGTH);
    const own = [...marked].filter((s) => s.length >= MIN_LENGTH && !base.some((p) => s.includes(p)));
    const all = new Set([...base, ...own]);
    for (const s of [...all]) all.add(Buffer.from(s).toString("base64"));
    this.needles = [...all].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
  }

  text(value: string): string {
    let out = value;
    for (const needle of this.needles) if (out.includes(needle)) out = out.split(needle).join(REDACTED);
    return out;
  }

  /** A deep copy of `value` with every string redacted. */
  value<T>(value: T): T {
    if (typeof value === "string") return this.text(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.value(v)) as T;
    if (value && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.value(v)])) as T;
    }
    return value;
  }
}
