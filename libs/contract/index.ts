// A version's contract: README, configuration schema, examples and host hints, read from the formats authors keep (our manifest, Higress spec.yaml, Kong meta.json), bounded, and checked off the event loop. Plain TypeScript.
export * from './src/contract.js';
export { CONTRACT_LIMITS } from './src/contract-limits.js';
export { ContractChecker, type ContractCheckerOptions } from './src/contract-checker.js';
export { jsonValueProblem } from './src/bounded-document.js';
export { parseConfigurationText } from './src/configuration-text.js';
export { HIGRESS_CATEGORIES } from './src/higress-spec.js';
export { EXAMPLE_NAME_PATTERN, MANIFEST_SCHEMA } from './src/manifest-schema.js';
export { readContract, type ContractParts, type PartText } from './src/read-contract.js';
export { DIALECT_URIS } from './src/schema-dialect.js';
export { dereference, isSchemaObject, pointerToken, resolveLocalRef, type SchemaObject } from './src/schema-refs.js';
export { UPGRADE_NOTES_LIMITS, upgradeNotes, type ContractSide, type UpgradeChange, type UpgradeNote, type UpgradeNotes } from './src/upgrade-notes.js';
