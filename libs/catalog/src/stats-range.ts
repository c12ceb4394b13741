import { CATEGORY_SLUGS, invalidInput, type FieldProblem } from '../../domain/index.js';

/**
 * The pure part of download statistics: UTC days as `YYYY-MM-DD`, ranges,
 * buckets and windows. No clock of its own: callers pass today.
 */

export const STATS_INTERVALS = ['day', 'week'] as const;
export type StatsInterval = (typeof STATS_INTERVALS)[number];

/** Days in the default range, `to` included. */
export const DEFAULT_STATS_DAYS = 30;
/** Buckets one request may ask for: a year of days, or seven years of weeks. */
export const MAX_STATS_BUCKETS = 366;

export const POPULAR_WINDOWS = ['7d', '30d', 'all'] as const;
export type PopularWindow = (typeof POPULAR_WINDOWS)[number];
const WINDOW_DAYS: Readonly<Record<Exclude<PopularWindow, 'all'>, number>> = { '7d': 7, '30d': 30 };
export const DEFAULT_POPULAR_LIMIT = 10;
export const MAX_POPULAR_LIMIT = 100;

const DAY_MS = 86_400_000;
const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const FIRST_DAY = '1970-01-01';

/** A validated range: whole buckets from `from` to `to`, both included. */
export interface StatsRange {
  from: string;
  to: string;
  interval: StatsInterval;
  /** The first day of every bucket, oldest first. */
  buckets: string[];
}

export type StatsParams = Partial<Record<'from' | 'to' | 'interval', string | string[]>>;

export interface PopularQuery {
  window: PopularWindow;
  /** First day counted; null for all time. */
  from: string | null;
  /** Last day counted: today. */
  to: string;
  category: string | null;
  limit: number;
}

export type PopularParams = Partial<Record<'window' | 'category' | 'limit', string | string[]>>;

/** The UTC day of an instant, `YYYY-MM-DD`. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** The day `days` after `day` (before, when negative). */
export function addDays(day: string, days: number): string {
  return utcDay(new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS));
}

/** Days from `from` to `to`; negative when `to` comes first. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/** The first day of the bucket holding `day`: the day itself, or the Monday of its ISO week. */
export function bucketStart(day: string, interval: StatsInterval): string {
  if (interval === 'day') return day;
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay(); // 0 = Sunday
  return addDays(day, -((weekday + 6) % 7));
}

/**
 * Validates from, to and interval against today (UTC) and reports every
 * problem at once. With interval=week the range widens to whole ISO weeks
 * (from back to its Monday, to on to its Sunday), so every bucket is complete.
 */
export function parseStatsRange(params: StatsParams, today: string): StatsRange {
  const problems: FieldProblem[] = [];
  const from = dayParam(params, 'from', problems);
  const to = dayParam(params, 'to', problems);
  const interval = oneOf(params, 'interval', STATS_INTERVALS, problems) ?? 'day';
  if (problems.length > 0) throw invalidInput(problems);

  const end = to ?? today;
  const start = from ?? addDays(end, -(DEFAULT_STATS_DAYS - 1));
  if (start > end) {
    throw invalidInput([{ field: 'query.from', message: `${JSON.stringify(start)} is after to (${JSON.stringify(end)}); the range is inclusive and runs forwards` }]);
  }
  const first = bucketStart(start, interval);
  const last = interval === 'week' ? addDays(bucketStart(end, 'week'), 6) : end;
  if (!DAY_PATTERN.test(last)) {
    throw invalidInput([{ field: 'query.to', message: `with interval=week the range runs on to the Sunday after ${end}, which lies past 9999-12-31` }]);
  }
  const step = interval === 'week' ? 7 : 1;
  const count = (daysBetween(first, last) + 1) / step;
  if (count > MAX_STATS_BUCKETS) {
    throw invalidInput([
      {
        field: 'query.from',
        message: `the range ${first}..${last} holds ${count} ${interval}s; one request covers at most ${MAX_STATS_BUCKETS} buckets (about a year with interval=day, seven years with interval=week)`,
      },
    ]);
  }
  return { from: first, to: last, interval, buckets: Array.from({ length: count }, (_, i) => addDays(first, i * step)) };
}

/** Every bucket of the range with its downloads; buckets without any are 0. */
export function zeroFilledSeries(range: StatsRange, counts: Iterable<{ start: string; downloads: number }>): { start: string; downloads: number }[] {
  const byStart = new Map<string, number>();
  for (const { start, downloads } of counts) byStart.set(start, (byStart.get(start) ?? 0) + downloads);
  return range.buckets.map((start) => ({ start, downloads: byStart.get(start) ?? 0 }));
}

/** Validates window, category and limit; the window's days end today, today included. */
export function parsePopularQuery(params: PopularParams, today: string): PopularQuery {
  const problems: FieldProblem[] = [];
  const window = oneOf(params, 'window', POPULAR_WINDOWS, problems) ?? '7d';
  const category = oneOf(params, 'category', CATEGORY_SLUGS, problems);
  const limitParam = single(params, 'limit', problems);
  let limit = DEFAULT_POPULAR_LIMIT;
  if (limitParam !== null) {
    if (/^\d{1,3}$/.test(limitParam) && Number(limitParam) >= 1 && Number(limitParam) <= MAX_POPULAR_LIMIT) limit = Number(limitParam);
    else problems.push({ field: 'query.limit', message: `${JSON.stringify(limitParam)} must be a whole number from 1 to ${MAX_POPULAR_LIMIT}` });
  }
  if (problems.length > 0) throw invalidInput(problems);
  return { window, from: window === 'all' ? null : addDays(today, -(WINDOW_DAYS[window] - 1)), to: today, category, limit };
}

/** A parameter given once; empty counts as not given. A repeated one is a problem (Fastify hands it over as an array). */
function single<K extends string>(params: Partial<Record<K, string | string[]>>, key: K, problems: FieldProblem[]): string | null {
  const value = params[key];
  if (value === undefined || value === '') return null;
  if (typeof value !== 'string') {
    problems.push({ field: `query.${key}`, message: 'must be given once' });
    return null;
  }
  return value;
}

function oneOf<K extends string, T extends string>(params: Partial<Record<K, string | string[]>>, key: K, allowed: readonly T[], problems: FieldProblem[]): T | null {
  const value = single(params, key, problems);
  if (value === null) return null;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  problems.push({ field: `query.${key}`, message: `${JSON.stringify(value)} is not one of: ${allowed.join(', ')}` });
  return null;
}

function dayParam(params: StatsParams, key: 'from' | 'to', problems: FieldProblem[]): string | null {
  const value = single(params, key, problems);
  if (value === null) return null;
  // The round trip refuses days that do not exist (2023-02-29, 2024-13-01). Nothing was downloaded before 1970, and
  // earlier years run into dates PostgreSQL and toISOString() cannot write (year 0, negative years).
  if (DAY_PATTERN.test(value) && value >= FIRST_DAY && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && utcDay(new Date(`${value}T00:00:00Z`)) === value) return value;
  problems.push({ field: `query.${key}`, message: `${JSON.stringify(value)} must be a UTC date written YYYY-MM-DD from ${FIRST_DAY} to 9999-12-31, e.g. 2025-03-01` });
  return null;
}
