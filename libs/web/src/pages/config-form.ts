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
 * The form carries `novalidate` and no field has the `required` attribute:
 * the registry judges the configuration against the whole schema and puts
 * every error beside its field at once, and a browser's check would block the
 * submit that asks for that (one bubble at a time), or wrongly demand a field
 * inside an optional object or a blank new item. The label says "required";
 * min, max and step stay on number inputs for their spin buttons.
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
 * A submitted field that could not be read as its schema type ("abc" for a
 * number, broken JSON). It is left out of the value; `submitted` keeps what
 * was typed, so a form rendered with this problem among its errors shows the
 * text again beside it.
 */
export interface FormProblem extends ConfigurationError {
  submitted?: string;
}

export interface ConfigFormInput {
  schema: SchemaObject;
  /** Pre-fill: an example's configuration, or what configurationFromForm read from a submit. */
  value: unknown;
  /**
   * Each is shown beside the field its pointer names, or on the nearest fieldset or JSON text area
   * that holds that place, or above the fields. A FormProblem's text is shown again in its field.
   */
  errors: readonly (ConfigurationError | FormProblem)[];
  /** Where the form posts (application/x-www-form-urlencoded). */
  action: string;
  /** Example names. */
  examples: readonly string[];
  selectedExample: string | null;
  /**
   * The version page: with it, each example is a link `<page>?example=<name>#configure` (no script
   * needed); without it only the chosen example is named (the page lists them).
   */
  page?: string;
}

/** The form's id: the example links come back to it. */
export const CONFIG_FORM_ID = 'config-form';
/** A field holding a subtree as JSON text is named by its pointer and this suffix. */
const JSON_SUFFIX = '#json';

export function configForm(input: ConfigFormInput): Html {
  const errors = input.errors.slice(0, CONFIG_FORM_LIMITS.errors);
  const submitted = new Map<string, FormProblem>();
  for (const e of errors) if (typeof (e as FormProblem).submitted === 'string') submitted.set(e.pointer, e as FormProblem);
  const context: RenderContext = { root: input.schema, errors, submitted, placed: new Set(), shapes: new ShapeCache(input.schema) };
  const root: Site = { pointer: '', depth: 0, label: titleOf(input.schema) ?? 'Configuration', required: true };
  const fields = renderNode(context, root, input.schema, input.value, CONFIG_FORM_LIMITS.fields, true);
  const unplaced = errors.filter((e) => !context.placed.has(e));
  return html`<form class="config-form" id="${CONFIG_FORM_ID}" method="post" action="${input.action}" novalidate>
${exampleChoice(input)}
${unplaced.length > 0 ? html`<ul class="field-errors" role="alert">${unplaced.map((e) => html`<li><code>${e.pointer || '(the whole configuration)'}</code>: ${bound(e.message, CONFIG_FORM_LIMITS.descriptionChars)}</li>`)}</ul>` : ''}
${fields.markup}
<p><button type="submit">Check and build configuration</button></p>
</form>`;
}

/**
 * The configuration a submitted form describes. Values are coerced by the
 * schema; a blank field is left out (an empty string cannot be entered except
 * in a JSON textarea); an object or array with nothing filled in is left out
 * unless it is required (then it is {} or [], so the validator names the
 * missing fields inside it). Problems are fields that could not be read as
 * their type; each is left out of the value and carries what was typed. With
 * problems, render the form again with them as its errors rather than check
 * the value (it lacks what was mistyped).
 */
