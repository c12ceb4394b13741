// npm run seed: fills an empty registry with the demo catalog (scripts/demo-catalog):
// plugins in every category from several publishers, a few versions each built
// from source with its README (and for many a configuration schema, examples and
// host hints: demo-catalog/contracts.ts), a yank, a deprecation and eight weeks
// of download history.
// It boots the real API in-process on the configured database and storage and
// publishes over HTTP, so every version goes through the pipeline like any other.
import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApiApplication } from '../apps/api/src/http-server.js';
import { generateTokenSecret, hashTokenSecret, visiblePrefix, TokensRepository } from '../libs/tokens/index.js';
import { ConfigError, loadConfig, type RegistryConfig } from '../libs/config/index.js';
import { openDatabase, type Database, DATABASE } from '../libs/db/index.js';
import { DEMO_PLUGINS, NAMESPACES, projectLinks, TOOLCHAINS, type DemoPlugin } from './demo-catalog/catalog.js';
import { authoredContractOf, demoContract } from './demo-catalog/contracts.js';
import { downloadHistory, releaseTimes } from './demo-catalog/download-history.js';
import { buildPluginModule } from './demo-catalog/plugin-module.js';
import { RegistryClient, type VersionState } from './demo-catalog/registry-client.js';
import { DownloadsRepository, type DownloadCountDelta } from '../libs/downloads/index.js';
import { PluginsRepository } from '../libs/plugins/index.js';

const HISTORY_DAYS = 56;
/** Plugins published at once: enough to keep the pipeline busy on two cores. */
const PUBLISHERS = 4;
const WAIT_SECONDS = 60;
const SEED_ACTOR = { name: 'npm run seed', tokenId: null };

const log = (line: string): void => void process.stdout.write(`${line}\n`);
const count = (n: number): string => n.toLocaleString('en-US').replaceAll(',', ' ');

/** A refusal or failure with a message for the user; the exit code is 1. */
class SeedError extends Error {}

async function main(): Promise<number> {
  if (process.argv.length > 2) {
    console.error('usage: npm run seed   (configured like `npm start`: DATA_DIR, or DATABASE_URL / STORAGE_DRIVER / REDIS_URL …)');
    return 2;
  }
  let config: RegistryConfig;
  try {
    // The API's request logs would drown the progress lines; LOG_LEVEL still wins.
    config = loadConfig({ LOG_LEVEL: 'warn', ...process.env });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 78; // EX_CONFIG, as the server
    }
    throw error;
  }

  const started = Date.now();
  log(`Seeding the demo catalog into ${describeTarget(config)}`);
  await refuseUnlessEmpty(config);

  const app = await createApiApplication(config);
  let revokeToken = async (): Promise<void> => {};
  const cleanUp = once(async () => {
    await revokeToken();
    await app.close();
  });
  // Interrupted, the seed still revokes its token and closes the database (releasing PGlite's lock).
  const interrupt = (signal: NodeJS.Signals): void => {
    console.error(`${signal}: stopping; the registry is seeded only in part (seed a fresh DATA_DIR)`);
    cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt).once('SIGTERM', interrupt);
  try {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.getHttpServer().address();
    if (address === null || typeof address === 'string') throw new Error('the API is not listening on a TCP port');
    const admin = await adminToken(app, config);
    revokeToken = admin.revoke;
    const client = new RegistryClient(`http://127.0.0.1:${address.port}`, admin.secret);

    const published = await publishCatalog(client, config);
    const lifecycle = await applyLifecycle(client, published.pending);
    await backdateReleases(app);
    const downloads = await writeDownloadHistory(app);

    const versions = DEMO_PLUGINS.reduce((n, p) => n + p.versions.length, 0);
    log('');
    log(
      `Seeded ${DEMO_PLUGINS.length} plugins, ${versions} versions, ${count(downloads)} downloads over ${HISTORY_DAYS} days ` +
        `(${NAMESPACES.length} namespaces, ${lifecycle}) in ${((Date.now() - started) / 1000).toFixed(1)} s.`,
    );
    if (published.pending > 0) {
      log(
        `${published.pending} versions are still pending: with REDIS_URL set the pipeline runs in separate workers, and none ` +
          `took them within ${WAIT_SECONDS} s. Start one (\`npm run start:worker\`) and they become ready; until then search ` +
          'does not list them. The yanks were skipped: next time, start the workers before seeding.',
      );
    }
    log(`Start the registry with \`npm start\` and open ${config.publicUrl}/api/v1/plugins`);
    if (config.adminToken === null) log('(Without REGISTRY_ADMIN_TOKEN, the first `npm start` prints an admin token.)');
    await cleanUp();
    return 0;
  } catch (error) {
    await cleanUp().catch(() => {});
    throw error;
  }
}

function describeTarget(config: RegistryConfig): string {
  const database = config.database.kind === 'postgres' ? 'PostgreSQL' : `the embedded database at ${config.database.dataDir}`;
  const storage = config.storage.kind === 's3' ? `S3 bucket ${config.storage.bucket}` : config.storage.root;
  return `${database}, modules in ${storage}`;
}

