// The registry's vocabulary: names, versions, digests, categories, licenses, plugin metadata and the error every library throws.
export { type AuditActor, PIPELINE_ACTOR } from './src/actor.js';
export { CATEGORIES, CATEGORY_SLUGS } from './src/categories.js';
export { DIGEST_LENGTH, DIGEST_PATTERN, digestHex, digestProblem, formatDigest } from './src/digest.js';
export { jsonTextDepth } from './src/json-text.js';
export { licenseProblem } from './src/licenses.js';
export { blobLink, moduleLink, pluginLink, versionLink } from './src/links.js';
export { MAX_NAME_LENGTH, NAME_PATTERN, assertNames, nameProblem } from './src/names.js';
export { type PluginMetadata, parsePluginMetadata } from './src/plugin-metadata.js';
export { type FieldProblem, RegistryError, forbidden, invalidInput, notFound, unauthenticated } from './src/registry-error.js';
export { SEVERITY_FLOORS, SEVERITY_RATINGS, ratingOf, type SeverityRating } from './src/severity.js';
export { TEXT_RULE, describeForbiddenCharacter, forbiddenCharacter, textProblem } from './src/text.js';
export { TtlCache } from './src/ttl-cache.js';
export { MAX_VERSION_LENGTH, assertVersionPath, compareVersionsDescending, latestOf, versionProblem } from './src/versions.js';
