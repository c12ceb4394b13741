import { createHash } from 'node:crypto';
import { RE2JS } from 're2js';
import type { ConfigExample } from './contract.js';
import { dereference, isSchemaObject, pointerToken, resolveLocalRef, type SchemaObject } from './schema-refs.js';

/**
 * Upgrade notes: what changed in a plugin's configuration contract between two
 * versions, each change labelled by whether it refuses configurations that
 * the older version accepted. The two schemas are walked side by side through
 * `properties`, `items`/`prefixItems` and `additionalProperties`, following
 * local `$ref`s; keywords that combine subschemas (`oneOf`, `if`, …) are
 * compared as a whole. Both schemas are untrusted, so the walk is bounded.
 */

/** One version's side of the comparison: its schema (null when it has none) and its examples. */
export interface ContractSide {
  version: string;
  configSchema: SchemaObject | null;
  examples: ConfigExample[];
}

export type UpgradeChange =
  | 'schema_added'
  | 'schema_removed'
  | 'field_added'
  | 'field_removed'
  | 'required_added'
  | 'required_removed'
  | 'type_narrowed'
  | 'type_widened'
  | 'type_changed'
  | 'enum_narrowed'
  | 'enum_widened'
  | 'default_changed'
  | 'default_added'
  | 'default_removed'
  | 'constraint_tightened'
  | 'constraint_loosened'
  | 'additional_properties_closed'
  | 'additional_properties_opened'
  /** A keyword compared as a whole (allOf, anyOf, oneOf, not, if/then/else, patternProperties, …) appeared, changed or went away. */
  | 'rule_added'
  | 'rule_changed'
  | 'rule_removed'
  | 'example_added'
  | 'example_removed'
  /** The walk reached one of UPGRADE_NOTES_BOUNDS: what lies beyond is not compared. */
  | 'comparison_stopped';

export interface UpgradeNote {
  /** Where in a configuration the change applies: a JSON Pointer, `*` for any array item or map key, "" for the whole configuration. */
  pointer: string;
  change: UpgradeChange;
  /** True when configurations valid against the older schema may be refused by the newer one. */
  breaking: boolean;
  /** A sentence for the version page. */
  message: string;
}

export interface UpgradeNotes {
  from: string;
  to: string;
  /** True when any note is breaking. */
  breaking: boolean;
  /** False when the comparison stopped at a bound (its note says where). */
  complete: boolean;
  /** Breaking notes first, then by pointer. */
  notes: UpgradeNote[];
}

/**
 * How far one comparison goes: subschema pairs compared, how deep, the values
 * (enum values, required names, property names, types) looked at, and the
 * notes written. Each subschema pair does work proportional to its own values,
 * so together these bound the time any pair of schemas can take (tens of
 * milliseconds) and the length of the page that shows the notes.
 */
export const UPGRADE_NOTES_BOUNDS = { nodes: 5_000, depth: 32, values: 200_000, notes: 1_000 } as const;

export function upgradeNotes(from: ContractSide, to: ContractSide): UpgradeNotes {
  const notes: UpgradeNote[] = [];
  let complete = true;
  if (from.configSchema === null && to.configSchema !== null) {
    notes.push({
      pointer: '',
      change: 'schema_added',
      breaking: false,
      message: `Version ${to.version} is the first to describe its configuration with a schema: configurations are now checked; validate yours.`,
    });
  } else if (from.configSchema !== null && to.configSchema === null) {
    notes.push({
      pointer: '',
      change: 'schema_removed',
      breaking: false,
      message: `Version ${to.version} has no configuration schema: configurations are no longer checked by the registry.`,
    });
  } else if (from.configSchema !== null && to.configSchema !== null) {
    const comparison = new SchemaComparison(from.configSchema, to.configSchema);
    comparison.compare(from.configSchema, to.configSchema, []);
    notes.push(...comparison.notes);
    complete = !comparison.stopped;
  }
  notes.push(...exampleNotes(from.examples, to.examples));
  notes.sort((a, b) => Number(b.breaking) - Number(a.breaking) || (a.pointer < b.pointer ? -1 : a.pointer > b.pointer ? 1 : 0));
  return { from: from.version, to: to.version, breaking: notes.some((note) => note.breaking), complete, notes };
}

