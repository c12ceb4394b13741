import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type RunningRegistry } from '../testing/registry-process.js';
import { fakeIdentityToken, startMockSigstore, type MockSigstore } from '../testing/sigstore-mock-servers.js';
import { proxyWasmFilter } from '../testing/wasm-fixtures.js';
import { api, type Json } from './support.js';

// Keyless signing against local Fulcio and Rekor (@sigstore/mock handlers), never the public ones.
describe('keyless signing with configured Fulcio and Rekor', () => {
  let sigstore: MockSigstore;
  let dir: string;
  let registry: RunningRegistry;

  beforeAll(async () => {
    sigstore = await startMockSigstore();
    dir = await mkdtemp(join(tmpdir(), 'keyless-e2e-'));
    await writeFile(join(dir, 'token'), fakeIdentityToken({ iss: 'https://token.example.test', sub: 'https://github.com/acme/ci' }));
    await writeFile(join(dir, 'trusted_root.json'), JSON.stringify(sigstore.trustedRoot));
    registry = await startRegistry({
      SIGSTORE_FULCIO_URL: sigstore.fulcioUrl,
      SIGSTORE_REKOR_URL: sigstore.rekorUrl,
      SIGSTORE_IDENTITY_TOKEN_PATH: join(dir, 'token'),
      SIGSTORE_TRUSTED_ROOT: join(dir, 'trusted_root.json'),
    });
  });
  afterAll(async () => {
    await registry?.stop();
    await sigstore?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('signs with a Fulcio certificate and a Rekor entry, and verifies against the configured trusted root', async () => {
    const module = await proxyWasmFilter('keyless');
    const published = await api(registry.url, 'PUT', '/api/v1/plugins/acme/keyless/versions/1.0.0', { body: module, token: registry.adminToken });
    expect(published.status).toBe(202);
    const ready = await api(registry.url, 'GET', '/api/v1/plugins/acme/keyless/versions/1.0.0?wait=30');
    expect(ready.json.status, JSON.stringify(ready.json.pipeline)).toBe('ready');
    expect(sigstore.requests).toContain('POST /api/v2/signingCert');

    const bundle = JSON.parse((await api(registry.url, 'GET', '/api/v1/plugins/acme/keyless/versions/1.0.0/signature')).text) as Json;
    expect(bundle.verificationMaterial.certificate.rawBytes).toEqual(expect.any(String));
    expect(bundle.verificationMaterial.tlogEntries).toHaveLength(1);

    const verified = await api(registry.url, 'POST', '/api/v1/verify', { json: { bundle, digest: ready.json.digest } });
    expect(verified.json.verified, JSON.stringify(verified.json.checks)).toBe(true);
    expect(verified.json.signer).toEqual({ identity: { subjectAlternativeName: 'https://github.com/acme/ci', issuer: 'https://token.example.test' } });
    expect(verified.json.checks.map((c: Json) => c.name)).toContain('transparency_log');
  });
});
