import { textProblem } from '../../domain/index.js';
import { NO_HOST_HINTS, type ContractDraft } from './contract.js';
import { collect, type ReaderContext } from './reader-context.js';
import { readSchemaValue } from './schema-document.js';

/**
 * A Kong filter's `<filter>.meta.json`, taken unchanged: `config_schema` is
 * the schema (Kong's draft-04 `$schema` is accepted and checked as draft-07),
 * and `<filter>` is the root_id. Kong runs filters on HTTP traffic.
 */
export const KONG_META_SUFFIX = '.meta.json';

const SCHEMA_FIELD = 'body.manifest.config_schema';

export function readKongMeta(document: Record<string, unknown>, filename: string, context: ReaderContext): ContractDraft | null {
  const { problems } = context;
  const filter = filename.slice(0, -KONG_META_SUFFIX.length);
  const nameProblem = filter === '' ? { field: 'body.manifest', message: 'the file name must be <filter>.meta.json' } : textProblem('body.manifest', filter);
  if (nameProblem !== null) problems.push(nameProblem);

  let configSchema = context.schemaPart;
  let schemaField = 'body.schema';
  if (document.config_schema !== undefined) {
    if (context.schemaPart !== null) problems.push({ field: 'body.schema', message: 'the meta.json holds the configuration schema (config_schema): give it in one place only' });
    schemaField = SCHEMA_FIELD;
    configSchema = collect(problems, () => readSchemaValue(document.config_schema, SCHEMA_FIELD, { draft04: true }));
  }

  if (problems.length > 0) return null;
  return {
    source: 'kong',
    readme: context.readme,
    configSchema,
    examples: [],
    hostHints: { ...NO_HOST_HINTS, filterType: 'http', rootId: filter.slice(0, 256) },
    metadata: null,
    origin: { configSchema: schemaField, examples: [] },
  };
}
