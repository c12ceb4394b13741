import { randomInt } from 'node:crypto';
import semver from 'semver';
import { invalidInput, textProblem, versionProblem, type FieldProblem } from '../../domain/index.js';
import { describeRange, rangesOverlap, type AffectedRange } from './affected-ranges.js';
import { parseSeverity, type Severity } from './cvss.js';

/** OSV reference types (schema 1.6). */
export const REFERENCE_TYPES = ['ADVISORY', 'ARTICLE', 'DETECTION', 'DISCUSSION', 'REPORT', 'FIX', 'INTRODUCED', 'PACKAGE', 'EVIDENCE', 'WEB'] as const;
/** OSV credit types (schema 1.6). */
export const CREDIT_TYPES = [
  'FINDER',
  'REPORTER',
  'ANALYST',
  'COORDINATOR',
  'REMEDIATION_DEVELOPER',
  'REMEDIATION_REVIEWER',
  'REMEDIATION_VERIFIER',
  'TOOL',
  'SPONSOR',
  'OTHER',
] as const;

export type ReferenceType = (typeof REFERENCE_TYPES)[number];
export type CreditType = (typeof CREDIT_TYPES)[number];
export interface AdvisoryReference {
  type: ReferenceType;
  url: string;
}
export interface AdvisoryCredit {
  name: string;
  contact: string[];
  type: CreditType | null;
}

/** What a publisher writes; the registry adds the id, the plugin and the times. */
export interface AdvisoryContent {
  summary: string;
  details: string;
  severity: Severity;
  affected: AffectedRange[];
  aliases: string[];
  references: AdvisoryReference[];
  credits: AdvisoryCredit[];
}

export const ADVISORY_LIMITS = {
  summaryLength: 200,
  detailsLength: 32_768,
  ranges: 20,
  aliases: 20,
  aliasLength: 64,
  references: 30,
  urlLength: 2_048,
  credits: 20,
  creditNameLength: 200,
  contacts: 5,
} as const;

/** Advisory ids: the registry's prefix and three groups of four characters no one misreads (as GHSA ids). */
export const ADVISORY_ID_PATTERN = /^WPR(-[23456789cfghjmpqrvwx]{4}){3}$/;
const ID_ALPHABET = '23456789cfghjmpqrvwx';

export function newAdvisoryId(): string {
  const group = () => Array.from({ length: 4 }, () => ID_ALPHABET[randomInt(ID_ALPHABET.length)]).join('');
  return `WPR-${group()}-${group()}-${group()}`;
}

const FIELDS = ['summary', 'details', 'severity', 'affected', 'aliases', 'references', 'credits'] as const;
type Field = (typeof FIELDS)[number];

/**
 * Reads a published or updated advisory from a request body. `partial` (an
 * update) takes any of the fields and keeps the rest; a new advisory needs
 * summary, severity and affected. Every problem is named by its field.
 */
export function parseAdvisoryContent(body: unknown, partial: false): AdvisoryContent;
export function parseAdvisoryContent(body: unknown, partial: true): Partial<AdvisoryContent>;
export function parseAdvisoryContent(body: unknown, partial: boolean): Partial<AdvisoryContent> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidInput([{ field: 'body', message: `must be a JSON object with ${FIELDS.join(', ')}` }]);
  }
  const input = body as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  for (const key of Object.keys(input)) {
    if (!(FIELDS as readonly string[]).includes(key)) problems.push({ field: `body.${key}`, message: `is not a known field; the fields are ${FIELDS.join(', ')}` });
  }
  const has = (field: Field) => input[field] !== undefined;
  if (!partial) {
    for (const field of ['summary', 'severity', 'affected'] as const) if (!has(field)) problems.push({ field: `body.${field}`, message: 'is required' });
  } else if (!FIELDS.some(has) && problems.length === 0) {
    problems.push({ field: 'body', message: `names nothing to change; give at least one of ${FIELDS.join(', ')}` });
  }
  const content: Partial<AdvisoryContent> = {};
  if (has('summary')) content.summary = text(problems, 'body.summary', input.summary, ADVISORY_LIMITS.summaryLength, 'line', 1);
  if (has('details')) content.details = text(problems, 'body.details', input.details, ADVISORY_LIMITS.detailsLength, 'lines', 0);
  if (has('severity')) {
    const severity = parseSeverity('body.severity', input.severity);
    if ('field' in severity) problems.push(severity);
    else content.severity = severity;
  }
  if (has('affected')) content.affected = affectedRanges(problems, input.affected);
  if (has('aliases')) content.aliases = aliases(problems, input.aliases);
  if (has('references')) content.references = references(problems, input.references);
  if (has('credits')) content.credits = credits(problems, input.credits);
  if (problems.length > 0) throw invalidInput(problems);
  if (!partial) return { details: '', aliases: [], references: [], credits: [], ...content };
  return content;
}

function text(problems: FieldProblem[], field: string, value: unknown, max: number, kind: 'line' | 'lines', min: number): string {
  if (typeof value !== 'string' || value.trim().length < min || value.length > max) {
    problems.push({ field, message: `must be a string of ${min} to ${max} characters` });
    return '';
  }
  const problem = textProblem(field, value, kind);
  if (problem !== null) problems.push(problem);
  return kind === 'line' ? value.trim() : value;
}

function list(problems: FieldProblem[], field: string, value: unknown, max: number, min = 0): unknown[] {
  if (!Array.isArray(value) || value.length < min || value.length > max) {
    problems.push({ field, message: `must be an array of ${min} to ${max} items` });
    return [];
  }
  return value;
}

