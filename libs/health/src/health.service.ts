import { Inject, Injectable } from '@nestjs/common';
import { STORAGE_DRIVER } from '../../blobs/index.js';
import { DATABASE, type Database } from '../../db/index.js';
import { RegistryError } from '../../domain/index.js';
import type { StorageDriver } from '../../storage/index.js';
import type { LiveView, ReadyChecks, ReadyView } from './health.views.js';

/** What readiness asks of the database and of storage: which one is in use, and whether it answers. */
export type DatabaseHealth = Pick<Database, 'kind' | 'ping'>;
export type StorageHealth = Pick<StorageDriver, 'kind' | 'check'>;

export const CHECK_TIMEOUT_MS = 3000;

/**
 * Live: the process runs (restart it if not). Ready: it can serve, because the
 * database and storage answer (send it traffic only then). A dependency that
 * is down makes the process unready, never dead: restarting would not help.
 */
@Injectable()
export class HealthService {
  constructor(
    @Inject(DATABASE) private readonly database: DatabaseHealth,
    @Inject(STORAGE_DRIVER) private readonly storage: StorageHealth,
  ) {}

  live(): LiveView {
    return { status: 'ok' };
  }

  /** Throws 503 `not_ready` naming each failing part; a check that hangs fails after CHECK_TIMEOUT_MS. */
  async ready(): Promise<ReadyView> {
    const [database, storage] = await Promise.all([withTimeout(() => this.database.ping()), withTimeout(() => this.storage.check())]);
    const checks: ReadyChecks = {
      database: { status: database === null ? 'ok' : 'failing', kind: this.database.kind },
      storage: { status: storage === null ? 'ok' : 'failing', kind: this.storage.kind },
    };
    const failing = Object.entries({ database, storage }).filter(([, error]) => error !== null);
    if (failing.length > 0) {
      throw new RegistryError(
        503,
        'not_ready',
        'Not ready',
        failing.map(([part, error]) => `${part} (${checks[part as keyof ReadyChecks].kind}) is unreachable: ${error}`).join('; '),
        { checks },
      );
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
    return error instanceof Error ? error.message.split('\n')[0]! : String(error);
  } finally {
    clearTimeout(timer);
  }
}
