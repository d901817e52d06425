// A usage or input error: the CLI prints its message on one line and exits 2.
export class CliError extends Error {}
