import { parentPort } from 'node:worker_threads';
import { lowerThreadPriority } from '../../analysis/index.js';
import { buildSbom, type SbomInput } from './build-sbom.js';
import { parseDeclaredDependencyFiles, type DependencyFile } from './dependencies.js';
import type { DependencyLimits } from './model.js';

export type SbomWorkerRequest =
  | { id: number; op: 'build'; input: SbomInput }
  | { id: number; op: 'parse'; files: DependencyFile[]; limits: DependencyLimits };

/**
 * Builds and validates SBOMs and parses declared lockfiles in a worker thread
 * (see sbom-builder.ts): a 5 MiB Cargo.lock takes seconds to parse, 2,000
 * declared packages a second to serialise and validate, and the first build
 * compiles the schema; none of it may hold the API's event loop.
 */
lowerThreadPriority();
parentPort!.on('message', async (request: SbomWorkerRequest) => {
  try {
    if (request.op === 'parse') {
      parentPort!.postMessage({ id: request.id, ok: true, result: parseDeclaredDependencyFiles(request.files, request.limits) });
    } else {
      const built = await buildSbom(request.input);
      parentPort!.postMessage({ id: request.id, ok: true, result: { json: built.json, xml: built.xml } });
    }
  } catch (error) {
    parentPort!.postMessage({ id: request.id, ok: false, name: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message : String(error) });
  }
});
