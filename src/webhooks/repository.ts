// Queries on webhook subscriptions, their deliveries and the events outbox; nothing else in the
// server writes SQL for them (the triggers of migration events_webhooks write events and deliveries).
import { and, asc, count, desc, eq, gt, inArray, lt, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { isUuid } from "../permissions/repository.ts";
import { events, webhookDeliveries, webhookSubscriptions, type Delivery, type EventRow, type Subscription } from "../events/tables.ts";

export interface NewSubscription {
  owner: string;
  ownerScopes: string[];
  url: string;
  eventTypes: string[];
  description: string;
  enabled: boolean;
  secret: string;
}

export type SubscriptionChanges = Partial<Pick<Subscription, "url" | "eventTypes" | "description" | "enabled" | "ownerScopes">>;

/** A delivery claimed by this instance until its lease runs out. */
export interface Claimed {
  id: number;
  subscriptionUuid: string;
  eventId: number;
  attempts: number;
  firstAttemptAt: Date;
}

/** Rows of a raw query, on node-postgres and PGlite alike. */
async function rows<T>(db: Pick<Db, "execute">, query: ReturnType<typeof sql>): Promise<T[]> {
  return ((await db.execute(query)) as unknown as { rows: T[] }).rows;
}

export class WebhookRepository {
  /** Whether the database's connections begin at another isolation level than read committed (asked once). */
  private defaultNotReadCommitted: boolean | undefined;

  constructor(private readonly db: Db) {}

  /** The new subscription, or undefined when its owner already has `maxPerOwner`. */
  async create(subscription: NewSubscription, maxPerOwner = Number.POSITIVE_INFINITY): Promise<Subscription | undefined> {
    return this.db.transaction(async (tx) => {
      // Owners' creations one at a time, so that concurrent ones cannot pass the cap together.
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${subscription.owner}))`);
      const [held] = await tx.select({ n: count() }).from(webhookSubscriptions).where(eq(webhookSubscriptions.owner, subscription.owner));
      if ((held?.n ?? 0) >= maxPerOwner) return undefined;
      return (await tx.insert(webhookSubscriptions).values(subscription).returning())[0]!;
    });
  }

  /** `owner` undefined: any owner's (a global administrator looking). */
  async find(uuid: string, owner?: string): Promise<Subscription | undefined> {
    if (!isUuid(uuid)) return undefined;
    const where = owner === undefined ? eq(webhookSubscriptions.uuid, uuid) : and(eq(webhookSubscriptions.uuid, uuid), eq(webhookSubscriptions.owner, owner));
    return (await this.db.select().from(webhookSubscriptions).where(where).limit(1))[0];
  }

  async list(owner?: string): Promise<Subscription[]> {
    const query = this.db.select().from(webhookSubscriptions);
    return (owner === undefined ? query : query.where(eq(webhookSubscriptions.owner, owner))).orderBy(asc(webhookSubscriptions.createdAt), asc(webhookSubscriptions.uuid));
  }

  async update(uuid: string, changes: SubscriptionChanges): Promise<Subscription | undefined> {
    // Enabled again by its owner: the server's reason for disabling it no longer holds.
    const reenabled = changes.enabled === true ? { disabledReason: null, failingSince: null } : {};
    return (await this.db.update(webhookSubscriptions).set({ ...changes, ...reenabled, updatedAt: sql`now()` }).where(eq(webhookSubscriptions.uuid, uuid)).returning())[0];
  }

  async delete(uuid: string): Promise<boolean> {
    return (await this.db.delete(webhookSubscriptions).where(eq(webhookSubscriptions.uuid, uuid)).returning({ uuid: webhookSubscriptions.uuid })).length > 0;
  }

  /** The new secret signs from now on; the old one too, for `overlapSeconds`. */
  async rotateSecret(uuid: string, secret: string, overlapSeconds: number): Promise<Subscription | undefined> {
    return (
      await this.db
        .update(webhookSubscriptions)
        .set({
          previousSecret: webhookSubscriptions.secret,
          previousSecretExpiresAt: sql`now() + make_interval(secs => ${overlapSeconds})`,
          secret,
          updatedAt: sql`now()`,
        })
        .where(eq(webhookSubscriptions.uuid, uuid))
        .returning()
    )[0];
  }

  async deliveries(subscription: string, state: string | undefined, limit: number, before?: number): Promise<(Delivery & { eventUuid: string; eventType: string })[]> {
    const conditions = [eq(webhookDeliveries.subscriptionUuid, subscription)];
    if (state) conditions.push(eq(webhookDeliveries.state, state));
    if (before !== undefined) conditions.push(lt(webhookDeliveries.id, before));
    const found = await this.db
      .select({ delivery: webhookDeliveries, eventUuid: events.uuid, eventType: events.type })
      .from(webhookDeliveries)
      .innerJoin(events, eq(events.id, webhookDeliveries.eventId))
      .where(and(...conditions))
      .orderBy(desc(webhookDeliveries.id))
      .limit(limit);
    return found.map((row) => ({ ...row.delivery, eventUuid: row.eventUuid, eventType: row.eventType }));
  }

  /**
   * Back in the queue, due now, with a fresh 24 h of retries; undefined when there is no such
   * delivery, "in_flight" while an instance holds it for an attempt: clearing that lease would let
   * a second instance send it beside the first, and the first attempt's outcome be lost.
   */
  async replay(subscription: string, delivery: string): Promise<Delivery | "in_flight" | undefined> {
    if (!isUuid(delivery)) return undefined;
    const mine = and(eq(webhookDeliveries.uuid, delivery), eq(webhookDeliveries.subscriptionUuid, subscription));
    const [replayed] = await this.db
      .update(webhookDeliveries)
      .set({ state: "pending", nextAttemptAt: sql`now()`, firstAttemptAt: sql`now()`, lockedUntil: null, lockedBy: null, deliveredAt: null })
      .where(and(mine, sql`(${webhookDeliveries.lockedUntil} is null or ${webhookDeliveries.lockedUntil} < now())`))
      .returning();
    if (replayed) return replayed;
    const [held] = await this.db.select({ id: webhookDeliveries.id }).from(webhookDeliveries).where(mine).limit(1);
    return held ? "in_flight" : undefined;
  }

  // --- the delivery engine's queries -------------------------------------------------------

  /**
   * Up to `limit` due deliveries, each the oldest pending one of its (subscription, subject), leased
   * to `instance` for `leaseMs`. SKIP LOCKED lets instances claim side by side without waiting; a
   * subject whose head is leased or waiting for a retry is skipped whole, so its events go out
   * one at a time and in order. At most `perSubscription` of one subscription, and none of those in
   * `busy` (that many under way here already): a receiver that hangs for its 10 s cannot fill a
   * batch and hold every other subscription's deliveries back. Never one of `underWay` (this
   * instance's attempts still waiting for their answers, whose leases may have run out).
   */
  async claim(instance: string, limit: number, leaseMs: number, perSubscription = limit, busy: string[] = [], underWay: number[] = []): Promise<Claimed[]> {
    const claimed = await rows<{ id: string | number; subscription_uuid: string; event_id: string | number; attempts: number; first_attempt_at: string | Date }>(
      this.db,
      sql`update ${webhookDeliveries} d
          set locked_until = now() + make_interval(secs => ${leaseMs / 1000}), locked_by = ${instance}, attempts = d.attempts + 1, last_attempt_at = now()
          from (
            select ranked.id from (
              select locked.id, locked.event_id, row_number() over (partition by locked.subscription_uuid order by locked.event_id) as nth
              from (
                select c.id, c.subscription_uuid, c.event_id from ${webhookDeliveries} c
                join ${webhookSubscriptions} s on s.uuid = c.subscription_uuid and s.enabled
                where c.state = 'pending' and c.next_attempt_at <= now() and (c.locked_until is null or c.locked_until < now())
                  and not (c.subscription_uuid = any (${`{${busy.filter(isUuid).join(",")}}`}::uuid[]))
                  and not (c.id = any (${`{${underWay.filter(Number.isSafeInteger).join(",")}}`}::bigint[]))
                  and not exists (
                    select 1 from ${webhookDeliveries} p
                    where p.subscription_uuid = c.subscription_uuid and p.subject = c.subject and p.state = 'pending' and p.event_id < c.event_id
                  )
                order by c.event_id
                limit ${limit * 4}
                for update of c skip locked
              ) locked
            ) ranked
            where ranked.nth <= ${perSubscription}
            order by ranked.event_id
            limit ${limit}
          ) picked
          where d.id = picked.id
          returning d.id, d.subscription_uuid, d.event_id, d.attempts, d.first_attempt_at`,
    );
    return claimed.map((row) => ({
      id: Number(row.id),
      subscriptionUuid: row.subscription_uuid,
      eventId: Number(row.event_id),
      attempts: row.attempts,
      firstAttemptAt: new Date(row.first_attempt_at),
    }));
  }

  async eventsByIds(ids: number[]): Promise<Map<number, EventRow>> {
    if (ids.length === 0) return new Map();
    const found = await this.db.select().from(events).where(inArray(events.id, ids));
    return new Map(found.map((event) => [event.id, event]));
  }

  async subscriptionsByIds(uuids: string[]): Promise<Map<string, Subscription>> {
    if (uuids.length === 0) return new Map();
    const found = await this.db.select().from(webhookSubscriptions).where(inArray(webhookSubscriptions.uuid, uuids));
    return new Map(found.map((subscription) => [subscription.uuid, subscription]));
  }

  /** Whether a user who owns subscriptions still exists and is active (their payloads show what an administrator sees). */
  async activeUsers(uuids: string[]): Promise<Set<string>> {
    const valid = uuids.filter(isUuid);
    if (valid.length === 0) return new Set();
    const found = await rows<{ uuid: string }>(this.db, sql`select uuid from users where uuid in (${sql.join(valid.map((u) => sql`${u}::uuid`), sql`, `)}) and is_active`);
    return new Set(found.map((row) => row.uuid));
  }

  /** Only while this instance still holds the lease: one that lost it lets the new holder decide. */
  async delivered(id: number, instance: string, status: number, subscription: string): Promise<void> {
    await this.db
      .update(webhookDeliveries)
      .set({ state: "delivered", deliveredAt: sql`now()`, lockedUntil: null, lastStatus: status, lastError: null })
      .where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.lockedBy, instance)));
    await this.db.update(webhookSubscriptions).set({ failingSince: null }).where(and(eq(webhookSubscriptions.uuid, subscription), sql`${webhookSubscriptions.failingSince} is not null`));
  }

  /**
   * A failed attempt: retried after `retryInMs`, or marked failed (kept for replay) when `giveUp`.
   * A subscription failing for `disableAfterSeconds` is disabled, saying why.
   */
  async attemptFailed(id: number, instance: string, outcome: { status: number | null; error: string }, retryInMs: number, giveUp: boolean, subscription: string, disableAfterSeconds: number): Promise<boolean> {
    await this.db
      .update(webhookDeliveries)
      .set({
        state: giveUp ? "failed" : "pending",
        nextAttemptAt: sql`now() + make_interval(secs => ${retryInMs / 1000})`,
        lockedUntil: null,
        lastStatus: outcome.status,
        lastError: outcome.error.slice(0, 200),
      })
      .where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.lockedBy, instance)));
    const disabled = await this.db
      .update(webhookSubscriptions)
      .set({
        failingSince: sql`coalesce(${webhookSubscriptions.failingSince}, now())`,
        enabled: sql`not coalesce(${webhookSubscriptions.failingSince} < now() - make_interval(secs => ${disableAfterSeconds}), false) and ${webhookSubscriptions.enabled}`,
        disabledReason: sql`case when ${webhookSubscriptions.failingSince} < now() - make_interval(secs => ${disableAfterSeconds}) then 'every delivery failed since ' || to_char(${webhookSubscriptions.failingSince} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') else ${webhookSubscriptions.disabledReason} end`,
      })
      .where(eq(webhookSubscriptions.uuid, subscription))
      .returning({ enabled: webhookSubscriptions.enabled });
    return disabled[0]?.enabled === false;
  }

  /** Undelivered work: how many deliveries are pending, and how old the oldest one's event is. */
  async queue(): Promise<{ depth: number; oldestSeconds: number }> {
    const [row] = await rows<{ depth: number; oldest: number | null }>(
      this.db,
      sql`select count(*)::int as depth, extract(epoch from now() - min(e.occurred_at))::float8 as oldest
          from ${webhookDeliveries} d join ${events} e on e.id = d.event_id where d.state = 'pending'`,
    );
    return { depth: row?.depth ?? 0, oldestSeconds: row?.oldest ?? 0 };
  }

  /** Events older than the retention go, with their deliveries; a bounded batch at a time. */
  async purge(retentionDays: number, batch = 5000): Promise<number> {
    const purged = await rows<{ id: number }>(
      this.db,
      sql`delete from ${events} where id in (select id from ${events} where occurred_at < now() - make_interval(days => ${retentionDays}) order by id limit ${batch}) returning id`,
    );
    return purged.length;
  }

  // --- the feed ----------------------------------------------------------------------------

  /**
   * The sequencer (migration events_sequencer): gives committed events their feed positions, in
   * its own transaction. `wait`: behind a sequencer under way (the feed, which must see every event
   * committed before it was asked); otherwise none if one is (the dispatcher's housekeeping).
   * `limit` undefined: every such event. How many it positioned.
   */
  async sequence(wait: boolean, limit?: number): Promise<number> {
    const run = async (db: Pick<Db, "execute">) => (await rows<{ n: number }>(db, sql`select events_sequence(${limit ?? null}::int, ${wait}) as n`))[0]?.n ?? 0;
    // A database (or role) whose default isolation is repeatable read would make every run refuse
    // (the function needs each statement's fresh snapshot): there, a transaction begun read
    // committed. Elsewhere one statement, committed by the server itself: a client that stalls
    // between its statements cannot keep the sequencer's lock and hold every feed reader back.
    this.defaultNotReadCommitted ??= (await rows<{ other: boolean }>(this.db, sql`select current_setting('default_transaction_isolation') <> 'read committed' as other`))[0]?.other ?? false;
    return this.defaultNotReadCommitted ? this.db.transaction(run, { isolationLevel: "read committed" }) : run(this.db);
  }

  /**
   * The feed position of the event a cursor names, if it is still kept and younger than the
   * retention; "unpositioned" when it is, but the sequencer has not reached it yet (a webhook's
   * event id, say, while a backlog is being numbered): every position given so far is below its own.
   */
  async cursor(uuid: string, retentionDays: number): Promise<number | "unpositioned" | undefined> {
    if (!isUuid(uuid)) return undefined;
    const [row] = await this.db
      .select({ position: events.position })
      .from(events)
      .where(and(eq(events.uuid, uuid), sql`${events.occurredAt} >= now() - make_interval(days => ${retentionDays})`))
      .limit(1);
    if (!row) return undefined;
    return row.position ?? "unpositioned";
  }

  /** Positioned events after `afterPosition`, in position order (only positioned ones: `>` passes nulls by). */
  async feed(afterPosition: number, limit: number, retentionDays: number): Promise<EventRow[]> {
    return this.db
      .select()
      .from(events)
      .where(and(gt(events.position, afterPosition), sql`${events.occurredAt} >= now() - make_interval(days => ${retentionDays})`))
      .orderBy(asc(events.position))
      .limit(limit);
  }
}
