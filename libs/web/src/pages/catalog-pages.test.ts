import { describe, expect, it } from 'vitest';
import { inlineCode } from '../../test/inline-code.js';
import { errorPage, homePage, searchPage, type Category, type Entry } from './catalog-pages.js';

const CATEGORIES: Category[] = [{ slug: 'security', name: 'Security', description: 'Keeps the bad out.', plugins: 1, share: 1 }];
const ENTRY: Entry = {
  namespace: 'acme',
  name: 'jwt-auth',
  description: 'Validates <b>JWTs</b> "quoted" style="x" onclick="y"',
  categories: ['security'],
  latestVersion: '1.0.0',
  latest: { abiVersion: '0.2.1', kind: 'module', languages: ['rust'], hosts: ['envoy'] },
  downloads: 12,
  recentDownloads: 3,
  signed: true,
  deprecation: { message: 'Use <x> instead' },
  advisories: { count: 2, severity: 'high', score: 8.1 },
  updatedAt: '2026-11-01T00:00:00.000Z',
};

describe('catalog pages within the Content-Security-Policy', () => {
  it('render no inline style, script, event handler or javascript: URL in any state', () => {
    const pages = {
      home: homePage({ categories: CATEGORIES, listed: 1, popular: [ENTRY], recent: [ENTRY], summary: { plugins: 1, versions: 1, downloads: 12, publishers: 1 } }),
      emptyHome: homePage({ categories: [], listed: 0, popular: [], recent: [], summary: { plugins: 0, versions: 0, downloads: 0, publishers: 0 } }),
      results: searchPage({ params: { q: 'jwt', cursor: 'abc' }, categories: CATEGORIES, items: [ENTRY], total: 1, nextCursor: 'next', errors: [] }),
      refused: searchPage({ params: { abi: '9' }, categories: CATEGORIES, items: [], total: null, nextCursor: null, errors: [{ field: 'query.abi', message: 'is not one of …' }] }),
      category: searchPage({ params: {}, categories: CATEGORIES, items: [ENTRY], total: 1, nextCursor: null, errors: [], heading: 'Security', path: '/categories/security' }),
      error: errorPage(400, 'Invalid input', 'query.q: holds U+0000'),
    };
    for (const [name, html] of Object.entries(pages)) expect(inlineCode(html), name).toEqual([]);
  });

  it('badges an entry whose latest version has advisories in force, and no other', () => {
    const results = searchPage({ params: {}, categories: CATEGORIES, items: [ENTRY, { ...ENTRY, name: 'clean', advisories: null }], total: 2, nextCursor: null, errors: [] });
    expect(results.match(/advisory: high/g)).toHaveLength(1);
    expect(results).toContain('title="2 advisories in force on 1.0.0, the most severe high (8.1)"');
  });

  it('finds what the policy would block', () => {
    expect(inlineCode('<p style="color:red">x</p><script>alert(1)</script><script src="/a.js"></script><a href="javascript:x">y</a><b onclick="z">w</b><style>p{}</style>')).toEqual([
      '<p style="color:red">',
      '<script>',
      '<a href="javascript:x">',
      '<b onclick="z">',
      '<style>',
    ]);
  });
});
