import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { parsePolicy, type AnalysisPolicy } from '../../analysis/index.js';

/**
 * The registry's settings, read from the environment once at boot. Nothing
 * else in the code base reads process.env.
 */
export interface RegistryConfig {
  port: number;
  host: string;
  /** Base URL written into links, without a trailing slash. */
  publicUrl: string;
  /** Where the embedded database, local blobs and generated keys live. */
  dataDir: string;
  database: DatabaseConfig;
  storage: StorageConfig;
  /** Set in production; the pipeline issue puts the job queue on it. */
  redisUrl: string | null;
  /** When set, a token equal to this value has admin rights. */
  adminToken: string | null;
  /** Largest accepted module, in bytes. */
  maxModuleSize: number;
  /** How often buffered download counts are written to the database. */
  downloadFlushIntervalMs: number;
  /** Counts are written as soon as this many are buffered, too: with the interval, it bounds what a crash loses. */
  downloadFlushMaxPending: number;
  /**
   * Modules kept in memory for downloads: `bytes` in all (least recently used go first; 0 serves every
   * download from storage), each read again from storage after `ttlMs`.
   */
  downloadCache: { bytes: number; ttlMs: number };
  /** What one publisher may create: bounds every list a page or API answer shows of them. */
  quotas: QuotaConfig;
  analysis: AnalysisConfig;
  pipeline: PipelineConfig;
  signing: SigningConfig;
  http: HttpConfig;
  verifyRateLimit: RateLimitConfig;
  /** Own trials (POST …/versions/{version}/trial): how many run at once per API process, and how often one client may ask. */
  ownTrials: OwnTrialsConfig;
  ociPush: OciPushConfig;
  webhooks: WebhooksConfig;
  logLevel: LogLevel;
  /**
   * Where /metrics (and, on the worker, /health) is served apart from the API: METRICS_PORT. Null:
   * the API serves /metrics on its own port; the worker then uses DEFAULT_WORKER_METRICS_PORT.
   */
  metricsPort: number | null;
  /** Every OTEL_* variable, as given: the OpenTelemetry set-up reads its switches here (libs/telemetry). */
  otel: Readonly<Record<string, string>>;
}

/** The worker's metrics and health port when METRICS_PORT is not set (the Prometheus exporter's usual port). */
export const DEFAULT_WORKER_METRICS_PORT = 9464;

/** Webhook deliveries: timing, bounds, and which targets may be called. */
export interface WebhooksConfig {
  /** Deliver to loopback, private, link-local and metadata addresses too (private deployments, tests). */
  allowPrivateTargets: boolean;
  /** One attempt's deadline (connect, send, answer). */
  timeoutMs: number;
  /** The first retry waits this long; each next one twice as long (with jitter), up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
  /** A subscription whose deliveries have failed without a success for this long is disabled. */
  disableAfterMs: number;
  /** How often a deliverer looks for due deliveries. */
  pollMs: number;
  /** Deliveries in flight at once per process (each to a different subscription). */
  concurrency: number;
}

/** OCI pushes: how long an upload session and a blob no manifest names are kept. */
export interface OciPushConfig {
  /** An upload session with no request for this long is swept, with its chunks. */
  uploadTtlMs: number;
  /** A pushed blob that no manifest of its repository names this long after it was pushed is swept. */
  unreferencedBlobTtlMs: number;
  sweepIntervalMs: number;
}

export interface OwnTrialsConfig {
  /** Trials running at once in this process. */
  concurrency: number;
  /** Trials waiting for one of those; one more is answered 503 trials_busy. */
  queueLength: number;
  rateLimit: RateLimitConfig;
}

/** How long the server waits for a client, and whom it believes about the client's address. */
export interface HttpConfig {
  /** The whole request, headers and body, must have arrived within this (Node's requestTimeout). */
  requestTimeoutMs: number;
  /** The request line and headers must have arrived within this (slowloris; Node's headersTimeout). */
  headersTimeoutMs: number;
  /** A client that sends nothing mid-body, or reads nothing mid-response, for this long is cut off. */
  idleTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Whose X-Forwarded-For gives the client address: nobody's (false), the nearest N proxies', or these addresses/ranges. */
  trustProxy: false | number | string[];
}

/** Requests per client address in a fixed window; max 0 turns the limit off. */
export interface RateLimitConfig {
  max: number;
  windowMs: number;
}

export interface QuotaConfig {
  /** Live versions of one plugin (deleted numbers stay burned but do not count). */
  versionsPerPlugin: number;
  pluginsPerNamespace: number;
}