/**
 * The seed makes a demo out of an empty registry and nothing else: it never
 * mixes made-up plugins into real ones. Checked before the API boots, which is
 * also where PGlite's one-process lock shows whether the server is running.
 */
async function refuseUnlessEmpty(config: RegistryConfig): Promise<void> {
  let database;
  try {
    database = await openDatabase(config.database, { poolSize: 1 });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (config.database.kind === 'pglite' && message.includes('already open')) {
      throw new SeedError(
        `The embedded database at ${config.database.dataDir} is in use by another process, most likely the registry itself: ` +
          `PGlite allows one process at a time. Stop npm start first, then run npm run seed again.\n(${message})`,
      );
    }
    throw error;
  }
  try {
    // A database the API has never started on has no tables yet: it is empty.
    const [{ migrated }] = await database.prisma.$queryRaw<[{ migrated: boolean }]>`SELECT to_regclass('plugins') IS NOT NULL AS migrated`;
    const plugins = migrated ? await database.prisma.plugin.count() : 0;
    if (plugins > 0) {
      throw new SeedError(
        `This registry already has plugins (${plugins}); the seed only fills an empty one and changed nothing. ` +
          'To try the demo catalog, seed a fresh data directory: DATA_DIR=./demo-data npm run seed && DATA_DIR=./demo-data npm start',
      );
    }
  } finally {
    await database.close();
  }
}

/**
 * REGISTRY_ADMIN_TOKEN when set; otherwise an admin token minted for the seed
 * alone, revoked at the end so that the first `npm start` still prints its own.
 */
async function adminToken(app: NestFastifyApplication, config: RegistryConfig): Promise<{ secret: string; revoke: () => Promise<void> }> {
  if (config.adminToken !== null) return { secret: config.adminToken, revoke: async () => {} };
  const tokens = app.get(TokensRepository);
  const secret = generateTokenSecret();
  const token = await tokens.create(
    {
      name: SEED_ACTOR.name,
      tokenHash: hashTokenSecret(secret),
      tokenPrefix: visiblePrefix(secret),
      admin: true,
      namespaces: [],
      // Should the seed die before revoking it, it stops working on its own.
      expiresAt: new Date(Date.now() + 60 * 60_000),
    },
    SEED_ACTOR,
  );
  return { secret, revoke: once(async () => void (await tokens.revoke(token.id, new Date(), SEED_ACTOR))) };
}

async function publishCatalog(client: RegistryClient, config: RegistryConfig): Promise<{ pending: number }> {
  for (const namespace of NAMESPACES) await client.createNamespace(namespace);
  log(`Publishing ${DEMO_PLUGINS.length} plugins in ${NAMESPACES.length} namespaces through the pipeline …`);
  // With REDIS_URL, workers elsewhere process versions; once one is left pending, waiting for the others is pointless.
  let pipelineStalled = false;
  let pending = 0;
  const problems: string[] = [];

  await inParallel(DEMO_PLUGINS, PUBLISHERS, async (plugin) => {
    const { namespace, name } = plugin;
    const { description, license, keywords, categories } = plugin;
    await client.describePlugin(namespace, name, { description, license, keywords, categories, ...projectLinks(plugin) });
    const toolchain = TOOLCHAINS[plugin.language];
    const states: string[] = [];
    const contractSource = authoredContractOf(plugin)?.format ?? 'README only';
    for (const version of plugin.versions) {
      const module = await buildPluginModule({
        plugin: `${namespace}/${name}`,
        version,
        abi: toolchain.abi,
        toolchain,
        features: plugin.features,
        header: plugin.header,
      });
      const contract = demoContract(plugin, version);
      let state: VersionState = await client.publish(namespace, name, version, module, contract.parts);
      if (state.status === 'pending') state = await client.settle(namespace, name, version, pipelineStalled ? 0 : WAIT_SECONDS);
      if (state.status === 'pending') {
        pipelineStalled = true;
        pending++;
      } else if (state.status !== 'ready') {
        problems.push(`${namespace}/${name} ${version} is ${state.status}: ${state.statusReason ?? 'no reason given'}`);
      }
      states.push(state.status === 'ready' ? version : `${version} (${state.status})`);
    }
    log(`  ${`${namespace}/${name}`.padEnd(36)} ${states.join(', ')}  [ABI ${toolchain.abi}, ${toolchain.language[0]}, ${contractSource}]`);
  });

  if (problems.length > 0) {
    throw new SeedError(`The registry refused versions of the demo catalog, which is a bug in the seed or the analysis:\n  ${problems.join('\n  ')}`);
  }
  if (pending > 0 && config.redisUrl === null) {
    throw new SeedError(`${pending} versions stayed pending for ${WAIT_SECONDS} s although the pipeline runs in-process; see the log above.`);
  }
  return { pending };
}

