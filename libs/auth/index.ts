// Who is calling: the principal behind a bearer token and the guards that demand one (the tokens themselves live in libs/tokens).
export { AdminOnly, Authenticated, BearerAuthGuard, CurrentPrincipal, TokenAuthenticator } from './src/auth.guard.js';
export { type Principal, actorOf, mayPublishTo, requireAdmin } from './src/principal.js';