export interface PipelineConfig {
  /** Attempts per version before it is marked failed. */
  attempts: number;
  /** Delay before the first retry; doubles each time. */
  backoffMs: number;
  /** Versions processed at once per worker process (or per API process, embedded). */
  concurrency: number;
  /** How long a worker may go silent before another takes its job over. */
  lockMs: number;
  /** How often the outbox is checked for work the queue has not received yet. */
  outboxPollMs: number;
  /** How often the reconciler looks for pending versions whose work the queue lost. */
  reconcileIntervalMs: number;
  /** A round handed to the queue this long ago whose job the queue no longer holds is lost. */
  stuckAfterMs: number;
  /** Rounds of a version lost in a row before the reconciler marks it failed. */
  reconcileMaxRounds: number;
}

export interface SigningConfig {
  /** PKCS#8 PEM of the registry's ECDSA P-256 key; generated into DATA_DIR when null. */
  keyPath: string | null;
  /** Keyless signing (Fulcio certificates, Rekor log) when both URLs are set. */
  keyless: { fulcioUrl: string; rekorUrl: string; identityTokenPath: string; trustedRootPath: string | null } | null;
}

export type DatabaseConfig =
  | { kind: 'pglite'; dataDir: string }
  | { kind: 'postgres'; url: string };

export type StorageConfig =
  | { kind: 'filesystem'; root: string }
  | {
      kind: 's3';
      endpoint: string | null;
      bucket: string;
      region: string;
      accessKeyId: string;
      secretAccessKey: string;
      forcePathStyle: boolean;
      /** When > 0, downloads redirect to presigned URLs valid this many seconds. */
      presignedDownloadTtlSeconds: number;
    };

export interface AnalysisConfig {
  /** An analysis still running after this long is stopped and the version rejected. */
  timeoutMs: number;
  /** Heap limit of each worker thread that analyses modules. */
  memoryMb: number;
  /** Warm analysis threads per process that runs pipeline jobs; more analyses at once wait for one. */
  threads: number;
  policy: AnalysisPolicy;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];
/** The OTLP transports the registry exports with (OTEL_EXPORTER_OTLP_PROTOCOL); http/protobuf is the default. */
const OTLP_PROTOCOLS = ['http/protobuf', 'grpc'] as const;
/** OTEL_TRACES_SAMPLER's values, as the OpenTelemetry specification lists them (libs/telemetry samplerFrom). */
const OTEL_SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;

const MAX_MODULE_SIZE_CEILING = 1024 * 1024 * 1024;

