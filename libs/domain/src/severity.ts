/** CVSS's qualitative rating of a base score (the same bands in CVSS 3.x and 4.0), lowest first. */
export const SEVERITY_RATINGS = ['none', 'low', 'medium', 'high', 'critical'] as const;
export type SeverityRating = (typeof SEVERITY_RATINGS)[number];

/** The lowest base score of each rating. */
export const SEVERITY_FLOORS: Readonly<Record<SeverityRating, number>> = { none: 0, low: 0.1, medium: 4, high: 7, critical: 9 };

export function ratingOf(score: number): SeverityRating {
  if (score >= SEVERITY_FLOORS.critical) return 'critical';
  if (score >= SEVERITY_FLOORS.high) return 'high';
  if (score >= SEVERITY_FLOORS.medium) return 'medium';
  if (score >= SEVERITY_FLOORS.low) return 'low';
  return 'none';
}
