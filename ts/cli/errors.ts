// The CLI's two kinds of failure: usage errors (exit 1, with the usage line) and data errors
// (exit 2: unreadable files, shape mismatches, bad values; each names the file, the column and
// the row where it can).

/** A problem with the command line: exit code 1, printed with the usage line. */
export class UsageError extends Error {
  readonly exitCode = 1;
}

/** A problem with the data or the files: exit code 2. */
export class DataError extends Error {
  readonly exitCode = 2;
}

/** `file` with its column (or .npz member), as errors name them. */
export function where(file: string, column: string | null | undefined): string {
  return column ? `${file} (column '${column}')` : file;
}
