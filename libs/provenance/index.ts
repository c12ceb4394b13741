// Provenance: a version's signature, attestation and SBOM, the signing keys, and verifying a module against them.
export { ProvenanceController } from './src/provenance.controller.js';
export { ProvenanceService } from './src/provenance.service.js';
