/**
 * Glob patterns for feature and model names: `*` matches any run of characters, `?` one character,
 * everything else itself. Hand-written because the two wildcards are all we need and no glob
 * library is a dependency (node:path's matchesGlob is experimental and path-oriented).
 */

const SPECIAL = /[.+^${}()|[\]\\]/g;

/** Compiles a glob into an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(SPECIAL, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 's');
}

/** True when the pattern has a wildcard (otherwise it is an exact name). */
export function isGlob(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

/** A compiled list of patterns: exact names go in a set, globs are tested in order. */
export class PatternSet {
  private readonly exact = new Set<string>();
  private readonly globs: RegExp[] = [];

  constructor(readonly patterns: readonly string[]) {
    for (const p of patterns) {
      if (isGlob(p)) this.globs.push(globToRegExp(p));
      else this.exact.add(p);
    }
  }

  /** True when `name` matches one of the patterns. */
  matches(name: string): boolean {
    if (this.exact.has(name)) return true;
    for (const g of this.globs) if (g.test(name)) return true;
    return false;
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }
}
