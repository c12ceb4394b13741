import { text } from 'node:stream/consumers';
import { password } from '@inquirer/prompts';
import { usageError } from '../cli-error.js';
import type { Context } from '../context.js';
import { normalizeRegistryUrl } from '../credentials.js';
import type { CurrentTokenView } from '../views.js';

/**
 * Stores a token for a registry after checking it works. The token comes from
 * --token, else standard input when it is not a terminal (CI: `echo $T | wpr login`),
 * else a masked prompt.
 */
export async function login(context: Context, options: { token?: string }): Promise<void> {
  const { terminal } = context;
  if (!context.flags.registry && !process.env.WPR_REGISTRY) throw usageError('login needs the registry', 'wpr login --registry https://plugins.example.com');
  const registry = normalizeRegistryUrl(context.flags.registry ?? process.env.WPR_REGISTRY!);
  let token = options.token?.trim();
  if (!token && !process.stdin.isTTY) token = (await text(process.stdin)).trim();
  if (!token && terminal.interactive) token = (await password({ message: `Token for ${registry}:`, mask: '*' })).trim();
  if (!token) throw usageError('no token given', 'pass --token, pipe it on standard input, or run wpr login in a terminal');
  if (/\s/.test(token)) throw usageError('the token has spaces or line breaks in it', 'give the token alone, as the registry issued it (wpr_…)');

  // Checked before it is saved: a mistyped token fails here, not at the first publish.
  const client = await context.client({ session: { registry, token, tokenSource: null } });
  const current = await client.json<CurrentTokenView>('GET', '/api/v1/tokens/current');
  await context.store.save(registry, token);
  if (context.flags.json) return terminal.json({ registry, token: current, credentials: context.store.path });
  terminal.line(`Logged in to ${registry} as ${terminal.paint('bold', current.name)}.`);
  terminal.line(`May publish to: ${publishable(current)}`);
  terminal.line(terminal.paint('dim', `Token saved in ${context.store.path} (mode 0600).`));
}

export async function logout(context: Context): Promise<void> {
  const session = await context.session();
  const removed = await context.store.remove(session.registry);
  if (context.flags.json) return context.terminal.json({ registry: session.registry, removed });
  context.terminal.line(removed ? `Logged out of ${session.registry}.` : `No token was stored for ${session.registry}.`);
  if (process.env.WPR_TOKEN) context.terminal.warn('WPR_TOKEN is still set in the environment and is used by every command');
}

export async function whoami(context: Context): Promise<void> {
  const session = await context.session();
  const client = await context.client({ requireToken: true });
  const current = await client.json<CurrentTokenView>('GET', '/api/v1/tokens/current');
  if (context.flags.json) return context.terminal.json({ registry: session.registry, tokenSource: session.tokenSource, token: current });
  const { terminal } = context;
  terminal.line(`${terminal.paint('bold', current.name)} on ${session.registry} (token from the ${session.tokenSource})`);
  terminal.line(`May publish to: ${publishable(current)}`);
}

function publishable(token: CurrentTokenView): string {
  if (token.admin) return 'every namespace (admin)';
  return token.namespaces.length === 0 ? 'no namespace' : token.namespaces.join(', ');
}
