import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type DecodedSpan, type OtlpReceiver } from '../testing/otlp-receiver.js';
import { startPostgres } from '../testing/postgres-server.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promtoolCheckMetrics, promtoolCheckRules, promtoolTestRules, startPrometheus, type PrometheusServer } from '../testing/prometheus-server.js';
import { startRedis } from '../testing/redis-server.js';
import { logLines, startRegistry, startWorker, type RunningRegistry, type RunningWorker } from '../testing/registry-process.js';
import { registryS3Env, startTestS3Server } from '../testing/s3-server.js';
import { proxyWasmFilter } from '../testing/wasm-fixtures.js';
import { api, settledVersion } from './support.js';

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const OBSERVABILITY = join(import.meta.dirname, '..', 'observability');

/**
 * The registry as its operators watch it, in the production configuration (PostgreSQL, Redis, S3,
 * an API and a worker): Debian's Prometheus scrapes both, and an OTLP receiver gets their traces.
 */
interface ObservedRegistry {
  otlp: OtlpReceiver;
  registry: RunningRegistry;
  worker: RunningWorker;
  /** Stops the processes, then their dependencies and the receiver. */
  stop(): Promise<void>;
}

/**
 * The production configuration (PostgreSQL, Redis, S3, an API and a worker), both processes exporting to a new
 * OTLP receiver over `transport`, spans batched for 200 ms and metrics pushed every second.
 */