export function configurationFromForm(schema: SchemaObject, fields: Readonly<Record<string, string | string[]>>): { value: unknown; problems: FormProblem[] } {
  const context: ReadContext = { fields, children: fieldIndex(fields), problems: [], shapes: new ShapeCache(schema) };
  const read = readNode(context, schema, '', 0, true);
  return { value: read.value ?? {}, problems: context.problems };
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

interface Resolved {
  schema: SchemaObject;
  shape: Shape;
}

/** Each subschema resolved once per depth: array items and `$ref`s are met again and again. */
class ShapeCache {
  private readonly known = new WeakMap<SchemaObject, Map<number, Resolved>>();
  constructor(readonly root: SchemaObject) {}

  resolve(raw: unknown, depth: number): Resolved {
    if (!isSchemaObject(raw)) return { schema: {}, shape: JSON_SHAPE };
    let byDepth = this.known.get(raw);
    if (byDepth === undefined) this.known.set(raw, (byDepth = new Map()));
    let resolved = byDepth.get(depth);
    if (resolved === undefined) {
      const schema = dereference(this.root, raw);
      byDepth.set(depth, (resolved = { schema, shape: shapeOf(this, schema, depth) }));
    }
    return resolved;
  }
}

function shapeOf(shapes: ShapeCache, schema: SchemaObject, depth: number): Shape {
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
      const item = shapes.resolve(schema.items, depth + 1).shape;
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
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An enum member as a select's option value: itself when every member is a non-empty string, else its JSON. */
const optionValue = (shape: Extract<Shape, { kind: 'choice' }>, option: Scalar): string => (shape.plain ? (option as string) : JSON.stringify(option));

/** Whether the field the shape gives can show `value` exactly; when it cannot, the place is a JSON textarea. */
function fits(shape: Shape, value: unknown): boolean {
  if (value === undefined) return true;
  switch (shape.kind) {
    case 'json':
      return true;
    case 'text':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
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
  /** Problems from configurationFromForm by pointer: what was typed there. */
  submitted: ReadonlyMap<string, FormProblem>;
  /** Errors already shown beside a field or on a fieldset. */
  placed: Set<ConfigurationError>;
  shapes: ShapeCache;
}

interface Site {
  pointer: string;
  /** Pointer tokens from the root. */
  depth: number;
  label: string;
  /** Required by its parent. */
  required: boolean;
  /** An array item: left out when blank, as the array's hint says. */
  item?: boolean;
}

interface Rendered {
  markup: Html;
  /** Form controls it holds. */
  fields: number;
}

/** Form controls `value` would take as fields, counted up to just past `limit`. */
function fieldCount(shapes: ShapeCache, raw: unknown, value: unknown, depth: number, limit: number): number {
  const { shape } = shapes.resolve(raw, depth);
  if (!fits(shape, value)) return 1;
  if (shape.kind === 'object') {
    let count = 0;
    for (const [key, child] of shape.properties) {
      count += fieldCount(shapes, child, valueAt(value, key), depth + 1, limit - count);
      if (count > limit) break;
    }
    return count;
  }
  if (shape.kind === 'array') {
    const items = Array.isArray(value) ? value : [];
    let count = 0;
    // Every existing item and one blank slot.
    for (let i = 0; i <= items.length && count <= limit; i++) count += fieldCount(shapes, shape.items, items[i], depth + 1, limit - count);
    return count;
  }
  return 1;
}

function renderNode(context: RenderContext, site: Site, raw: unknown, value: unknown, budget: number, isRoot = false): Rendered {
  const { schema, shape } = context.shapes.resolve(raw, site.depth);
  // JSON that did not parse is shown again as typed, whatever the place's shape.
  const unparsed = value === undefined && context.submitted.get(site.pointer)?.rule === 'json';
  if (unparsed || !fits(shape, value) || budget < 1) return jsonField(context, site, schema, value);
  switch (shape.kind) {
    case 'json':
      return jsonField(context, site, schema, value);
    case 'object':
      if (shape.properties.size > budget) return jsonField(context, site, schema, value);
      return renderObject(context, site, schema, shape, value, budget, isRoot);
    case 'array':
      if (fieldCount(context.shapes, raw, value, site.depth, budget) > budget) return jsonField(context, site, schema, value);
      return renderArray(context, site, schema, shape, value as unknown[] | undefined);
    default:
      return { markup: scalarField(context, site, schema, shape, value), fields: 1 };
  }
}

function renderObject(context: RenderContext, site: Site, schema: SchemaObject, shape: Extract<Shape, { kind: 'object' }>, value: unknown, budget: number, isRoot: boolean): Rendered {
  const id = fieldId(site.pointer);
  const children: Html[] = [];
  let used = 0;
  let left = shape.properties.size;
  for (const [key, child] of shape.properties) {
    left -= 1;
    const required = shape.required.has(key);
    const label = titleOf(context.shapes.resolve(child, site.depth + 1).schema) ?? bound(key, CONFIG_FORM_LIMITS.titleChars);
    const childSite: Site = { pointer: `${site.pointer}/${pointerToken(key)}`, depth: site.depth + 1, label, required };
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
  const id = fieldId(site.pointer);
  const items = value ?? [];
  const itemSchema = context.shapes.resolve(shape.items, site.depth + 1).schema;
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
  const errors = takeErrors(context, (p) => p === site.pointer || p.startsWith(`${site.pointer}/`));
  return html`<fieldset id="${id}"${describedBy(id, schema, hints, errors)}${errors.length > 0 ? html` aria-invalid="true"` : ''}>
<legend>${site.label}${requiredMark(site)}</legend>
${errorBlock(id, errors)}${help(id, schema, hints)}${children}
</fieldset>`;
}

function scalarField(context: RenderContext, site: Site, schema: SchemaObject, shape: Shape, value: unknown): Html {
  const id = fieldId(site.pointer);
  const errors = takeErrors(context, (p) => p === site.pointer);
  const hints = scalarHints(schema, shape);
  const aria = html`${describedBy(id, schema, hints, errors)}${errors.length > 0 ? html` aria-invalid="true"` : ''}`;
  const placeholder = Object.hasOwn(schema, 'default') && isScalar(schema.default) ? bound(String(schema.default), CONFIG_FORM_LIMITS.hintChars) : '';
  const typed = value === undefined ? context.submitted.get(site.pointer)?.submitted : undefined;
  let control: Html;
  if (shape.kind === 'text') {
    const text = typeof value === 'string' ? value : (typed ?? '');
    // An input drops line breaks; a textarea keeps them (the parser eats the line break after the tag, so a leading one survives).
    control =
      shape.long || /[\r\n]/.test(text)
        ? html`<textarea id="${id}" name="${site.pointer}" rows="${shape.long ? 6 : 3}" placeholder="${placeholder}"${aria}>\n${text}</textarea>`
        : html`<input id="${id}" name="${site.pointer}" type="text" value="${text}" placeholder="${placeholder}"${aria}>`;
  } else if (shape.kind === 'number') {
    // What was typed and is not a number is shown as typed, beside its error (a number input would blank it).
    control =
      typed !== undefined
        ? html`<input id="${id}" name="${site.pointer}" type="text" inputmode="decimal" value="${typed}" placeholder="${placeholder}"${aria}>`
        : html`<input id="${id}" name="${site.pointer}" type="number" value="${typeof value === 'number' ? String(value) : ''}" placeholder="${placeholder}"${numberAttributes(schema, shape.integer)}${aria}>`;
  } else {
    const choice = shape.kind === 'choice' ? shape : null;
    const options: [string, string][] =
      choice === null
        ? [
            ['true', 'true'],
            ['false', 'false'],
          ]
        : choice.options.map((o) => [optionValue(choice, o), bound(typeof o === 'string' ? o : JSON.stringify(o), CONFIG_FORM_LIMITS.hintChars)]);
    const selected = value === undefined ? null : choice === null ? String(value) : optionValue(choice, value as Scalar);
    const fallback = placeholder === '' ? '' : ` (default: ${placeholder})`;
    // Optional: "not set" stays choosable. Required: true/false (or the members) only, and before a choice a placeholder that submits nothing, so "required" is reported rather than a value assumed.
    const unset = site.required
      ? selected === null
        ? html`<option value="" disabled selected>Choose…${fallback}</option>`
        : ''
      : html`<option value=""${selected === null ? html` selected` : ''}>— not set${fallback} —</option>`;
    control = html`<select id="${id}" name="${site.pointer}"${aria}>${unset}${options.map(([v, label]) => html`<option value="${v}"${v === selected ? html` selected` : ''}>${label}</option>`)}</select>`;
  }
  return html`<div class="field">
<label for="${id}">${site.label}${requiredMark(site)}</label>
${errorBlock(id, errors)}${control}
${help(id, schema, hints)}</div>`;
}

function jsonField(context: RenderContext, site: Site, schema: SchemaObject, value: unknown): Rendered {
  const id = fieldId(site.pointer);
  const errors = takeErrors(context, (p) => site.pointer === '' || p === site.pointer || p.startsWith(`${site.pointer}/`));
  const hints = ['As JSON: this part is too varied, too deep or too large for separate fields.'];
  const text = value === undefined ? (context.submitted.get(site.pointer)?.submitted ?? '') : (JSON.stringify(value, null, 2) ?? '');
  return {
    markup: html`<div class="field">
<label for="${id}">${site.label}${requiredMark(site)} <span class="badge">JSON</span></label>
${errorBlock(id, errors)}<textarea id="${id}" name="${site.pointer}${JSON_SUFFIX}" class="json" rows="8" spellcheck="false"${describedBy(id, schema, hints, errors)}${errors.length > 0 ? html` aria-invalid="true"` : ''}>\n${text}</textarea>
${help(id, schema, hints)}</div>`,
    fields: 1,
  };
}

/**
 * An id from a pointer: letters and digits kept, "/" as "_", anything else as
 * ".<hex>.", so distinct pointers never share one and no id holds "--", which
 * the help and error ids use as their separator.
 */
export function fieldId(pointer: string): string {
  return `cfg${pointer.replace(/[^A-Za-z0-9]/g, (c) => (c === '/' ? '_' : `.${c.codePointAt(0)!.toString(16)}.`))}`;
}

function takeErrors(context: RenderContext, under: (pointer: string) => boolean): ConfigurationError[] {
  const taken = context.errors.filter((e) => !context.placed.has(e) && under(e.pointer));
  for (const e of taken) context.placed.add(e);
  return taken;
}

function describedBy(id: string, schema: SchemaObject, hints: readonly string[], errors: readonly ConfigurationError[]): Html | string {
  const ids = [hasHelp(schema, hints) ? `${id}--help` : null, errors.length > 0 ? `${id}--error` : null].filter((x) => x !== null);
  return ids.length === 0 ? '' : html` aria-describedby="${ids.join(' ')}"`;
}

const hasHelp = (schema: SchemaObject, hints: readonly string[]): boolean => descriptionOf(schema) !== null || hints.length > 0 || defaultText(schema) !== null;

/** The description, then the rules to know before typing and the default, in one paragraph the field is described by. */
function help(id: string, schema: SchemaObject, hints: readonly string[]): Html | string {
  if (!hasHelp(schema, hints)) return '';
  const description = descriptionOf(schema);
  const fallback = defaultText(schema);
  const rules = fallback === null ? hints : [...hints, `Default: ${fallback}`];
  return html`<p class="field-help" id="${id}--help">${description ?? ''}${description !== null && rules.length > 0 ? ' ' : ''}${rules.length > 0 ? html`<span class="field-hint">${rules.join(' · ')}</span>` : ''}</p>`;
}

function errorBlock(id: string, errors: readonly ConfigurationError[]): Html | string {
  if (errors.length === 0) return '';
  return html`<p class="field-error" id="${id}--error">${errors.map((e, i) => html`${i > 0 ? html`<br>` : ''}${bound(e.message, CONFIG_FORM_LIMITS.descriptionChars)}`)}</p>\n`;
}

const requiredMark = (site: Site): Html | string => (site.required && site.pointer !== '' ? html` <span class="field-required">required</span>` : '');

function exampleChoice(input: ConfigFormInput): Html | string {
  if (input.page !== undefined && input.examples.length > 0) {
    return html`<p class="config-examples">Start from an example: ${input.examples.map(
      (name, i) =>
        html`${i > 0 ? ' · ' : ''}<a href="${input.page}?example=${encodeURIComponent(name)}#${CONFIG_FORM_ID}"${name === input.selectedExample ? html` aria-current="true"` : ''}>${bound(name, CONFIG_FORM_LIMITS.titleChars)}</a>`,
    )}</p>`;
  }
  return input.selectedExample === null ? '' : html`<p class="small muted">Starting from the example <strong>${bound(input.selectedExample, CONFIG_FORM_LIMITS.titleChars)}</strong>.</p>`;
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
  fields: Readonly<Record<string, string | string[]>>;
  /** Each pointer's child tokens: only places that have fields are read, so a hostile schema costs what the form posted. */
  children: ReadonlyMap<string, ReadonlySet<string>>;
  problems: FormProblem[];
  shapes: ShapeCache;
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
    const name = raw.endsWith(JSON_SUFFIX) ? raw.slice(0, -JSON_SUFFIX.length) : raw;
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
  const json = fieldValue(context, `${pointer}${JSON_SUFFIX}`);
  if (json !== undefined) return readJson(context, pointer, json);
  const { shape } = context.shapes.resolve(raw, depth);
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
  const tokens = context.children.get(pointer);
  // In the schema's order, so keys and problems come in the order the form shows them.
  for (const [key, child] of tokens === undefined ? [] : shape.properties) {
    const token = pointerToken(key);
    if (!tokens!.has(token)) continue;
    const read = readNode(context, child, `${pointer}/${token}`, depth + 1, shape.required.has(key));
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
  // Blank slots, items with every field blank and items that could not be read are left out; later items move up.
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
    context.problems.push({ pointer, rule, message, submitted: text });
    return NOTHING;
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
    context.problems.push({ pointer, rule: 'json', message: `${nameOf(pointer)} is not valid JSON: ${reason}`, submitted: text });
    return NOTHING;
  }
  if (nesting(value) > CONFIG_FORM_LIMITS.jsonDepth) {
    context.problems.push({ pointer, rule: 'json', message: `${nameOf(pointer)} nests deeper than ${CONFIG_FORM_LIMITS.jsonDepth} levels.`, submitted: text });
    return NOTHING;
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
