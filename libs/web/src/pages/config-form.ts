// TEMPORARY stub (lead), replaced by the form helper's version at merge.
import type { ConfigurationError, SchemaObject } from '../../../contract/index.js';
import { html, type Html } from '../html.js';
export interface ConfigFormInput { schema: SchemaObject; value: unknown; errors: readonly ConfigurationError[]; action: string; examples: readonly string[]; selectedExample: string | null }
export function configForm(input: ConfigFormInput): Html {
  return html`<form method="post" action="${input.action}"><textarea name="#json">${JSON.stringify(input.value)}</textarea><button>Check</button></form>`;
}
export function configurationFromForm(_schema: SchemaObject, fields: Readonly<Record<string, string | string[]>>): { value: unknown; problems: ConfigurationError[] } {
  return { value: JSON.parse(String(fields['#json'] ?? '{}')), problems: [] };
}
