import { dereference, isSchemaObject, pointerToken, type ConfigurationError, type SchemaObject } from '../../../contract/index.js';
import { html, type Html } from '../html.js';

/**
 * The configuration form of a version's page, generated from its JSON Schema
 * and rendered on the server: a plain POST form that works without JavaScript.
 * Field names are JSON Pointers into the configuration, so the registry's
 * errors land beside their fields; what the form cannot draw (oneOf, deep or
 * very large subtrees) is a JSON text area for that subtree.
 */

export interface ConfigFormInput {
  schema: SchemaObject;
  /** Pre-fill: an example's configuration, or what was submitted. */
  value: unknown;
  errors: readonly ConfigurationError[];
  action: string;
  examples: readonly string[];
  selectedExample: string | null;
}

export const CONFIG_FORM_LIMITS = { depth: 6, fields: 200, text: 300 } as const;
/** A field holding a subtree as JSON text is named by its pointer and this suffix. */
const JSON_SUFFIX = '#json';

type Kind = 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'json';

/** Where a field sits and what it is, shared by drawing and reading so the two agree. */
interface Node {
  schema: SchemaObject;
  kind: Kind;
}

export function configForm(input: ConfigFormInput): Html {
  const draw = new FormDrawer(input.schema, input.errors);
  const root = draw.node(input.schema, '', true);
  // A schema too large to draw field by field is edited as JSON, whole.
  const fields = root.kind === 'object' ? draw.budget(input.schema, input.value) : 0;
  const body = fields > CONFIG_FORM_LIMITS.fields ? draw.jsonField(root, '', 'Configuration', input.value, true) : draw.field(root, '', 'Configuration', input.value, true, 0);
  const unplaced = input.errors.filter((e) => !draw.placed.has(e.pointer));
  return html`<form class="config-form" method="post" action="${input.action}" novalidate>
${input.selectedExample ? html`<p class="small muted">Starting from the example <strong>${input.selectedExample}</strong>.</p>` : ''}
${unplaced.length > 0 ? html`<ul class="field-errors" role="alert">${unplaced.map((e) => html`<li><code>${e.pointer || '(the whole configuration)'}</code>: ${e.message}</li>`)}</ul>` : ''}
${body}
<p><button type="submit">Check and build configuration</button></p>
</form>`;
}

/** The configuration a submitted form describes, typed by the schema; each field that cannot be read is a problem at its pointer. */
export function configurationFromForm(schema: SchemaObject, fields: Readonly<Record<string, string | string[]>>): { value: unknown; problems: ConfigurationError[] } {
  const reader = new FormReader(schema, fields);
  const root = reader.node(schema, '', true);
  const value = fields[JSON_SUFFIX] !== undefined ? reader.json('') : reader.read(root, '', true, 0);
  return { value: value ?? {}, problems: reader.problems };
}

abstract class SchemaWalker {
  constructor(protected readonly root: SchemaObject) {}

  node(schema: unknown, _pointer: string, _required: boolean): Node {
    const resolved = isSchemaObject(schema) ? dereference(this.root, schema) : {};
    return { schema: resolved, kind: kindOf(resolved) };
  }

  protected properties(schema: SchemaObject): [string, SchemaObject][] {
    const properties = isSchemaObject(schema.properties) ? schema.properties : {};
    return Object.entries(properties).map(([key, value]): [string, SchemaObject] => [key, isSchemaObject(value) ? value : {}]);
  }

  protected requiredOf(schema: SchemaObject): Set<string> {
    return new Set(Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === 'string') : []);
  }
}

function kindOf(schema: SchemaObject): Kind {
  if (['oneOf', 'anyOf', 'allOf', 'not', 'if', '$ref'].some((k) => k in schema)) return 'json';
  const types = Array.isArray(schema.type) ? schema.type.filter((t) => t !== 'null') : [schema.type];
  if (types.length > 1) return 'json';
  const type = types[0] ?? (isSchemaObject(schema.properties) ? 'object' : Array.isArray(schema.enum) ? 'string' : undefined);
  if (type === 'object') return isSchemaObject(schema.properties) && !('patternProperties' in schema) ? 'object' : 'json';
  if (type === 'array') return isSchemaObject(schema.items) && kindOf(schema.items) !== 'array' ? 'array' : 'json';
  if (type === 'string' || type === 'number' || type === 'integer' || type === 'boolean') return type;
  return 'json';
}

