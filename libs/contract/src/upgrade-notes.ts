import { createHash } from 'node:crypto';
import type { ConfigExample } from './contract.js';
import { dereference, isSchemaObject, pointerToken, resolveLocalRef, type SchemaObject } from './schema-refs.js';

/**
 * Upgrade notes: what changed in a plugin's configuration contract between two
 * versions, each change labelled by whether configurations valid against the
 * older schema may be refused by the newer one. Shown on the version page and
 * served by the API; the messages are sentences for people.
 */

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
  /** A keyword compared as a whole (oneOf, anyOf, allOf, not, if/then/else, patternProperties, …) appeared, changed or went. */
  | 'rule_added'
  | 'rule_changed'
  | 'rule_removed'
  | 'example_added'
  | 'example_removed'
  /** Appended by the caller: an example of the older version that the newer schema refuses. */
  | 'example_broken'
  | 'comparison_truncated';

export interface UpgradeNote {
  /** Where in a configuration the change applies: a JSON Pointer, `*` for any array item or map key, "" for the whole. */
  pointer: string;
  change: UpgradeChange;
  /** Configurations valid before may be refused now. */
  breaking: boolean;
  message: string;
}

export interface UpgradeNotes {
  from: string;
  to: string;
  breaking: boolean;
  /** Breaking notes first, then by pointer. */
  notes: UpgradeNote[];
}

/**
 * Bounds on the parallel walk: `$ref` fan-out can make a 64 KiB schema describe
 * an exponential tree, and meet one large enum or list of fields at each of its
 * leaves, so the values looked at (enum values, fields, required names, types,
 * tuple items) are counted too. It runs on the event loop: these keep it to
 * tens of milliseconds.
 */
export const UPGRADE_NOTES_LIMITS = { subschemas: 5_000, depth: 32, values: 200_000 } as const;

export function upgradeNotes(from: ContractSide, to: ContractSide): UpgradeNotes {
  const notes: UpgradeNote[] = [];
  if (from.configSchema === null && to.configSchema !== null) {
    notes.push({
      pointer: '',
      change: 'schema_added',
      breaking: false,
      message: `Version ${to.version} has a configuration schema: configurations are now checked against it, and ones that break it are refused.`,
    });
  } else if (from.configSchema !== null && to.configSchema === null) {
    notes.push({
      pointer: '',
      change: 'schema_removed',
      breaking: false,
      message: `Version ${to.version} has no configuration schema: nothing is checked any more.`,
    });
  } else if (from.configSchema !== null && to.configSchema !== null) {
    new SchemaComparison(from.configSchema, to.configSchema, notes).run();
  }
  notes.push(...exampleNotes(from.examples, to.examples));
  notes.sort(byBreakingThenPointer);
  return { from: from.version, to: to.version, breaking: notes.some((note) => note.breaking), notes };
}

function exampleNotes(before: ConfigExample[], after: ConfigExample[]): UpgradeNote[] {
  const beforeNames = new Set(before.map((example) => example.name));
  const afterNames = new Set(after.map((example) => example.name));
  return [
    ...[...beforeNames]
      .filter((name) => !afterNames.has(name))
      .map((name): UpgradeNote => ({ pointer: '', change: 'example_removed', breaking: false, message: `The example \`${name}\` was removed.` })),
    ...[...afterNames]
      .filter((name) => !beforeNames.has(name))
      .map((name): UpgradeNote => ({ pointer: '', change: 'example_added', breaking: false, message: `New example \`${name}\`.` })),
  ];
}

function byBreakingThenPointer(a: UpgradeNote, b: UpgradeNote): number {
  if (a.breaking !== b.breaking) return a.breaking ? -1 : 1;
  // Equal pointers keep the order they were found in (the sort is stable).
  return a.pointer < b.pointer ? -1 : a.pointer > b.pointer ? 1 : 0;
}

// Boolean subschemas: `true` accepts anything, `false` nothing (no type is left).
const ANY_SCHEMA: SchemaObject = Object.freeze({}) as SchemaObject;
const NO_SCHEMA: SchemaObject = Object.freeze({ type: [] }) as SchemaObject;

function asSchema(value: unknown): SchemaObject {
  if (value === false) return NO_SCHEMA;
  return isSchemaObject(value) ? value : ANY_SCHEMA;
}

