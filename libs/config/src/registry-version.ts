import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './project-root.js';

let cached: string | null = null;

/** The registry's own version, from package.json: written into SBOMs as the tool that made them. */
export function registryVersion(): string {
  cached ??= (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  return cached;
}
