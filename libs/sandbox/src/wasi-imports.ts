import { WASI } from 'node:wasi';
import { WASI_FUNCTIONS } from '../../analysis/index.js';
import type { LogLine } from './trial-types.js';
import type { WasmMemory } from './wasm-api.js';
import { MemoryFault, type ModuleMemory } from './module-memory.js';

/**
 * WASI preview1 for a trial, linked under both wasi_snapshot_preview1 and wasi_unstable (the same functions,
 * as proxy-wasm-cpp-host links them). Clock, random and sched_yield come from Node's own node:wasi (no preopened
 * directories, no environment, no arguments); everything that would touch a file, a socket or the process is
 * answered as the C++ host answers it (src/exports.cc): fd_write to stdout/stderr becomes an info/error log line,
 * never the process's output; reads, files and sockets are refused; proc_exit logs an error and returns.
 */

const ESUCCESS = 0;
const EBADF = 8;
const EFAULT = 21;
const EINVAL = 28;
const ENOTDIR = 20;
const ENOSYS = 52;
const ENOTSUP = 58;
const ENOENT = 44;

/** Parameter types per function (i = i32, I = i64), all returning i32 except those listed in VOID_WASI. */
export const WASI_SIGNATURES: Readonly<Record<string, string>> = {
  fd_write: 'iiii', fd_read: 'iiii', fd_seek: 'iIii', fd_close: 'i', fd_fdstat_get: 'ii', environ_get: 'ii',
  environ_sizes_get: 'ii', args_get: 'ii', args_sizes_get: 'ii', clock_time_get: 'iIi', random_get: 'ii',
  proc_exit: 'i', path_open: 'iiiiiIIii', fd_prestat_get: 'ii', fd_prestat_dir_name: 'iii',
  fd_fdstat_set_flags: 'ii', fd_fdstat_set_rights: 'iII', clock_res_get: 'ii', fd_advise: 'iIIi', fd_allocate: 'iII',
  fd_datasync: 'i', fd_filestat_get: 'ii', fd_filestat_set_size: 'iI', fd_filestat_set_times: 'iIIi',
  fd_pread: 'iiiIi', fd_pwrite: 'iiiIi', fd_readdir: 'iiiIi', fd_renumber: 'ii', fd_sync: 'i', fd_tell: 'ii',
  path_create_directory: 'iii', path_filestat_get: 'iiiii', path_filestat_set_times: 'iiiiIIi',
  path_link: 'iiiiiii', path_readlink: 'iiiiii', path_remove_directory: 'iii', path_rename: 'iiiiii',
  path_symlink: 'iiiii', path_unlink_file: 'iii', poll_oneoff: 'iiii', sched_yield: '', sock_accept: 'iii',
  sock_recv: 'iiiiii', sock_send: 'iiiii', sock_shutdown: 'ii',
};
export const VOID_WASI: ReadonlySet<string> = new Set(['proc_exit']);

export interface WasiSink {
  memory: ModuleMemory;
  log(level: LogLine['level'], message: string): void;
}

type WasiFunction = (...args: never[]) => number | void;

export class WasiImports {
  private readonly node = new WASI({ version: 'preview1', args: [], env: {}, preopens: {}, returnOnExit: true });
  private bound = false;

  constructor(private readonly sink: WasiSink) {}

  /** node:wasi needs the instance's memory for the functions it answers. */
  bind(memory: WasmMemory | null): void {
    if (!memory) return;
    this.node.finalizeBindings({ exports: { memory } } as unknown as never, { memory });
    this.bound = true;
  }

