import { metrics, type MeterProvider, type Attributes, type BatchObservableCallback, type Counter, type Histogram, type Meter, type Observable } from '@opentelemetry/api';

/** The instrumentation scope of every metric and span the registry makes itself. */
export const SCOPE = 'wasm-plugin-registry';

/** Bucket bounds, in seconds, that the HTTP semantic conventions recommend for request durations. */
export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
/** Pipeline steps and trials take longer than requests: from a millisecond to a minute. */
export const STEP_DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * Every metric the registry records, created once from the global meter (startTelemetry sets it;
 * before that, or in unit tests, the API's no-op meter). Attribute values are bounded sets: a
 * route template, a step name, an outcome, never a plugin name or a digest.
 */
export class RegistryInstruments {
  /** Whole modules served, counted as download statistics are: {registry.download.route: digest | version | oci}. */
  readonly downloads: Tally<'digest' | 'version' | 'oci'>;
  /** Publishes answered: {registry.publish.via: http | oci, registry.publish.outcome: created | unchanged | refused}. */
  readonly publishes: Counter;
  /** Versions that left pending: {registry.version.status: ready | rejected | failed}. */
  readonly versionsSettled: Counter;
  /** One pipeline step: {registry.pipeline.step, registry.pipeline.outcome: done | error} (a rejection is a step done; see versionsSettled). */
  readonly pipelineStepDuration: Histogram;
  /** Webhook delivery attempts: {registry.webhook.outcome: delivered | failed} (a failed one is retried with backoff). */
  readonly webhookDeliveries: Counter;
  /** Analysis of a module in a warm thread, seconds: {registry.analysis.outcome: done | error}. */
  readonly analysisDuration: Histogram;
  /** A trial in the sandbox: its wall time (s), the median CPU time of one synthetic request (s), the module's linear memory after start (By). */
  readonly trialDuration: Histogram;
  readonly trialRequestCpu: Histogram;
  readonly trialModuleMemory: Histogram;
  /** Storage calls that failed: {registry.storage.kind: filesystem | s3, registry.storage.operation}. */
  readonly storageErrors: Counter;
  /** Lookups in the in-memory module cache: {registry.cache.result: hit | miss}. */
  readonly moduleCacheLookups: Tally<'hit' | 'miss'>;
  /** Observed at collection time (queue depth, outbox lag, database connections), registered by their owners. */
  readonly queueJobs: Observable;
  readonly outboxLag: Observable;
  readonly outboxEntries: Observable;
  readonly dbConnections: Observable;

  constructor(private readonly meter: Meter) {
    this.downloads = new Tally(meter, 'registry.downloads', 'registry.download.route', { description: 'Whole modules served (200, or a redirect to storage), by the kind of URL.', unit: '{download}' });
    this.publishes = meter.createCounter('registry.publishes', { description: 'Publish requests answered, by outcome.', unit: '{publish}' });
    this.versionsSettled = meter.createCounter('registry.versions.settled', { description: 'Versions that left pending, by the status they reached.', unit: '{version}' });
    this.pipelineStepDuration = meter.createHistogram('registry.pipeline.step.duration', {
      description: 'Duration of one pipeline step, by step and outcome.',
      unit: 's',
      advice: { explicitBucketBoundaries: STEP_DURATION_BUCKETS },
    });
    this.webhookDeliveries = meter.createCounter('registry.webhook.deliveries', { description: 'Webhook delivery attempts, by outcome.', unit: '{delivery}' });
    this.analysisDuration = meter.createHistogram('registry.analysis.duration', {
      description: 'Analysis of one module in a warm thread.',
      unit: 's',
      advice: { explicitBucketBoundaries: STEP_DURATION_BUCKETS },
    });
    this.trialDuration = meter.createHistogram('registry.trial.duration', {
      description: 'Wall time of one trial in the sandbox.',
      unit: 's',
      advice: { explicitBucketBoundaries: STEP_DURATION_BUCKETS },
    });
    this.trialRequestCpu = meter.createHistogram('registry.trial.request.cpu_time', {
      description: 'Median CPU time of one synthetic request in a trial (V8 in the sandbox, not Envoy).',
      unit: 's',
      advice: { explicitBucketBoundaries: [0.000001, 0.000005, 0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05] },
    });
    this.trialModuleMemory = meter.createHistogram('registry.trial.module_memory', {
      description: "The module's linear memory after start and configuration in a trial.",
      unit: 'By',
      advice: { explicitBucketBoundaries: [1, 2, 4, 8, 16, 32, 64, 128, 256].map((mib) => mib * 1024 * 1024) },
    });
    this.storageErrors = meter.createCounter('registry.storage.errors', { description: 'Storage calls that failed.', unit: '{error}' });
    this.moduleCacheLookups = new Tally(meter, 'registry.module_cache.lookups', 'registry.cache.result', { description: 'Lookups in the in-memory module cache, hits and misses.', unit: '{lookup}' });
    this.queueJobs = meter.createObservableGauge('registry.queue.jobs', { description: 'Pipeline jobs in the queue, by state.', unit: '{job}' });
    this.outboxLag = meter.createObservableGauge('registry.outbox.lag', { description: 'Age of the oldest outbox entry not yet handed to the queue.', unit: 's' });
    this.outboxEntries = meter.createObservableGauge('registry.outbox.entries', { description: 'Outbox entries not yet handed to the queue.', unit: '{entry}' });
    // The conventions' earlier name (db.client.connections.usage): the current db.client.connection.count
    // becomes db_client_connection_count in Prometheus, a gauge with a _count suffix, which promtool refuses.
    this.dbConnections = meter.createObservableGauge('db.client.connections.usage', { description: 'Database connections, by state (idle, used).', unit: '{connection}' });
  }

  /**
   * Reads observed values when metrics are collected. The callback may query; it is given a
   * deadline by the caller's scrape, and a failure leaves the values out rather than failing it.
   */
  observe(observables: Observable[], callback: (observe: (observable: Observable, value: number, attributes?: Attributes) => void) => Promise<void> | void): () => void {
    const batch: BatchObservableCallback = async (result) => {
      try {
        await callback((observable, value, attributes) => result.observe(observable, value, attributes));
      } catch {
        // A dependency that is down shows in /health/ready; the other metrics still answer.
      }
    };
    this.meter.addBatchObservableCallback(batch, observables);
    return () => this.meter.removeBatchObservableCallback(batch, observables);
  }
}

/**
 * A counter for the download path, where a synchronous counter's attribute hashing (~0.5 µs) per
 * request shows in throughput: plain numbers per value of one attribute, reported as a monotonic
 * counter when metrics are collected.
 */
export class Tally<Value extends string> {
  private readonly counts = new Map<Value, number>();

  constructor(meter: Meter, name: string, attribute: string, options: { description: string; unit: string }) {
    meter.createObservableCounter(name, options).addCallback((result) => {
      for (const [value, count] of this.counts) result.observe(count, { [attribute]: value });
    });
  }

  add(value: Value): void {
    this.counts.set(value, (this.counts.get(value) ?? 0) + 1);
  }
}

let current: { provider: MeterProvider; instruments: RegistryInstruments } | null = null;

/** The registry's instruments on the current global meter provider (made once per provider: hot paths call this). */
export function instruments(): RegistryInstruments {
  const provider = metrics.getMeterProvider();
  if (current?.provider !== provider) current = { provider, instruments: new RegistryInstruments(provider.getMeter(SCOPE)) };
  return current.instruments;
}