/** Walks both schemas in parallel, from the configuration's root, and writes a note per difference. */
class SchemaComparison {
  private subschemas = 0;
  private values = 0;
  private truncated = false;
  /** Pairs being compared on the current path: a recursive schema (a tree) ends where it repeats. */
  private readonly onPath = new Set<string>();
  private readonly ids = new WeakMap<object, number>();
  private nextId = 1;

  constructor(
    private readonly fromRoot: SchemaObject,
    private readonly toRoot: SchemaObject,
    private readonly notes: UpgradeNote[],
  ) {}

  run(): void {
    this.compare(this.fromRoot, this.toRoot, '', 0);
  }

  private compare(fromRaw: SchemaObject, toRaw: SchemaObject, pointer: string, depth: number): void {
    if (this.truncated) return;
    if (depth > UPGRADE_NOTES_LIMITS.depth || ++this.subschemas > UPGRADE_NOTES_LIMITS.subschemas) return this.truncate(pointer);
    // A pair already on the path: the notes for it are given where it was first met.
    const pair = `${this.id(referredTo(this.fromRoot, fromRaw))}:${this.id(referredTo(this.toRoot, toRaw))}`;
    if (this.onPath.has(pair)) return;
    this.onPath.add(pair);
    const before = dereference(this.fromRoot, fromRaw);
    const after = dereference(this.toRoot, toRaw);
    this.compareTypes(before, after, pointer);
    this.compareEnums(before, after, pointer);
    this.compareConstraints(before, after, pointer);
    this.compareDefaults(before, after, pointer);
    this.compareRules(before, after, pointer);
    this.compareObjects(before, after, pointer, depth);
    this.compareArrays(before, after, pointer, depth);
    this.onPath.delete(pair);
  }

  private compareTypes(before: SchemaObject, after: SchemaObject, pointer: string): void {
    const beforeTypes = acceptedTypes(before);
    const afterTypes = acceptedTypes(after);
    if (!this.spend((beforeTypes?.size ?? 0) + (afterTypes?.size ?? 0), pointer)) return;
    const lost = typesNotCovered(beforeTypes, afterTypes);
    const gained = typesNotCovered(afterTypes, beforeTypes);
    if (lost && gained) {
      this.note(pointer, 'type_changed', true, `${atStart(pointer)} changed from ${typeList(beforeTypes)} to ${typeList(afterTypes)}: configurations with ${lost} there are refused.`);
    } else if (lost) {
      this.note(pointer, 'type_narrowed', true, `${atStart(pointer)} now accepts only ${typeList(afterTypes)} (was ${typeList(beforeTypes)}): configurations with ${lost} there are refused.`);
    } else if (gained) {
      this.note(pointer, 'type_widened', false, `${atStart(pointer)} now also accepts ${gained} (was ${typeList(beforeTypes)}).`);
    }
  }

  private compareEnums(before: SchemaObject, after: SchemaObject, pointer: string): void {
    const beforeValues = Array.isArray(before.enum) ? before.enum : null;
    const afterValues = Array.isArray(after.enum) ? after.enum : null;
    if (!this.spend((beforeValues?.length ?? 0) + (afterValues?.length ?? 0), pointer)) return;
    if (afterValues === null) {
      if (beforeValues !== null) this.note(pointer, 'enum_widened', false, `${atStart(pointer)} is no longer limited to ${valueList(beforeValues)}.`);
      return;
    }
    if (beforeValues === null) {
      this.note(pointer, 'enum_narrowed', true, `${atStart(pointer)} is now limited to ${valueList(afterValues)}: configurations with any other value are refused.`);
      return;
    }
    const beforeKeys = valueKeys(beforeValues);
    const afterKeys = valueKeys(afterValues);
    const beforeSet = new Set(beforeKeys);
    const afterSet = new Set(afterKeys);
    const removed = beforeValues.filter((_value, i) => !afterSet.has(beforeKeys[i]!));
    const added = afterValues.filter((_value, i) => !beforeSet.has(afterKeys[i]!));
    if (removed.length > 0) {
      this.note(pointer, 'enum_narrowed', true, `${atStart(pointer)} no longer accepts ${valueList(removed)}: configurations using ${removed.length === 1 ? 'it' : 'them'} are refused.`);
    }
    if (added.length > 0) {
      this.note(pointer, 'enum_widened', false, `${atStart(pointer)} now also accepts ${valueList(added)}.`);
    }
  }

