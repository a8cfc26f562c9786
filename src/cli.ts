#!/usr/bin/env node
// vrms-backend <command> (npm run -s cli -- <command> in a checkout): sign in, refresh, sign out,
// whoami, service tokens and pool provisioning. Data goes to stdout, progress to stderr. Errors are
// one line on stderr: exit code 2 for a wrong command line (cli/usage.ts), 1 for anything else.
// Nothing is written to disk without --save.
import { parseArgs } from "node:util";
import type { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { DEFAULT_RESOURCE_SERVER, describeDrift, findClient, provision, DEMO_USERS } from "./cognito/bootstrap.ts";
import { clientCredentialsToken, clientSecret, TokenEndpointError } from "./cognito/service-token.ts";
import { cognitoRefusal } from "./cognito/errors.ts";
import {
  adminPasswordLogin,
  ChallengeRequired,
  createCognitoClient,
  getUser,
  globalSignOut,
  refreshTokens,
  revokeRefreshToken,
  type AppClient,
  type Tokens,
} from "./cognito/client.ts";
import { checkServiceUrl, ConfigError, loadCognito, loadCognitoEndpoint, loadDevConfig, processEnv, type CognitoEndpointSettings } from "./config.ts";
import { readDevStack } from "./dev/stack-file.ts";
import { loadSession, saveSession } from "./cli/session.ts";
import { readPassword } from "./cli/password.ts";
import { backend, BackendError } from "./cli/backend.ts";
import { IMPORT_HELP, importCommand, ImportUsageError, InputError, type ImportTarget } from "./import/command.ts";
import { DevStackRunning } from "./import/dev-stack-cognito.ts";
import { PgliteBusyError } from "./db/pglite-lock.ts";
import { asUsageError, EXIT_RUNTIME_ERROR, EXIT_USAGE_ERROR, parseInvocation, UsageError, usageLine } from "./cli/usage.ts";
import { VERSION } from "./version.ts";

const HELP = `Usage: vrms-backend <command> [options]    (in a checkout: npm run -s cli -- <command> [options])

Commands:
  login --username U [--password P | --password-stdin] [--json | --access-token-only] [--save]
        Sign in with ADMIN_USER_PASSWORD_AUTH and print the tokens. Without --password or
        --password-stdin the password is prompted for. A password given with --password is
        visible to other users of this machine (ps, shell history): prefer the prompt or stdin.
  refresh [--refresh-token T] [--username U] [--json | --access-token-only] [--save]
        New access and id tokens from a refresh token (or the saved session).
  logout [--token T] [--refresh-token T] [--cognito-only]
        Sign out through the API (POST /api/v1/auth/logout: the refresh token is revoked, the
        user signed out of Cognito, and this session's tokens refused by the API at once); the
        API is --api URL, else the dev stack's. Forgets the saved session.
        --cognito-only signs out of Cognito alone: the access token then stays valid at the API
        until it expires (up to an hour).
  whoami [--token T]
        The user an access token (or the saved session) belongs to, as Cognito sees it.
  service-token [--scope "S1 S2"] [--client-id ID] [--json]
        An access token for an app calling the API as itself (OAuth client credentials; no
        person): the "service" client's (or --client-id's), with all its scopes or those of
        --scope (e.g. vrms-backend/users.read). Its secret is read with DescribeUserPoolClient.
        The token endpoint is COGNITO_DOMAIN/oauth2/token on AWS, the dev stack's by default.
  provision [--pool-name vrms-dev] [--callback-url URL] [--web-callback-url URL] [--resource-server vrms-backend] [--demo-users] [--self-sign-up] [--fix]
        Create the pool, the app clients "backend" (the CLI's and /admin's; --callback-url is its
        /admin URL), "web" (browser apps: SRP, code grant with PKCE, refresh; callbacks
        http://localhost:3000/ and http://localhost:5173/, plus each --web-callback-url, which may
        be repeated) and "service" (apps calling as themselves: client credentials with a secret,
        the scopes users.read, users.write, permissions.read, permissions.write of the resource
        server --resource-server, created too), and the
        group "admin" where absent, against COGNITO_ENDPOINT (real AWS by default).
        --demo-users only on a loopback endpoint.
        An existing pool or client whose security settings differ (auth flows, user existence
        errors, token revocation, OAuth, token validity, self sign-up) is reported one line per
        setting, and the command exits 1; --fix corrects them, keeping every other setting.
        Self sign-up is off (only administrators create users) unless --self-sign-up is given.
${IMPORT_HELP}

Options:
  --api URL      login, refresh, logout and whoami through the backend at URL (its /api/v1/auth/*)
                 instead of straight to Cognito; logout always goes through an API (this one,
                 else the dev stack's) unless --cognito-only is given
  --save         keep the session in ${"~/.config/vrms-backend/session.json"} (mode 0600)
  --help         this text; after a command, that command's
  --version      the version of vrms-backend

Cognito settings come from COGNITO_USER_POOL_ID, COGNITO_CLIENT_IDS, COGNITO_ENDPOINT, … or,
when none is set, from .data/dev-stack.json written by npm start.

Exit codes: 0 done, 1 failed, 2 wrong command line.`;

class CliError extends Error {}

interface Target {
  settings: CognitoEndpointSettings;
  client: AppClient;
}

async function resolveTarget(): Promise<Target> {
  const env = processEnv();
  const configured = ["COGNITO_USER_POOL_ID", "COGNITO_CLIENT_IDS", "COGNITO_ENDPOINT"].some((name) => env[name]);
  if (configured) {
    const cognito = loadCognito(env);
    return {
      settings: cognito,
      client: { userPoolId: cognito.userPoolId, clientId: cognito.clientIds[0]!, clientSecret: cognito.clientSecret },
    };
  }
  const stack = await readDevStack(loadDevConfig(env).dataDir);
  if (!stack) {
    throw new CliError("no Cognito settings: set COGNITO_USER_POOL_ID and COGNITO_CLIENT_IDS, or start the dev stack with npm start");
  }
  return {
    settings: loadCognitoEndpoint({ ...env, COGNITO_ENDPOINT: stack.endpoint }, stack.user_pool_id),
    client: { userPoolId: stack.user_pool_id, clientId: stack.client_id },
  };
}

function printTokens(tokens: Tokens, format: { json?: boolean; accessTokenOnly?: boolean }): void {
  if (format.accessTokenOnly) {
    process.stdout.write(`${tokens.access_token}\n`);
  } else if (format.json) {
    process.stdout.write(`${JSON.stringify(tokens, null, 2)}\n`);
  } else {
    process.stdout.write(
      `access_token: ${tokens.access_token}\nid_token: ${tokens.id_token}\n` +
        (tokens.refresh_token ? `refresh_token: ${tokens.refresh_token}\n` : "") +
        `expires_in: ${tokens.expires_in}\n`,
    );
  }
}

const tokenFormatOptions = {
  json: { type: "boolean" },
  "access-token-only": { type: "boolean" },
  save: { type: "boolean" },
  api: { type: "string" },
} as const;

async function login(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { username: { type: "string" }, password: { type: "string" }, "password-stdin": { type: "boolean" }, ...tokenFormatOptions },
  });
  if (!values.username) throw new UsageError("login needs --username", "login");
  const password = values.password ?? (await readPassword(values["password-stdin"] === true));
  if (!password) throw new CliError("login needs a password");
  const tokens = values.api
    ? await backend.login(values.api, values.username, password)
    : await (async () => {
        const target = await resolveTarget();
        return withCognito(target, (cognito) => adminPasswordLogin(cognito, target.client, values.username!, password));
      })();
  if (values.save) await saveSession({ username: values.username, ...tokens });
  printTokens(tokens, { json: values.json, accessTokenOnly: values["access-token-only"] });
}

