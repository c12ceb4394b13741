import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { usageError } from './cli-error.js';

/** The environment variables a CI job sets instead of running `wpr login`. */
export const ENV = { registry: 'WPR_REGISTRY', token: 'WPR_TOKEN', configDir: 'WPR_CONFIG_DIR' } as const;

interface CredentialsFile {
  /** The registry used when --registry and WPR_REGISTRY are absent: the last one logged in to. */
  current: string | null;
  tokens: Record<string, string>;
}

export interface Session {
  registry: string;
  token: string | null;
  /** Where the token came from, for `whoami`: never the token itself. */
  tokenSource: 'environment' | 'credentials file' | null;
}

/** $WPR_CONFIG_DIR, else $XDG_CONFIG_HOME/wpr, else ~/.config/wpr. */
export function configDirectory(env: NodeJS.ProcessEnv = process.env): string {
  if (env[ENV.configDir]) return env[ENV.configDir]!;
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, 'wpr');
}

/** A registry URL as it is stored and compared: http(s), no trailing slash, no query. */
export function normalizeRegistryUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usageError(`${JSON.stringify(raw)} is not a URL`, 'give the registry as http(s)://host[:port], e.g. --registry https://plugins.example.com');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usageError(`the registry URL must be http or https, not ${url.protocol.replace(':', '')}`, 'e.g. --registry https://plugins.example.com');
  }
  if (url.username || url.password) throw usageError('the registry URL must not carry a user or password', 'log in with a token: wpr login --registry URL');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** The token file: 0600 in a 0700 directory, written whole (a temporary file renamed over it). */
export class CredentialStore {
  readonly path: string;

  constructor(
    readonly directory: string = configDirectory(),
    private readonly warn: (message: string) => void = () => {},
  ) {
    this.path = join(directory, 'credentials.json');
  }

  async read(): Promise<CredentialsFile> {
    let text: string;
    try {
      const info = await stat(this.path);
      // Like ssh: a token others can read is a leaked token.
      if ((info.mode & 0o077) !== 0) {
        this.warn(`${this.path} can be read by other users (mode ${(info.mode & 0o777).toString(8)}); run: chmod 600 ${this.path}`);
      }
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { current: null, tokens: {} };
      throw usageError(`cannot read ${this.path}: ${(error as Error).message}`);
    }
    try {
      const parsed = JSON.parse(text) as Partial<CredentialsFile>;
      const tokens = typeof parsed.tokens === 'object' && parsed.tokens !== null ? parsed.tokens : {};
      return { current: typeof parsed.current === 'string' ? parsed.current : null, tokens: Object.fromEntries(Object.entries(tokens).filter(([, t]) => typeof t === 'string')) };
    } catch {
      throw usageError(`${this.path} is not valid JSON`, `delete it and run wpr login again`);
    }
  }

  async save(registry: string, token: string): Promise<void> {
    const file = await this.read();
    file.tokens[registry] = token;
    file.current = registry;
    await this.write(file);
  }

  /** Forgets the token of `registry`; true when there was one. */
  async remove(registry: string): Promise<boolean> {
    const file = await this.read();
    const had = Object.hasOwn(file.tokens, registry);
    delete file.tokens[registry];
    if (file.current === registry) file.current = Object.keys(file.tokens)[0] ?? null;
    await this.write(file);
    return had;
  }

  private async write(file: CredentialsFile): Promise<void> {
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    // writeFile's mode applies only to a new file, and the umask may narrow it further: say it once more.
    await chmod(temporary, 0o600);
    await rename(temporary, this.path);
  }
}

/**
 * Which registry and token a command uses: --registry, else WPR_REGISTRY, else
 * the last one logged in to; the token from WPR_TOKEN, else the credentials file.
 */
export async function resolveSession(store: CredentialStore, flag: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<Session> {
  const file = await store.read();
  const raw = flag ?? env[ENV.registry] ?? file.current;
  if (!raw) {
    throw usageError('no registry given', `pass --registry URL, set ${ENV.registry}, or run wpr login --registry URL once`);
  }
  const registry = normalizeRegistryUrl(raw);
  if (env[ENV.token]) return { registry, token: env[ENV.token]!.trim(), tokenSource: 'environment' };
  const token = file.tokens[registry] ?? null;
  return { registry, token, tokenSource: token === null ? null : 'credentials file' };
}
