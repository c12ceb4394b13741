import { EXIT, type ExitCode } from './exit-codes.js';

/** A problem the user can act on: printed as `error: <message>` and, on its own line, `hint: <fix>`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly hint: string | null = null,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string, hint: string | null = null): CliError => new CliError(message, EXIT.usage, hint);
export const checkFailed = (message: string, hint: string | null = null): CliError => new CliError(message, EXIT.failed, hint);
