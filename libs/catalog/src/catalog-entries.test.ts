import { describe, expect, it } from 'vitest';
import { catalogLanguages, MAX_LANGUAGES } from './catalog-entries.js';

const producers = (...names: string[]) => ({ language: names.map((name) => ({ name, version: '' })), processedBy: [], sdk: [] });

describe('catalogLanguages: the languages search filters a version by', () => {
  it('lowercases each name once, in the order the producers section gives them', () => {
    expect(catalogLanguages(producers('Rust', 'C++', 'rust', 'AssemblyScript'))).toEqual(['rust', 'c++', 'assemblyscript']);
    expect(catalogLanguages(null)).toEqual([]);
  });

  it('keeps only names the language filter could match, and at most 8', () => {
    expect(catalogLanguages(producers('a'.repeat(20 * 1024 * 1024), 'Go', 'two words', `x${'…'}`, 'a'.repeat(33)))).toEqual(['go']);
    const many = Array.from({ length: 20 }, (_, i) => `lang${i}`);
    expect(catalogLanguages(producers(...many))).toEqual(many.slice(0, MAX_LANGUAGES));
  });
});