function exampleNotes(from: readonly ConfigExample[], to: readonly ConfigExample[]): UpgradeNote[] {
  const before = new Set(from.map((example) => example.name));
  const after = new Set(to.map((example) => example.name));
  return [
    ...[...before]
      .filter((name) => !after.has(name))
      .map((name): UpgradeNote => ({ pointer: '', change: 'example_removed', breaking: false, message: `The example \`${name}\` is no longer offered.` })),
    ...[...after]
      .filter((name) => !before.has(name))
      .map((name): UpgradeNote => ({ pointer: '', change: 'example_added', breaking: false, message: `The example \`${name}\` is new.` })),
  ];
}

/** A step from a schema into the part of a configuration a subschema describes. */
type Step = { key: string } | { index: number } | 'item' | 'entry';

/** What a subschema accepts, once `$ref`s are followed: `true`/absent accept anything, `false` nothing. */
type Resolved = { identity: object; schema: SchemaObject } | 'nothing';

const ANYTHING: SchemaObject = Object.freeze({});
/** Keywords beside a `$ref` that change nothing a configuration must meet: such a node is its target (so a root `{$ref, definitions}` meets itself again). */
const INERT_BESIDE_REF = new Set(['$ref', '$schema', '$id', '$comment', 'definitions', '$defs', 'title', 'description', 'examples']);
const MAX_REF_HOPS = 16;

/** Keywords compared as a whole: their meaning depends on too much to compare part by part. */
const RULE_KEYWORDS = [
  'allOf',
  'anyOf',
  'oneOf',
  'not',
  'if',
  'then',
  'else',
  'dependencies',
  'dependentRequired',
  'dependentSchemas',
  'patternProperties',
  'propertyNames',
  'contains',
  'minContains',
  'maxContains',
  'unevaluatedProperties',
  'unevaluatedItems',
] as const;

type LimitKind = 'lower' | 'upper' | 'multiple' | 'exact';
interface Limit {
  keyword: string;
  kind: LimitKind;
  /** What a value must do, completing "must now …". */
  requirement: (value: unknown) => string;
}

const LIMITS: readonly Limit[] = [
  { keyword: 'minimum', kind: 'lower', requirement: (v) => `be at least ${show(v)}` },
  { keyword: 'exclusiveMinimum', kind: 'lower', requirement: (v) => (v === true ? 'be greater than its minimum' : `be greater than ${show(v)}`) },
  { keyword: 'maximum', kind: 'upper', requirement: (v) => `be at most ${show(v)}` },
  { keyword: 'exclusiveMaximum', kind: 'upper', requirement: (v) => (v === true ? 'be less than its maximum' : `be less than ${show(v)}`) },
  { keyword: 'multipleOf', kind: 'multiple', requirement: (v) => `be a multiple of ${show(v)}` },
  { keyword: 'minLength', kind: 'lower', requirement: (v) => `be at least ${counted(v, 'character')} long` },
  { keyword: 'maxLength', kind: 'upper', requirement: (v) => `be at most ${counted(v, 'character')} long` },
  { keyword: 'pattern', kind: 'exact', requirement: (v) => `match the pattern ${show(v)}` },
  { keyword: 'format', kind: 'exact', requirement: (v) => `be a valid ${typeof v === 'string' ? v : show(v)}` },
  { keyword: 'const', kind: 'exact', requirement: (v) => `be exactly ${show(v)}` },
  { keyword: 'minItems', kind: 'lower', requirement: (v) => `hold at least ${counted(v, 'item')}` },
  { keyword: 'maxItems', kind: 'upper', requirement: (v) => `hold at most ${counted(v, 'item')}` },
  { keyword: 'uniqueItems', kind: 'exact', requirement: () => 'hold no item twice' },
  { keyword: 'minProperties', kind: 'lower', requirement: (v) => `have at least ${counted(v, 'field')}` },
  { keyword: 'maxProperties', kind: 'upper', requirement: (v) => `have at most ${counted(v, 'field')}` },
];

