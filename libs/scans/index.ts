// Scans of deployed proxy configuration: every Wasm module it loads, and (next) what the registry knows of each.
export { SCAN_INPUT_LIMITS, findModuleReferences, ociSource, type DeployedConfiguration, type DeploymentFile, type HostKind, type ModuleReference, type ModuleSource, type ScanInputLimits, type ScanInputProblem } from './src/module-references.js';
