import type { ParsedConfig, SECRET_KEYS } from "../config-schema";
import type { ConfigProblem } from "../config-problem";

/** What the guards read: the parsed config without its credentials (so StackConfig qualifies too). */
export type GuardConfig = Omit<ParsedConfig, (typeof SECRET_KEYS)[number]>;

/** A refusal; `overridable` ones can be lifted by `overrides.<path>: <reason>`. */
export interface GuardProblem extends ConfigProblem {
  readonly overridable?: boolean;
}

export type Guard = (cfg: GuardConfig) => GuardProblem[];
