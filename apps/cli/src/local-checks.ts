import { readFile } from 'node:fs/promises';
import { DEFAULT_POLICY, analyzeInWorker, checkWasmHeader, decide, validateModule, type Finding } from '../../../libs/analysis/index.js';
import { ContractChecker, readContract, type ContractParts } from '../../../libs/contract/index.js';
import { RegistryError, nameProblem, versionProblem, type FieldProblem } from '../../../libs/domain/index.js';
import { readDeclaredDependencies, sbomBuilder } from '../../../libs/sbom/index.js';
import type { PluginFiles } from './plugin-directory.js';

/** The registry's default MAX_MODULE_SIZE; a registry may be set lower or higher, which only the upload finds out. */
const DEFAULT_MAX_MODULE_BYTES = 50 * 1024 * 1024;

export interface DryRunReport {
  /** Problems that would make the registry refuse the request (400) or reject the version. */
  problems: FieldProblem[];
  /** What the local analysis would warn about. */
  warnings: Finding[];
  /** What the local analysis would reject the version for, under the default policy. */
  rejections: Finding[];
  kind: 'module' | 'component' | null;
  abiVersion: string | null;
}

/**
 * Everything `publish --dry-run` can check without the registry, with the
 * registry's own code: names and semver, the module's header, V8's validation
 * and the analysis under the default policy, the manifest, README, schema and
 * examples (ContractChecker, as the registry runs it), and the lockfiles.
 */
export async function dryRun(files: PluginFiles): Promise<DryRunReport> {
  const problems: FieldProblem[] = [];
  for (const problem of [nameProblem('name (namespace)', files.namespace), nameProblem('name', files.name), versionProblem('version', files.version)]) {
    if (problem !== null) problems.push(problem);
  }
  const report: DryRunReport = { problems, warnings: [], rejections: [], kind: null, abiVersion: null };

  if (files.module.size > DEFAULT_MAX_MODULE_BYTES) {
    problems.push({ field: 'module', message: `is ${files.module.size} bytes; a registry takes ${DEFAULT_MAX_MODULE_BYTES} by default (MAX_MODULE_SIZE)` });
  } else {
    const bytes = await readFile(files.module.path);
    const header = checkWasmHeader(bytes.subarray(0, 8));
    if (!header.ok) {
      problems.push({ field: 'module', message: header.reason });
    } else {
      report.kind = header.kind;
      const invalid = header.kind === 'module' ? validateModule(bytes) : null;
      if (invalid !== null) problems.push({ field: 'module', message: `is not valid WebAssembly: ${invalid.message}` });
      // readFile's buffer is the file's alone: handed to the worker without a copy (nothing reads it afterwards).
      const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
      const analysis = await analyzeInWorker(owned ? bytes : new Uint8Array(bytes), { timeoutMs: 30_000, memoryMb: 512 }, { transfer: owned });
      const decision = decide(analysis.findings, DEFAULT_POLICY);
      report.rejections = decision.reasons;
      report.warnings = decision.warnings;
      report.abiVersion = analysis.proxyWasm?.abiVersion ?? null;
    }
  }

  const parts: ContractParts = {};
  if (files.manifest !== null) parts.manifest = { filename: files.manifest.filename, bytes: Buffer.from(files.manifest.text) };
  if (files.readme !== null) parts.readme = { filename: files.readme.filename, bytes: await readFile(files.readme.path) };
  if (files.schema !== null) parts.schema = { filename: files.schema.filename, bytes: await readFile(files.schema.path) };
  const checker = new ContractChecker();
  try {
    const draft = collect(problems, () => readContract(parts, files.version, `${files.namespace}/${files.name}`));
    if (draft) await checker.prepare(draft).catch((error: unknown) => rethrowUnlessInvalid(error, problems));
  } finally {
    await checker.close();
  }

  if (files.dependencies.length > 0) {
    try {
      const dependencyFiles = await Promise.all(files.dependencies.map(async (d) => ({ filename: d.filename, content: await readFile(d.path, 'utf8') })));
      await readDeclaredDependencies(dependencyFiles, 'dependencies').catch((error: unknown) => rethrowUnlessInvalid(error, problems));
    } finally {
      await sbomBuilder.close();
    }
  }
  return report;
}

function collect<T>(problems: FieldProblem[], read: () => T): T | null {
  try {
    return read();
  } catch (error) {
    rethrowUnlessInvalid(error, problems);
    return null;
  }
}

/** The contract's readers say what is wrong as a 400 RegistryError: its field problems join the report. */
function rethrowUnlessInvalid(error: unknown, problems: FieldProblem[]): void {
  if (error instanceof RegistryError && Array.isArray(error.extensions.errors)) {
    problems.push(...(error.extensions.errors as FieldProblem[]));
    return;
  }
  if (error instanceof RegistryError) {
    problems.push({ field: 'contract', message: error.detail ?? error.message });
    return;
  }
  throw error;
}
