import { Inject, Injectable, Optional } from '@nestjs/common';
import { STORAGE_DRIVER } from '../../blobs/index.js';
import { DATABASE, type Database } from '../../db/index.js';
import { RegistryError } from '../../domain/index.js';
import { RETRY_AFTER_SECONDS } from '../../http/index.js';
import type { StorageDriver } from '../../storage/index.js';
import type { LiveView, ReadyChecks, ReadyView } from './health.views.js';

/** What readiness asks of the database and of storage: which one is in use, and whether it answers. */
export type DatabaseHealth = Pick<Database, 'kind' | 'ping'>;
export type StorageHealth = Pick<StorageDriver, 'kind' | 'check'>;
/** The job queue, where the process has one (libs/pipeline provides it as QUEUE_HEALTH). */
export interface QueueHealth {
  readonly kind: string;
  ping(): Promise<void>;
}
export const QUEUE_HEALTH = Symbol('QueueHealth');

export const CHECK_TIMEOUT_MS = 3000;

/**
 * Live: the process runs (restart it if not). Ready: it can serve, because the
 * database, storage and (where there is one) the job queue answer (send it traffic only then). A dependency that
 * is down makes the process unready, never dead: restarting would not help.
 */
@Injectable()
export class HealthService {
  constructor(
    @Inject(DATABASE) private readonly database: DatabaseHealth,
    @Inject(STORAGE_DRIVER) private readonly storage: StorageHealth,
    @Optional() @Inject(QUEUE_HEALTH) private readonly queue: QueueHealth | null = null,
  ) {}

  live(): LiveView {
    return { status: 'ok' };
  }

  /** Throws 503 `not_ready` naming each failing part; a check that hangs fails after CHECK_TIMEOUT_MS. */
  async ready(): Promise<ReadyView> {
    const parts: [keyof ReadyChecks, { kind: string }, () => Promise<void>][] = [
      ['database', this.database, () => this.database.ping()],
      ['storage', this.storage, () => this.storage.check()],
    ];
    if (this.queue !== null) parts.push(['queue', this.queue, () => this.queue!.ping()]);
    const results = await Promise.all(parts.map(([, , check]) => withTimeout(check)));
    const checks = {} as ReadyChecks;
    parts.forEach(([name, { kind }], i) => (checks[name] = { status: results[i] === null ? 'ok' : 'failing', kind }));
    const failing = parts.flatMap(([name, { kind }], i) => (results[i] === null ? [] : [`${name} (${kind}) is unreachable: ${results[i]}`]));
    if (failing.length > 0) {
      // The same wait as any request that finds a dependency down.
      throw new RegistryError(503, 'not_ready', 'Not ready', failing.join('; '), { checks, retryAfterSeconds: RETRY_AFTER_SECONDS });
    }
    return { status: 'ok', checks };
  }
}

/** Resolves to null when the check passed, or a short reason. */
async function withTimeout(check: () => Promise<void>): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return null;
  } catch (error) {
    // Prisma's messages start with blank lines and the call; the reason is on the last line (not a stack frame).
    const lines = (error instanceof Error ? error.message : String(error)).split('\n').filter((line) => line.trim() !== '' && !/^\s*at /.test(line));
    return lines.at(-1)?.trim() ?? 'no reason given';
  } finally {
    clearTimeout(timer);
  }
}