/** The two schemas walked side by side; notes are collected as found. */
class SchemaComparison {
  readonly notes: UpgradeNote[] = [];
  /** Set once a bound is reached; the note that says so is the last one added. */
  stopped = false;
  private nodes = 0;
  private values = 0;
  /** The pairs being compared on the way down: meeting one again is a recursive schema, already being reported. */
  private readonly ancestors: [object, object][] = [];

  constructor(
    private readonly fromRoot: SchemaObject,
    private readonly toRoot: SchemaObject,
  ) {}

  compare(fromSubschema: unknown, toSubschema: unknown, path: Step[]): void {
    if (this.stopped) return;
    if (++this.nodes > UPGRADE_NOTES_BOUNDS.nodes) return this.stop(path, `after comparing ${UPGRADE_NOTES_BOUNDS.nodes.toLocaleString('en')} subschemas`);
    if (this.ancestors.length >= UPGRADE_NOTES_BOUNDS.depth) return this.stop(path, `${UPGRADE_NOTES_BOUNDS.depth} levels deep`);
    const from = resolve(this.fromRoot, fromSubschema);
    const to = resolve(this.toRoot, toSubschema);
    if (from === 'nothing' || to === 'nothing') {
      if (from === 'nothing' && to !== 'nothing') this.note(path, 'type_widened', false, `${subject(path, true)} is now accepted (no value was before).`);
      if (to === 'nothing' && from !== 'nothing')
        this.note(path, 'type_narrowed', true, `${subject(path, true)} is no longer accepted: configurations that set it are refused.`);
      return;
    }
    if (this.ancestors.some(([f, t]) => f === from.identity && t === to.identity)) return;
    this.ancestors.push([from.identity, to.identity]);
    this.compareTypes(from.schema, to.schema, path);
    this.compareEnums(from.schema, to.schema, path);
    for (const limit of LIMITS) this.compareLimit(limit, from.schema, to.schema, path);
    this.compareDefaults(from.schema, to.schema, path);
    this.compareRules(from.schema, to.schema, path);
    this.compareObjects(from.schema, to.schema, path);
    this.compareArrays(from.schema, to.schema, path);
    this.ancestors.pop();
  }

  private compareTypes(from: SchemaObject, to: SchemaObject, path: Step[]): void {
    const fromTypes = typesOf(from);
    const toTypes = typesOf(to);
    if (!this.spend((fromTypes?.length ?? 0) + (toTypes?.length ?? 0), path)) return;
    const dropped = (fromTypes ?? ANY_TYPE).filter((type) => !accepts(toTypes, type));
    const added = (toTypes ?? ANY_TYPE).filter((type) => !accepts(fromTypes, type));
    if (dropped.length === 0 && added.length === 0) return;
    const was = fromTypes === null ? 'any type was accepted' : `it was ${typeList(fromTypes, null)}`;
    if (dropped.length === 0) {
      this.note(path, 'type_widened', false, `${subject(path, true)} now also accepts ${typeList(added, fromTypes)}.`);
    } else {
      const change = added.length === 0 ? 'type_narrowed' : 'type_changed';
      this.note(path, change, true, `${subject(path, true)} must now be ${typeList(toTypes ?? ANY_TYPE, null)} (${was}): configurations that give ${typeList(dropped, toTypes)} are refused.`);
    }
  }

