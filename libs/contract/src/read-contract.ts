import { invalidInput, type FieldProblem } from '../../domain/index.js';
import { decodePartText, parseBoundedDocument, type DocumentFormat } from './bounded-document.js';
import { CONTRACT_LIMITS } from './contract-limits.js';
import { NO_HOST_HINTS, type ContractDraft } from './contract.js';
import { isHigressSpec, readHigressSpec } from './higress-spec.js';
import { KONG_META_SUFFIX, readKongMeta } from './kong-meta.js';
import { readManifest } from './manifest.js';
import { collect, type ReaderContext } from './reader-context.js';
import { readSchemaValue } from './schema-document.js';

/** One multipart part of a publish request, read with a byte limit by the controller. */
export interface PartText {
  filename: string;
  bytes: Buffer;
}

/** The contract parts a publish request may carry. */
export interface ContractParts {
  manifest?: PartText;
  readme?: PartText;
  schema?: PartText;
}

/**
 * The contract a publish request carries, parsed and bounded (not yet checked
 * against meta-schemas: that is ContractChecker.prepare). The `manifest` part
 * is our manifest, a Higress spec.yaml or a Kong <filter>.meta.json; `readme`
 * and `schema` may come with it or alone. Null when no part was sent; a 400
 * listing every problem, each naming its part, when anything is wrong.
 */
export function readContract(parts: ContractParts, publishedVersion: string, publishedPlugin: string | null = null): ContractDraft | null {
  if (parts.manifest === undefined && parts.readme === undefined && parts.schema === undefined) return null;
  const problems: FieldProblem[] = [];
  const readme = parts.readme === undefined ? null : collect(problems, () => decodePartText(parts.readme!.bytes, 'body.readme', CONTRACT_LIMITS.readmeBytes));
  const schemaPart = parts.schema === undefined ? null : collect(problems, () => readSchemaPart(parts.schema!));
  const context: ReaderContext = { publishedVersion, publishedPlugin, readme, schemaPart, problems };

  let draft: ContractDraft | null;
  if (parts.manifest === undefined) {
    draft = { source: 'parts', readme, configSchema: schemaPart, examples: [], hostHints: NO_HOST_HINTS, metadata: null, origin: { configSchema: 'body.schema', examples: [] } };
  } else {
    draft = collect(problems, () => readManifestPart(parts.manifest!, context)) ?? null;
  }
  if (problems.length > 0 || draft === null) throw invalidInput(problems.length > 0 ? problems : [{ field: 'body.manifest', message: 'could not be read' }]);
  return draft;
}

function readSchemaPart(part: PartText) {
  const text = decodePartText(part.bytes, 'body.schema', CONTRACT_LIMITS.schemaBytes);
  const document = parseBoundedDocument(text, formatOf(part.filename, 'json'), 'body.schema', CONTRACT_LIMITS.schemaDepth);
  return readSchemaValue(document, 'body.schema');
}

function readManifestPart(part: PartText, context: ReaderContext): ContractDraft | null {
  const filename = basename(part.filename);
  const text = decodePartText(part.bytes, 'body.manifest', CONTRACT_LIMITS.manifestBytes);
  const kong = filename.toLowerCase().endsWith(KONG_META_SUFFIX);
  const document = parseBoundedDocument(text, kong ? 'json' : formatOf(filename, 'yaml'), 'body.manifest', CONTRACT_LIMITS.manifestDepth);
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw invalidInput([{ field: 'body.manifest', message: 'must be a mapping (a JSON object)' }]);
  }
  const fields = document as Record<string, unknown>;
  if (kong) return readKongMeta(fields, filename, context);
  if (/^spec\.ya?ml$/i.test(filename) || isHigressSpec(fields)) return readHigressSpec(fields, context);
  if (fields.manifest === undefined) {
    throw invalidInput([
      {
        field: 'body.manifest',
        message:
          'is not a manifest the registry reads: a wasm-plugin manifest (with "manifest: 1"), a Higress spec.yaml (info and spec) or a Kong <filter>.meta.json (config_schema)',
      },
    ]);
  }
  return readManifest(fields, context);
}

/** JSON by a .json name, YAML by .yaml/.yml, otherwise `fallback`. */
function formatOf(filename: string, fallback: DocumentFormat): DocumentFormat {
  if (/\.json$/i.test(filename)) return 'json';
  if (/\.ya?ml$/i.test(filename)) return 'yaml';
  return fallback;
}

const basename = (filename: string): string => filename.slice(Math.max(filename.lastIndexOf('/'), filename.lastIndexOf('\\')) + 1);
