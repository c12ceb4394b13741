// SBOMs: CycloneDX documents built from a module's analysis and its declared dependencies (lockfiles). Plain TypeScript.
export { DEFAULT_DEPENDENCY_LIMITS, type DeclaredDependencies } from './src/model.js';
export { dependencyFileProblem, type DependencyFile } from './src/dependencies.js';
export { readDeclaredDependencies, sbomBuilder } from './src/sbom-builder.js';

/** The CycloneDX 1.6 schema check (src/validate-sbom.ts), loaded on the first call: the SBOM library stays out of a process that never checks one. */
export async function validateSbomJson(json: string): Promise<string[] | null> {
  return (await import('./src/validate-sbom.js')).validateSbomJson(json);
}
