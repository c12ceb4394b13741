import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { opensslKeyId, opensslPublicKeyOf } from '../../../testing/sigstore-openssl.js';
import { GENERATED_KEY_PATH, SigningKeyError, keyIdOf, loadOrCreateSigningKey } from './signing-key.js';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'signing-key-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe('generated signing key', () => {
  it('is created on first use as an owner-only PKCS#8 P-256 key under <dataDir>/keys', async () => {
    const key = await loadOrCreateSigningKey({ dataDir, keyPath: null });
    const path = join(dataDir, GENERATED_KEY_PATH);

    expect(path).toBe(join(dataDir, 'keys', 'signing-key.pem'));
    expect(await mode(path)).toBe(0o600);
    expect(await mode(join(dataDir, 'keys'))).toBe(0o700);
    const pem = await readFile(path, 'utf8');
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(key.algorithm).toBe('ecdsa-p256-sha256');
    expect(key.privateKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    // openssl reads the file and derives the same public key we serve.
    expect(await opensslPublicKeyOf(path)).toBe(key.publicKeyPem);
    expect(await readdir(join(dataDir, 'keys'))).toEqual(['signing-key.pem']);
  });

  it('is reused on later starts', async () => {
    const first = await loadOrCreateSigningKey({ dataDir, keyPath: null });
    const before = await readFile(join(dataDir, GENERATED_KEY_PATH), 'utf8');
    const second = await loadOrCreateSigningKey({ dataDir, keyPath: null });

    expect(second.keyId).toBe(first.keyId);
    expect(second.publicKeyPem).toBe(first.publicKeyPem);
    expect(await readFile(join(dataDir, GENERATED_KEY_PATH), 'utf8')).toBe(before);
  });

  it('has its permissions tightened back to 0600 if they were loosened', async () => {
    await loadOrCreateSigningKey({ dataDir, keyPath: null });
    await chmod(join(dataDir, GENERATED_KEY_PATH), 0o644);
    await loadOrCreateSigningKey({ dataDir, keyPath: null });
    expect(await mode(join(dataDir, GENERATED_KEY_PATH))).toBe(0o600);
  });

  it('ends as one key when many callers start at once, leaving no temp files', async () => {
    const keys = await Promise.all(Array.from({ length: 12 }, () => loadOrCreateSigningKey({ dataDir, keyPath: null })));

    expect(new Set(keys.map((k) => k.keyId)).size).toBe(1);
    expect(await readdir(join(dataDir, 'keys'))).toEqual(['signing-key.pem']);
    const stored = await loadOrCreateSigningKey({ dataDir, keyPath: null });
    expect(stored.keyId).toBe(keys[0]!.keyId);
  });

  it('ends as one key when separate processes start at once', async () => {
    const moduleUrl = new URL('./signing-key.ts', import.meta.url).href;
    const script =
      'const { loadOrCreateSigningKey } = await import(process.argv[1]);' +
      'const key = await loadOrCreateSigningKey({ dataDir: process.argv[2], keyPath: null });' +
      'process.stdout.write(key.keyId);';
    const run = () =>
      new Promise<string>((resolve, reject) =>
        execFile(
          process.execPath,
          ['--no-warnings', '--input-type=module', '-e', script, moduleUrl, dataDir],
          { encoding: 'utf8' },
          (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
        ),
      );
    const keyIds = await Promise.all(Array.from({ length: 6 }, run));

    expect(new Set(keyIds).size).toBe(1);
    expect((await loadOrCreateSigningKey({ dataDir, keyPath: null })).keyId).toBe(keyIds[0]);
    expect(await readdir(join(dataDir, 'keys'))).toEqual(['signing-key.pem']);
  });
});

describe('keyId', () => {
  it("is cosign's hint: base64 of SHA-256 over the SPKI DER, as openssl computes it", async () => {
    const key = await loadOrCreateSigningKey({ dataDir, keyPath: null });

    expect(key.keyId).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(key.keyId).toBe(await opensslKeyId(key.publicKeyPem));
    expect(keyIdOf(key.publicKeyPem)).toBe(key.keyId);
  });
});

describe('SIGNING_KEY_PATH', () => {
  const writeKey = async (name: string, content: string) => {
    const path = join(dataDir, name);
    await writeFile(path, content, { mode: 0o600 });
    return path;
  };
  const ec = (namedCurve: string) => generateKeyPairSync('ec', { namedCurve }).privateKey;

  it('loads a PKCS#8 P-256 key and does not create one under the data directory', async () => {
    const privateKey = ec('P-256');
    const keyPath = await writeKey('mine.pem', privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());

    const key = await loadOrCreateSigningKey({ dataDir, keyPath });

    expect(key.keyId).toBe(await opensslKeyId(key.publicKeyPem));
    expect(key.publicKeyPem).toBe(await opensslPublicKeyOf(keyPath));
    expect(await readdir(dataDir)).toEqual(['mine.pem']);
  });

  it.each([
    ['a missing file', null, /SIGNING_KEY_PATH .*missing\.pem cannot be read/],
    ['not a PEM', 'hello', /SIGNING_KEY_PATH .* is not an unencrypted PKCS#8 PEM private key/],
    [
      'a SEC1 "EC PRIVATE KEY"',
      ec('P-256').export({ format: 'pem', type: 'sec1' }).toString(),
      /SIGNING_KEY_PATH .*found "BEGIN EC PRIVATE KEY".*openssl pkcs8 -topk8/,
    ],
    ['a P-384 key', ec('P-384').export({ format: 'pem', type: 'pkcs8' }).toString(), /SIGNING_KEY_PATH .* holds an EC key on secp384r1/],
    [
      'an RSA key',
      generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      /SIGNING_KEY_PATH .* holds a rsa key; the registry signs with ECDSA P-256/,
    ],
    [
      'an encrypted PKCS#8 key',
      ec('P-256').export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'x' }).toString(),
      /SIGNING_KEY_PATH .*found "BEGIN ENCRYPTED PRIVATE KEY"/,
    ],
    ['a truncated PKCS#8 PEM', '-----BEGIN PRIVATE KEY-----\nMIGHAgEA\n-----END PRIVATE KEY-----\n', /SIGNING_KEY_PATH .* cannot be parsed/],
  ])('refuses %s with an error naming SIGNING_KEY_PATH', async (_, content, message) => {
    const keyPath = content === null ? join(dataDir, 'missing.pem') : await writeKey('bad.pem', content);
    const attempt = loadOrCreateSigningKey({ dataDir, keyPath });
    await expect(attempt).rejects.toBeInstanceOf(SigningKeyError);
    await expect(attempt).rejects.toThrow(message);
  });
});
