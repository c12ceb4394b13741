import { createRequire } from 'node:module';
import type { FieldProblem } from './registry-error.js';

const require = createRequire(import.meta.url);
const parseSpdx = require('spdx-expression-parse') as (source: string) => unknown;

/** Licenses are SPDX expressions ("Apache-2.0", "MIT OR Apache-2.0") so that SBOMs and audits can read them. */
export function licenseProblem(field: string, value: string): FieldProblem | null {
  try {
    parseSpdx(value);
    return null;
  } catch {
    return {
      field,
      message: `${JSON.stringify(value)} is not an SPDX license identifier or expression (e.g. "Apache-2.0", "MIT OR Apache-2.0"; see https://spdx.org/licenses/)`,
    };
  }
}
