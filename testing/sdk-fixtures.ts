import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';

/**
 * Real plugins built from source with real toolchains, for tests that must
 * not trust hand-written WAT to look like what SDKs produce:
 * - the AssemblyScript Proxy-Wasm SDK (@solo-io/proxy-runtime 0.1.8 with
 *   assemblyscript 0.14.13, both npm devDependencies): about 2.5 s a build;
 * - Debian's clang 14 + lld + wasi-libc (wasm32-wasi command and reactor):
 *   about 0.05 s a build, plus about 0.05 s for the toolchain check.
 *
 * Outputs are cached for one test run in a temp dir named after the parent
 * process (vitest's main process under the `forks` pool), so the test files
 * of a run build each fixture once and every run builds afresh: a broken
 * toolchain shows up in the next run. Run dirs older than a day are removed.
 */
export interface SdkFixture {
  name: string;
  bytes: Buffer<ArrayBuffer>;
  /** The cached .wasm file. */
  path: string;
  /** What built it, with versions. */
  toolchain: string;
  /** Time this call took to get the bytes: a build, or a cache read when `fromCache`. */
  elapsedMs: number;
  fromCache: boolean;
}

const require = createRequire(import.meta.url);
const CACHE_ROOT = join(tmpdir(), 'wasm-plugin-registry-sdk-fixtures');
const RUN_DIR = join(CACHE_ROOT, `run-${process.ppid}`);
const STALE_RUN_MS = 24 * 3600 * 1000;

let runDir: Promise<string> | null = null;

function cacheDir(): Promise<string> {
  runDir ??= (async () => {
    await mkdir(RUN_DIR, { recursive: true });
    for (const entry of await readdir(CACHE_ROOT)) {
      const dir = join(CACHE_ROOT, entry);
      const { mtimeMs } = await stat(dir).catch(() => ({ mtimeMs: Date.now() }));
      if (dir !== RUN_DIR && Date.now() - mtimeMs > STALE_RUN_MS) await rm(dir, { recursive: true, force: true });
    }
    return RUN_DIR;
  })();
  return runDir;
}

const memo = new Map<string, Promise<SdkFixture>>();

/** One build per name in this process. */
export function memoized(name: string, build: () => Promise<SdkFixture>): Promise<SdkFixture> {
  let fixture = memo.get(name);
  if (!fixture) {
    fixture = build();
    memo.set(name, fixture);
    fixture.catch(() => memo.delete(name)); // a fixed toolchain can be retried
  }
  return fixture;
}

/**
 * Returns the cached output for `key`, or runs `build(dir, out)` in a fresh
 * temp dir and caches what it wrote to `out`.
 */
export async function cachedBuild(
  name: string,
  key: string,
  toolchain: string,
  build: (dir: string, out: string) => Promise<void>,
): Promise<SdkFixture> {
  const started = performance.now();
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 16);
  const path = join(await cacheDir(), `${name}-${hash}.wasm`);
  const cached = await readFile(path).catch(() => null);
  if (cached && WebAssembly.validate(cached)) {
    return { name, bytes: cached, path, toolchain, elapsedMs: performance.now() - started, fromCache: true };
  }
  const dir = await mkdtemp(join(tmpdir(), `${name}-`));
  try {
    const out = join(dir, 'out.wasm');
    await build(dir, out);
    const bytes = await readFile(out);
    // rename is atomic: a concurrent test process sees the old file or the whole new one.
    await rename(out, path);
    return { name, bytes, path, toolchain, elapsedMs: performance.now() - started, fromCache: false };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function run(file: string, args: string[], cwd?: string, env?: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { stdout, stderr }));
      else resolve({ stdout, stderr });
    });
  });
}

function packageVersion(name: string): string {
  return (require(`${name}/package.json`) as { version: string }).version;
}

// ---------------------------------------------------------------------------
// AssemblyScript: @solo-io/proxy-runtime

/**
 * An HTTP filter written against the SDK's documented entry pattern: it
 * re-exports the SDK's ABI functions, registers a root context under
 * `registry_tag`, remembers the request's x-client-id and adds
 * `x-registry-tag: <plugin configuration>` to responses.
 */
