import { describe, expect, it } from 'vitest';
import { customSection, leb128, moduleOf, pluginWat, compileWatWithFeatures, producersPayload, section, wasmName } from '../../../testing/analysis-fixtures.js';
import { customSectionFloodModule, EMPTY_MODULE, manyImportsModule, producersBombModule } from '../../../testing/hostile-modules.js';
import { analyzeModule } from './analyze-module.js';
import { boundReport, ELLIPSIS, serializedSize, shorten } from './bound-report.js';
import { decide, DEFAULT_POLICY, parsePolicy } from './policy.js';
import type { AnalysisReport, Finding } from './report.js';
import { METADATA_LIMITS, REPORT_LIMITS } from './report-limits.js';

const codes = (report: AnalysisReport): string[] => [...new Set(report.findings.map((f) => f.code))];
const MiB = 1024 * 1024;

/** A module with one function, so that only what a test adds can make it stand out. */
const withCode = (...sections: Buffer[]): Buffer =>
  moduleOf(section(1, Buffer.from([0x01, 0x60, 0x00, 0x00])), section(3, Buffer.from([0x01, 0x00])), section(10, Buffer.from([0x01, 0x02, 0x00, 0x0b])), ...sections);

/** Every string in a JSON value, wherever it is. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) strings(v, out);
  return out;
}

describe('the analysis report of a hostile module is bounded and says what it left out', () => {
  it('a producers language string of 20 MiB: cut to 256 characters, refused as excessive metadata', async () => {
    const report = await analyzeModule(producersBombModule(20 * MiB));
    expect(report.valid).toBe(true);
    const language = report.producers!.language[0]!;
    expect(language.name).toHaveLength(REPORT_LIMITS.maxStringLength);
    expect(language.name).toBe(`${'a'.repeat(REPORT_LIMITS.maxStringLength - 1)}${ELLIPSIS}`);
    expect(language.version).toBe('1.0');
    expect(report).toMatchObject({ truncated: true, omitted: {}, shortenedStrings: 1 });
    const excessive = report.findings.find((f) => f.code === 'excessive_metadata')!;
    expect(excessive.severity).toBe('error');
    expect(excessive.message).toContain('a producers string of 20,971,520 characters (at most 1,024)');
    expect(decide(report.findings, DEFAULT_POLICY).status).toBe('rejected');
    expect(serializedSize(report)).toBeLessThan(4 * 1024);
  });

  it('1,000,000 empty custom sections: 100 listed, the rest counted, refused as excessive metadata', async () => {
    const report = await analyzeModule(customSectionFloodModule(1_000_000));
    expect(report.valid).toBe(true);
    expect(report.customSections).toHaveLength(REPORT_LIMITS.maxCustomSections);
    expect(report.customSections[0]).toEqual({ name: 'x', size: 2, offset: 24 });
    expect(report.totals.customSections).toBe(1_000_000);
    expect(report.omitted).toEqual({ customSections: 1_000_000 - REPORT_LIMITS.maxCustomSections });
    expect(report.truncated).toBe(true);
    expect(report.findings.find((f) => f.code === 'excessive_metadata')?.message).toContain('1,000,000 custom sections (at most 1,000)');
    expect(serializedSize(report)).toBeLessThanOrEqual(REPORT_LIMITS.maxReportBytes);
  });

  it('100,000 unknown imports: 1,000 listed, 10 findings and one that counts the rest, still rejected', async () => {
    const report = await analyzeModule(manyImportsModule(100_000));
    expect(report.imports).toHaveLength(REPORT_LIMITS.maxImports);
    expect(report.imports[999]).toEqual({ module: 'env', name: 'proxy_made_up_999', kind: 'function' });
    expect(report.totals.imports).toBe(100_000);
    const unknown = report.findings.filter((f) => f.code === 'unknown_host_import');
    expect(unknown).toHaveLength(REPORT_LIMITS.maxFindingsPerCode + 1);
    expect(unknown.at(-1)!.message).toBe('…and 99,990 more unknown_host_import findings like the 10 above, left out of the report.');
    expect(unknown.at(-1)).toMatchObject({ severity: 'error', host: 'envoy' });
    expect(report.omitted).toMatchObject({
      imports: 99_000,
      'proxyWasm.unknownImports': 100_000 - REPORT_LIMITS.maxNameList,
      // Each unknown import, and no ABI marker, allocator or memory export.
      'proxyWasm.envoy.reasons': 100_003 - REPORT_LIMITS.maxEnvoyReasons,
      findings: 99_990,
    });
    // The unknown imports, and legacy_unversioned_plugin, missing_allocator, missing_memory_export, excessive_metadata.
    expect(report.totals.findings).toBe(100_004);
    expect(report.findings).toHaveLength(15);
    expect(report.findings.find((f) => f.code === 'excessive_metadata')?.message).toContain('100,000 imports (at most 10,000)');
    const decision = decide(report.findings, DEFAULT_POLICY);
    expect(decision.status).toBe('rejected');
    expect(new Set(decision.reasons.map((f) => f.code))).toEqual(new Set(['unknown_host_import', 'excessive_metadata']));
    expect(serializedSize(report)).toBeLessThanOrEqual(REPORT_LIMITS.maxReportBytes);
  });

  it('warns instead when the policy says so, and the report stays bounded', async () => {
    const { policy } = parsePolicy('excessive_metadata=warn');
    const report = await analyzeModule(customSectionFloodModule(5_000));
    expect(decide(report.findings, policy)).toMatchObject({ status: 'ready', warnings: [expect.objectContaining({ code: 'excessive_metadata' })] });
  });
});

describe('what is not excessive', () => {
  it('a large debug-info custom section is listed whole and refused by nothing', async () => {
    const report = await analyzeModule(withCode(customSection('.debug_info', Buffer.alloc(8 * MiB, 1)), customSection('.debug_line', Buffer.alloc(MiB, 2))));
    expect(report).toMatchObject({ truncated: false, omitted: {}, shortenedStrings: 0 });
    expect(report.customSections.map((c) => c.name)).toEqual(['.debug_info', '.debug_line']);
    expect(codes(report)).toEqual(['not_a_proxy_wasm_plugin']);
    expect(decide(report.findings, DEFAULT_POLICY).status).toBe('ready');
  });

  it('counts exactly at the limits are accepted, one more is not', async () => {
    const at = await analyzeModule(customSectionFloodModule(METADATA_LIMITS.customSections));
    expect(codes(at)).not.toContain('excessive_metadata');
    expect(at.truncated).toBe(true); // listed up to 100, counted beyond
    const over = await analyzeModule(customSectionFloodModule(METADATA_LIMITS.customSections + 1));
    expect(codes(over)).toContain('excessive_metadata');

    const longest = 'p'.repeat(METADATA_LIMITS.producerStringLength);
    const fine = await analyzeModule(withCode(customSection('producers', producersPayload({ sdk: [[longest, '1']] }))));
    expect(codes(fine)).not.toContain('excessive_metadata');
    const tooLong = await analyzeModule(withCode(customSection('producers', producersPayload({ sdk: [[`${longest}p`, '1']] }))));
    expect(codes(tooLong)).toContain('excessive_metadata');
  });
});

describe('names and messages', () => {
  it('cuts a megabyte import name inside lists and messages, keeping the start of it', async () => {
    const long = `proxy_${'z'.repeat(MiB)}`;
    const bytes = await compileWatWithFeatures(pluginWat({ imports: [`(import "env" "${long}" (func))`] }));
    const report = await analyzeModule(bytes);
    expect(report.imports[0]!.name).toHaveLength(REPORT_LIMITS.maxStringLength);
    expect(report.proxyWasm!.unknownImports[0]).toHaveLength(REPORT_LIMITS.maxStringLength);
    const finding = report.findings.find((f) => f.code === 'unknown_host_import')!;
    expect(finding.message.length).toBeLessThanOrEqual(REPORT_LIMITS.maxMessageLength);
    expect(finding.message).toContain(`env.proxy_${'z'.repeat(100)}`);
    expect(finding.message).toMatch(/so linking fails/);
    for (const text of strings(report)) expect(text.length).toBeLessThanOrEqual(REPORT_LIMITS.maxMessageLength);
  });

  it('stores no NUL and never splits a surrogate pair', () => {
    expect(shorten('a\u0000b', 10)).toBe('a\uFFFDb');
    expect(shorten('ab😀cd', 4)).toBe(`ab${ELLIPSIS}`);
    expect(shorten('ab😀cd', 5)).toBe(`ab😀${ELLIPSIS}`);
    expect(shorten('short', 5)).toBe('short');
  });

  it('reads a NUL in a name as U+FFFD, so the report can be stored', async () => {
    const report = await analyzeModule(withCode(customSection('a\u0000b', Buffer.alloc(0))));
    expect(report.customSections[0]!.name).toBe('a\uFFFDb');
    expect(JSON.stringify(report)).not.toContain('\\u0000');
  });
});

describe('modules with no code', () => {
  it('refuses the 8-byte empty module', async () => {
    const report = await analyzeModule(EMPTY_MODULE);
    expect(report.valid).toBe(true);
    expect(report.findings.map((f) => `${f.severity}:${f.code}`)).toEqual(['error:no_code', 'info:not_a_proxy_wasm_plugin']);
    expect(decide(report.findings, DEFAULT_POLICY).status).toBe('rejected');
  });

  it('refuses a module that only imports functions', async () => {
    const bytes = moduleOf(section(1, Buffer.from([0x01, 0x60, 0x00, 0x00])), section(2, Buffer.concat([leb128(1), wasmName('env'), wasmName('proxy_log'), Buffer.from([0x00, 0x00])])));
    const report = await analyzeModule(bytes);
    expect(report.findings.find((f) => f.code === 'no_code')?.message).toContain('it only imports them');
  });

  it('accepts a module with one function', async () => {
    expect(codes(await analyzeModule(withCode()))).toEqual(['not_a_proxy_wasm_plugin']);
  });
});

describe('boundReport: the size cap and its fallbacks', () => {
  const base = async (): Promise<AnalysisReport> => analyzeModule(withCode());
  const finding = (code: Finding['code'], message: string): Finding => ({ code, severity: 'error', message, host: 'envoy' });

  it('keeps a report over the cap within it with tighter limits, still counting everything', async () => {
    const report = await base();
    // 1,000 imports and exports with 256-character names: about 800 KB at the first limits.
    const names = Array.from({ length: 1_000 }, (_, i) => `${i}`.padEnd(300, 'n'));
    report.imports = names.map((name) => ({ module: name, name, kind: 'function' }));
    report.exports = names.map((name) => ({ name, kind: 'function' }));
    const bounded = boundReport(report);
    expect(serializedSize(bounded)).toBeLessThanOrEqual(REPORT_LIMITS.maxReportBytes);
    expect(bounded.imports).toHaveLength(100);
    expect(bounded.imports[0]!.name).toHaveLength(64);
    expect(bounded.omitted).toMatchObject({ imports: 900, exports: 900 });
    expect(bounded.totals).toMatchObject({ imports: 1_000, exports: 1_000 });
  });

  it('falls back to a summary that keeps one finding per code and counts the rest', async () => {
    const report = await base();
    const names = Array.from({ length: 1_000 }, (_, i) => `${i}`.padEnd(300, 'n'));
    report.imports = names.map((name) => ({ module: name, name, kind: 'function' }));
    // Many distinct codes with long messages: more than the cap even with three findings per code.
    const kinds: Finding['code'][] = ['unknown_host_import', 'unsupported_import_kind', 'unknown_abi_version', 'missing_allocator', 'malformed_custom_section'];
    report.findings = kinds.flatMap((code) => Array.from({ length: 480 }, (_, i) => ({ ...finding(code, 'm'.repeat(2_000)), host: `host-${i % 40}` })));
    const bounded = boundReport(report);
    expect(serializedSize(bounded)).toBeLessThanOrEqual(REPORT_LIMITS.maxReportBytes);
    expect(bounded.imports).toEqual([]);
    expect(bounded.omitted.imports).toBe(1_000);
    expect(new Set(bounded.findings.map((f) => f.code))).toEqual(new Set(kinds));
    // One finding and one count per code and host.
    expect(bounded.findings).toHaveLength(kinds.length * 40 * 2);
    expect(bounded.omitted.findings).toBe(kinds.length * 40 * (480 / 40 - 1));
    expect(bounded.totals.findings).toBe(2_400);
    expect(decide(bounded.findings, DEFAULT_POLICY).status).toBe(decide(report.findings, DEFAULT_POLICY).status);
  });

  it('leaves a report within every limit as it was, but for the totals', async () => {
    const report = await base();
    expect(boundReport(report)).toEqual(report);
  });
});
