import { dereference, isSchemaObject, pointerToken, type ConfigurationError, type SchemaObject } from '../../../contract/index.js';
import { html, type Html } from '../html.js';

/**
 * The configuration form a version's JSON Schema describes, rendered on the
 * server so it works without JavaScript, and read back from what a browser
 * submits (application/x-www-form-urlencoded).
 *
 * Every field's name is the JSON Pointer of its place in the configuration
 * ("/rules/0/path"), so an error's pointer names its field. A subtree the form
 * cannot show as fields (oneOf/anyOf/allOf, free-form objects, tuples, values
 * that do not fit the schema, too deep, too many fields) is one JSON textarea
 * named "<pointer>#json". The form never drops part of the value it is given.
 *
 * The form carries `novalidate`: the server judges the configuration against
 * the whole schema and puts every error beside its field at once, so the
 * browser's own checks (required, min, max, step) must not block the submit.
 * `required` is still set where the field is required all the way from the
 * root (not inside an optional object or an array item), for assistive
 * technology; inside optional parts the label says "required" instead.
 */

export const CONFIG_FORM_LIMITS = {
  /** More fields than this: the subtree that would exceed it is a JSON textarea. */
  fields: 200,
  /** Objects and arrays nested deeper than this (pointer tokens from the root) are a JSON textarea. */
  depth: 6,
  /** An enum with more members than this is a JSON textarea, not a select. */
  options: 100,
  /** Schema text shown on the page is the publisher's: bounded. */
  titleChars: 120,
  descriptionChars: 400,
  hintChars: 160,
  /** Errors listed (each is also shown beside its field). */
  errors: 100,
  /** Array items read back from one array. */
  items: 1000,
  /** JSON nesting a JSON textarea may submit (the validator allows 64). */
  jsonDepth: 64,
} as const;

/** Formats whose strings usually span lines: a textarea, not an input. */
const MULTILINE_FORMATS = new Set(['textarea', 'multiline', 'markdown', 'pem', 'x509', 'certificate']);
/** Keywords that make a subtree's shape depend on its value: the form shows such a subtree as JSON. */
const SHAPE_KEYWORDS = ['oneOf', 'anyOf', 'allOf', 'if', 'dependentSchemas', 'dependencies', 'prefixItems', '$dynamicRef', '$recursiveRef'];

/**
 * What a person typed where the schema wants another type ("abc" for a
 * number, broken JSON): kept in the value read back so the form shows it again
 * beside its error. A value holding one is not a configuration (its problems
 * say why); as JSON it is the text itself.
 */
export class SubmittedText {
  constructor(readonly text: string) {}
  toJSON(): string {
    return this.text;
  }
}

export interface ConfigFormInput {
  schema: SchemaObject;
  /** Pre-fill: an example's configuration, or what configurationFromForm read from a submit. */
  value: unknown;
  /** Each is shown beside the field its pointer names (or the nearest part of the form that holds it). */
  errors: readonly ConfigurationError[];
  /** Where the form posts (application/x-www-form-urlencoded). */
  action: string;
  /** Example names: links "?example=<name>" to the current page, so choosing one needs no script. */
  examples: readonly string[];
  selectedExample: string | null;
}

export const CONFIG_FORM_ID = 'config-form';

export function configForm(input: ConfigFormInput): Html {
  const errors = input.errors.slice(0, CONFIG_FORM_LIMITS.errors);
  const context: RenderContext = { root: input.schema, errors, placedAt: new Map(), ids: 0 };
  const root: Site = { pointer: '', depth: 0, label: titleOf(input.schema) ?? 'Configuration', required: true, mandatory: true };
  const fields = renderNode(context, root, input.schema, input.value, CONFIG_FORM_LIMITS.fields, true);
  const unplaced = errors.filter((e) => !context.placedAt.has(e));
  return html`<div class="config-form">
${exampleChoice(input.examples, input.selectedExample)}
${errorSummary(context, input.errors.length)}
<form id="${CONFIG_FORM_ID}" method="post" action="${input.action}" novalidate>
${unplaced.length > 0 ? html`<div class="field-error" id="config-form-errors">${errorLines(unplaced)}</div>` : ''}
${fields.markup}
<p><button type="submit">Check this configuration</button></p>
</form>
</div>`;
}

