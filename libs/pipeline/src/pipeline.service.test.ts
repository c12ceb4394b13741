import { describe, expect, it } from 'vitest';
import { analyzeInWorker } from '../../analysis/index.js';
import { loadConfig } from '../../config/index.js';
import { proxyWasmFilter } from '../../../testing/wasm-fixtures.js';
import { PIPELINE_STEPS, type StepState, type VersionToProcess, type AnalysisOutcome, type VersionStore } from '../../versions/index.js';
import { PipelineService } from './pipeline.service.js';

/** One version as its owner keeps it, and the pipeline's step states, in memory. */
class FakePipeline implements Pick<VersionStore, 'findToProcess' | 'recordAnalysis' | 'markReady' | 'markFailed'> {
  status: VersionToProcess['status'] = 'pending';
  statusReason: string | null = null;
  states = new Map<string, StepState>(PIPELINE_STEPS.map((s) => [s, 'pending']));
  log: string[] = [];
  /** The policy's verdict the next analysis records. */
  rejectWith: string | null = null;
  /** Fails every database call while set (the database is down). */
  databaseDown = false;
  /** Whether the analysis found a Proxy-Wasm module (the trial applies). */
  proxyWasm = false;

  constructor(private readonly bytes: Uint8Array) {}

  private db(what: string): void {
    if (this.databaseDown) throw new Error(`database unreachable (${what})`);
  }

  async findToProcess(id: string): Promise<VersionToProcess | null> {
    this.db('findToProcess');
    return {
      id, namespace: 'acme', plugin: 'jwt', version: '1.0.0', digest: 'sha256:x', size: this.bytes.length, status: this.status, statusReason: this.statusReason,
      createdAt: new Date(), readyAt: null, kind: null, abiVersion: null, analysisSummary: null, analyzedAt: null, yankedAt: null, yankReason: null, firstDownloadedAt: null, contract: null, trial: null,
      metadata: { description: null, license: null, homepage: null, repository: null, keywords: [], categories: [] },
      analysis: null, declaredDependencies: null,
      // A step without a state has no row (the version was published before the step existed).
      steps: PIPELINE_STEPS.filter((step) => this.states.has(step)).map((step) => ({ step, state: this.states.get(step)!, attempts: 0, error: null, startedAt: null, finishedAt: null })),
    };
  }

  async recordAnalysis(_id: string, outcome: AnalysisOutcome): Promise<void> {
    this.db('recordAnalysis');
    this.log.push('analysis recorded');
    if (this.rejectWith !== null && outcome.analysis.report !== undefined) {
      this.status = 'rejected';
      this.statusReason = this.rejectWith;
    }
  }

  async markReady(): Promise<boolean> {
    this.db('markReady');
    if (this.status !== 'pending') return false;
    this.status = 'ready';
    return true;
  }

  async markFailed(_id: string, reason: string): Promise<boolean> {
    this.db('markFailed');
    if (this.status !== 'pending') return false;
    this.status = 'failed';
    this.statusReason = reason;
    return true;
  }

  steps = {
    startStep: async (_id: string, step: string) => {
      this.db('startStep');
      this.states.set(step, 'running');
      this.log.push(`${step} started`);
    },
    finishStep: async (_id: string, step: string, state: StepState) => {
      this.db('finishStep');
      this.states.set(step, state);
    },
  };
}

async function serviceFor(fake: FakePipeline, failSignature: Error | null = null) {
  const bytes = await proxyWasmFilter('pipeline-unit');
  const service = new PipelineService(
    fake,
    fake.steps,
    { run: async () => void fake.log.push('sbom ran') },
    {
      run: async () => {
        if (failSignature) throw failSignature;
        fake.log.push('signature ran');
      },
    },
    { appliesTo: () => fake.proxyWasm, run: async () => void fake.log.push('trial ran') },
    { analyze: (module: Uint8Array) => analyzeInWorker(module, { timeoutMs: 30_000, memoryMb: 128 }) },
    { readAll: async () => new Uint8Array(bytes) },
    loadConfig({ DATA_DIR: '/tmp/unused' }),
  );
  return service;
}

const job = { jobId: 'version-v-1', versionId: 'v' };

