import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry } from '../testing/registry-process.js';
import { proxyWasmFilter } from '../testing/wasm-fixtures.js';
import { api, settledVersion } from './support.js';

describe('the embedded registry across restarts', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'wasm-registry-restart-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('generates an admin token on the first start only, prints it once, and keeps data and download counts', async () => {
    const module = await proxyWasmFilter('restart');
    // No REGISTRY_ADMIN_TOKEN: the first start makes one and prints it.
    const first = await startRegistry({ REGISTRY_ADMIN_TOKEN: '', DOWNLOAD_FLUSH_INTERVAL_MS: '3600000' }, { dataDir });
    const printed = /^\s+(wpr_[A-Za-z0-9_-]{43})$/m.exec(first.output());
    expect(printed, first.output()).not.toBeNull();
    const admin = printed![1]!;
    expect((await api(first.url, 'PUT', '/api/v1/plugins/acme/counter/versions/1.0.0', { body: module, token: admin })).status).toBe(202);
    expect((await settledVersion(first.url, 'acme', 'counter', '1.0.0')).status).toBe('ready');

    const downloads = 25;
    for (let i = 0; i < downloads; i++) {
      const path = i % 2 === 0 ? '/api/v1/plugins/acme/counter/versions/1.0.0/module.wasm' : `/api/v1/blobs/${(await api(first.url, 'GET', '/api/v1/plugins/acme/counter/versions/1.0.0')).json.digest}`;
      expect((await api(first.url, 'GET', path)).status).toBe(200);
    }
    // Neither HEAD, 304 nor ranges are downloads.
    await api(first.url, 'HEAD', '/api/v1/plugins/acme/counter/versions/1.0.0/module.wasm');
    await api(first.url, 'GET', '/api/v1/plugins/acme/counter/versions/1.0.0/module.wasm', { headers: { range: 'bytes=0-3' } });
    // The flush interval is an hour: only the clean shutdown can have written the counts.
    expect(await first.stop()).toBe(0);

    const second = await startRegistry({ REGISTRY_ADMIN_TOKEN: '' }, { dataDir });
    try {
      expect(second.output()).not.toMatch(/wpr_[A-Za-z0-9_-]{43}/);
      const version = await api(second.url, 'GET', '/api/v1/plugins/acme/counter/versions/1.0.0');
      expect(version.json).toMatchObject({ status: 'ready', downloads });
      const again = await api(second.url, 'GET', '/api/v1/plugins/acme/counter/versions/1.0.0/module.wasm');
      expect(again.bytes.equals(module)).toBe(true);
      // The generated token still works after the restart.
      expect((await api(second.url, 'PUT', '/api/v1/namespaces/other', { token: admin })).status).toBe(201);
    } finally {
      await second.stop();
    }
  });
});