/**
 * The configuration a submitted form describes. Values are coerced by the
 * schema; a blank field is left out (an empty string cannot be entered except
 * in a JSON textarea); an object or array with nothing filled in is left out
 * unless it is required (then it is {} or [], so the validator names the
 * missing fields inside it). Problems are values that could not be read as
 * their type: when there are any, `value` is not a configuration to check or
 * deploy, only what to show again with the problems as errors.
 */
export function configurationFromForm(schema: SchemaObject, fields: Readonly<Record<string, string | string[]>>): { value: unknown; problems: ConfigurationError[] } {
  const context: ReadContext = { root: schema, fields, children: fieldIndex(fields), problems: [] };
  const read = readNode(context, schema, '', 0, true);
  return { value: read.value, problems: context.problems };
}

// ---------------------------------------------------------------------------
// What the schema lets the form show at one place.

type Scalar = string | number | boolean | null;

type Shape =
  | { kind: 'json' }
  | { kind: 'text'; long: boolean }
  | { kind: 'number'; integer: boolean }
  | { kind: 'boolean' }
  | { kind: 'choice'; options: readonly Scalar[]; plain: boolean }
  | { kind: 'object'; properties: ReadonlyMap<string, unknown>; required: ReadonlySet<string> }
  | { kind: 'array'; items: unknown; itemKind: 'scalar' | 'object' };

const JSON_SHAPE: Shape = { kind: 'json' };

function resolve(root: SchemaObject, raw: unknown, depth: number): { schema: SchemaObject; shape: Shape } {
  if (!isSchemaObject(raw)) return { schema: {}, shape: JSON_SHAPE };
  const schema = dereference(root, raw);
  return { schema, shape: shapeOf(root, schema, depth) };
}

function shapeOf(root: SchemaObject, schema: SchemaObject, depth: number): Shape {
  if (typeof schema.$ref === 'string' || SHAPE_KEYWORDS.some((k) => Object.hasOwn(schema, k))) return JSON_SHAPE;
  const choices = Object.hasOwn(schema, 'const') ? [schema.const] : Array.isArray(schema.enum) ? schema.enum : null;
  if (choices !== null) {
    if (choices.length === 0 || choices.length > CONFIG_FORM_LIMITS.options || !choices.every(isScalar)) return JSON_SHAPE;
    return { kind: 'choice', options: choices, plain: choices.every((c) => typeof c === 'string' && c !== '') };
  }
  switch (singleType(schema)) {
    case 'string': {
      const format = typeof schema.format === 'string' ? schema.format.toLowerCase() : '';
      return { kind: 'text', long: (typeof schema.maxLength === 'number' && schema.maxLength > 200) || MULTILINE_FORMATS.has(format) };
    }
    case 'number':
      return { kind: 'number', integer: false };
    case 'integer':
      return { kind: 'number', integer: true };
    case 'boolean':
      return { kind: 'boolean' };
    case 'object': {
      if (depth > CONFIG_FORM_LIMITS.depth || !isSchemaObject(schema.properties)) return JSON_SHAPE;
      const properties = new Map(Object.entries(schema.properties));
      if (properties.size === 0) return JSON_SHAPE;
      const required = new Set(Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === 'string') : []);
      return { kind: 'object', properties, required };
    }
    case 'array': {
      if (depth > CONFIG_FORM_LIMITS.depth || !isSchemaObject(schema.items)) return JSON_SHAPE;
      const item = resolve(root, schema.items, depth + 1).shape;
      if (item.kind === 'json' || item.kind === 'array') return JSON_SHAPE;
      return { kind: 'array', items: schema.items, itemKind: item.kind === 'object' ? 'object' : 'scalar' };
    }
    default:
      return JSON_SHAPE;
  }
}

