import { CATEGORY_SLUGS, invalidInput, type FieldProblem, NAME_PATTERN, nameProblem } from '../../domain/index.js';
import { LANGUAGE_NAME } from './catalog-entries.js';

/** A catalog search, parsed and validated: what the repository turns into SQL. */
export interface SearchQuery {
  /** Lowercased and trimmed; null without a text query. */
  text: string | null;
  /** The words of `text` (letters and digits), for the full-text query. */
  words: string[];
  category: string | null;
  namespace: string | null;
  abi: AbiVersion | null;
  host: Host | null;
  kind: 'module' | 'component' | null;
  language: string | null;
  signed: boolean | null;
  /** `none`: the latest version has no advisory in force; `any` or a rating: it has one at least that severe. */
  advisory: AdvisoryFilter | null;
  sort: SearchSort;
  limit: number;
  cursor: SearchCursor | null;
}

export const SEARCH_SORTS = ['relevance', 'downloads', 'recent', 'name'] as const;
export type SearchSort = (typeof SEARCH_SORTS)[number];
export const ABI_VERSIONS = ['0.1.0', '0.2.0', '0.2.1'] as const;
export type AbiVersion = (typeof ABI_VERSIONS)[number];
export const HOSTS = ['envoy', 'istio', 'mosn'] as const;
export type Host = (typeof HOSTS)[number];
const KINDS = ['module', 'component'] as const;

export const ADVISORY_FILTERS = ['none', 'any', 'low', 'medium', 'high', 'critical'] as const;
export type AdvisoryFilter = (typeof ADVISORY_FILTERS)[number];

export const MAX_SEARCH_LIMIT = 100;
export const DEFAULT_SEARCH_LIMIT = 20;
const MAX_QUERY_LENGTH = 200;
const MAX_WORDS = 8;

/**
 * Where the previous page ended: the sort key of its last item. Keyset
 * pagination, so a page never repeats or skips an item because others were
 * inserted before it.
 */
export type SearchCursor =
  | { sort: 'relevance'; score: string; downloads: string; id: string }
  | { sort: 'downloads'; downloads: string; id: string }
  | { sort: 'recent'; releasedAt: string; id: string }
  | { sort: 'name'; name: string; namespace: string };

export type SearchParams = Partial<Record<'q' | 'category' | 'namespace' | 'abi' | 'host' | 'kind' | 'language' | 'signed' | 'advisory' | 'sort' | 'limit' | 'cursor', string>>;

/** Validates every parameter and reports all problems at once, each naming its field and what is allowed. */
export function parseSearchQuery(params: SearchParams): SearchQuery {
  const problems: FieldProblem[] = [];
  const given = (key: keyof SearchParams): string | null => {
    const value = params[key];
    return value === undefined || value === '' ? null : value;
  };
  const oneOf = <T extends string>(key: keyof SearchParams, allowed: readonly T[]): T | null => {
    const value = given(key);
    if (value === null) return null;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    problems.push({ field: `query.${key}`, message: `${JSON.stringify(value)} is not one of: ${allowed.join(', ')}` });
    return null;
  };

  let text = given('q')?.trim().toLowerCase() ?? null;
  if (text === '') text = null;
  if (text !== null && text.length > MAX_QUERY_LENGTH) {
    problems.push({ field: 'query.q', message: `is ${text.length} characters long; at most ${MAX_QUERY_LENGTH} are allowed` });
  }
  const words = text === null ? [] : [...new Set(text.match(/[\p{L}\p{N}]+/gu) ?? [])].slice(0, MAX_WORDS);

  const category = oneOf('category', CATEGORY_SLUGS);
  const namespace = given('namespace');
  if (namespace !== null) {
    const problem = nameProblem('query.namespace', namespace);
    if (problem !== null) problems.push(problem);
  }
  const abi = oneOf('abi', ABI_VERSIONS);
  const host = oneOf('host', HOSTS);
  const kind = oneOf('kind', KINDS);
  const language = given('language')?.toLowerCase() ?? null;
  if (language !== null && !LANGUAGE_NAME.test(language)) {
    problems.push({ field: 'query.language', message: `${JSON.stringify(language)} must be a language name as in the producers section, e.g. rust, go, c, assemblyscript` });
  }
  const signedParam = oneOf('signed', ['true', 'false'] as const);
  const advisory = oneOf('advisory', ADVISORY_FILTERS);
  const sort = oneOf('sort', SEARCH_SORTS) ?? (text === null ? 'downloads' : 'relevance');
  if (sort === 'relevance' && text === null) {
    problems.push({ field: 'query.sort', message: 'relevance needs a text query (q); without one, sort by downloads, recent or name' });
  }
  const limitParam = given('limit');
  let limit = DEFAULT_SEARCH_LIMIT;
  if (limitParam !== null) {
    if (/^\d+$/.test(limitParam) && Number(limitParam) >= 1 && Number(limitParam) <= MAX_SEARCH_LIMIT) limit = Number(limitParam);
    else problems.push({ field: 'query.limit', message: `${JSON.stringify(limitParam)} must be a whole number from 1 to ${MAX_SEARCH_LIMIT}` });
  }
  const cursorParam = given('cursor');
  const cursor = cursorParam === null ? null : decodeSearchCursor(cursorParam, sort);
  if (cursorParam !== null && cursor === null) {
    problems.push({ field: 'query.cursor', message: 'is not a cursor returned for this sort (pass nextCursor from the previous page, with the same q, filters and sort)' });
  }
  if (problems.length > 0) throw invalidInput(problems);
  return {
    text,
    words,
    category,
    namespace,
    abi,
    host,
    kind,
    language,
    signed: signedParam === null ? null : signedParam === 'true',
    advisory,
    sort,
    limit,
    cursor,
  };
}

export function encodeSearchCursor(cursor: SearchCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

const DECIMAL = /^\d{1,20}(\.\d{1,8})?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function decodeSearchCursor(raw: string, sort: SearchSort): SearchCursor | null {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (value === null || typeof value !== 'object' || value['sort'] !== sort) return null;
  const str = (key: string, pattern: RegExp): string | null => {
    const v = value[key];
    return typeof v === 'string' && pattern.test(v) ? v : null;
  };
  const id = str('id', UUID);
  switch (sort) {
    case 'relevance': {
      const score = str('score', DECIMAL);
      const downloads = str('downloads', DECIMAL);
      return score !== null && downloads !== null && id !== null ? { sort, score, downloads, id } : null;
    }
    case 'downloads': {
      const downloads = str('downloads', DECIMAL);
      return downloads !== null && id !== null ? { sort, downloads, id } : null;
    }
    case 'recent': {
      const releasedAt = str('releasedAt', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      return releasedAt !== null && id !== null ? { sort, releasedAt, id } : null;
    }
    case 'name': {
      const name = str('name', NAME_PATTERN);
      const namespace = str('namespace', NAME_PATTERN);
      return name !== null && namespace !== null ? { sort, name, namespace } : null;
    }
  }
}
