import type { ConfigExample } from '../../contract/index.js';
import type { TrialLimits, TrialRequest, TrialTrace } from '../../sandbox/index.js';
import type { ContractDocuments, ContractSummary, TrialSummary } from '../../versions/index.js';

/** What runs a trial: the sandbox's runner in the registry, a fake in unit tests. */
export interface TrialRunner {
  runTrial(request: TrialRequest): Promise<TrialTrace>;
}

export const TRIAL_RUNNER = Symbol('TrialRunner');

/** The configuration a version without examples is tried with: Envoy passes an empty one when none is set. */
export const EMPTY_CONFIGURATION = { name: '(empty)', text: '' } as const;

/**
 * The text proxy_on_configure receives for a configuration value: its JSON, as the Envoy
 * configuration the registry generates embeds it (a google.protobuf.StringValue).
 */
export const configurationText = (configuration: unknown): string => JSON.stringify(configuration);

/**
 * A version's trial as the pipeline runs it: each of its contract's examples (or one empty
 * configuration), the root id its host hints name (or none, as Envoy's default is ""), the default
 * synthetic requests.
 */
export function versionTrialRequest(module: Uint8Array, contract: ContractSummary | null, documents: ContractDocuments | null, limits: TrialLimits): TrialRequest {
  const examples = documents?.examples == null ? [] : (JSON.parse(documents.examples) as ConfigExample[]);
  return {
    module,
    configurations: examples.length === 0 ? [{ ...EMPTY_CONFIGURATION }] : examples.map((e) => ({ name: e.name, text: configurationText(e.configuration) })),
    vmConfiguration: '',
    rootId: contract?.hostHints.rootId ?? '',
    limits,
  };
}

/** The trace in brief, as the version's summary columns keep it. */
export function summarizeTrial(trace: TrialTrace): Omit<TrialSummary, 'triedAt'> {
  const { start } = trace;
  return {
    started: start.linked && start.failure === null && start.vmStarted !== false,
    configurationsAccepted: trace.configurations.filter((c) => c.failure === null && c.accepted !== false).length,
    configurationsTried: trace.configurations.length,
    findings: [...new Set(trace.findings.map((f) => f.code))],
    medianMicros: trace.cost?.medianMicros ?? null,
    p95Micros: trace.cost?.p95Micros ?? null,
  };
}
