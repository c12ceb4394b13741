import { parentPort } from 'node:worker_threads';
import { lowerThreadPriority } from '../../analysis/src/thread-priority.js';
import { buildSbom, type SbomInput } from './build-sbom.js';

/**
 * Builds and validates SBOMs in a worker thread (see sbom-builder.ts): the
 * CycloneDX serialisers and the schema validator take seconds for 20,000
 * declared packages, and the first build compiles the schema; none of it may
 * hold the API's event loop.
 */
lowerThreadPriority();
parentPort!.on('message', async ({ id, input }: { id: number; input: SbomInput }) => {
  try {
    const built = await buildSbom(input);
    parentPort!.postMessage({ id, ok: true, json: built.json, xml: built.xml });
  } catch (error) {
    parentPort!.postMessage({ id, ok: false, name: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message : String(error) });
  }
});
