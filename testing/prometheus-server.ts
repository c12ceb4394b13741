import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

/** A target to scrape: `url` is the full metrics address, e.g. http://127.0.0.1:PORT/metrics. */
export interface PrometheusTarget {
  job: string;
  url: string;
}

export interface StartPrometheusOptions {
  targets: PrometheusTarget[];
  /** Scrape and rule evaluation interval; 1 s unless told (Prometheus' floor is 1 ms, but 1 s keeps two cores calm). */
  scrapeIntervalMs?: number;
  /** Rule files (absolute paths) to load, as `rule_files:` in prometheus.yml. */
  ruleFiles?: string[];
}

/** One series of an instant query: labels and the value at the query time (NaN and ±Inf as numbers). */
export interface PromSample {
  metric: Record<string, string>;
  value: number;
  /** Seconds since the epoch, as Prometheus gives it. */
  timestamp: number;
}

/** One series of a range query. */
export interface PromSeries {
  metric: Record<string, string>;
  values: { timestamp: number; value: number }[];
}

/** An active target as GET /api/v1/targets reports it. */
export interface PromTargetStatus {
  job: string;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  lastScrape: Date;
  labels: Record<string, string>;
}

/** A rule group as GET /api/v1/rules reports it (enough to prove a file loaded and its rules evaluate). */
export interface PromRuleGroup {
  name: string;
  file: string;
  rules: {
    type: 'alerting' | 'recording';
    name: string;
    query: string;
    health: string;
    lastError?: string;
    /** Alerting rules only: inactive, pending or firing. */
    state?: string;
    labels?: Record<string, string>;
  }[];
}

export interface PrometheusServer {
  /** Base URL, e.g. http://127.0.0.1:PORT */
  url: string;
  port: number;
  /** The server's log (deleted with it). */
  logFile: string;
  /** The generated configuration, for a failing test to print. */
  config: string;
  /** An instant query; a scalar comes back as one sample with no labels. */
  query(promql: string, at?: Date): Promise<PromSample[]>;
  /** The value of a query that must yield exactly one sample. */
  value(promql: string, at?: Date): Promise<number>;
  queryRange(promql: string, range: { start: Date; end: Date; stepMs: number }): Promise<PromSeries[]>;
  /**
   * Resolves once every target of `job` has been scraped successfully by a scrape that started at or after `after`
   * (now unless told), and that scrape's samples can be queried. Prometheus 2.42 applies new targets only every
   * 5 s, so the first scrape after start comes 5-6 s in.
   */
  waitForScrape(job: string, options?: { after?: Date; timeoutMs?: number }): Promise<void>;
  targets(): Promise<PromTargetStatus[]>;
  rules(): Promise<PromRuleGroup[]>;
  /** Stops the server and deletes its files. Safe to call twice. */
  stop(): Promise<void>;
}

const PROMETHEUS = ['/usr/bin/prometheus', '/usr/local/bin/prometheus'].find((path) => existsSync(path));
const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((path) => existsSync(path));
const MISSING = "is not installed: apt-get install prometheus (Debian's package has promtool too; .ci/run installs it)";

/**
 * Starts Debian's `prometheus` on a free port with a generated prometheus.yml and its storage
 * in a temporary directory. Prometheus does not mind running as root, so unlike PostgreSQL it
 * needs no other user.
 */
