import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PROCESS_ENV, PROCESS_FLAGS } from './registry-process.js';

const read = (path: string): string => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

describe('the processes the tests and benches start', () => {
  const settings = [...PROCESS_FLAGS, ...Object.entries(PROCESS_ENV).map(([name, value]) => `${name}=${value}`)];

  it('run with the Node flags and glibc setting of the npm start scripts', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    for (const name of ['start', 'start:api', 'start:worker']) {
      for (const setting of settings) expect(scripts[name], name).toContain(setting);
    }
  });

  it('and of the image and docker-compose', () => {
    const dockerfile = read('Dockerfile');
    const compose = read('docker-compose.yml');
    for (const [name, value] of Object.entries(PROCESS_ENV)) expect(dockerfile).toMatch(new RegExp(`^ENV .*\\b${name}=${value}\\b`, 'm'));
    for (const flag of PROCESS_FLAGS) {
      expect(dockerfile).toMatch(new RegExp(`^CMD \\[.*"${flag}"`, 'm'));
      expect(compose.split('\n').filter((line) => line.includes('dist/apps/') && line.includes(`"${flag}"`))).toHaveLength(2);
    }
  });
});