export const ASSEMBLYSCRIPT_FILTER_SOURCE = `// The SDK's exports are the Proxy-Wasm ABI: the host calls them.
export * from "@solo-io/proxy-runtime/proxy";
import {
  RootContext, Context, registerRootContext, FilterHeadersStatusValues,
  stream_context, log, LogLevelValues,
} from "@solo-io/proxy-runtime";

class TagRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new TagStream(context_id, this);
  }
}

class TagStream extends Context {
  private client: string = "";

  constructor(context_id: u32, root: TagRoot) {
    super(context_id, root);
  }

  onRequestHeaders(headers: u32, end_of_stream: bool): FilterHeadersStatusValues {
    this.client = stream_context.headers.request.get("x-client-id");
    return FilterHeadersStatusValues.Continue;
  }

  onResponseHeaders(headers: u32, end_of_stream: bool): FilterHeadersStatusValues {
    // The SDK's root context stores the plugin configuration on configure.
    const tag = this.root_context.getConfiguration();
    stream_context.headers.response.add("x-registry-tag", tag.length > 0 ? tag : "untagged");
    if (this.client.length > 0) log(LogLevelValues.info, "tagged response for " + this.client);
    return FilterHeadersStatusValues.Continue;
  }
}

registerRootContext((id: u32): RootContext => new TagRoot(id), "registry_tag");
`;

/** The flags the SDK's README asks for: its abort handler logs and calls proc_exit. */
const ASC_FLAGS = ['--use', 'abort=abort_proc_exit', '--optimize', '--noColors'];

/** Builds ASSEMBLYSCRIPT_FILTER_SOURCE with asc, run by this process's Node. */
export function assemblyScriptProxyWasmFilter(): Promise<SdkFixture> {
  return memoized('as-proxy-filter', async () => {
    const ascVersion = packageVersion('assemblyscript');
    const sdkVersion = packageVersion('@solo-io/proxy-runtime');
    const toolchain = `assemblyscript ${ascVersion} + @solo-io/proxy-runtime ${sdkVersion}`;
    const asc = require.resolve('assemblyscript/bin/asc');
    // asc looks packages up in --path folders, not from the temp source dir.
    const nodeModules = dirname(dirname(dirname(require.resolve('@solo-io/proxy-runtime/package.json'))));
    const key = JSON.stringify([toolchain, process.version, ASC_FLAGS, ASSEMBLYSCRIPT_FILTER_SOURCE]);
    return cachedBuild('as-proxy-filter', key, toolchain, async (dir, out) => {
      await writeFile(join(dir, 'filter.ts'), ASSEMBLYSCRIPT_FILTER_SOURCE);
      try {
        await run(process.execPath, [asc, 'filter.ts', '--binaryFile', out, '--path', nodeModules, ...ASC_FLAGS], dir);
      } catch (error) {
        throw new Error(`asc failed to build the AssemblyScript Proxy-Wasm filter:\n${(error as { stderr?: string }).stderr ?? String(error)}`);
      }
    });
  });
}

// ---------------------------------------------------------------------------
// C to wasm32-wasi with Debian's clang

/** A command: prints to stdout, exits with 3 when given an argument named "fail". */
export const C_COMMAND_SOURCE = `#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  printf("wasm32-wasi fixture: %d argument(s)\\n", argc - 1);
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "fail") == 0) return 3;
  }
  return 0;
}
`;

/** A reactor (library): _initialize, then callable exports; reads its environment. */
export const C_REACTOR_SOURCE = `#include <stdlib.h>
#include <string.h>

static unsigned calls;

__attribute__((export_name("greeting_length")))
int greeting_length(void) {
  const char *greeting = getenv("GREETING");
  calls++;
  return (int)strlen(greeting ? greeting : "hello");
}

__attribute__((export_name("calls")))
unsigned get_calls(void) { return calls; }
`;

/** What Debian bookworm needs for `clang --target=wasm32-wasi`; the runtime package follows clang's major version. */
export function clangWasiDebianPackages(clangMajor = 14): string[] {
  return ['clang', 'lld', 'wasi-libc', `libclang-rt-${clangMajor}-dev-wasm32`];
}

export class MissingToolchainError extends Error {
  /** The Debian packages to install. */
  readonly packages: string[];