  private compareConstraints(before: SchemaObject, after: SchemaObject, pointer: string): void {
    for (const [keyword, bound] of Object.entries(BOUNDS)) {
      const was = before[keyword];
      const now = after[keyword];
      if (valueKey(was) === valueKey(now)) continue;
      if (now === undefined) {
        this.note(pointer, 'constraint_loosened', false, `${atStart(pointer)}: ${keyword} ${display(was)} no longer applies.`);
      } else if (was === undefined || typeof was !== 'number' || typeof now !== 'number' || (bound.lower ? now > was : now < was)) {
        const refused = typeof now === 'number' ? `configurations with ${bound.refused(now)} are refused` : 'configurations valid before may be refused';
        this.note(pointer, 'constraint_tightened', true, `${atStart(pointer)}: ${keyword} is now ${display(now)}${was === undefined ? '' : ` (was ${display(was)})`}: ${refused}.`);
      } else {
        this.note(pointer, 'constraint_loosened', false, `${atStart(pointer)}: ${keyword} is now ${display(now)} (was ${display(was)}).`);
      }
    }
    this.compareMultipleOf(before.multipleOf, after.multipleOf, pointer);
    this.compareExact(before, after, pointer, 'const', (now) => `must now be ${display(now)}`);
    this.compareExact(before, after, pointer, 'pattern', (now) => `must now match the pattern ${display(now)}`);
    if (before.uniqueItems !== true && after.uniqueItems === true) {
      this.note(pointer, 'constraint_tightened', true, `${atStart(pointer)} must now hold unique items: configurations with repeated items are refused.`);
    } else if (before.uniqueItems === true && after.uniqueItems !== true) {
      this.note(pointer, 'constraint_loosened', false, `${atStart(pointer)} may now hold repeated items.`);
    }
  }

  private compareMultipleOf(was: unknown, now: unknown, pointer: string): void {
    if (valueKey(was) === valueKey(now)) return;
    if (now === undefined) {
      this.note(pointer, 'constraint_loosened', false, `${atStart(pointer)}: multipleOf ${display(was)} no longer applies.`);
    } else if (typeof was === 'number' && typeof now === 'number' && isWholeMultiple(was, now)) {
      // Every multiple of the old step is a multiple of the new one.
      this.note(pointer, 'constraint_loosened', false, `${atStart(pointer)}: multipleOf is now ${now} (was ${was}).`);
    } else {
      this.note(pointer, 'constraint_tightened', true, `${atStart(pointer)}: multipleOf is now ${display(now)}${was === undefined ? '' : ` (was ${display(was)})`}: configurations with a value that is not a multiple of it are refused.`);
    }
  }

  /** `const` and `pattern`: any change may refuse values accepted before (whether a new pattern accepts all the old one did can't be known). */
  private compareExact(before: SchemaObject, after: SchemaObject, pointer: string, keyword: 'const' | 'pattern', rule: (now: unknown) => string): void {
    const was = before[keyword];
    const now = after[keyword];
    if (valueKey(was) === valueKey(now)) return;
    if (now === undefined) {
      this.note(pointer, 'constraint_loosened', false, `${atStart(pointer)}: ${keyword} ${display(was)} no longer applies.`);
    } else {
      this.note(pointer, 'constraint_tightened', true, `${atStart(pointer)} ${rule(now)}${was === undefined ? '' : ` (was ${display(was)})`}: configurations with other values may be refused.`);
    }
  }

  private compareDefaults(before: SchemaObject, after: SchemaObject, pointer: string): void {
    const was = before.default;
    const now = after.default;
    if (valueKey(was) === valueKey(now)) return;
    if (was === undefined) {
      this.note(pointer, 'default_added', false, `${atStart(pointer)} now defaults to ${display(now)}: configurations that leave it out may behave differently.`);
    } else if (now === undefined) {
      this.note(pointer, 'default_removed', false, `${atStart(pointer)} no longer defaults to ${display(was)}: configurations that leave it out may behave differently.`);
    } else {
      this.note(pointer, 'default_changed', false, `${atStart(pointer)} now defaults to ${display(now)} (was ${display(was)}): configurations that leave it out behave differently.`);
    }
  }