async function startObservedRegistry(transport: 'http/protobuf' | 'grpc', env: Record<string, string> = {}): Promise<ObservedRegistry> {
  const [postgres, redis, s3, otlp] = await Promise.all([startPostgres(), startRedis(), startTestS3Server({ bucket: 'wasm-modules' }), startOtlpReceiver({ grpc: transport === 'grpc' })]);
  const processes: (RunningRegistry | RunningWorker)[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(processes.map((p) => p.stop()));
    await Promise.all([postgres.stop(), redis.stop(), s3.stop(), otlp.stop()]);
  };
  try {
    const shared = {
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      ...registryS3Env(s3),
      OTEL_EXPORTER_OTLP_ENDPOINT: transport === 'grpc' ? otlp.grpcUrl! : otlp.url,
      // OTLP/HTTP by default, as an operator who sets only the endpoint gets it.
      ...(transport === 'grpc' ? { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } : {}),
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_METRIC_EXPORT_INTERVAL: '1000',
      ...env,
    };
    const [registry, worker] = await Promise.all([startRegistry(shared).then((r) => (processes.push(r), r)), startWorker(shared).then((w) => (processes.push(w), w))]);
    return { otlp, registry, worker, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

describe('observability: Prometheus metrics and OpenTelemetry traces across the API and the worker', () => {
  let observed: ObservedRegistry;
  let otlp: OtlpReceiver;
  let registry: RunningRegistry;
  let worker: RunningWorker;
  let prometheus: PrometheusServer;

  beforeAll(async () => {
    observed = await startObservedRegistry('http/protobuf', { DOWNLOAD_FLUSH_INTERVAL_MS: '200' });
    ({ otlp, registry, worker } = observed);
    prometheus = await startPrometheus({
      ruleFiles: [join(OBSERVABILITY, 'alerts.yml')],
      targets: [
        { job: 'registry-api', url: `${registry.url}/metrics` },
        { job: 'registry-worker', url: `${worker.observabilityUrl}/metrics` },
      ],
    });
    await Promise.all([prometheus.waitForScrape('registry-api'), prometheus.waitForScrape('registry-worker')]);
  }, 120_000);

  afterAll(async () => {
    await prometheus?.stop();
    await observed?.stop();
  });

  /** The value of a PromQL expression, 0 when it selects nothing (a series not yet created). */
  const value = async (promql: string): Promise<number> => {
    const samples = await prometheus.query(promql);
    return samples.reduce((sum, sample) => sum + sample.value, 0);
  };
  const scrapedAfter = async (since: Date) =>
    Promise.all([prometheus.waitForScrape('registry-api', { after: since }), prometheus.waitForScrape('registry-worker', { after: since })]);

  it('counts publishes, pipeline steps, settled versions, downloads and requests by route, by the right amounts', async () => {
    const queries = {
      created: 'sum(registry_publishes_total{registry_publish_outcome="created", registry_publish_via="http"})',
      refused: 'sum(registry_publishes_total{registry_publish_outcome="refused"})',
      ready: 'sum(registry_versions_settled_total{registry_version_status="ready"})',
      analysis: 'sum(registry_pipeline_step_duration_count{registry_pipeline_step="analysis", registry_pipeline_outcome="done", job="registry-worker"})',
      byDigest: 'sum(registry_downloads_total{registry_download_route="digest"})',
      byVersion: 'sum(registry_downloads_total{registry_download_route="version"})',
      blobRequests: 'sum(http_server_request_duration_count{http_route="/api/v1/blobs/:digest", http_request_method="GET", http_response_status_code="200"})',
      notFound: 'sum(http_server_request_duration_count{http_route="/api/v1/blobs/:digest", http_response_status_code="404"})',
      cacheLookups: 'sum(registry_module_cache_lookups_total)',
    };
    const read = async () => Object.fromEntries(await Promise.all(Object.entries(queries).map(async ([k, q]) => [k, await value(q)] as const))) as Record<keyof typeof queries, number>;
    const before = await read();

    const modules = await Promise.all([proxyWasmFilter('observed-1'), proxyWasmFilter('observed-2')]);
    for (const [i, module] of modules.entries()) {
      expect((await api(registry.url, 'PUT', `/api/v1/plugins/acme/observed/versions/1.0.${i}`, { body: module, token: registry.adminToken })).status).toBe(202);
    }
    // Refused: not a module.
    expect((await api(registry.url, 'PUT', '/api/v1/plugins/acme/observed/versions/9.0.0', { body: Buffer.from('not wasm'), token: registry.adminToken })).status).toBe(400);
    for (let i = 0; i < 2; i++) expect((await settledVersion(registry.url, 'acme', 'observed', `1.0.${i}`)).status).toBe('ready');
    for (let i = 0; i < 5; i++) expect((await api(registry.url, 'GET', `/api/v1/blobs/${sha256(modules[0]!)}`)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await api(registry.url, 'GET', '/api/v1/plugins/acme/observed/versions/1.0.1/module.wasm')).status).toBe(200);
    expect((await api(registry.url, 'GET', `/api/v1/blobs/sha256:${'0'.repeat(64)}`)).status).toBe(404);

    await scrapedAfter(new Date());
    const after = await read();
    const moved = Object.fromEntries(Object.keys(queries).map((k) => [k, after[k as keyof typeof queries] - before[k as keyof typeof queries]]));
    expect(moved).toMatchObject({ created: 2, refused: 1, ready: 2, analysis: 2, byDigest: 5, byVersion: 3, blobRequests: 5, notFound: 1 });
    expect(moved.cacheLookups).toBeGreaterThanOrEqual(8);
    // Histograms carry the HTTP conventions' buckets, and a quantile can be computed from them.
    expect(await prometheus.query('http_server_request_duration_bucket{http_route="/api/v1/blobs/:digest", le="0.005", job="registry-api"}')).not.toHaveLength(0);
    expect(await value('histogram_quantile(0.5, sum by (le) (http_server_request_duration_bucket{http_route="/api/v1/blobs/:digest"}))')).toBeGreaterThan(0);
  });

  it('bounds label values: routes are templates, never paths, digests or plugin names', async () => {
    const routes = (await prometheus.query('count by (http_route) (http_server_request_duration_count)')).map((s) => s.metric.http_route ?? '');
    expect(routes).toContain('/api/v1/plugins/:namespace/:name/versions/:version');
    for (const route of routes) expect(route).not.toMatch(/sha256:|observed|acme/);
    const labels = JSON.stringify(await prometheus.query('{__name__=~"registry_.*|http_.*"}'));
    expect(labels).not.toMatch(/observed|sha256:[0-9a-f]/);
  });

  it('reports the queue and the outbox, and both processes pass promtool check metrics', async () => {
    expect(await prometheus.query('registry_queue_jobs{registry_queue_state="waiting", job="registry-worker"}')).toHaveLength(1);
    // Every publish was handed over: nothing waits in the outbox.
    expect(await value('max(registry_outbox_entries)')).toBe(0);
    expect(await value('max(registry_outbox_lag)')).toBe(0);
    expect(await value('sum(db_client_connections_usage{job="registry-api"})')).toBeGreaterThan(0);
    for (const url of [`${registry.url}/metrics`, `${worker.observabilityUrl}/metrics`]) {
      const response = await fetch(url);
      expect(response.headers.get('content-type')).toContain('text/plain');
      const checked = await promtoolCheckMetrics(await response.text());
      expect(checked.output, url).toBe('');
      expect(checked.ok).toBe(true);
    }
  });

  it('answers readiness per dependency on the API and on the worker', async () => {
    const ready = await api(registry.url, 'GET', '/health/ready');
    expect(ready.json.checks).toEqual({ database: { status: 'ok', kind: 'postgres' }, storage: { status: 'ok', kind: 's3' }, queue: { status: 'ok', kind: 'redis' } });
    const workerReady = await api(worker.observabilityUrl, 'GET', '/health/ready');
    expect(workerReady.status).toBe(200);
    expect(workerReady.json.checks.queue).toEqual({ status: 'ok', kind: 'redis' });
    expect((await api(worker.observabilityUrl, 'GET', '/health/live')).json).toEqual({ status: 'ok' });
  });

  it('exports one trace from the PUT to ready, across the API and the worker, over OTLP', async () => {
    const module = await proxyWasmFilter('traced');
    const traceId = createHash('sha256').update('traced').digest('hex').slice(0, 32);
    const published = await api(registry.url, 'PUT', '/api/v1/plugins/acme/traced/versions/1.0.0', {
      body: module,
      token: registry.adminToken,
      // The client's own trace: the registry's spans join it.
      headers: { traceparent: `00-${traceId}-${'1'.repeat(16)}-01`, 'x-request-id': 'publish-traced-1' },
    });
    expect(published.status).toBe(202);
    expect(published.headers.get('x-request-id')).toBe('publish-traced-1');
    expect((await settledVersion(registry.url, 'acme', 'traced', '1.0.0')).status).toBe('ready');

    const inTrace = (spans: DecodedSpan[]) => spans.filter((s) => s.traceId === traceId);
    const spans = inTrace(
      // The job's span ends last, after its steps: wait for it.
      await otlp.waitForSpans((all) => inTrace(all).some((s) => s.name === 'pipeline.process' && s.resource['service.name'] === 'wasm-registry-worker'), 20_000),
    );
    const server = spans.find((s) => s.name === 'PUT /api/v1/plugins/:namespace/:name/versions/:version');
    expect(server).toBeDefined();
    expect(server!).toMatchObject({ kind: 'SERVER', parentSpanId: '1'.repeat(16), resource: { 'service.name': 'wasm-registry-api' } });
    expect(server!.attributes).toMatchObject({
      'http.request.method': 'PUT',
      'http.route': '/api/v1/plugins/:namespace/:name/versions/:version',
      'http.response.status_code': 202,
      'url.scheme': 'http',
    });
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const ancestors = (span: DecodedSpan): DecodedSpan[] => {
      const parent = span.parentSpanId === null ? undefined : byId.get(span.parentSpanId);
      return parent === undefined ? [] : [parent, ...ancestors(parent)];
    };
    // The worker's job span descends from the API's request span: the context rode the outbox and Redis.
    const processed = spans.find((s) => s.name === 'pipeline.process');
    expect(processed).toMatchObject({ kind: 'CONSUMER', resource: { 'service.name': 'wasm-registry-worker' } });
    expect(ancestors(processed!).map((s) => s.spanId)).toContain(server!.spanId);
    for (const step of ['pipeline.analysis', 'pipeline.trial', 'pipeline.sbom', 'pipeline.signature']) {
      const span = spans.find((s) => s.name === step);
      expect(span, step).toBeDefined();
      expect(ancestors(span!)[0]?.spanId, step).toBe(processed!.spanId);
    }
    // Storage (S3 through the AWS SDK) and database spans, in both processes.
    const services = (predicate: (s: DecodedSpan) => boolean) => new Set(spans.filter(predicate).map((s) => s.resource['service.name']));
    expect(services((s) => s.name.startsWith('storage.'))).toEqual(new Set(['wasm-registry-api', 'wasm-registry-worker']));
    expect(services((s) => s.name.startsWith('prisma:'))).toEqual(new Set(['wasm-registry-api', 'wasm-registry-worker']));
    expect(spans.find((s) => s.name === 'storage.move')?.attributes).toMatchObject({ 'registry.storage.kind': 's3' });
    // Handed to Redis between the two: a producer span in the same trace.
    expect(spans.find((s) => s.name === 'pipeline.enqueue')).toMatchObject({ kind: 'PRODUCER', attributes: { 'registry.queue.kind': 'redis' } });
  });

  it('pushes the same metrics over OTLP when an endpoint is set', async () => {
    const pushed = async () => new Set(otlp.metrics().map((m) => `${m.name} ${m.resource?.['service.name'] ?? ''}`));
    const deadline = Date.now() + 10_000;
    while (!(await pushed()).has('registry.versions.settled wasm-registry-worker') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const names = await pushed();
    expect(names).toContain('http.server.request.duration wasm-registry-api');
    expect(names).toContain('registry.downloads wasm-registry-api');
    expect(names).toContain('registry.versions.settled wasm-registry-worker');
  });

  it('writes JSON log lines that carry the trace of the request they belong to, and no secrets', () => {
    const lines = logLines(registry.output());
    expect(lines.length).toBeGreaterThan(5);
    const published = lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('published acme/traced@1.0.0'));
    expect(published).toMatchObject({ level: 'info', service: 'wasm-registry-api', trace_id: createHash('sha256').update('traced').digest('hex').slice(0, 32) });
    expect(published!.span_id).toMatch(/^[0-9a-f]{16}$/);
    expect(registry.output()).not.toContain(registry.adminToken);
  });

  it('the alert rules load in Prometheus, pass promtool, and fire and stay quiet as their unit tests say', async () => {
    const rules = join(OBSERVABILITY, 'alerts.yml');
    expect((await promtoolCheckRules(rules)).output).toContain('SUCCESS: 5 rules found');
    const tested = await promtoolTestRules(join(OBSERVABILITY, 'alerts.test.yml'));
    expect(tested.output).toContain('SUCCESS');
    expect(tested.ok).toBe(true);
    const loaded = (await prometheus.rules()).flatMap((group) => group.rules);
    expect(loaded.map((rule) => rule.name).sort()).toEqual(['RegistryDown', 'RegistryHighErrorRate', 'RegistryOutboxLag', 'RegistryPipelineStuck', 'RegistryStorageErrors']);
    // A healthy registry fires nothing.
    expect(loaded.filter((rule) => rule.health !== 'ok')).toEqual([]);
    expect(await prometheus.query('ALERTS{alertstate="firing"}')).toEqual([]);
  });

  it("runs every query of the Grafana dashboard against Prometheus, and the registry's panels show data", async () => {
    const dashboard = JSON.parse(readFileSync(join(OBSERVABILITY, 'grafana-dashboard.json'), 'utf8')) as {
      panels: { type: string; title: string; targets?: { expr: string }[] }[];
    };
    const panels = dashboard.panels.filter((panel) => panel.type !== 'row');
    expect(panels.length).toBeGreaterThan(10);
    const empty: string[] = [];
    for (const panel of panels) {
      for (const { expr } of panel.targets ?? []) {
        // Grafana's own variables, as Grafana would fill them in for a 5-minute view.
        const query = expr.replaceAll('$__rate_interval', '5m').replaceAll('$__range', '5m');
        const samples = await prometheus.query(query);
        if (samples.length === 0) empty.push(panel.title);
      }
    }
    // Only the panels that this test's healthy traffic cannot fill (no 5xx, failed step, storage error or webhook) are empty.
    expect(empty.sort()).toEqual(
      ['Errors by route (5xx per second)', 'Pipeline step failures per second', 'Storage errors per second', 'Webhook deliveries per second'].sort(),
    );
  });
});

describe('observability over OTLP/gRPC (OTEL_EXPORTER_OTLP_PROTOCOL=grpc)', () => {
  let observed: ObservedRegistry;
  let otlp: OtlpReceiver;
  let registry: RunningRegistry;

  beforeAll(async () => {
    observed = await startObservedRegistry('grpc');
    ({ otlp, registry } = observed);
  }, 120_000);

  afterAll(async () => {
    await observed?.stop();
  });

  it('exports the trace of a publish from both processes, and the metrics, over gRPC only', async () => {
    const traceId = createHash('sha256').update('traced-over-grpc').digest('hex').slice(0, 32);
    const published = await api(registry.url, 'PUT', '/api/v1/plugins/acme/grpc-traced/versions/1.0.0', {
      body: await proxyWasmFilter('grpc-traced'),
      token: registry.adminToken,
      headers: { traceparent: `00-${traceId}-${'2'.repeat(16)}-01` },
    });
    expect(published.status).toBe(202);
    expect((await settledVersion(registry.url, 'acme', 'grpc-traced', '1.0.0')).status).toBe('ready');

    const inTrace = (spans: DecodedSpan[]) => spans.filter((s) => s.traceId === traceId);
    const spans = inTrace(await otlp.waitForSpans((all) => inTrace(all).some((s) => s.name === 'pipeline.process'), 20_000));
    const server = spans.find((s) => s.name === 'PUT /api/v1/plugins/:namespace/:name/versions/:version');
    expect(server).toMatchObject({ kind: 'SERVER', parentSpanId: '2'.repeat(16), resource: { 'service.name': 'wasm-registry-api' } });
    expect(spans.find((s) => s.name === 'pipeline.process')).toMatchObject({ kind: 'CONSUMER', resource: { 'service.name': 'wasm-registry-worker' } });

    const deadline = Date.now() + 10_000;
    const pushed = () => new Set(otlp.metrics().map((m) => `${m.name} ${m.resource['service.name']}`));
    while (!pushed().has('registry.versions.settled wasm-registry-worker') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(pushed()).toContain('http.server.request.duration wasm-registry-api');
    expect(pushed()).toContain('registry.versions.settled wasm-registry-worker');
    // Everything came over gRPC; nothing decoded badly.
    expect(otlp.requestsBy().http).toBe(0);
    expect(otlp.requestsBy().grpc).toBeGreaterThan(1);
    expect(otlp.rejected()).toEqual([]);
  });

  it('refuses to start with a protocol it cannot export with, naming the variable', async () => {
    await expect(startRegistry({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).rejects.toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL="http\/json" must be one of: http\/protobuf, grpc/);
  });
});
