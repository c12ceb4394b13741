import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checkFailed, usageError } from '../cli-error.js';
import type { Context } from '../context.js';
import { parseReference, versionPath } from '../references.js';
import type { RegistryClient } from '../registry-client.js';
import { formatBytes, type Terminal } from '../terminal.js';
import type { Trust } from '../verification.js';
import type { VersionView } from '../views.js';
import { findVersion } from './browse.js';

/** How a signature is trusted, from the flags `pull --verify` and `verify` share. */
export interface TrustFlags {
  key?: string;
  certificateIdentity?: string;
  certificateOidcIssuer?: string;
  trustedRoot?: string;
}

export interface PullOptions extends TrustFlags {
  reference: string;
  output?: string;
  verify: boolean;
}

interface SbomSummary {
  components: number;
  byType: Record<string, number>;
  licenses: string[];
}

/**
 * Downloads a version's module to a temporary file beside the target, checks
 * its sha256 (and with --verify its signature, offline, and the SBOM), and
 * only then renames it into place: a file that fails a check is never written.
 */
export async function pull(context: Context, options: PullOptions): Promise<void> {
  const ref = parseReference(options.reference);
  const version = await findVersion(context, ref);
  const client = await context.client();
  const { terminal } = context;
  const target = resolve(options.output ?? `${version.plugin}-${version.version}.wasm`);
  const partial = `${target}.wpr-partial-${process.pid}`;
  try {
    const sha256 = await download(client, terminal, version, partial);
    if (sha256 !== version.digest) throw checkFailed(`the download's sha256 is ${sha256}, but the registry lists ${version.digest} for ${version.version}`, 'nothing was written; try again, and tell the registry operators if it repeats');
    let verification = null;
    let sbom: SbomSummary | null = null;
    if (options.verify) {
      const bundle = await (await client.send('GET', `${versionPath({ namespace: version.namespace, name: version.plugin }, version.version)}/signature`, { accept: 'application/json' })).text();
      verification = await (await import('../verification.js')).verifyModuleFile(partial, bundle, await trustFor(client, options));
      if (!verification.verified) {
        if (!context.flags.json) printChecks(terminal, verification.checks);
        throw checkFailed(`the signature of ${version.namespace}/${version.plugin}@${version.version} does not verify`, 'nothing was written');
      }
      sbom = summarizeSbom(await client.json<unknown>('GET', `${versionPath({ namespace: version.namespace, name: version.plugin }, version.version)}/sbom`, undefined, { accept: 'application/vnd.cyclonedx+json, application/json' }));
    }
    await rename(partial, target);
    if (context.flags.json) return terminal.json({ path: target, sha256, version, verification, sbom });
    terminal.line(`Pulled ${version.namespace}/${version.plugin}@${version.version} to ${target} (${formatBytes(version.size)})`);
    terminal.line(`  sha256:    ${sha256} ${terminal.paint('green', '✔')}`);
    if (version.yanked) terminal.warn(`${version.version} is yanked: ${version.yankReason ?? 'no reason given'}`);
    for (const advisory of version.advisories) terminal.warn(`advisory ${advisory.id} (${advisory.severity}): ${advisory.summary}`);
    if (verification) {
      printChecks(terminal, verification.checks);
      if (sbom) terminal.line(`  SBOM:      ${sbom.components} component${sbom.components === 1 ? '' : 's'} (${Object.entries(sbom.byType).map(([t, n]) => `${n} ${t}`).join(', ') || 'none declared'}); licenses: ${sbom.licenses.join(', ') || 'none declared'}`);
    }
  } finally {
    await rm(partial, { force: true });
  }
}

async function download(client: RegistryClient, terminal: Terminal, version: VersionView, path: string): Promise<string> {
  const response = await client.send('GET', `${versionPath({ namespace: version.namespace, name: version.plugin }, version.version)}/module.wasm`, { accept: 'application/wasm' });
  const hash = createHash('sha256');
  const progress = terminal.progress('Downloading', version.size);
  let done = 0;
  try {
    await pipeline(
      Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>),
      new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          done += chunk.length;
          // The registry listed the size: more bytes than that are not this module, and are not written to disk.
          if (done > version.size) return callback(checkFailed(`the download is longer than the ${version.size} bytes the registry lists for ${version.version}`, 'nothing was written; try again'));
          hash.update(chunk);
          progress.update(done);
          callback(null, chunk);
        },
      }),
      createWriteStream(path, { mode: 0o644 }),
    );
  } finally {
    progress.stop();
  }
  return `sha256:${hash.digest('hex')}`;
}

/** --key, or a keyless identity (with --trusted-root), or else the keys the registry publishes. */
export async function trustFor(client: RegistryClient | null, flags: TrustFlags): Promise<Trust> {
  const keyless = flags.certificateIdentity !== undefined || flags.certificateOidcIssuer !== undefined;
  if (keyless && (flags.certificateIdentity === undefined || flags.certificateOidcIssuer === undefined)) {
    throw usageError('a keyless identity needs both --certificate-identity and --certificate-oidc-issuer', 'e.g. --certificate-identity https://github.com/acme/jwt/.github/workflows/release.yml@refs/heads/main --certificate-oidc-issuer https://token.actions.githubusercontent.com');
  }
  if (keyless && flags.trustedRoot === undefined) throw usageError('a keyless identity is checked against a trusted root', 'pass --trusted-root trusted_root.json');
  const identity = keyless ? { subject: flags.certificateIdentity!, issuer: flags.certificateOidcIssuer! } : null;
  if (flags.key !== undefined) return { keys: [await (await import('../verification.js')).publicKeyFromFile(flags.key)], trustedRootPath: flags.trustedRoot ?? null, identity };
  if (keyless || client === null) {
    if (!keyless) throw usageError('say what to trust', 'pass --key registry.pem, or --certificate-identity, --certificate-oidc-issuer and --trusted-root');
    return { keys: [], trustedRootPath: flags.trustedRoot!, identity };
  }
  const keys = await client.json<{ keyId: string; publicKeyPem: string }[]>('GET', '/api/v1/keys', undefined, { accept: 'application/json' });
  return { keys: keys.map((k) => ({ keyId: k.keyId, publicKeyPem: k.publicKeyPem })), trustedRootPath: flags.trustedRoot ?? null, identity };
}

export function printChecks(terminal: Terminal, checks: { name: string; passed: boolean; detail: string }[]): void {
  for (const check of checks) {
    terminal.line(`  ${`${check.name}:`.padEnd(18)} ${check.passed ? terminal.paint('green', '✔') : terminal.paint('red', '✖')} ${check.detail}`);
  }
}

function summarizeSbom(document: unknown): SbomSummary {
  const components = (document as { components?: { purl?: string; licenses?: { license?: { id?: string; name?: string }; expression?: string }[] }[] }).components ?? [];
  const byType: Record<string, number> = {};
  const licenses = new Set<string>();
  for (const component of components.slice(0, 10_000)) {
    const type = /^pkg:([a-z0-9.+-]+)\//.exec(component.purl ?? '')?.[1] ?? 'other';
    byType[type] = (byType[type] ?? 0) + 1;
    for (const l of component.licenses ?? []) {
      const name = l.expression ?? l.license?.id ?? l.license?.name;
      if (name && licenses.size < 20) licenses.add(name);
    }
  }
  return { components: components.length, byType, licenses: [...licenses].sort() };
}
