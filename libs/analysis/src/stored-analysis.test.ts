import { describe, expect, it } from 'vitest';
import { HTTP_FILTER_0_2_1, compileWatWithFeatures } from '../../../testing/analysis-fixtures.js';
import { analyzeModule } from './analyze-module.js';
import { decide, DEFAULT_POLICY } from './policy.js';
import type { Finding } from './report.js';
import { SUMMARY_FINDINGS, summarizeAnalysis } from './stored-analysis.js';

const finding = (i: number, length = 40): Finding => ({ code: 'requires_recent_host', severity: 'warning', message: `${i}:`.padEnd(length, 'w'), host: 'envoy', offset: i });

describe('summarizeAnalysis', () => {
  it('keeps the first warnings and rejections, counts the rest, and says whether the report is shortened', async () => {
    const report = await analyzeModule(await compileWatWithFeatures(HTTP_FILTER_0_2_1));
    const warnings = Array.from({ length: 12 }, (_, i) => finding(i));
    const summary = summarizeAnalysis({ report, decision: { status: 'ready', reasons: [], warnings } });
    expect(summary).toEqual({
      kind: 'module',
      abiVersion: '0.2.1',
      envoyLoads: true,
      filterTypes: ['http'],
      compatibility: report.compatibility.map(({ host, versions }) => ({ host, versions })),
      capabilities: report.capabilities.map((c) => c.id),
      warnings: warnings.slice(0, SUMMARY_FINDINGS),
      rejections: [],
      omitted: { warnings: 7 },
      truncated: false,
    });
    const whole = summarizeAnalysis({ report: { ...report, truncated: true }, decision: decide(report.findings, DEFAULT_POLICY) });
    expect(whole).toMatchObject({ warnings: [], rejections: [], omitted: {}, truncated: true });
  });
});