class FormDrawer extends SchemaWalker {
  /** Pointers that have a field: errors at others are listed above the form. */
  readonly placed = new Set<string>();
  private readonly errorsAt = new Map<string, string[]>();

  constructor(root: SchemaObject, errors: readonly ConfigurationError[]) {
    super(root);
    for (const error of errors) this.errorsAt.set(error.pointer, [...(this.errorsAt.get(error.pointer) ?? []), error.message]);
  }

  /** How many inputs drawing `schema` with `value` makes, counted up to just past the limit. */
  budget(schema: SchemaObject, value: unknown, depth = 0, count = { n: 0 }): number {
    const node = this.node(schema, '', false);
    if (count.n > CONFIG_FORM_LIMITS.fields || depth > CONFIG_FORM_LIMITS.depth) return count.n;
    if (node.kind === 'object') {
      for (const [key, child] of this.properties(node.schema)) {
        if (count.n > CONFIG_FORM_LIMITS.fields) break;
        this.budget(child, isSchemaObject(value) ? value[key] : undefined, depth + 1, count);
      }
    } else if (node.kind === 'array') {
      const items = Array.isArray(value) ? value : [];
      for (let i = 0; i <= items.length && count.n <= CONFIG_FORM_LIMITS.fields; i++) this.budget(node.schema.items as SchemaObject, items[i], depth + 1, count);
    } else {
      count.n++;
    }
    return count.n;
  }

  field(node: Node, pointer: string, label: string, value: unknown, required: boolean, depth: number): Html {
    if (node.kind === 'json' || depth > CONFIG_FORM_LIMITS.depth) return this.jsonField(node, pointer, label, value, required);
    if (node.kind === 'object') return this.objectField(node, pointer, label, value, depth);
    if (node.kind === 'array') return this.arrayField(node, pointer, label, value, depth);
    return this.scalarField(node, pointer, label, value, required);
  }

  private objectField(node: Node, pointer: string, label: string, value: unknown, depth: number): Html {
    const required = this.requiredOf(node.schema);
    const current = isSchemaObject(value) ? value : {};
    const children = this.properties(node.schema).map(([key, child]) => {
      const childNode = this.node(child, `${pointer}/${pointerToken(key)}`, required.has(key));
      return this.field(childNode, `${pointer}/${pointerToken(key)}`, titleOf(childNode.schema, key), current[key], required.has(key), depth + 1);
    });
    this.placed.add(pointer);
    return html`<fieldset id="${fieldId(pointer)}"><legend>${label}</legend>${this.help(node.schema, pointer)}${this.errorList(pointer)}${children}</fieldset>`;
  }

  private arrayField(node: Node, pointer: string, label: string, value: unknown, depth: number): Html {
    const items = Array.isArray(value) ? value : [];
    const itemSchema = node.schema.items as SchemaObject;
    // One blank item after the existing ones: without JavaScript, that is how a list grows.
    const rows = [...items, undefined].map((item, i) => {
      const itemPointer = `${pointer}/${i}`;
      const itemNode = this.node(itemSchema, itemPointer, false);
      const itemLabel = i < items.length ? `${label} ${i + 1}` : `${label}: add one`;
      return html`<li>${this.field(itemNode, itemPointer, itemLabel, item, false, depth + 1)}</li>`;
    });
    this.placed.add(pointer);
    return html`<fieldset id="${fieldId(pointer)}" class="array"><legend>${label}</legend>${this.help(node.schema, pointer)}${this.errorList(pointer)}<ol class="items">${rows}</ol>
<p class="small muted">Leave the last one blank to add nothing; empty one to remove it.</p></fieldset>`;
  }