async function refresh(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { "refresh-token": { type: "string" }, username: { type: "string" }, ...tokenFormatOptions } });
  const session = await loadSession();
  const refreshToken = values["refresh-token"] ?? session?.refresh_token;
  if (!refreshToken) throw new CliError("refresh needs --refresh-token or a session saved with login --save");
  const username = values.username ?? session?.username;
  const tokens = values.api
    ? await backend.refresh(values.api, refreshToken, username)
    : await (async () => {
        const target = await resolveTarget();
        return withCognito(target, (cognito) => refreshTokens(cognito, target.client, refreshToken, username));
      })();
  if (values.save) await saveSession({ username, ...tokens });
  printTokens(tokens, { json: values.json, accessTokenOnly: values["access-token-only"] });
}

async function logout(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { token: { type: "string" }, "refresh-token": { type: "string" }, api: { type: "string" }, "cognito-only": { type: "boolean" } },
  });
  if (values.api && values["cognito-only"]) throw new UsageError("logout takes --api or --cognito-only, not both", "logout");
  const session = await loadSession();
  const accessToken = values.token ?? session?.access_token;
  const refreshToken = values["refresh-token"] ?? session?.refresh_token;
  if (!accessToken && !refreshToken) throw new CliError("logout needs --token, --refresh-token or a saved session");
  if (values["cognito-only"]) {
    const target = await resolveTarget();
    await withCognito(target, async (cognito) => {
      if (refreshToken) await tolerateUnsupported(() => revokeRefreshToken(cognito, target.client, refreshToken));
      if (accessToken) await tolerateUnsupported(() => globalSignOut(cognito, accessToken));
    });
  } else {
    await logoutThroughApi(values.api ?? (await knownApi()), accessToken, refreshToken, session?.username);
  }
  if (session) await saveSession(undefined);
  process.stderr.write(values["cognito-only"] ? "signed out of Cognito only: the access token stays valid at the API until it expires\n" : "signed out\n");
}

