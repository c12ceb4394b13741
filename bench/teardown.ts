import type { ChildProcess } from 'node:child_process';

/**
 * Undo steps for a bench script, run newest first, also on Ctrl-C or SIGTERM,
 * so that no server, child or temp dir outlives the bench.
 */
export class Teardown {
  private readonly steps: { name: string; run: () => unknown }[] = [];
  /** Steps being undone right now, which an interrupt must wait for too. */
  private readonly undoing = new Set<Promise<unknown>>();
  /** Children to SIGKILL if the bench is interrupted or dies: a graceful stop could wait on open connections. */
  readonly children = new Set<{ process: ChildProcess } | ChildProcess>();
  interrupted = false;
  private readonly log: (message: string) => void;

  // No parameter properties: bench files run under Node's type stripping.
  constructor(log: (message: string) => void) {
    this.log = log;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        log(`${signal}: cleaning up`);
        this.interrupted = true;
        this.killChildren();
        void Promise.all([this.unwind(), ...this.undoing]).finally(() => process.exit(130));
      });
    }
    process.once('exit', () => this.killChildren());
  }

  push(...steps: { name: string; run: () => unknown }[]): void {
    this.steps.push(...steps);
  }

  /** How many steps are registered: unwind(depth) undoes those added since. */
  get depth(): number {
    return this.steps.length;
  }

  async unwind(depth = 0): Promise<void> {
    while (this.steps.length > depth) {
      const step = this.steps.pop()!;
      const done = Promise.resolve()
        .then(step.run)
        .catch((error: unknown) => this.log(`cleanup of ${step.name} failed: ${String(error)}`));
      this.undoing.add(done);
      await done;
      this.undoing.delete(done);
    }
  }

  private killChildren(): void {
    for (const child of this.children) ('process' in child ? child.process : child).kill('SIGKILL');
  }
}
