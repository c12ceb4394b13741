import { readFile, stat } from 'node:fs/promises';
import { checkFailed, usageError } from '../cli-error.js';
import type { Context } from '../context.js';
import { printChecks, trustFor, type TrustFlags } from './pull.js';

export interface VerifyOptions extends TrustFlags {
  module: string;
  bundle: string;
}

/**
 * Verifies a module on disk against a Sigstore bundle. With --key, or a
 * keyless identity and --trusted-root, nothing touches the network
 * (air-gapped); with neither, the registry's published keys are fetched.
 */
export async function verify(context: Context, options: VerifyOptions): Promise<void> {
  const moduleInfo = await stat(options.module).catch(() => null);
  if (!moduleInfo?.isFile()) throw usageError(`the module ${options.module} does not exist`);
  const bundleInfo = await stat(options.bundle).catch(() => null);
  if (!bundleInfo?.isFile()) throw usageError(`the bundle ${options.bundle} does not exist`, 'download it from …/versions/<v>/signature, or pass the .sigstore.json file');
  if (bundleInfo.size > 1024 * 1024) throw checkFailed(`the bundle ${options.bundle} is ${bundleInfo.size} bytes; a Sigstore bundle is a few kilobytes (at most 1 MiB is read)`);
  const offline = options.key !== undefined || options.certificateIdentity !== undefined || options.certificateOidcIssuer !== undefined;
  const client = offline ? null : await context.client();
  const trust = await trustFor(client, options);
  const { verifyModuleFile } = await import('../verification.js');
  const report = await verifyModuleFile(options.module, await readFile(options.bundle, 'utf8'), trust);
  const { terminal } = context;
  if (context.flags.json) terminal.json({ module: options.module, ...report });
  else {
    terminal.line(`${options.module} (sha256:${report.sha256}):`);
    printChecks(terminal, report.checks);
    terminal.line(report.verified ? terminal.paint('green', 'Verified OK') : terminal.paint('red', 'Verification FAILED'));
  }
  if (!report.verified) {
    const failed = report.checks.find((c) => !c.passed);
    throw checkFailed(`the bundle does not verify the module${failed ? `: ${failed.name}: ${failed.detail}` : ''}`);
  }
}