/** Yanks and deprecations from the catalog; says what it did, for the summary. */
async function applyLifecycle(client: RegistryClient, pendingVersions: number): Promise<string> {
  const yanks = DEMO_PLUGINS.filter((p): p is DemoPlugin & { yank: NonNullable<DemoPlugin['yank']> } => p.yank !== undefined);
  const deprecations = DEMO_PLUGINS.filter((p): p is DemoPlugin & { deprecation: string } => p.deprecation !== undefined);
  const done: string[] = [];
  if (pendingVersions > 0) {
    log('Yanks skipped: only ready versions can be yanked.');
  } else {
    let yanked = 0;
    for (const plugin of yanks) {
      if (await client.yank(plugin.namespace, plugin.name, plugin.yank.version, plugin.yank.reason)) {
        log(`Yanked ${plugin.namespace}/${plugin.name} ${plugin.yank.version}: ${plugin.yank.reason}`);
        yanked++;
      } else {
        log(`This registry cannot yank versions (no PUT …/versions/{version}/yank); ${plugin.namespace}/${plugin.name} ${plugin.yank.version} stays as it is.`);
      }
    }
    done.push(`${yanked} ${yanked === 1 ? 'version' : 'versions'} yanked`);
  }
  let deprecated = 0;
  for (const plugin of deprecations) {
    if (await client.deprecate(plugin.namespace, plugin.name, plugin.deprecation)) {
      log(`Deprecated ${plugin.namespace}/${plugin.name}: ${plugin.deprecation}`);
      deprecated++;
    } else {
      log(`This registry cannot deprecate plugins (no PUT …/deprecation); ${plugin.namespace}/${plugin.name} stays as it is.`);
    }
  }
  done.push(`${deprecated} ${deprecated === 1 ? 'plugin' : 'plugins'} deprecated`);
  return done.join(', ');
}

/**
 * Everything was published a moment ago; a living catalog has releases spread
 * over past months. The demo moves each version's publish and ready times to
 * the day the download history has it come out, and the plugins' creation and
 * last-release times with them (the audit log keeps the true times).
 */
async function backdateReleases(app: NestFastifyApplication): Promise<void> {
  const database = app.get<Database>(DATABASE);
  const times = releaseTimes(DEMO_PLUGINS, new Date(), HISTORY_DAYS);
  await database.prisma.$transaction(async (tx) => {
    for (const plugin of DEMO_PLUGINS) {
      for (const version of plugin.versions) {
        const at = times.get(`${plugin.namespace}/${plugin.name}@${version}`)!;
        await tx.$executeRaw`
          UPDATE versions v SET created_at = ${at}, ready_at = CASE WHEN v.ready_at IS NULL THEN NULL ELSE ${at}::timestamptz + interval '20 seconds' END
          FROM plugins p JOIN namespaces n ON n.id = p.namespace_id
          WHERE v.plugin_id = p.id AND n.name = ${plugin.namespace} AND p.name = ${plugin.name} AND v.version = ${version}`;
      }
    }
    await tx.$executeRaw`
      UPDATE plugins p SET
        created_at = (SELECT min(v.created_at) FROM versions v WHERE v.plugin_id = p.id),
        updated_at = (SELECT max(v.created_at) FROM versions v WHERE v.plugin_id = p.id),
        released_at = (SELECT max(v.ready_at) FROM versions v WHERE v.plugin_id = p.id AND v.status = 'ready')
      WHERE EXISTS (SELECT 1 FROM versions v WHERE v.plugin_id = p.id)`;
  });
  log('Moved release times to match the download history (the last eight weeks and before).');
}

/**
 * Past downloads cannot be made over HTTP (the API counts today's), so the
 * history goes in through the repository the download counter flushes with,
 * which keeps the plugins' totals in step.
 */
async function writeDownloadHistory(app: NestFastifyApplication): Promise<number> {
  const plugins = app.get(PluginsRepository);
  const downloads = app.get(DownloadsRepository);
  const versionIds = new Map<string, string>();
  for (const plugin of DEMO_PLUGINS) {
    for (const version of plugin.versions) {
      const record = await plugins.findVersion(plugin.namespace, plugin.name, version);
      if (record === null) throw new Error(`${plugin.namespace}/${plugin.name} ${version} was published but cannot be found`);
      versionIds.set(`${plugin.namespace}/${plugin.name}@${version}`, record.id);
    }
  }
  const deltas: DownloadCountDelta[] = downloadHistory(DEMO_PLUGINS, new Date(), HISTORY_DAYS).map((d) => ({
    versionId: versionIds.get(`${d.namespace}/${d.plugin}@${d.version}`)!,
    day: d.day,
    count: d.count,
  }));
  for (let i = 0; i < deltas.length; i += 1000) await downloads.addCounts(deltas.slice(i, i + 1000));
  const total = deltas.reduce((n, d) => n + d.count, 0);
  log(`Wrote ${count(total)} downloads over the last ${HISTORY_DAYS} days.`);
  return total;
}

/** Runs `work` on `width` items at a time; after a failure no new item starts. */
async function inParallel<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      try {
        await work(items[next++]!);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

function once(action: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  return () => (running ??= action());
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof SeedError ? error.message : error);
    process.exit(1);
  },
);
