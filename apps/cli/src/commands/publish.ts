import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { CliError, checkFailed, usageError } from '../cli-error.js';
import type { Context } from '../context.js';
import { EXIT } from '../exit-codes.js';
import type { DryRunReport } from '../local-checks.js';
import { publishForm, readPluginFiles, type PluginFiles } from '../plugin-directory.js';
import { versionPath } from '../references.js';
import { pushModuleBlob } from '../resumable-upload.js';
import type { RegistryClient } from '../registry-client.js';
import { formatBytes, type Terminal } from '../terminal.js';
import type { FindingView, VersionView } from '../views.js';

export interface PublishOptions {
  path: string;
  name?: string;
  version?: string;
  dryRun: boolean;
  wait: boolean;
  waitSeconds: number;
  /** Modules larger than this go first as a chunked, resumable OCI blob upload (MiB). */
  chunkSize: number;
}

interface AnalysisView {
  rejections: FindingView[];
  warnings: FindingView[];
}

export async function publish(context: Context, options: PublishOptions): Promise<void> {
  const files = await readPluginFiles(options.path, { name: options.name, version: options.version });
  // The dry run loads the registry's own checkers (Ajv, the analysis, CycloneDX): only when asked for.
  if (options.dryRun) return printDryRun(context, files, await (await import('../local-checks.js')).dryRun(files));

  const client = await context.client({ requireToken: true });
  const path = versionPath(files, files.version);
  const { terminal } = context;
  if (!(options.chunkSize >= 0.0625 && options.chunkSize <= 1024)) throw usageError(`--chunk-size ${options.chunkSize} is out of range`, 'give MiB from 0.0625 (64 KiB) to 1024');
  const chunkBytes = Math.floor(options.chunkSize * 1024 * 1024);
  const moduleDigest =
    files.module.size > chunkBytes
      ? await pushModuleBlob(client, terminal, files, files.module, { chunkBytes, retries: context.flags.retries, stateDirectory: join(context.store.directory, 'uploads') })
      : null;
  // Identical bytes answer 200 with the version already there, so a publish whose answer was lost is safe to send again.
  const sent = await client.withRetries(() => upload(client, terminal, path, files, moduleDigest));
  let version = sent.version;
  if (!context.flags.json) {
    terminal.line(sent.created ? `Published ${files.namespace}/${files.name}@${files.version} (${formatBytes(files.module.size)}).` : `${files.namespace}/${files.name}@${files.version} was already published with these bytes.`);
  }
  if (options.wait && version.status === 'pending') version = await waitForPipeline(context, client, path, options.waitSeconds);
  const analysis = version.status === 'rejected' || (version.analysis?.warnings.length ?? 0) > 0 ? await client.json<AnalysisView>('GET', `${path}/analysis`).catch(() => null) : null;

  if (context.flags.json) terminal.json({ created: sent.created, version, analysis });
  else printOutcome(terminal, version, analysis);
  if (version.status === 'rejected') throw new CliError(`${version.namespace}/${version.plugin}@${version.version} was rejected`, EXIT.failed, 'fix the findings above and publish a new version');
  if (version.status === 'failed') throw new CliError(`the pipeline failed for ${version.namespace}/${version.plugin}@${version.version}: ${version.statusReason ?? 'no reason given'}`, EXIT.failed, 'an admin can retry it: POST …/retry');
}

async function upload(client: RegistryClient, terminal: Terminal, path: string, files: PluginFiles, moduleDigest: string | null): Promise<{ created: boolean; version: VersionView }> {
  const { form, contentLength } = await publishForm(files, moduleDigest);
  // Response encodes the form as multipart (boundary and all) into a stream, which is counted as it leaves.
  const encoded = new Response(form);
  const progress = moduleDigest === null ? terminal.progress('Uploading', contentLength) : { update() {}, stop() {} };
  let done = 0;
  const counted = encoded.body!.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        done += chunk.byteLength;
        progress.update(done);
        controller.enqueue(chunk);
      },
    }),
  );
  try {
    const response = await client.send('PUT', path, {
      body: counted,
      contentType: encoded.headers.get('content-type')!,
      headers: { 'content-length': String(contentLength) },
      accept: 'application/json',
    });
    return { created: response.status === 202 || response.status === 201, version: (await response.json()) as VersionView };
  } finally {
    progress.stop();
  }
}

