import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { STORAGE_DRIVER } from '../../blobs/index.js';
import { DATABASE, type Database } from '../../db/index.js';
import { RegistryError } from '../../domain/index.js';
import { ApiProblems, RETRY_AFTER_SECONDS } from '../../http/index.js';
import type { StorageDriver } from '../../storage/index.js';

class LiveView {
  @ApiProperty({ example: 'ok' })
  status!: string;
}

class CheckView {
  @ApiProperty({ enum: ['ok', 'failing'] })
  status!: 'ok' | 'failing';
  @ApiProperty({ example: 'postgres', description: 'Which implementation is in use.' })
  kind!: string;
}

class ReadyChecks {
  @ApiProperty({ type: CheckView })
  database!: CheckView;
  @ApiProperty({ type: CheckView })
  storage!: CheckView;
}

class ReadyView {
  @ApiProperty({ example: 'ok' })
  status!: string;
  @ApiProperty({ type: ReadyChecks })
  checks!: ReadyChecks;
}

const CHECK_TIMEOUT_MS = 3000;

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(STORAGE_DRIVER) private readonly storage: StorageDriver,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process is up' })
  @ApiOkResponse({ type: LiveView })
  live(): LiveView {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: the database and the storage answer', description: '503 names the failing part.' })
  @ApiOkResponse({ type: ReadyView })
  @ApiProblems(503)
  async ready(): Promise<ReadyView> {
    const [database, storage] = await Promise.all([
      withTimeout(this.database.ping()),
      withTimeout(this.storage.check()),
    ]);
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
        // The same wait as any request that finds a dependency down.
        { checks, retryAfterSeconds: RETRY_AFTER_SECONDS },
      );
    }
    return { status: 'ok', checks };
  }
}

/** Resolves to null when the check passed, or a short reason. */
async function withTimeout(check: Promise<void>): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return null;
  } catch (error) {
    // Prisma's messages start with blank lines and the call; the reason is on the last line.
    const lines = (error instanceof Error ? error.message : String(error)).split('\n').filter((line) => line.trim() !== '');
    return lines.at(-1)?.trim() ?? 'no reason given';
  } finally {
    clearTimeout(timer);
  }
}
