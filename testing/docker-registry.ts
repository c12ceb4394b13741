import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

/** A throwaway Docker Distribution (Debian's docker-registry), the OCI reference registry, with filesystem storage. */
export interface DockerRegistry {
  /** http://127.0.0.1:<port> */
  url: string;
  /** 127.0.0.1:<port>, as skopeo's docker:// references name it. */
  host: string;
  port: number;
  /** The filesystem storage root (blobs under docker/registry/v2/blobs). */
  storageRoot: string;
  process: ChildProcess;
  output(): string;
  /** Kills it and deletes its files. Safe to call twice. */
  stop(): Promise<void>;
}

const BINARY = ['/usr/bin/docker-registry', '/usr/local/bin/docker-registry'].find((path) => existsSync(path));

/** Starts docker-registry on a free port with a new storage directory; resolves once `GET /v2/` answers 200. */
export async function startDockerRegistry(): Promise<DockerRegistry> {
  if (BINARY === undefined) throw new Error('docker-registry is not installed: apt-get install docker-registry (.ci/run does)');
  const port = await freePort();
  const root = await mkdtemp(join(tmpdir(), 'docker-registry-test-'));
  const storageRoot = join(root, 'storage');
  const config = join(root, 'config.yml');
  // No auth, no TLS, no debug listener; deletes on so a test can clean up if it wants to.
  await writeFile(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${storageRoot}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '',
    ].join('\n'),
  );
  const child = spawn(BINARY, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit').catch(() => undefined);

  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      await rm(root, { recursive: true, force: true });
    })();
    return stopped;
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`docker-registry exited with ${child.exitCode} before it answered:\n${output}`);
    }
    try {
      if ((await fetch(`${url}/v2/`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not answer on ${url}/v2/ within 15 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url, host: `127.0.0.1:${port}`, port, storageRoot, process: child, output: () => output, stop };
}