/** Long-polls the version (?wait=) with a spinner that names the running step, up to `limitSeconds`. */
async function waitForPipeline(context: Context, client: RegistryClient, path: string, limitSeconds: number): Promise<VersionView> {
  const spinner = context.flags.json ? null : context.terminal.spinner('Waiting for the pipeline');
  const deadline = Date.now() + limitSeconds * 1000;
  try {
    for (;;) {
      const left = Math.ceil((deadline - Date.now()) / 1000);
      const version = await client.json<VersionView>('GET', `${path}?wait=${Math.max(1, Math.min(20, left))}`);
      if (version.status !== 'pending') {
        spinner?.stopAndPersist({ symbol: version.status === 'ready' ? '✔' : '✖', text: `Pipeline finished: ${version.status}` });
        return version;
      }
      const running = version.pipeline.filter((s) => s.state !== 'done' && s.state !== 'skipped').map((s) => s.step);
      if (spinner) spinner.text = `Waiting for the pipeline${running.length > 0 ? `: ${running.join(', ')}` : ''}`;
      if (Date.now() >= deadline) {
        spinner?.stop();
        throw checkFailed(`the version is still pending after ${limitSeconds} s`, `see where it is with: wpr info ${version.namespace}/${version.plugin}@${version.version}`);
      }
      await sleep(200);
    }
  } catch (error) {
    spinner?.stop();
    throw error;
  }
}

function printOutcome(terminal: Terminal, version: VersionView, analysis: AnalysisView | null): void {
  const ref = `${version.namespace}/${version.plugin}@${version.version}`;
  const status = version.status === 'ready' ? terminal.paint('green', 'ready') : version.status === 'pending' ? terminal.paint('yellow', 'pending') : terminal.paint('red', version.status);
  terminal.line(`${ref}: ${status}`);
  const rejections = analysis?.rejections ?? version.analysis?.rejections ?? [];
  const warnings = analysis?.warnings ?? version.analysis?.warnings ?? [];
  for (const finding of rejections) terminal.line(`  ${terminal.paint('red', '✖')} ${finding.code}: ${finding.message}`);
  for (const finding of warnings) terminal.line(`  ${terminal.paint('yellow', '!')} ${finding.code}: ${finding.message}`);
  if (version.analysis) terminal.line(`  ABI:       ${version.analysis.abiVersion ?? 'none'} (${version.analysis.kind}${version.analysis.filterTypes.length ? `, ${version.analysis.filterTypes.join('/')} filter` : ''})`);
  if (version.trial) terminal.line(`  Trial:     ${trialSummary(version.trial)}`);
  terminal.line(`  sha256:    ${version.digest}`);
  if (version.pinned) {
    terminal.line(`  Pinned:    ${version.pinned.url}`);
    if (version.pinned.oci) terminal.line(`  OCI:       ${version.pinned.oci.pinnedReference}`);
  }
}

export function trialSummary(trial: NonNullable<VersionView['trial']>): string {
  if (!trial.started) return `did not start (${trial.findings.join(', ') || 'no reason given'})`;
  const timing = trial.medianMicros === null ? '' : `, median ${trial.medianMicros} µs, p95 ${trial.p95Micros} µs per request`;
  const findings = trial.findings.length > 0 ? `; findings: ${trial.findings.join(', ')}` : '';
  return `started; accepted ${trial.configurationsAccepted} of ${trial.configurationsTried} configurations${timing}${findings}`;
}

function printDryRun(context: Context, files: PluginFiles, report: DryRunReport): void {
  const { terminal } = context;
  const failed = report.problems.length > 0 || report.rejections.length > 0;
  const sent = [files.module.filename, files.manifest?.filename, files.readme?.filename, files.schema?.filename, ...files.dependencies.map((d) => d.filename)].filter(Boolean) as string[];
  if (context.flags.json) {
    terminal.json({ plugin: `${files.namespace}/${files.name}`, version: files.version, files: sent, ok: !failed, ...report });
  } else {
    terminal.line(`Dry run of ${files.namespace}/${files.name}@${files.version}: would send ${sent.join(', ')}`);
    for (const problem of report.problems) terminal.line(`  ${terminal.paint('red', '✖')} ${problem.field}: ${problem.message}`);
    for (const finding of report.rejections) terminal.line(`  ${terminal.paint('red', '✖')} ${finding.code}: ${finding.message}`);
    for (const finding of report.warnings) terminal.line(`  ${terminal.paint('yellow', '!')} ${finding.code}: ${finding.message}`);
    if (report.kind) terminal.line(`  ${report.kind}, Proxy-Wasm ABI ${report.abiVersion ?? 'none'}; checked with the registry's default analysis policy`);
    terminal.line(failed ? terminal.paint('red', 'Would be refused or rejected.') : terminal.paint('green', 'Everything checked passed; nothing was uploaded.'));
  }
  if (failed) throw new CliError('the dry run found problems', EXIT.failed);
}