/**
 * The API a sign-out must reach when no --api is given: the dev stack's, but only when the CLI
 * talks to the dev stack's pool (no Cognito variables set) — another pool's token means nothing there.
 */
async function knownApi(): Promise<string> {
  const env = processEnv();
  const configured = ["COGNITO_USER_POOL_ID", "COGNITO_CLIENT_IDS", "COGNITO_ENDPOINT"].some((name) => env[name]);
  const stack = configured ? undefined : await readDevStack(loadDevConfig(env).dataDir);
  if (stack?.api_url) return stack.api_url;
  throw new CliError(
    "logout needs --api URL (the backend that accepts this token), or --cognito-only to sign out of Cognito alone (the access token then stays valid at the API until it expires)",
  );
}

/** POST /api/v1/auth/logout, with a fresh access token first when there is none or it has expired. */
async function logoutThroughApi(api: string, accessToken: string | undefined, refreshToken: string | undefined, username?: string): Promise<void> {
  const fresh = async () => (await backend.refresh(api, refreshToken!, username)).access_token;
  try {
    try {
      await backend.logout(api, accessToken ?? (await fresh()), refreshToken);
    } catch (err) {
      const expired = err instanceof BackendError && err.code === "token_expired";
      if (!(expired && accessToken && refreshToken)) throw err;
      await backend.logout(api, await fresh(), refreshToken);
    }
  } catch (err) {
    // Unreachable: say so and stop; falling back to Cognito alone would leave the token valid there.
    if (err instanceof BackendError && err.status === undefined) {
      throw new CliError(`${err.message}; not signed out (--cognito-only signs out of Cognito alone)`);
    }
    throw err;
  }
}

async function whoami(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { token: { type: "string" }, json: { type: "boolean" }, api: { type: "string" } } });
  const token = values.token ?? (await loadSession())?.access_token;
  if (!token) throw new CliError("whoami needs --token or a session saved with login --save");
  if (values.api) {
    const me = await backend.me(values.api, token);
    process.stdout.write(values.json ? `${JSON.stringify(me, null, 2)}\n` : `${me.username}\n  email: ${me.email ?? ""}\n  groups: ${me.groups.join(", ")}\n`);
    return;
  }
  const target = await resolveTarget();
  const user = await withCognito(target, (cognito) => getUser(cognito, token));
  if (values.json) process.stdout.write(`${JSON.stringify(user, null, 2)}\n`);
  else process.stdout.write(`${user.username}\n${Object.entries(user.attributes).map(([k, v]) => `  ${k}: ${v}`).join("\n")}\n`);
}

