// A Cognito-shaped issuer the tests control: its own RSA keys, its JWKS over HTTP on loopback
// (counting hits, and able to fail), Cognito-shaped tokens, and a GetUser endpoint.
import { createHmac, createSign, generateKeyPairSync, randomUUID, sign, type KeyObject } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: Record<string, string>;
}

export function generateSigningKey(kid = `kid-${randomUUID().slice(0, 8)}`, modulusLength = 2048): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength });
  const jwk = publicKey.export({ format: "jwk" }) as Record<string, string>;
  return { kid, privateKey, publicJwk: { kty: "RSA", n: jwk.n!, e: jwk.e!, kid, alg: "RS256", use: "sig" } };
}

let sharedKey: SigningKey | undefined;
function processKey(): SigningKey {
  sharedKey ??= generateSigningKey();
  return sharedKey;
}

export const b64url = (data: string | Buffer): string => Buffer.from(data).toString("base64url");

/** Signs header.payload with RS256, whatever the header claims. */
export function signJwt(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject): string {
  return signJsonTexts(JSON.stringify(header), JSON.stringify(payload), key);
}

/** RS256 over JSON texts as given, for what JSON.stringify cannot write (1e999). */
export function signJsonTexts(header: string, payload: string, key: KeyObject): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const signature = createSign("RSA-SHA256").update(input).sign(key);
  return `${input}.${b64url(signature)}`;
}

/** header.payload signed with any algorithm, for algorithm-confusion attacks. */
export function signJwtWith(alg: "RS512" | "ES256" | "HS256" | "PS256", header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject | string): string {
  const input = `${b64url(JSON.stringify({ ...header, alg }))}.${b64url(JSON.stringify(payload))}`;
  let signature: Buffer;
  if (alg === "HS256") signature = createHmac("sha256", key as string).update(input).digest();
  else if (alg === "ES256") signature = sign("sha256", Buffer.from(input), { key: key as KeyObject, dsaEncoding: "ieee-p1363" });
  else if (alg === "PS256") signature = sign("sha256", Buffer.from(input), { key: key as KeyObject, padding: 6 /* RSA_PKCS1_PSS_PADDING */ });
  else signature = createSign("RSA-SHA512").update(input).sign(key as KeyObject);
  return `${input}.${b64url(signature)}`;
}

/** The claims part of a token, decoded without checks. */
export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
}

/**
 * "huge": a JWKS that declares (Content-Length) and sends 64 MiB; "endless": a chunked JWKS that
 * never ends (after 64 MiB it stops sending but keeps the response open, so that a client without
 * a cap fills its memory by that much, not by all there is). Both send as fast as the client reads,
 * and stop when it hangs up. "trickle": headers at once, then a byte of the body every 100 ms.
 */
export type JwksMode = "ok" | "down" | "garbage" | "empty" | "slow" | "huge" | "endless" | "trickle";

const HUGE_JWKS_BYTES = 64 * 1024 * 1024;

export interface MintOptions {
  use?: "access" | "id";
  claims?: Record<string, unknown>;
  /** Claims to delete from the standard set. */
  omit?: string[];
  key?: SigningKey;
  header?: Record<string, unknown>;
}

export interface TestUser {
  sub: string;
  username: string;
  email: string;
  groups?: string[];
  givenName?: string;
  familyName?: string;
}

