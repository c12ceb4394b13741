import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../../testing/cli-process.js';

// A registry that lies about a module's size: the built CLI must stop reading, and write nothing.
describe('wpr pull from a registry that sends more than it lists', () => {
  let server: Server;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wpr-pull-'));
    server = createServer((request, response) => {
      if (request.url === '/api/v1/plugins/acme/liar/versions/1.0.0') {
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ namespace: 'acme', plugin: 'liar', version: '1.0.0', digest: `sha256:${'0'.repeat(64)}`, size: 10, yanked: false, advisories: [] }));
      } else if (request.url === '/api/v1/plugins/acme/liar/versions/1.0.0/module.wasm') {
        response.writeHead(200, { 'content-type': 'application/wasm' }).end(Buffer.alloc(1024 * 1024, 1));
      } else {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stops past the listed size with exit code 1, leaving no file', async () => {
    const run = await runCli(['pull', 'acme/liar@1.0.0', '-o', join(dir, 'liar.wasm'), '--registry', `http://127.0.0.1:${(server.address() as AddressInfo).port}`], { env: { WPR_CONFIG_DIR: join(dir, 'config') } });
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 1, stderr: expect.stringContaining('the download is longer than the 10 bytes the registry lists for 1.0.0') });
    expect(await readdir(dir)).toEqual([]);
  });
});
