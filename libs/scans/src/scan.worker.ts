import { findModuleReferences, type DeploymentFile, type ModuleReference, type ScanInputProblem } from './module-references.js';

export type ScanReading = { references: ModuleReference[]; problems: ScanInputProblem[]; truncated: boolean };

/** Runs in a ScanReader thread: hostile YAML is parsed here, never on the API's event loop. */
export default function readDeployment(files: DeploymentFile[]): ScanReading {
  return findModuleReferences(files);
}
