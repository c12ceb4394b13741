import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockSigstore, type MockSigstore } from '../../../testing/sigstore-mock-servers.js';
import { TrustedRootError, loadTrustedRoot, parseTrustedRoot } from './trusted-root.js';

let sigstore: MockSigstore;
let dir: string;
beforeAll(async () => {
  sigstore = await startMockSigstore();
  dir = await mkdtemp(join(tmpdir(), 'trusted-root-'));
});
afterAll(async () => {
  await sigstore?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('trusted root', () => {
  it('turns a TrustedRoot file into the CAs and logs it names', async () => {
    const path = join(dir, 'root.json');
    await writeFile(path, JSON.stringify(sigstore.trustedRoot));
    const anchors = await loadTrustedRoot(path);

    expect(anchors.certificateAuthorities).toHaveLength(1);
    expect(anchors.certificateAuthorities[0]!.certChain[0]!.subject).toBeDefined();
    expect(anchors.tlogs.map((l) => l.baseURL)).toEqual([sigstore.rekorUrl]);
    expect(anchors.ctlogs.map((l) => l.publicKey.asymmetricKeyType)).toEqual(['ec']);
    expect(anchors.timestampAuthorities).toEqual([]);
    expect(anchors.tlogs[0]!.validFor.start.getTime()).toBeLessThan(Date.now());
  });

  const root = () => structuredClone(sigstore.trustedRoot) as Record<string, any>;
  it.each([
    ['another media type', () => ({ ...root(), mediaType: 'application/json' }), /mediaType "application\/json" is not a Sigstore TrustedRoot/],
    ['tlogs that are not an array', () => ({ ...root(), tlogs: {} }), /\.tlogs must be an array/],
    [
      'a log key that is not base64',
      () => {
        const r = root();
        r.tlogs[0].publicKey.rawBytes = 'not base64!';
        return r;
      },
      /tlogs\[0\]\.publicKey\.rawBytes must be non-empty base64/,
    ],
    [
      'a log key that is not a key',
      () => {
        const r = root();
        r.ctlogs[0].publicKey.rawBytes = 'AAAA';
        return r;
      },
      /ctlogs\[0\]\.publicKey is not a spki public key/,
    ],
    [
      'a CA certificate that is not DER',
      () => {
        const r = root();
        r.certificateAuthorities[0].certChain.certificates[0].rawBytes = 'AAAA';
        return r;
      },
      /certificateAuthorities\[0\]\.certChain\.certificates\[0\] is not a DER certificate/,
    ],
    [
      'a validity that is not a date',
      () => {
        const r = root();
        r.certificateAuthorities[0].validFor.start = 'yesterday';
        return r;
      },
      /certificateAuthorities\[0\]\.validFor\.start must be an RFC 3339 timestamp/,
    ],
  ])('refuses %s, naming the field', (_, make, message) => {
    expect(() => parseTrustedRoot(make(), 'trusted root /etc/registry/root.json')).toThrow(TrustedRootError);
    expect(() => parseTrustedRoot(make(), 'trusted root /etc/registry/root.json')).toThrow(message);
  });

  it('names the file when it is missing or not JSON', async () => {
    await expect(loadTrustedRoot(join(dir, 'missing.json'))).rejects.toThrow(/trusted root .*missing\.json cannot be read/);
    const garbage = join(dir, 'garbage.json');
    await writeFile(garbage, '{');
    await expect(loadTrustedRoot(garbage)).rejects.toThrow(/trusted root .*garbage\.json is not JSON/);
  });
});