  constructor(packages: string[], detail: string, what = 'C to wasm32-wasi') {
    super(`cannot build ${what}: ${detail}; missing Debian packages: ${packages.join(', ')} (apt-get install -y ${packages.join(' ')})`);
    this.name = 'MissingToolchainError';
    this.packages = packages;
  }
}

const CLANG_TARGET = '--target=wasm32-wasi';

/**
 * clang runs any `wasm-opt` on PATH after linking, and npm puts binaryen's
 * (a dependency of jco) in node_modules/.bin: keep it out, so the output does
 * not depend on how the tests were started (and a build takes 0.05 s, not 0.3 s).
 */
function clangEnv(): NodeJS.ProcessEnv {
  const path = (process.env.PATH ?? '').split(':').filter((dir) => !dir.split('/').includes('node_modules'));
  return { ...process.env, PATH: path.join(':') };
}

/**
 * Checks that clang, wasm-ld, wasi-libc and the wasm32 compiler-rt builtins
 * are all present, asking clang where it would look for each. Returns clang's
 * version line.
 */
export async function checkClangWasiToolchain(clang = 'clang'): Promise<string> {
  let versionText: string;
  try {
    versionText = (await run(clang, ['--version'], undefined, clangEnv())).stdout;
  } catch (error) {
    throw new MissingToolchainError(clangWasiDebianPackages(), `${clang} --version failed (${(error as Error).message.split('\n')[0]})`);
  }
  const major = Number(/clang version (\d+)\./.exec(versionText)?.[1] ?? 14);
  const ask = async (flag: string) => (await run(clang, [CLANG_TARGET, flag], undefined, clangEnv())).stdout.trim();
  const [linker, libc, builtins] = await Promise.all([
    ask('-print-prog-name=wasm-ld'),
    ask('-print-file-name=libc.a'),
    ask('-print-libgcc-file-name'),
  ]);
  // clang echoes the bare name back when it finds nothing.
  const found = (path: string) => isAbsolute(path) && existsSync(path);
  const missing: [string, string][] = [];
  if (!found(linker)) missing.push(['lld', 'no wasm-ld linker']);
  if (!found(libc)) missing.push(['wasi-libc', 'no wasm32-wasi libc.a']);
  if (!found(builtins)) missing.push([`libclang-rt-${major}-dev-wasm32`, `no ${builtins}`]);
  if (missing.length > 0) {
    throw new MissingToolchainError(missing.map(([pkg]) => pkg), missing.map(([, why]) => why).join(', '));
  }
  return versionText.split('\n')[0]!.trim();
}

/** Builds one C source with clang for wasm32-wasi (-O2, stripped), after checking the toolchain. */
export async function clangFixture(name: string, source: string, flags: string[], clang: string): Promise<SdkFixture> {
  const version = await checkClangWasiToolchain(clang);
  const args = [CLANG_TARGET, '-O2', ...flags, '-Wl,--strip-all'];
  const key = JSON.stringify([version, args, source]);
  return cachedBuild(name, key, version, async (dir, out) => {
    await writeFile(join(dir, 'main.c'), source);
    try {
      await run(clang, [...args, '-o', out, 'main.c'], dir, clangEnv());
    } catch (error) {
      throw new Error(`clang failed to build ${name}:\n${(error as { stderr?: string }).stderr ?? String(error)}`);
    }
  });
}

/** C_COMMAND_SOURCE as a wasm32-wasi command (exports _start). Throws MissingToolchainError naming the packages. */
export function clangWasiCommand(options: { clang?: string } = {}): Promise<SdkFixture> {
  const clang = options.clang ?? 'clang';
  return memoized(`c-wasi-command:${clang}`, () => clangFixture('c-wasi-command', C_COMMAND_SOURCE, [], clang));
}

/** C_REACTOR_SOURCE as a wasm32-wasi reactor (exports _initialize). Throws MissingToolchainError naming the packages. */
export function clangWasiReactor(options: { clang?: string } = {}): Promise<SdkFixture> {
  const clang = options.clang ?? 'clang';
  return memoized(`c-wasi-reactor:${clang}`, () =>
    clangFixture('c-wasi-reactor', C_REACTOR_SOURCE, ['-mexec-model=reactor'], clang),
  );
}
