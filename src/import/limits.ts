// Bounds on an import file, which is hostile input: a file, a document, a list or a string beyond
// these is refused (exit 2) before anything is planned. VRMS's own documents are ~1 KB with lists
// of a few dozen entries; the bounds leave a wide margin.
export interface Limits {
  maxFileBytes: number;
  maxLineBytes: number;
  maxDocuments: number;
  maxArrayLength: number;
  maxStringLength: number;
  maxDepth: number;
  earliestDate: number;
}

export const LIMITS: Readonly<Limits> = {
  /** A whole file (--jsonArray files are one line, so this bounds them). */
  maxFileBytes: 64 * 1024 * 1024,
  /** One document of a newline-delimited file. */
  maxLineBytes: 64 * 1024,
  maxDocuments: 200_000,
  /** Entries of any one array (projects, skills, …). */
  maxArrayLength: 1_000,
  /** Characters of any one string the import reads. */
  maxStringLength: 10_000,
  /** Nesting of objects and arrays in a document. */
  maxDepth: 10,
  /** Dates before this, or more than a day in the future, are not dates VRMS wrote. */
  earliestDate: Date.UTC(2000, 0, 1),
};
