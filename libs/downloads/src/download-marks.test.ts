import { describe, expect, it } from 'vitest';
import { DownloadMarks, type DownloadMarkStore } from './download-marks.js';

/** Marks in memory; each write takes a moment, as a database round trip does. */
class FakeVersions implements DownloadMarkStore {
  versions = new Set<string>(['v1', 'v2']);
  writes: string[] = [];
  async markFirstDownloaded(versionId: string): Promise<boolean> {
    this.writes.push(versionId);
    await new Promise((resolve) => setTimeout(resolve, 5));
    return this.versions.has(versionId);
  }
  async markFirstDownloadedByDigest(digest: string): Promise<boolean> {
    this.writes.push(digest);
    return digest === 'sha256:kept';
  }
}

describe('DownloadMarks', () => {
  it('writes a version\'s mark once per process, however many downloads arrive at once', async () => {
    const downloads = new FakeVersions();
    const marks = new DownloadMarks(downloads);
    expect(await Promise.all(Array.from({ length: 50 }, () => marks.markVersion('v1')))).toEqual(Array(50).fill(true));
    expect(await marks.markVersion('v1')).toBe(true);
    expect(downloads.writes).toEqual(['v1']);
    expect(await marks.markDigest('sha256:kept')).toBe(true);
    expect(await marks.markDigest('sha256:kept')).toBe(true);
    expect(downloads.writes).toEqual(['v1', 'sha256:kept']);
  });

  it('reports a deleted version as absent, and asks again next time rather than remembering it', async () => {
    const downloads = new FakeVersions();
    const marks = new DownloadMarks(downloads);
    expect(await marks.markVersion('gone')).toBe(false);
    expect(await marks.markVersion('gone')).toBe(false);
    expect(await marks.markDigest('sha256:gone')).toBe(false);
    expect(downloads.writes).toEqual(['gone', 'gone', 'sha256:gone']);
  });
});
