import semver from 'semver';
import { nameProblem } from './names.js';
import { invalidInput, type FieldProblem } from './registry-error.js';

export const MAX_VERSION_LENGTH = 128;

/**
 * Versions are strict semantic versions (2.0.0): no "v" prefix, no loose forms,
 * so that one string names one version everywhere (URLs, OCI tags, configs).
 * OCI tags cannot hold "+", so build metadata is refused.
 */
export function versionProblem(field: string, value: string): FieldProblem | null {
  const rule = `must be a semantic version such as 1.2.0 or 1.2.0-rc.1 (no "v" prefix, no "+build" metadata, at most ${MAX_VERSION_LENGTH} characters)`;
  if (value.length > MAX_VERSION_LENGTH || value.includes('+')) {
    return { field, message: `${JSON.stringify(value)} ${rule}` };
  }
  const parsed = semver.parse(value, { loose: false });
  if (parsed === null || parsed.version !== value) {
    return { field, message: `${JSON.stringify(value)} ${rule}` };
  }
  return null;
}

/** Newest first by semantic-version precedence. */
export function compareVersionsDescending(a: string, b: string): number {
  return semver.rcompare(a, b);
}

/**
 * The version a plugin is known by: the highest release, or the highest
 * pre-release when it has no release yet (as npm's "latest"). Callers pass only
 * versions that may be latest: ready and not yanked.
 */
export function latestOf<T extends { version: string }>(candidates: readonly T[]): T | null {
  const sorted = [...candidates].sort((a, b) => compareVersionsDescending(a.version, b.version));
  return sorted.find((c) => semver.prerelease(c.version) === null) ?? sorted[0] ?? null;
}

/** Refuses (400, naming each path field) coordinates whose namespace, plugin name or version is malformed. */
export function assertVersionPath(coordinates: { namespace: string; plugin: string; version: string }): void {
  const problems = [
    nameProblem('path.namespace', coordinates.namespace),
    nameProblem('path.name', coordinates.plugin),
    versionProblem('path.version', coordinates.version),
  ].filter((p): p is FieldProblem => p !== null);
  if (problems.length > 0) throw invalidInput(problems);
}
