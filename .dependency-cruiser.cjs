// The architecture, as the build checks it (npm run check): dependencies point down these layers
// (shared/DESIGN.md), never up, and never round in a cycle.
//   entry points   main.ts (+ cluster.ts), cli.ts, migrate.ts; dev/ (npm start: dev/start.ts) beside them
//   composition    server.ts, app.ts, openapi-document.ts
//   route modules  users/ sessions/ projects/ permissions/ people/ import/ admin/ events/ webhooks/
//   authz/         who may do what: pure rules and the field table
//   auth/          bearer header → verified token
//   http/ db/ cognito/ tracing/
//   config.ts logging.ts
// One exception, for types only:
// authz/ reads the profile's fields and the user row a principal holds as types
// (users/profile-schema.ts, users/tables.ts), never their storage or code. The hook that loads the
// principal (users/load-principal.ts) sits above authz/ and imports it, not the reverse.
const ROUTE_MODULES = "^src/(users|sessions|projects|permissions|people|import|admin|events|webhooks)/";
const ENTRY_POINTS = "^src/(main|cli|migrate|cluster)\\.ts$|^src/dev/start\\.ts$";
const COMPOSITION = "^src/(app|server|openapi-document)\\.ts$";
const DEV_STACK = "^src/dev/";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "A cycle makes two modules one: neither can be read, tested or changed alone.",
      from: { path: "^src" },
      to: { circular: true },
    },
    {
      name: "entry-points-are-not-imported",
      severity: "error",
      comment: "An entry point runs when imported; only main.ts starts cluster.ts.",
      from: { path: "^src", pathNot: "^src/main\\.ts$" },
      to: { path: ENTRY_POINTS },
    },
    {
      name: "composition-is-imported-by-entry-points",
      severity: "error",
      comment: "The app is put together in one place; the parts do not reach back for the whole.",
      from: { path: "^src", pathNot: `${ENTRY_POINTS}|${COMPOSITION}|${DEV_STACK}` },
      to: { path: COMPOSITION },
    },
    {
      name: "the-server-knows-no-dev-stack",
      severity: "error",
      comment: "The server must not know whether it talks to AWS or to the emulator (DESIGN.md).",
      from: { path: "^src", pathNot: `${ENTRY_POINTS}|${DEV_STACK}|^src/import/` },
      to: { path: DEV_STACK },
    },
    {
      name: "authz-is-below-route-modules",
      severity: "error",
      comment: "Rules are pure: grants and shapes in, a decision out (types of the profile excepted, above).",
      from: { path: "^src/authz/" },
      to: { path: ROUTE_MODULES, dependencyTypesNot: ["type-only"] },
    },
    {
      name: "authz-reads-only-user-shapes",
      severity: "error",
      from: { path: "^src/authz/" },
      to: { path: ROUTE_MODULES, pathNot: "^src/users/(profile-schema|tables)\\.ts$" },
    },
    {
      name: "auth-is-below-users-and-authz",
      severity: "error",
      comment: "A verified token knows nothing of users, sessions or permissions.",
      from: { path: "^src/auth/" },
      to: { path: `${ROUTE_MODULES}|^src/authz/` },
    },
    {
      name: "plumbing-is-below-everything",
      severity: "error",
      comment: "http/ and db/ build nothing above them (db/tables.ts, drizzle's registry of every module's tables, excepted).",
      from: { path: "^src/(http|db)/", pathNot: "^src/db/tables\\.ts$" },
      to: { path: `${ROUTE_MODULES}|^src/(authz|auth|cognito)/|${COMPOSITION}` },
    },
    {
      name: "config-is-the-floor",
      severity: "error",
      comment: "config.ts and logging.ts are read by everything and read nothing of the app but pure modules.",
      from: { path: "^src/(config|logging)\\.ts$" },
      to: { path: "^src/", pathNot: "^src/(net|version|paths)\\.ts$|^src/authz/permission-types\\.ts$|^src/http/recorded-url\\.ts$" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^src/admin/page" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js", ".mjs"] },
  },
};
