// Unreadable input: the command exits 2 and writes nothing. The message names the file, the line
// (newline-delimited) or index (--jsonArray) and the field, never more of the input than that.

export class InputError extends Error {
  readonly exitCode = 2;
  constructor(
    readonly file: string,
    readonly where: string | undefined,
    readonly field: string | undefined,
    readonly problem: string,
  ) {
    super(`${file}${where ? ` ${where}` : ""}${field ? `, field ${field}` : ""}: ${problem}`);
    this.name = "InputError";
  }
}

/** Where a document is: `line 12` of a newline-delimited file, `index 3` of an array. */
export interface Location {
  file: string;
  where: string;
}
