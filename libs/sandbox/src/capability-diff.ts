import type { AnalysisReport, Capability } from '../../analysis/index.js';
import type { CallOut, HeaderChanges, MetricTrace, TrialTrace } from './trial-types.js';

/**
 * What an upgrade lets a plugin do that it could not before: the host
 * functions it imports (grouped as the analysis groups capabilities) and,
 * when both versions have a trial, what it was seen doing in the sandbox.
 * Pure and bounded: both inputs are bounded already (REPORT_LIMITS,
 * TRACE_BOUNDS), and every list here is cut at DIFF_LIMITS with `omitted`
 * saying how much was left out.
 */

/** One version as the diff reads it; `capabilityDiffSide` builds it from a stored report. */
export interface CapabilityDiffSide {
  version: string;
  /** The report's imports; entries whose `kind` is not 'function' are ignored (memories and tables grant nothing). */
  imports: readonly { module: string; name: string; kind?: string }[];
  /** report.capabilities: which imports grant which capability. */
  capabilities: readonly Capability[];
  trial: TrialTrace | null;
  /** Imports the report left out (report.omitted.imports): the import lists are then incomplete. */
  omittedImports?: number;
}

/** A capability id of the analysis, or 'other' for host functions outside every capability (logging, headers, bodies, timers …). */
export type ImportGroupId = Capability['id'] | 'other';

export interface ImportGroupChange {
  group: ImportGroupId;
  description: string;
  /** `module.name`, sorted. */
  added: string[];
  removed: string[];
}

export interface CapabilityChange {
  id: Capability['id'];
  description: string;
}

export type HeaderOperation = 'added' | 'replaced' | 'removed';
export type HeaderPlace = 'request_headers' | 'request_trailers' | 'response_headers' | 'response_trailers';

export interface HeaderTouch {
  place: HeaderPlace;
  operation: HeaderOperation;
  /** Lowercased header names the new version touches this way and the old one did not, sorted. */
  names: string[];
}

export interface UpstreamCall {
  kind: CallOut['kind'];
  upstream: string;
}

export interface CostChange {
  beforeMedianMicros: number;
  afterMedianMicros: number;
  /** after / before, rounded to two decimals. */
  ratio: number;
}

export interface MemoryChange {
  beforeBytes: number;
  afterBytes: number;
  ratio: number;
}

/**
 * What the two trials show changed. Only what widens what the plugin does, plus the upstreams it
 * stopped calling. Logs are left out: a new log line or level grants nothing, and its text is the
 * publisher's to change at will.
 */
export interface BehaviourDiff {
  upstreamsAdded: UpstreamCall[];
  upstreamsRemoved: UpstreamCall[];
  headersTouched: HeaderTouch[];
  /** Bodies (HTTP) or connection data (TCP) the new version rewrites and the old did not. */
  bodiesChanged: ('request_body' | 'response_body' | 'downstream_data' | 'upstream_data')[];
  /** Statuses of local responses (the plugin answering itself) only the new version sends, ascending. */
  localResponseStatuses: number[];
  metricsAdded: { name: string; type: MetricTrace['type'] }[];
  sharedDataKeysAdded: string[];
  /** Set when the new version no longer starts (or no longer accepts any configuration) in the sandbox, or starts where the old did not. */
  start: { before: boolean; after: boolean } | null;
  /** Set when CPU time per request rose past COST_INCREASE_THRESHOLD. */
  cost: CostChange | null;
  /** Set when the instance's memory after start rose past MEMORY_INCREASE_THRESHOLD. */
  memory: MemoryChange | null;
}

export type ChangeKind =
  | 'capability_gained'
  | 'capability_lost'
  | 'imports_added'
  | 'imports_removed'
  | 'upstream_added'
  | 'upstream_removed'
  | 'headers_touched'
  | 'body_changed'
  | 'local_response_added'
  | 'metric_added'
  | 'shared_data_added'
  | 'start_changed'
  | 'cost_increased'
  | 'memory_increased';

