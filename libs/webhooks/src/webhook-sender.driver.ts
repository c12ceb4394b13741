import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import ipaddr from 'ipaddr.js';
import { addressProblem, guardedLookup } from './target-address.js';

export interface SendOutcome {
  /** The receiver's HTTP status; null when none came back. */
  statusCode: number | null;
  /** Why the attempt failed; null on a 2xx answer. */
  error: string | null;
  durationMs: number;
}

export interface SendOptions {
  timeoutMs: number;
  allowPrivateTargets: boolean;
  /** Read at most this much of an answer; the rest is dropped with the connection. */
  maxResponseBytes: number;
}

/** Answers webhooks read: enough for a status line and a short error body. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * POSTs one delivery. Never follows redirects (a 3xx is a failure), connects
 * only to addresses the SSRF guard allows, and gives up at the deadline
 * whatever stage the exchange is in. Never throws.
 */
export function sendWebhook(url: string, headers: Record<string, string>, body: string, options: SendOptions): Promise<SendOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise<SendOutcome>((resolve) => {
    let settled = false;
    let deadline: NodeJS.Timeout | undefined;
    const finish = (statusCode: number | null, error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve({ statusCode, error, durationMs: elapsed() });
    };
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return finish(null, `not a URL: ${url}`);
    }
    const host = target.hostname.replace(/^\[|\]$/g, '');
    // Node does not look IP literals up, so the guard sees them here.
    if (!options.allowPrivateTargets && ipaddr.isValid(host)) {
      const problem = addressProblem(host);
      if (problem !== null) return finish(null, `refused: ${problem}`);
    }
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(target, {
      method: 'POST',
      headers: { ...headers, 'content-length': Buffer.byteLength(body).toString(), 'user-agent': 'wasm-plugin-registry-webhooks' },
      lookup: guardedLookup(options.allowPrivateTargets),
      agent: false,
    });
    deadline = setTimeout(() => {
      request.destroy();
      finish(null, `no answer within ${options.timeoutMs} ms`);
    }, options.timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => finish(null, error.message.startsWith('refused:') ? error.message : `${error.code ?? 'error'}: ${error.message}`));
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      let read = 0;
      response.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > options.maxResponseBytes) response.destroy();
      });
      const done = () => finish(status, status >= 200 && status < 300 ? null : `HTTP ${status}`);
      response.on('end', done);
      response.on('close', done);
      response.on('error', done);
    });
    request.end(body);
  });
}