/** The one type a schema allows besides null, or null when it allows several (or says none). */
function singleType(schema: SchemaObject): string | null {
  const declared = typeof schema.type === 'string' ? [schema.type] : Array.isArray(schema.type) ? schema.type.filter((t): t is string => typeof t === 'string') : [];
  const types = new Set(declared.filter((t) => t !== 'null'));
  if (types.size === 2 && types.has('number') && types.has('integer')) return 'number';
  if (types.size === 1) return [...types][0]!;
  if (declared.length > 0) return null;
  if (isSchemaObject(schema.properties)) return 'object';
  if (Object.hasOwn(schema, 'items')) return 'array';
  return null;
}

const isScalar = (v: unknown): v is Scalar => v === null || ['string', 'number', 'boolean'].includes(typeof v);
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof SubmittedText);

/** An enum member as a select's option value: itself when every member is a non-empty string, else its JSON. */
const optionValue = (shape: Extract<Shape, { kind: 'choice' }>, option: Scalar): string => (shape.plain ? (option as string) : JSON.stringify(option));

/** Whether the field the shape gives can show `value` exactly; when it cannot, the place is a JSON textarea. */
function fits(shape: Shape, value: unknown): boolean {
  if (value === undefined) return true;
  switch (shape.kind) {
    case 'json':
      return true;
    case 'text':
      return typeof value === 'string' || value instanceof SubmittedText;
    case 'number':
      return (typeof value === 'number' && Number.isFinite(value)) || value instanceof SubmittedText;
    case 'boolean':
      return typeof value === 'boolean';
    case 'choice':
      return shape.options.some((o) => o === value);
    case 'object':
      return isPlainObject(value) && Object.keys(value).every((k) => shape.properties.has(k));
    case 'array':
      return Array.isArray(value);
  }
}

const valueAt = (value: unknown, key: string): unknown => (isPlainObject(value) && Object.hasOwn(value, key) ? value[key] : undefined);

// ---------------------------------------------------------------------------
// Rendering.

interface RenderContext {
  root: SchemaObject;
  errors: readonly ConfigurationError[];
  /** Each error shown, and the id of the element it is shown beside. */
  placedAt: Map<ConfigurationError, string>;
  ids: number;
}

interface Site {
  pointer: string;
  /** Pointer tokens from the root. */
  depth: number;
  label: string;
  /** Required by its parent. */
  required: boolean;
  /** Required all the way from the root: absent is always an error. */
  mandatory: boolean;
  /** An array item: left out when blank, as the array's hint says. */
  item?: boolean;
}

interface Rendered {
  markup: Html;
  /** Form controls it holds. */
  fields: number;
}

/** Form controls `value` would take as fields, counted up to just past `limit`. */
function fieldCount(root: SchemaObject, raw: unknown, value: unknown, depth: number, limit: number): number {
  const { shape } = resolve(root, raw, depth);
  if (!fits(shape, value)) return 1;
  if (shape.kind === 'object') {
    let count = 0;
    for (const [key, child] of shape.properties) {
      count += fieldCount(root, child, valueAt(value, key), depth + 1, limit - count);
      if (count > limit) break;
    }
    return count;
  }
  if (shape.kind === 'array') {
    const items = Array.isArray(value) ? value : [];
    let count = 0;
    // Every existing item and one blank slot.
    for (let i = 0; i <= items.length && count <= limit; i++) count += fieldCount(root, shape.items, items[i], depth + 1, limit - count);
    return count;
  }
  return 1;
}

function renderNode(context: RenderContext, site: Site, raw: unknown, value: unknown, budget: number, isRoot = false): Rendered {
  const { schema, shape } = resolve(context.root, raw, site.depth);
  if (!fits(shape, value) || budget < 1) return jsonField(context, site, schema, value);
  switch (shape.kind) {
    case 'json':
      return jsonField(context, site, schema, value);
    case 'object':
      if (shape.properties.size > budget) return jsonField(context, site, schema, value);
      return renderObject(context, site, schema, shape, value, budget, isRoot);
    case 'array':
      if (fieldCount(context.root, raw, value, site.depth, budget) > budget) return jsonField(context, site, schema, value);
      return renderArray(context, site, schema, shape, value as unknown[] | undefined);
    default:
      return { markup: scalarField(context, site, schema, shape, value), fields: 1 };
  }
}

