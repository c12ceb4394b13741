// HTTP helpers every controller shares: problem+json answers, multipart and bounded bodies, module responses, rate limits, security headers.
export { afterCommit, answerAfterCommit } from './src/after-commit.js';
export { ApiProblems } from './src/api-problems.js';
export { RETRY_AFTER_SECONDS, describeDependencyError, unavailableDependency, type Dependency } from './src/dependency-errors.js';
export { lingerAfterAnswer } from './src/lingering-close.js';
export { matchesEtag, sendModule } from './src/module-response.js';
export { asMultipartError, multipartParts } from './src/multipart.js';
export { MAX_PATH_PARAMETER_LENGTH, describePathParameters } from './src/path-parameters.js';
export { PROBLEM_CONTENT_TYPE, type Problem, toProblem } from './src/problem.js';
export { RateLimited, type RateLimitName, registerRateLimit } from './src/rate-limit.js';
export { readLimited } from './src/read-limited.js';
export { observeRequests, requestIdOf, REQUEST_ID_HEADER } from './src/request-telemetry.js';
export { checkRequestInput, describeRequestInputRules } from './src/request-input.js';
export { applySecurityHeaders, BASELINE_SECURITY_HEADERS, SECURITY_HEADERS } from './src/security-headers.js';
