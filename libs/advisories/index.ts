// Security advisories on version ranges of a plugin: published by its publishers, scored by CVSS, served as OSV, matched to versions.
export { ADVISORY_ID_PATTERN, CREDIT_TYPES, REFERENCE_TYPES, parseAdvisoryContent, type AdvisoryContent } from './src/advisory.js';
export { AdvisoriesController } from './src/advisories.controller.js';
export { AdvisoriesRepository, type AdvisoryBrief, type AdvisoryRecord } from './src/advisories.repository.js';
export { AdvisoriesService } from './src/advisories.service.js';
export { AdvisoryBriefView, OsvRecordView } from './src/advisories.views.js';
export { AdvisoryVersionHook } from './src/advisory.version-hook.js';
export { describeRange, fixedVersionFor, isAffected, type AffectedRange } from './src/affected-ranges.js';
export { SEVERITY_RATINGS, parseSeverity, ratingOf, type Severity, type SeverityRating } from './src/cvss.js';
export { OSV_SCHEMA_VERSION, ecosystemOf, toOsv, type OsvRecord } from './src/osv.js';