function renderObject(context: RenderContext, site: Site, schema: SchemaObject, shape: Extract<Shape, { kind: 'object' }>, value: unknown, budget: number, isRoot: boolean): Rendered {
  const id = isRoot ? CONFIG_FORM_ID : idFor(context);
  const children: Html[] = [];
  let used = 0;
  let left = shape.properties.size;
  for (const [key, child] of shape.properties) {
    left -= 1;
    const required = shape.required.has(key);
    const label = titleOf(resolve(context.root, child, site.depth + 1).schema) ?? bound(key, CONFIG_FORM_LIMITS.titleChars);
    const childSite: Site = { pointer: `${site.pointer}/${pointerToken(key)}`, depth: site.depth + 1, label, required, mandatory: site.mandatory && required };
    // Every later property needs at least one field: an earlier one that would leave none becomes JSON.
    const rendered = renderNode(context, childSite, child, valueAt(value, key), budget - used - left);
    children.push(rendered.markup);
    used += rendered.fields;
  }
  if (isRoot) return { markup: html`${help(id, schema, [])}${children}`, fields: used };
  const hints = site.required || site.item ? [] : ['Optional: left out when every field in it is blank.'];
  return { markup: group(context, id, site, schema, hints, children), fields: used };
}

function renderArray(context: RenderContext, site: Site, schema: SchemaObject, shape: Extract<Shape, { kind: 'array' }>, value: unknown[] | undefined): Rendered {
  const id = idFor(context);
  const items = value ?? [];
  const itemSchema = resolve(context.root, shape.items, site.depth + 1).schema;
  const itemName = titleOf(itemSchema) ?? site.label;
  const children: Html[] = [];
  let used = 0;
  for (let i = 0; i <= items.length; i++) {
    const isNew = i === items.length;
    const itemSite: Site = {
      pointer: `${site.pointer}/${i}`,
      depth: site.depth + 1,
      label: isNew ? `${itemName} ${i + 1} (new)` : `${itemName} ${i + 1}`,
      required: false,
      mandatory: false,
      item: true,
    };
    const rendered = renderNode(context, itemSite, shape.items, items[i], Number.MAX_SAFE_INTEGER);
    children.push(rendered.markup);
    used += rendered.fields;
  }
  const hints = [...arrayHints(schema), shape.itemKind === 'object' ? 'The new item is left out when every field in it is blank.' : 'Blank entries are left out.'];
  return { markup: group(context, id, site, schema, hints, children), fields: used };
}

/** A fieldset for an object or an array, with the errors under it that no field inside took (the children are rendered first). */
function group(context: RenderContext, id: string, site: Site, schema: SchemaObject, hints: string[], children: Html[]): Html {
  const errors = takeErrors(context, id, (p) => p === site.pointer || p.startsWith(`${site.pointer}/`));
  return html`<fieldset id="${id}"${describedBy(id, schema, hints, errors)}${errors.length > 0 ? html` aria-invalid="true"` : ''}>
<legend>${site.label}${requiredMark(site)}</legend>
${errorBlock(id, errors)}${help(id, schema, hints)}${children}
</fieldset>`;
}

