import semver from 'semver';

/**
 * One affected range, as an OSV "SEMVER" range reads it: from `introduced`
 * ("0" for the beginning of time), up to `fixed` (excluded) or `lastAffected`
 * (included), or open-ended. Pre-releases are ordered by SemVer precedence
 * like every other version: 1.2.0-rc.1 is inside [1.0.0, 1.2.0). (npm's
 * ranges leave pre-releases out; OSV's do not.)
 */
export interface AffectedRange {
  introduced: string;
  fixed: string | null;
  lastAffected: string | null;
}

export function inRange(version: string, range: AffectedRange): boolean {
  if (range.introduced !== '0' && semver.compare(version, range.introduced) < 0) return false;
  if (range.fixed !== null) return semver.compare(version, range.fixed) < 0;
  if (range.lastAffected !== null) return semver.compare(version, range.lastAffected) <= 0;
  return true;
}

export function isAffected(version: string, ranges: readonly AffectedRange[]): boolean {
  return semver.valid(version) !== null && ranges.some((range) => inRange(version, range));
}

/** The version that fixes `version`: the `fixed` of the range it is in (the lowest, when several); null when none names one. */
export function fixedVersionFor(version: string, ranges: readonly AffectedRange[]): string | null {
  const fixes = ranges.filter((range) => range.fixed !== null && inRange(version, range)).map((range) => range.fixed!);
  return fixes.sort(semver.compare)[0] ?? null;
}

/** A short human form: ">= 1.0.0, < 1.2.0". */
export function describeRange(range: AffectedRange): string {
  const from = range.introduced === '0' ? null : `>= ${range.introduced}`;
  const to = range.fixed !== null ? `< ${range.fixed}` : range.lastAffected !== null ? `<= ${range.lastAffected}` : null;
  return [from, to].filter((part) => part !== null).join(', ') || 'every version';
}

/**
 * Whether two ranges share a version (OSV asks that SEMVER ranges do not).
 * Intervals that meet share the later of their starts, so that one is tested.
 */
export function rangesOverlap(a: AffectedRange, b: AffectedRange): boolean {
  if (a.introduced === '0' && b.introduced === '0') return true;
  const later = a.introduced === '0' ? b.introduced : b.introduced === '0' ? a.introduced : semver.gte(a.introduced, b.introduced) ? a.introduced : b.introduced;
  return inRange(later, a) && inRange(later, b);
}
