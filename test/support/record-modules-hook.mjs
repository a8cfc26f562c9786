// The module hook of record-modules.mjs: runs on the loader thread, so it writes to the file itself.
import { appendFileSync } from "node:fs";

let file = "";
let pattern = /$^/;

export function initialize(data) {
  file = data.file;
  pattern = new RegExp(data.pattern);
}

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (pattern.test(result.url)) appendFileSync(file, `import ${result.url}\n`);
  return result;
}
