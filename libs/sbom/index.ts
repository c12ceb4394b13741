// SBOMs: CycloneDX documents built from a module's analysis and its declared dependencies (lockfiles). Plain TypeScript.
export { DEFAULT_DEPENDENCY_LIMITS, type DeclaredDependencies } from './src/model.js';
export { dependencyFileProblem, type DependencyFile } from './src/dependencies.js';
export { validateSbomJson } from './src/validate-sbom.js';
export { readDeclaredDependencies, sbomBuilder } from './src/sbom-builder.js';
