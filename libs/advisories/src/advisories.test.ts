import { describe, expect, it } from 'vitest';
import { RegistryError } from '../../domain/index.js';
import { parseAdvisoryContent, newAdvisoryId, ADVISORY_ID_PATTERN } from './advisory.js';
import { fixedVersionFor, isAffected, rangesOverlap, type AffectedRange } from './affected-ranges.js';
import { parseSeverity } from './cvss.js';

const range = (introduced: string, fixed: string | null = null, lastAffected: string | null = null): AffectedRange => ({ introduced, fixed, lastAffected });

function problems(body: unknown, partial = false): { field: string; message: string }[] {
  try {
    if (partial) parseAdvisoryContent(body, true);
    else parseAdvisoryContent(body, false);
  } catch (error) {
    expect(error).toBeInstanceOf(RegistryError);
    return (error as RegistryError).extensions.errors as { field: string; message: string }[];
  }
  throw new Error('accepted');
}

describe('CVSS severities', () => {
  it('scores 3.1 and 4.0 vectors with the calculator and rates them', () => {
    expect(parseSeverity('s', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toEqual({ type: 'CVSS_V3', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8, rating: 'critical' });
    expect(parseSeverity('s', 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:N/A:N')).toMatchObject({ score: 6.8, rating: 'medium' });
    expect(parseSeverity('s', 'CVSS:3.0/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N')).toMatchObject({ type: 'CVSS_V3', score: 1.8, rating: 'low' });
    expect(parseSeverity('s', 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N')).toMatchObject({ type: 'CVSS_V4', score: 9.3, rating: 'critical' });
    expect(parseSeverity('s', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N')).toMatchObject({ score: 0, rating: 'none' });
  });

  it('refuses vectors that lack base metrics, repeat one, or carry unknown values', () => {
    expect(parseSeverity('s', 'CVSS:3.1/AV:N')).toEqual({ field: 's', message: expect.stringContaining('lacks the base metrics AC, PR, UI, S, C, I, A') });
    expect(parseSeverity('s', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AV:L')).toEqual({ field: 's', message: 'names the metric AV twice' });
    expect(parseSeverity('s', 'CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toMatchObject({ message: expect.stringContaining('not a valid CVSS 3.1 vector') });
    expect(parseSeverity('s', 'CVSS:2.0/AV:N')).toMatchObject({ message: expect.stringContaining('must be a CVSS 3.0, 3.1 or 4.0 vector') });
    expect(parseSeverity('s', 9.8)).toMatchObject({ field: 's' });
  });
});

describe('affected ranges (OSV SEMVER)', () => {
  it('orders pre-releases by SemVer precedence: a release candidate of the fix is still affected', () => {
    const ranges = [range('1.0.0', '1.2.0')];
    expect(isAffected('1.2.0-rc.1', ranges)).toBe(true);
    expect(isAffected('1.2.0', ranges)).toBe(false);
    expect(isAffected('1.0.0-beta.2', ranges)).toBe(false);
    expect(isAffected('1.0.0', ranges)).toBe(true);
    expect(isAffected('1.1.9', ranges)).toBe(true);
  });

  it('reads "0", last_affected and open ends, and names the fix of the range a version is in', () => {
    const ranges = [range('0', '1.0.1'), range('2.0.0-alpha.1', null, '2.3.0'), range('3.0.0')];
    expect(isAffected('0.0.1-dev', ranges)).toBe(true);
    expect(isAffected('1.0.1', ranges)).toBe(false);
    expect(isAffected('2.0.0-alpha.1', ranges)).toBe(true);
    expect(isAffected('2.0.0-alpha.0', ranges)).toBe(false);
    expect(isAffected('2.3.0', ranges)).toBe(true);
    expect(isAffected('2.3.1-rc.1', ranges)).toBe(false);
    expect(isAffected('9.0.0', ranges)).toBe(true);
    expect(fixedVersionFor('0.9.0', ranges)).toBe('1.0.1');
    expect(fixedVersionFor('2.1.0', ranges)).toBeNull();
    expect(fixedVersionFor('2.5.0', ranges)).toBeNull();
  });

  it('finds overlapping ranges', () => {
    expect(rangesOverlap(range('1.0.0', '2.0.0'), range('2.0.0', '3.0.0'))).toBe(false);
    expect(rangesOverlap(range('1.0.0', null, '2.0.0'), range('2.0.0', '3.0.0'))).toBe(true);
    expect(rangesOverlap(range('0', '1.0.0'), range('0.5.0', '0.6.0'))).toBe(true);
    expect(rangesOverlap(range('0', '1.0.0'), range('1.0.0-rc.1'))).toBe(true);
    expect(rangesOverlap(range('0', '1.0.0'), range('0', '2.0.0'))).toBe(true);
  });
});

describe('advisory content from a request body', () => {
  const valid = { summary: 'Token check skipped on HEAD', severity: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', affected: [{ introduced: '1.0.0', fixed: '1.2.0' }] };

  it('takes a minimal advisory and fills in the optional lists', () => {
    expect(parseAdvisoryContent(valid, false)).toEqual({
      summary: 'Token check skipped on HEAD',
      details: '',
      severity: { type: 'CVSS_V3', vector: valid.severity, score: 9.8, rating: 'critical' },
      affected: [{ introduced: '1.0.0', fixed: '1.2.0', lastAffected: null }],
      aliases: [],
      references: [],
      credits: [],
    });
  });

  it('names every bad field and what is allowed', () => {
    const found = problems({
      summary: 'two\nlines',
      severity: 'CVSS:3.1/AV:N',
      affected: [{ introduced: 'v1', fixed: '1.0.0' }, { introduced: '2.0.0', fixed: '1.0.0' }, { introduced: '1.0.0', fixed: '2.0.0', lastAffected: '1.5.0' }],
      aliases: ['not an id'],
      references: [{ type: 'BLOG', url: 'ftp://x' }],
      credits: [{ name: 'Ann', type: 'HERO' }],
      extra: 1,
    });
    expect(found.map((p) => p.field).sort()).toEqual(
      [
        'body.extra',
        'body.summary',
        'body.severity',
        'body.affected[0].introduced',
        'body.affected[1]',
        'body.affected[2]',
        'body.aliases[0]',
        'body.references[0].type',
        'body.references[0].url',
        'body.credits[0].type',
      ].sort(),
    );
    expect(found.find((p) => p.field === 'body.affected[1]')!.message).toBe('ends (1.0.0) before it begins (introduced 2.0.0)');
  });

  it('requires summary, severity and affected of a new advisory, and refuses overlapping ranges', () => {
    expect(problems({}).map((p) => p.field)).toEqual(['body.summary', 'body.severity', 'body.affected']);
    expect(problems({ ...valid, affected: [{ introduced: '1.0.0', fixed: '2.0.0' }, { introduced: '1.5.0' }] })).toEqual([
      { field: 'body.affected[1]', message: 'overlaps body.affected[0] (>= 1.0.0, < 2.0.0); SemVer ranges must not overlap' },
    ]);
  });

  it('takes any subset as an update, but not nothing', () => {
    expect(parseAdvisoryContent({ details: '# Fixed in 1.2.0' }, true)).toEqual({ details: '# Fixed in 1.2.0' });
    expect(problems({}, true)).toEqual([{ field: 'body', message: expect.stringContaining('names nothing to change') }]);
  });

  it('assigns ids in the registry\'s form', () => {
    const ids = new Set(Array.from({ length: 200 }, newAdvisoryId));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(id).toMatch(ADVISORY_ID_PATTERN);
  });
});
