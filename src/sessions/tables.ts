import { bigint, index, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Signed-out sessions, by the token's origin_jti (else jti), for as long as any token of the
 * session could still be valid: its refresh token's life plus one access token's.
 */
export const revokedSessions = pgTable(
  "revoked_sessions",
  {
    sessionId: text("session_id").primaryKey(),
    sub: text("sub").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    // The row's version: drawn again by every write to the row, so that instances read only what
    // changed since their last read (sessions/revocation-rows.ts).
    seq: bigint("seq", { mode: "number" }).notNull().generatedByDefaultAsIdentity(),
  },
  (t) => [index("revoked_sessions_seq_idx").on(t.seq), index("revoked_sessions_expires_at_idx").on(t.expiresAt)],
);

/** "Sign out everywhere": tokens of this user authenticated before this time are refused. */
export const userRevocations = pgTable(
  "user_revocations",
  {
    sub: text("sub").primaryKey(),
    tokensValidAfter: timestamp("tokens_valid_after", { withTimezone: true }).notNull(),
    seq: bigint("seq", { mode: "number" }).notNull().generatedByDefaultAsIdentity(),
  },
  (t) => [index("user_revocations_seq_idx").on(t.seq)],
);

/** Failed sign-ins per key (username and address, or address alone) in a 15-minute window. */
export const loginFailures = pgTable("login_failures", {
  key: text("key").primaryKey(),
  windowStart: timestamp("window_start", { withTimezone: true }).notNull(),
  failures: integer("failures").notNull(),
});

/** Refresh tokens of signed-out sessions (SHA-256), refused by the backend whatever Cognito says. */
export const revokedRefreshTokens = pgTable("revoked_refresh_tokens", {
  digest: text("digest").primaryKey(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
});

/**
 * Random keys made once per deployment, at migration: `throttle` keys the HMAC that names the
 * rows of login_failures, so that a copy of that table gives no address or username back.
 */
export const serverSecrets = pgTable("server_secrets", {
  name: text("name").primaryKey(),
  value: text("value").notNull(),
});