  private compareObjects(before: SchemaObject, after: SchemaObject, pointer: string, depth: number): void {
    const beforeFields = isSchemaObject(before.properties) ? before.properties : {};
    const afterFields = isSchemaObject(after.properties) ? after.properties : {};
    const beforeRequired = requiredFields(before);
    const afterRequired = requiredFields(after);
    const beforeOthers = before.additionalProperties;
    const afterOthers = after.additionalProperties;
    const fieldCount = Object.keys(beforeFields).length + Object.keys(afterFields).length;
    if (!this.spend(fieldCount + beforeRequired.size + afterRequired.size, pointer)) return;

    for (const name of Object.keys(beforeFields).sort()) {
      const field = `${pointer}/${pointerToken(name)}`;
      if (Object.hasOwn(afterFields, name)) {
        this.compare(asSchema(beforeFields[name]), asSchema(afterFields[name]), field, depth + 1);
      } else if (afterOthers === false) {
        this.note(field, 'field_removed', true, `${atStart(field)} was removed and undeclared fields are refused: configurations that set it are refused.`);
      } else if (isSchemaObject(afterOthers)) {
        this.note(field, 'field_removed', false, `${atStart(field)} is no longer a declared field: a value there is checked like any other undeclared field.`);
        this.compare(asSchema(beforeFields[name]), afterOthers, field, depth + 1);
      } else {
        this.note(field, 'field_removed', false, `${atStart(field)} is no longer read: configurations that set it stay valid, but it has no effect.`);
      }
    }
    for (const name of Object.keys(afterFields).sort()) {
      if (Object.hasOwn(beforeFields, name)) continue;
      const field = `${pointer}/${pointerToken(name)}`;
      // A new required field is told by its required_added note.
      if (!(afterRequired.has(name) && !beforeRequired.has(name))) {
        this.note(field, 'field_added', false, `New optional field ${inSentence(field)}.`);
      }
      if (isSchemaObject(beforeOthers)) this.compare(beforeOthers, asSchema(afterFields[name]), field, depth + 1);
    }

    for (const name of [...afterRequired].sort()) {
      if (beforeRequired.has(name)) continue;
      const field = `${pointer}/${pointerToken(name)}`;
      const declared = Object.hasOwn(afterFields, name) ? dereference(this.toRoot, asSchema(afterFields[name])) : null;
      const isNew = !Object.hasOwn(beforeFields, name);
      // Validation does not fill in defaults, so a default does not stand in for a missing required field.
      const defaultNote = declared !== null && declared.default !== undefined ? `its default, ${display(declared.default)}, does not stand in for it` : 'no default';
      this.note(field, 'required_added', true, `${atStart(field)} is ${isNew ? 'new and' : 'now'} required (${defaultNote}): configurations without it are refused.`);
    }
    for (const name of [...beforeRequired].sort()) {
      if (afterRequired.has(name)) continue;
      // A removed field is told by its field_removed note.
      if (Object.hasOwn(beforeFields, name) && !Object.hasOwn(afterFields, name)) continue;
      const field = `${pointer}/${pointerToken(name)}`;
      this.note(field, 'required_removed', false, `${atStart(field)} is no longer required.`);
    }

    if (afterOthers === false && beforeOthers !== false) {
      this.note(pointer, 'additional_properties_closed', true, `${atStart(pointer)} now refuses fields it does not declare: configurations with other fields are refused.`);
    } else if (beforeOthers === false && afterOthers !== false) {
      this.note(pointer, 'additional_properties_opened', false, `${atStart(pointer)} now accepts fields it does not declare.`);
    } else if (isSchemaObject(beforeOthers) || isSchemaObject(afterOthers)) {
      this.compare(asSchema(beforeOthers), asSchema(afterOthers), `${pointer}/*`, depth + 1);
    }
  }

  private compareArrays(before: SchemaObject, after: SchemaObject, pointer: string, depth: number): void {
    const beforeTuple = tupleItems(before);
    const afterTuple = tupleItems(after);
    const beforeRest = restItems(before);
    const afterRest = restItems(after);
    if (!this.spend(beforeTuple.length + afterTuple.length, pointer)) return;
    for (let index = 0; index < Math.max(beforeTuple.length, afterTuple.length); index++) {
      this.compare(
        asSchema(index < beforeTuple.length ? beforeTuple[index] : beforeRest),
        asSchema(index < afterTuple.length ? afterTuple[index] : afterRest),
        `${pointer}/${index}`,
        depth + 1,
      );
    }
    if (beforeRest !== undefined || afterRest !== undefined) {
      this.compare(asSchema(beforeRest), asSchema(afterRest), `${pointer}/*`, depth + 1);
    }
  }

