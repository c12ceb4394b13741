import semver from 'semver';
import type { DemoPlugin } from './catalog.js';

/**
 * Made-up download history for the demo catalog: per version and UTC day over
 * the last weeks, from a seeded generator so that every seed gives the same
 * numbers (for the same "today").
 *
 * The shape is what registries show: each plugin has its own trend, weekends
 * are quieter, a plugin's versions come out over time and the newest release
 * takes over from the older ones within a couple of weeks, pre-releases get a
 * trickle, a yanked version only its pinned users, a deprecated plugin fades.
 */

export interface DailyDownloads {
  namespace: string;
  plugin: string;
  version: string;
  /** UTC day, YYYY-MM-DD. */
  day: string;
  count: number;
}

const DAY_MS = 86_400_000;

/** mulberry32: a small, fast generator that is good enough for made-up numbers. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a: one seed per plugin, so that adding a plugin does not change the others' numbers. */
function hashOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** When each version came out, as a day index (0 = the first day of the window; negative = before it). */
export function releaseDays(plugin: DemoPlugin, days: number, random: () => number): number[] {
  // Plugins have been around for one to six months; the newest version is from the last three weeks.
  const first = days - Math.round(30 + random() * 150);
  const last = days - 1 - Math.round(2 + random() * 19);
  const n = plugin.versions.length;
  if (n === 1) return [last];
  const step = (last - first) / (n - 1);
  return plugin.versions.map((_, i) => {
    if (i === 0) return first;
    if (i === n - 1) return last;
    return Math.round(first + step * (i + (random() - 0.5) * 0.6));
  });
}

/**
 * When each version came out, as instants: the same schedule the download
 * history follows (the same generator, first draws), at a working hour of the day.
 */
export function releaseTimes(plugins: readonly DemoPlugin[], today: Date, days = 56): Map<string, Date> {
  const firstDay = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()) - (days - 1) * DAY_MS;
  const times = new Map<string, Date>();
  for (const plugin of plugins) {
    const released = releaseDays(plugin, days, seededRandom(hashOf(`${plugin.namespace}/${plugin.name}`)));
    plugin.versions.forEach((version, i) => {
      const hour = 8 + ((hashOf(version) + i) % 10);
      times.set(`${plugin.namespace}/${plugin.name}@${version}`, new Date(firstDay + released[i]! * DAY_MS + hour * 3_600_000));
    });
  }
  return times;
}

/** Downloads per version per day over the `days` days that end with `today`. */
export function downloadHistory(plugins: readonly DemoPlugin[], today: Date, days = 56): DailyDownloads[] {
  const firstDay = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()) - (days - 1) * DAY_MS;
  const result: DailyDownloads[] = [];
  for (const plugin of plugins) {
    const random = seededRandom(hashOf(`${plugin.namespace}/${plugin.name}`));
    const released = releaseDays(plugin, days, random);
    // Growth over the window: the rate at its start is (1 - trend) times today's.
    const trend = plugin.deprecation !== undefined ? -1.2 : -0.3 + random() * 0.9;
    const yankedOn = plugin.yank === undefined ? null : released[plugin.versions.indexOf(plugin.yank.version) + 1] ?? null;

    for (let day = 0; day < days; day++) {
      const date = new Date(firstDay + day * DAY_MS);
      const weekend = date.getUTCDay() === 0 || date.getUTCDay() === 6;
      const rate = plugin.dailyDownloads * (1 - trend * (1 - day / (days - 1))) * (weekend ? 0.55 : 1) * (0.8 + random() * 0.45);
      const weights = versionWeights(plugin, released, day, yankedOn);
      const total = weights.reduce((sum, w) => sum + w, 0);
      if (total === 0) continue;
      plugin.versions.forEach((version, i) => {
        const expected = (rate * weights[i]!) / total;
        // Round at random in proportion to the fraction, so that small versions still get a download now and then.
        const count = Math.floor(expected) + (random() < expected - Math.floor(expected) ? 1 : 0);
        if (count > 0) result.push({ namespace: plugin.namespace, plugin: plugin.name, version, day: utcDay(date), count });
      });
    }
  }
  return result;
}

/** How the plugin's downloads of one day split between its versions. */
function versionWeights(plugin: DemoPlugin, released: readonly number[], day: number, yankedOn: number | null): number[] {
  const releases = plugin.versions.map((version, i) => ({ version, i, out: released[i]! <= day, pre: semver.prerelease(version) !== null }));
  const stable = releases.filter((r) => r.out && !r.pre);
  return releases.map((r) => {
    if (!r.out) return 0;
    if (r.pre) return 0.06;
    if (plugin.yank?.version === r.version && yankedOn !== null && day >= yankedOn) return 0.01;
    const newer = stable.filter((s) => s.i > r.i);
    if (newer.length === 0) return 1;
    // Users move to a new release over about two weeks; some stay pinned, fewer the further behind.
    const supersededFor = day - released[newer[0]!.i]!;
    return 0.85 * Math.exp(-supersededFor / 7) + 0.2 / newer.length ** 2;
  });
}