/** Where service-token asks: the configured pool (COGNITO_USER_POOL_ID, COGNITO_DOMAIN), else the dev stack's. */
async function serviceTarget(): Promise<{ settings: CognitoEndpointSettings; userPoolId: string; tokenEndpoint: string; clientId?: string | undefined }> {
  const env = processEnv();
  const configured = ["COGNITO_USER_POOL_ID", "COGNITO_CLIENT_IDS", "COGNITO_ENDPOINT"].some((name) => env[name]);
  if (!configured) {
    const stack = await readDevStack(loadDevConfig(env).dataDir);
    if (!stack) throw new CliError("no Cognito settings: set COGNITO_USER_POOL_ID and COGNITO_DOMAIN, or start the dev stack with npm start");
    return {
      settings: loadCognitoEndpoint({ ...env, COGNITO_ENDPOINT: stack.endpoint }, stack.user_pool_id),
      userPoolId: stack.user_pool_id,
      tokenEndpoint: `${stack.endpoint}/oauth2/token`,
      clientId: stack.service_client_id,
    };
  }
  const userPoolId = env.COGNITO_USER_POOL_ID;
  if (!userPoolId) throw new CliError("service-token needs COGNITO_USER_POOL_ID");
  const settings = loadCognitoEndpoint(env, userPoolId);
  // AWS serves /oauth2/token only on the pool's domain; the emulator serves it on its own URL.
  const domain = env.COGNITO_DOMAIN ? checkServiceUrl("COGNITO_DOMAIN", env.COGNITO_DOMAIN) : settings.useDummyCredentials ? settings.endpoint : undefined;
  if (!domain) throw new CliError("service-token needs COGNITO_DOMAIN: the pool's domain (https://<prefix>.auth.<region>.amazoncognito.com), where its token endpoint is");
  return { settings, userPoolId, tokenEndpoint: `${domain.replace(/\/+$/, "")}/oauth2/token` };
}

async function serviceToken(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { scope: { type: "string" }, "client-id": { type: "string" }, json: { type: "boolean" } } });
  const target = await serviceTarget();
  const token = await withCognito({ settings: target.settings, client: { userPoolId: target.userPoolId, clientId: "" } }, async (cognito) => {
    const clientId = values["client-id"] ?? target.clientId ?? (await findClient(cognito, target.userPoolId, "service"));
    if (!clientId) throw new CliError(`pool ${target.userPoolId} has no app client named "service"; run provision, or pass --client-id`);
    const secret = await clientSecret(cognito, target.userPoolId, clientId);
    return clientCredentialsToken(target.tokenEndpoint, { clientId, clientSecret: secret }, values.scope);
  });
  process.stdout.write(values.json ? `${JSON.stringify(token, null, 2)}\n` : `${token.access_token}\n`);
}

async function provisionCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      "pool-name": { type: "string", default: "vrms-dev" },
      "callback-url": { type: "string", default: "http://localhost:8000/admin" },
      "web-callback-url": { type: "string", multiple: true },
      "resource-server": { type: "string", default: DEFAULT_RESOURCE_SERVER },
      "demo-users": { type: "boolean" },
      "self-sign-up": { type: "boolean" },
      fix: { type: "boolean" },
    },
  });
  const settings = loadCognitoEndpoint(processEnv());
  const cognito = createCognitoClient(settings);
  try {
    const result = await provision(cognito, {
      endpoint: settings.endpoint,
      poolName: values["pool-name"],
      callbackUrl: values["callback-url"],
      webCallbackUrls: values["web-callback-url"] ?? [],
      resourceServer: values["resource-server"],
      demoUsers: values["demo-users"] ? DEMO_USERS : [],
      selfSignUp: values["self-sign-up"] === true,
      fix: values.fix === true,
      // Progress on stderr: stdout is the KEY=VALUE lines alone, for `>> .env` or `eval`.
      onCreate: (what) => process.stderr.write(`created ${what}\n`),
      onDrift: (drift, fixed) => process.stderr.write(`${fixed ? "corrected" : "differs"}: ${describeDrift(drift)}\n`),
    });
    if (result.created.length === 0 && result.drift.length === 0) process.stderr.write("nothing to create or correct: everything exists as provision sets it\n");
    process.stdout.write(
      `COGNITO_USER_POOL_ID=${result.userPoolId}\nCOGNITO_CLIENT_IDS=${result.clientId},${result.webClientId}\n` +
        `COGNITO_SERVICE_CLIENT_IDS=${result.serviceClientId}\nCOGNITO_RESOURCE_SERVER=${values["resource-server"]}\n`,
    );
    if (result.drift.length > 0 && !result.fixed) {
      throw new CliError(`${result.drift.length} setting(s) differ from what provision sets (listed above); run provision again with --fix to correct them`);
    }
  } finally {
    cognito.destroy();
  }
}

