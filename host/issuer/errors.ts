// An error the CLI prints as one line. Its exit status follows the one rule of
// every command (pindai --help): 2 for usage (an option, a value, a file that
// is not what the option takes), 1 when something was tried and failed or was
// refused (a port, a device, a file that cannot be read or written).
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 2,
    /** The system's own error behind it, shown with PINDAI_DEBUG=1. */
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

/** Something tried that failed (exit 1): a port, a device, a file that cannot be read or written. */
export function failed(message: string, cause?: unknown): CliError {
  return new CliError(message, 1, cause);
}
