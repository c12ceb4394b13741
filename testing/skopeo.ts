import { execFile } from 'node:child_process';
import { expect } from 'vitest';

/** What Debian's skopeo did: its exit code and output. */
export interface SkopeoRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs Debian's skopeo; resolves with its exit code instead of throwing, so a test can expect a failure. */
export function skopeo(...args: string[]): Promise<SkopeoRun> {
  return new Promise((resolve) => {
    // --insecure-policy: no dependence on the machine's /etc/containers/policy.json.
    execFile('skopeo', ['--insecure-policy', ...args], { timeout: 60_000, env: { ...process.env, NO_PROXY: '127.0.0.1', no_proxy: '127.0.0.1' } }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

/** skopeo must succeed; its stderr is in the failure message otherwise. */
export async function skopeoOk(...args: string[]): Promise<string> {
  const result = await skopeo(...args);
  expect(result.code, `skopeo ${args.join(' ')}\n${result.stderr}`).toBe(0);
  return result.stdout;
}