  private compareEnums(from: SchemaObject, to: SchemaObject, path: Step[]): void {
    const fromValues = Array.isArray(from.enum) ? from.enum : null;
    const toValues = Array.isArray(to.enum) ? to.enum : null;
    if (fromValues === null && toValues === null) return;
    if (!this.spend((fromValues?.length ?? 0) + (toValues?.length ?? 0), path)) return;
    if (fromValues === null) {
      this.note(path, 'enum_narrowed', true, `${subject(path, true)} now accepts only ${valueList(toValues!)}: configurations with any other value are refused.`);
      return;
    }
    if (toValues === null) {
      this.note(path, 'enum_widened', false, `${subject(path, true)} is no longer limited to ${valueList(fromValues)}.`);
      return;
    }
    const before = new Set(fromValues.map(fingerprint));
    const after = new Set(toValues.map(fingerprint));
    const removed = fromValues.filter((value) => !after.has(fingerprint(value)));
    const added = toValues.filter((value) => !before.has(fingerprint(value)));
    if (removed.length > 0)
      this.note(path, 'enum_narrowed', true, `${subject(path, true)} no longer accepts ${valueList(removed)}: configurations that use ${removed.length === 1 ? 'it' : 'them'} are refused.`);
    if (added.length > 0) this.note(path, 'enum_widened', false, `${subject(path, true)} now also accepts ${valueList(added)}.`);
  }

  private compareLimit({ keyword, kind, requirement }: Limit, from: SchemaObject, to: SchemaObject, path: Step[]): void {
    const before = limitValue(from, keyword);
    const after = limitValue(to, keyword);
    if (before === undefined && after === undefined) return;
    if (before !== undefined && after !== undefined && sameJson(before, after)) return;
    const Subject = subject(path, true);
    if (after === undefined) {
      this.note(path, 'constraint_loosened', false, `${Subject} no longer has to ${requirement(before)}.`);
      return;
    }
    const was = before === undefined ? '' : ` (it had to ${requirement(before)})`;
    if (before !== undefined && isLoosened(kind, before, after)) {
      this.note(path, 'constraint_loosened', false, `${Subject} must now ${requirement(after)}${was}.`);
      return;
    }
    const consequence = kind === 'exact' && before !== undefined ? 'configurations that met the old rule may be refused' : 'configurations that break this are refused';
    this.note(path, 'constraint_tightened', true, `${Subject} must now ${requirement(after)}${was}: ${consequence}.`);
  }

  private compareDefaults(from: SchemaObject, to: SchemaObject, path: Step[]): void {
    const hadDefault = Object.hasOwn(from, 'default');
    const hasDefault = Object.hasOwn(to, 'default');
    const name = subject(path, false);
    if (hadDefault && hasDefault && !sameJson(from.default, to.default))
      this.note(path, 'default_changed', false, `The default of ${name} changed from ${show(from.default)} to ${show(to.default)}: configurations that leave it out behave differently.`);
    else if (!hadDefault && hasDefault)
      this.note(path, 'default_added', false, `${subject(path, true)} now defaults to ${show(to.default)}: configurations that leave it out may behave differently.`);
    else if (hadDefault && !hasDefault)
      this.note(path, 'default_removed', false, `${subject(path, true)} no longer has a default (it was ${show(from.default)}): configurations that leave it out may behave differently.`);
  }

  private compareRules(from: SchemaObject, to: SchemaObject, path: Step[]): void {
    for (const keyword of RULE_KEYWORDS) {
      const before = ruleValue(from, keyword);
      const after = ruleValue(to, keyword);
      if (before === undefined && after === undefined) continue;
      if (before === undefined)
        this.note(path, 'rule_added', true, `${subject(path, true)} has a new \`${keyword}\` rule: configurations may be refused; validate yours against the new schema.`);
      else if (after === undefined) this.note(path, 'rule_removed', false, `${subject(path, true)} no longer has its \`${keyword}\` rule.`);
      else if (!sameJson(before, after))
        this.note(path, 'rule_changed', true, `The \`${keyword}\` rule of ${subject(path, false)} changed: configurations may be refused; validate yours against the new schema.`);
    }
  }

