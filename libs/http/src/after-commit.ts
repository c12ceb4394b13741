/** What the helpers below log with (Nest's Logger fits). */
export interface WarningLog {
  warn(message: string): void;
}

/**
 * The answer to a request whose change has committed. `read` builds it afresh; if that fails (the
 * database went away right after the commit), `fallback` builds it from what the transaction
 * returned, so that a change that happened is never answered with an error.
 */
export async function answerAfterCommit<T>(log: WarningLog, what: string, read: () => Promise<T>, fallback: () => T): Promise<T> {
  try {
    return await read();
  } catch (error) {
    log.warn(`${what} committed, but reading it back failed (${describe(error)}): answered from the committed record`);
    return fallback();
  }
}

/** Work after a commit that the answer does not depend on (a queue kick, a cache note): logged, never thrown. */
export async function afterCommit(log: WarningLog, what: string, work: () => unknown): Promise<void> {
  try {
    await work();
  } catch (error) {
    log.warn(`${what} failed after the commit (${describe(error)})`);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message.split('\n').filter((l) => l.trim() !== '').at(-1) ?? ''}` : String(error);
}
