/**
 * Velero ≥ 1.18 namespace glob patterns (docs/v1.18/namespace-glob-patterns.md): `*`, `?`, `[abc]`, `[a-z]`.
 * Not supported by Velero: `**`, `{}`, `!`, `|`, `()`, `,` — they are refused here rather than silently matching
 * nothing.
 */
const UNSUPPORTED = /\*\*|[{}!|(),]/;

/** An error message for a glob Velero cannot read, or undefined. */
export function namespaceGlobError(glob: string): string | undefined {
  if (glob === "") return "expected a non-empty namespace glob";
  if (UNSUPPORTED.test(glob)) return "Velero namespace globs support only '*', '?', '[abc]' and '[a-z]' (not '**', '{}', '!', '|', '()' or ',')";
  if (!/^[a-z0-9*?[\]-]+$/.test(glob)) return "expected lowercase namespace characters and the glob characters '*', '?', '[...]'";
  try {
    globToRegExp(glob);
    return undefined;
  } catch {
    return "unbalanced '[' in namespace glob";
  }
}

/** The glob as an anchored regular expression (for checking which namespaces it would match). */
export function globToRegExp(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === "*") source += "[a-z0-9-]*";
    else if (ch === "?") source += "[a-z0-9-]";
    else if (ch === "[") {
      const end = glob.indexOf("]", i);
      if (end < 0) throw new Error("unbalanced [");
      source += glob.slice(i, end + 1);
      i = end;
    } else source += ch.replace(/[-]/g, "\\-");
  }
  return new RegExp(`^${source}$`);
}

/**
 * Whether a namespace glob matches a name: `*` matches everything; a glob that is no valid pattern (an unbalanced `[`)
 * matches only itself, as a literal name.
 */
export function namespaceGlobMatches(glob: string, name: string): boolean {
  if (glob === "*") return true;
  try {
    return globToRegExp(glob).test(name);
  } catch {
    return glob === name;
  }
}