  private compareObjects(from: SchemaObject, to: SchemaObject, path: Step[]): void {
    const fromFields = isSchemaObject(from.properties) ? from.properties : {};
    const toFields = isSchemaObject(to.properties) ? to.properties : {};
    const fromRequired = requiredOf(from);
    const toRequired = requiredOf(to);
    const fromNames = Object.keys(fromFields);
    const toNames = Object.keys(toFields);
    if (!this.spend(fromNames.length + toNames.length + fromRequired.size + toRequired.size, path)) return;
    const within = path.length === 0 ? '' : ` that set ${subject(path, false)}`;

    for (const name of toRequired) {
      if (fromRequired.has(name)) continue;
      const field = [...path, { key: name }];
      const isNew = !Object.hasOwn(fromFields, name) && Object.hasOwn(toFields, name);
      const defaultText = defaultOf(Object.hasOwn(toFields, name) ? resolve(this.toRoot, toFields[name]) : 'nothing');
      this.note(field, 'required_added', true, `${subject(field, true)} is ${isNew ? 'new and' : 'now'} required (${defaultText}): configurations${within} without it are refused.`);
    }
    for (const name of fromRequired) {
      if (toRequired.has(name) || (Object.hasOwn(fromFields, name) && !Object.hasOwn(toFields, name))) continue;
      const field = [...path, { key: name }];
      this.note(field, 'required_removed', false, `${subject(field, true)} is no longer required.`);
    }
    for (const name of fromNames) {
      if (Object.hasOwn(toFields, name)) continue;
      const field = [...path, { key: name }];
      const Subject = subject(field, true);
      if (refusesField(to, name))
        this.note(field, 'field_removed', true, `${Subject} was removed, and unknown fields are not accepted: configurations${within} that set it are refused.`);
      else if (isSchemaObject(to.additionalProperties))
        this.note(field, 'field_removed', false, `${Subject} was removed: the plugin no longer reads it, and it is now checked like any other extra field.`);
      else this.note(field, 'field_removed', false, `${Subject} was removed: the plugin no longer reads it, and configurations that set it are still accepted.`);
    }
    for (const name of toNames) {
      if (Object.hasOwn(fromFields, name) || toRequired.has(name)) continue;
      const field = [...path, { key: name }];
      this.note(field, 'field_added', false, `${subject(field, true)} is a new optional field (${defaultOf(resolve(this.toRoot, toFields[name]))}).`);
    }

    const wasClosed = isClosed(from);
    const isNowClosed = isClosed(to);
    if (!wasClosed && isNowClosed) {
      const allowed = toNames.length === 0 ? 'no field at all' : `only ${toNames.map((name) => `\`${name}\``).join(', ')}`;
      this.note(path, 'additional_properties_closed', true, `${subject(path, true)} now accepts ${allowed}: configurations${within} with other fields are refused.`);
    } else if (wasClosed && !isNowClosed) {
      this.note(path, 'additional_properties_opened', false, `${subject(path, true)} now accepts fields besides the ones it names.`);
    }

    for (const name of fromNames) if (Object.hasOwn(toFields, name)) this.compare(fromFields[name], toFields[name], [...path, { key: name }]);
    if (!wasClosed && !isNowClosed && (isSchemaObject(from.additionalProperties) || isSchemaObject(to.additionalProperties)))
      this.compare(from.additionalProperties, to.additionalProperties, [...path, 'entry']);
  }

  private compareArrays(from: SchemaObject, to: SchemaObject, path: Step[]): void {
    const fromTuple = tupleOf(from);
    const toTuple = tupleOf(to);
    const shared = Math.min(fromTuple.length, toTuple.length);
    if (!this.spend(shared, path)) return;
    for (let index = 0; index < shared; index++) this.compare(fromTuple[index], toTuple[index], [...path, { index }]);
    const fromRest = restOf(from);
    const toRest = restOf(to);
    if (fromRest !== undefined || toRest !== undefined) this.compare(fromRest, toRest, [...path, 'item']);
  }

  /** Counts the values a comparison looks at; past the bound the walk stops and this says false. */
  private spend(values: number, path: Step[]): boolean {
    this.values += values;
    if (this.values <= UPGRADE_NOTES_BOUNDS.values) return true;
    this.stop(path, `after looking at ${UPGRADE_NOTES_BOUNDS.values.toLocaleString('en')} values`);
    return false;
  }

  private stop(path: Step[], where: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.notes.push({
      pointer: pointerOf(path),
      change: 'comparison_stopped',
      breaking: false,
      message: `The comparison stopped at ${subject(path, false)} (${where}): changes from there on are not listed; validate your configuration against the new schema.`,
    });
  }

  private note(path: Step[], change: UpgradeChange, breaking: boolean, message: string): void {
    if (this.stopped) return;
    if (this.notes.length >= UPGRADE_NOTES_BOUNDS.notes) return this.stop(path, `after ${UPGRADE_NOTES_BOUNDS.notes.toLocaleString('en')} notes`);
    this.notes.push({ pointer: pointerOf(path), change, breaking, message });
  }
}

/** Follows `$ref`s; the identity is the schema object reached, so a recursive schema meets itself again. */
function resolve(root: SchemaObject, subschema: unknown): Resolved {
  if (subschema === false) return 'nothing';
  if (!isSchemaObject(subschema)) return { identity: ANYTHING, schema: ANYTHING };
  let node = subschema;
  for (let hop = 0; hop < MAX_REF_HOPS && typeof node.$ref === 'string' && Object.keys(node).every((key) => INERT_BESIDE_REF.has(key)); hop++) {
    const target = resolveLocalRef(root, node.$ref);
    if (target === null) break;
    node = target;
  }
  return { identity: node, schema: dereference(root, node, MAX_REF_HOPS) };
}

/** "default 60" or "no default", for a field's note. */
function defaultOf(field: Resolved): string {
  return field !== 'nothing' && Object.hasOwn(field.schema, 'default') ? `default ${show(field.schema.default)}` : 'no default';
}

const ANY_TYPE = ['null', 'boolean', 'object', 'array', 'number', 'string'];
const TYPE_NAMES: Record<string, string> = {
  null: 'null',
  boolean: 'a boolean',
  object: 'an object',
  array: 'an array',
  number: 'a number',
  integer: 'an integer',
  string: 'a string',
};

/** The JSON types a schema allows (OpenAPI `nullable` adds null), or null when it does not say. */
function typesOf(schema: SchemaObject): string[] | null {
  const declared = typeof schema.type === 'string' ? [schema.type] : Array.isArray(schema.type) ? schema.type.filter((t): t is string => typeof t === 'string') : null;
  if (declared === null) return null;
  return schema.nullable === true && !declared.includes('null') ? [...declared, 'null'] : declared;
}

function accepts(types: readonly string[] | null, type: string): boolean {
  return types === null || types.includes(type) || (type === 'integer' && types.includes('number'));
}

/** "an integer or a string"; a number next to integers (`others`) is "a fractional number". */
function typeList(types: readonly string[], others: readonly string[] | null): string {
  const fractional = others !== null && others.includes('integer');
  const names = types.map((type) => (type === 'number' && fractional ? 'a fractional number' : (TYPE_NAMES[type] ?? `a ${type}`)));
  return [...new Set(names)].join(' or ');
}

function limitValue(schema: SchemaObject, keyword: string): unknown {
  const value = schema[keyword];
  // `uniqueItems: false` and draft-04's `exclusiveMinimum: false` say nothing.
  return value === false && keyword !== 'const' ? undefined : value;
}

function isLoosened(kind: LimitKind, before: unknown, after: unknown): boolean {
  if (typeof before !== 'number' || typeof after !== 'number') return false;
  if (kind === 'lower') return after < before;
  if (kind === 'upper') return after > before;
  if (kind === 'multiple') return isMultiple(before, after);
  return false;
}

/** Every multiple of `of` is still a multiple of `step` exactly when `of` is one of `step`. */
function isMultiple(of: number, step: number): boolean {
  if (step === 0) return false;
  const ratio = of / step;
  return Math.abs(ratio - Math.round(ratio)) < 1e-9;
}

function ruleValue(schema: SchemaObject, keyword: string): unknown {
  // `unevaluatedProperties: false` closes an object: additional_properties_closed/opened report it.
  if (keyword === 'unevaluatedProperties' && typeof schema[keyword] === 'boolean') return undefined;
  return schema[keyword];
}

function requiredOf(schema: SchemaObject): Set<string> {
  return new Set(Array.isArray(schema.required) ? schema.required.filter((name): name is string => typeof name === 'string') : []);
}

function isClosed(schema: SchemaObject): boolean {
  return schema.additionalProperties === false || schema.unevaluatedProperties === false;
}

/** Whether a closed object refuses a field it does not name: unless one of its patternProperties admits it. */
function refusesField(schema: SchemaObject, name: string): boolean {
  if (!isClosed(schema)) return false;
  const patterns = isSchemaObject(schema.patternProperties) ? Object.keys(schema.patternProperties) : [];
  return !patterns.some((pattern) => matches(pattern, name));
}

const compiledPatterns = new Map<string, RE2JS | null>();
/** Patterns run with re2js (linear time); one it cannot compile is taken to match, so no field is called refused on a guess. */
function matches(pattern: string, text: string): boolean {
  let compiled = compiledPatterns.get(pattern);
  if (compiled === undefined) {
    try {
      compiled = RE2JS.compile(pattern);
    } catch {
      compiled = null;
    }
    if (compiledPatterns.size < 1_000) compiledPatterns.set(pattern, compiled);
  }
  return compiled === null || compiled.matcher(text).find();
}

function tupleOf(schema: SchemaObject): unknown[] {
  if (Array.isArray(schema.prefixItems)) return schema.prefixItems;
  return Array.isArray(schema.items) ? schema.items : [];
}

/** The schema of array items past the tuple: 2020-12 `items` after `prefixItems`, draft-07 `additionalItems` after an `items` array. */
function restOf(schema: SchemaObject): unknown {
  if (Array.isArray(schema.prefixItems)) return schema.items;
  return Array.isArray(schema.items) ? schema.additionalItems : schema.items;
}

const fingerprints = new WeakMap<object, string>();
let unserializable = 0;
/** Equal for equal JSON values, whatever the key order; computed once per object. */
function fingerprint(value: unknown): string {
  if (typeof value !== 'object' || value === null) return `${typeof value}:${String(JSON.stringify(value))}`;
  let known = fingerprints.get(value);
  if (known === undefined) {
    let canonical: string;
    try {
      canonical = JSON.stringify(value, (_key, inner: unknown) =>
        isSchemaObject(inner) ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : inner,
      );
    } catch {
      // Too deep to serialize: unlike anything else.
      canonical = `unserializable:${++unserializable}`;
    }
    known = `object:${createHash('sha256').update(canonical).digest('hex')}`;
    fingerprints.set(value, known);
  }
  return known;
}

function sameJson(a: unknown, b: unknown): boolean {
  return a === b || fingerprint(a) === fingerprint(b);
}

/** A value as JSON, shortened for a sentence. */
function show(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

function valueList(values: readonly unknown[]): string {
  const shown = values.slice(0, 8).map(show);
  if (values.length > 8) shown.push(`${values.length - 8} more`);
  return shown.length === 1 ? shown[0]! : `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}`;
}

function counted(value: unknown, noun: string): string {
  return `${show(value)} ${noun}${value === 1 ? '' : 's'}`;
}

function pointerOf(path: readonly Step[]): string {
  return path.map((step) => `/${typeof step === 'string' ? '*' : 'key' in step ? pointerToken(step.key) : step.index}`).join('');
}

/** `rules[].path`, `headers.*`, or "the configuration" for the root. */
function subject(path: readonly Step[], sentenceStart: boolean): string {
  if (path.length === 0) return sentenceStart ? 'The configuration' : 'the configuration';
  let label = '';
  for (const step of path) {
    if (step === 'item') label += '[]';
    else if (step === 'entry') label += label === '' ? '*' : '.*';
    else if ('index' in step) label += `[${step.index}]`;
    else label += label === '' ? step.key : `.${step.key}`;
  }
  return `\`${label}\``;
}