describe('PipelineService', () => {
  it('runs the steps in order, then marks the version ready', async () => {
    const fake = new FakePipeline(await proxyWasmFilter('pipeline-unit'));
    await (await serviceFor(fake)).process(job, { number: 1, isLastAttempt: false });
    expect(fake.log).toEqual(['analysis started', 'analysis recorded', 'sbom started', 'sbom ran', 'signature started', 'signature ran']);
    expect(fake.status).toBe('ready');
  });

  it('skips steps already done (a retried job)', async () => {
    const fake = new FakePipeline(await proxyWasmFilter('pipeline-unit'));
    fake.states.set('analysis', 'done');
    fake.states.set('sbom', 'done');
    await (await serviceFor(fake)).process(job, { number: 2, isLastAttempt: false });
    expect(fake.log).toEqual(['signature started', 'signature ran']);
    expect(fake.status).toBe('ready');
  });

  it('stops at a rejection: later steps never run and the version is never ready', async () => {
    const fake = new FakePipeline(await proxyWasmFilter('pipeline-unit'));
    fake.rejectWith = 'the policy forbids it';
    await (await serviceFor(fake)).process(job, { number: 1, isLastAttempt: false });
    expect(fake.log).toEqual(['analysis started', 'analysis recorded']);
    expect(fake.status).toBe('rejected');
  });

  it('leaves the version pending when a step fails before the last attempt, and marks it failed on the last', async () => {
    const fake = new FakePipeline(await proxyWasmFilter('pipeline-unit'));
    const service = await serviceFor(fake, new Error('no signing key'));
    await expect(service.process(job, { number: 1, isLastAttempt: false })).rejects.toThrow('no signing key');
    expect([fake.status, fake.states.get('signature')]).toEqual(['pending', 'pending']);
    await expect(service.process(job, { number: 3, isLastAttempt: true })).rejects.toThrow('no signing key');
    expect([fake.status, fake.states.get('signature')]).toEqual(['failed', 'failed']);
    expect(fake.statusReason).toBe('signature failed after 3 attempt(s): no signing key');
  });

  it('marks the version failed when the last attempt fails on the database, not on a step', async () => {
    const fake = new FakePipeline(await proxyWasmFilter('pipeline-unit'));
    const service = await serviceFor(fake);
    // Finding the step to start fails; the database answers again for the mark.
    const startStep = fake.steps.startStep;
    fake.steps.startStep = async () => {
      throw new Error('connection terminated');
    };
    await expect(service.process(job, { number: 5, isLastAttempt: true })).rejects.toThrow('connection terminated');
    expect(fake.status).toBe('failed');
    expect(fake.statusReason).toBe('processing failed after 5 attempt(s): connection terminated');
    fake.steps.startStep = startStep;
  });

  it('still fails the job when even marking it failed is impossible (the reconciler finds it later)', async () => {
    const fake = new FakePipeline(await proxyWasmFilter('pipeline-unit'));
    fake.databaseDown = true;
    await expect((await serviceFor(fake)).process(job, { number: 5, isLastAttempt: true })).rejects.toThrow('database unreachable');
    expect(fake.status).toBe('pending');
  });

  it('leaves the version pending when an earlier attempt fails on the database', async () => {
    const fake = new FakePipeline(await proxyWasmFilter('pipeline-unit'));
    fake.steps.startStep = async () => {
      throw new Error('connection terminated');
    };
    await expect((await serviceFor(fake)).process(job, { number: 1, isLastAttempt: false })).rejects.toThrow('connection terminated');
    expect(fake.status).toBe('pending');
  });

  it('tries a Proxy-Wasm module after its analysis and before its SBOM', async () => {
    const fake = new FakePipeline(await proxyWasmFilter('pipeline-unit'));
    fake.proxyWasm = true;
    await (await serviceFor(fake)).process(job, { number: 1, isLastAttempt: false });
    expect(fake.log).toEqual(['analysis started', 'analysis recorded', 'trial started', 'trial ran', 'sbom started', 'sbom ran', 'signature started', 'signature ran']);
    expect([fake.states.get('trial'), fake.status]).toEqual(['done', 'ready']);
  });

  it('skips the trial of what is not a Proxy-Wasm module without starting it', async () => {
    const fake = new FakePipeline(await proxyWasmFilter('pipeline-unit'));
    await (await serviceFor(fake)).process(job, { number: 1, isLastAttempt: false });
    expect(fake.log).not.toContain('trial started');
    expect([fake.states.get('trial'), fake.status]).toEqual(['skipped', 'ready']);
  });

  it('runs the trial of a version published before the step existed (it has no step row)', async () => {
    const fake = new FakePipeline(await proxyWasmFilter('pipeline-unit'));
    fake.proxyWasm = true;
    fake.states.set('analysis', 'done');
    fake.states.delete('trial');
    await (await serviceFor(fake)).process(job, { number: 2, isLastAttempt: false });
    expect(fake.log).toEqual(['trial started', 'trial ran', 'sbom started', 'sbom ran', 'signature started', 'signature ran']);
    expect(fake.status).toBe('ready');
  });
});
