import { invalidInput } from '../../domain/index.js';
import { parseBoundedDocument } from './bounded-document.js';
import { CONTRACT_LIMITS } from './contract-limits.js';

/**
 * A configuration as a proxy would receive it (JSON, or YAML as operators
 * write it), bounded in size and depth before anything walks it: 400 naming
 * `field` otherwise.
 */
export function parseConfigurationText(text: string, mediaType: 'json' | 'yaml', field: string): unknown {
  const bytes = Buffer.byteLength(text);
  if (bytes > CONTRACT_LIMITS.configurationBytes) {
    throw invalidInput([{ field, message: `must be at most ${CONTRACT_LIMITS.configurationBytes} bytes (got ${bytes})` }]);
  }
  return parseBoundedDocument(text, mediaType, field, CONTRACT_LIMITS.configurationDepth);
}
