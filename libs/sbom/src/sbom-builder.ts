import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SbomInput } from './build-sbom.js';
import { invalidInput } from '../../domain/index.js';
import { dependencyFileProblem, type DependencyFile } from './dependencies.js';
import { DEFAULT_DEPENDENCY_LIMITS, type DeclaredDependencies, type DependencyLimits, type DependencyParseResult } from './model.js';
import type { SbomWorkerRequest } from './sbom.worker.js';

/** Longest a build or a parse may take, queue included: the largest take a few seconds. */
const BUILD_TIMEOUT_MS = 120_000;
/** Heap of the worker: 20,000 packages needed about 200 MiB at the peak. */
const WORKER_HEAP_MB = 1_024;

/** The SBOM of a version as text: CycloneDX 1.6 JSON and XML, both validated. */
export interface BuiltSbomText {
  json: string;
  xml: string;
}

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

interface Waiting {
  resolve(result: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * buildSbom and parseDeclaredDependencyFiles in one long-lived worker thread,
 * started on first use: off the event loop, under a heap limit and a
 * deadline. A crash, a timeout or the heap limit fails the work in flight and
 * the next call starts a new worker. The worker never keeps the process alive.
 */
export class SbomBuilder {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();

  /** The SBOM, built and validated (buildSbom); rejects with buildSbom's own message. */
  build(input: SbomInput): Promise<BuiltSbomText> {
    return this.send({ op: 'build', input }) as Promise<BuiltSbomText>;
  }

  /** What a publisher's lockfiles declare (parseDeclaredDependencyFiles). */
  parseDependencies(files: DependencyFile[], limits: DependencyLimits = DEFAULT_DEPENDENCY_LIMITS): Promise<DependencyParseResult> {
    return this.send({ op: 'parse', files, limits }) as Promise<DependencyParseResult>;
  }

  private send(request: WithoutId<SbomWorkerRequest>): Promise<unknown> {
    const worker = (this.worker ??= this.start());
    const id = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(worker, new Error(`the SBOM worker did not finish within ${BUILD_TIMEOUT_MS} ms`)), BUILD_TIMEOUT_MS);
      this.waiting.set(id, { resolve, reject, timer });
      worker.postMessage({ ...request, id });
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    if (worker === null) return;
    this.fail(worker, new Error('the SBOM builder was closed'));
    await worker.terminate();
  }

  private start(): Worker {
    const worker = new Worker(workerScript(), {
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
      stdout: false,
      stderr: false,
    });
    worker.unref();
    worker.on('message', (answer: { id: number; ok: true; result: unknown } | { id: number; ok: false; name: string; message: string }) => {
      const waiting = this.waiting.get(answer.id);
      if (waiting === undefined) return;
      this.waiting.delete(answer.id);
      clearTimeout(waiting.timer);
      if (answer.ok) waiting.resolve(answer.result);
      else waiting.reject(Object.assign(new Error(answer.message), { name: answer.name }));
    });
    worker.on('error', (error: Error & { code?: string }) =>
      this.fail(worker, new Error(error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `building the SBOM needed more than ${WORKER_HEAP_MB} MiB of memory` : `building the SBOM failed: ${error.message}`)),
    );
    worker.on('exit', (code) => this.fail(worker, new Error(`the SBOM worker stopped unexpectedly (exit code ${code})`)));
    return worker;
  }

  /** Fails every build in flight on `worker` and drops it; the next build starts a new one. */
  private fail(worker: Worker, error: Error): void {
    if (this.worker !== worker) return; // already replaced
    this.worker = null;
    for (const waiting of this.waiting.values()) {
      clearTimeout(waiting.timer);
      waiting.reject(error);
    }
    this.waiting.clear();
    void worker.terminate();
  }
}

/** The compiled worker: next to this file in dist/, or in dist/ when this file runs from the sources (tests). */
function workerScript(): string {
  const beside = fileURLToPath(new URL('./sbom.worker.js', import.meta.url));
  return existsSync(beside) ? beside : fileURLToPath(new URL('../../../dist/libs/sbom/src/sbom.worker.js', import.meta.url));
}

/** The process's one SBOM worker, shared by publishing (lockfiles) and the pipeline (SBOMs). */
export const sbomBuilder = new SbomBuilder();

/**
 * What a publisher's dependency files (lockfiles, purl lists) declare, parsed in
 * the SBOM worker: a 5 MiB Cargo.lock takes seconds. Null when none were sent; a
 * file that does not parse is the publisher's mistake, a 400 naming `field`.
 */
export async function readDeclaredDependencies(files: DependencyFile[], field: string, builder: Pick<SbomBuilder, 'parseDependencies'> = sbomBuilder): Promise<DeclaredDependencies | null> {
  if (files.length === 0) return null;
  const parsed = await builder.parseDependencies(files);
  if (!parsed.ok) throw invalidInput([dependencyFileProblem(parsed.error, field)]);
  return parsed.value;
}
