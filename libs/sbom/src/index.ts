export * from './model.js';
export {
  parseDeclaredDependencies,
  parseDeclaredDependencyFiles,
  parsePurlList,
  dependencyFileProblem,
  describeDependencyFileError,
  SUPPORTED_DEPENDENCY_FILES,
  type DependencyFile,
} from './dependencies.js';
export { buildSbom, SbomInputError, PROPERTY_PREFIX, type SbomInput, type BuiltSbom } from './build-sbom.js';
export { assertValidSbom, validateSbomJson, validateSbomXml, SbomValidationError, SBOM_SPEC_VERSION, type SbomValidationReport } from './validate-sbom.js';
export { parseXml, checkXmlWellFormed, XmlSyntaxError, type XmlElement } from './xml.js';
export { SbomBuilder, sbomBuilder, readDeclaredDependencies, type BuiltSbomText } from './sbom-builder.js';