  private scalarField(node: Node, pointer: string, label: string, value: unknown, required: boolean): Html {
    const { schema, kind } = node;
    const id = fieldId(pointer);
    const described = this.describedBy(schema, pointer);
    const shown = value === undefined || value === null ? '' : String(value);
    const placeholder = schema.default !== undefined && typeof schema.default !== 'object' ? `default: ${truncate(String(schema.default))}` : '';
    let control: Html;
    if (kind === 'boolean') {
      const options = required ? ['true', 'false'] : ['', 'true', 'false'];
      control = html`<select id="${id}" name="${pointer}" aria-describedby="${described}"${this.invalid(pointer)}>${options.map(
        (o) => html`<option value="${o}"${o === shown ? ' selected' : ''}>${o === '' ? (placeholder || 'unset') : o}</option>`,
      )}</select>`;
    } else if (Array.isArray(schema.enum)) {
      const options = schema.enum.map((e) => String(e));
      control = html`<select id="${id}" name="${pointer}" aria-describedby="${described}"${this.invalid(pointer)}>${required ? '' : html`<option value="">${placeholder || 'unset'}</option>`}${options.map(
        (o) => html`<option value="${o}"${o === shown ? ' selected' : ''}>${truncate(o)}</option>`,
      )}</select>`;
    } else if (kind === 'number' || kind === 'integer') {
      const bounds = html`${typeof schema.minimum === 'number' ? html` min="${schema.minimum}"` : ''}${typeof schema.maximum === 'number' ? html` max="${schema.maximum}"` : ''}`;
      control = html`<input id="${id}" name="${pointer}" type="number" step="${kind === 'integer' ? '1' : 'any'}"${bounds} value="${shown}" placeholder="${placeholder}" aria-describedby="${described}"${this.invalid(pointer)}>`;
    } else if ((typeof schema.maxLength === 'number' && schema.maxLength > 200) || shown.includes('\n')) {
      control = html`<textarea id="${id}" name="${pointer}" rows="4" placeholder="${placeholder}" aria-describedby="${described}"${this.invalid(pointer)}>${shown}</textarea>`;
    } else {
      control = html`<input id="${id}" name="${pointer}" type="text" value="${shown}" placeholder="${placeholder}" aria-describedby="${described}"${this.invalid(pointer)}>`;
    }
    this.placed.add(pointer);
    return html`<div class="field">${this.label(id, label, required)}${control}${this.help(schema, pointer)}${this.errorList(pointer)}</div>`;
  }

  jsonField(node: Node, pointer: string, label: string, value: unknown, required: boolean): Html {
    const id = fieldId(pointer);
    this.placed.add(pointer);
    return html`<div class="field">${this.label(id, `${label} (JSON)`, required)}<textarea id="${id}" name="${pointer}${JSON_SUFFIX}" rows="6" class="json" aria-describedby="${this.describedBy(node.schema, pointer)}"${this.invalid(pointer)}>${
      value === undefined ? '' : JSON.stringify(value, null, 2)
    }</textarea>${this.help(node.schema, pointer)}${this.errorList(pointer)}</div>`;
  }

  private label(id: string, text: string, required: boolean): Html {
    return html`<label for="${id}">${truncate(text)}${required ? html` <span class="required">required</span>` : ''}</label>`;
  }

  private help(schema: SchemaObject, pointer: string): Html {
    const text = helpText(schema);
    return text === '' ? html`` : html`<p class="help small muted" id="${fieldId(pointer)}--help">${text}</p>`;
  }

  private errorList(pointer: string): Html {
    const messages = this.errorsAt.get(pointer);
    return messages === undefined ? html`` : html`<p class="field-error" id="${fieldId(pointer)}--error">${messages.join('; ')}</p>`;
  }

  private describedBy(schema: SchemaObject, pointer: string): string {
    return [helpText(schema) === '' ? null : `${fieldId(pointer)}--help`, this.errorsAt.has(pointer) ? `${fieldId(pointer)}--error` : null].filter((id) => id !== null).join(' ');
  }

  private invalid(pointer: string): Html {
    return this.errorsAt.has(pointer) ? html` aria-invalid="true"` : html``;
  }
}

class FormReader extends SchemaWalker {
  readonly problems: ConfigurationError[] = [];
  private readonly names: string[];

  constructor(
    root: SchemaObject,
    private readonly fields: Readonly<Record<string, string | string[]>>,
  ) {
    super(root);
    this.names = Object.keys(fields);
  }

