import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.js';
import { FakeBlobs } from '../test/blobs.fake.js';
import { ModuleDelivery } from './module-delivery.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const NO_CACHE = { bytes: 0, ttlMs: 60_000 };
const s3 = (ttl: string) =>
  loadConfig({ STORAGE_DRIVER: 's3', S3_BUCKET: 'modules', S3_REGION: 'us-east-1', S3_ACCESS_KEY_ID: 'k', S3_SECRET_ACCESS_KEY: 's', S3_PRESIGNED_DOWNLOAD_TTL: ttl }).storage;

describe('ModuleDelivery', () => {
  it('redirects to a presigned URL valid S3_PRESIGNED_DOWNLOAD_TTL seconds when it is set', async () => {
    const blobs = new FakeBlobs().put(DIGEST, Buffer.from('wasm'));
    const source = ModuleDelivery.fromConfig(blobs, s3('60'), NO_CACHE).source(DIGEST);
    expect(await source.redirectUrl()).toBe(`https://bucket.example/${DIGEST}?expires=60`);
    expect(blobs.signed).toEqual([{ digest: DIGEST, expiresInSeconds: 60 }]);
  });

  it('streams from the registry when S3_PRESIGNED_DOWNLOAD_TTL is 0, without asking storage to sign', async () => {
    const blobs = new FakeBlobs().put(DIGEST, Buffer.from('wasm'));
    const source = ModuleDelivery.fromConfig(blobs, s3('0'), NO_CACHE).source(DIGEST);
    expect(await source.redirectUrl()).toBeNull();
    expect(blobs.signed).toEqual([]);
  });

  it('never presigns on the filesystem driver', async () => {
    const blobs = new FakeBlobs().put(DIGEST, Buffer.from('wasm'));
    const source = ModuleDelivery.fromConfig(blobs, loadConfig({}).storage, NO_CACHE).source(DIGEST);
    expect(await source.redirectUrl()).toBeNull();
    expect(blobs.signed).toEqual([]);
  });

  it('streams when the driver cannot sign, even with a TTL', async () => {
    const blobs = new FakeBlobs().put(DIGEST, Buffer.from('wasm'));
    blobs.signingBase = null;
    expect(await new ModuleDelivery(blobs, 60).source(DIGEST).redirectUrl()).toBeNull();
  });

  it('opens the stored bytes, whole or a range, and tells a missing module from a stored one', async () => {
    const blobs = new FakeBlobs().put(DIGEST, Buffer.from('0123456789'));
    const delivery = new ModuleDelivery(blobs, 0);
    const { body } = await delivery.source(DIGEST).open({ start: 2, end: 4 });
    expect(Buffer.concat(await body.toArray()).toString()).toBe('234');
    expect(await delivery.source(DIGEST).stored()).toBe(true);
    expect(await delivery.source(`sha256:${'b'.repeat(64)}`).stored()).toBe(false);
  });

  it('hands the same presigned URL out again for half its validity, then signs a new one', async () => {
    const blobs = new FakeBlobs().put(DIGEST, Buffer.from('wasm'));
    let signatures = 0;
    const sign = blobs.signedUrl.bind(blobs);
    blobs.signedUrl = async (digest, ttl) => `${await sign(digest, ttl)}&n=${++signatures}`;
    const delivery = new ModuleDelivery(blobs, 1);
    const first = await delivery.source(DIGEST).redirectUrl();
    expect(await delivery.source(DIGEST).redirectUrl()).toBe(first);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(await delivery.source(DIGEST).redirectUrl()).toBe(`https://bucket.example/${DIGEST}?expires=1&n=2`);
    expect(signatures).toBe(2);
  });
});