export async function startPrometheus(options: StartPrometheusOptions): Promise<PrometheusServer> {
  if (PROMETHEUS === undefined) throw new Error(`prometheus ${MISSING}`);
  const intervalMs = options.scrapeIntervalMs ?? 1000;
  const root = mkdtempSync(join(tmpdir(), 'prometheus-test-'));
  const configFile = join(root, 'prometheus.yml');
  const logFile = join(root, 'prometheus.log');
  // JSON is YAML, and needs no quoting rules of its own.
  const config = JSON.stringify(prometheusConfig(options.targets, intervalMs, options.ruleFiles ?? []), null, 2);
  writeFileSync(configFile, config);

  let child: ChildProcess | null = null;
  let stopped = false;
  const stopSync = (): void => {
    if (stopped) return;
    stopped = true;
    child?.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  };
  // A crashed test run must not leave a prometheus behind.
  process.once('exit', stopSync);

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', stopSync);
    const process_ = child;
    child = null;
    try {
      if (process_ !== null && process_.exitCode === null && process_.signalCode === null) {
        const exited = once(process_, 'exit');
        process_.kill('SIGTERM');
        const timer = setTimeout(() => process_.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };

  try {
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const log = openSync(logFile, 'a');
      const started = spawn(
        PROMETHEUS,
        [
          `--config.file=${configFile}`,
          `--storage.tsdb.path=${join(root, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--storage.tsdb.retention.time=1h',
          // Debian's defaults point at /etc/prometheus and /usr/share/prometheus, which a test does not need.
          `--web.console.templates=${root}`,
          `--web.console.libraries=${root}`,
        ],
        { stdio: ['ignore', log, log], cwd: root },
      );
      closeSync(log);
      child = started;
      try {
        await waitUntilReady(`http://127.0.0.1:${port}`, started, logFile);
        break;
      } catch (error) {
        if (started.exitCode === null && started.signalCode === null) {
          const exited = once(started, 'exit');
          started.kill('SIGKILL');
          await exited;
        }
        child = null;
        // Another process may have taken the port between probe and bind.
        if (attempt >= 3 || !/address already in use/.test(readLog(logFile))) throw error;
      }
    }

    const url = `http://127.0.0.1:${port}`;
    const api = async <T>(path: string, params: Record<string, string> = {}): Promise<T> => {
      const response = await fetch(`${url}${path}?${new URLSearchParams(params)}`);
      const body = (await response.json()) as { status: string; data: T; error?: string; errorType?: string };
      if (body.status !== 'success') throw new Error(`Prometheus ${path} ${JSON.stringify(params)}: ${body.errorType}: ${body.error}`);
      return body.data;
    };
    const query = async (promql: string, at?: Date): Promise<PromSample[]> => {
      const data = await api<{ resultType: string; result: any }>('/api/v1/query', { query: promql, ...(at ? { time: String(at.getTime() / 1000) } : {}) });
      if (data.resultType === 'scalar') return [{ metric: {}, timestamp: data.result[0], value: Number(data.result[1]) }];
      if (data.resultType !== 'vector') throw new Error(`${promql} gave a ${data.resultType}, not a vector or scalar (use queryRange for a matrix)`);
      return (data.result as { metric: Record<string, string>; value: [number, string] }[]).map((s) => ({
        metric: s.metric,
        timestamp: s.value[0],
        value: Number(s.value[1]),
      }));
    };
    const targets = async (): Promise<PromTargetStatus[]> => {
      const data = await api<{ activeTargets: any[] }>('/api/v1/targets', { state: 'active' });
      return data.activeTargets.map((t) => ({
        job: t.labels.job ?? t.scrapePool,
        scrapeUrl: t.scrapeUrl,
        health: t.health,
        lastError: t.lastError,
        lastScrape: new Date(t.lastScrape),
        labels: t.labels,
      }));
    };

    return {
      url,
      port,
      logFile,
      config,
      query,
      async value(promql, at) {
        const samples = await query(promql, at);
        if (samples.length !== 1) throw new Error(`${promql} gave ${samples.length} samples, not one: ${JSON.stringify(samples)}`);
        return samples[0]!.value;
      },
      async queryRange(promql, { start, end, stepMs }) {
        const data = await api<{ resultType: string; result: { metric: Record<string, string>; values: [number, string][] }[] }>('/api/v1/query_range', {
          query: promql,
          start: String(start.getTime() / 1000),
          end: String(end.getTime() / 1000),
          step: String(stepMs / 1000),
        });
        return data.result.map((s) => ({ metric: s.metric, values: s.values.map(([timestamp, value]) => ({ timestamp, value: Number(value) })) }));
      },
      async waitForScrape(job, { after = new Date(), timeoutMs = 15_000 } = {}) {
        const expected = options.targets.filter((t) => t.job === job).length;
        if (expected === 0) throw new Error(`no target has job ${job}`);
        const deadline = Date.now() + timeoutMs;
        // `up` is written by the scrape that it reports on, in the same commit as the scraped samples,
        // with the scrape's start as its timestamp; the targets API's lastScrape is set before that commit.
        // (timestamp() gives a sample's own time only when given a bare selector: `timestamp(up == 1)` is "now".)
        const up = `up{job=${JSON.stringify(job)}}`;
        for (;;) {
          const [times, values] = await Promise.all([query(`timestamp(${up})`), query(up)]);
          const scrapedSince = times.filter((s) => Math.round(s.value * 1000) >= after.getTime()).map((s) => s.metric.instance);
          const upNow = values.filter((s) => s.value === 1).map((s) => s.metric.instance);
          if (scrapedSince.length >= expected && scrapedSince.every((instance) => upNow.includes(instance))) return;
          if (Date.now() > deadline) {
            const status = (await targets()).filter((t) => t.job === job);
            throw new Error(`no successful scrape of job ${job} since ${after.toISOString()} within ${timeoutMs} ms: ${JSON.stringify(status)}`);
          }
          await new Promise((resolve) => setTimeout(resolve, Math.min(200, intervalMs / 4)));
        }
      },
      targets,
      async rules() {
        const data = await api<{ groups: PromRuleGroup[] }>('/api/v1/rules');
        return data.groups.map((g) => ({
          name: g.name,
          file: g.file,
          rules: g.rules.map((r) => ({
            type: r.type,
            name: r.name,
            query: r.query,
            health: r.health,
            ...(r.lastError ? { lastError: r.lastError } : {}),
            ...(r.state ? { state: r.state } : {}),
            ...(r.labels ? { labels: r.labels } : {}),
          })),
        }));
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** One scrape config per job (Prometheus wants job names unique); path, scheme and query string from the URLs. */
function prometheusConfig(targets: PrometheusTarget[], intervalMs: number, ruleFiles: string[]): object {
  const interval = `${intervalMs}ms`;
  const jobs = new Map<string, { scheme: string; metrics_path: string; params?: Record<string, string[]>; hosts: string[] }>();
  for (const target of targets) {
    const url = new URL(target.url);
    const params: Record<string, string[]> = {};
    for (const [key, value] of url.searchParams) (params[key] ??= []).push(value);
    const job = { scheme: url.protocol.replace(/:$/, ''), metrics_path: url.pathname, ...(url.search ? { params } : {}), hosts: [url.host] };
    const existing = jobs.get(target.job);
    if (existing === undefined) jobs.set(target.job, job);
    else if (existing.scheme === job.scheme && existing.metrics_path === job.metrics_path && JSON.stringify(existing.params) === JSON.stringify(job.params)) existing.hosts.push(url.host);
    else throw new Error(`job ${target.job}: every target of a job needs the same scheme, path and query (${target.url})`);
  }
  return {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    rule_files: ruleFiles,
    scrape_configs: [...jobs].map(([name, { hosts, ...job }]) => ({ job_name: name, ...job, static_configs: [{ targets: hosts }] })),
  };
}

async function waitUntilReady(url: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`prometheus exited (${child.exitCode ?? child.signalCode}):\n${readLog(logFile)}`);
    try {
      if ((await fetch(`${url}/-/ready`)).ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`prometheus was not ready at ${url} within 30 s:\n${readLog(logFile)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function readLog(logFile: string): string {
  try {
    return readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '';
  }
}

/** What promtool said: `ok` is exit code 0; `output` is stdout and stderr together, to show in a failed assertion. */
export interface PromtoolResult {
  ok: boolean;
  exitCode: number;
  output: string;
}

/**
 * `promtool check metrics` on exposition text (stdin). It exits 3 on lint problems (a counter without
 * `_total`, a metric without HELP, ...), 1 when the text does not parse, 0 when clean.
 */
export function promtoolCheckMetrics(text: string): Promise<PromtoolResult> {
  return promtool(['check', 'metrics'], text);
}

/** `promtool check rules FILE`: exit 0 and "SUCCESS: N rules found", or 1 with the parse error. */
export function promtoolCheckRules(file: string): Promise<PromtoolResult> {
  return promtool(['check', 'rules', file]);
}

/** `promtool test rules FILE`: runs a rule unit test file (input_series, alert_rule_test, promql_expr_test). */
export function promtoolTestRules(file: string): Promise<PromtoolResult> {
  return promtool(['test', 'rules', file]);
}

async function promtool(args: string[], stdin?: string): Promise<PromtoolResult> {
  if (PROMTOOL === undefined) throw new Error(`promtool ${MISSING}`);
  const child = spawn(PROMTOOL, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  // promtool may exit before reading all of stdin (a parse error on line 1).
  child.stdin.on('error', () => {});
  child.stdin.end(stdin ?? '');
  const [code, signal] = await exited;
  const exitCode = code ?? (signal ? 128 : 1);
  return { ok: exitCode === 0, exitCode, output: output.trim() };
}
