import { setTimeout as sleep } from 'node:timers/promises';
import type { Prisma, PrismaClient } from './generated/client.js';

/** SQLSTATEs a transaction loses to another and may simply run again: serialization failure, deadlock. */
const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);

/**
 * Whether `error` says the transaction lost a conflict with another (PostgreSQL
 * chose it as a deadlock victim, or could not serialise it). Prisma reports it as
 * P2034 through the driver adapter; raw queries and the adapter's own error carry
 * the SQLSTATE further down the cause chain.
 */
export function isTransactionConflict(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== null && typeof e === 'object' && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const fields = e as { code?: unknown; originalCode?: unknown; kind?: unknown; meta?: { code?: unknown; driverAdapterError?: unknown } };
    if (fields.code === 'P2034' || fields.kind === 'TransactionWriteConflict') return true;
    for (const code of [fields.code, fields.originalCode, fields.meta?.code]) {
      if (typeof code === 'string' && RETRYABLE_SQLSTATES.has(code)) return true;
    }
    if (fields.meta?.driverAdapterError !== undefined && isTransactionConflict(fields.meta.driverAdapterError)) return true;
  }
  return false;
}

export interface ConflictRetryOptions {
  /** Runs in all, the first included. */
  attempts?: number;
  /** Upper bound of the first wait; doubles each time, each wait drawn at random below it (full jitter). */
  backoffMs?: number;
}

const DEFAULT_ATTEMPTS = 5;
const DEFAULT_BACKOFF_MS = 25;

/**
 * Runs `work` again when it loses a conflict, with jittered backoff, so that a
 * deadlock or serialization failure never reaches a client. `work` must be safe
 * to run again: a whole transaction (rolled back when it lost), or one statement.
 */
export async function retryOnConflict<T>(work: () => Promise<T>, options: ConflictRetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  const backoffMs = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts || !isTransactionConflict(error)) throw error;
      await sleep(Math.random() * backoffMs * 2 ** (attempt - 1));
    }
  }
}

export interface TransactionOptions extends ConflictRetryOptions {
  maxWait?: number;
  timeout?: number;
}

/** One interactive transaction, run again (from the start) when it loses a conflict. */
export function transaction<T>(prisma: PrismaClient, work: (tx: Prisma.TransactionClient) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  const { attempts, backoffMs, maxWait, timeout } = options;
  // Only what is given: an undefined key would replace the client's default.
  const timeouts = { ...(maxWait !== undefined ? { maxWait } : {}), ...(timeout !== undefined ? { timeout } : {}) };
  return retryOnConflict(() => prisma.$transaction(work, timeouts), { attempts, backoffMs });
}
