// Queries on the users table; nothing else in the server writes SQL for users.
import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { users, type User } from "./schema.ts";

export interface NewUser {
  cognitoSub: string;
  username: string;
  email?: string | null;
  emailVerified?: boolean;
}

export interface CognitoFields {
  username?: string;
  email?: string | null;
  emailVerified?: boolean;
}

export class UserRepository {
  constructor(private readonly db: Db) {}

  async findBySub(sub: string): Promise<User | undefined> {
    const rows = await this.db.select().from(users).where(eq(users.cognitoSub, sub)).limit(1);
    return rows[0];
  }

  /**
   * One statement, safe under any concurrency on any number of instances: the loser of a race
   * for the same sub gets the winner's row (the no-op update makes RETURNING yield it).
   */
  async createOrGet(user: NewUser): Promise<User> {
    const rows = await this.db
      .insert(users)
      .values(user)
      .onConflictDoUpdate({ target: users.cognitoSub, set: { cognitoSub: sql`excluded.cognito_sub` } })
      .returning();
    return rows[0]!;
  }

  async updateCognitoFields(id: string, fields: CognitoFields): Promise<User | undefined> {
    const rows = await this.db
      .update(users)
      .set({ ...fields, updatedAt: sql`now()` })
      .where(eq(users.uuid, id))
      .returning();
    return rows[0];
  }

  /**
   * Claims this user's Cognito lookup for the next `intervalSeconds` across every instance;
   * false when another request made one within that interval.
   */
  async claimCognitoCheck(id: string, intervalSeconds: number): Promise<boolean> {
    const rows = await this.db
      .update(users)
      .set({ cognitoCheckedAt: sql`now()` })
      .where(
        and(
          eq(users.uuid, id),
          or(isNull(users.cognitoCheckedAt), lt(users.cognitoCheckedAt, sql`now() - make_interval(secs => ${intervalSeconds})`)),
        ),
      )
      .returning({ uuid: users.uuid });
    return rows.length > 0;
  }

  /** Writes last_login only when it is older than `intervalSeconds`, not on every request. */
  async touchLastLogin(id: string, intervalSeconds: number): Promise<Date | undefined> {
    const rows = await this.db
      .update(users)
      .set({ lastLogin: sql`now()` })
      .where(
        and(eq(users.uuid, id), or(isNull(users.lastLogin), lt(users.lastLogin, sql`now() - make_interval(secs => ${intervalSeconds})`))),
      )
      .returning({ lastLogin: users.lastLogin });
    return rows[0]?.lastLogin ?? undefined;
  }
}
