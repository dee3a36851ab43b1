/**
 * Command-line parsing shared by the commands: node:util parseArgs (its tokens), with the same one-line usage errors
 * everywhere (`unknown argument '--x'`, `--x needs a value`, `--x given twice`, `unexpected argument 'y'`).
 */
import { isAbsolute, resolve } from "node:path";
import { parseArgs } from "node:util";

/** A wrong command line: exit status 2, distinct from configuration (1) and other errors. */
export class UsageError extends Error {}

export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
}

export interface CommandLine {
  /** Options given: string values, or true for switches. */
  readonly values: Readonly<Record<string, string | true>>;
  readonly positionals: readonly string[];
  /** --help or -h was given (the rest is not checked then). */
  readonly help: boolean;
}

/** Parses `argv` against `options` (names without `--`); at most `maxPositionals` positionals. Throws {@link UsageError}. */
export function parseCommandLine(argv: readonly string[], options: Readonly<Record<string, OptionSpec>>, maxPositionals = 0): CommandLine {
  const all = { ...options, help: { type: "boolean", short: "h" } } as const;
  const { tokens } = parseArgs({ args: [...argv], options: all, strict: false, allowPositionals: true, tokens: true });
  if (tokens.some((t) => t.kind === "option" && t.name === "help")) return { values: {}, positionals: [], help: true };
  const values: Record<string, string | true> = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === "option-terminator") continue;
    if (token.kind === "positional") {
      if (positionals.length >= maxPositionals) throw new UsageError(`unexpected argument '${token.value}'`);
      positionals.push(token.value);
      continue;
    }
    const spec = options[token.name];
    const flag = `--${token.name}`;
    if (!spec) throw new UsageError(`unknown argument '${token.rawName}'`);
    if (token.name in values) throw new UsageError(`${flag} given twice`);
    if (spec.type === "boolean") {
      if (token.value !== undefined) throw new UsageError(`${flag} takes no value`);
      values[token.name] = true;
    } else {
      // parseArgs takes the next argument as the value even when it is another option: `--stack --out x`.
      if (token.value === undefined || token.value === "" || (!token.inlineValue && token.value.startsWith("-"))) throw new UsageError(`${flag} needs a value`);
      values[token.name] = token.value;
    }
  }
  return { values, positionals, help: false };
}

/**
 * Where the user stands: npm runs scripts from the project root and passes the caller's directory as INIT_CWD, so a
 * relative path given to `npm run <command>` is resolved from there. Outside npm (npx ts-node ...), the process's own.
 */
export function userDirectory(command: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.npm_lifecycle_event === command && env.INIT_CWD ? env.INIT_CWD : process.cwd();
}

/** A path as the user meant it: absolute as given, relative ones from {@link userDirectory}. */
export function userPath(command: string, path: string, env: NodeJS.ProcessEnv = process.env): string {
  return isAbsolute(path) ? resolve(path) : resolve(userDirectory(command, env), path);
}
