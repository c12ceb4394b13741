import cvssCalculator from 'ae-cvss-calculator';
import { ratingOf, type FieldProblem, type SeverityRating } from '../../domain/index.js';

// The package is CommonJS: its classes come off the default export.
const { Cvss3P0, Cvss3P1, Cvss4P0 } = cvssCalculator;

/** The OSV severity types this registry publishes. */
export type SeverityType = 'CVSS_V3' | 'CVSS_V4';

export { SEVERITY_RATINGS, ratingOf, type SeverityRating } from '../../domain/index.js';

export interface Severity {
  type: SeverityType;
  vector: string;
  score: number;
  rating: SeverityRating;
}

/** Base metrics every vector must name, each once (the calculator would quietly fill in "X"). */
const BASE_METRICS: Record<string, readonly string[]> = {
  '3.0': ['AV', 'AC', 'PR', 'UI', 'S', 'C', 'I', 'A'],
  '3.1': ['AV', 'AC', 'PR', 'UI', 'S', 'C', 'I', 'A'],
  '4.0': ['AV', 'AC', 'AT', 'PR', 'UI', 'VC', 'VI', 'VA', 'SC', 'SI', 'SA'],
};

export const MAX_VECTOR_LENGTH = 256;

/**
 * A CVSS vector checked and scored: the form (prefix, every base metric once)
 * is checked here, the metric values and the score by ae-cvss-calculator.
 */
export function parseSeverity(field: string, vector: unknown): Severity | FieldProblem {
  const rule = 'must be a CVSS 3.0, 3.1 or 4.0 vector with every base metric, e.g. "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"';
  if (typeof vector !== 'string' || vector.length > MAX_VECTOR_LENGTH) return { field, message: rule };
  const match = /^CVSS:(3\.0|3\.1|4\.0)\/([A-Za-z]+:[A-Za-z]+(?:\/[A-Za-z]+:[A-Za-z]+)*)$/.exec(vector);
  if (match === null) return { field, message: `${JSON.stringify(vector)} ${rule}` };
  const [, cvssVersion, metrics] = match as unknown as [string, string, string];
  const seen = new Set<string>();
  for (const part of metrics.split('/')) {
    const name = part.slice(0, part.indexOf(':'));
    if (seen.has(name)) return { field, message: `names the metric ${name} twice` };
    seen.add(name);
  }
  const missing = BASE_METRICS[cvssVersion]!.filter((m) => !seen.has(m));
  if (missing.length > 0) return { field, message: `lacks the base metric${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (${rule})` };
  let score: number;
  try {
    const calculator = cvssVersion === '4.0' ? new Cvss4P0(vector) : cvssVersion === '3.1' ? new Cvss3P1(vector) : new Cvss3P0(vector);
    score = calculator.calculateScores().base ?? Number.NaN;
  } catch (error) {
    return { field, message: `${JSON.stringify(vector)} is not a valid CVSS ${cvssVersion} vector: ${(error as Error).message}` };
  }
  if (!Number.isFinite(score) || score < 0 || score > 10) return { field, message: `${JSON.stringify(vector)} has no base score` };
  return { type: cvssVersion === '4.0' ? 'CVSS_V4' : 'CVSS_V3', vector, score, rating: ratingOf(score) };
}
