import { request as httpRequest } from 'node:http';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/**
 * Sends a body in chunks over a raw HTTP/1.1 request, for what fetch cannot do:
 * omit Content-Length (chunked), or stop sending midway. Resolves with the
 * response even when the server answers before the body is complete.
 */
export function sendChunked(
  url: string,
  options: { method?: string; headers?: Record<string, string>; chunks: AsyncIterable<Buffer> | Iterable<Buffer>; abortAfterChunks?: number },
): Promise<RawResponse | 'connection-reset'> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'PUT', headers: options.headers });
    let settled = false;
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () => {
        settled = true;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) });
      });
      res.on('error', () => !settled && resolve('connection-reset'));
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (settled) return;
      if (['ECONNRESET', 'EPIPE', 'ECONNABORTED'].includes(error.code ?? '')) resolve('connection-reset');
      else reject(error);
    });
    void (async () => {
      let sent = 0;
      for await (const chunk of options.chunks) {
        if (settled || req.destroyed) return;
        if (options.abortAfterChunks !== undefined && sent >= options.abortAfterChunks) {
          req.destroy();
          settled = true;
          resolve('connection-reset');
          return;
        }
        const ok = req.write(chunk);
        sent += 1;
        if (!ok) await new Promise((r) => req.once('drain', r));
      }
      req.end();
    })().catch((error: unknown) => !settled && reject(error));
  });
}

export async function* repeatChunks(chunk: Buffer, count: number, delayMs = 0): AsyncGenerator<Buffer> {
  for (let i = 0; i < count; i++) {
    yield chunk;
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
  }
}
