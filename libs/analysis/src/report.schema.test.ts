import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { assemblyScriptProxyWasmFilter } from '../../../testing/sdk-fixtures.js';
import { customSectionFloodModule, EMPTY_MODULE, manyImportsModule, producersBombModule } from '../../../testing/hostile-modules.js';
import { compileWat, MALFORMED_MODULES, proxyWasmFilter } from '../../../testing/wasm-fixtures.js';
import { failedAnalysis } from './failed-analysis.js';
import { analyzeModule } from './analyze-module.js';
import { ANALYSIS_REPORT_SCHEMA } from './report.schema.js';

// The schema published in openapi.yaml must describe the reports the analyzer really writes.
describe('the published AnalysisReport schema', () => {
  const validate = new Ajv({ strict: true, allErrors: true }).compile(ANALYSIS_REPORT_SCHEMA);
  const expectValid = (report: unknown): void => {
    const ok = validate(report);
    expect(ok ? [] : validate.errors).toEqual([]);
  };

  it('describes reports of plugins, plain modules, invalid modules and failed analyses', async () => {
    expectValid(await analyzeModule(await proxyWasmFilter('schema')));
    expectValid(await analyzeModule((await assemblyScriptProxyWasmFilter()).bytes));
    expectValid(await analyzeModule(await compileWat('(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))')));
    expectValid(await analyzeModule(Buffer.concat([MALFORMED_MODULES['an unknown binary version']!.subarray(0, 4), Buffer.from([1, 0, 0, 0, 0x0a, 0xff])])));
    expectValid(failedAnalysis(Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), 8, 'the analysis did not finish within 1 ms'));
  });

  it('describes bounded reports of hostile modules, and the empty module', async () => {
    for (const bytes of [producersBombModule(100_000), customSectionFloodModule(2_000), manyImportsModule(2_000), EMPTY_MODULE]) {
      const report = await analyzeModule(bytes);
      expect(report.truncated || bytes === EMPTY_MODULE).toBe(true);
      expectValid(report);
    }
  });

  it('describes reports stored before version 2, which lack the truncation fields', async () => {
    const { truncated: _t, omitted: _o, shortenedStrings: _s, totals: _totals, ...v1 } = await analyzeModule(await proxyWasmFilter('v1'));
    expectValid({ ...v1, reportVersion: 1 });
  });

  it('rejects a report that breaks it, so the checks above can fail', async () => {
    expect(validate({ reportVersion: 1 })).toBe(false);
    const report = await analyzeModule(await proxyWasmFilter('broken'));
    expect(validate({ ...report, omitted: { imports: -1 } })).toBe(false);
    expect(validate({ ...report, totals: { imports: 1 } })).toBe(false);
  });
});
