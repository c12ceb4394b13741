/** A service the registry needs and does not run itself. */
export type Dependency = 'database' | 'object storage' | 'job queue';

/** How long a client is told to wait before trying again while a dependency is down. */
export const RETRY_AFTER_SECONDS = 5;

// Prisma: can't reach the server (P1001), timed out reaching it (P1002), operation timed out (P1008),
// server closed the connection (P1017), pool timeout (P2024), could not start a transaction in time
// (P2028: every connection busy), write conflict or deadlock after the server's own retries (P2034).
const PRISMA_UNAVAILABLE = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028', 'P2034']);
// What @prisma/adapter-pg reports in meta.driverAdapterError.cause.kind.
const ADAPTER_UNAVAILABLE = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'TransactionWriteConflict']);
// SQLSTATE classes 08 (connection exception), 53 (insufficient resources), 57P0x (shutdown, crash
// recovery, cannot connect now), and 40001/40P01 (serialization failure, deadlock) once retries ran out.
const SQLSTATE_UNAVAILABLE = /^(08...|53...|57P0[1-4]|40001|40P01)$/;
// node-postgres' own words when a connection dies under it (a plain Error with no code).
const PG_CONNECTION_LOST = /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|Client was closed)/;
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
// ioredis without an offline queue, or out of retries; BullMQ passes them through.
const REDIS_UNAVAILABLE = /^(Stream isn't writeable and enableOfflineQueue options is false|Connection is closed\.|Reached the max retries per request limit)/;

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  errno?: unknown;
  syscall?: unknown;
  severity?: unknown;
  clientVersion?: unknown;
  meta?: { driverAdapterError?: { cause?: { kind?: unknown; code?: unknown; originalCode?: unknown } } };
  cause?: unknown;
  errors?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $fault?: unknown;
  $retryable?: unknown;
}

/**
 * Which dependency an error says is down (unreachable, restarting, overloaded, or its connection
 * was cut), or null when the error is about something else. The error's own message is never
 * shown to clients: it can hold host names and ports.
 */
export function unavailableDependency(error: unknown, depth = 0): Dependency | null {
  if (typeof error !== 'object' || error === null || depth > 4) return null;
  const e = error as ErrorLike;
  const message = typeof e.message === 'string' ? e.message : '';
  const code = typeof e.code === 'string' ? e.code : '';

  if (e.$metadata !== undefined && typeof e.$metadata === 'object') {
    // An AWS SDK error: a socket error the SDK gave up retrying, a 5xx (SlowDown is a 503), or one it marks retryable.
    const status = e.$metadata?.httpStatusCode;
    if (typeof status === 'number' && status >= 500) return 'object storage';
    if (e.$retryable !== undefined && e.$retryable !== null) return 'object storage';
    if (SOCKET_CODES.has(code) || e.name === 'TimeoutError') return 'object storage';
    return null;
  }
  if (typeof e.clientVersion === 'string') {
    // A Prisma error.
    if (PRISMA_UNAVAILABLE.has(code)) return 'database';
    const cause = e.meta?.driverAdapterError?.cause;
    if (cause !== undefined) {
      if (typeof cause.kind === 'string' && ADAPTER_UNAVAILABLE.has(cause.kind)) return 'database';
      const sqlState = typeof cause.originalCode === 'string' ? cause.originalCode : cause.code;
      if (typeof sqlState === 'string' && SQLSTATE_UNAVAILABLE.test(sqlState)) return 'database';
      return null;
    }
    if (PG_CONNECTION_LOST.test(message) || e.name === 'PrismaClientInitializationError') return 'database';
    return null;
  }
  if (typeof e.severity === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    // node-postgres' DatabaseError, used without Prisma (LISTEN, the pool).
    return SQLSTATE_UNAVAILABLE.test(code) ? 'database' : null;
  }
  if (PG_CONNECTION_LOST.test(message)) return 'database';
  if (REDIS_UNAVAILABLE.test(message) || e.name === 'MaxRetriesPerRequestError') return 'job queue';
  if (e.cause !== undefined) return unavailableDependency(e.cause, depth + 1);
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const found = unavailableDependency(inner, depth + 1);
      if (found !== null) return found;
    }
  }
  return null;
}

/** A short description for the log: class, code and kind, never the message (it can name hosts). */
export function describeDependencyError(error: unknown): string {
  const e = (error ?? {}) as ErrorLike;
  const parts = [typeof e.name === 'string' ? e.name : 'Error'];
  if (typeof e.code === 'string') parts.push(e.code);
  const cause = e.meta?.driverAdapterError?.cause;
  if (cause !== undefined) parts.push(String(cause.kind ?? ''), String(cause.originalCode ?? cause.code ?? ''));
  if (typeof e.$metadata?.httpStatusCode === 'number') parts.push(String(e.$metadata.httpStatusCode));
  return parts.filter((p) => p !== '' && p !== 'undefined').join(' ');
}