function scalarField(context: RenderContext, site: Site, schema: SchemaObject, shape: Shape, value: unknown): Html {
  const id = idFor(context);
  const errors = takeErrors(context, id, (p) => p === site.pointer);
  const hints = scalarHints(schema, shape);
  const common = html`id="${id}" name="${site.pointer}"${describedBy(id, schema, hints, errors)}${errors.length > 0 ? html` aria-invalid="true"` : ''}${site.mandatory ? html` required` : ''}`;
  const placeholder = Object.hasOwn(schema, 'default') && isScalar(schema.default) ? bound(String(schema.default), CONFIG_FORM_LIMITS.hintChars) : null;
  const placeholderAttribute = placeholder === null || placeholder === '' ? '' : html` placeholder="${placeholder}"`;
  let control: Html;
  if (shape.kind === 'text') {
    const text = value instanceof SubmittedText ? value.text : typeof value === 'string' ? value : '';
    // An input drops line breaks; a textarea keeps them (the newline after the tag is eaten by the parser, so a leading one survives).
    control =
      shape.long || /[\r\n]/.test(text)
        ? html`<textarea ${common} rows="${shape.long ? 6 : 3}"${placeholderAttribute}>\n${text}</textarea>`
        : html`<input type="text" ${common} value="${text}"${placeholderAttribute}>`;
  } else if (shape.kind === 'number') {
    // What was typed and is not a number is shown as typed, beside its error (a number input would blank it).
    control =
      value instanceof SubmittedText
        ? html`<input type="text" inputmode="decimal" ${common} value="${value.text}"${placeholderAttribute}>`
        : html`<input type="number" ${common} value="${typeof value === 'number' ? String(value) : ''}"${numberAttributes(schema, shape.integer)}${placeholderAttribute}>`;
  } else {
    const options: [string, string][] =
      shape.kind === 'boolean'
        ? [
            ['true', 'true'],
            ['false', 'false'],
          ]
        : (shape as Extract<Shape, { kind: 'choice' }>).options.map((o) => [optionValue(shape as Extract<Shape, { kind: 'choice' }>, o), bound(typeof o === 'string' ? o : JSON.stringify(o), CONFIG_FORM_LIMITS.hintChars)]);
    const selected = value === undefined ? null : shape.kind === 'boolean' ? String(value) : optionValue(shape as Extract<Shape, { kind: 'choice' }>, value as Scalar);
    const fallback = placeholder === null ? '' : ` (default: ${placeholder})`;
    // Unset stays choosable where leaving it out is allowed; where it is not, the placeholder submits nothing, so "required" is reported.
    const unset = site.mandatory
      ? selected === null
        ? html`<option value="" disabled selected>Choose…${fallback}</option>`
        : ''
      : html`<option value=""${selected === null ? html` selected` : ''}>— not set${fallback} —</option>`;
    control = html`<select ${common}>${unset}${options.map(([v, label]) => html`<option value="${v}"${v === selected ? html` selected` : ''}>${label}</option>`)}</select>`;
  }
  return html`<div class="field">
<label for="${id}">${site.label}${requiredMark(site)}</label>
${errorBlock(id, errors)}${control}
${help(id, schema, hints)}</div>`;
}

function jsonField(context: RenderContext, site: Site, schema: SchemaObject, value: unknown): Rendered {
  const id = idFor(context);
  const errors = takeErrors(context, id, (p) => site.pointer === '' || p === site.pointer || p.startsWith(`${site.pointer}/`));
  const hints = ['As JSON: this part of the configuration is too varied or too large for separate fields.'];
  const text = value === undefined ? '' : value instanceof SubmittedText ? value.text : (JSON.stringify(value, null, 2) ?? '');
  return {
    markup: html`<div class="field">
<label for="${id}">${site.label}${requiredMark(site)} <span class="badge">JSON</span></label>
${errorBlock(id, errors)}<textarea class="json" id="${id}" name="${site.pointer}#json" rows="8" spellcheck="false"${describedBy(id, schema, hints, errors)}${errors.length > 0 ? html` aria-invalid="true"` : ''}${site.mandatory ? html` required` : ''}>\n${text}</textarea>
${help(id, schema, hints)}</div>`,
    fields: 1,
  };
}

const idFor = (context: RenderContext): string => `config-field-${++context.ids}`;

function takeErrors(context: RenderContext, id: string, under: (pointer: string) => boolean): ConfigurationError[] {
  const taken = context.errors.filter((e) => !context.placedAt.has(e) && under(e.pointer));
  for (const e of taken) context.placedAt.set(e, id);
  return taken;
}

function describedBy(id: string, schema: SchemaObject, hints: readonly string[], errors: readonly ConfigurationError[]): Html | string {
  const ids = [errors.length > 0 ? `${id}-error` : null, descriptionOf(schema) !== null ? `${id}-help` : null, hints.length > 0 || defaultText(schema) !== null ? `${id}-hint` : null].filter((x) => x !== null);
  return ids.length === 0 ? '' : html` aria-describedby="${ids.join(' ')}"`;
}

function help(id: string, schema: SchemaObject, hints: readonly string[]): Html {
  const description = descriptionOf(schema);
  const fallback = defaultText(schema);
  const all = fallback === null ? hints : [...hints, `Default: ${fallback}.`];
  return html`${description !== null ? html`<p class="field-help" id="${id}-help">${description}</p>` : ''}${all.length > 0 ? html`<p class="field-hint" id="${id}-hint">${all.join(' · ')}</p>` : ''}`;
}

