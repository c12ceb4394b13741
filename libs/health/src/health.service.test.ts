import { afterEach, describe, expect, it, vi } from 'vitest';
import { RegistryError } from '../../domain/index.js';
import { CHECK_TIMEOUT_MS, HealthService, type DatabaseHealth, type StorageHealth } from './health.service.js';

/** A dependency that answers, fails, or never answers, as the test says. */
function dependency(kind: string, state: 'up' | 'down' | 'hung') {
  const answer = (): Promise<void> =>
    state === 'up' ? Promise.resolve() : state === 'down' ? Promise.reject(new Error(`connect ECONNREFUSED\n    at stack`)) : new Promise<void>(() => undefined);
  return { kind, ping: answer, check: answer };
}

const newTestService = (database: 'up' | 'down' | 'hung', storage: 'up' | 'down' | 'hung') =>
  new HealthService(dependency('postgres', database) as DatabaseHealth, dependency('s3', storage) as StorageHealth);

async function refusal(work: Promise<unknown>): Promise<RegistryError> {
  const error = await work.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(RegistryError);
  return error as RegistryError;
}

describe('HealthService', () => {
  afterEach(() => void vi.useRealTimers());

  it('is ready when the database and storage both answer', async () => {
    expect(await newTestService('up', 'up').ready()).toEqual({ status: 'ok', checks: { database: { status: 'ok', kind: 'postgres' }, storage: { status: 'ok', kind: 's3' } } });
  });

  it('is not ready (503) when the database is down, naming it and not the storage', async () => {
    const error = await refusal(newTestService('down', 'up').ready());
    expect(error).toMatchObject({ status: 503, code: 'not_ready' });
    expect(error.detail).toBe('database (postgres) is unreachable: connect ECONNREFUSED');
    expect(error.extensions.checks).toEqual({ database: { status: 'failing', kind: 'postgres' }, storage: { status: 'ok', kind: 's3' } });
  });

  it('is not ready when storage is down', async () => {
    const error = await refusal(newTestService('up', 'down').ready());
    expect(error).toMatchObject({ status: 503, code: 'not_ready' });
    expect(error.detail).toMatch(/^storage \(s3\) is unreachable/);
  });

  it(`is not ready when a dependency does not answer within ${CHECK_TIMEOUT_MS} ms, rather than hanging the probe`, async () => {
    vi.useFakeTimers();
    const ready = refusal(newTestService('hung', 'up').ready());
    await vi.advanceTimersByTimeAsync(CHECK_TIMEOUT_MS);
    const error = await ready;
    expect(error).toMatchObject({ status: 503 });
    expect(error.detail).toBe(`database (postgres) is unreachable: no answer within ${CHECK_TIMEOUT_MS} ms`);
  });

  it('stays live while its dependencies are down: restarting the process would not bring them back', () => {
    expect(newTestService('down', 'down').live()).toEqual({ status: 'ok' });
  });
});
