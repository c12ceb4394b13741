import { describe, expect, it } from 'vitest';
import { RegistryError } from '../../domain/index.js';
import { bucketStart, parsePopularQuery, parseStatsRange, zeroFilledSeries, type PopularParams, type StatsParams } from './stats-range.js';

function problemsOf(parse: () => unknown): { field: string; message: string }[] {
  try {
    parse();
  } catch (error) {
    if (error instanceof RegistryError) return (error.extensions as { errors: { field: string; message: string }[] }).errors;
    throw error;
  }
  throw new Error('expected the parameters to be refused');
}
const rangeProblems = (params: StatsParams, today = '2025-06-15') => problemsOf(() => parseStatsRange(params, today));
const popularProblems = (params: PopularParams) => problemsOf(() => parsePopularQuery(params, '2025-06-15'));

describe('parseStatsRange', () => {
  it('defaults to the last 30 UTC days by day, today included', () => {
    const range = parseStatsRange({}, '2025-03-10');
    expect(range).toMatchObject({ from: '2025-02-09', to: '2025-03-10', interval: 'day' });
    expect(range.buckets).toHaveLength(30);
    expect(range.buckets[0]).toBe('2025-02-09');
    expect(range.buckets.at(-1)).toBe('2025-03-10');
  });

  it('counts back 29 days from a given to, and runs to today from a given from', () => {
    expect(parseStatsRange({ to: '2024-03-05' }, '2025-01-01')).toMatchObject({ from: '2024-02-05', to: '2024-03-05' });
    expect(parseStatsRange({ from: '2025-05-30' }, '2025-06-02').buckets).toEqual(['2025-05-30', '2025-05-31', '2025-06-01', '2025-06-02']);
  });

  it('walks days across a leap day and a year boundary', () => {
    expect(parseStatsRange({ from: '2024-02-28', to: '2024-03-01' }, '2025-01-01').buckets).toEqual(['2024-02-28', '2024-02-29', '2024-03-01']);
    expect(parseStatsRange({ from: '2024-12-31', to: '2025-01-01' }, '2025-01-01').buckets).toEqual(['2024-12-31', '2025-01-01']);
    expect(parseStatsRange({ from: '2025-06-15', to: '2025-06-15' }, '2025-06-15').buckets).toEqual(['2025-06-15']);
  });

  it('widens a weekly range to whole ISO weeks, each labelled by its Monday', () => {
    // 2024-02-28 is a Wednesday, 2024-03-04 a Monday.
    const range = parseStatsRange({ from: '2024-02-28', to: '2024-03-04', interval: 'week' }, '2025-01-01');
    expect(range).toMatchObject({ from: '2024-02-26', to: '2024-03-10', interval: 'week', buckets: ['2024-02-26', '2024-03-04'] });
    // ISO week 1 of 2025 starts on Monday 2024-12-30.
    expect(parseStatsRange({ from: '2025-01-01', to: '2025-01-05', interval: 'week' }, '2025-01-05')).toMatchObject({
      from: '2024-12-30',
      to: '2025-01-05',
      buckets: ['2024-12-30'],
    });
  });

  it('finds the Monday of any day, Sunday included', () => {
    expect(bucketStart('2025-06-15', 'week')).toBe('2025-06-09'); // Sunday
    expect(bucketStart('2025-06-16', 'week')).toBe('2025-06-16'); // Monday
    expect(bucketStart('2025-03-01', 'week')).toBe('2025-02-24'); // Saturday, across a month
    expect(bucketStart('2025-03-01', 'day')).toBe('2025-03-01');
  });

  it('allows 366 buckets and refuses 367, saying the limit', () => {
    expect(parseStatsRange({ from: '2024-01-01', to: '2024-12-31' }, '2025-01-01').buckets).toHaveLength(366);
    const [problem] = rangeProblems({ from: '2023-12-31', to: '2024-12-31' });
    expect(problem).toMatchObject({ field: 'query.from' });
    expect(problem!.message).toContain('367 days');
    expect(problem!.message).toContain('at most 366');
    // Seven years fit by week, not by day.
    expect(parseStatsRange({ from: '2019-01-01', to: '2025-12-31', interval: 'week' }, '2025-01-01').buckets).toHaveLength(366);
    expect(rangeProblems({ from: '2018-12-24', to: '2025-12-31', interval: 'week' })[0]!.message).toContain('367 weeks');
  });

  it('refuses days that do not exist or are not written YYYY-MM-DD, naming each field', () => {
    for (const bad of ['2023-02-29', '2024-13-01', '2024-04-31', '2024-3-1', '20240301', '2024-03-01T00:00:00Z', 'today']) {
      expect(rangeProblems({ from: bad })).toEqual([{ field: 'query.from', message: expect.stringContaining('YYYY-MM-DD') }]);
    }
    expect(rangeProblems({ from: 'x', to: 'y', interval: 'month' }).map((p) => p.field)).toEqual(['query.from', 'query.to', 'query.interval']);
    expect(rangeProblems({ interval: 'month' })[0]!.message).toContain('day, week');
    expect(rangeProblems({ from: ['2025-01-01', '2025-01-02'] })[0]).toEqual({ field: 'query.from', message: 'must be given once' });
  });

  it('keeps to days PostgreSQL and ISO dates can write: from 1970 to the end of 9999', () => {
    for (const bad of ['0000-01-01', '0001-01-01', '1969-12-31']) expect(rangeProblems({ to: bad })[0]).toMatchObject({ field: 'query.to', message: expect.stringContaining('from 1970-01-01') });
    expect(parseStatsRange({ to: '1970-01-01' }, '2025-01-01').from).toBe('1969-12-03');
    expect(parseStatsRange({ from: '9999-12-01', to: '9999-12-31' }, '2025-01-01').buckets).toHaveLength(31);
    expect(rangeProblems({ from: '9999-12-01', to: '9999-12-31', interval: 'week' })[0]).toMatchObject({ field: 'query.to', message: expect.stringContaining('past 9999-12-31') });
  });

  it('refuses from after to, also when to defaults to today', () => {
    expect(rangeProblems({ from: '2025-03-02', to: '2025-03-01' })[0]).toMatchObject({ field: 'query.from', message: expect.stringContaining('after to') });
    expect(rangeProblems({ from: '2025-06-16' }, '2025-06-15')[0]).toMatchObject({ field: 'query.from' });
  });
});

