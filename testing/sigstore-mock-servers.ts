import { createHash, generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fulcioHandler, initializeCA, initializeCTLog, initializeTLog, rekorHandler, type HandlerFn } from '@sigstore/mock';

/**
 * A local Fulcio and Rekor for keyless tests: @sigstore/mock's
 * transport-agnostic handlers behind node:http on 127.0.0.1. Nothing here
 * talks to the public Sigstore instances.
 */
export interface MockSigstore {
  fulcioUrl: string;
  rekorUrl: string;
  /** A TrustedRoot (JSON form) trusting exactly this CA, CT log and Rekor. */
  trustedRoot: Record<string, unknown>;
  /** Requests seen, as `POST /api/v2/signingCert` lines, in order. */
  requests: string[];
  /** Stops both servers. Safe to call twice. */
  stop(): Promise<void>;
}

const FULCIO_PATH = '/api/v2/signingCert';
const REKOR_PATH = '/api/v1/log/entries';

export async function startMockSigstore(): Promise<MockSigstore> {
  const requests: string[] = [];
  // Separate keys for the CA, its CT log and Rekor, as in a real deployment.
  const ctlog = await initializeCTLog(ecKeyPair());
  const ca = await initializeCA(ecKeyPair(), ctlog);
  const fulcio = await listen(fulcioHandler(ca).fn, FULCIO_PATH, requests);
  const rekor = await listen(null, REKOR_PATH, requests);
  // The log signs checkpoints under its host name, so it needs the URL first.
  const tlog = await initializeTLog(rekor.url, ecKeyPair());
  rekor.setHandler(rekorHandler(tlog).fn);

  const start = new Date(Date.now() - 60 * 60 * 1000).toISOString();
  const b64 = (bytes: ArrayBufferView) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  const log = (baseUrl: string, publicKey: Buffer, logId: ArrayBufferView) => ({
    baseUrl,
    hashAlgorithm: 'SHA2_256',
    publicKey: { rawBytes: publicKey.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
    logId: { keyId: b64(logId) },
  });
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [log(rekor.url, tlog.publicKey, createHash('sha256').update(tlog.publicKey).digest())],
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: fulcio.url,
        certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
        validFor: { start },
      },
    ],
    ctlogs: [log(fulcio.url, ctlog.publicKey, ctlog.logID)],
    timestampAuthorities: [],
  };

  let stopped: Promise<void> | undefined;
  return {
    fulcioUrl: fulcio.url,
    rekorUrl: rekor.url,
    trustedRoot,
    requests,
    stop: () => (stopped ??= Promise.all([close(fulcio.server), close(rekor.server)]).then(() => undefined)),
  };
}

/** An unsigned JWT: the mock Fulcio decodes the claims without checking a signature. */
export function fakeIdentityToken(claims: { iss: string; sub: string; [claim: string]: unknown }): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ aud: 'sigstore', iat: now, exp: now + 600, ...claims })}.`;
}

function ecKeyPair() {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

async function listen(
  initial: HandlerFn | null,
  path: string,
  requests: string[],
): Promise<{ server: Server; url: string; setHandler(fn: HandlerFn): void }> {
  let handler = initial;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push(`${req.method} ${req.url}`);
      if (req.method !== 'POST' || req.url !== path || !handler) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not found"}');
        return;
      }
      handler(Buffer.concat(chunks).toString('utf8')).then(
        ({ statusCode, response, contentType }) => {
          res.writeHead(statusCode, { 'content-type': contentType ?? 'text/plain' });
          res.end(typeof response === 'string' ? response : Buffer.from(response.buffer, response.byteOffset, response.byteLength));
        },
        (error: unknown) => res.writeHead(500).end(String(error)),
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, setHandler: (fn) => (handler = fn) };
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