export class TestIssuer {
  readonly poolId = "us-west-2_TestPool1";
  readonly clientId = "testclient1234567890abcdef";
  /** An app client whose tokens servers are told (COGNITO_SERVICE_CLIENT_IDS) to accept as a service. */
  readonly serviceClientId = "testservice1234567890abcd";
  /** The pool's keys; at first one RSA key shared by every issuer of this process (generating one costs up to a second). */
  keys: SigningKey[] = [processKey()];
  /** Extra JWKS entries served as they are (keys of other types and uses). */
  extraJwks: Record<string, unknown>[] = [];
  jwksMode: JwksMode = "ok";
  jwksHits = 0;
  /** Bytes of "huge" and "endless" JWKS bodies written so far, and how many are still being sent. */
  jwksBytesSent = 0;
  jwksStreams = 0;
  getUserCalls = 0;
  /** GetUser answers with a server error while true. */
  getUserFails = false;
  /** GetUser answers after this long, to hold a request in flight. */
  getUserDelayMs = 0;
  private users = new Map<string, TestUser>();
  /** Fake Cognito (sign-in operations): accounts by username, refresh tokens, calls seen. */
  private accounts = new Map<string, { user: TestUser; password: string; challenge?: string }>();
  private refreshTokens = new Map<string, { user: TestUser; originJti: string; authTime: number }>();
  revokedRefreshTokens = new Set<string>();
  cognitoCalls: string[] = [];
  /** Fake Cognito answers sign-in operations after this long (a slow pool, to hold races open). */
  cognitoDelayMs = 0;
  /** RevokeToken, GlobalSignOut and AdminUserGlobalSignOut fail with a server error while true. */
  signOutFails = false;
  /** Lifetime of the access tokens the fake Cognito issues. */
  accessTokenSeconds = 3600;
  /** What DescribeUserPoolClient answers; undefined: the operation is not implemented. */
  appClientDescription: Record<string, unknown> | undefined;
  private server: http.Server | undefined;
  private port = 0;

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get issuer(): string {
    return `${this.endpoint}/${this.poolId}`;
  }

