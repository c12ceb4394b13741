import { describe, expect, it } from 'vitest';
import { downloadChart, PLOT_HEIGHT, shortDate, type DownloadBucket } from './download-chart.js';

/** `days` consecutive UTC days ending 2026-11-24, with downloads from `counts` (0 past its end). */
function series(days: number, counts: (i: number) => number): DownloadBucket[] {
  const end = Date.UTC(2026, 10, 24);
  return Array.from({ length: days }, (_, i) => ({
    start: new Date(end - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10),
    downloads: counts(i),
  }));
}

const bars = (markup: string): { height: number; y: number; downloads: number }[] =>
  [...markup.matchAll(/<rect class="bar"[^>]*\by="([\d.]+)"[^>]*\bheight="([\d.]+)" data-downloads="(\d+)"/g)].map((m) => ({
    y: Number(m[1]),
    height: Number(m[2]),
    downloads: Number(m[3]),
  }));

describe('downloadChart', () => {
  it('draws one bar per day, each as tall as its share of the busiest day', () => {
    const data = series(30, (i) => [0, 20, 40, 80][i % 4]!);
    const markup = downloadChart(data).value;
    const drawn = bars(markup);
    expect(drawn).toHaveLength(30);
    expect(drawn.map((b) => b.downloads)).toEqual(data.map((d) => d.downloads));
    for (const bar of drawn) expect(bar.height).toBeCloseTo((bar.downloads / 80) * PLOT_HEIGHT, 1);
    expect(Math.max(...drawn.map((b) => b.height))).toBe(PLOT_HEIGHT);
    // Bars stand on one baseline: top + height is the same for every bar.
    expect(new Set(drawn.map((b) => Math.round((b.y + b.height) * 100)))).toHaveLength(1);
    // A zero day is still a bar, of height 0.
    expect(drawn[0]).toMatchObject({ downloads: 0, height: 0 });
  });

  it('labels the axes with the first and last day and the highest count, and names the image', () => {
    const markup = downloadChart(series(30, (i) => (i === 29 ? 1234 : i))).value;
    expect(markup).toMatch(/<text class="y-max"[^>]*>1\.2k<\/text>/);
    expect(markup).toMatch(/<text class="y-zero"[^>]*>0<\/text>/);
    expect(markup).toMatch(/<text class="x-first"[^>]*>26 Oct<\/text>/);
    expect(markup).toMatch(/<text class="x-last"[^>]*>24 Nov<\/text>/);
    expect(markup).toContain('<figure id="downloads-chart" class="chart">');
    expect(markup).toMatch(/<svg role="img" aria-labelledby="downloads-chart-title"/);
    expect(markup).toMatch(/<title id="downloads-chart-title">Downloads per day, 26 Oct 2026 to 24 Nov 2026: 1,640 downloads, at most 1,234 downloads on a day<\/title>/);
    expect(markup).toMatch(/<figcaption><strong>1,640 downloads<\/strong> from 26 Oct 2026 to 24 Nov 2026\.<\/figcaption>/);
    // Every bar says its day and count on hover.
    expect(markup).toContain('<title>24 Nov 2026: 1,234 downloads</title>');
  });

  it('keeps the figure and its bars (all of height 0) when nothing was downloaded, and says so', () => {
    const markup = downloadChart(series(30, () => 0)).value;
    const drawn = bars(markup);
    expect(drawn).toHaveLength(30);
    expect(drawn.every((b) => b.height === 0)).toBe(true);
    expect(markup).toContain('No downloads from 26 Oct 2026 to 24 Nov 2026');
    expect(markup).toMatch(/<text class="y-max"[^>]*>0<\/text>/);
    expect(markup).not.toContain('NaN');
  });

  it('adds a note to the caption, escaped', () => {
    const markup = downloadChart(series(7, () => 1), { note: 'all versions; <b>7</b> of them 1.0.0' }).value;
    expect(markup).toContain('(all versions; &lt;b&gt;7&lt;/b&gt; of them 1.0.0).');
  });

  it('gives the numbers as a table too, for screen readers', () => {
    const markup = downloadChart(series(3, (i) => i * 5)).value;
    expect(markup).toContain('<tr><td>2026-11-24</td><td>10</td></tr>');
  });

  it('formats days the same everywhere', () => {
    expect(shortDate('2026-01-05')).toBe('5 Jan');
    expect(shortDate('2026-12-31', true)).toBe('31 Dec 2026');
    expect(shortDate('not a day')).toBe('not a day');
  });
});
