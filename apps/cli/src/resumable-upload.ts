import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CliError } from './cli-error.js';
import { EXIT } from './exit-codes.js';
import type { LocalFile } from './plugin-directory.js';
import { RegistryRefusal, type RegistryClient } from './registry-client.js';
import type { Terminal } from './terminal.js';

/** Where an interrupted upload is remembered, so that running the same command again resumes it. */
interface SavedUpload {
  registry: string;
  digest: string;
  location: string;
}

export interface ResumableOptions {
  chunkBytes: number;
  /** Attempts to carry on after a failed chunk, within one run. */
  retries: number;
  stateDirectory: string;
}

/**
 * Pushes the module as an OCI blob of the plugin's repository in chunks
 * (POST, then PATCH with Content-Range, then PUT ?digest=), as `docker push`
 * does. After a failed chunk it asks the session how much arrived (GET, Range)
 * and carries on from there; a run that gives up leaves the session's URL in
 * the state directory, and the next run of the same publish resumes it.
 * Returns the digest, for the publish's `moduleDigest`; null when the registry
 * has no OCI upload endpoint (then the module is sent whole).
 */
export async function pushModuleBlob(client: RegistryClient, terminal: Terminal, repository: { namespace: string; name: string }, module: LocalFile, options: ResumableOptions): Promise<string | null> {
  const digest = await fileDigest(module.path);
  const statePath = join(options.stateDirectory, `${repository.namespace}_${repository.name}_${digest.slice(7)}.json`);
  const uploadsPath = `/v2/${repository.namespace}/${repository.name}/blobs/uploads/`;

  let location: string | null = null;
  let offset = 0;
  const saved = await readSaved(statePath, client.registry, digest);
  if (saved !== null) {
    const received = await sessionOffset(client, saved.location).catch(() => null);
    if (received !== null) {
      location = saved.location;
      offset = received;
      terminal.warn(`resuming the upload of ${module.filename} at byte ${offset} of ${module.size}`);
    }
  }
  if (location === null) {
    let started: Awaited<ReturnType<RegistryClient['send']>>;
    try {
      started = await client.send('POST', uploadsPath, { accept: 'application/json' });
    } catch (error) {
      // A registry without OCI push (404, 405): the module goes whole with the publish.
      if (error instanceof RegistryRefusal && (error.problem.status === 404 || error.problem.status === 405)) return null;
      throw error;
    }
    location = absolute(client, started.headers.get('location'));
    if (location === null) throw new CliError('the registry started an upload but gave no Location', EXIT.unavailable);
    await mkdir(options.stateDirectory, { recursive: true, mode: 0o700 });
    await writeFile(statePath, JSON.stringify({ registry: client.registry, digest, location } satisfies SavedUpload), { mode: 0o600 });
  }

  const progress = terminal.progress('Uploading', module.size);
  const file = await open(module.path);
  try {
    let failures = 0;
    while (offset < module.size) {
      const length = Math.min(options.chunkBytes, module.size - offset);
      const chunk = Buffer.alloc(length);
      await file.read(chunk, 0, length, offset);
      try {
        const answer = await client.send('PATCH', location, {
          body: chunk,
          contentType: 'application/octet-stream',
          headers: { 'content-range': `${offset}-${offset + length - 1}` },
          retry: false,
        });
        location = absolute(client, answer.headers.get('location')) ?? location;
        offset += length;
        failures = 0;
        progress.update(offset);
      } catch (error) {
        // 416 (the session is elsewhere) and a lost connection are both answered by asking where the session is.
        const retriable = error instanceof CliError && (error.exitCode === EXIT.unavailable || (error instanceof RegistryRefusal && error.problem.status === 416));
        if (!retriable || ++failures > options.retries) {
          throw new CliError(`the upload stopped at byte ${offset} of ${module.size}: ${(error as Error).message}`, error instanceof CliError ? error.exitCode : EXIT.unavailable, 'run the same command again to resume it');
        }
        await sleep(Math.min(10_000, 500 * 2 ** (failures - 1)));
        offset = (await sessionOffset(client, location).catch(() => null)) ?? offset;
      }
    }
    const separator = location.includes('?') ? '&' : '?';
    await client.send('PUT', `${location}${separator}digest=${encodeURIComponent(digest)}`, { body: new Uint8Array(0), contentType: 'application/octet-stream', retry: false });
    await rm(statePath, { force: true });
    return digest;
  } finally {
    progress.stop();
    await file.close();
  }
}

/** A Location as a full URL: the registry answers with absolute paths (/v2/…). */
function absolute(client: RegistryClient, location: string | null): string | null {
  return location === null ? null : new URL(location, `${client.registry}/`).toString();
}

/** The bytes a session holds, from its Range (`0-<last byte>`). Chunks are never a single byte, so `0-0` means none. */
async function sessionOffset(client: RegistryClient, location: string): Promise<number> {
  const answer = await client.send('GET', location);
  const range = /^0-(\d+)$/.exec(answer.headers.get('range') ?? '');
  if (range === null) throw new Error('the session answered without a Range');
  const last = Number(range[1]);
  return last === 0 ? 0 : last + 1;
}

async function readSaved(path: string, registry: string, digest: string): Promise<SavedUpload | null> {
  try {
    const saved = JSON.parse(await readFile(path, 'utf8')) as SavedUpload;
    return saved.registry === registry && saved.digest === digest && typeof saved.location === 'string' ? saved : null;
  } catch {
    return null;
  }
}

async function fileDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}
