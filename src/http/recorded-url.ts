// What of a request's URL may be recorded, in log lines and in exported spans alike: URLs carry
// what people type (`/api/v1/users?email=…&search=…`), and logs and traces are read by more people
// than the data is. Kept: the path's segments that are the API's own words or uuids, the query's
// parameter names, and the values of a few parameters that say nothing about anyone. Everything
// else becomes REDACTED. An allow-list, not a deny-list: a deny-list of secret names missed every
// personal one, and `Code`/`STATE` beside `code`/`state`.

export const REDACTED = "REDACTED";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const COUNT = /^\d{1,9}$/;

/**
 * Query parameters whose values are recorded, when they have the shape the routes' schemas take
 * (anything else is refused with a 400, and may be anything): paging, ordering, and filters by uuid.
 * By exact name: `Page` is no parameter of the API, so its value may be anything too.
 */
const RECORDED_VALUES: ReadonlyMap<string, RegExp> = new Map([
  ["page", COUNT],
  ["page_size", COUNT],
  ["ordering", /^-?[a-z_]{1,32}$/],
  ["is_active", /^(true|false)$/],
  ["project", UUID],
  ["user", UUID],
]);

/** A parameter's name is recorded when it looks like one: an email (`?alice@example.org`) or a token does not. */
const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,39}$/;

/** Past this many parameters the rest are counted, not listed: a 16 KB query must not make a 16 KB line. */
const MAX_PARAMETERS = 20;

/** The literal segments of the routes registered (`api`, `v1`, `users`, `sign-out`, …). */
const routeWords = new Set<string>();

/** Called for every route registered: its literal segments may be recorded as they are. */
export function knowRoute(url: string): void {
  for (const segment of url.split("/")) {
    if (segment !== "" && !segment.startsWith(":") && !segment.includes("*")) routeWords.add(segment);
  }
}

/**
 * The path as it may be recorded: each segment that is a route's own word or a uuid as it was
 * sent, any other REDACTED. No route takes an email, a name or a token in its path, but a 404 or
 * 400 for `/api/v1/users/alice@example.org` would have logged one.
 */
function recordedPath(path: string): string {
  return path
    .split("/")
    .map((segment) => (segment === "" || routeWords.has(segment) || UUID.test(segment) ? segment : REDACTED))
    .join("/");
}

/** The query (without its `?`) as it may be recorded: every parameter's name, few values. */
function recordedQuery(query: string): string {
  const recorded: string[] = [];
  let omitted = 0;
  for (const [name, value] of new URLSearchParams(query)) {
    if (recorded.length === MAX_PARAMETERS) {
      omitted++;
      continue;
    }
    const shape = RECORDED_VALUES.get(name);
    const shownName = PARAMETER_NAME.test(name) ? name : REDACTED;
    recorded.push(`${shownName}=${shape?.test(value) ? value : REDACTED}`);
  }
  if (omitted > 0) recorded.push(`…${omitted} more`);
  return recorded.join("&");
}

/** A request's URL as it may be recorded: its path, and its query (without `?`) when it has one. */
export function recordUrl(url: string): { path: string; query?: string } {
  const q = url.indexOf("?");
  return q === -1 ? { path: recordedPath(url) } : { path: recordedPath(url.slice(0, q)), query: recordedQuery(url.slice(q + 1)) };
}

/** A request's URL (path and query) as it may be recorded, as one string. */
export function recordedUrl(url: string): string {
  const { path, query } = recordUrl(url);
  return query === undefined ? path : `${path}?${query}`;
}
