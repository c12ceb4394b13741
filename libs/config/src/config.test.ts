import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('configuration', () => {
  it('defaults to the embedded setup under ./data', () => {
    const config = loadConfig({}, '/srv/registry');
    expect(config.port).toBe(8080);
    expect(config.database).toEqual({ kind: 'pglite', dataDir: '/srv/registry/data/pglite' });
    expect(config.storage).toEqual({ kind: 'filesystem', root: '/srv/registry/data/storage' });
    expect(config.publicUrl).toBe('http://localhost:8080');
    expect(config.maxModuleSize).toBe(50 * 1024 * 1024);
    expect(config.redisUrl).toBeNull();
  });

  it('selects PostgreSQL and S3 from the environment', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u:p@db:5432/registry',
      STORAGE_DRIVER: 's3',
      S3_ENDPOINT: 'http://minio:9000',
      S3_BUCKET: 'wasm-modules',
      S3_REGION: 'us-east-1',
      S3_ACCESS_KEY_ID: 'id',
      S3_SECRET_ACCESS_KEY: 'secret',
      PUBLIC_URL: 'https://registry.example.com/',
      REDIS_URL: 'redis://redis:6379',
    });
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://u:p@db:5432/registry' });
    expect(config.storage).toMatchObject({ kind: 's3', endpoint: 'http://minio:9000', bucket: 'wasm-modules', forcePathStyle: true });
    expect(config.publicUrl).toBe('https://registry.example.com');
    expect(config.redisUrl).toBe('redis://redis:6379');
  });

  it('names every bad variable at once, without printing passwords', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://u:hunter2@db/x', STORAGE_DRIVER: 's3', S3_BUCKET: 'b', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ['PORT', 'DATABASE_URL', 'S3_REGION', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'S3_BUCKET', 'LOG_LEVEL']) {
      expect(message).toContain(name);
    }
    expect(message).not.toContain('hunter2');
  });

  it('passes the OTEL_* variables on, and refuses an OTLP protocol the registry cannot export with', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_SERVICE_NAME: 'edge-registry', PORT: '1' }).otel).toEqual({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_SERVICE_NAME: 'edge-registry' });
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL="http\/json" must be one of: http\/protobuf, grpc/);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'GRPC' })).toThrow(/OTEL_EXPORTER_OTLP_TRACES_PROTOCOL="GRPC"/);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'udp' })).toThrow(/OTEL_EXPORTER_OTLP_METRICS_PROTOCOL="udp"/);
  });

  it('refuses every malformed OTEL_* variable the telemetry acts on, naming each, and accepts the well-formed ones', () => {
    const good = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/v1/traces',
      OTEL_TRACES_EXPORTER: 'OTLP',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_SDK_DISABLED: 'false',
      OTEL_METRIC_EXPORT_INTERVAL: '15000',
      OTEL_BSP_SCHEDULE_DELAY: '200',
    };
    expect(loadConfig(good).otel).toEqual(good);
    let error: unknown;
    try {
      loadConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318',
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'ftp://user:hunter2@collector/',
        OTEL_TRACES_EXPORTER: 'console',
        OTEL_TRACES_SAMPLER: 'sometimes',
        OTEL_TRACES_SAMPLER_ARG: '1.5',
        OTEL_SDK_DISABLED: 'yes',
        OTEL_METRIC_EXPORT_INTERVAL: 'often',
        OTEL_BSP_MAX_QUEUE_SIZE: '0',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(/^OTEL_EXPORTER_OTLP_ENDPOINT must be a http:\/\/ or https:\/\/ URL/),
      expect.stringMatching(/^OTEL_EXPORTER_OTLP_METRICS_ENDPOINT must be a http:\/\/ or https:\/\/ URL/),
      'OTEL_TRACES_EXPORTER="console" must be one of: otlp, none',
      expect.stringMatching(/^OTEL_TRACES_SAMPLER="sometimes" must be one of: always_on, always_off, traceidratio/),
      'OTEL_TRACES_SAMPLER_ARG="1.5" must be a ratio from 0 to 1',
      'OTEL_SDK_DISABLED="yes" must be one of: true, false',
      'OTEL_METRIC_EXPORT_INTERVAL="often" must be a whole number from 1 to 86400000',
      'OTEL_BSP_MAX_QUEUE_SIZE="0" must be a whole number from 1 to 1000000',
    ]);
    expect((error as ConfigError).message).not.toContain('hunter2');
  });

  it('refuses an unknown storage driver and a short admin token', () => {
    expect(() => loadConfig({ STORAGE_DRIVER: 'gcs' })).toThrow(/STORAGE_DRIVER="gcs" must be one of: filesystem, s3/);
    expect(() => loadConfig({ REGISTRY_ADMIN_TOKEN: 'short' })).toThrow(/REGISTRY_ADMIN_TOKEN must be at least 16/);
  });

  it('writes download counts every second and every 10,000 by default, which bounds what a crash loses', () => {
    expect(loadConfig({})).toMatchObject({ downloadFlushIntervalMs: 1000, downloadFlushMaxPending: 10_000 });
    expect(loadConfig({ DOWNLOAD_FLUSH_MAX_PENDING: '1' }).downloadFlushMaxPending).toBe(1);
    expect(() => loadConfig({ DOWNLOAD_FLUSH_MAX_PENDING: '0' })).toThrow(/DOWNLOAD_FLUSH_MAX_PENDING="0" must be a whole number from 1 to 1000000/);
  });

  it('keeps up to 64 MiB of modules in memory for downloads for a minute by default, and none with DOWNLOAD_CACHE_BYTES=0', () => {
    expect(loadConfig({}).downloadCache).toEqual({ bytes: 64 * 1024 * 1024, ttlMs: 60_000 });
    expect(loadConfig({ DOWNLOAD_CACHE_BYTES: '0', DOWNLOAD_CACHE_TTL_MS: '1000' }).downloadCache).toEqual({ bytes: 0, ttlMs: 1000 });
    expect(() => loadConfig({ DOWNLOAD_CACHE_BYTES: '-1' })).toThrow(/DOWNLOAD_CACHE_BYTES="-1" must be a whole number/);
  });

  it('has HTTP timeouts and a verify rate limit that protect by default', () => {
    const config = loadConfig({});
    expect(config.http).toEqual({ requestTimeoutMs: 600_000, headersTimeoutMs: 30_000, idleTimeoutMs: 30_000, keepAliveTimeoutMs: 72_000, trustProxy: false });
    expect(config.ownTrials).toEqual({ concurrency: 2, queueLength: 4, rateLimit: { max: 10, windowMs: 60_000 } });
    expect(config.verifyRateLimit).toEqual({ max: 30, windowMs: 60_000 });
    const set = loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '2000', HTTP_HEADERS_TIMEOUT_MS: '500', HTTP_IDLE_TIMEOUT_MS: '700', VERIFY_RATE_LIMIT_MAX: '0' });
    expect(set.http).toMatchObject({ requestTimeoutMs: 2000, headersTimeoutMs: 500, idleTimeoutMs: 700 });
    expect(set.verifyRateLimit.max).toBe(0);
  });

  it('refuses timeouts that contradict each other or are not whole milliseconds', () => {
    expect(() => loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '5000', HTTP_HEADERS_TIMEOUT_MS: '10000' })).toThrow(/HTTP_HEADERS_TIMEOUT_MS \(10000\) must not exceed HTTP_REQUEST_TIMEOUT_MS/);
    expect(() => loadConfig({ HTTP_IDLE_TIMEOUT_MS: '30s' })).toThrow(/HTTP_IDLE_TIMEOUT_MS="30s" must be a whole number from 100 to 600000/);
    expect(() => loadConfig({ VERIFY_RATE_LIMIT_WINDOW_MS: '10' })).toThrow(/VERIFY_RATE_LIMIT_WINDOW_MS/);
  });

  it('believes X-Forwarded-For only from the proxies TRUST_PROXY names', () => {
    expect(loadConfig({ TRUST_PROXY: 'false' }).http.trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '1' }).http.trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, loopback,::1' }).http.trustProxy).toEqual(['10.0.0.0/8', 'loopback', '::1']);
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY="true" would believe any client's X-Forwarded-For/);
    expect(() => loadConfig({ TRUST_PROXY: '10.0.0.0/33,proxy.local' })).toThrow(/not an address or range: "10.0.0.0\/33", "proxy.local"/);
  });
});
