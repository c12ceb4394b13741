import { CredentialStore, configDirectory, resolveSession, type Session } from './credentials.js';
import { usageError } from './cli-error.js';
import { RegistryClient } from './registry-client.js';
import { Terminal } from './terminal.js';

/** The flags every command takes. */
export interface GlobalFlags {
  registry?: string;
  json: boolean;
  timeout: number;
  retries: number;
  caFile?: string;
}

export const USER_AGENT = `wpr/${process.env.npm_package_version ?? '0.1.0'} node/${process.versions.node}`;

/** What a command runs with: the terminal, the credentials, and clients for the chosen registry. */
export class Context {
  readonly terminal = new Terminal();
  readonly store: CredentialStore;
  private readonly clients: RegistryClient[] = [];

  constructor(readonly flags: GlobalFlags) {
    this.store = new CredentialStore(configDirectory(), (message) => this.terminal.warn(message));
  }

  session(): Promise<Session> {
    return resolveSession(this.store, this.flags.registry);
  }

  /** A client for the session's registry; `requireToken` refuses early, before any upload starts. */
  async client(options: { requireToken?: boolean; session?: Session } = {}): Promise<RegistryClient> {
    const session = options.session ?? (await this.session());
    if (options.requireToken && session.token === null) {
      throw usageError(`not logged in to ${session.registry}`, `run wpr login --registry ${session.registry}, or set WPR_TOKEN`);
    }
    const client = new RegistryClient({
      registry: session.registry,
      token: session.token,
      timeoutSeconds: this.flags.timeout,
      caFile: this.flags.caFile ?? process.env.WPR_CA_FILE ?? null,
      retries: this.flags.retries,
      userAgent: USER_AGENT,
    });
    this.clients.push(client);
    return client;
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
  }
}