/** A setting that is missing or malformed; the message names the variable. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): RegistryConfig {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name}=${JSON.stringify(raw)} must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return Number(raw);
  };
  const url = (name: string, protocols: readonly string[]): string | undefined => {
    const raw = read(name);
    if (raw === undefined) return undefined;
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) {
        problems.push(`${name} must be a ${protocols.map((p) => p.replace(':', '://')).join(' or ')} URL, got ${JSON.stringify(redact(raw))}`);
        return undefined;
      }
      return raw;
    } catch {
      problems.push(`${name} is not a URL: ${JSON.stringify(redact(raw))}`);
      return undefined;
    }
  };
  const required = (name: string, why: string): string => {
    const value = read(name);
    if (value === undefined) problems.push(`${name} is required ${why}`);
    return value ?? '';
  };
  const boolean = (name: string, fallback: boolean): boolean => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    if (/^(1|true|yes)$/i.test(raw)) return true;
    if (/^(0|false|no)$/i.test(raw)) return false;
    problems.push(`${name}=${JSON.stringify(raw)} must be true or false`);
    return fallback;
  };

  const port = integer('PORT', 8080, 0, 65535);
  const metricsPort = read('METRICS_PORT') === undefined ? null : integer('METRICS_PORT', 0, 0, 65535);
  const host = read('HOST') ?? '0.0.0.0';
  const dataDir = resolve(cwd, read('DATA_DIR') ?? 'data');

  const publicUrlRaw = url('PUBLIC_URL', ['http:', 'https:']);
  const publicUrl = (publicUrlRaw ?? `http://localhost:${port}`).replace(/\/+$/, '');

  const databaseUrl = url('DATABASE_URL', ['postgres:', 'postgresql:']);
  const database: DatabaseConfig = databaseUrl
    ? { kind: 'postgres', url: databaseUrl }
    : { kind: 'pglite', dataDir: resolve(dataDir, 'pglite') };

  let storage: StorageConfig;
  const driver = read('STORAGE_DRIVER') ?? 'filesystem';
  if (driver === 's3') {
    const why = 'when STORAGE_DRIVER=s3';
    storage = {
      kind: 's3',
      endpoint: url('S3_ENDPOINT', ['http:', 'https:']) ?? null,
      bucket: required('S3_BUCKET', why),
      region: read('S3_REGION') ?? (problems.push(`S3_REGION is required ${why} (any value, e.g. us-east-1, for stores that ignore it)`), ''),
      accessKeyId: required('S3_ACCESS_KEY_ID', why),
      secretAccessKey: required('S3_SECRET_ACCESS_KEY', why),
      forcePathStyle: boolean('S3_FORCE_PATH_STYLE', true),
      presignedDownloadTtlSeconds: integer('S3_PRESIGNED_DOWNLOAD_TTL', 0, 0, 7 * 24 * 3600),
    };
    if (storage.bucket && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(storage.bucket)) {
      problems.push(`S3_BUCKET=${JSON.stringify(storage.bucket)} is not a valid bucket name (3-63 characters: a-z, 0-9, '.', '-')`);
    }
  } else if (driver === 'filesystem') {
    storage = { kind: 'filesystem', root: resolve(dataDir, 'storage') };
  } else {
    problems.push(`STORAGE_DRIVER=${JSON.stringify(driver)} must be one of: filesystem, s3`);
    storage = { kind: 'filesystem', root: resolve(dataDir, 'storage') };
  }

  const redisUrl = url('REDIS_URL', ['redis:', 'rediss:']) ?? null;

  const adminToken = read('REGISTRY_ADMIN_TOKEN') ?? null;
  if (adminToken !== null && adminToken.length < 16) {
    problems.push('REGISTRY_ADMIN_TOKEN must be at least 16 characters long');
  }

  const maxModuleSize = integer('MAX_MODULE_SIZE', 50 * 1024 * 1024, 8, MAX_MODULE_SIZE_CEILING);
  const downloadFlushIntervalMs = integer('DOWNLOAD_FLUSH_INTERVAL_MS', 1000, 10, 3_600_000);
  const downloadFlushMaxPending = integer('DOWNLOAD_FLUSH_MAX_PENDING', 10_000, 1, 1_000_000);
  const downloadCache = {
    bytes: integer('DOWNLOAD_CACHE_BYTES', 64 * 1024 * 1024, 0, 64 * 1024 * 1024 * 1024),
    ttlMs: integer('DOWNLOAD_CACHE_TTL_MS', 60_000, 100, 86_400_000),
  };
  const quotas: QuotaConfig = {
    versionsPerPlugin: integer('MAX_VERSIONS_PER_PLUGIN', 1000, 1, 1_000_000),
    pluginsPerNamespace: integer('MAX_PLUGINS_PER_NAMESPACE', 1000, 1, 1_000_000),
  };

  const policyResult = parsePolicy(read('ANALYSIS_POLICY') ?? '');
  problems.push(...policyResult.problems.map((problem) => `ANALYSIS_POLICY: ${problem}`));
  const analysis: AnalysisConfig = {
    timeoutMs: integer('ANALYSIS_TIMEOUT_MS', 30_000, 1, 600_000),
    memoryMb: integer('ANALYSIS_MEMORY_MB', 512, 64, 8192),
    threads: integer('ANALYSIS_THREADS', 2, 1, 64),
    policy: policyResult.policy,
  };

  const pipeline: PipelineConfig = {
    attempts: integer('PIPELINE_ATTEMPTS', 5, 1, 100),
    backoffMs: integer('PIPELINE_BACKOFF_MS', 2000, 1, 3_600_000),
    concurrency: integer('PIPELINE_CONCURRENCY', 2, 1, 64),
    lockMs: integer('PIPELINE_LOCK_MS', 30_000, 1000, 3_600_000),
    outboxPollMs: integer('OUTBOX_POLL_MS', 1000, 10, 600_000),
    reconcileIntervalMs: integer('PIPELINE_RECONCILE_INTERVAL_MS', 30_000, 100, 3_600_000),
    stuckAfterMs: integer('PIPELINE_STUCK_AFTER_MS', 120_000, 100, 86_400_000),
    reconcileMaxRounds: integer('PIPELINE_RECONCILE_MAX_ROUNDS', 5, 1, 100),
  };

  const fulcioUrl = url('SIGSTORE_FULCIO_URL', ['http:', 'https:']);
  const rekorUrl = url('SIGSTORE_REKOR_URL', ['http:', 'https:']);
  const identityTokenPath = read('SIGSTORE_IDENTITY_TOKEN_PATH');
  let keyless: SigningConfig['keyless'] = null;
  if (fulcioUrl !== undefined || rekorUrl !== undefined) {
    if (fulcioUrl === undefined || rekorUrl === undefined || identityTokenPath === undefined) {
      problems.push('keyless signing needs all of SIGSTORE_FULCIO_URL, SIGSTORE_REKOR_URL and SIGSTORE_IDENTITY_TOKEN_PATH');
    } else {
      keyless = { fulcioUrl, rekorUrl, identityTokenPath: resolve(cwd, identityTokenPath), trustedRootPath: read('SIGSTORE_TRUSTED_ROOT') ?? null };
    }
  }
  const signingKeyPath = read('SIGNING_KEY_PATH');
  const signing: SigningConfig = { keyPath: signingKeyPath === undefined ? null : resolve(cwd, signingKeyPath), keyless };

  const http: HttpConfig = {
    requestTimeoutMs: integer('HTTP_REQUEST_TIMEOUT_MS', 600_000, 1000, 3_600_000),
    headersTimeoutMs: integer('HTTP_HEADERS_TIMEOUT_MS', 30_000, 100, 600_000),
    idleTimeoutMs: integer('HTTP_IDLE_TIMEOUT_MS', 30_000, 100, 600_000),
    keepAliveTimeoutMs: integer('HTTP_KEEP_ALIVE_TIMEOUT_MS', 72_000, 100, 600_000),
    trustProxy: trustProxySetting(read('TRUST_PROXY'), problems),
  };
  if (http.headersTimeoutMs > http.requestTimeoutMs) {
    problems.push(`HTTP_HEADERS_TIMEOUT_MS (${http.headersTimeoutMs}) must not exceed HTTP_REQUEST_TIMEOUT_MS (${http.requestTimeoutMs}): the headers are part of the request`);
  }
  const verifyRateLimit: RateLimitConfig = {
    max: integer('VERIFY_RATE_LIMIT_MAX', 30, 0, 1_000_000),
    windowMs: integer('VERIFY_RATE_LIMIT_WINDOW_MS', 60_000, 1000, 86_400_000),
  };

  const ownTrials: OwnTrialsConfig = {
    concurrency: integer('OWN_TRIAL_CONCURRENCY', 2, 1, 64),
    queueLength: integer('OWN_TRIAL_QUEUE', 4, 0, 1000),
    rateLimit: { max: integer('OWN_TRIAL_RATE_LIMIT_MAX', 10, 0, 1_000_000), windowMs: integer('OWN_TRIAL_RATE_LIMIT_WINDOW_MS', 60_000, 1000, 86_400_000) },
  };

  const ociPush: OciPushConfig = {
    uploadTtlMs: integer('OCI_UPLOAD_TTL_MS', 3_600_000, 1000, 7 * 86_400_000),
    unreferencedBlobTtlMs: integer('OCI_UNREFERENCED_BLOB_TTL_MS', 86_400_000, 1000, 30 * 86_400_000),
    sweepIntervalMs: integer('OCI_SWEEP_INTERVAL_MS', 300_000, 100, 86_400_000),
  };

  const webhooks: WebhooksConfig = {
    allowPrivateTargets: boolean('WEBHOOK_ALLOW_PRIVATE_TARGETS', false),
    timeoutMs: integer('WEBHOOK_TIMEOUT_MS', 10_000, 100, 60_000),
    backoffMs: integer('WEBHOOK_BACKOFF_MS', 10_000, 10, 3_600_000),
    maxBackoffMs: integer('WEBHOOK_MAX_BACKOFF_MS', 3_600_000, 10, 86_400_000),
    disableAfterMs: integer('WEBHOOK_DISABLE_AFTER_MS', 3 * 86_400_000, 1000, 30 * 86_400_000),
    pollMs: integer('WEBHOOK_POLL_MS', 1000, 10, 60_000),
    concurrency: integer('WEBHOOK_CONCURRENCY', 8, 1, 256),
  };

  const logLevelRaw = (read('LOG_LEVEL') ?? 'info').toLowerCase();
  let logLevel: LogLevel = 'info';
  if ((LOG_LEVELS as readonly string[]).includes(logLevelRaw)) logLevel = logLevelRaw as LogLevel;
  else problems.push(`LOG_LEVEL=${JSON.stringify(logLevelRaw)} must be one of: ${LOG_LEVELS.join(', ')}`);

  // The OTEL_* variables libs/telemetry acts on. The SDK would ignore a malformed one, or fall back to its
  // default, and the registry would start without the export its operator asked for: refuse them instead.
  const oneOf = (name: string, allowed: readonly string[], normalize: (raw: string) => string = (raw) => raw): void => {
    const raw = read(name);
    if (raw !== undefined && !allowed.includes(normalize(raw))) problems.push(`${name}=${JSON.stringify(raw)} must be one of: ${allowed.join(', ')}`);
  };
  for (const signal of ['', 'TRACES_', 'METRICS_']) {
    url(`OTEL_EXPORTER_OTLP_${signal}ENDPOINT`, ['http:', 'https:']);
    oneOf(`OTEL_EXPORTER_OTLP_${signal}PROTOCOL`, OTLP_PROTOCOLS);
  }
  for (const name of ['OTEL_TRACES_EXPORTER', 'OTEL_METRICS_EXPORTER']) oneOf(name, ['otlp', 'none'], (raw) => raw.toLowerCase());
  oneOf('OTEL_TRACES_SAMPLER', OTEL_SAMPLERS, (raw) => raw.toLowerCase());
  const samplerArg = read('OTEL_TRACES_SAMPLER_ARG');
  if (samplerArg !== undefined && !(Number(samplerArg) >= 0 && Number(samplerArg) <= 1)) {
    problems.push(`OTEL_TRACES_SAMPLER_ARG=${JSON.stringify(samplerArg)} must be a ratio from 0 to 1`);
  }
  // Only `true` turns the SDK off (the specification's rule, and libs/telemetry's).
  oneOf('OTEL_SDK_DISABLED', ['true', 'false'], (raw) => raw.toLowerCase());
  integer('OTEL_METRIC_EXPORT_INTERVAL', 0, 1, 86_400_000);
  integer('OTEL_BSP_SCHEDULE_DELAY', 0, 1, 3_600_000);
  integer('OTEL_BSP_EXPORT_TIMEOUT', 0, 1, 3_600_000);
  integer('OTEL_BSP_MAX_QUEUE_SIZE', 0, 1, 1_000_000);
  integer('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 0, 1, 1_000_000);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port,
    host,
    publicUrl,
    dataDir,
    database,
    storage,
    redisUrl,
    adminToken,
    maxModuleSize,
    downloadFlushIntervalMs,
    downloadFlushMaxPending,
    downloadCache,
    quotas,
    analysis,
    pipeline,
    signing,
    http,
    verifyRateLimit,
    ownTrials,
    ociPush,
    webhooks,
    logLevel,
    metricsPort,
    otel: Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[0].startsWith('OTEL_') && typeof entry[1] === 'string')),
  };
}

const NAMED_PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * TRUST_PROXY: unset or false, a number of proxy hops, or a comma-separated list of proxy addresses and
 * CIDR ranges. `true` is refused: it would let any client pick its own address with X-Forwarded-For.
 */