const errorLines = (errors: readonly ConfigurationError[]): Html => html`${errors.map((e, i) => html`${i > 0 ? html`<br>` : ''}${bound(e.message, CONFIG_FORM_LIMITS.descriptionChars)}`)}`;

function errorBlock(id: string, errors: readonly ConfigurationError[]): Html | string {
  return errors.length === 0 ? '' : html`<p class="field-error" id="${id}-error">${errorLines(errors)}</p>\n`;
}

const requiredMark = (site: Site): Html | string => (site.required && site.pointer !== '' ? html` <span class="field-required">required</span>` : '');

function errorSummary(context: RenderContext, total: number): Html | string {
  if (context.errors.length === 0) return '';
  const more = total - context.errors.length;
  return html`<div class="notice bad" role="alert" id="config-form-summary"><p><strong>${total === 1 ? 'One problem' : `${total} problems`} with this configuration:</strong></p>
<ul>${context.errors.map((e) => html`<li><a href="#${context.placedAt.get(e) ?? CONFIG_FORM_ID}"><code>${bound(e.pointer || '/', CONFIG_FORM_LIMITS.hintChars)}</code></a> ${bound(e.message, CONFIG_FORM_LIMITS.descriptionChars)}</li>`)}${more > 0 ? html`<li>…and ${more} more.</li>` : ''}</ul></div>`;
}

function exampleChoice(examples: readonly string[], selected: string | null): Html | string {
  if (examples.length === 0) return '';
  return html`<p class="config-examples">Start from an example: ${examples.map(
    (name, i) => html`${i > 0 ? ' · ' : ''}<a href="?example=${encodeURIComponent(name)}#${CONFIG_FORM_ID}"${name === selected ? html` aria-current="true"` : ''}>${bound(name, CONFIG_FORM_LIMITS.titleChars)}</a>`,
  )}</p>`;
}

function numberAttributes(schema: SchemaObject, integer: boolean): Html {
  const min = typeof schema.minimum === 'number' ? schema.minimum : null;
  const max = typeof schema.maximum === 'number' ? schema.maximum : null;
  const step = typeof schema.multipleOf === 'number' && schema.multipleOf > 0 ? String(schema.multipleOf) : integer ? '1' : 'any';
  return html`${min !== null ? html` min="${min}"` : ''}${max !== null ? html` max="${max}"` : ''} step="${step}"`;
}

function scalarHints(schema: SchemaObject, shape: Shape): string[] {
  const hints: string[] = [];
  const number = (k: string): number | null => (typeof schema[k] === 'number' ? (schema[k] as number) : null);
  if (shape.kind === 'text') {
    if (typeof schema.format === 'string') hints.push(`Format: ${bound(schema.format, 40)}`);
    if (typeof schema.pattern === 'string') hints.push(`Pattern: ${bound(schema.pattern, CONFIG_FORM_LIMITS.hintChars)}`);
    const min = number('minLength');
    const max = number('maxLength');
    if (min !== null && max !== null) hints.push(`${min} to ${max} characters`);
    else if (min !== null) hints.push(`At least ${min} character${min === 1 ? '' : 's'}`);
    else if (max !== null) hints.push(`At most ${max} characters`);
  }
  if (shape.kind === 'number') {
    if (shape.integer) hints.push('A whole number');
    const low = number('minimum') !== null ? `at least ${number('minimum')}` : number('exclusiveMinimum') !== null ? `more than ${number('exclusiveMinimum')}` : null;
    const high = number('maximum') !== null ? `at most ${number('maximum')}` : number('exclusiveMaximum') !== null ? `less than ${number('exclusiveMaximum')}` : null;
    const range = [low, high].filter((x) => x !== null).join(' and ');
    if (range) hints.push(range[0]!.toUpperCase() + range.slice(1));
    if (number('multipleOf') !== null) hints.push(`A multiple of ${number('multipleOf')}`);
  }
  return hints;
}

