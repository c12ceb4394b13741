import { formatCount, html, type Html } from '../html.js';

/** One bucket of the stats API's series (`GET …/stats`). */
export interface DownloadBucket {
  /** The bucket's first UTC day, YYYY-MM-DD. */
  start: string;
  downloads: number;
}

export interface DownloadChartOptions {
  /** Said after the total in the caption, e.g. "all versions; 306 of them 1.1.0". */
  note?: Html | string;
}

/** The drawing area in SVG user units; CSS scales the whole svg to its column. */
const WIDTH = 300;
const HEIGHT = 150;
const LEFT = 34;
const RIGHT = 4;
const TOP = 8;
const BOTTOM = 20;
export const PLOT_HEIGHT = HEIGHT - TOP - BOTTOM;
const PLOT_WIDTH = WIDTH - LEFT - RIGHT;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "26 Oct" (and the year with `year`): the same on every machine, unlike toLocaleDateString. */
export function shortDate(day: string, year = false): string {
  const [y, m, d] = day.split('-');
  const month = MONTHS[Number(m) - 1];
  if (y === undefined || month === undefined || d === undefined) return day;
  return `${Number(d)} ${month}${year ? ` ${y}` : ''}`;
}

const round = (n: number): number => Math.round(n * 100) / 100;
const plural = (n: number, word: string): string => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/**
 * Downloads per day as a bar chart: inline SVG drawn on the server, so it needs
 * no script and no library. One `rect.bar` per bucket, its height proportional
 * to the bucket's downloads (0 for a day without any); the axes say the first
 * and last day and the highest count. The numbers are also in a table behind a
 * <details>, for screen readers and for anyone who wants them exactly.
 */
export function downloadChart(series: readonly DownloadBucket[], options: DownloadChartOptions = {}): Html {
  const total = series.reduce((sum, b) => sum + b.downloads, 0);
  const max = series.reduce((m, b) => Math.max(m, b.downloads), 0);
  const first = series[0]?.start ?? '';
  const last = series.at(-1)?.start ?? '';
  const period = series.length === 0 ? 'no days' : `${shortDate(first, true)} to ${shortDate(last, true)}`;
  const slot = series.length === 0 ? PLOT_WIDTH : PLOT_WIDTH / series.length;
  const barWidth = round(Math.max(1, slot * 0.78));
  const baseline = TOP + PLOT_HEIGHT;
  const title = max === 0 ? `Downloads per day, ${period}: none` : `Downloads per day, ${period}: ${plural(total, 'download')}, at most ${plural(max, 'download')} on a day`;

  const bars = series.map((bucket, i) => {
    const height = max === 0 ? 0 : round((bucket.downloads / max) * PLOT_HEIGHT);
    const x = round(LEFT + i * slot + (slot - barWidth) / 2);
    return html`<rect class="bar" x="${x}" y="${round(baseline - height)}" width="${barWidth}" height="${height}" data-downloads="${bucket.downloads}"><title>${shortDate(bucket.start, true)}: ${plural(bucket.downloads, 'download')}</title></rect>`;
  });

  return html`<figure id="downloads-chart" class="chart">
<svg role="img" aria-labelledby="downloads-chart-title" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" xmlns="http://www.w3.org/2000/svg">
<title id="downloads-chart-title">${title}</title>
<line class="grid" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${TOP}" y2="${TOP}"/>
${bars}
<line class="axis" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${baseline}" y2="${baseline}"/>
<text class="y-max" x="${LEFT - 4}" y="${TOP + 4}" text-anchor="end">${formatCount(max)}</text>
<text class="y-zero" x="${LEFT - 4}" y="${baseline + 3}" text-anchor="end">0</text>
<text class="x-first" x="${LEFT}" y="${HEIGHT - 4}" text-anchor="start">${shortDate(first)}</text>
<text class="x-last" x="${WIDTH - RIGHT}" y="${HEIGHT - 4}" text-anchor="end">${shortDate(last)}</text>
</svg>
<figcaption>${
    total === 0
      ? html`<span class="chart-empty">No downloads from ${period}</span>`
      : html`<strong>${plural(total, 'download')}</strong> from ${period}`
  }${options.note ? html` (${options.note})` : ''}.</figcaption>
${
  series.length === 0
    ? ''
    : html`<details class="chart-data"><summary>The numbers per day</summary><div class="table-wrap"><table><thead><tr><th scope="col">Day</th><th scope="col">Downloads</th></tr></thead><tbody>${series.map(
        (b) => html`<tr><td>${b.start}</td><td>${b.downloads}</td></tr>`,
      )}</tbody></table></div></details>`
}
</figure>`;
}
