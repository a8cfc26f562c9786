// Files the server reads at run time, found from the package root: the same whether the code runs
// from src/ (tsx, in development and tests) or from the dist/ bundle (npm run serve).
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("vrms-backend: package.json not found above the server's code");
    dir = parent;
  }
  return dir;
}

const root = packageRoot();

export const MIGRATIONS_DIR = path.join(root, "src", "db", "migrations");
/** The /admin page's HTML and CSS. */
export const ADMIN_PAGE_DIR = path.join(root, "src", "admin", "page");
/** The /admin page's script, bundled from ADMIN_PAGE_DIR/app.ts by `npm run build:admin` (run before start, test and serve). */
export const ADMIN_BUNDLE = path.join(root, "dist", "admin", "app.js");