export interface DiffChange {
  kind: ChangeKind;
  /** True when the upgrade lets the plugin do more (what a reviewer must look at); false when it does less. */
  widens: boolean;
  /** One line for a reviewer, e.g. "now calls upstream auth-cluster (http)". */
  summary: string;
}

export interface CapabilityDiff {
  from: string;
  to: string;
  /** Groups whose imports changed: the new version's capabilities in the analysis' order, then those only the old one had, 'other' last. */
  imports: ImportGroupChange[];
  capabilities: { gained: CapabilityChange[]; lost: CapabilityChange[] };
  /** Null when either version has no trial; `behaviourNote` says which. When either trial never reached traffic, only `start` is compared (and the note says so). */
  behaviour: BehaviourDiff | null;
  behaviourNote: string | null;
  /** One line per change, widening ones first. */
  changes: DiffChange[];
  /** One sentence: the whole diff at a glance. */
  summary: string;
  /** Why a part may be incomplete (an input was truncated). */
  caveats: string[];
  /** Entries left out of a list at DIFF_LIMITS, by list name. */
  omitted: Record<string, number>;
}

/**
 * CPU time per request counts as up when the new median is at least 1.5
 * times the old one AND at least 5 µs more: the sandbox's figures move by a
 * few µs from run to run (V8 tiering, a shared machine), so a small plugin
 * going from 2 to 4 µs is noise, not a change worth a reviewer's look.
 */
export const COST_INCREASE_THRESHOLD = { ratio: 1.5, minMicros: 5 } as const;

/** Memory after start counts as up at 1.5 times and at least 1 MiB more (one Wasm page is 64 KiB; allocators grow in steps). */
export const MEMORY_INCREASE_THRESHOLD = { ratio: 1.5, minBytes: 1024 * 1024 } as const;

/** Bounds on what a diff lists; the inputs are bounded already, so these only keep a page readable. */
export const DIFF_LIMITS = { namesPerList: 100, changes: 60 } as const;

const OTHER_DESCRIPTION = 'Host functions outside the capabilities above: logging, headers, bodies, timers, the stream itself.';

/** The side of a version from its stored analysis report and trial. */
export function capabilityDiffSide(version: string, report: AnalysisReport, trial: TrialTrace | null): CapabilityDiffSide {
  return { version, imports: report.imports, capabilities: report.capabilities, trial, omittedImports: report.omitted['imports'] ?? 0 };
}

export function capabilityDiff(before: CapabilityDiffSide, after: CapabilityDiffSide): CapabilityDiff {
  const omitted: Record<string, number> = {};
  const bound = <T>(list: T[], name: string): T[] => {
    if (list.length <= DIFF_LIMITS.namesPerList) return list;
    omitted[name] = (omitted[name] ?? 0) + list.length - DIFF_LIMITS.namesPerList;
    return list.slice(0, DIFF_LIMITS.namesPerList);
  };
  const caveats: string[] = [];
  for (const side of [before, after]) {
    if ((side.omittedImports ?? 0) > 0) caveats.push(`The analysis of ${side.version} lists only part of its imports (${side.omittedImports} left out): import changes may be missing.`);
  }

  const imports = importChanges(before, after, bound);
  const capabilities = capabilityChanges(before.capabilities, after.capabilities);
  const { behaviour, note } = behaviourOf(before, after, bound, caveats);

  const changes = changeLines(imports, capabilities, behaviour);
  const listed = changes.slice(0, DIFF_LIMITS.changes);
  if (changes.length > listed.length) omitted['changes'] = changes.length - listed.length;
  return {
    from: before.version,
    to: after.version,
    imports,
    capabilities,
    behaviour,
    behaviourNote: note,
    changes: listed,
    summary: summaryOf(before.version, after.version, changes, note),
    caveats,
    omitted,
  };
}

type Bound = <T>(list: T[], name: string) => T[];

