import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { freePort } from './free-port.js';

/** A throwaway Redis (Debian's redis-server) on a fixed port that can be stopped and started again. */
export interface RedisServer {
  url: string;
  port: number;
  /** Stops the server (its data is lost: persistence is off). */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
}

const BINARY = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((path) => existsSync(path));

export async function startRedis(): Promise<RedisServer> {
  if (BINARY === undefined) throw new Error('redis-server is not installed: apt-get install redis-server (.ci/run does)');
  const port = await freePort();
  let child: ChildProcess | null = null;

  const start = async (): Promise<void> => {
    if (child !== null) return;
    const process = spawn(BINARY, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], {
      stdio: 'ignore',
    });
    child = process;
    const deadline = Date.now() + 10_000;
    while (!(await answersPing(port))) {
      if (process.exitCode !== null) throw new Error(`redis-server exited with ${process.exitCode}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port} within 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const stop = async (): Promise<void> => {
    const process = child;
    if (process === null) return;
    child = null;
    if (process.exitCode === null) {
      const exited = once(process, 'exit');
      process.kill('SIGKILL');
      await exited;
    }
  };

  await start();
  return { url: `redis://127.0.0.1:${port}`, port, stop, start };
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('error', () => resolve(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
  });
}