describe('zeroFilledSeries', () => {
  it('gives every bucket, in order, with 0 where nothing was counted, and ignores counts outside the range', () => {
    const range = parseStatsRange({ from: '2025-01-01', to: '2025-01-04' }, '2025-01-04');
    expect(
      zeroFilledSeries(range, [
        { start: '2025-01-03', downloads: 5 },
        { start: '2025-01-01', downloads: 2 },
        { start: '2024-12-31', downloads: 99 },
      ]),
    ).toEqual([
      { start: '2025-01-01', downloads: 2 },
      { start: '2025-01-02', downloads: 0 },
      { start: '2025-01-03', downloads: 5 },
      { start: '2025-01-04', downloads: 0 },
    ]);
  });
});

describe('parsePopularQuery', () => {
  it('defaults to the last 7 days, today included, and 10 plugins', () => {
    expect(parsePopularQuery({}, '2025-03-02')).toEqual({ window: '7d', from: '2025-02-24', to: '2025-03-02', category: null, limit: 10 });
    expect(parsePopularQuery({ window: '30d', limit: '100', category: 'security' }, '2025-03-02')).toEqual({
      window: '30d',
      from: '2025-02-01',
      to: '2025-03-02',
      category: 'security',
      limit: 100,
    });
    expect(parsePopularQuery({ window: 'all' }, '2025-03-02')).toMatchObject({ window: 'all', from: null });
  });

  it('refuses an unknown window or category, listing what is allowed, and a limit outside 1..100', () => {
    const problems = popularProblems({ window: '1y', category: 'waf', limit: '101' });
    expect(problems.map((p) => p.field)).toEqual(['query.window', 'query.category', 'query.limit']);
    expect(problems[0]!.message).toContain('7d, 30d, all');
    expect(problems[1]!.message).toContain('authentication-authorization, observability, traffic-management, security, integration, other');
    expect(problems[2]!.message).toContain('1 to 100');
    expect(popularProblems({ limit: '0' })[0]!.field).toBe('query.limit');
    expect(popularProblems({ limit: '2.5' })[0]!.field).toBe('query.limit');
  });
});
