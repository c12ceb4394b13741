/**
 * Local `$ref`s ("#", "#/definitions/x", "#/$defs/x"): the only kind a stored
 * schema may hold, since the registry never fetches anything. Readers that
 * walk a schema (the form, the upgrade notes) follow them through this.
 */
export type SchemaObject = Record<string, unknown>;

/** The subschema a local JSON Pointer reference names in `root`, or null when it names none. */
export function resolveLocalRef(root: SchemaObject, ref: string): SchemaObject | null {
  if (!ref.startsWith('#')) return null;
  let pointer: string;
  try {
    pointer = decodeURIComponent(ref.slice(1));
  } catch {
    return null;
  }
  if (pointer === '') return root;
  if (!pointer.startsWith('/')) return null;
  let node: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, token)) return null;
    node = (node as Record<string, unknown>)[token];
  }
  return isSchemaObject(node) ? node : null;
}

/**
 * `schema` with its `$ref` followed (repeatedly, up to `maxHops`, so a loop of
 * references ends). In draft-07 a `$ref` replaces its siblings; in 2020-12 they
 * apply together: siblings here are merged over the target, which is what a
 * reader that shows or compares fields needs.
 */
export function dereference(root: SchemaObject, schema: SchemaObject, maxHops = 16): SchemaObject {
  let current = schema;
  for (let hop = 0; hop < maxHops && typeof current.$ref === 'string'; hop++) {
    const target = resolveLocalRef(root, current.$ref);
    if (target === null) return current;
    const { $ref: _followed, ...siblings } = current;
    current = { ...target, ...siblings };
  }
  return current;
}

export function isSchemaObject(value: unknown): value is SchemaObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON Pointer token: "~" and "/" escaped (RFC 6901). */
export function pointerToken(key: string | number): string {
  return String(key).replace(/~/g, '~0').replace(/\//g, '~1');
}
