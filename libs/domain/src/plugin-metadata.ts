import { CATEGORY_SLUGS } from './categories.js';
import { licenseProblem } from './licenses.js';
import { invalidInput, type FieldProblem } from './registry-error.js';
import { textProblem, type TextKind } from './text.js';

/** What a publisher says about a plugin; everything else is computed by the registry. */
export interface PluginMetadata {
  description: string;
  license: string | null;
  homepage: string | null;
  repository: string | null;
  keywords: string[];
  categories: string[];
}

export const METADATA_LIMITS = {
  description: 4000,
  url: 2048,
  keywords: 20,
  keyword: /^[a-z0-9][a-z0-9-]{0,31}$/,
  categories: 6,
} as const;

const FIELDS = ['description', 'license', 'homepage', 'repository', 'keywords', 'categories'];

/**
 * Checks a metadata document field by field and reports every problem at once,
 * each naming the field, what was wrong and what is allowed. `fieldPrefix`
 * names where the document sits in the request (`body`, or `body.manifest`
 * when a version's manifest carries it).
 */
export function parsePluginMetadata(input: unknown, fieldPrefix = 'body'): PluginMetadata {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalidInput([{ field: fieldPrefix, message: 'must be a JSON object with the plugin metadata' }]);
  }
  const body = input as Record<string, unknown>;
  const problems: FieldProblem[] = [];

  for (const key of Object.keys(body)) {
    if (!FIELDS.includes(key)) {
      problems.push({ field: `${fieldPrefix}.${key}`, message: `is not a metadata field; allowed: ${FIELDS.join(', ')}` });
    }
  }

  const optionalString = (key: string, max: number, kind: TextKind = 'line'): string | null => {
    const value = body[key];
    if (value === undefined || value === null || value === '') return null;
    if (typeof value !== 'string') {
      problems.push({ field: `${fieldPrefix}.${key}`, message: 'must be a string' });
      return null;
    }
    if (value.length > max) problems.push({ field: `${fieldPrefix}.${key}`, message: `must be at most ${max} characters (got ${value.length})` });
    const text = textProblem(`${fieldPrefix}.${key}`, value, kind);
    if (text !== null) {
      problems.push(text);
      return null;
    }
    return value;
  };
  const httpUrl = (key: string): string | null => {
    const value = optionalString(key, METADATA_LIMITS.url);
    if (value === null) return null;
    let protocol = '';
    try {
      protocol = new URL(value).protocol;
    } catch {
      // reported below
    }
    if (protocol !== 'https:' && protocol !== 'http:') {
      problems.push({ field: `${fieldPrefix}.${key}`, message: `${JSON.stringify(value)} must be an absolute http:// or https:// URL` });
    }
    return value;
  };
  const stringList = (key: string): string[] => {
    const value = body[key];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
      problems.push({ field: `${fieldPrefix}.${key}`, message: 'must be an array of strings' });
      return [];
    }
    return [...new Set(value as string[])];
  };

  const description = optionalString('description', METADATA_LIMITS.description, 'lines') ?? '';
  const license = optionalString('license', 256);
  if (license !== null) {
    const problem = licenseProblem(`${fieldPrefix}.license`, license);
    if (problem) problems.push(problem);
  }
  const homepage = httpUrl('homepage');
  const repository = httpUrl('repository');

  const keywords = stringList('keywords');
  if (keywords.length > METADATA_LIMITS.keywords) {
    problems.push({ field: `${fieldPrefix}.keywords`, message: `at most ${METADATA_LIMITS.keywords} keywords are allowed (got ${keywords.length})` });
  }
  keywords.forEach((keyword, i) => {
    if (!METADATA_LIMITS.keyword.test(keyword)) {
      problems.push({
        field: `${fieldPrefix}.keywords[${i}]`,
        message: `${JSON.stringify(keyword)} must be 1-32 lowercase letters, digits or "-", starting with a letter or digit`,
      });
    }
  });

  const categories = stringList('categories');
  if (categories.length > METADATA_LIMITS.categories) {
    problems.push({ field: `${fieldPrefix}.categories`, message: `at most ${METADATA_LIMITS.categories} categories are allowed (got ${categories.length})` });
  }
  categories.forEach((category, i) => {
    if (!CATEGORY_SLUGS.includes(category)) {
      problems.push({
        field: `${fieldPrefix}.categories[${i}]`,
        message: `${JSON.stringify(category)} is not a category; valid categories: ${CATEGORY_SLUGS.join(', ')}`,
      });
    }
  });

  if (problems.length > 0) throw invalidInput(problems);
  return { description, license, homepage, repository, keywords, categories };
}
