// The CLI's --api mode: the same commands through the backend's /api/v1/auth/* endpoints, called
// with the typed client generated from the API's OpenAPI document (packages/client).
import { createVrmsClient, type Problem } from "../../packages/client/src/index.ts";

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

type Answer<T> = { data?: T; error?: Problem | unknown; response: Response };

/** The answer's data, or a BackendError naming the problem; one deadline per call. */
async function call<T>(api: string, request: (client: ReturnType<typeof createVrmsClient>, signal: AbortSignal) => Promise<Answer<T>>): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await request(createVrmsClient({ baseUrl: api }), AbortSignal.timeout(15_000));
  } catch {
    throw new BackendError(`cannot reach the backend at ${new URL(api).origin}; is it running?`);
  }
  const { data, error, response } = answer;
  if (error !== undefined || !response.ok) {
    const problem = (typeof error === "object" && error !== null ? error : {}) as Partial<Problem>;
    throw new BackendError(`${response.status} ${problem.code ?? "error"}: ${problem.detail ?? response.statusText}`, response.status, problem.code);
  }
  return data as T;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export const backend = {
  login: (api: string, username: string, password: string) =>
    call(api, (client, signal) => client.POST("/api/v1/auth/login", { body: { username, password }, signal })),
  refresh: (api: string, refreshToken: string, username?: string) =>
    call(api, (client, signal) =>
      client.POST("/api/v1/auth/refresh", { body: { refresh_token: refreshToken, ...(username ? { username } : {}) }, signal }),
    ),
  logout: (api: string, accessToken: string, refreshToken?: string) =>
    call(api, (client, signal) =>
      client.POST("/api/v1/auth/logout", { body: refreshToken ? { refresh_token: refreshToken } : {}, headers: bearer(accessToken), signal }),
    ),
  me: (api: string, accessToken: string) => call(api, (client, signal) => client.GET("/api/v1/me", { headers: bearer(accessToken), signal })),
};
