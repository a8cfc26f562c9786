// The OAuth 2.0 token endpoint's refresh grant and the revocation endpoint, answered with the same
// session rules as the API operations (cognito-local's refresh grant ignores them; it has no
// revocation endpoint).
import type { ServerResponse } from "node:http";
import { CognitoError } from "./cognito-local.ts";
import type { Context } from "./cognito-local.ts";
import { assertFlowAllowed } from "./auth-flows.ts";
import { requireClient, type Deps } from "./deps.ts";
import { sendJson } from "./http.ts";
import { refreshWith } from "./sign-in.ts";
import { revokeRefreshToken } from "./sign-out.ts";
import { claimsOf } from "./tokens.ts";

type Form = Record<string, string>;

export async function oauthRefresh(deps: Deps, ctx: Context, form: Form, res: ServerResponse): Promise<void> {
  try {
    const client = await requireClient(deps, ctx, form.client_id);
    assertFlowAllowed(client, "REFRESH_TOKEN_AUTH");
    const request = { AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: client.ClientId, AuthParameters: { REFRESH_TOKEN: form.refresh_token } };
    const out = (await refreshWith(deps, ctx, "InitiateAuth", request, form.refresh_token, client.ClientId)) as { AuthenticationResult: Record<string, string> };
    const { AccessToken, IdToken } = out.AuthenticationResult;
    const claims = claimsOf(String(AccessToken));
    sendJson(res, 200, { access_token: AccessToken, id_token: IdToken, token_type: "Bearer", expires_in: Number(claims.exp) - Number(claims.iat) });
  } catch (err) {
    if (!(err instanceof CognitoError)) throw err;
    sendJson(res, 400, { error: err.code === "ResourceNotFoundException" ? "invalid_client" : "invalid_grant" });
  }
}

export async function oauthRevoke(deps: Deps, ctx: Context, form: Form, res: ServerResponse): Promise<void> {
  try {
    await revokeRefreshToken(deps, ctx, form.token, form.client_id);
    sendJson(res, 200, {});
  } catch (err) {
    if (!(err instanceof CognitoError)) throw err;
    const error = err.code === "UnsupportedTokenTypeException" ? "unsupported_token_type" : err.code === "UnsupportedOperationException" ? "invalid_request" : "invalid_client";
    sendJson(res, 400, { error });
  }
}