function trustProxySetting(raw: string | undefined, problems: string[]): HttpConfig['trustProxy'] {
  if (raw === undefined || /^(false|no|0)$/i.test(raw)) return false;
  const usage = 'must be false, the number of proxies in front of the registry (e.g. 1), or their addresses/CIDR ranges (e.g. 10.0.0.0/8,loopback)';
  if (/^(true|yes)$/i.test(raw)) {
    problems.push(`TRUST_PROXY=${JSON.stringify(raw)} would believe any client's X-Forwarded-For; it ${usage}`);
    return false;
  }
  if (/^\d+$/.test(raw)) {
    if (Number(raw) > 32) problems.push(`TRUST_PROXY=${raw} ${usage}, at most 32 hops`);
    return Number(raw);
  }
  const entries = raw.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  const bad = entries.filter((entry) => !NAMED_PROXY_RANGES.has(entry) && !isAddressOrRange(entry));
  if (bad.length > 0 || entries.length === 0) {
    problems.push(`TRUST_PROXY=${JSON.stringify(raw)} ${usage}; not an address or range: ${bad.map((b) => JSON.stringify(b)).join(', ') || 'none given'}`);
    return false;
  }
  return entries;
}

function isAddressOrRange(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d+$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** Hides the password of a URL so that it can be printed in an error. */
function redact(raw: string): string {
  return raw.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:***@');
}
