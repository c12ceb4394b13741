import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Checks made with the `openssl` CLI, so that signature tests do not rest on
 * the code under test (or on any sigstore package).
 */

export interface OpensslResult {
  ok: boolean;
  /** stdout and stderr, trimmed. */
  output: string;
}

/** `openssl dgst -sha256 -verify pub.pem -signature sig.bin data`: prints "Verified OK" when the ECDSA signature holds. */
export async function opensslVerify(publicKeyPem: string, signature: Uint8Array, data: Uint8Array): Promise<OpensslResult> {
  return withFiles({ 'pub.pem': publicKeyPem, 'sig.bin': signature, 'module.wasm': data }, (dir) =>
    run('openssl', ['dgst', '-sha256', '-verify', join(dir, 'pub.pem'), '-signature', join(dir, 'sig.bin'), join(dir, 'module.wasm')]),
  );
}

/** cosign's key hint, computed by openssl: base64(SHA-256(SPKI DER)). */
export async function opensslKeyId(publicKeyPem: string): Promise<string> {
  const { ok, output } = await withFiles({ 'pub.pem': publicKeyPem }, (dir) =>
    run('sh', ['-c', 'openssl pkey -pubin -in "$1" -outform DER | openssl dgst -sha256 -binary | base64', 'sh', join(dir, 'pub.pem')]),
  );
  if (!ok) throw new Error(`openssl failed: ${output}`);
  return output;
}

/** The public key openssl derives from a private key file, as SPKI PEM. */
export async function opensslPublicKeyOf(privateKeyPath: string): Promise<string> {
  const { ok, output } = await run('openssl', ['pkey', '-in', privateKeyPath, '-pubout']);
  if (!ok) throw new Error(`openssl failed: ${output}`);
  return `${output}\n`;
}

/** The SPKI PEM public key of a DER certificate. */
export async function opensslCertificatePublicKey(certificateDer: Uint8Array): Promise<string> {
  const { ok, output } = await withFiles({ 'cert.der': certificateDer }, (dir) =>
    run('openssl', ['x509', '-inform', 'DER', '-in', join(dir, 'cert.der'), '-noout', '-pubkey']),
  );
  if (!ok) throw new Error(`openssl failed: ${output}`);
  return `${output}\n`;
}

/** `openssl verify`: does the DER leaf chain to the DER root? `atSeconds` pins the check time. */
export async function opensslVerifyChain(rootDer: Uint8Array, leafDer: Uint8Array, atSeconds?: number): Promise<OpensslResult> {
  return withFiles({ 'root.der': rootDer, 'leaf.der': leafDer }, async (dir) => {
    for (const name of ['root', 'leaf']) {
      const converted = await run('openssl', ['x509', '-inform', 'DER', '-in', join(dir, `${name}.der`), '-out', join(dir, `${name}.pem`)]);
      if (!converted.ok) return converted;
    }
    const at = atSeconds === undefined ? [] : ['-attime', String(atSeconds)];
    return run('openssl', ['verify', ...at, '-CAfile', join(dir, 'root.pem'), join(dir, 'leaf.pem')]);
  });
}

/** Standard DSSE pre-authentication encoding, written out from the spec rather than imported. */
export function dssePae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

async function withFiles<T>(files: Record<string, string | Uint8Array>, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'sigstore-openssl-'));
  try {
    for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function run(command: string, args: string[]): Promise<OpensslResult> {
  return new Promise((resolve) => {
    execFile(command, args, { encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ ok: !error, output: `${stdout}${stderr}`.trim() });
    });
  });
}
