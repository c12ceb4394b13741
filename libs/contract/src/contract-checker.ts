import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { invalidInput, RegistryError, type FieldProblem } from '../../domain/index.js';
import { jsonValueProblem } from './bounded-document.js';
import { CONTRACT_LIMITS } from './contract-limits.js';
import type { ConfigurationCheck, ContractDraft, VersionContract } from './contract.js';
import type { ContractTask, ContractTaskResult } from './contract.worker.js';

export interface ContractCheckerOptions {
  /** Per task, counted from when a worker starts it. */
  deadlineMs?: number;
  maxThreads?: number;
  heapMb?: number;
  /** A thread beyond the first idle this long ends. */
  idleTimeoutMs?: number;
  /** Told about a thread that failed outside any task (it is replaced); without it such an error is only dropped. */
  onThreadError?: (error: unknown) => void;
}

type TaskInput = ContractTask extends infer T ? (T extends ContractTask ? Omit<T, 'started'> : never) : never;

/**
 * Everything that runs an untrusted schema or README (meta-schema check,
 * compiling, examples, rendering, validating a configuration) runs here, in a
 * small pool of worker threads under a heap limit and a per-task deadline: a
 * task past it is aborted and its thread terminated, while the event loop (and
 * /health/live) keeps answering.
 */
export class ContractChecker {
  // Started on the first check: until a publish or a configuration check, the process keeps no thread for it.
  private poolStarted: Piscina<ContractTask & { started: unknown }, ContractTaskResult> | null = null;
  private readonly deadlineMs: number;
  private readonly heapMb: number;

  constructor(private readonly options: ContractCheckerOptions = {}) {
    this.deadlineMs = options.deadlineMs ?? CONTRACT_LIMITS.taskDeadlineMs;
    this.heapMb = options.heapMb ?? CONTRACT_LIMITS.workerHeapMb;
  }

  private get pool(): Piscina<ContractTask & { started: unknown }, ContractTaskResult> {
    if (this.poolStarted === null) {
      this.poolStarted = new Piscina({
        filename: workerScript(),
        // One thread always once started: piscina hands queued tasks only to a live thread, and after terminating
        // one past its deadline it starts a new one only up to minThreads.
        minThreads: 1,
        maxThreads: this.options.maxThreads ?? CONTRACT_LIMITS.workerThreads,
        idleTimeout: this.options.idleTimeoutMs ?? 30_000,
        maxQueue: CONTRACT_LIMITS.queuedTasks,
        resourceLimits: { maxOldGenerationSizeMb: this.heapMb, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 },
      });
      // Piscina emits 'error' for a thread that fails between tasks (say, out of memory while starting); an
      // EventEmitter with no listener would throw it and take the whole process down.
      this.poolStarted.on('error', (error: unknown) => this.options.onThreadError?.(error));
    }
    return this.poolStarted;
  }