function functionKeys(side: CapabilityDiffSide): Set<string> {
  return new Set(side.imports.filter((i) => i.kind === undefined || i.kind === 'function').map((i) => `${i.module}.${i.name}`));
}

function groupOf(capabilities: readonly Capability[]): Map<string, Capability['id']> {
  const groups = new Map<string, Capability['id']>();
  for (const capability of capabilities) for (const fn of capability.functions) groups.set(fn, capability.id);
  return groups;
}

function importChanges(before: CapabilityDiffSide, after: CapabilityDiffSide, bound: Bound): ImportGroupChange[] {
  const was = functionKeys(before);
  const is = functionKeys(after);
  const descriptions = new Map<ImportGroupId, string>([...before.capabilities, ...after.capabilities].map((c) => [c.id, c.description]));
  // Added imports are grouped by the new version's report, removed ones by the old one's: each side knows its own.
  const byGroup = new Map<ImportGroupId, { added: string[]; removed: string[] }>();
  const place = (key: string, groups: Map<string, Capability['id']>, list: 'added' | 'removed'): void => {
    const group = groups.get(key) ?? 'other';
    const entry = byGroup.get(group) ?? { added: [], removed: [] };
    entry[list].push(key);
    byGroup.set(group, entry);
  };
  const afterGroups = groupOf(after.capabilities);
  const beforeGroups = groupOf(before.capabilities);
  for (const key of is) if (!was.has(key)) place(key, afterGroups, 'added');
  for (const key of was) if (!is.has(key)) place(key, beforeGroups, 'removed');
  const order = [...after.capabilities, ...before.capabilities].map((c) => c.id as ImportGroupId);
  const rank = (g: ImportGroupId): number => (g === 'other' ? Number.MAX_SAFE_INTEGER : order.indexOf(g));
  return [...byGroup.entries()]
    .sort(([a], [b]) => rank(a) - rank(b))
    .map(([group, { added, removed }]) => ({
      group,
      description: descriptions.get(group) ?? OTHER_DESCRIPTION,
      added: bound(added.sort(), `imports.${group}.added`),
      removed: bound(removed.sort(), `imports.${group}.removed`),
    }));
}

function capabilityChanges(before: readonly Capability[], after: readonly Capability[]): CapabilityDiff['capabilities'] {
  const had = new Set(before.map((c) => c.id));
  const has = new Set(after.map((c) => c.id));
  return {
    gained: after.filter((c) => !had.has(c.id)).map(({ id, description }) => ({ id, description })),
    lost: before.filter((c) => !has.has(c.id)).map(({ id, description }) => ({ id, description })),
  };
}

const NOTHING_SEEN: BehaviourDiff = {
  upstreamsAdded: [],
  upstreamsRemoved: [],
  headersTouched: [],
  bodiesChanged: [],
  localResponseStatuses: [],
  metricsAdded: [],
  sharedDataKeysAdded: [],
  start: null,
  cost: null,
  memory: null,
};

/** Whether the trial got as far as traffic: only then does it say what the plugin does. */
function started(trace: TrialTrace): boolean {
  // As the summary counts it: a plugin without proxy_on_configure (accepted: null) still gets the traffic.
  return trace.start.linked && trace.start.failure === null && trace.start.vmStarted !== false && trace.configurations.some((c) => c.failure === null && c.accepted !== false);
}

