// A version's contract: README, configuration schema, examples and host hints, read from the formats authors keep (our manifest, Higress spec.yaml, Kong meta.json), bounded, and checked off the event loop. Plain TypeScript.
export * from './src/contract.js';
export { dereference, isSchemaObject, pointerToken, resolveLocalRef, type SchemaObject } from './src/schema-refs.js';
export { renderReadme } from './src/readme.js';