  /**
   * Checks a draft and turns it into what is stored: the schema against its
   * dialect's meta-schema, compiled, every example valid against it, the README
   * rendered, each document's digest. Any refusal is a 400 naming the part.
   */
  async prepare(draft: ContractDraft): Promise<VersionContract> {
    const schemaField = draft.origin?.configSchema ?? 'body.schema';
    const exampleField = (i: number): string => draft.origin?.examples[i] ?? `body.examples[${i}].configuration`;
    // readContract bounds what it reads; a draft built elsewhere (the seed) is bounded here before it is copied to a thread.
    const unbounded: FieldProblem[] = [];
    const schemaDepth = draft.configSchema === null ? null : jsonValueProblem(draft.configSchema.value, CONTRACT_LIMITS.schemaDepth);
    if (schemaDepth !== null) unbounded.push({ field: schemaField, message: schemaDepth });
    draft.examples.forEach((example, i) => {
      const depth = jsonValueProblem(example.configuration, CONTRACT_LIMITS.configurationDepth);
      if (depth !== null) unbounded.push({ field: exampleField(i), message: depth });
    });
    if (unbounded.length > 0) throw invalidInput(unbounded);
    const tooSlow = (field: string, what: string) => (outcome: 'deadline' | 'memory'): RegistryError =>
      invalidInput([
        {
          field,
          message:
            outcome === 'deadline'
              ? `${what} took longer than ${this.deadlineMs} ms; simplify it (validation that nests anyOf/oneOf through $ref can grow exponentially)`
              : `${what} needed more than ${this.heapMb} MiB of memory`,
        },
      ]);
    const [schema, readme] = await Promise.allSettled([
      draft.configSchema === null
        ? Promise.resolve(null)
        : this.run(
            {
              kind: 'schema',
              schema: draft.configSchema.value,
              dialect: draft.configSchema.dialect,
              examples: draft.examples,
              fields: {
                schema: schemaField,
                examples: draft.examples.map((_, i) => exampleField(i)),
              },
            },
            tooSlow(schemaField, 'checking the schema and validating the examples against it'),
          ),
      draft.readme === null ? Promise.resolve(null) : this.run({ kind: 'readme', markdown: draft.readme }, tooSlow('body.readme', 'rendering the README')),
    ]);

    const problems: FieldProblem[] = [];
    for (const outcome of [schema, readme]) {
      if (outcome.status === 'fulfilled') continue;
      const reason: unknown = outcome.reason;
      if (reason instanceof RegistryError && reason.code === 'invalid_input') problems.push(...(reason.extensions.errors as FieldProblem[]));
      else throw reason;
    }
    if (problems.length > 0) throw invalidInput(problems);
    const checkedSchema = (schema as PromiseFulfilledResult<Extract<ContractTaskResult, { kind: 'schema' }> | null>).value;
    const renderedReadme = (readme as PromiseFulfilledResult<Extract<ContractTaskResult, { kind: 'readme' }> | null>).value;

    const examplesJson = JSON.stringify(draft.examples, null, 2);
    return {
      source: draft.source,
      readme: renderedReadme === null ? null : { markdown: draft.readme!, html: renderedReadme.html, digest: renderedReadme.digest },
      configSchema: checkedSchema === null ? null : { json: checkedSchema.json, dialect: draft.configSchema!.dialect, digest: checkedSchema.digest },
      examples:
        draft.examples.length === 0
          ? null
          : { json: examplesJson, names: draft.examples.map((example) => example.name), digest: `sha256:${createHash('sha256').update(examplesJson, 'utf8').digest('hex')}` },
      hostHints: draft.hostHints,
    };
  }

  /**
   * Checks a configuration against a stored schema (its JSON text, as served).
   * A check that passes the deadline is a 422 `configuration_check_timeout`.
   * `field` names the configuration in a 400 when it is not a bounded JSON value.
   */
  async validate(schemaJson: string, configuration: unknown, field = 'body'): Promise<ConfigurationCheck> {
    const problem = jsonValueProblem(configuration, CONTRACT_LIMITS.configurationDepth);
    if (problem !== null) throw invalidInput([{ field, message: problem }]);
    const result = await this.run({ kind: 'validate', schemaJson, configuration }, (outcome) =>
      new RegistryError(
        422,
        'configuration_check_timeout',
        'Configuration check stopped',
        outcome === 'deadline'
          ? `checking the configuration against the schema took longer than ${this.deadlineMs} ms; the schema makes validation too expensive`
          : `checking the configuration against the schema needed more than ${this.heapMb} MiB of memory`,
      ),
    );
    return result.check;
  }

  async close(): Promise<void> {
    await this.poolStarted?.destroy();
  }

  private async run<K extends TaskInput['kind']>(
    task: Extract<TaskInput, { kind: K }>,
    stopped: (outcome: 'deadline' | 'memory') => RegistryError,
  ): Promise<Extract<ContractTaskResult, { ok: true; kind: K }>> {
    const abort = new AbortController();
    const { port1: started, port2: startedInWorker } = new MessageChannel();
    let timer: NodeJS.Timeout | undefined;
    started.once('message', () => {
      timer = setTimeout(() => abort.abort(), this.deadlineMs);
    });
    let result: ContractTaskResult;
    try {
      result = await this.pool.run({ ...task, started: startedInWorker } as ContractTask, { transferList: [startedInWorker], signal: abort.signal });
    } catch (error) {
      if (abort.signal.aborted) throw stopped('deadline');
      if ((error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY') throw stopped('memory');
      if (/queue is at limit/i.test((error as Error).message)) {
        throw new RegistryError(503, 'contract_checks_busy', 'Service unavailable', 'too many schema checks are waiting; try again shortly', { retryAfterSeconds: 5 });
      }
      throw error;
    } finally {
      clearTimeout(timer);
      started.close();
    }
    if (!result.ok) throw invalidInput(result.problems);
    return result as Extract<ContractTaskResult, { ok: true; kind: K }>;
  }
}

/** The compiled worker: next to this file in dist/, or in dist/ when this file runs from the sources (tests). */
function workerScript(): string {
  const beside = fileURLToPath(new URL('./contract.worker.js', import.meta.url));
  return existsSync(beside) ? beside : fileURLToPath(new URL('../../../dist/libs/contract/src/contract.worker.js', import.meta.url));
}
