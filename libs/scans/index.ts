// Scans of deployed proxy configuration: every Wasm module it loads, what this registry knows of each, and what is wrong with it.
export { SCAN_INPUT_LIMITS, findModuleReferences, ociSource, type DeployedConfiguration, type DeploymentFile, type HostKind, type ModuleReference, type ModuleSource, type ScanInputLimits, type ScanInputProblem } from './src/module-references.js';
export { SCAN_LEVELS, findingsOf, type ReferenceFacts, type ScanFinding, type ScanLevel } from './src/scan-findings.js';
export { toSarif } from './src/sarif.js';
export { SARIF_MEDIA_TYPE, ScansController } from './src/scans.controller.js';
export { ScansRepository, type KnownVersion } from './src/scans.repository.js';
export { ScansService, type ScanReport } from './src/scans.service.js';
