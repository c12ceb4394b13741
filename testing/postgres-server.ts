import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, mkdirSync } from 'node:fs';
import { freePort } from './free-port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A throwaway PostgreSQL cluster; `url` points at its `postgres` database. */
export interface PostgresServer {
  url: string;
  port: number;
  /** The server's log (deleted with it). */
  logFile: string;
  /** Stops the server and deletes its files. Safe to call twice. */
  stop(): Promise<void>;
  /**
   * Stops the server but keeps its files, as an outage would: `fast` ends sessions with 57P01,
   * `immediate` drops them without a word (a crash).
   */
  shutDown(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again after shutDown, on the same data directory and port. */
  startUp(): Promise<void>;
}

export interface StartPostgresOptions {
  /** Directory holding initdb, pg_ctl and postgres; found automatically otherwise. */
  binDir?: string;
}

/**
 * Starts a PostgreSQL cluster from the Debian server binaries in a temporary
 * directory, on a free port, with trust authentication and durability off.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const binDir = options.binDir ?? process.env.PG_BINDIR ?? findBinDir();
  const asUser = process.getuid?.() === 0 ? unprivilegedUser() : null;

  // As root the server runs as another user, who must be able to reach the
  // directory: /tmp is world-traversable, a root-owned TMPDIR may not be.
  const root = mkdtempSync(join(asUser ? '/tmp' : tmpdir(), 'pg-test-'));
  const dataDir = join(root, 'data');
  const socketDir = join(root, 'sock');
  mkdirSync(socketDir);
  if (asUser) {
    for (const path of [root, socketDir]) chownSync(path, asUser.uid, asUser.gid);
  }

  const command = (tool: string, args: string[]): [string, string[]] =>
    asUser ? ['runuser', ['-u', asUser.name, '--', join(binDir, tool), ...args]] : [join(binDir, tool), args];
  const exec = async (tool: string, args: string[]): Promise<void> => {
    const [file, argv] = command(tool, args);
    try {
      await run(file, argv, { cwd: root, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } });
    } catch (error) {
      const e = error as { stderr?: string; stdout?: string; message: string };
      throw new Error(`${tool} failed: ${e.stderr || e.stdout || e.message}`);
    }
  };

  let stopped = false;
  const stopSync = (): void => {
    if (stopped) return;
    stopped = true;
    try {
      const [file, argv] = command('pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate', '-w']);
      if (existsSync(join(dataDir, 'postmaster.pid'))) execFileSync(file, argv, { stdio: 'ignore', cwd: root });
    } catch {
      // Best effort: the process is exiting anyway.
    }
    rmSync(root, { recursive: true, force: true });
  };
  // A crashed test run must not leave a postmaster behind.
  process.once('exit', stopSync);

  try {
    await exec('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']);
    let port = 0;
    const serverOptions = (): string =>
      [
        `-p ${port}`,
        `-k ${socketDir}`,
        '-c listen_addresses=127.0.0.1',
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
        '-c max_connections=100',
      ].join(' ');
    const startServer = (): Promise<void> => exec('pg_ctl', ['start', '-D', dataDir, '-w', '-t', '60', '-l', join(root, 'server.log'), '-o', serverOptions()]);
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        await startServer();
        break;
      } catch (error) {
        // Another process may have taken the port between probe and bind.
        if (attempt >= 3) throw error;
      }
    }
    return {
      url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
      port,
      logFile: join(root, 'server.log'),
      async shutDown(mode = 'fast') {
        await exec('pg_ctl', ['stop', '-D', dataDir, '-m', mode, '-w', '-t', '60']);
      },
      async startUp() {
        await startServer();
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        process.removeListener('exit', stopSync);
        try {
          if (existsSync(join(dataDir, 'postmaster.pid'))) await exec('pg_ctl', ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '60']);
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    process.removeListener('exit', stopSync);
    stopSync();
    throw error;
  }
}

function findBinDir(): string {
  const candidates: string[] = [];
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    // pg_config is in libpq-dev, which need not be installed.
  }
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(debianRoot, v, 'bin')));
  }
  const found = candidates.find((dir) => ['initdb', 'pg_ctl', 'postgres'].every((tool) => existsSync(join(dir, tool))));
  if (!found) {
    throw new Error(
      'PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in pg_config --bindir or /usr/lib/postgresql/*/bin. ' +
        "Install Debian's `postgresql` package (apt-get install postgresql) or set PG_BINDIR.",
    );
  }
  return found;
}

function unprivilegedUser(): { name: string; uid: number; gid: number } {
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      if (uid > 0) return { name, uid, gid };
    } catch {
      // No such user; try the next one.
    }
  }
  throw new Error('running as root, and neither a postgres nor a nobody user exists to run initdb as');
}

