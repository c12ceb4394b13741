import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../config/index.js';
import { DownloadCounter } from './download-counter.js';
import type { DownloadCountDelta, DownloadsRepository } from './downloads.repository.js';

/** A repository that records each write, and fails while `failing` is set. */
class FakeDownloads {
  writes: DownloadCountDelta[][] = [];
  failing = false;
  async addCounts(deltas: readonly DownloadCountDelta[]): Promise<void> {
    this.writes.push(deltas.map((d) => ({ ...d })));
    if (this.failing) throw new Error('database down');
  }
}

const total = (writes: DownloadCountDelta[][]): number => writes.flat().reduce((sum, d) => sum + d.count, 0);

describe('DownloadCounter', () => {
  let counter: DownloadCounter | null = null;
  afterEach(async () => {
    vi.useRealTimers();
    await counter?.beforeApplicationShutdown();
    counter = null;
  });

  // An hour between timed flushes: only the batch size can write.
  const start = (maxPending: number, downloads = new FakeDownloads()) => {
    counter = new DownloadCounter(downloads as unknown as DownloadsRepository, loadConfig({ DOWNLOAD_FLUSH_INTERVAL_MS: '3600000', DOWNLOAD_FLUSH_MAX_PENDING: String(maxPending) }));
    counter.onModuleInit();
    return { counter, downloads };
  };
  const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

  it('writes as soon as DOWNLOAD_FLUSH_MAX_PENDING downloads are buffered, without waiting for the interval', async () => {
    const { counter, downloads } = start(3);
    counter.record('v1');
    counter.record('v2');
    await settle();
    expect(downloads.writes).toEqual([]);
    counter.record('v1');
    await settle();
    expect(downloads.writes).toHaveLength(1);
    expect(total(downloads.writes)).toBe(3);
    // The next batch starts from zero.
    counter.record('v1');
    counter.record('v1');
    await settle();
    expect(downloads.writes).toHaveLength(1);
  });

  it('after a failed write, leaves retries to the timer instead of writing on every download, and loses nothing', async () => {
    const { counter, downloads } = start(2);
    downloads.failing = true;
    counter.record('v1');
    counter.record('v1');
    await settle();
    expect(downloads.writes).toHaveLength(1);
    for (let i = 0; i < 10; i++) counter.record('v1');
    await settle();
    expect(downloads.writes).toHaveLength(1);
    downloads.failing = false;
    await counter.flush();
    expect(downloads.writes).toHaveLength(2);
    expect(total(downloads.writes.slice(1))).toBe(12);
    counter.record('v1');
    counter.record('v1');
    await settle();
    expect(downloads.writes).toHaveLength(3);
  });

  it('writes what is buffered every DOWNLOAD_FLUSH_INTERVAL_MS, however few downloads it is', async () => {
    vi.useFakeTimers();
    const downloads = new FakeDownloads();
    counter = new DownloadCounter(downloads, loadConfig({ DOWNLOAD_FLUSH_INTERVAL_MS: '1000', DOWNLOAD_FLUSH_MAX_PENDING: '100' }));
    counter.onModuleInit();
    counter.record('v1');
    await vi.advanceTimersByTimeAsync(999);
    expect(downloads.writes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(total(downloads.writes)).toBe(1);
    // An interval with nothing counted writes nothing.
    await vi.advanceTimersByTimeAsync(1000);
    expect(downloads.writes).toHaveLength(1);
  });

  it('adds up one version\'s downloads of one UTC day into one delta, and keeps days apart', async () => {
    const { counter, downloads } = start(100);
    counter.record('v1', new Date('2027-01-01T00:00:00Z'));
    counter.record('v1', new Date('2027-01-01T23:59:59Z'));
    counter.record('v1', new Date('2027-01-02T00:00:00Z'));
    counter.record('v2', new Date('2027-01-01T12:00:00Z'));
    await counter.flush();
    expect(downloads.writes).toEqual([
      [
        { versionId: 'v1', day: '2027-01-01', count: 2 },
        { versionId: 'v1', day: '2027-01-02', count: 1 },
        { versionId: 'v2', day: '2027-01-01', count: 1 },
      ],
    ]);
  });

  it('counts a download under the UTC day of the moment it happened, across midnight', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const { counter, downloads } = start(100);
      vi.setSystemTime(new Date('2027-01-01T23:59:59.900Z'));
      counter.record('v1');
      vi.setSystemTime(new Date('2027-01-02T00:00:00.000Z'));
      counter.record('v1');
      vi.setSystemTime(new Date('2026-12-31T12:00:00.000Z'));
      counter.record('v1');
      await counter.flush();
      expect(downloads.writes).toEqual([
        [
          { versionId: 'v1', day: '2027-01-01', count: 1 },
          { versionId: 'v1', day: '2027-01-02', count: 1 },
          { versionId: 'v1', day: '2026-12-31', count: 1 },
        ],
      ]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('writes what is still buffered when the application shuts down', async () => {
    const { counter, downloads } = start(100);
    counter.record('v1');
    await counter.beforeApplicationShutdown();
    expect(total(downloads.writes)).toBe(1);
  });
});
