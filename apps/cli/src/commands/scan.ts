import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { checkFailed, usageError } from '../cli-error.js';
import type { ScanReport } from '../../../../libs/scans/index.js';
import type { Context } from '../context.js';

/** The scan endpoint's own limits, checked before anything is sent. */
const MAX_FILES = 20;
const MAX_TOTAL_BYTES = 1024 * 1024;

export interface ScanOptions {
  files: string[];
  failOn?: 'info' | 'warning' | 'critical';
  envoy?: string;
  istio?: string;
  sarif: boolean;
}

/**
 * Sends deployed configuration (Envoy, Istio, Higress, Envoy Gateway; YAML or
 * JSON) to the registry's scan and prints what it found about each Wasm
 * module reference. With --fail-on, exits 1 when a reference is at that level or worse.
 */
export async function scan(context: Context, options: ScanOptions): Promise<void> {
  if (options.files.length === 0) throw usageError('scan needs at least one file', 'e.g. wpr scan envoy.yaml istio/*.yaml');
  if (options.files.length > MAX_FILES) throw usageError(`a scan takes at most ${MAX_FILES} files (got ${options.files.length})`, 'split them over several scans');
  let total = 0;
  const files: { name: string; content: string }[] = [];
  for (const path of options.files) {
    const info = await stat(path).catch(() => null);
    if (!info?.isFile()) throw usageError(`${path} is not a file`);
    total += info.size;
    if (total > MAX_TOTAL_BYTES) throw usageError(`the files add up to more than ${MAX_TOTAL_BYTES} bytes, the scan's limit`, 'scan them in several runs');
    files.push({ name: files.some((f) => f.name === basename(path)) ? path : basename(path), content: await readFile(path, 'utf8') });
  }
  const client = await context.client();
  const query = new URLSearchParams();
  if (options.failOn) query.set('failOn', options.failOn);
  if (options.envoy) query.set('envoy', options.envoy);
  if (options.istio) query.set('istio', options.istio);
  if (options.sarif) query.set('format', 'sarif');
  const answer = await client.json<unknown>('POST', `/api/v1/scans?${query}`, { files }, { accept: options.sarif ? 'application/sarif+json' : 'application/json' });

  const { terminal } = context;
  let failed: boolean;
  if (options.sarif) {
    terminal.json(answer);
    failed = ((answer as { runs?: { invocations?: { exitCode?: number }[] }[] }).runs?.[0]?.invocations?.[0]?.exitCode ?? 0) !== 0;
  } else {
    const report = answer as ScanReport;
    failed = report.failed;
    if (context.flags.json) terminal.json(report);
    else printReport(context, report);
  }
  if (failed) throw checkFailed(`a module reference is at ${options.failOn} or worse`, 'see the findings; wpr info <plugin> shows newer versions');
}

function printReport(context: Context, report: ScanReport): void {
  const { terminal } = context;
  const colour = (level: string) => (level === 'critical' ? terminal.paint('red', level) : level === 'warning' ? terminal.paint('yellow', level) : level === 'ok' ? terminal.paint('green', level) : level);
  if (report.references.length > 0) {
    terminal.line(
      terminal.table(
        ['WHERE', 'HOST', 'MODULE', 'LEVEL', 'FINDINGS'],
        report.references.map((r) => [
          `${r.file}:${r.line}`,
          r.host,
          r.version ? `${r.version.namespace}/${r.version.plugin}@${r.version.version}` : (r.sha256?.slice(0, 19) ?? r.name),
          colour(r.level),
          r.findings.filter((f) => f.level !== 'ok').map((f) => `${f.code}: ${f.message}`).join('\n') || '-',
        ]),
      ),
    );
  }
  for (const problem of report.problems) terminal.warn(`${problem.file}${problem.document === null ? '' : ` (document ${problem.document})`}: ${problem.message}`);
  const s = report.summary;
  terminal.line(`${s.references} reference${s.references === 1 ? '' : 's'}: ${s.critical} critical, ${s.warning} warning, ${s.info} info, ${s.ok} ok${s.problems ? `; ${s.problems} unreadable` : ''}${report.truncated ? ' (truncated)' : ''}`);
}
