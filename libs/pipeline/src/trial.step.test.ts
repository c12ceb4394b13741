import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.js';
import { NO_HOST_HINTS } from '../../contract/index.js';
import { PIPELINE_TRIAL_LIMITS } from '../../sandbox/index.js';
import type { ContractDocuments, TrialOutcome, VersionStore, VersionToProcess } from '../../versions/index.js';
import { FakeTrialRunner, traceOf } from '../test/trial-runner.fake.js';
import { TrialStep } from './trial.step.js';

const MODULE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);

/** The owner of the version, as far as the trial step asks it. */
class FakeVersions implements Pick<VersionStore, 'findTrial' | 'findContractDocuments' | 'recordTrial'> {
  recorded: TrialOutcome[] = [];
  constructor(private readonly documents: ContractDocuments | null = null) {}
  async findTrial() {
    const first = this.recorded[0];
    return first === undefined ? null : { trace: first.trace, triedAt: new Date() };
  }
  async findContractDocuments() {
    return this.documents;
  }
  async recordTrial(_id: string, outcome: TrialOutcome) {
    this.recorded.push(outcome);
  }
}

function versionWith(report: { kind: 'module' | 'component'; proxyWasm: object | null } | null, contract: VersionToProcess['contract'] = null): VersionToProcess {
  return {
    id: 'v', namespace: 'acme', plugin: 'jwt', version: '1.0.0', digest: 'sha256:x', size: 8, status: 'pending', statusReason: null,
    createdAt: new Date(), readyAt: null, kind: report?.kind ?? null, abiVersion: null, analysisSummary: null, analyzedAt: null, yankedAt: null, yankReason: null,
    firstDownloadedAt: null, contract, trial: null,
    metadata: { description: null, license: null, homepage: null, repository: null, keywords: [], categories: [] },
    analysis: report === null ? null : ({ report, decision: { status: 'ready', reasons: [], warnings: [] } } as unknown as VersionToProcess['analysis']),
    declaredDependencies: null,
    steps: [],
  };
}

const proxyWasmModule = { kind: 'module' as const, proxyWasm: { abiVersion: '0_2_1' } };
const contract = (rootId: string | null): VersionToProcess['contract'] => ({
  source: 'manifest', readmeDigest: null, configSchemaDigest: null, configSchemaDialect: null, exampleNames: ['default', 'strict'], examplesDigest: 'sha256:e',
  hostHints: { ...NO_HOST_HINTS, rootId },
});
const documents: ContractDocuments = {
  readme: null, readmeHtml: null, configSchema: null,
  examples: JSON.stringify([{ name: 'default', description: null, configuration: { header: 'x-a' } }, { name: 'strict', description: 'all', configuration: 'plain' }]),
};
const config = (policy = '') => loadConfig({ DATA_DIR: '/tmp/unused', ANALYSIS_POLICY: policy });

describe('TrialStep', () => {
  it('applies to Proxy-Wasm modules only: not to components, modules that are no plugin, or what was not analysed', () => {
    const step = new TrialStep(new FakeVersions(), new FakeTrialRunner(), config());
    expect(step.appliesTo(versionWith(proxyWasmModule))).toBe(true);
    expect(step.appliesTo(versionWith({ kind: 'module', proxyWasm: null }))).toBe(false);
    expect(step.appliesTo(versionWith({ kind: 'component', proxyWasm: null }))).toBe(false);
    expect(step.appliesTo(versionWith(null))).toBe(false);
  });

  it('tries each contract example as JSON text, under the root id the host hints name, within the pipeline limits', async () => {
    const runner = new FakeTrialRunner();
    const versions = new FakeVersions(documents);
    await new TrialStep(versions, runner, config()).run(versionWith(proxyWasmModule, contract('jwt_root')), MODULE);
    expect(runner.requests).toHaveLength(1);
    const request = runner.requests[0]!;
    expect(request.configurations).toEqual([
      { name: 'default', text: '{"header":"x-a"}' },
      { name: 'strict', text: '"plain"' },
    ]);
    expect([request.rootId, request.vmConfiguration, request.limits, request.requests]).toEqual(['jwt_root', '', PIPELINE_TRIAL_LIMITS, undefined]);
    expect(request.module).toBe(MODULE);
    expect(versions.recorded[0]!.summary).toEqual({ started: true, configurationsAccepted: 1, configurationsTried: 1, findings: [], medianMicros: 38, p95Micros: 61 });
    expect(versions.recorded[0]!.rejectedBecause).toBeNull();
  });

  it('tries a version without examples with one empty configuration and the default root id', async () => {
    const runner = new FakeTrialRunner();
    await new TrialStep(new FakeVersions(), runner, config()).run(versionWith(proxyWasmModule), MODULE);
    expect(runner.requests[0]).toMatchObject({ configurations: [{ name: '(empty)', text: '' }], rootId: '' });
  });

  it('keeps the first trace: a re-run after a crash runs nothing', async () => {
    const runner = new FakeTrialRunner();
    const versions = new FakeVersions();
    const step = new TrialStep(versions, runner, config());
    await step.run(versionWith(proxyWasmModule), MODULE);
    await step.run(versionWith(proxyWasmModule), MODULE);
    expect([runner.requests.length, versions.recorded.length]).toEqual([1, 1]);
  });

  it('warns about a module that traps at start by default, and rejects it when the policy says so', async () => {
    const trapped = traceOf({
      start: { linked: true, unknownImports: [], entryPoint: '_initialize', vmStarted: null, logs: [], failure: { kind: 'trap', callback: 'proxy_on_vm_start', message: 'unreachable' } },
      configurations: [],
      requests: [],
      cost: null,
      findings: [{ code: 'trial_start_failed', message: 'proxy_on_vm_start trapped: unreachable' }],
    });
    const warned = new FakeVersions();
    await new TrialStep(warned, new FakeTrialRunner(() => trapped), config()).run(versionWith(proxyWasmModule), MODULE);
    expect(warned.recorded[0]).toMatchObject({
      rejectedBecause: null,
      summary: { started: false, configurationsAccepted: 0, configurationsTried: 0, findings: ['trial_start_failed'], medianMicros: null, p95Micros: null },
    });
    const rejected = new FakeVersions();
    await new TrialStep(rejected, new FakeTrialRunner(() => trapped), config('trial_start_failed=reject')).run(versionWith(proxyWasmModule), MODULE);
    expect(rejected.recorded[0]!.rejectedBecause).toBe('proxy_on_vm_start trapped: unreachable');
  });
});
