import { describe, expect, it } from 'vitest';
import { traceOf } from '../../pipeline/test/trial-runner.fake.js';
import { OWN_TRIAL_LIMITS, TrialsBusyError } from '../../sandbox/index.js';
import { FakeTrialPool, FakeTrialVersions } from '../test/trials.fake.js';
import { readOwnTrialInput } from './own-trial-input.js';
import { TrialsService } from './trials.service.js';

function serviceFor(versions: FakeTrialVersions, pool = new FakeTrialPool(async () => traceOf())) {
  return { service: new TrialsService(versions, versions, versions, versions, pool), pool };
}

describe('TrialsService', () => {
  it('serves the stored trial, and 404 trial_not_run for a version without one', async () => {
    const versions = new FakeTrialVersions().add('1.0.0', { trial: traceOf() }).add('1.1.0');
    const { service } = serviceFor(versions);
    expect(await service.storedTrial('acme', 'jwt', '1.0.0')).toMatchObject({ trace: traceOf(), triedAt: new Date('2026-12-04T12:00:00Z') });
    await expect(service.storedTrial('acme', 'jwt', '1.1.0')).rejects.toMatchObject({ status: 404, code: 'trial_not_run' });
  });

  it('runs your configuration on the module within the own-trial limits, under the root id of the host hints', async () => {
    const versions = new FakeTrialVersions().add('1.0.0', { rootId: 'jwt_root' });
    const { service, pool } = serviceFor(versions);
    const input = readOwnTrialInput({ configuration: { header: 'x-api-key' }, requests: [{ method: 'POST', path: '/login', headers: { authorization: 'Bearer x' }, body: '{}' }] });
    expect(await service.ownTrial('acme', 'jwt', '1.0.0', input)).toEqual(traceOf());
    expect(pool.requests[0]).toMatchObject({
      module: new TextEncoder().encode('sha256:1.0.0'),
      configurations: [{ name: 'yours', text: '{"header":"x-api-key"}' }],
      rootId: 'jwt_root',
      limits: OWN_TRIAL_LIMITS,
      requests: [{ name: 'POST /login', method: 'POST', path: '/login', headers: [['authorization', 'Bearer x']], body: '{}' }],
    });
    expect(pool.requests[0]).not.toHaveProperty('upstreams');
  });

  it('tries one of the version\'s examples by name, and names the examples when it has no such one', async () => {
    const versions = new FakeTrialVersions().add('1.0.0', { examples: [{ name: 'default', description: null, configuration: { a: 1 } }] });
    const { service, pool } = serviceFor(versions);
    await service.ownTrial('acme', 'jwt', '1.0.0', readOwnTrialInput({ example: 'default' }));
    expect(pool.requests[0]!.configurations).toEqual([{ name: 'yours', text: '{"a":1}' }]);
    await expect(service.ownTrial('acme', 'jwt', '1.0.0', readOwnTrialInput({ example: 'strict' }))).rejects.toMatchObject({
      status: 400,
      extensions: { errors: [{ field: 'body.example', message: '"strict" is not an example of acme/jwt@1.0.0; its examples are: default' }] },
    });
  });

  it('refuses versions that are not ready (409) or not Proxy-Wasm modules (409), and unknown ones (404)', async () => {
    const versions = new FakeTrialVersions().add('1.0.0', { status: 'rejected' }).add('2.0.0', { proxyWasm: false });
    const { service, pool } = serviceFor(versions);
    const input = readOwnTrialInput({});
    await expect(service.ownTrial('acme', 'jwt', '1.0.0', input)).rejects.toMatchObject({ status: 409, code: 'version_not_ready' });
    await expect(service.ownTrial('acme', 'jwt', '2.0.0', input)).rejects.toMatchObject({ status: 409, code: 'not_proxy_wasm' });
    await expect(service.ownTrial('acme', 'jwt', '3.0.0', input)).rejects.toMatchObject({ status: 404, code: 'version_not_found' });
    expect(pool.requests).toEqual([]);
  });

  it('answers 503 trials_busy with when to retry when the pool refuses', async () => {
    const versions = new FakeTrialVersions().add('1.0.0');
    const { service } = serviceFor(versions, new FakeTrialPool(async () => Promise.reject(new TrialsBusyError(2, 4, 3))));
    await expect(service.ownTrial('acme', 'jwt', '1.0.0', readOwnTrialInput({}))).rejects.toMatchObject({
      status: 503,
      code: 'trials_busy',
      extensions: { running: 2, queued: 4, retryAfterSeconds: 3 },
    });
  });

  it('compares a version with the ready one before it, or the one named', async () => {
    const versions = new FakeTrialVersions()
      .add('1.0.0', { imports: ['env.proxy_log'] })
      .add('1.1.0', { status: 'failed' })
      .add('1.2.0', { imports: ['env.proxy_log', 'env.proxy_http_call'] })
      .add('2.0.0', { imports: ['env.proxy_log'] });
    const { service } = serviceFor(versions);
    const diff = await service.capabilityDiff('acme', 'jwt', '1.2.0', undefined);
    expect([diff.from, diff.to]).toEqual(['1.0.0', '1.2.0']);
    expect(diff.imports.flatMap((g) => g.added)).toEqual(['env.proxy_http_call']);
    expect((await service.capabilityDiff('acme', 'jwt', '2.0.0', '1.0.0')).from).toBe('1.0.0');
    await expect(service.capabilityDiff('acme', 'jwt', '1.0.0', undefined)).rejects.toMatchObject({ status: 404, code: 'previous_version_not_found' });
    await expect(service.capabilityDiff('acme', 'jwt', '1.0.0', '1.0.0')).rejects.toMatchObject({ status: 400 });
  });
});
