import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promtoolCheckMetrics, promtoolCheckRules, promtoolTestRules, startPrometheus, type PrometheusServer } from './prometheus-server.js';

// What the app under test would expose: a counter and a histogram, in Prometheus' text format.
let requests = 3;
const exposition = (): string =>
  [
    '# HELP app_requests_total Requests served.',
    '# TYPE app_requests_total counter',
    `app_requests_total{route="/plugins"} ${requests}`,
    '# HELP app_request_duration_seconds Time to serve a request.',
    '# TYPE app_request_duration_seconds histogram',
    'app_request_duration_seconds_bucket{le="0.1"} 5',
    'app_request_duration_seconds_bucket{le="0.5"} 8',
    'app_request_duration_seconds_bucket{le="1"} 10',
    'app_request_duration_seconds_bucket{le="+Inf"} 10',
    'app_request_duration_seconds_sum 3.2',
    'app_request_duration_seconds_count 10',
    '',
  ].join('\n');

const RULES = `groups:
  - name: app
    rules:
      - record: job:app_requests:sum
        expr: sum by (job) (app_requests_total)
      - alert: AppServesRequests
        expr: job:app_requests:sum > 0
        labels:
          severity: info
        annotations:
          summary: the app served {{ $value }} requests
`;

let dir: string;
let app: Server;
let metricsUrl: string;
let prometheus: PrometheusServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'prometheus-server-test-'));
  writeFileSync(join(dir, 'rules.yml'), RULES);
  app = createServer((request, response) => {
    if (request.url !== '/metrics') return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(exposition());
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  metricsUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}/metrics`;
  // A second job whose target answers 404: its scrapes fail.
  prometheus = await startPrometheus({
    targets: [
      { job: 'app', url: metricsUrl },
      { job: 'gone', url: metricsUrl.replace('/metrics', '/nowhere') },
    ],
    ruleFiles: [join(dir, 'rules.yml')],
  });
});

afterAll(async () => {
  await prometheus?.stop();
  await new Promise((resolve) => app?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('startPrometheus', () => {
  it('scrapes the target; the counter and a histogram quantile can be queried', async () => {
    await prometheus.waitForScrape('app');
    const targets = await prometheus.targets();
    expect(targets.find((t) => t.job === 'app')).toMatchObject({ job: 'app', scrapeUrl: metricsUrl, health: 'up', lastError: '' });

    const samples = await prometheus.query('app_requests_total');
    expect(samples).toEqual([{ metric: { __name__: 'app_requests_total', job: 'app', instance: new URL(metricsUrl).host, route: '/plugins' }, value: 3, timestamp: expect.any(Number) }]);
    // Rank 9 of 10 falls in (0.5, 1], which holds ranks 9 and 10: halfway, 0.75.
    expect(await prometheus.value('histogram_quantile(0.9, sum by (le) (app_request_duration_seconds_bucket))')).toBeCloseTo(0.75, 10);
    expect(await prometheus.value('app_request_duration_seconds_sum / app_request_duration_seconds_count')).toBeCloseTo(0.32, 10);
    expect(await prometheus.value('scalar(app_requests_total) * 2')).toBe(6);
  });

  it('sees the counter move once the next scrape is in', async () => {
    await prometheus.waitForScrape('app');
    const before = await prometheus.value('app_requests_total');
    const changed = new Date();
    requests += 7;
    await prometheus.waitForScrape('app', { after: changed });
    const after = await prometheus.value('app_requests_total');
    expect(after - before).toBe(7);

    // Steps run from start, so the last may fall before the scrape that just came in: end a second ahead.
    const [series] = await prometheus.queryRange('app_requests_total', { start: new Date(changed.getTime() - 5000), end: new Date(Date.now() + 1000), stepMs: 250 });
    const values = new Set(series!.values.map((v) => v.value));
    expect(values).toContain(before);
    expect(values).toContain(after);
  });

  it('loads the rule file and evaluates its rules', async () => {
    const groups = await prometheus.rules();
    expect(groups).toMatchObject([{ name: 'app', file: join(dir, 'rules.yml'), rules: [{ type: 'recording', name: 'job:app_requests:sum' }, { type: 'alerting', name: 'AppServesRequests' }] }]);
    const deadline = Date.now() + 15_000;
    // Evaluated every second from what was scraped by then: wait for it to catch up with the counter.
    while ((await prometheus.query('job:app_requests:sum'))[0]?.value !== requests && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await prometheus.value('job:app_requests:sum')).toBe(requests);
    while ((await prometheus.query('ALERTS{alertname="AppServesRequests"}')).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await prometheus.query('ALERTS{alertname="AppServesRequests"}')).toMatchObject([{ metric: { alertstate: 'firing', severity: 'info', job: 'app' }, value: 1 }]);
  });

  it('waitForScrape names the failing target when scrapes fail', async () => {
    await prometheus.waitForScrape('app');
    await expect(prometheus.waitForScrape('gone', { timeoutMs: 1500 })).rejects.toThrow(/no successful scrape of job gone.*"health":"down".*404/);
  });

  it('stops, deletes its files, and can be stopped twice', async () => {
    const other = await startPrometheus({ targets: [{ job: 'app', url: metricsUrl }] });
    expect(existsSync(other.logFile)).toBe(true);
    expect((await fetch(`${other.url}/-/healthy`)).ok).toBe(true);
    await other.stop();
    await other.stop();
    expect(existsSync(other.logFile)).toBe(false);
    await expect(fetch(`${other.url}/-/healthy`)).rejects.toThrow();
  });
});

describe('promtool', () => {
  it('check metrics passes the served text, exits 3 on lint problems and 1 on text that does not parse', async () => {
    const served = await (await fetch(metricsUrl)).text();
    expect(await promtoolCheckMetrics(served)).toEqual({ ok: true, exitCode: 0, output: '' });

    const noTotal = await promtoolCheckMetrics('# HELP app_requests Requests.\n# TYPE app_requests counter\napp_requests 1\n');
    expect(noTotal).toMatchObject({ ok: false, exitCode: 3 });
    expect(noTotal.output).toContain('app_requests counter metrics should have "_total" suffix');

    const noHelp = await promtoolCheckMetrics('# TYPE app_requests_total counter\napp_requests_total 1\n');
    expect(noHelp).toMatchObject({ ok: false, exitCode: 3, output: 'app_requests_total no help text' });

    const garbage = await promtoolCheckMetrics('app_requests_total{route="/a" 1\n');
    expect(garbage).toMatchObject({ ok: false, exitCode: 1 });
    expect(garbage.output).toMatch(/error while linting: text format parsing error in line 1/);
  });

  it('check rules accepts a good file and rejects a broken expression', async () => {
    const good = await promtoolCheckRules(join(dir, 'rules.yml'));
    expect(good.ok, good.output).toBe(true);
    expect(good.output).toContain('SUCCESS: 2 rules found');

    writeFileSync(join(dir, 'broken.yml'), 'groups:\n  - name: app\n    rules:\n      - alert: Broken\n        expr: rate(app_requests_total[1m] > 0\n');
    const broken = await promtoolCheckRules(join(dir, 'broken.yml'));
    expect(broken).toMatchObject({ ok: false, exitCode: 1 });
    expect(broken.output).toMatch(/"Broken": could not parse expression: .*unclosed left parenthesis/);
  });

  it('test rules runs a unit test of the alert, and fails it on a wrong expectation', async () => {
    const test = (severity: string) => `rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'app_requests_total{job="app",route="/plugins"}'
        values: '0 0 5 10'
    alert_rule_test:
      - eval_time: 1m
        alertname: AppServesRequests
        exp_alerts: []
      - eval_time: 3m
        alertname: AppServesRequests
        exp_alerts:
          - exp_labels: { severity: ${severity}, job: app }
            exp_annotations: { summary: the app served 10 requests }
`;
    writeFileSync(join(dir, 'rules.test.yml'), test('info'));
    const passed = await promtoolTestRules(join(dir, 'rules.test.yml'));
    expect(passed.ok, passed.output).toBe(true);

    writeFileSync(join(dir, 'rules.test.yml'), test('page'));
    const failed = await promtoolTestRules(join(dir, 'rules.test.yml'));
    expect(failed).toMatchObject({ ok: false, exitCode: 1 });
    expect(failed.output).toContain('alertname: AppServesRequests, time: 3m');
  });
});