function arrayHints(schema: SchemaObject): string[] {
  const min = typeof schema.minItems === 'number' ? schema.minItems : null;
  const max = typeof schema.maxItems === 'number' ? schema.maxItems : null;
  const hints: string[] = [];
  if (min !== null && max !== null) hints.push(`${min} to ${max} items`);
  else if (min !== null) hints.push(`At least ${min} item${min === 1 ? '' : 's'}`);
  else if (max !== null) hints.push(`At most ${max} items`);
  if (schema.uniqueItems === true) hints.push('No duplicates');
  return hints;
}

const titleOf = (schema: SchemaObject): string | null => (typeof schema.title === 'string' && schema.title.trim() !== '' ? bound(schema.title.trim(), CONFIG_FORM_LIMITS.titleChars) : null);
const descriptionOf = (schema: SchemaObject): string | null =>
  typeof schema.description === 'string' && schema.description.trim() !== '' ? bound(schema.description.trim(), CONFIG_FORM_LIMITS.descriptionChars) : null;

function defaultText(schema: SchemaObject): string | null {
  if (!Object.hasOwn(schema, 'default')) return null;
  const value = schema.default;
  // Bounded before it is stringified whole: a default can be as large as the schema.
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text === undefined ? null : bound(text, CONFIG_FORM_LIMITS.hintChars);
}

