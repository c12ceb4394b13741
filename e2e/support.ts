import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { expect } from 'vitest';
import { startPostgres } from '../testing/postgres-server.js';

export const PROBLEM_JSON = 'application/problem+json';

export interface Json {
  [key: string]: any;
}

export async function api(
  base: string,
  method: string,
  path: string,
  options: { token?: string; json?: unknown; body?: Buffer | Uint8Array; contentType?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; json: Json; text: string; bytes: Buffer }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: BodyInit | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.body !== undefined) {
    headers['content-type'] = options.contentType ?? 'application/wasm';
    body = options.body as BodyInit;
  }
  const response = await fetch(`${base}${path}`, { method, headers, body, redirect: 'manual' });
  const bytes = Buffer.from(await response.arrayBuffer());
  const text = bytes.toString('utf8');
  let json: Json = {};
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json') && text.length > 0) json = JSON.parse(text) as Json;
  return { status: response.status, headers: response.headers, json, text, bytes };
}

/** Asserts an RFC 9457 problem response with the given status and code. */
export function expectProblem(response: { status: number; headers: Headers; json: Json }, status: number, code: string): void {
  expect({ status: response.status, code: response.json.code }).toEqual({ status, code });
  expect(response.headers.get('content-type')).toContain(PROBLEM_JSON);
  expect(response.json).toMatchObject({ status, code, type: expect.stringContaining(code), title: expect.any(String), detail: expect.any(String) });
  expect(JSON.stringify(response.json)).not.toMatch(/\s+at\s+\S+\s+\(|node_modules/);
}

/** Every file under the filesystem storage root, relative to it. */
export async function storedFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else found.push(relative(root, path));
    }
  };
  await walk(root);
  return found.sort();
}

export async function waitFor<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until a version leaves `pending` (analysis done) and returns the version view. */
export async function settledVersion(base: string, namespace: string, plugin: string, version: string): Promise<Json> {
  const response = await waitFor(
    () => api(base, 'GET', `/api/v1/plugins/${namespace}/${plugin}/versions/${version}`),
    (r) => r.status !== 200 || r.json.status !== 'pending',
    30_000,
  );
  return response.json;
}

/** The two databases a suite runs on with describe.each: embedded PGlite, and a throwaway PostgreSQL server. */
export const DATABASE_CONFIGURATIONS: [string, () => Promise<{ env: Record<string, string>; stop: () => Promise<void> }>][] = [
  ['PGlite (embedded)', async () => ({ env: {}, stop: async () => undefined })],
  [
    'PostgreSQL',
    async () => {
      const postgres = await startPostgres();
      return { env: { DATABASE_URL: postgres.url }, stop: () => postgres.stop() };
    },
  ],
];
