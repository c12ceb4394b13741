import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';

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

/**
 * GETs `path` over a raw socket and resets the connection (TCP RST) as soon as
 * `stopAfter` bytes of the body have arrived (the whole body when undefined),
 * the way load generators and impatient clients hang up.
 */
export async function getAndReset(url: string, path: string, stopAfter?: number): Promise<{ status: number; received: number }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: keep-alive\r\n\r\n`);
  let head = Buffer.alloc(0);
  let status = 0;
  let length = -1;
  let received = 0;
  return new Promise((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      if (length < 0) {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        const text = head.subarray(0, end).toString('latin1');
        status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
        length = Number(/\r\ncontent-length: (\d+)/i.exec(text)?.[1] ?? 0);
        received = head.length - end - 4;
      } else {
        received += chunk.length;
      }
      if (received >= Math.min(stopAfter ?? length, length)) {
        socket.resetAndDestroy();
        resolve({ status, received });
      }
    });
  });
}

export interface RawExchange {
  /** The response the server wrote before it closed the connection, if it wrote one. */
  response: RawResponse | null;
  /** 'closed': the server closed the connection (FIN or reset); 'open': it was still open when we gave up. */
  connection: 'closed' | 'open';
}

/**
 * Opens a raw TCP connection, lets `send` write whatever it wants (a malformed request, half a body,
 * headers one by one) and waits for the server to close the connection, for what fetch cannot do:
 * stall, or send what is not HTTP. Gives up after `giveUpMs` (then `connection` is 'open').
 */
export function exchangeRaw(url: string, send: (socket: Socket) => unknown, giveUpMs = 20_000): Promise<RawExchange> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  const received: Buffer[] = [];
  return new Promise((resolve) => {
    let done = false;
    const finish = (connection: RawExchange['connection']): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ response: parseRawResponse(Buffer.concat(received)), connection });
    };
    const timer = setTimeout(() => finish('open'), giveUpMs);
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('close', () => finish('closed'));
    socket.on('error', () => finish('closed'));
    socket.on('connect', () => void send(socket));
  });
}

/** The first HTTP/1.1 response in `bytes`, or null when there is none. */
export function parseRawResponse(bytes: Buffer): RawResponse | null {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [statusLine, ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = headers['content-length'] === undefined ? bytes.length : Number(headers['content-length']);
  return { status, headers, body: bytes.subarray(end + 4, end + 4 + length) };
}
