// The pool's OpenID discovery document, listing the endpoints the emulator serves (cognito-local's
// lists none of them, and names port 9229 whatever port it runs on).
import type { Context } from "./cognito-local.ts";
import type { Deps } from "./deps.ts";

export async function discovery(deps: Deps, ctx: Context, base: string, userPoolId: string): Promise<Record<string, unknown> | undefined> {
  try {
    await deps.engine.services.cognito.getUserPool(ctx, userPoolId);
  } catch {
    return undefined;
  }
  const issuer = `${base}/${userPoolId}`;
  return {
    issuer,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    authorization_endpoint: `${base}/oauth2/authorize`,
    token_endpoint: `${base}/oauth2/token`,
    revocation_endpoint: `${base}/oauth2/revoke`,
    response_types_supported: ["code"],
    grant_types_supported: ["authorization_code", "refresh_token", "client_credentials"],
    code_challenge_methods_supported: ["S256"],
    scopes_supported: ["openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: ["RS256"],
    token_endpoint_auth_methods_supported: ["none", "client_secret_basic", "client_secret_post"],
  };
}
