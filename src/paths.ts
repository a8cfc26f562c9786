// Files the server reads at run time. Under tsx (npm start, tests) they are read from src/; the
// production build (npm run build) copies them under dist/, which is then all that is read.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
// The bundle's chunks sit directly in dist/; this file, unbundled, in src/.
const built = path.basename(here) === "dist";

function packageRoot(): string {
  let dir = here;
  while (!existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("vrms-backend: package.json not found above the server's code");
    dir = parent;
  }
  return dir;
}

const root = built ? path.dirname(here) : packageRoot();

export const MIGRATIONS_DIR = built ? path.join(here, "migrations") : path.join(root, "src", "db", "migrations");
/** The /admin page's HTML and CSS. */
export const ADMIN_PAGE_DIR = built ? path.join(here, "admin") : path.join(root, "src", "admin", "page");
/** The /admin page's script, bundled from src/admin/page/app.ts by `npm run build:admin` (run before start and test) or `npm run build`. */
export const ADMIN_BUNDLE = path.join(root, "dist", "admin", "app.js");
/** The dev stack's Cognito emulator (cognito-local behind its front), run from source by tsx even when the CLI runs from dist/. */
export const EMULATOR_MAIN = path.join(root, "src", "dev", "cognito", "main.ts");
