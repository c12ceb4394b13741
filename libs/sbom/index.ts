export * from './src/model.js';
export {
  parseDeclaredDependencies,
  parseDeclaredDependencyFiles,
  parsePurlList,
  dependencyFileProblem,
  describeDependencyFileError,
  SUPPORTED_DEPENDENCY_FILES,
  type DependencyFile,
} from './src/dependencies.js';
export { buildSbom, SbomInputError, PROPERTY_PREFIX, type SbomInput, type BuiltSbom } from './src/build-sbom.js';
export { assertValidSbom, validateSbomJson, validateSbomXml, SbomValidationError, SBOM_SPEC_VERSION, type SbomValidationReport } from './src/validate-sbom.js';
export { parseXml, checkXmlWellFormed, XmlSyntaxError, type XmlElement } from './src/xml.js';
export { SbomBuilder, sbomBuilder, type BuiltSbomText } from './src/sbom-builder.js';
