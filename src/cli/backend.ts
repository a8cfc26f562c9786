// The CLI's --api mode: the same commands through the backend's /api/v1/auth/* endpoints.
import type { Tokens } from "../cognito/client.ts";

/** A problem+json answer (or no answer at all: `status` undefined), as one line for a person. */
export class BackendError extends Error {
  override name = "BackendError";
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

async function call(api: string, path: string, init: { method: string; token?: string; body?: unknown }): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(new URL(path, api), {
      method: init.method,
      headers: {
        ...(init.body !== undefined ? { "content-type": "application/json" } : {}),
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      signal: AbortSignal.timeout(15_000),
    });
  } catch {
    throw new BackendError(`cannot reach the backend at ${new URL(api).origin}; is it running?`);
  }
  if (res.status === 204) return undefined;
  const body = (await res.json().catch(() => ({}))) as { detail?: string; code?: string };
  if (!res.ok) throw new BackendError(`${res.status} ${body.code ?? "error"}: ${body.detail ?? res.statusText}`, res.status, body.code);
  return body;
}

export const backend = {
  login: (api: string, username: string, password: string) =>
    call(api, "/api/v1/auth/login", { method: "POST", body: { username, password } }) as Promise<Tokens>,
  refresh: (api: string, refreshToken: string, username?: string) =>
    call(api, "/api/v1/auth/refresh", { method: "POST", body: { refresh_token: refreshToken, ...(username ? { username } : {}) } }) as Promise<Tokens>,
  logout: (api: string, accessToken: string, refreshToken?: string) =>
    call(api, "/api/v1/auth/logout", { method: "POST", token: accessToken, body: refreshToken ? { refresh_token: refreshToken } : {} }),
  me: (api: string, accessToken: string) => call(api, "/api/v1/me", { method: "GET", token: accessToken }) as Promise<Record<string, unknown>>,
};
