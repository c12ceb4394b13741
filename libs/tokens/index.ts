// API tokens: issuing, listing and revoking them, and checking a bearer token's secret.
export { generateTokenSecret, hashTokenSecret, visiblePrefix } from './src/token-secret.js';
export { CurrentTokenController, TokensController } from './src/tokens.controller.js';
export { TokensRepository } from './src/tokens.repository.js';
export { TokensService } from './src/tokens.service.js';
export { SCOPED_TOKEN_TTL_SECONDS, type RepositoryAccess, type ScopedToken } from './src/scoped-token.js';
export type { CurrentTokenView } from './src/token.views.js';
