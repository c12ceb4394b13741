import { levelRank, type ScanLevel } from './scan-findings.js';
import type { ScanReport } from './scans.service.js';

const SARIF_LEVEL: Record<Exclude<ScanLevel, 'ok'>, 'error' | 'warning' | 'note'> = { critical: 'error', warning: 'warning', info: 'note' };

/**
 * A scan as SARIF 2.1.0, for CI systems that show findings inline: one rule
 * per finding code, one result per finding above ok, located at the file and
 * line of its reference. The run's invocation says whether failOn was reached.
 */
export function toSarif(report: ScanReport, informationUri: string): Record<string, unknown> {
  const rules = new Map<string, ScanLevel>();
  const results = report.references.flatMap((reference) =>
    reference.findings
      .filter((f) => f.level !== 'ok')
      .map((finding) => {
        const level = finding.level as Exclude<ScanLevel, 'ok'>;
        if (levelRank(level) > levelRank(rules.get(finding.code) ?? 'ok')) rules.set(finding.code, level);
        return {
          ruleId: finding.code,
          level: SARIF_LEVEL[level],
          message: { text: `${reference.name}: ${finding.message}` },
          locations: [
            {
              physicalLocation: { artifactLocation: { uri: reference.file }, region: { startLine: reference.line } },
              logicalLocations: [{ fullyQualifiedName: reference.path, kind: 'element' }],
            },
          ],
          properties: { host: reference.host, ...(reference.version ? { plugin: `${reference.version.namespace}/${reference.version.plugin}`, version: reference.version.version } : {}) },
        };
      }),
  );
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'wasm-plugin-registry-scan',
            informationUri,
            rules: [...rules.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([id, level]) => ({ id, shortDescription: { text: id.replace(/_/g, ' ') }, defaultConfiguration: { level: SARIF_LEVEL[level as Exclude<ScanLevel, 'ok'>] } })),
          },
        },
        invocations: [{ executionSuccessful: true, exitCode: report.failed ? 1 : 0, ...(report.failed ? { exitCodeDescription: `a reference is at ${report.failOn} or worse` } : {}) }],
        results,
        properties: { summary: report.summary, truncated: report.truncated, problems: report.problems },
      },
    ],
  };
}