  read(node: Node, pointer: string, required: boolean, depth: number): unknown {
    if (this.fields[`${pointer}${JSON_SUFFIX}`] !== undefined || node.kind === 'json' || depth > CONFIG_FORM_LIMITS.depth) return this.json(pointer);
    if (node.kind === 'object') {
      const requiredKeys = this.requiredOf(node.schema);
      const out: Record<string, unknown> = {};
      for (const [key, child] of this.properties(node.schema)) {
        const childPointer = `${pointer}/${pointerToken(key)}`;
        const value = this.read(this.node(child, childPointer, requiredKeys.has(key)), childPointer, requiredKeys.has(key), depth + 1);
        if (value !== undefined) out[key] = value;
      }
      return Object.keys(out).length === 0 && pointer !== '' && !required ? undefined : out;
    }
    if (node.kind === 'array') {
      const items: unknown[] = [];
      for (let i = 0; this.hasFieldsUnder(`${pointer}/${i}`); i++) {
        const item = this.read(this.node(node.schema.items, `${pointer}/${i}`, false), `${pointer}/${i}`, false, depth + 1);
        if (item !== undefined) items.push(item);
      }
      return items.length === 0 && !required ? undefined : items;
    }
    return this.scalar(node, pointer);
  }

  json(pointer: string): unknown {
    const text = this.text(`${pointer}${JSON_SUFFIX}`).trim();
    if (text === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      this.problems.push({ pointer, rule: 'json', message: `is not valid JSON: ${(error as Error).message}` });
      return undefined;
    }
  }

  private scalar({ schema, kind }: Node, pointer: string): unknown {
    const raw = this.text(pointer);
    if (raw === '') return undefined;
    if (Array.isArray(schema.enum)) {
      // Enum values keep their JSON type: the form sent their text.
      const match = schema.enum.find((e) => String(e) === raw);
      if (match !== undefined) return match;
    }
    if (kind === 'boolean') {
      if (raw === 'true' || raw === 'false') return raw === 'true';
      this.problems.push({ pointer, rule: 'type', message: 'must be true or false' });
      return undefined;
    }
    if (kind === 'number' || kind === 'integer') {
      const number = Number(raw.trim());
      if (raw.trim() === '' || !Number.isFinite(number) || (kind === 'integer' && !Number.isInteger(number))) {
        this.problems.push({ pointer, rule: 'type', message: `must be ${kind === 'integer' ? 'a whole number' : 'a number'} (got ${JSON.stringify(truncate(raw))})` });
        return undefined;
      }
      return number;
    }
    return raw;
  }

  private text(name: string): string {
    const value = this.fields[name];
    return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
  }

  private hasFieldsUnder(pointer: string): boolean {
    return this.names.some((name) => name === pointer || name === `${pointer}${JSON_SUFFIX}` || name.startsWith(`${pointer}/`));
  }
}

function titleOf(schema: SchemaObject, key: string): string {
  return typeof schema.title === 'string' && schema.title.trim() !== '' ? schema.title : key;
}

/** The description and the rules a person should know before typing, in one line. */
function helpText(schema: SchemaObject): string {
  const parts: string[] = [];
  if (typeof schema.description === 'string' && schema.description.trim() !== '') parts.push(truncate(schema.description.trim()));
  const rules: string[] = [];
  if (typeof schema.minimum === 'number') rules.push(`at least ${schema.minimum}`);
  if (typeof schema.maximum === 'number') rules.push(`at most ${schema.maximum}`);
  if (typeof schema.minLength === 'number') rules.push(`${schema.minLength} characters or more`);
  if (typeof schema.maxLength === 'number') rules.push(`up to ${schema.maxLength} characters`);
  if (typeof schema.pattern === 'string') rules.push(`matching ${truncate(schema.pattern)}`);
  if (typeof schema.format === 'string') rules.push(`format ${truncate(schema.format)}`);
  if (schema.default !== undefined) rules.push(`default ${truncate(JSON.stringify(schema.default))}`);
  if (rules.length > 0) parts.push(`(${rules.join('; ')})`);
  return parts.join(' ');
}

function truncate(text: string): string {
  return text.length > CONFIG_FORM_LIMITS.text ? `${text.slice(0, CONFIG_FORM_LIMITS.text)}…` : text;
}

/**
 * An id from a pointer: letters and digits kept, "/" as "_", anything else as
 * ".<hex>.", so distinct pointers never share one and no id holds "--", which
 * the help and error ids use as their separator.
 */
export function fieldId(pointer: string): string {
  return `cfg${pointer.replace(/[^A-Za-z0-9]/g, (c) => (c === '/' ? '_' : `.${c.codePointAt(0)!.toString(16)}.`))}`;
}
