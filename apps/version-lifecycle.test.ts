import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database, applyMigrations } from '../libs/db/index.js';
import { startPostgres, type PostgresServer } from '../testing/postgres-server.js';
import { PipelineRepository, summarizeTrial } from '../libs/pipeline/index.js';
import { traceOf } from '../libs/pipeline/test/trial-runner.fake.js';
import { toVersionRecord, versionRecordQuery, VersionsRepository, type VersionCoordinates } from '../libs/versions/index.js';
import { VERSION_LIFECYCLE_HOOKS } from './version-hooks.js';

const migrationsDir = fileURLToPath(new URL('../prisma/migrations', import.meta.url));
const admin = { name: 'admin', tokenId: null };

const DATABASES: [string, () => Promise<{ db: Database; stop: () => Promise<void> }>][] = [
  ['PGlite', async () => {
    const db = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
    return { db, stop: () => db.close() };
  }],
  ['PostgreSQL', async () => {
    const server: PostgresServer = await startPostgres();
    const db = await openDatabase({ kind: 'postgres', url: server.url }, { poolSize: 12 });
    return { db, stop: async () => { await db.close(); await server.stop(); } };
  }],
];

describe.each(DATABASES)('VersionsRepository with the registry hooks (%s)', (_name, open) => {
  let db: Database;
  let stop: () => Promise<void>;
  let versions: VersionsRepository;

  beforeAll(async () => {
    ({ db, stop } = await open());
    await applyMigrations(db, migrationsDir);
    versions = new VersionsRepository(db, VERSION_LIFECYCLE_HOOKS.map((Hook) => new Hook()));
  });
  afterAll(async () => {
    await stop?.();
  });

  let plugins = 0;
  /** A new plugin of namespace `owner`. */
  async function newPlugin(): Promise<{ id: string; namespace: string; name: string }> {
    const namespace = await db.prisma.namespace.upsert({ where: { name: 'owner' }, create: { name: 'owner' }, update: {} });
    const plugin = await db.prisma.plugin.create({ data: { namespaceId: namespace.id, name: `p${++plugins}` } });
    return { id: plugin.id, namespace: 'owner', name: plugin.name };
  }

  /** Publishes as PublishService does: the protocol's locks, then create. */
  async function publish(plugin: { id: string; namespace: string; name: string }, version: string, digest = `sha256:${version.replace(/\D/g, '').padStart(64, '0')}`) {
    const coordinates: VersionCoordinates = { namespace: plugin.namespace, plugin: plugin.name, version };
    return versions.transaction(async (tx) => {
      await tx.lockVersion(coordinates);
      await tx.lockDigest(digest);
      await tx.lockPlugin(plugin.id);
      return tx.create(admin, { pluginId: plugin.id, version, digest, size: 8, storageKey: `blobs/sha256/${digest.slice(7)}`, declaredDependencies: null });
    });
  }

  const auditActions = async (version: string, plugin: string) =>
    (await db.prisma.auditEvent.findMany({ where: { plugin, version }, orderBy: { id: 'asc' } })).map((e) => e.action);

  it('creates a version with its blob row, steps and first outbox round, and runs the hooks', async () => {
    const plugin = await newPlugin();
    const created = await publish(plugin, '1.0.0');
    expect(created).toMatchObject({ namespace: 'owner', plugin: plugin.name, version: '1.0.0', status: 'pending' });
    expect(await db.prisma.blob.count({ where: { digest: created.digest } })).toBe(1);
    expect((await db.prisma.pipelineStep.findMany({ where: { versionId: created.id } })).map((s) => s.step).sort()).toEqual(['analysis', 'sbom', 'signature', 'trial']);
    expect(await db.prisma.outboxEntry.findMany({ where: { versionId: created.id }, select: { jobId: true, origin: true } })).toEqual([{ jobId: `version-${created.id}-1`, origin: 'publish' }]);
    expect(await auditActions('1.0.0', plugin.name)).toEqual(['version.published']);
  });

  it('marks ready once, refreshing the catalog and storing OCI manifests in the same transaction', async () => {
    const plugin = await newPlugin();
    const created = await publish(plugin, '1.0.0');
    expect(await versions.markReady(created.id, new Date())).toBe(true);
    expect(await versions.markReady(created.id, new Date())).toBe(false);
    expect((await db.prisma.plugin.findUniqueOrThrow({ where: { id: plugin.id } })).latestVersionId).toBe(created.id);
    expect(await db.prisma.ociManifest.count({ where: { versionId: created.id } })).toBeGreaterThan(0);
    expect(await auditActions('1.0.0', plugin.name)).toEqual(['version.published', 'version.ready']);
  });

  it('re-runs any version that is not ready: a new round, unfinished steps reset; a rejected one is analysed again', async () => {
    const plugin = await newPlugin();
    const coordinates = { namespace: plugin.namespace, plugin: plugin.name, version: '1.0.0' };
    const created = await publish(plugin, '1.0.0');
    await db.prisma.pipelineStep.updateMany({ where: { versionId: created.id }, data: { state: 'done', attempts: 1 } });
    await db.prisma.version.update({ where: { id: created.id }, data: { status: 'rejected', statusReason: 'policy', analyzedAt: new Date() } });

    const retried = await versions.retry(coordinates, admin);
    expect(retried).toMatchObject({ status: 'pending', statusReason: null, analyzedAt: null });
    expect((await db.prisma.pipelineStep.findMany({ where: { versionId: created.id } })).map((s) => [s.state, s.attempts])).toEqual([
      ['pending', 0],
      ['pending', 0],
      ['pending', 0],
      ['pending', 0],
    ]);
    // Pending (its work may be lost) is retried too; a ready version is not.
    expect(await versions.retry(coordinates, admin)).toMatchObject({ status: 'pending' });
    expect((await db.prisma.outboxEntry.findMany({ where: { versionId: created.id }, orderBy: { id: 'asc' } })).map((o) => [o.jobId, o.origin])).toEqual([
      [`version-${created.id}-1`, 'publish'],
      [`version-${created.id}-2`, 'retry'],
      [`version-${created.id}-3`, 'retry'],
    ]);
    await versions.markReady(created.id, new Date());
    expect(await versions.retry(coordinates, admin)).toBe('ready');
    expect(await versions.retry({ ...coordinates, version: '9.9.9' }, admin)).toBe('not_found');
  });

  it('keeps the first trial stored, and shows it in brief with the version', async () => {
    const plugin = await newPlugin();
    const created = await publish(plugin, '1.0.0');
    const first = traceOf();
    await versions.recordTrial(created.id, { trace: first, summary: summarizeTrial(first), rejectedBecause: null }, new Date('2026-12-04T10:00:00Z'));
    const second = traceOf({ elapsedMs: 999, cost: null });
    await versions.recordTrial(created.id, { trace: second, summary: summarizeTrial(second), rejectedBecause: null }, new Date());
    expect(await versions.findTrial(created.id)).toEqual({ trace: first, triedAt: new Date('2026-12-04T10:00:00Z') });
    expect((await versions.findVersionById(created.id))?.trial).toEqual({
      started: true, configurationsAccepted: 1, configurationsTried: 1, findings: [], medianMicros: 38, p95Micros: 61, triedAt: new Date('2026-12-04T10:00:00Z'),
    });
    expect((await versions.findVersionById(created.id))?.status).toBe('pending');
  });

  it('rejects a version the policy rejects for its trial, skipping the later steps; a retry tries it again', async () => {
    const plugin = await newPlugin();
    const coordinates = { namespace: plugin.namespace, plugin: plugin.name, version: '1.0.0' };
    const created = await publish(plugin, '1.0.0');
    const trace = traceOf({ findings: [{ code: 'trial_start_failed', message: 'proxy_on_vm_start trapped' }] });
    await versions.recordTrial(created.id, { trace, summary: summarizeTrial(trace), rejectedBecause: 'proxy_on_vm_start trapped' }, new Date());
    expect(await versions.findVersion(coordinates)).toMatchObject({ status: 'rejected', statusReason: 'proxy_on_vm_start trapped' });
    const states = await db.prisma.pipelineStep.findMany({ where: { versionId: created.id }, orderBy: { step: 'asc' } });
    expect(states.map((s) => [s.step, s.state])).toEqual([['analysis', 'pending'], ['sbom', 'skipped'], ['signature', 'skipped'], ['trial', 'pending']]);
    expect(await auditActions('1.0.0', plugin.name)).toEqual(['version.published', 'version.rejected']);

    expect(await versions.retry(coordinates, admin)).toMatchObject({ status: 'pending', trial: null });
    expect(await versions.findTrial(created.id)).toBeNull();
  });

  it('reads a version in one statement as Prisma reads it with its relations, with and without a contract, trial and analysis', async () => {
    const plugin = await newPlugin();
    await db.prisma.plugin.update({ where: { id: plugin.id }, data: { description: 'd', license: 'MIT', keywords: ['jwt', 'auth'], categories: ['security'] } });
    const bare = await publish(plugin, '1.0.0');
    const digest = `sha256:${'7'.padStart(64, '0')}`;
    const full = await versions.transaction(async (tx) => {
      await tx.lockVersion({ namespace: plugin.namespace, plugin: plugin.name, version: '2.0.0-rc.1' });
      await tx.lockDigest(digest);
      await tx.lockPlugin(plugin.id);
      return tx.create(admin, {
        pluginId: plugin.id, version: '2.0.0-rc.1', digest, size: 123_456, storageKey: `blobs/sha256/${digest.slice(7)}`,
        declaredDependencies: { packages: [{ purl: 'pkg:cargo/serde@1.0.0' }] },
        contract: {
          source: 'manifest',
          readme: { markdown: '# r', html: '<h1>r</h1>', digest: 'sha256:aa' },
          configSchema: { json: '{"type":"object"}', dialect: '2020-12', digest: 'sha256:bb' },
          examples: { json: '[]', names: ['basic', 'strict'], digest: 'sha256:cc' },
          hostHints: { filterType: 'http', rootId: 'root', istioPhase: 'AUTHN', istioPriority: 10, minHostVersions: { envoy: '1.26' } },
        },
      });
    });
    const analysis = { report: { kind: 'module', findings: [] }, decision: { status: 'accepted', reasons: [], warnings: [] } };
    await versions.recordAnalysis(full.id, {
      analysis: analysis as never, summary: { kind: 'module', findings: 2 } as never, kind: 'module', abiVersion: '0.2.1', languages: ['rust'], hosts: ['envoy'], rejectedBecause: null,
    }, new Date('2026-12-05T10:00:00.123Z'));
    const trace = traceOf({ elapsedMs: 12.5 });
    await versions.recordTrial(full.id, { trace, summary: summarizeTrial(trace), rejectedBecause: null }, new Date('2026-12-05T10:00:01.456Z'));
    await versions.markReady(full.id, new Date('2026-12-05T10:00:02.789Z'));
    await versions.setYanked({ namespace: plugin.namespace, plugin: plugin.name, version: '2.0.0-rc.1' }, { reason: 'bad', advisoryId: null }, admin, new Date('2026-12-05T11:00:00Z'));

    for (const created of [bare, full]) {
      const row = await db.prisma.version.findUniqueOrThrow({ where: { id: created.id }, include: { ...versionRecordQuery.include, plugin: { include: { namespace: true } }, steps: true } });
      const viaPrisma = toVersionRecord(row);
      const coordinates = { namespace: plugin.namespace, plugin: plugin.name, version: created.version };
      expect(await versions.findVersionById(created.id)).toEqual(viaPrisma);
      expect(await versions.findVersion(coordinates)).toEqual(viaPrisma);
      const toProcess = await versions.findToProcess(created.id);
      expect(toProcess).toEqual({
        ...viaPrisma,
        metadata: { description: row.plugin.description, license: row.plugin.license, homepage: row.plugin.homepage, repository: row.plugin.repository, keywords: row.plugin.keywords, categories: row.plugin.categories },
        analysis: row.analysis,
        declaredDependencies: row.declaredDependencies,
        steps: expect.any(Array),
      });
      expect(toProcess?.steps.map((s) => s.step)).toEqual(['analysis', 'trial', 'sbom', 'signature']);
    }
    const read = await versions.findVersionById(full.id);
    expect(read).toMatchObject({ size: 123_456, status: 'ready', abiVersion: '0.2.1', yankReason: 'bad', contract: { exampleNames: ['basic', 'strict'], hostHints: { istioPriority: 10 } }, trial: { started: true } });
    expect((await versions.findToProcess(full.id))?.analysis).toEqual(analysis);
    expect(await versions.findVersionById('00000000-0000-0000-0000-000000000000')).toBeNull();
    expect(await versions.findVersion({ namespace: plugin.namespace, plugin: plugin.name, version: '9.9.9' })).toBeNull();
  });

  it('starts and finishes a step the version has no row for (published before the step existed)', async () => {
    const plugin = await newPlugin();
    const created = await publish(plugin, '1.0.0');
    await db.prisma.pipelineStep.delete({ where: { versionId_step: { versionId: created.id, step: 'trial' } } });
    const pipeline = new PipelineRepository(db);
    await pipeline.startStep(created.id, 'trial', new Date());
    expect(await db.prisma.pipelineStep.findUnique({ where: { versionId_step: { versionId: created.id, step: 'trial' } } })).toMatchObject({ state: 'running', attempts: 1 });
    await pipeline.finishStep(created.id, 'trial', 'done', new Date());
    expect((await versions.findToProcess(created.id))?.steps.map((s) => [s.step, s.state])).toEqual([
      ['analysis', 'pending'], ['trial', 'done'], ['sbom', 'pending'], ['signature', 'pending'],
    ]);
    await db.prisma.pipelineStep.delete({ where: { versionId_step: { versionId: created.id, step: 'trial' } } });
    await pipeline.finishStep(created.id, 'trial', 'skipped', new Date());
    expect((await versions.findToProcess(created.id))?.steps.find((s) => s.step === 'trial')?.state).toBe('skipped');
  });

  it('dispatches lost work again once, and gives up after the bound of lost rounds in a row', async () => {
    const plugin = await newPlugin();
    const created = await publish(plugin, '1.0.0');
    await db.prisma.outboxEntry.updateMany({ where: { versionId: created.id }, data: { dispatchedAt: new Date(Date.now() - 60_000) } });
    const [round] = await versions.findDispatchedRounds(new Date(), 100).then((r) => r.filter((x) => x.versionId === created.id));
    expect(round).toMatchObject({ jobId: `version-${created.id}-1` });
    // Two reconcilers saw the same lost round: only one dispatches it again.
    expect(await Promise.all([versions.redispatchLost(round!, 3), versions.redispatchLost(round!, 3)]).then((o) => o.sort())).toEqual(['redispatched', 'skipped']);
    expect(await db.prisma.outboxEntry.count({ where: { versionId: created.id } })).toBe(2);

    const lose = async () => {
      await db.prisma.outboxEntry.updateMany({ where: { versionId: created.id }, data: { dispatchedAt: new Date(Date.now() - 60_000) } });
      const [latest] = (await versions.findDispatchedRounds(new Date(), 100)).filter((x) => x.versionId === created.id);
      return versions.redispatchLost(latest!, 3);
    };
    expect(await lose()).toBe('redispatched');
    expect(await lose()).toBe('gave_up');
    const failed = await versions.findVersion({ namespace: plugin.namespace, plugin: plugin.name, version: '1.0.0' });
    expect(failed).toMatchObject({ status: 'failed', statusReason: expect.stringContaining('lost 3 time(s) in a row') });
  });

  it('leaves a version alone whose latest round was not dispatched yet, or recently', async () => {
    const plugin = await newPlugin();
    const undispatched = await publish(plugin, '1.0.0');
    const recent = await publish(plugin, '2.0.0');
    await db.prisma.outboxEntry.updateMany({ where: { versionId: recent.id }, data: { dispatchedAt: new Date() } });
    const found = (await versions.findDispatchedRounds(new Date(Date.now() - 10_000), 100)).map((r) => r.versionId);
    expect(found).not.toContain(undispatched.id);
    expect(found).not.toContain(recent.id);
  });

  it('publishes 100 versions of one plugin, 6 at a time, while marking them ready: no deadlock reaches the caller', { timeout: 180_000 }, async () => {
    const plugin = await newPlugin();
    const numbers = Array.from({ length: 100 }, (_, i) => `1.${i}.0`);
    const errors: unknown[] = [];
    const readying: Promise<unknown>[] = [];
    let next = 0;
    const publisher = async () => {
      while (next < numbers.length) {
        const version = numbers[next++]!;
        try {
          const created = await publish(plugin, version);
          // Marked ready while other versions of the plugin are being published.
          readying.push(versions.markReady(created.id, new Date()).catch((error: unknown) => errors.push(error)));
        } catch (error) {
          errors.push(error);
        }
      }
    };
    await Promise.all(Array.from({ length: 6 }, publisher));
    await Promise.all(readying);
    expect(errors.map(String)).toEqual([]);
    const statuses = await db.prisma.version.groupBy({ by: ['status'], where: { pluginId: plugin.id }, _count: true });
    expect(statuses).toEqual([{ status: 'ready', _count: 100 }]);
    const latest = await db.prisma.plugin.findUniqueOrThrow({ where: { id: plugin.id }, include: { latestVersion: true } });
    expect(latest.latestVersion?.version).toBe('1.99.0');
  });
});
