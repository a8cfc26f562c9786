// Page links of a list answer: absolute URLs from PUBLIC_URL that repeat the request's parameters,
// and how deep a filtered list may be paged.
import { ApiProblem } from "./problem.ts";

export interface Page {
  page: number;
  pageSize: number;
}

/** `more`, when the caller read one row past the page, decides `next` (count may be an estimate). */
export function pageLinks(publicUrl: string, path: string, query: Record<string, unknown>, { page, pageSize }: Page, count: number, more?: boolean) {
  const pageUrl = (to: number) => {
    const url = new URL(`${publicUrl}${path}`);
    for (const [key, value] of Object.entries(query)) if (value !== undefined && key !== "page") url.searchParams.set(key, String(value));
    url.searchParams.set("page", String(to));
    return url.toString();
  };
  return {
    next: (more ?? page * pageSize < count) ? pageUrl(page + 1) : null,
    previous: page > 1 ? pageUrl(Math.min(page - 1, Math.max(1, Math.ceil(count / pageSize)))) : null,
  };
}

/**
 * 400 `validation_failed` naming `page` when the page ends past row `maxRows` (page × page_size),
 * as Elasticsearch's `max_result_window` (10,000) and GitHub's search (the first 1,000 results):
 * for a list whose filter no index orders, the database finds every match before the page.
 */
export function requireShallowPage({ page, pageSize }: Page, maxRows: number, narrow: string): void {
  if (page * pageSize <= maxRows) return;
  const message = `this list serves its first ${maxRows} rows only (page × page_size ≤ ${maxRows}; this page ends at row ${page * pageSize}): ${narrow}`;
  throw new ApiProblem(400, "validation_failed", `Invalid fields: page: ${message}.`, {}, { errors: [{ field: "page", message }] });
}
