// The engine's Hosted UI login form (GET /oauth2/authorize, and again after a wrong password on
// POST) writes the request's parameters into its HTML unescaped: a link whose `state` closes the
// form and opens another one posts the password the developer types to any site. The front refuses
// such values before the engine sees them, and lets the page post only to itself and to the
// client's own callbacks.
import type { Context } from "./cognito-local.ts";
import type { Deps } from "./deps.ts";

/** What the login form writes into its page. */
const WRITTEN = ["client_id", "redirect_uri", "code_challenge", "code_challenge_method", "scope", "state"];

/**
 * RFC 6749's VSCHAR (printable ASCII, space included), less what is significant in HTML. Refused
 * rather than escaped: the same value also goes back to the client in the redirect after sign-in,
 * so an escaped copy could not stand in for it in the engine's hands. What OAuth clients send
 * (Amplify's alphanumeric state and hex custom state, openid-client's base64url, a PKCE challenge,
 * space-separated scopes) is within the set.
 */
const SAFE = /^[\x20-\x7E]*$/;
const HTML_SIGNIFICANT = /["&'<>]/;

/** The first parameter the login form would write that it may not, or undefined. */
export function unsafeFormParameter(values: (name: string) => readonly string[]): string | undefined {
  return WRITTEN.find((name) => values(name).some((value) => !SAFE.test(value) || HTML_SIGNIFICANT.test(value)));
}

export function refusal(name: string): { error: string; error_description: string } {
  return { error: "invalid_request", error_description: `${name} may hold only printable ASCII characters other than " & ' < > (the sign-in page writes it into its HTML).` };
}

/**
 * Where the login page's form may lead: the page itself, then the redirect to one of its client's
 * callback URLs, which browsers hold to form-action too (CSP3: a redirect after a form submission).
 */
export async function formAction(deps: Deps, ctx: Context, clientId: string | undefined): Promise<string> {
  const sources = new Set(["'self'"]);
  const client = clientId ? await deps.engine.services.cognito.getAppClient(ctx, clientId).catch(() => null) : null;
  for (const callback of client?.CallbackURLs ?? []) {
    const source = sourceOf(callback);
    if (source) sources.add(source);
  }
  return [...sources].join(" ");
}

/** A CSP source for a callback URL: its origin, or its scheme for an app's (`myapp:`). */
function sourceOf(url: string): string | undefined {
  if (!URL.canParse(url)) return undefined;
  const { protocol, origin } = new URL(url);
  if (protocol === "http:" || protocol === "https:") return origin;
  return /^[a-z][a-z\d+.-]*:$/i.test(protocol) ? protocol : undefined;
}