function behaviourOf(before: CapabilityDiffSide, after: CapabilityDiffSide, bound: Bound, caveats: string[]): { behaviour: BehaviourDiff | null; note: string | null } {
  const missing = [before, after].filter((s) => s.trial === null).map((s) => s.version);
  if (missing.length > 0) return { behaviour: null, note: `No trial of ${missing.join(' and ')}: behaviour cannot be compared.` };
  const old = before.trial!;
  const now = after.trial!;
  const startChange = started(old) === started(now) ? null : { before: started(old), after: started(now) };
  if (!started(old) || !started(now)) {
    const idle = [before, after].filter((s) => !started(s.trial!)).map((s) => s.version);
    return {
      behaviour: { ...NOTHING_SEEN, start: startChange },
      note: `${idle.join(' and ')} sent no traffic through the plugin in the sandbox (it did not start or accepted no configuration): only the start is compared.`,
    };
  }
  for (const side of [before, after]) {
    const cut = Object.values(side.trial!.omitted).reduce((sum, n) => sum + n, 0);
    if (cut > 0) caveats.push(`The trial of ${side.version} left ${cut} entries out of its lists: behaviour changes may be missing.`);
  }

  const upstreamKey = (c: UpstreamCall): string => `${c.kind} ${c.upstream}`;
  const oldUpstreams = upstreamsOf(old);
  const newUpstreams = upstreamsOf(now);
  const oldKeys = new Set(oldUpstreams.map(upstreamKey));
  const newKeys = new Set(newUpstreams.map(upstreamKey));

  const oldHeaders = headerTouches(old);
  const headersTouched: HeaderTouch[] = [];
  for (const [key, names] of headerTouches(now)) {
    const known = oldHeaders.get(key) ?? new Set<string>();
    const fresh = [...names].filter((n) => !known.has(n)).sort();
    if (fresh.length === 0) continue;
    const [place, operation] = key.split(' ') as [HeaderPlace, HeaderOperation];
    headersTouched.push({ place, operation, names: bound(fresh, `behaviour.headersTouched.${key.replace(' ', '.')}`) });
  }

  const oldBodies = bodiesOf(old);
  const oldStatuses = new Set(localStatuses(old));
  const oldMetrics = new Set(metricsOf(old).map((m) => m.name));
  const oldKeysShared = new Set(old.sharedData.map((d) => d.key));

  return {
    behaviour: {
      upstreamsAdded: bound(newUpstreams.filter((c) => !oldKeys.has(upstreamKey(c))), 'behaviour.upstreamsAdded'),
      upstreamsRemoved: bound(oldUpstreams.filter((c) => !newKeys.has(upstreamKey(c))), 'behaviour.upstreamsRemoved'),
      headersTouched,
      bodiesChanged: bodiesOf(now).filter((b) => !oldBodies.includes(b)),
      localResponseStatuses: bound([...new Set(localStatuses(now))].filter((s) => !oldStatuses.has(s)).sort((a, b) => a - b), 'behaviour.localResponseStatuses'),
      metricsAdded: bound(metricsOf(now).filter((m) => !oldMetrics.has(m.name)), 'behaviour.metricsAdded'),
      sharedDataKeysAdded: bound([...new Set(now.sharedData.map((d) => d.key))].filter((k) => !oldKeysShared.has(k)).sort(), 'behaviour.sharedDataKeysAdded'),
      start: startChange,
      cost: costChange(old, now),
      memory: memoryChange(old, now),
    },
    note: null,
  };
}

function allCallsOut(trace: TrialTrace): CallOut[] {
  return [...trace.requests.flatMap((r) => r.callsOut), ...trace.connections.flatMap((c) => c.callsOut), ...trace.ticks.callsOut];
}

/** Each (kind, upstream) once, sorted. */
function upstreamsOf(trace: TrialTrace): UpstreamCall[] {
  const seen = new Map<string, UpstreamCall>();
  for (const { kind, upstream } of allCallsOut(trace)) seen.set(`${kind} ${upstream}`, { kind, upstream });
  return [...seen.values()].sort((a, b) => (a.upstream === b.upstream ? a.kind.localeCompare(b.kind) : a.upstream < b.upstream ? -1 : 1));
}

