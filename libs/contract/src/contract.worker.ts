import { createHash } from 'node:crypto';
import type { MessagePort } from 'node:worker_threads';
import { RegistryError, type FieldProblem } from '../../domain/index.js';
import { CONTRACT_LIMITS } from './contract-limits.js';
import type { ConfigExample, ConfigurationCheck, SchemaDialect } from './contract.js';
import { configurationErrors } from './configuration-errors.js';
import { renderReadme } from './readme.js';
import { compilableSchema, schemaAjv, ValidatorCache } from './schema-compiler.js';
import { checkedDialect } from './schema-dialect.js';
import { schemaRuleProblems } from './schema-rules.js';

/**
 * Runs in ContractChecker's pool (piscina): everything that runs an untrusted
 * schema or README. The pool terminates this thread when a task passes its
 * deadline; answers are plain values, since errors lose their class crossing
 * threads.
 */
export type ContractTask =
  | { kind: 'schema'; started: MessagePort; schema: Record<string, unknown>; dialect: SchemaDialect; examples: ConfigExample[]; fields: { schema: string; examples: string[] } }
  | { kind: 'readme'; started: MessagePort; markdown: string }
  | { kind: 'validate'; started: MessagePort; schemaJson: string; configuration: unknown };

export type ContractTaskResult =
  | { ok: true; kind: 'schema'; json: string; digest: string }
  | { ok: true; kind: 'readme'; html: string; digest: string }
  | { ok: true; kind: 'validate'; check: ConfigurationCheck }
  | { ok: false; problems: FieldProblem[] };

/** Problems listed when the schema itself breaks its meta-schema, or an example breaks the schema. */
const SCHEMA_PROBLEMS = 20;

const validators = new ValidatorCache(16);

export default function runContractTask(task: ContractTask): ContractTaskResult {
  // The deadline starts now, not while the task waited in the queue.
  task.started.postMessage('started');
  task.started.close();
  switch (task.kind) {
    case 'schema':
      return checkSchema(task);
    case 'readme':
      return renderedReadme(task.markdown);
    case 'validate':
      return { ok: true, kind: 'validate', check: validate(task.schemaJson, task.configuration) };
  }
}

function renderedReadme(markdown: string): ContractTaskResult {
  try {
    return { ok: true, kind: 'readme', html: renderReadme(markdown), digest: digestOf(markdown) };
  } catch (error) {
    if (error instanceof RegistryError && error.code === 'invalid_input') return { ok: false, problems: error.extensions.errors as FieldProblem[] };
    throw error;
  }
}

function checkSchema(task: Extract<ContractTask, { kind: 'schema' }>): ContractTaskResult {
  const field = task.fields.schema;
  const ruleProblems = schemaRuleProblems(task.schema, field);
  if (ruleProblems.length > 0) return { ok: false, problems: ruleProblems };

  const ajv = schemaAjv(task.dialect);
  const compilable = compilableSchema(task.schema);
  if (!ajv.validateSchema(compilable)) {
    return {
      ok: false,
      problems: configurationErrors(ajv.errors ?? [], SCHEMA_PROBLEMS).map((error) => ({
        field: `${field}${error.pointer}`,
        message: `breaks the ${task.dialect} meta-schema (${error.rule}): ${error.message}`,
      })),
    };
  }
  let validate;
  try {
    validate = ajv.compile(compilable);
  } catch (error) {
    return { ok: false, problems: [{ field, message: `cannot be compiled: ${(error as Error).message}` }] };
  }

  const problems: FieldProblem[] = [];
  task.examples.forEach((example, i) => {
    if (validate(example.configuration)) return;
    for (const error of configurationErrors(validate.errors ?? [], SCHEMA_PROBLEMS)) {
      problems.push({
        field: `${task.fields.examples[i] ?? `body.examples[${i}].configuration`}${error.pointer}`,
        message: `example ${JSON.stringify(example.name)} breaks the schema (${error.rule}): ${error.message}`,
      });
    }
  });
  if (problems.length > 0) return { ok: false, problems: problems.slice(0, SCHEMA_PROBLEMS) };

  const json = JSON.stringify(task.schema, null, 2);
  validators.set(json, validate);
  return { ok: true, kind: 'schema', json, digest: digestOf(json) };
}

function validate(schemaJson: string, configuration: unknown): ConfigurationCheck {
  let validator = validators.get(schemaJson);
  if (validator === undefined) {
    const schema = JSON.parse(schemaJson) as Record<string, unknown>;
    validator = schemaAjv(checkedDialect(schema)).compile(compilableSchema(schema));
    validators.set(schemaJson, validator);
  }
  if (validator(configuration)) return { valid: true, errors: [] };
  return { valid: false, errors: configurationErrors(validator.errors ?? [], CONTRACT_LIMITS.reportedErrors) };
}

const digestOf = (text: string): string => `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
