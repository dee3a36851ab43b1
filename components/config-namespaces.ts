/**
 * Which config namespaces the program reads. Pulumi hands a program every key of the stack and project config; a key
 * in a namespace nobody reads is silently ignored by the CLI, so a typo such as `cluster-backups:flows` would drop
 * every flow it holds. Keys outside the project's namespace and those of the providers the project uses are refused,
 * naming the nearest valid key.
 */

/** Namespaces of the providers (and the engine) whose config a stack may set. */
export const PROVIDER_NAMESPACES = ["pulumi", "kubernetes", "random", "tls", "aws", "scaleway"] as const;

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

function isSubsequence(word: string, of: string): boolean {
  let i = 0;
  for (const ch of of) if (ch === word[i]) i++;
  return word.length > 0 && i === word.length;
}

/**
 * The candidate closest to `word`: among those `word` abbreviates (its letters in order, `scw` → `scaleway`) if any,
 * by edit distance, first on ties; undefined when none is close (more edits than half the word, at least 2).
 */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  const abbreviated = candidates.filter((c) => isSubsequence(word, c));
  const pool = abbreviated.length > 0 ? abbreviated : candidates;
  const best = pool.reduce((a, c) => (distance(word, c) < distance(word, a) ? c : a), pool[0]);
  return abbreviated.length > 0 || distance(word, best) <= Math.max(2, Math.floor(word.length / 2)) ? best : undefined;
}

/**
 * One line per key in a namespace the program does not read: `<key>: unknown config namespace '<ns>'; expected
 * <nearest valid key> (...)`. `topLevelKeys` are the project's own keys, to name the nearest one.
 */
export function unknownNamespaceProblems(keys: Iterable<string>, project: string, topLevelKeys: readonly string[]): string[] {
  const namespaces = [project, ...PROVIDER_NAMESPACES];
  const problems: string[] = [];
  for (const key of keys) {
    const at = key.indexOf(":");
    const namespace = at < 0 ? "" : key.slice(0, at);
    const name = at < 0 ? key : key.slice(at + 1);
    if ((namespaces as string[]).includes(namespace)) continue;
    const ns = nearest(namespace, namespaces);
    const ownKey = topLevelKeys.includes(name) ? name : nearest(name, topLevelKeys);
    const suggestion = ns === undefined ? "a key in a namespace this project reads" : ns === project ? (ownKey ? `${project}:${ownKey}` : `a key of ${project}`) : `${ns}:${name}`;
    problems.push(`${key}: unknown config namespace '${namespace}', which nothing reads; expected ${suggestion} (this project reads ${namespaces.join(", ")})`);
  }
  return problems;
}
