import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { freePort } from './free-port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const API_ENTRY = join(ROOT, 'dist/apps/api/src/main.js');
export const WORKER_ENTRY = join(ROOT, 'dist/apps/worker/src/main.js');
/** Node's flags and glibc's setting in package.json's start scripts (README, "Process flags"), so that tests and benches run what `npm start` runs. */
export const PROCESS_FLAGS = ['--expose-gc'];
export const PROCESS_ENV = { MALLOC_TRIM_THRESHOLD_: '131072' };

export interface RunningRegistry {
  url: string;
  port: number;
  dataDir: string;
  adminToken: string;
  process: ChildProcess;
  output(): string;
  /** SIGTERM, then waits for the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
}


/**
 * Starts the built API (dist/) as a child process, the way `npm start` runs it,
 * and waits until /health/ready answers 200.
 */
export async function startRegistry(env: Record<string, string> = {}, options: { dataDir?: string; adminToken?: string } = {}): Promise<RunningRegistry> {
  const port = await freePort();
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'wasm-registry-e2e-')));
  const adminToken = options.adminToken ?? 'test-admin-token-0123456789abcdef';
  const child = spawn(process.execPath, [...PROCESS_FLAGS, API_ENTRY], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      ...PROCESS_ENV,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      REGISTRY_ADMIN_TOKEN: adminToken,
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let stopping = false;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      // Killed by a signal (a crash, an abort): say which in the output a failing test prints.
      if (signal !== null) output += `\n[test harness] the registry was ended by ${signal}\n`;
      // Nobody asked it to stop: a crash the test may only see as refused connections. Its last words go to the log.
      if (!stopping) process.stderr.write(`[test harness] the registry on port ${port} exited unasked (code ${code}, signal ${signal}); its last output:\n${output.slice(-4000)}\n`);
      resolve(code);
    }),
  );
  const url = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      if (ownDataDir) await rm(dataDir, { recursive: true, force: true });
      throw new Error(`the registry exited with ${child.exitCode} before it was ready:\n${output}`);
    }
    try {
      const response = await fetch(`${url}/health/ready`);
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the registry was not ready within 60 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    url,
    port,
    dataDir,
    adminToken,
    process: child,
    output: () => output,
    stop: async () => {
      stopping = true;
      if (child.exitCode === null) child.kill('SIGTERM');
      const code = await exited;
      // A data directory the caller passed is theirs to keep (restarts reuse it).
      if (ownDataDir) await rm(dataDir, { recursive: true, force: true });
      return code;
    },
    kill: async () => {
      stopping = true;
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
      if (ownDataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface RunningWorker {
  process: ChildProcess;
  output(): string;
  /** Where the worker serves /metrics and /health (METRICS_PORT: a free port unless the env names one). */
  observabilityUrl: string;
  /** SIGTERM, then waits for the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
}

/** Starts the built pipeline worker (dist/) and waits until it says it is ready. */
export async function startWorker(env: Record<string, string>): Promise<RunningWorker> {
  // Not the default 9464: several workers run at once across test files.
  const metricsPort = env.METRICS_PORT ?? String(await freePort());
  const child = spawn(process.execPath, [...PROCESS_FLAGS, WORKER_ENTRY], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...PROCESS_ENV, LOG_LEVEL: 'info', ...env, METRICS_PORT: metricsPort },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  while (!output.includes('worker ready')) {
    if (child.exitCode !== null) throw new Error(`the worker exited with ${child.exitCode} before it was ready:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the worker was not ready within 60 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    process: child,
    output: () => output,
    observabilityUrl: `http://127.0.0.1:${metricsPort}`,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The JSON log lines of a process's output (the registry logs one JSON object per line). */
export function logLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

/** Lines logged at error or fatal, and any stack trace printed outside the JSON lines. */
export function errorLogLines(output: string): string[] {
  const logged = logLines(output).filter((line) => line.level === 'error' || line.level === 'fatal').map((line) => JSON.stringify(line));
  const stacks = output.split('\n').filter((line) => /^\s+at .+:\d+:\d+\)?$/.test(line));
  return [...logged, ...stacks];
}