/** The pool an import writes: COGNITO_USER_POOL_ID (no app client needed), else the dev stack's. */
async function importTarget(): Promise<ImportTarget> {
  const env = processEnv();
  const userPoolId = env.COGNITO_USER_POOL_ID;
  if (userPoolId) return { settings: loadCognitoEndpoint(env, userPoolId), userPoolId };
  if (!env.COGNITO_ENDPOINT && !env.COGNITO_CLIENT_IDS) {
    const stack = await readDevStack(loadDevConfig(env).dataDir);
    if (!stack) throw new CliError("no Cognito settings: set COGNITO_USER_POOL_ID (and COGNITO_ENDPOINT for an emulator), or run npm start once to set up the dev stack");
    return { settings: loadCognitoEndpoint({ ...env, COGNITO_ENDPOINT: stack.endpoint }, stack.user_pool_id), userPoolId: stack.user_pool_id, devStackEndpoint: stack.endpoint };
  }
  const target = await resolveTarget();
  return { settings: target.settings, userPoolId: target.client.userPoolId };
}

async function withCognito<T>(target: Target, fn: (cognito: CognitoIdentityProviderClient) => Promise<T>): Promise<T> {
  const cognito = createCognitoClient(target.settings, { maxAttempts: 1, timeoutMs: 10_000 });
  try {
    return await fn(cognito);
  } finally {
    cognito.destroy();
  }
}

/** The emulator does not implement every sign-out operation; a missing one is no failure here. */
async function tolerateUnsupported(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (cognitoRefusal(err) !== "unsupported") throw err;
  }
}

/** One line a person can act on, never a stack trace, never a secret. */
function describeError(err: unknown): string {
  if (err instanceof CliError || err instanceof ConfigError || err instanceof BackendError || err instanceof TokenEndpointError) return err.message;
  if (err instanceof InputError || err instanceof ImportUsageError || err instanceof DevStackRunning || err instanceof PgliteBusyError) return err.message;
  if (err instanceof ChallengeRequired) return `sign-in needs a ${err.challenge} challenge, which the CLI cannot answer yet`;
  if (err instanceof Error) {
    switch (cognitoRefusal(err)) {
      case "bad_credentials":
        return "sign-in failed: incorrect username or password (or the token is no longer valid)";
      case "not_confirmed":
        return "sign-in failed: the user is not confirmed";
      case "password_reset_required":
        return "sign-in failed: the user must reset their password";
      case "code_mismatch":
        return "sign-in failed: the code is not correct";
      default:
        if (err.name === "TypeError" && /fetch|ECONNREFUSED/i.test(err.message)) return "cannot reach Cognito; is the dev stack (npm start) running?";
    }
    const code = (err as { code?: string }).code;
    if (code === "ECONNREFUSED" || /ECONNREFUSED/.test(err.message)) return "cannot reach Cognito; is the dev stack (npm start) running?";
    if (err instanceof SyntaxError) return `bad input: ${err.message}`;
    return `${err.name}: ${err.message.split("\n")[0]}`;
  }
  return String(err);
}

const commands: Record<string, (args: string[]) => Promise<void>> = {
  login,
  refresh,
  logout,
  whoami,
  "service-token": serviceToken,
  provision: provisionCommand,
  import: (args) => importCommand(args, importTarget),
};

async function main(argv: string[]): Promise<void> {
  const invocation = parseInvocation(argv, HELP, Object.keys(commands), VERSION);
  if ("print" in invocation) {
    process.stdout.write(`${invocation.print}\n`);
    return;
  }
  await commands[invocation.command]!(invocation.args).catch((err: unknown) => {
    throw asUsageError(err, invocation.command);
  });
}

try {
  await main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(err instanceof UsageError ? `${usageLine(err)}\n` : `error: ${describeError(err)}\n`);
  // Unreadable import input is 2 as well, as the import's usage says (nothing was written).
  process.exitCode = err instanceof UsageError ? EXIT_USAGE_ERROR : err instanceof InputError ? err.exitCode : EXIT_RUNTIME_ERROR;
}