function object(problems: FieldProblem[], field: string, value: unknown, keys: readonly string[]): Record<string, unknown> | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push({ field, message: `must be an object with ${keys.join(', ')}` });
    return null;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) if (!keys.includes(key)) problems.push({ field: `${field}.${key}`, message: `is not a known field; the fields are ${keys.join(', ')}` });
  return record;
}

function affectedRanges(problems: FieldProblem[], value: unknown): AffectedRange[] {
  const accepted: { index: number; range: AffectedRange }[] = [];
  list(problems, 'body.affected', value, ADVISORY_LIMITS.ranges, 1).forEach((item, i) => {
    const field = `body.affected[${i}]`;
    const range = object(problems, field, item, ['introduced', 'fixed', 'lastAffected']);
    if (range === null) return;
    const version = (key: string, required: boolean): string | null => {
      const v = range[key];
      if (v === undefined || v === null) {
        if (required) problems.push({ field: `${field}.${key}`, message: 'is required: a semantic version, or "0" for every version before the first fix' });
        return null;
      }
      if (typeof v !== 'string') {
        problems.push({ field: `${field}.${key}`, message: 'must be a semantic version string' });
        return null;
      }
      if (key === 'introduced' && v === '0') return v;
      const problem = versionProblem(`${field}.${key}`, v);
      if (problem !== null) problems.push(problem);
      return problem === null ? v : null;
    };
    const introduced = version('introduced', true);
    const fixed = version('fixed', false);
    const lastAffected = version('lastAffected', false);
    if (fixed !== null && lastAffected !== null) {
      problems.push({ field, message: 'gives both fixed and lastAffected; a range ends at one of them' });
      return;
    }
    const end = fixed ?? lastAffected;
    if (introduced !== null && introduced !== '0' && end !== null && semver.compare(end, introduced) < (fixed !== null ? 1 : 0)) {
      problems.push({ field, message: `ends (${end}) before it begins (introduced ${introduced})` });
      return;
    }
    if (introduced === null) return;
    const parsed = { introduced, fixed, lastAffected };
    const other = accepted.find((a) => rangesOverlap(a.range, parsed));
    if (other !== undefined) problems.push({ field, message: `overlaps body.affected[${other.index}] (${describeRange(other.range)}); SemVer ranges must not overlap` });
    else accepted.push({ index: i, range: parsed });
  });
  return accepted.map((a) => a.range);
}

function aliases(problems: FieldProblem[], value: unknown): string[] {
  const out: string[] = [];
  list(problems, 'body.aliases', value, ADVISORY_LIMITS.aliases).forEach((item, i) => {
    if (typeof item !== 'string' || item.length > ADVISORY_LIMITS.aliasLength || !/^[A-Z][A-Z0-9]*-[A-Za-z0-9._:-]+$/.test(item)) {
      problems.push({ field: `body.aliases[${i}]`, message: 'must be another database\'s id such as "CVE-2026-12345" or "GHSA-xxxx-xxxx-xxxx"' });
    } else if (!out.includes(item)) out.push(item);
  });
  return out;
}

function url(problems: FieldProblem[], field: string, value: unknown): string | null {
  if (typeof value === 'string' && value.length <= ADVISORY_LIMITS.urlLength && URL.canParse(value) && ['http:', 'https:'].includes(new URL(value).protocol)) return value;
  problems.push({ field, message: `must be an http(s) URL of at most ${ADVISORY_LIMITS.urlLength} characters` });
  return null;
}

function references(problems: FieldProblem[], value: unknown): AdvisoryReference[] {
  const out: AdvisoryReference[] = [];
  list(problems, 'body.references', value, ADVISORY_LIMITS.references).forEach((item, i) => {
    const field = `body.references[${i}]`;
    const reference = object(problems, field, item, ['type', 'url']);
    if (reference === null) return;
    const type = reference.type ?? 'WEB';
    if (!(REFERENCE_TYPES as readonly unknown[]).includes(type)) problems.push({ field: `${field}.type`, message: `must be one of ${REFERENCE_TYPES.join(', ')}` });
    const link = url(problems, `${field}.url`, reference.url);
    if (link !== null) out.push({ type: type as ReferenceType, url: link });
  });
  return out;
}

function credits(problems: FieldProblem[], value: unknown): AdvisoryCredit[] {
  const out: AdvisoryCredit[] = [];
  list(problems, 'body.credits', value, ADVISORY_LIMITS.credits).forEach((item, i) => {
    const field = `body.credits[${i}]`;
    const credit = object(problems, field, item, ['name', 'contact', 'type']);
    if (credit === null) return;
    const name = text(problems, `${field}.name`, credit.name, ADVISORY_LIMITS.creditNameLength, 'line', 1);
    const contact = credit.contact === undefined ? [] : list(problems, `${field}.contact`, credit.contact, ADVISORY_LIMITS.contacts);
    const contacts = contact.flatMap((c, j) => {
      const link = url(problems, `${field}.contact[${j}]`, c);
      return link === null ? [] : [link];
    });
    const type = credit.type ?? null;
    if (type !== null && !(CREDIT_TYPES as readonly unknown[]).includes(type)) problems.push({ field: `${field}.type`, message: `must be one of ${CREDIT_TYPES.join(', ')}` });
    out.push({ name, contact: contacts, type: type as CreditType | null });
  });
  return out;
}
