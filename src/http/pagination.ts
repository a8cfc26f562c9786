// Page links of a list answer: absolute URLs from PUBLIC_URL that repeat the request's parameters.

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