  /** The environment a server needs to trust this issuer. */
  env(): Record<string, string> {
    return { COGNITO_USER_POOL_ID: this.poolId, COGNITO_CLIENT_IDS: this.clientId, COGNITO_ENDPOINT: this.endpoint };
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /**
   * A key under a kid this pool does not publish: its own key material, so no RSA key is generated
   * (a second or more of CPU for 20 of them); to the server only the kid matters until it is found.
   */
  unpublishedKey(): SigningKey {
    const kid = `unpublished-${randomUUID().slice(0, 8)}`;
    return { ...this.keys[0]!, kid, publicJwk: { ...this.keys[0]!.publicJwk, kid } };
  }

  newUser(overrides: Partial<TestUser> = {}): TestUser {
    const sub = overrides.sub ?? randomUUID();
    const user: TestUser = { sub, username: sub, email: `${sub.slice(0, 8)}@example.org`, ...overrides };
    this.users.set(sub, user);
    return user;
  }

  mint(user: TestUser, options: MintOptions = {}): string {
    const key = options.key ?? this.keys[0]!;
    const now = Math.floor(Date.now() / 1000);
    const use = options.use ?? "access";
    const common = {
      sub: user.sub,
      iss: this.issuer,
      origin_jti: randomUUID(),
      event_id: randomUUID(),
      token_use: use,
      auth_time: now,
      exp: now + 3600,
      iat: now,
      jti: randomUUID(),
      ...(user.groups?.length ? { "cognito:groups": user.groups } : {}),
    };
    const payload: Record<string, unknown> =
      use === "access"
        ? { ...common, version: 2, client_id: this.clientId, scope: "openid email aws.cognito.signin.user.admin", username: user.username }
        : {
            ...common,
            aud: this.clientId,
            "cognito:username": user.username,
            email: user.email,
            email_verified: true,
            given_name: user.givenName ?? "Test",
            family_name: user.familyName ?? "User",
          };
    Object.assign(payload, options.claims);
    for (const claim of options.omit ?? []) delete payload[claim];
    return signJwt({ kid: key.kid, alg: "RS256", ...options.header }, payload, key.privateKey);
  }

  /**
   * A client-credentials access token as Cognito issues it (AWS's documentation of the access
   * token: `sub` and `client_id` the app client, `scope` its custom scopes, no `username`, no groups).
   */
  mintService(options: { clientId?: string; scopes?: string[]; claims?: Record<string, unknown>; omit?: string[] } = {}): string {
    const clientId = options.clientId ?? this.serviceClientId;
    const now = Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = {
      sub: clientId,
      token_use: "access",
      scope: (options.scopes ?? []).join(" "),
      auth_time: now,
      iss: this.issuer,
      exp: now + 3600,
      iat: now,
      version: 2,
      jti: randomUUID(),
      client_id: clientId,
      ...options.claims,
    };
    for (const claim of options.omit ?? []) delete payload[claim];
    const key = this.keys[0]!;
    return signJwt({ kid: key.kid, alg: "RS256" }, payload, key.privateKey);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.method === "GET" && req.url === `/${this.poolId}/.well-known/jwks.json`) {
      this.jwksHits++;
      switch (this.jwksMode) {
        case "down":
          res.writeHead(503).end();
          return;
        case "garbage":
          res.writeHead(200, { "content-type": "application/json" }).end("<html>not json</html>");
          return;
        case "empty":
          res.writeHead(200, { "content-type": "application/json" }).end('{"keys":[]}');
          return;
        case "slow":
          setTimeout(() => res.writeHead(200).end(this.jwksBody()), 30_000).unref();
          return;
        case "trickle": {
          res.writeHead(200, { "content-type": "application/json" }).write('{"keys":[');
          this.jwksStreams++;
          const drip = setInterval(() => res.write(" "), 100);
          res.on("close", () => {
            clearInterval(drip);
            this.jwksStreams--;
          });
          return;
        }
        case "huge":
        case "endless":
          this.streamJwks(res, this.jwksMode === "huge" ? HUGE_JWKS_BYTES : undefined);
          return;
        default:
          res.writeHead(200, { "content-type": "application/json" }).end(this.jwksBody());
          return;
      }
    }
    if (req.method === "POST" && req.url === "/") {
      const target = String(req.headers["x-amz-target"]).split(".").pop() ?? "";
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        if (target === "GetUser") {
          this.getUserCalls++;
          setTimeout(() => this.getUser(body, res), this.getUserDelayMs);
          return;
        }
        this.cognitoCalls.push(target);
        const answer = (status: number, payload: unknown) =>
          res.writeHead(status, { "content-type": "application/x-amz-json-1.1" }).end(JSON.stringify(payload));
        setTimeout(() => {
          try {
            answer(200, this.fakeCognito(target, JSON.parse(body) as Record<string, unknown>));
          } catch (err) {
            const e = err as { type?: string; message: string; status?: number };
            answer(e.status ?? 400, { __type: e.type ?? "InvalidParameterException", message: e.message });
          }
        }, this.cognitoDelayMs);
      });
      return;
    }
    res.writeHead(404).end();
  }

  /** An account the fake Cognito signs in with ADMIN_USER_PASSWORD_AUTH (optionally behind a challenge). */
  addAccount(password: string, overrides: Partial<TestUser> = {}, challenge?: string): TestUser {
    const user = this.newUser(overrides);
    this.accounts.set(user.username, { user, password, ...(challenge ? { challenge } : {}) });
    return user;
  }

  private session(user: TestUser, originJti: string = randomUUID(), authTime = Math.floor(Date.now() / 1000)) {
    const refresh = `refresh-${randomUUID()}`;
    this.refreshTokens.set(refresh, { user, originJti, authTime });
    const claims = { origin_jti: originJti, auth_time: authTime, exp: Math.floor(Date.now() / 1000) + this.accessTokenSeconds };
    return {
      AuthenticationResult: {
        AccessToken: this.mint(user, { claims }),
        IdToken: this.mint(user, { use: "id", claims }),
        RefreshToken: refresh,
        ExpiresIn: this.accessTokenSeconds,
        TokenType: "Bearer",
      },
    };
  }

  /** The few operations the emulator lacks, answered as AWS's API reference shapes them. */
  private fakeCognito(target: string, input: Record<string, unknown>): unknown {
    const fail = (type: string, message: string) => Object.assign(new Error(message), { type });
    const params = (input.AuthParameters ?? {}) as Record<string, string>;
    switch (target) {
      case "AdminInitiateAuth": {
        if (input.AuthFlow === "REFRESH_TOKEN_AUTH") {
          const known = this.refreshTokens.get(params.REFRESH_TOKEN ?? "");
          if (!known || this.revokedRefreshTokens.has(params.REFRESH_TOKEN ?? "")) throw fail("NotAuthorizedException", "Invalid Refresh Token");
          const fresh = this.session(known.user, known.originJti, known.authTime) as { AuthenticationResult: Record<string, unknown> };
          delete fresh.AuthenticationResult.RefreshToken;
          return fresh;
        }
        const account = this.accounts.get(params.USERNAME ?? "");
        if (!account) throw fail("UserNotFoundException", "User does not exist.");
        if (account.password !== params.PASSWORD) throw fail("NotAuthorizedException", "Incorrect username or password.");
        if (account.challenge) return { ChallengeName: account.challenge, Session: `session-${account.user.sub}`, ChallengeParameters: {} };
        return this.session(account.user);
      }
      case "AdminRespondToAuthChallenge": {
        const responses = (input.ChallengeResponses ?? {}) as Record<string, string>;
        const account = this.accounts.get(responses.USERNAME ?? "");
        if (!account || input.Session !== `session-${account.user.sub}`) throw fail("NotAuthorizedException", "Invalid session for the user.");
        if (input.ChallengeName === "SOFTWARE_TOKEN_MFA" && responses.SOFTWARE_TOKEN_MFA_CODE !== "123456") {
          throw fail("CodeMismatchException", "Invalid code received for user");
        }
        return this.session(account.user);
      }
      case "RevokeToken":
        if (this.signOutFails) throw Object.assign(fail("InternalErrorException", "down"), { status: 500 });
        this.revokedRefreshTokens.add(String(input.Token));
        return {};
      case "GlobalSignOut":
      case "AdminUserGlobalSignOut":
        if (this.signOutFails) throw Object.assign(fail("InternalErrorException", "down"), { status: 500 });
        return {};
      case "DescribeUserPoolClient":
        if (!this.appClientDescription) throw fail("InvalidParameterException", `the fake Cognito does not implement ${target}`);
        return { UserPoolClient: { UserPoolId: this.poolId, ClientId: input.ClientId, ...this.appClientDescription } };
      default:
        throw fail("InvalidParameterException", `the fake Cognito does not implement ${target}`);
    }
  }

  /** A JSON document's start, then whitespace (still valid JSON so far) up to `length` bytes, or forever. */
  private streamJwks(res: http.ServerResponse, length: number | undefined): void {
    res.writeHead(200, { "content-type": "application/json", ...(length !== undefined ? { "content-length": String(length) } : {}) });
    this.jwksStreams++;
    let open = true;
    res.on("close", () => {
      open = false;
      this.jwksStreams--;
    });
    const head = Buffer.from('{"keys":[');
    const chunk = Buffer.alloc(64 * 1024, " ");
    let sent = 0;
    const pump = () => {
      while (open) {
        const part = sent === 0 ? head : chunk.subarray(0, Math.min(chunk.length, (length ?? HUGE_JWKS_BYTES) - sent));
        if (part.length === 0) return void (length !== undefined && res.end());
        sent += part.length;
        this.jwksBytesSent += part.length;
        if (!res.write(part)) return void res.once("drain", pump);
      }
    };
    pump();
  }

  private jwksBody(): string {
    return JSON.stringify({ keys: [...this.keys.map((k) => k.publicJwk), ...this.extraJwks] });
  }

  private getUser(body: string, res: http.ServerResponse): void {
    if (this.getUserFails) {
      res.writeHead(500, { "content-type": "application/x-amz-json-1.1" }).end(JSON.stringify({ __type: "InternalErrorException", message: "down" }));
      return;
    }
    const token = (JSON.parse(body) as { AccessToken: string }).AccessToken;
    const payload = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as { sub: string };
    const user = this.users.get(payload.sub);
    if (!user) {
      res.writeHead(400, { "content-type": "application/x-amz-json-1.1" }).end(JSON.stringify({ __type: "NotAuthorizedException", message: "Invalid Access Token" }));
      return;
    }
    res.writeHead(200, { "content-type": "application/x-amz-json-1.1" }).end(
      JSON.stringify({
        Username: user.username,
        UserAttributes: [
          { Name: "sub", Value: user.sub },
          { Name: "email", Value: user.email },
          { Name: "email_verified", Value: "true" },
          ...(user.givenName ? [{ Name: "given_name", Value: user.givenName }] : []),
          ...(user.familyName ? [{ Name: "family_name", Value: user.familyName }] : []),
        ],
      }),
    );
  }
}