/** At most `max` characters (never half a surrogate pair), with an ellipsis when cut. */
function bound(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

// ---------------------------------------------------------------------------
// Reading a submitted form back.

interface ReadContext {
  root: SchemaObject;
  fields: Readonly<Record<string, string | string[]>>;
  /** Each pointer's child tokens, in the order the fields came (the form's order, which is the schema's). */
  children: ReadonlyMap<string, ReadonlySet<string>>;
  problems: ConfigurationError[];
}

interface Read {
  value: unknown;
  /** Whether anything under it was filled in. */
  given: boolean;
}

const NOTHING: Read = { value: undefined, given: false };
const MAX_NAME_TOKENS = 2 * CONFIG_FORM_LIMITS.depth + 4;

function fieldIndex(fields: Readonly<Record<string, string | string[]>>): Map<string, Set<string>> {
  const children = new Map<string, Set<string>>();
  for (const raw of Object.keys(fields)) {
    const name = raw.endsWith('#json') ? raw.slice(0, -'#json'.length) : raw;
    if (!name.startsWith('/')) continue;
    const tokens = name.slice(1).split('/');
    if (tokens.length > MAX_NAME_TOKENS) continue;
    let parent = '';
    for (const token of tokens) {
      let set = children.get(parent);
      if (set === undefined) children.set(parent, (set = new Set()));
      set.add(token);
      parent = `${parent}/${token}`;
    }
  }
  return children;
}

function fieldValue(context: ReadContext, name: string): string | undefined {
  if (!Object.hasOwn(context.fields, name)) return undefined;
  const value = context.fields[name];
  const text = typeof value === 'string' ? value : value?.[0];
  // Browsers submit every line break as CRLF.
  return text?.replace(/\r\n?/g, '\n');
}

function readNode(context: ReadContext, raw: unknown, pointer: string, depth: number, required: boolean): Read {
  const json = fieldValue(context, `${pointer}#json`);
  if (json !== undefined) return readJson(context, pointer, json);
  const { shape } = resolve(context.root, raw, depth);
  switch (shape.kind) {
    case 'json':
      return NOTHING;
    case 'object':
      return readObject(context, shape, pointer, depth, required);
    case 'array':
      return readArray(context, shape, pointer, depth, required);
    default:
      return readScalar(context, shape, pointer);
  }
}

function readObject(context: ReadContext, shape: Extract<Shape, { kind: 'object' }>, pointer: string, depth: number, required: boolean): Read {
  const entries: [string, unknown][] = [];
  let given = false;
  for (const token of context.children.get(pointer) ?? []) {
    const key = unescapeToken(token);
    if (!shape.properties.has(key) || pointerToken(key) !== token) continue;
    const read = readNode(context, shape.properties.get(key), `${pointer}/${token}`, depth + 1, shape.required.has(key));
    given ||= read.given;
    if (read.value !== undefined) entries.push([key, read.value]);
  }
  if (!given && !required) return NOTHING;
  // fromEntries defines own properties: a "__proto__" key stays a key.
  return { value: Object.fromEntries(entries), given };
}

function readArray(context: ReadContext, shape: Extract<Shape, { kind: 'array' }>, pointer: string, depth: number, required: boolean): Read {
  const indices = [...(context.children.get(pointer) ?? [])]
    .filter((t) => /^(0|[1-9][0-9]{0,8})$/.test(t))
    .map(Number)
    .sort((a, b) => a - b);
  if (indices.length > CONFIG_FORM_LIMITS.items) {
    context.problems.push({ pointer, rule: 'maxItems', message: `${nameOf(pointer)} has more than ${CONFIG_FORM_LIMITS.items} items; the form takes at most that many.` });
  }
  // Blank slots (and items with every field blank) are left out, so later items move up.
  const items: unknown[] = [];
  for (const index of indices.slice(0, CONFIG_FORM_LIMITS.items)) {
    const read = readNode(context, shape.items, `${pointer}/${index}`, depth + 1, false);
    if (read.given) items.push(read.value);
  }
  if (items.length === 0 && !required) return NOTHING;
  return { value: items, given: items.length > 0 };
}

function readScalar(context: ReadContext, shape: Shape, pointer: string): Read {
  const text = fieldValue(context, pointer);
  if (text === undefined || text === '') return NOTHING;
  const refuse = (rule: string, message: string): Read => {
    context.problems.push({ pointer, rule, message });
    return { value: new SubmittedText(text), given: true };
  };
  switch (shape.kind) {
    case 'text':
      return { value: text, given: true };
    case 'number': {
      const trimmed = text.trim();
      if (trimmed === '') return NOTHING;
      const number = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(trimmed) ? Number(trimmed) : Number.NaN;
      if (!Number.isFinite(number)) return refuse('type', `${nameOf(pointer)} must be a number.`);
      if (shape.integer && !Number.isInteger(number)) return refuse('type', `${nameOf(pointer)} must be a whole number.`);
      return { value: number, given: true };
    }
    case 'boolean':
      if (text === 'true' || text === 'false') return { value: text === 'true', given: true };
      return refuse('type', `${nameOf(pointer)} must be true or false.`);
    case 'choice': {
      const option = shape.options.find((o) => optionValue(shape, o) === text);
      if (option === undefined) return refuse('enum', `${nameOf(pointer)} must be one of the listed values.`);
      return { value: option, given: true };
    }
    default:
      return NOTHING;
  }
}

function readJson(context: ReadContext, pointer: string, text: string): Read {
  if (text.trim() === '') return NOTHING;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? bound(error.message, CONFIG_FORM_LIMITS.hintChars) : 'it could not be read';
    context.problems.push({ pointer, rule: 'json', message: `${nameOf(pointer)} is not valid JSON: ${reason}` });
    return { value: new SubmittedText(text), given: true };
  }
  if (nesting(value) > CONFIG_FORM_LIMITS.jsonDepth) {
    context.problems.push({ pointer, rule: 'json', message: `${nameOf(pointer)} nests deeper than ${CONFIG_FORM_LIMITS.jsonDepth} levels.` });
    return { value: new SubmittedText(text), given: true };
  }
  return { value, given: true };
}

/** How deep arrays and objects nest in a parsed JSON value (walked without recursion, so any depth is safe). */
function nesting(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > CONFIG_FORM_LIMITS.jsonDepth) return deepest;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

const unescapeToken = (token: string): string => token.replace(/~1/g, '/').replace(/~0/g, '~');

/** How a problem's message names its place: "port", "item 2 of audiences", "the configuration". */
function nameOf(pointer: string): string {
  if (pointer === '') return 'The configuration';
  const tokens = pointer.slice(1).split('/').map(unescapeToken);
  const last = tokens.at(-1)!;
  const name = /^\d+$/.test(last) && tokens.length > 1 ? `Item ${Number(last) + 1} of ${tokens.at(-2)}` : last;
  return bound(name, CONFIG_FORM_LIMITS.titleChars);
}