  /** Keywords whose meaning depends on too much to compare part by part: any change may refuse configurations. */
  private compareRules(before: SchemaObject, after: SchemaObject, pointer: string): void {
    for (const keyword of WHOLE_RULES) {
      const was = before[keyword];
      const now = after[keyword];
      if (valueKey(was) === valueKey(now)) continue;
      if (was === undefined) {
        this.note(pointer, 'rule_added', true, `${atStart(pointer)} has a new \`${keyword}\` rule: configurations valid before may be refused; check yours against the new schema.`);
      } else if (now === undefined) {
        this.note(pointer, 'rule_removed', false, `${atStart(pointer)} no longer has its \`${keyword}\` rule.`);
      } else {
        this.note(pointer, 'rule_changed', true, `The \`${keyword}\` rule of ${inSentence(pointer)} changed: configurations valid before may be refused; check yours against the new schema.`);
      }
    }
  }

  /** Counts values looked at; past UPGRADE_NOTES_LIMITS.values the comparison stops and this says false. */
  private spend(count: number, pointer: string): boolean {
    this.values += count;
    if (this.values <= UPGRADE_NOTES_LIMITS.values) return true;
    this.truncate(pointer);
    return false;
  }

  private truncate(pointer: string): void {
    if (this.truncated) return;
    this.truncated = true;
    this.note(
      pointer,
      'comparison_truncated',
      true,
      `The schemas are too large or too deeply nested to compare in full (the comparison stopped at ${where(pointer)}): changes beyond it are not listed, so check configurations against the new schema before upgrading.`,
    );
  }

  private note(pointer: string, change: UpgradeChange, breaking: boolean, message: string): void {
    this.notes.push({ pointer, change, breaking, message });
  }

  private id(schema: SchemaObject): number {
    let id = this.ids.get(schema);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(schema, id);
    }
    return id;
  }
}

/** Keywords beside a `$ref` that do not change what it accepts (a root schema's definitions among them). */
const REFERENCE_ANNOTATIONS = new Set(['$ref', '$schema', '$id', '$comment', '$defs', 'definitions', 'title', 'description', 'examples']);

/**
 * The subschema a bare `$ref` chain ends at, so that a recursive schema is
 * recognised on its first repetition; a `$ref` with siblings that add rules is
 * a subschema of its own.
 */
function referredTo(root: SchemaObject, schema: SchemaObject): SchemaObject {
  let current = schema;
  for (let hop = 0; hop < 16 && typeof current.$ref === 'string'; hop++) {
    if (Object.keys(current).some((keyword) => !REFERENCE_ANNOTATIONS.has(keyword))) break;
    const target = resolveLocalRef(root, current.$ref);
    if (target === null) break;
    current = target;
  }
  return current;
}

/** Bound keywords: whether a larger value is tighter, and which values the new bound refuses. */
const BOUNDS: Record<string, { lower: boolean; refused: (bound: number) => string }> = {
  minimum: { lower: true, refused: (n) => `a value below ${n}` },
  exclusiveMinimum: { lower: true, refused: (n) => `a value of ${n} or below` },
  maximum: { lower: false, refused: (n) => `a value above ${n}` },
  exclusiveMaximum: { lower: false, refused: (n) => `a value of ${n} or above` },
  minLength: { lower: true, refused: (n) => `a string shorter than ${count(n, 'character')}` },
  maxLength: { lower: false, refused: (n) => `a string longer than ${count(n, 'character')}` },
  minItems: { lower: true, refused: (n) => `fewer than ${count(n, 'item')}` },
  maxItems: { lower: false, refused: (n) => `more than ${count(n, 'item')}` },
  minProperties: { lower: true, refused: (n) => `fewer than ${count(n, 'field')}` },
  maxProperties: { lower: false, refused: (n) => `more than ${count(n, 'field')}` },
};

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function requiredFields(schema: SchemaObject): Set<string> {
  return new Set(Array.isArray(schema.required) ? schema.required.filter((name): name is string => typeof name === 'string') : []);
}

/** Positional items: 2020-12 `prefixItems`, or draft-07 `items` given as an array. */
function tupleItems(schema: SchemaObject): unknown[] {
  if (Array.isArray(schema.prefixItems)) return schema.prefixItems;
  return Array.isArray(schema.items) ? schema.items : [];
}

