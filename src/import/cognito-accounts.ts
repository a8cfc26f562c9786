// The pool side of an import: find accounts by email, create one without sending a message, and
// wait out Cognito's rate limits (TooManyRequestsException) with capped exponential backoff.
import { AdminCreateUserCommand, ListUsersCommand, type CognitoIdentityProviderClient, type UserType } from "@aws-sdk/client-cognito-identity-provider";
import type { CognitoAccount } from "./plan.ts";

/** Errors worth another try: throttling, Cognito's own faults, a request that timed out. */
const RETRYABLE = new Set(["TooManyRequestsException", "ThrottlingException", "InternalErrorException", "TimeoutError", "RequestTimeout"]);

export interface Backoff {
  attempts: number;
  baseMs: number;
  maxMs: number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  /** Told of every retry (counted in the report's progress). */
  onRetry?: (errorName: string) => void;
}

export const DEFAULT_BACKOFF: Backoff = {
  attempts: 8,
  baseMs: 250,
  maxMs: 20_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

function errorName(err: unknown): string {
  const e = err as { name?: string; code?: string };
  return e.name === "Error" && e.code ? e.code : (e.name ?? "Error");
}

/** `fn`, retried on the errors above after a "full jitter" delay that doubles up to maxMs. */
export async function withBackoff<T>(fn: () => Promise<T>, backoff: Backoff = DEFAULT_BACKOFF): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const name = errorName(err);
      const network = /ECONNRESET|ETIMEDOUT|EPIPE|socket hang up/.test(String((err as Error).message ?? ""));
      if (attempt >= backoff.attempts || !(RETRYABLE.has(name) || network)) throw err;
      backoff.onRetry?.(name);
      await backoff.sleep(backoff.random() * Math.min(backoff.maxMs, backoff.baseMs * 2 ** (attempt - 1)));
    }
  }
}

function toAccount(user: UserType | undefined, attributes = user?.Attributes): CognitoAccount & { email?: string } {
  const attr = (name: string) => attributes?.find((a) => a.Name === name)?.Value;
  const email = attr("email");
  return { username: user?.Username ?? "", sub: attr("sub") ?? "", ...(email ? { email } : {}) };
}

export class Accounts {
  constructor(
    private readonly cognito: CognitoIdentityProviderClient,
    private readonly userPoolId: string,
    private readonly backoff: Backoff = DEFAULT_BACKOFF,
  ) {}

  /** Every account of the pool by lower-cased email: 60 a call, whatever the number of people. */
  async all(): Promise<Map<string, CognitoAccount>> {
    const found = new Map<string, CognitoAccount>();
    let token: string | undefined;
    do {
      const page = await withBackoff(
        () => this.cognito.send(new ListUsersCommand({ UserPoolId: this.userPoolId, Limit: 60, AttributesToGet: ["email", "sub"], ...(token ? { PaginationToken: token } : {}) })),
        this.backoff,
      );
      for (const user of page.Users ?? []) {
        const account = toAccount(user);
        if (account.email && account.sub) found.set(account.email.toLowerCase(), { username: account.username, sub: account.sub });
      }
      token = page.PaginationToken;
    } while (token);
    return found;
  }

  /** The account with this email (ListUsers' filter; emails reaching here hold no quote or backslash). */
  async byEmail(email: string): Promise<CognitoAccount | undefined> {
    const out = await withBackoff(() => this.cognito.send(new ListUsersCommand({ UserPoolId: this.userPoolId, Filter: `email = "${email}"`, Limit: 2 })), this.backoff);
    const account = toAccount(out.Users?.[0]);
    return account.sub ? { username: account.username, sub: account.sub } : undefined;
  }

  /**
   * A new account, email verified, no invitation sent (people sign in by magic link or reset their
   * password); the existing one when the email has one already (an interrupted run made it).
   */
  async create(person: { email: string; firstName: string | null; lastName: string | null }): Promise<CognitoAccount> {
    const attributes = [
      { Name: "email", Value: person.email },
      { Name: "email_verified", Value: "true" },
      ...(person.firstName ? [{ Name: "given_name", Value: person.firstName }] : []),
      ...(person.lastName ? [{ Name: "family_name", Value: person.lastName }] : []),
    ];
    try {
      const out = await withBackoff(
        () => this.cognito.send(new AdminCreateUserCommand({ UserPoolId: this.userPoolId, Username: person.email, MessageAction: "SUPPRESS", UserAttributes: attributes })),
        this.backoff,
      );
      const account = toAccount(out.User);
      if (account.sub) return { username: account.username, sub: account.sub };
    } catch (err) {
      if (errorName(err) !== "UsernameExistsException") throw err;
    }
    const existing = await this.byEmail(person.email);
    if (!existing) throw new Error("Cognito neither created the account nor has one with its email");
    return existing;
  }
}
