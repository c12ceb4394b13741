import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MissingToolchainError, cachedBuild, clangFixture, memoized, run, type SdkFixture } from './sdk-fixtures.js';

/**
 * Proxy-Wasm plugins that do what operators fear at run time (call out, rewrite headers and bodies, answer
 * requests themselves), built from source by real toolchains for the sandbox tests. No C or Rust SDK is
 * packaged for Debian, so both write the ABI 0.2.1 host calls by hand, as the SDKs do underneath:
 * - auth-gate (testing/sandbox-plugins/plugin.c): clang 14 for wasm32-wasi, a reactor over wasi-libc;
 * - body-mask (testing/sandbox-plugins/plugin.rs): Debian's rustc 1.63 for wasm32-unknown-unknown, a cdylib.
 * Each source file's first comment says what the plugin does; the configurations below are what it accepts.
 * Builds are cached per test run and memoized per process as in sdk-fixtures.ts.
 */

const SOURCES = fileURLToPath(new URL('./sandbox-plugins/', import.meta.url));

export const AUTH_GATE_SOURCE = readFileSync(join(SOURCES, 'plugin.c'), 'utf8');
export const BODY_MASK_SOURCE = readFileSync(join(SOURCES, 'plugin.rs'), 'utf8');

/** auth-gate checks credentials with this upstream and lets requests under this prefix in without them. */
export const AUTH_GATE_CONFIGURATION = JSON.stringify({ upstream: 'authz', public_prefix: '/login' });
/** body-mask masks this JSON field in request and response bodies. */
export const BODY_MASK_CONFIGURATION = JSON.stringify({ mask: 'password' });

/** auth-gate as a wasm32-wasi reactor (exports _initialize). Throws MissingToolchainError naming the Debian packages. */
export function clangAuthGatePlugin(options: { clang?: string } = {}): Promise<SdkFixture> {
  const clang = options.clang ?? 'clang';
  return memoized(`c-auth-gate:${clang}`, () =>
    clangFixture('c-auth-gate', AUTH_GATE_SOURCE, ['-mexec-model=reactor'], clang),
  );
}

// Debian's rustc: a rustup one on PATH (~/.cargo/bin) is not on CI machines, and its targets differ.
const DEBIAN_RUSTC = '/usr/bin/rustc';
const RUST_TARGET = 'wasm32-unknown-unknown';
const RUSTC_FLAGS = ['--edition', '2021', '--crate-type', 'cdylib', '--target', RUST_TARGET, '-C', 'opt-level=2', '-C', 'strip=symbols'];

/** What Debian bookworm needs for `/usr/bin/rustc --target wasm32-unknown-unknown` (it links with lld's wasm-ld). */
export function rustWasmDebianPackages(): string[] {
  return ['rustc', 'libstd-rust-dev-wasm32', 'lld'];
}

/** Checks that rustc runs and has the wasm32 standard library; returns its version line. */
export async function checkRustWasmToolchain(rustc = DEBIAN_RUSTC): Promise<string> {
  const what = `Rust to ${RUST_TARGET}`;
  let version: string;
  let sysroot: string;
  try {
    version = (await run(rustc, ['--version'])).stdout.trim();
    sysroot = (await run(rustc, ['--print', 'sysroot'])).stdout.trim();
  } catch (error) {
    throw new MissingToolchainError(['rustc', 'libstd-rust-dev-wasm32'], `${rustc} --version failed (${(error as Error).message.split('\n')[0]})`, what);
  }
  const lib = join(sysroot, 'lib', 'rustlib', RUST_TARGET, 'lib');
  if (!existsSync(lib) || !readdirSync(lib).some((file) => file.startsWith('libstd-'))) {
    throw new MissingToolchainError(['libstd-rust-dev-wasm32'], `no ${RUST_TARGET} standard library in ${lib}`, what);
  }
  return version;
}

/** body-mask as a wasm32-unknown-unknown cdylib. Throws MissingToolchainError naming the Debian packages. */
export function rustBodyMaskPlugin(options: { rustc?: string } = {}): Promise<SdkFixture> {
  const rustc = options.rustc ?? DEBIAN_RUSTC;
  return memoized(`rust-body-mask:${rustc}`, async () => {
    const version = await checkRustWasmToolchain(rustc);
    const key = JSON.stringify([version, RUSTC_FLAGS, BODY_MASK_SOURCE]);
    return cachedBuild('rust-body-mask', key, version, async (dir, out) => {
      await writeFile(join(dir, 'plugin.rs'), BODY_MASK_SOURCE);
      try {
        await run(rustc, [...RUSTC_FLAGS, '-o', out, 'plugin.rs'], dir);
      } catch (error) {
        const stderr = (error as { stderr?: string }).stderr ?? String(error);
        if (/linker .* not found/.test(stderr)) throw new MissingToolchainError(['lld'], 'no wasm linker', `Rust to ${RUST_TARGET}`);
        throw new Error(`rustc failed to build rust-body-mask:\n${stderr}`);
      }
    });
  });
}