/** The schema of every item past the positional ones (draft-07 `additionalItems` beside an array `items`). */
function restItems(schema: SchemaObject): unknown {
  return Array.isArray(schema.items) ? schema.additionalItems : schema.items;
}

/** The JSON types a schema accepts; null when `type` leaves it open. OpenAPI's `nullable` (Higress) adds null. */
function acceptedTypes(schema: SchemaObject): Set<string> | null {
  const declared = typeof schema.type === 'string' ? [schema.type] : Array.isArray(schema.type) ? schema.type.filter((t): t is string => typeof t === 'string') : null;
  if (declared === null) return null;
  const types = new Set(declared);
  if (schema.nullable === true) types.add('null');
  return types;
}

/** What `before` accepts that `after` does not, in words; null when nothing. */
function typesNotCovered(before: Set<string> | null, after: Set<string> | null): string | null {
  if (after === null) return null;
  if (before === null) return `a value other than ${typeList(after)}`;
  const lost = [...before].filter((type) => !after.has(type) && !(type === 'integer' && after.has('number')));
  if (lost.length === 0) return null;
  return lost.map((type) => (type === 'number' && after.has('integer') ? 'a non-integer number' : withArticle(type))).join(' or ');
}

function typeList(types: Set<string> | null): string {
  if (types === null) return 'any type';
  if (types.size === 0) return 'nothing';
  return [...types].join(' or ');
}

function withArticle(type: string): string {
  if (type === 'null') return 'null';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

const LISTED_VALUES = 10;

function valueList(values: unknown[]): string {
  const shown = values.slice(0, LISTED_VALUES).map(display).join(', ');
  return values.length > LISTED_VALUES ? `${shown} and ${values.length - LISTED_VALUES} more` : shown;
}

const displayed = new WeakMap<object, string>();

/** A value as JSON, shortened for a sentence; computed once per object (a large default can be met at thousands of places). */
function display(value: unknown): string {
  const known = typeof value === 'object' && value !== null ? displayed.get(value) : undefined;
  if (known !== undefined) return known;
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = '(too deeply nested to show)';
  }
  const shown = text.length > 80 ? `${text.slice(0, 77)}…` : text;
  if (typeof value === 'object' && value !== null) displayed.set(value, shown);
  return shown;
}

const objectKeys = new WeakMap<object, string>();
let unserializable = 0;

/**
 * Equal for equal JSON values whatever their key order; undefined stays
 * distinct. An object's key is a digest of its canonical JSON, computed once
 * per object: a large default or `oneOf` met at thousands of places through
 * `$ref`s is serialized once, and compared in constant time.
 */
function valueKey(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  let key = objectKeys.get(value);
  if (key === undefined) {
    let canonical: string;
    try {
      canonical = JSON.stringify(value, (_key, inner: unknown) =>
        isSchemaObject(inner) ? Object.fromEntries(Object.keys(inner).sort().map((name) => [name, inner[name]])) : inner,
      );
    } catch {
      // Too deep to serialize: equal to nothing else.
      canonical = `unserializable ${++unserializable}`;
    }
    key = `sha256:${createHash('sha256').update(canonical).digest('hex')}`;
    objectKeys.set(value, key);
  }
  return key;
}

const enumKeys = new WeakMap<unknown[], string[]>();

/** The keys of an enum's values, computed once per enum. */
function valueKeys(values: unknown[]): string[] {
  let keys = enumKeys.get(values);
  if (keys === undefined) {
    keys = values.map(valueKey);
    enumKeys.set(values, keys);
  }
  return keys;
}

/** Keywords compared as a whole. */
const WHOLE_RULES = [
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

function isWholeMultiple(value: number, step: number): boolean {
  const quotient = value / step;
  return Number.isFinite(quotient) && Math.abs(quotient - Math.round(quotient)) < 1e-9;
}

/** How a message names a place in the middle of a sentence: its pointer without the leading slash, or "the configuration". */
function inSentence(pointer: string): string {
  return pointer === '' ? 'the configuration' : `\`${pointer.slice(1)}\``;
}

function atStart(pointer: string): string {
  return pointer === '' ? 'The configuration' : inSentence(pointer);
}

function where(pointer: string): string {
  return pointer === '' ? 'the root' : inSentence(pointer);
}
