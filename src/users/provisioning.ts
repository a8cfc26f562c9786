// Where a user is created: a verified token → the local user, on the first request of a new sub.
import type { FastifyBaseLogger } from "fastify";
import type { VerifiedToken } from "../auth/verifier.ts";
import type { User } from "./tables.ts";
import { ProfileCache } from "./profile-cache.ts";
import type { CognitoFields, UserRepository } from "./repository.ts";

export interface CognitoAttributes {
  email?: string;
  emailVerified?: boolean;
  givenName?: string;
  familyName?: string;
}

/** Cognito's view of a user's attributes, read with the user's own access token (GetUser). */
export interface UserAttributeSource {
  getUserAttributes(accessToken: string): Promise<CognitoAttributes>;
}

// Access tokens carry no email; asking Cognito on every request would be slow and rate-limited.
const COGNITO_CHECK_INTERVAL_SECONDS = 5 * 60;
const LAST_LOGIN_INTERVAL_SECONDS = 60;

/** Told of every row this instance inserts (authz/grant-cache.ts: a new user holds no grants). */
export interface NewUserListener {
  /** Before the INSERT; the function it returns is called with the uuid of a row it inserted. */
  expectNew(): (uuid: string) => void;
}

export class UserProvisioning {
  constructor(
    private readonly repo: UserRepository,
    private readonly attributes: UserAttributeSource | undefined,
    private readonly log: FastifyBaseLogger,
    private readonly cache: ProfileCache = new ProfileCache(0),
    private readonly newUsers?: NewUserListener,
  ) {}

  /**
   * The caller's local user, created or brought up to date with Cognito as needed. Synchronous
   * (no I/O, no promise) when the cache holds the user and nothing is due: the hot path.
   */
  userFor(token: VerifiedToken, rawToken: string): User | Promise<User> {
    const cached = this.cache.get(token.sub);
    if (cached && !this.lastLoginDue(cached)) {
      const drift = this.cognitoDrift(cached, token);
      if (!drift.lookUp && Object.keys(drift.changes).length === 0) return cached;
    }
    return this.bringUpToDate(cached, token, rawToken);
  }

  private async bringUpToDate(cached: User | undefined, token: VerifiedToken, rawToken: string): Promise<User> {
    let user =
      cached ?? (await this.cache.load(token.sub, () => this.repo.findBySub(token.sub))) ?? (await this.create(token, rawToken));
    // Only rows read or written just now may (re)start the cache's one-second clock.
    let fresh = user !== cached;
    const followed = await this.followCognito(user, token, rawToken);
    if (followed !== user) fresh = true;
    user = followed;
    if (this.lastLoginDue(user)) {
      const lastLogin = await this.repo.touchLastLogin(user.uuid, LAST_LOGIN_INTERVAL_SECONDS);
      // Another instance may have written it: either way it is recent now.
      user = { ...user, lastLogin: lastLogin ?? new Date() };
    }
    if (fresh) this.cache.remember(user);
    else if (user !== cached) this.cache.forget(token.sub);
    return user;
  }

  private lastLoginDue(user: User): boolean {
    return !user.lastLogin || Date.now() - user.lastLogin.getTime() >= LAST_LOGIN_INTERVAL_SECONDS * 1000;
  }

  /**
   * One INSERT … ON CONFLICT for any number of concurrent first requests, on any number of
   * instances. Only the request whose row was inserted asks Cognito for the email (access tokens
   * carry none), so a burst of first requests makes one GetUser call, not one each.
   */
  private async create(token: VerifiedToken, rawToken: string): Promise<User> {
    const lookUp = token.tokenUse === "access" && this.attributes !== undefined && hasAdminScope(token);
    const created = this.newUsers?.expectNew();
    const { user, inserted } = await this.repo.createOrGet({
      cognitoSub: token.sub,
      username: token.username,
      email: token.email ?? null,
      emailVerified: token.emailVerified ?? false,
      // User-owned from now on: seeded once, never overwritten by Cognito.
      firstName: token.givenName ?? null,
      lastName: token.familyName ?? null,
      checkingCognito: lookUp,
    });
    if (!inserted) return user;
    created?.(user.uuid);
    this.log.info({ user: user.uuid }, "user provisioned");
    if (!lookUp) return user;
    const fields = await this.lookUpAttributes(user, rawToken, true);
    if (Object.keys(fields).length === 0) return user;
    return (await this.repo.updateCognitoFields(user.uuid, fields)) ?? user;
  }

  /**
   * Cognito owns username, email and email_verified: id tokens carry them; for access tokens a
   * user without an email is looked up with GetUser (when the scope allows and one is due).
   */
  private cognitoDrift(user: User, token: VerifiedToken): { changes: CognitoFields; lookUp: boolean } {
    const changes: CognitoFields = {};
    if (token.username !== user.username) changes.username = token.username;
    if (token.tokenUse === "id") {
      if (token.email !== undefined && token.email !== user.email) changes.email = token.email;
      if (token.emailVerified !== undefined && token.emailVerified !== user.emailVerified) {
        changes.emailVerified = token.emailVerified;
      }
      return { changes, lookUp: false };
    }
    return { changes, lookUp: user.email === null && this.attributes !== undefined && hasAdminScope(token) && this.lookUpDue(user) };
  }

  private async followCognito(user: User, token: VerifiedToken, rawToken: string): Promise<User> {
    const { changes, lookUp } = this.cognitoDrift(user, token);
    // The lookup at creation failed: retried at most once per interval, across instances.
    if (lookUp && (await this.repo.claimCognitoCheck(user.uuid, COGNITO_CHECK_INTERVAL_SECONDS))) {
      Object.assign(changes, await this.lookUpAttributes(user, rawToken, false));
    }
    if (Object.keys(changes).length === 0) return user;
    return (await this.repo.updateCognitoFields(user.uuid, changes)) ?? user;
  }

  private lookUpDue(user: User): boolean {
    return !user.cognitoCheckedAt || Date.now() - user.cognitoCheckedAt.getTime() >= COGNITO_CHECK_INTERVAL_SECONDS * 1000;
  }

  private async lookUpAttributes(user: User, rawToken: string, seedNames: boolean): Promise<CognitoFields> {
    try {
      const found = await this.attributes!.getUserAttributes(rawToken);
      const fields: CognitoFields = {};
      if (found.email !== undefined) fields.email = found.email;
      if (found.emailVerified !== undefined) fields.emailVerified = found.emailVerified;
      if (seedNames && user.firstName === null && found.givenName !== undefined) fields.firstName = found.givenName;
      if (seedNames && user.lastName === null && found.familyName !== undefined) fields.lastName = found.familyName;
      return fields;
    } catch (err) {
      // The profile stands without an email; the lookup is retried after the interval.
      this.log.warn({ user: user.uuid, err: errorName(err) }, "Cognito GetUser failed; email left empty for now");
      return {};
    }
  }
}

/** GetUser needs this scope; without it a lookup would fail every time, for nothing. */
function hasAdminScope(token: VerifiedToken): boolean {
  return token.scope === undefined || token.scope.split(" ").includes("aws.cognito.signin.user.admin");
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : "unknown";
}
