import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

/** A throwaway S3 endpoint with one empty bucket. */
export interface TestS3Server {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Where s3rver keeps the bucket's files. */
  directory: string;
  /** Stops the server and deletes its files. Safe to call twice. */
  stop(): Promise<void>;
  /** Stops listening but keeps the files, as an outage would (in-process servers only). */
  shutDown(): Promise<void>;
  /** Listens again after shutDown, on the same port, with the same files. */
  startUp(): Promise<void>;
}

export interface StartTestS3ServerOptions {
  bucket?: string;
  /**
   * Run s3rver in a child process instead of this one, e.g. to measure this
   * process's memory without the fake server's buffers. Slower to start.
   */
  childProcess?: boolean;
  /**
   * Key prefixes ("uploads/") to hold a placeholder object in. s3rver 3.7.1
   * removes a directory as soon as a delete empties it, which races with a
   * concurrent put into that directory and crashes the server; a placeholder
   * keeps the directory from ever emptying.
   */
  keepPrefixes?: string[];
}

/**
 * Starts s3rver on a free 127.0.0.1 port, storing into a new temporary
 * directory. Credentials are s3rver's built-in S3RVER/S3RVER.
 */
export async function startTestS3Server(options: StartTestS3ServerOptions = {}): Promise<TestS3Server> {
  const server = await startServer(options);
  if (options.keepPrefixes?.length) {
    const client = new S3Client({
      endpoint: server.endpoint,
      region: server.region,
      forcePathStyle: true,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    });
    try {
      for (const prefix of options.keepPrefixes) {
        await client.send(new PutObjectCommand({ Bucket: server.bucket, Key: `${prefix}keep`, Body: 'keeps the directory' }));
      }
    } finally {
      client.destroy();
    }
  }
  return server;
}

async function startServer(options: StartTestS3ServerOptions): Promise<TestS3Server> {
  const bucket = options.bucket ?? 'registry-test';
  const directory = await mkdtemp(join(tmpdir(), 's3rver-test-'));
  if (options.childProcess) return startInChild(bucket, directory);
  allowS3rverContinuationTokens();
  const listen = async (port: number): Promise<{ port: number; close: () => Promise<void> }> => {
    const server = new S3rver({ address: '127.0.0.1', port, silent: true, directory, configureBuckets: [{ name: bucket }] });
    const address = await server.run();
    return {
      port: address.port,
      close: async () => {
        // Clients keep sockets alive; close() alone would wait for them.
        server.httpServer?.closeAllConnections();
        await server.close();
      },
    };
  };
  let running: { port: number; close: () => Promise<void> } | null;
  try {
    running = await listen(0);
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  const { port } = running;
  const close = async (): Promise<void> => {
    const closing = running;
    running = null;
    await closing?.close();
  };
  return describeServer(bucket, directory, port, close, {
    shutDown: close,
    startUp: async () => {
      running ??= await listen(port);
    },
  });
}

const NOT_RESTARTABLE = {
  shutDown: () => Promise.reject(new Error('only an in-process s3rver can be shut down and started again')),
  startUp: () => Promise.reject(new Error('only an in-process s3rver can be shut down and started again')),
};

function describeServer(
  bucket: string,
  directory: string,
  port: number,
  close: () => Promise<void>,
  restart: Pick<TestS3Server, 'shutDown' | 'startUp'> = NOT_RESTARTABLE,
): TestS3Server {
  let stopped: Promise<void> | null = null;
  return {
    ...restart,
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    // s3rver only accepts continuation tokens minted for us-east-1.
    region: 'us-east-1',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    directory,
    stop() {
      stopped ??= (async () => {
        try {
          await close();
        } finally {
          await rm(directory, { recursive: true, force: true });
        }
      })();
      return stopped;
    },
  };
}

/** Runs in the child: prints the port, exits when the parent closes stdin (or dies). */
const CHILD_SCRIPT = `
const [s3rverPath, directory, bucket] = process.argv.slice(-3);
const S3rver = require(s3rverPath);
new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] })
  .run()
  .then((address) => process.stdout.write(JSON.stringify({ port: address.port }) + '\\n'))
  .catch((error) => { console.error(error); process.exit(1); });
process.stdin.on('end', () => process.exit(0)).resume();
`;

async function startInChild(bucket: string, directory: string): Promise<TestS3Server> {
  // The legacy provider gives s3rver the DES cipher its list tokens need.
  const s3rverPath = createRequire(import.meta.url).resolve('s3rver');
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', CHILD_SCRIPT, s3rverPath, directory, bucket], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit').catch(() => undefined);
  try {
    const port = await new Promise<number>((resolvePort, reject) => {
      let output = '';
      child.stdout.setEncoding('utf8').on('data', (text: string) => {
        output += text;
        const line = output.split('\n')[0];
        if (output.includes('\n')) resolvePort((JSON.parse(line!) as { port: number }).port);
      });
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`s3rver child exited with ${code} before listening`)));
    });
    return describeServer(bucket, directory, port, async () => {
      child.stdin.end();
      await exited;
    });
  } catch (error) {
    child.kill();
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
}

let tokensPatched = false;

/**
 * s3rver 3.7.1 encrypts ListObjectsV2 continuation tokens with DES, which the
 * OpenSSL 3 in Node >= 17 refuses unless started with --openssl-legacy-provider,
 * so every truncated listing answers 500. Where DES is missing, have 'des' mean
 * AES-128-CTR (same 8-byte key and IV, stretched): only s3rver asks for 'des',
 * and the token only has to round-trip through s3rver itself.
 */
function allowS3rverContinuationTokens(): void {
  if (tokensPatched) return;
  tokensPatched = true;
  try {
    crypto.createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
    return;
  } catch {
    // DES unavailable: patch below.
  }
  const stretch = (key: crypto.BinaryLike, iv: crypto.BinaryLike | null): [Buffer, Buffer] => {
    const k = Buffer.from(key as Uint8Array);
    const v = Buffer.from((iv ?? Buffer.alloc(8)) as Uint8Array);
    return [Buffer.concat([k, k]).subarray(0, 16), Buffer.concat([v, Buffer.alloc(16)]).subarray(0, 16)];
  };
  const cryptoModule = crypto as unknown as Record<'createCipheriv' | 'createDecipheriv', (...args: unknown[]) => unknown>;
  for (const name of ['createCipheriv', 'createDecipheriv'] as const) {
    const original = cryptoModule[name];
    cryptoModule[name] = (algorithm: unknown, key: unknown, iv: unknown, ...rest: unknown[]) =>
      algorithm === 'des'
        ? original('aes-128-ctr', ...stretch(key as crypto.BinaryLike, iv as crypto.BinaryLike | null))
        : original(algorithm, key, iv, ...rest);
  }
}

/** The registry's environment for storing in this server. */
export function registryS3Env(server: TestS3Server): Record<string, string> {
  return {
    STORAGE_DRIVER: 's3',
    S3_ENDPOINT: server.endpoint,
    S3_BUCKET: server.bucket,
    S3_REGION: server.region,
    S3_ACCESS_KEY_ID: server.accessKeyId,
    S3_SECRET_ACCESS_KEY: server.secretAccessKey,
  };
}
