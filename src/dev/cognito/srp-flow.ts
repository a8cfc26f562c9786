// USER_SRP_AUTH, the default sign-in of Amplify and amazon-cognito-identity-js: the password proof
// is checked here, then the engine's own USER_PASSWORD_AUTH flow runs for that user, so challenges
// (new password, MFA), triggers and tokens stay cognito-local's.
import { randomBytes, randomUUID } from "node:crypto";
import type { AppClient } from "./cognito-local.ts";
import type { Context } from "./cognito-local.ts";
import { CognitoError } from "./cognito-local.ts";
import { invalidParameter, notAuthorized, type Deps } from "./deps.ts";
import { parseA, startChallenge, verifyClaim, type SrpChallenge } from "./srp.ts";

interface Pending {
  challenge: SrpChallenge;
  clientId: string;
  /** The engine's username (the sub in an email pool); undefined for a name that has no account. */
  username: string | undefined;
  userIdForSrp: string;
  expires: number;
}

// Cognito's default AuthSessionValidity: 3 minutes between the steps of a sign-in.
const CHALLENGE_MS = 3 * 60_000;
const pending = new Map<string, Pending>();
const INCORRECT = "Incorrect username or password.";

/** SRP's pool name: the part of the pool id after the region. */
const poolName = (userPoolId: string) => userPoolId.split("_")[1] ?? userPoolId;

export async function startSrp(deps: Deps, ctx: Context, client: AppClient, params: Record<string, unknown> | undefined): Promise<unknown> {
  const name = params?.USERNAME;
  const A = typeof params?.SRP_A === "string" ? parseA(params.SRP_A) : undefined;
  if (typeof name !== "string" || !name) throw invalidParameter("Missing required parameter USERNAME");
  if (A === undefined) throw invalidParameter("SRP_A must be a hexadecimal value that is not 0 mod N");
  const pool = await deps.engine.services.cognito.getUserPoolForClientId(ctx, client.ClientId);
  const user = await pool.getUserByUsername(ctx, name);
  if (!user && client.PreventUserExistenceErrors !== "ENABLED") throw new CognitoError("UserNotFoundException", "User does not exist.");
  // With PreventUserExistenceErrors, someone with no account gets a challenge like anyone else's,
  // and the same answer as a wrong password at the end.
  const userIdForSrp = user?.Username ?? name;
  const challenge = startChallenge(A, poolName(client.UserPoolId), userIdForSrp, user?.Password ?? randomUUID());
  const secretBlock = randomBytes(64).toString("base64");
  const now = Date.now();
  for (const [key, entry] of pending) if (entry.expires <= now) pending.delete(key);
  pending.set(secretBlock, { challenge, clientId: client.ClientId, username: user?.Username, userIdForSrp, expires: now + CHALLENGE_MS });
  return {
    ChallengeName: "PASSWORD_VERIFIER",
    ChallengeParameters: { SALT: challenge.salt, SECRET_BLOCK: secretBlock, SRP_B: challenge.B, USERNAME: userIdForSrp, USER_ID_FOR_SRP: userIdForSrp },
  };
}

export async function finishSrp(deps: Deps, ctx: Context, client: AppClient, req: Record<string, unknown>): Promise<unknown> {
  const responses = (req.ChallengeResponses ?? {}) as Record<string, unknown>;
  const secretBlock = String(responses.PASSWORD_CLAIM_SECRET_BLOCK ?? "");
  const entry = pending.get(secretBlock);
  pending.delete(secretBlock);
  if (!entry || entry.expires <= Date.now() || entry.clientId !== client.ClientId) throw notAuthorized("Invalid session for the user, session is expired.");
  if (!entry.username) throw notAuthorized(INCORRECT);
  const pool = await deps.engine.services.cognito.getUserPoolForClientId(ctx, client.ClientId);
  const user = await pool.getUserByUsername(ctx, entry.username);
  const claim = {
    poolName: poolName(client.UserPoolId),
    userIdForSrp: entry.userIdForSrp,
    password: user?.Password ?? "",
    secretBlock,
    timestamp: String(responses.TIMESTAMP ?? ""),
    signature: String(responses.PASSWORD_CLAIM_SIGNATURE ?? ""),
  };
  if (!user || !verifyClaim(entry.challenge, claim)) throw notAuthorized(INCORRECT);
  if (user.Enabled === false) throw notAuthorized("User is disabled.");
  return deps.engine.route("InitiateAuth")(ctx, {
    AuthFlow: "USER_PASSWORD_AUTH",
    ClientId: client.ClientId,
    AuthParameters: { USERNAME: user.Username, PASSWORD: user.Password },
    ClientMetadata: req.ClientMetadata,
  });
}