  /** The functions, by name; the same object serves both module names. */
  functions(): Record<string, WasiFunction> {
    const { memory } = this.sink;
    const node = this.node.wasiImport as Record<string, (...args: unknown[]) => number>;
    const fromNode =
      (name: string) =>
      (...args: unknown[]): number =>
        this.bound ? node[name]!(...args) : EFAULT;
    const stdio = (fd: number): boolean => fd === 1 || fd === 2;
    const faulting =
      <A extends unknown[]>(fn: (...args: A) => number) =>
      (...args: A): number => {
        try {
          return fn(...args);
        } catch (error) {
          if (error instanceof MemoryFault) return EFAULT;
          throw error;
        }
      };
    const fdWrite = faulting((fd: number, iovs: number, iovsLen: number, nwrittenPtr: number): number => {
      if (!stdio(fd)) return EBADF;
      const parts: Uint8Array[] = [];
      let written = 0;
      for (let i = 0; i < iovsLen >>> 0; i++) {
        const buf = memory.getU32(iovs + i * 8);
        const len = memory.getU32(iovs + i * 8 + 4);
        if (len === 0) continue;
        const part = memory.copy(buf, len);
        written += part.length;
        // Keep what a log line can show; the count stays true.
        if (parts.reduce((sum, p) => sum + p.length, 0) < 64 * 1024) parts.push(part);
      }
      if (written > 0) {
        let text = Buffer.concat(parts).toString('utf8');
        if (text.endsWith('\n')) text = text.slice(0, -1);
        this.sink.log(fd === 1 ? 'info' : 'error', text);
      }
      memory.setU32(nwrittenPtr, written);
      return ESUCCESS;
    });
    const zeroTwo = faulting((a: number, b: number): number => {
      memory.setU32(a, 0);
      memory.setU32(b, 0);
      return ESUCCESS;
    });
    const stdioOnly = (fd: number): number => (stdio(fd) ? ESUCCESS : EBADF);
    const all: Record<string, WasiFunction> = {
      fd_write: fdWrite,
      fd_pwrite: (fd: number, iovs: number, iovsLen: number, _offset: bigint, nwrittenPtr: number) =>
        stdio(fd) ? fdWrite(fd, iovs, iovsLen, nwrittenPtr) : EBADF,
      fd_read: () => ENOSYS,
      fd_pread: () => ENOSYS,
      fd_seek: () => {
        this.sink.log('error', 'wasi_unstable fd_seek');
        return ESUCCESS;
      },
      fd_close: () => {
        this.sink.log('error', 'wasi_unstable fd_close');
        return ESUCCESS;
      },
      fd_fdstat_get: faulting((fd: number, statPtr: number): number => {
        if (!stdio(fd)) return EBADF;
        const stat = new Uint8Array(24);
        new DataView(stat.buffer).setBigUint64(8, 64n, true); // fs_rights_base: FD_WRITE
        memory.write(statPtr, stat);
        return ESUCCESS;
      }),
      fd_fdstat_set_flags: () => ENOSYS,
      fd_fdstat_set_rights: stdioOnly,
      fd_advise: () => ESUCCESS,
      fd_allocate: stdioOnly,
      fd_datasync: stdioOnly,
      fd_sync: stdioOnly,
      fd_filestat_get: () => EBADF,
      fd_filestat_set_size: stdioOnly,
      fd_filestat_set_times: stdioOnly,
      fd_prestat_get: () => EBADF,
      fd_prestat_dir_name: () => ENOSYS,
      fd_readdir: () => ENOTDIR,
      fd_renumber: (fd: number) => (stdio(fd) ? ENOTSUP : EBADF),
      fd_tell: faulting((fd: number, ptr: number): number => {
        if (!stdio(fd)) return EBADF;
        memory.setU64(ptr, 0n);
        return ESUCCESS;
      }),
      path_open: () => ENOENT,
      path_filestat_get: () => ENOTSUP,
      ...Object.fromEntries(
        ['path_create_directory', 'path_filestat_set_times', 'path_link', 'path_readlink', 'path_remove_directory',
          'path_rename', 'path_symlink', 'path_unlink_file', 'sock_accept', 'sock_recv', 'sock_send', 'sock_shutdown']
          .map((name) => [name, () => ENOTSUP]),
      ),
      // No environment and no arguments: both counts are 0.
      environ_sizes_get: zeroTwo,
      environ_get: () => ESUCCESS,
      args_sizes_get: zeroTwo,
      args_get: () => ESUCCESS,
      // Bounds checked here so that a bad pointer gets the C++ host's EFAULT, not node:wasi's EOVERFLOW.
      clock_time_get: faulting((id: number, precision: bigint, ptr: number): number => {
        memory.slice(ptr, 8);
        return fromNode('clock_time_get')(id, precision, ptr);
      }),
      clock_res_get: faulting((id: number, ptr: number): number => {
        memory.slice(ptr, 8);
        return fromNode('clock_res_get')(id, ptr);
      }),
      random_get: faulting((ptr: number, len: number): number => {
        if (len >>> 0 > 65536) return EINVAL;
        memory.slice(ptr, len);
        return fromNode('random_get')(ptr, len);
      }),
      sched_yield: fromNode('sched_yield'),
      // The C++ host answers success without waiting: a module cannot sleep in the sandbox.
      poll_oneoff: faulting((_in: number, _out: number, _n: number, neventsPtr: number): number => {
        memory.setU32(neventsPtr, 0);
        return ESUCCESS;
      }),
      proc_exit: () => {
        this.sink.log('error', 'wasi_unstable proc_exit');
      },
    };
    return Object.fromEntries([...WASI_FUNCTIONS.keys()].map((name) => [name, all[name] ?? (() => ENOSYS)]));
  }
}
