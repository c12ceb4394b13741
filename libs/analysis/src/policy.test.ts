import { describe, expect, it } from 'vitest';
import { decide, DEFAULT_POLICY, parsePolicy, rejectionSummary } from './policy.js';
import type { Finding } from './report.js';

const finding = (code: Finding['code'], severity: Finding['severity'] = 'error'): Finding => ({ code, severity, message: code });

describe('analysis policy', () => {
  it('rejects invalid modules, unknown host imports and failed analyses by default, and warns about the rest', () => {
    expect(decide([finding('invalid_module')], DEFAULT_POLICY).status).toBe('rejected');
    expect(decide([finding('unknown_host_import')], DEFAULT_POLICY).status).toBe('rejected');
    expect(decide([finding('analysis_failed')], DEFAULT_POLICY).status).toBe('rejected');
    const warned = decide([finding('missing_allocator', 'warning'), finding('multiple_abi_versions', 'warning')], DEFAULT_POLICY);
    expect(warned).toEqual({ status: 'ready', reasons: [], warnings: [finding('missing_allocator', 'warning'), finding('multiple_abi_versions', 'warning')] });
  });

  it('rejects metadata no toolchain writes and modules with no code by default', () => {
    expect(decide([finding('excessive_metadata')], DEFAULT_POLICY).status).toBe('rejected');
    expect(decide([finding('no_code')], DEFAULT_POLICY).status).toBe('rejected');
    const { policy } = parsePolicy('excessive_metadata=warn,no_code=warn');
    expect(decide([finding('excessive_metadata'), finding('no_code')], policy).status).toBe('ready');
  });

  it('names the first rejections in the status reason, each bounded, and counts the rest', () => {
    const reasons = Array.from({ length: 12 }, (_, i) => ({ ...finding('unknown_host_import'), message: `${i}:${'x'.repeat(5_000)}` }));
    const summary = rejectionSummary(decide(reasons, DEFAULT_POLICY));
    expect(summary.startsWith('0:x')).toBe(true);
    expect(summary).toContain(' 2:x');
    expect(summary).not.toContain('3:x');
    expect(summary.endsWith('(and 9 more in the analysis)')).toBe(true);
    expect(summary.length).toBeLessThan(3 * 1024 + 100);
    expect(rejectionSummary(decide([finding('invalid_module')], DEFAULT_POLICY))).toBe('invalid_module');
  });

  it('does not list informational findings as warnings', () => {
    expect(decide([finding('not_a_proxy_wasm_plugin', 'info')], DEFAULT_POLICY)).toEqual({ status: 'ready', reasons: [], warnings: [] });
  });

  it('reads overrides from configuration', () => {
    const { policy, problems } = parsePolicy(' unknown_host_import=warn , missing_allocator=reject ');
    expect(problems).toEqual([]);
    expect(decide([finding('unknown_host_import')], policy).status).toBe('ready');
    expect(decide([finding('missing_allocator', 'warning')], policy).status).toBe('rejected');
    expect(policy.invalid_module).toBe('reject');
  });

  it('names each bad entry', () => {
    const { problems } = parsePolicy('made_up=reject,invalid_module=maybe,broken');
    expect(problems).toHaveLength(3);
    expect(problems[0]).toContain('"made_up" is not a finding code');
    expect(problems[1]).toContain('"maybe" for invalid_module must be reject or warn');
    expect(problems[2]).toContain('"broken" must look like code=reject');
  });

  it('warns about what the trial finds by default (the sandbox is not Envoy), and rejects when told to', () => {
    const started = { code: 'trial_start_failed' as const, message: 'proxy_on_vm_start trapped: unreachable' };
    const refused = { code: 'trial_configuration_refused' as const, message: 'every configuration was refused' };
    expect(decide([started, refused], DEFAULT_POLICY)).toEqual({ status: 'ready', reasons: [], warnings: [started, refused] });
    const { policy, problems } = parsePolicy('trial_start_failed=reject');
    expect(problems).toEqual([]);
    const decision = decide([started, refused], policy);
    expect(decision).toEqual({ status: 'rejected', reasons: [started], warnings: [refused] });
    expect(rejectionSummary(decision)).toBe('proxy_on_vm_start trapped: unreachable');
  });
});
