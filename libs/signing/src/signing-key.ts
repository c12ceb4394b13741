import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

// No relative imports in this file: tests load it in plain `node` child processes.

export const SIGNING_ALGORITHM = 'ecdsa-p256-sha256';

/** The registry's signing key. `keyId` is what bundles carry as their public-key hint. */
export interface SigningKey {
  keyId: string;
  publicKeyPem: string;
  privateKey: KeyObject;
  algorithm: typeof SIGNING_ALGORITHM;
}

/** The configured or stored key cannot be used; the message says which file and why. */
export class SigningKeyError extends Error {
  readonly code = 'signing_key_invalid';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SigningKeyError';
  }
}

/** Where a generated key lives, relative to the data directory. */
export const GENERATED_KEY_PATH = join('keys', 'signing-key.pem');

/**
 * The key from `keyPath` (SIGNING_KEY_PATH) if set; otherwise the key stored
 * under `<dataDir>/keys/`, generated on first use. Concurrent first starts
 * agree on one key: the file is published with link(2), which refuses to
 * replace an existing name, and the loser reads the winner's key.
 */
export async function loadOrCreateSigningKey({
  dataDir,
  keyPath,
}: {
  dataDir: string;
  keyPath: string | null;
}): Promise<SigningKey> {
  if (keyPath !== null) {
    let pem: string;
    try {
      pem = await readFile(keyPath, 'utf8');
    } catch (error) {
      throw new SigningKeyError(`SIGNING_KEY_PATH ${keyPath} cannot be read: ${(error as Error).message}`, { cause: error });
    }
    return signingKeyFromPem(pem, `SIGNING_KEY_PATH ${keyPath}`);
  }

  const path = join(dataDir, GENERATED_KEY_PATH);
  const existing = await readExistingKey(path);
  if (existing !== null) return existing;
  await createKeyFile(path);
  const created = await readExistingKey(path);
  if (created === null) throw new SigningKeyError(`signing key ${path} vanished right after it was created`);
  return created;
}

/** Parses a PKCS#8 PEM holding a P-256 private key; `source` names the file in errors. */
export function signingKeyFromPem(pem: string, source: string): SigningKey {
  // createPrivateKey also takes SEC1 ("EC PRIVATE KEY") and encrypted keys; insist on plain PKCS#8.
  if (!/^-----BEGIN PRIVATE KEY-----\r?\n/m.test(pem)) {
    const found = /^-----BEGIN ([A-Z0-9 ]+)-----/m.exec(pem)?.[1];
    throw new SigningKeyError(
      `${source} is not an unencrypted PKCS#8 PEM private key ("BEGIN PRIVATE KEY")` +
        (found ? `; found "BEGIN ${found}"` : '') +
        (found === 'EC PRIVATE KEY' ? '; convert it with `openssl pkcs8 -topk8 -nocrypt`' : ''),
    );
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new SigningKeyError(`${source} cannot be parsed as a private key: ${(error as Error).message}`, { cause: error });
  }
  const curve = privateKey.asymmetricKeyDetails?.namedCurve;
  if (privateKey.asymmetricKeyType !== 'ec' || curve !== 'prime256v1') {
    const what = privateKey.asymmetricKeyType === 'ec' ? `an EC key on ${curve}` : `a ${privateKey.asymmetricKeyType} key`;
    throw new SigningKeyError(`${source} holds ${what}; the registry signs with ECDSA P-256 (prime256v1)`);
  }
  const publicKey = createPublicKey(privateKey);
  return {
    keyId: keyIdOf(publicKey),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    privateKey,
    algorithm: SIGNING_ALGORITHM,
  };
}

/** cosign's public-key hint: standard base64 of SHA-256 over the SPKI DER. */
export function keyIdOf(publicKey: KeyObject | string): string {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  const der = key.export({ format: 'der', type: 'spki' });
  return createHash('sha256').update(der).digest('base64');
}

async function readExistingKey(path: string): Promise<SigningKey | null> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SigningKeyError(`signing key ${path} cannot be read: ${(error as Error).message}`, { cause: error });
  }
  const key = signingKeyFromPem(pem, `signing key ${path}`);
  // Someone loosened the permissions (a copy, a restore): a private key is owner-only.
  if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600);
  return key;
}

async function createKeyFile(path: string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode only applies to a directory it creates, and is masked by umask.
  await chmod(dir, 0o700);

  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  // O_EXCL: never write through a file or link someone planted at the temp name.
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(pem);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temp, path);
  } catch (error) {
    // Another process published its key first: keep theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(temp);
  }
  // Make the new name durable before anything is signed with the key.
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}