/** "<place> <operation>" → lowercased header names. */
function headerTouches(trace: TrialTrace): Map<string, Set<string>> {
  const touches = new Map<string, Set<string>>();
  const add = (place: HeaderPlace, changes: HeaderChanges): void => {
    const names: Record<HeaderOperation, string[]> = {
      added: changes.added.map(([name]) => name),
      replaced: changes.replaced.map(([name]) => name),
      removed: changes.removed,
    };
    for (const operation of ['added', 'replaced', 'removed'] as const) {
      if (names[operation].length === 0) continue;
      const key = `${place} ${operation}`;
      const set = touches.get(key) ?? new Set<string>();
      for (const name of names[operation]) set.add(name.toLowerCase());
      touches.set(key, set);
    }
  };
  for (const request of trace.requests) {
    add('request_headers', request.request.headers);
    add('request_trailers', request.request.trailers);
    add('response_headers', request.response.headers);
    add('response_trailers', request.response.trailers);
  }
  return touches;
}

function bodiesOf(trace: TrialTrace): BehaviourDiff['bodiesChanged'] {
  const changed: BehaviourDiff['bodiesChanged'] = [];
  if (trace.requests.some((r) => r.request.bodyChanged)) changed.push('request_body');
  if (trace.requests.some((r) => r.response.bodyChanged)) changed.push('response_body');
  if (trace.connections.some((c) => c.downstreamDataChanged)) changed.push('downstream_data');
  if (trace.connections.some((c) => c.upstreamDataChanged)) changed.push('upstream_data');
  return changed;
}

function localStatuses(trace: TrialTrace): number[] {
  return trace.requests.flatMap((r) => (r.localResponse === null ? [] : [r.localResponse.status]));
}

/** Every metric either defined by the end or changed during a request, each name once, sorted. */
function metricsOf(trace: TrialTrace): { name: string; type: MetricTrace['type'] }[] {
  const seen = new Map<string, MetricTrace['type']>();
  for (const m of [...trace.metrics, ...trace.requests.flatMap((r) => r.metrics)]) if (!seen.has(m.name)) seen.set(m.name, m.type);
  return [...seen.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, type]) => ({ name, type }));
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

function costChange(old: TrialTrace, now: TrialTrace): CostChange | null {
  if (old.cost === null || now.cost === null || old.cost.samples === 0 || now.cost.samples === 0) return null;
  const before = old.cost.medianMicros;
  const after = now.cost.medianMicros;
  if (after - before < COST_INCREASE_THRESHOLD.minMicros || after < before * COST_INCREASE_THRESHOLD.ratio) return null;
  return { beforeMedianMicros: before, afterMedianMicros: after, ratio: before > 0 ? round2(after / before) : Number.POSITIVE_INFINITY };
}

function memoryChange(old: TrialTrace, now: TrialTrace): MemoryChange | null {
  if (old.cost === null || now.cost === null) return null;
  const before = old.cost.memoryBytesAfterStart;
  const after = now.cost.memoryBytesAfterStart;
  if (after - before < MEMORY_INCREASE_THRESHOLD.minBytes || after < before * MEMORY_INCREASE_THRESHOLD.ratio) return null;
  return { beforeBytes: before, afterBytes: after, ratio: before > 0 ? round2(after / before) : Number.POSITIVE_INFINITY };
}

const PLACE_WORDS: Record<HeaderPlace, string> = {
  request_headers: 'request headers',
  request_trailers: 'request trailers',
  response_headers: 'response headers',
  response_trailers: 'response trailers',
};
const OPERATION_WORDS: Record<HeaderOperation, string> = { added: 'adds', replaced: 'replaces', removed: 'removes' };
const BODY_WORDS: Record<BehaviourDiff['bodiesChanged'][number], string> = {
  request_body: 'the request body',
  response_body: 'the response body',
  downstream_data: 'data from the client (downstream)',
  upstream_data: 'data from the server (upstream)',
};

function list(names: readonly string[]): string {
  return names.map((n) => `\`${n}\``).join(', ');
}

function mib(bytes: number): string {
  return `${round2(bytes / (1024 * 1024))} MiB`;
}

function changeLines(imports: ImportGroupChange[], capabilities: CapabilityDiff['capabilities'], behaviour: BehaviourDiff | null): DiffChange[] {
  const widening: DiffChange[] = [];
  const narrowing: DiffChange[] = [];
  for (const c of capabilities.gained) widening.push({ kind: 'capability_gained', widens: true, summary: `gains ${c.id}: ${c.description}` });
  for (const g of imports) {
    if (g.added.length > 0) widening.push({ kind: 'imports_added', widens: true, summary: `imports ${list(g.added)} (${g.group})` });
  }
  if (behaviour !== null) {
    for (const u of behaviour.upstreamsAdded) widening.push({ kind: 'upstream_added', widens: true, summary: `now calls upstream \`${u.upstream}\` (${u.kind})` });
    for (const h of behaviour.headersTouched) {
      widening.push({ kind: 'headers_touched', widens: true, summary: `now ${OPERATION_WORDS[h.operation]} ${PLACE_WORDS[h.place]} ${list(h.names)}` });
    }
    for (const b of behaviour.bodiesChanged) widening.push({ kind: 'body_changed', widens: true, summary: `now rewrites ${BODY_WORDS[b]}` });
    if (behaviour.localResponseStatuses.length > 0) {
      widening.push({ kind: 'local_response_added', widens: true, summary: `now answers requests itself with status ${behaviour.localResponseStatuses.join(', ')}` });
    }
    if (behaviour.metricsAdded.length > 0) {
      widening.push({ kind: 'metric_added', widens: true, summary: `defines new metrics ${list(behaviour.metricsAdded.map((m) => `${m.name}`))}` });
    }
    if (behaviour.sharedDataKeysAdded.length > 0) {
      widening.push({ kind: 'shared_data_added', widens: true, summary: `writes new shared data keys ${list(behaviour.sharedDataKeysAdded)}` });
    }
    if (behaviour.cost !== null) {
      const c = behaviour.cost;
      widening.push({
        kind: 'cost_increased',
        widens: true,
        summary: `CPU time per request up from ${c.beforeMedianMicros} µs to ${c.afterMedianMicros} µs (median, ×${c.ratio}) in the sandbox`,
      });
    }
    if (behaviour.memory !== null) {
      const m = behaviour.memory;
      widening.push({ kind: 'memory_increased', widens: true, summary: `memory after start up from ${mib(m.beforeBytes)} to ${mib(m.afterBytes)} (×${m.ratio})` });
    }
    if (behaviour.start !== null) {
      const target = behaviour.start.after ? narrowing : widening;
      target.push({
        kind: 'start_changed',
        widens: !behaviour.start.after,
        summary: behaviour.start.after ? 'now starts and accepts a configuration in the sandbox (the previous version did not)' : 'no longer starts, or accepts no configuration, in the sandbox',
      });
    }
    for (const u of behaviour.upstreamsRemoved) narrowing.push({ kind: 'upstream_removed', widens: false, summary: `no longer calls upstream \`${u.upstream}\` (${u.kind})` });
  }
  for (const c of capabilities.lost) narrowing.push({ kind: 'capability_lost', widens: false, summary: `loses ${c.id}` });
  for (const g of imports) {
    if (g.removed.length > 0) narrowing.push({ kind: 'imports_removed', widens: false, summary: `no longer imports ${list(g.removed)} (${g.group})` });
  }
  return [...widening, ...narrowing];
}

function summaryOf(from: string, to: string, changes: readonly DiffChange[], note: string | null): string {
  const widening = changes.filter((c) => c.widens);
  const behaviourPart = note === null ? '' : ` (${note.replace(/\.$/, '')})`;
  if (changes.length === 0) return `${from} → ${to}: no change in imports, capabilities or behaviour${behaviourPart}.`;
  if (widening.length === 0) return `${from} → ${to}: nothing new; ${changes.length} change${changes.length === 1 ? '' : 's'} that narrow what it does${behaviourPart}.`;
  const first = widening[0]!.summary;
  const more = changes.length - 1;
  return `${from} → ${to}: ${first}${more > 0 ? `; ${more} more change${more === 1 ? '' : 's'}` : ''}${behaviourPart}.`;
}
