import { sql } from "drizzle-orm";
import { bigint, boolean, foreignKey, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

/**
 * The outbox: one row per change, written by triggers (migration events_webhooks) in the change's
 * own transaction, so that an event exists if and only if its change committed. Writers take no
 * shared lock. `id` is drawn after the subject's row lock, so one subject's ids follow the order its
 * changes committed (deliveries go by it); ids of different subjects need not. `position` is the
 * feed's order: set after commit by the sequencer (events_sequence, migration events_sequencer),
 * one transaction at a time, so a reader of `position > cursor` never skips one set later.
 */
export const events = pgTable(
  "events",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    uuid: uuid("uuid").notNull().unique().default(sql`gen_random_uuid()`),
    type: text("type").notNull(),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull().defaultNow(),
    /** A user's uuid, `service:<client_id>`, or null (the system). */
    actor: text("actor"),
    /** The user, project or grant uuid; a service's client id for service.signed_out. */
    subject: text("subject").notNull(),
    /** The subject's row as the change left it (as it was, for a deletion), minus internal columns. */
    snapshot: jsonb("snapshot").$type<Record<string, unknown>>().notNull(),
    /** user.updated and project.updated: the names of the fields that changed (never their values). */
    changed: text("changed").array(),
    /** The W3C traceparent of the request that made the change, when it was traced. */
    traceparent: text("traceparent"),
    /** The feed's order; null until the sequencer has seen the event committed. */
    position: bigint("position", { mode: "number" }),
  },
  (t) => [
    index("events_occurred_at_idx").on(t.occurredAt),
    uniqueIndex("events_position_idx").on(t.position),
    // The sequencer's work: committed events not yet given a position.
    index("events_unpositioned_idx").on(t.id).where(sql`${t.position} is null`),
  ],
);

/** Who listens where. Secrets are kept as the server keeps its own (server_secrets): never returned after creation, never logged. */
export const webhookSubscriptions = pgTable("webhook_subscriptions", {
  uuid: uuid("uuid").primaryKey().default(sql`gen_random_uuid()`),
  /** A user's uuid or `service:<client_id>`: the only one (besides global administrators) who sees it. */
  owner: text("owner").notNull(),
  /** A service owner's API scopes when it last created or changed the subscription: what its payloads may show. */
  ownerScopes: text("owner_scopes").array().notNull().default(sql`'{}'::text[]`),
  url: text("url").notNull(),
  eventTypes: text("event_types").array().notNull(),
  description: text("description").notNull().default(""),
  enabled: boolean("enabled").notNull().default(true),
  /** Why it was disabled by the server (failing for days); null when enabled or disabled by its owner. */
  disabledReason: text("disabled_reason"),
  secret: text("secret").notNull(),
  previousSecret: text("previous_secret"),
  previousSecretExpiresAt: timestamp("previous_secret_expires_at", { withTimezone: true }),
  /** Since when every attempt failed; null after a success. */
  failingSince: timestamp("failing_since", { withTimezone: true }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/**
 * One row per (subscription, event), written with the event. Instances claim the oldest pending
 * delivery of each (subscription, subject) with FOR UPDATE SKIP LOCKED and a lease (locked_until):
 * an instance killed mid-delivery leaves its lease to run out, and another takes the work over.
 */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    uuid: uuid("uuid").notNull().unique().default(sql`gen_random_uuid()`),
    subscriptionUuid: uuid("subscription_uuid").notNull(),
    eventId: bigint("event_id", { mode: "number" }).notNull(),
    subject: text("subject").notNull(),
    /** pending, delivered or failed (retried for 24 h, then kept for replay). */
    state: text("state").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    lockedUntil: timestamp("locked_until", { withTimezone: true }),
    lockedBy: text("locked_by"),
    /** When retries began (its creation, or its last replay): retried for 24 h from here. */
    firstAttemptAt: timestamp("first_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    lastAttemptAt: timestamp("last_attempt_at", { withTimezone: true }),
    lastStatus: integer("last_status"),
    lastError: text("last_error"),
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
  },
  (t) => [
    foreignKey({ name: "webhook_deliveries_subscription_fk", columns: [t.subscriptionUuid], foreignColumns: [webhookSubscriptions.uuid] }).onDelete("cascade"),
    foreignKey({ name: "webhook_deliveries_event_fk", columns: [t.eventId], foreignColumns: [events.id] }).onDelete("cascade"),
    // The claim: pending work by due time, and the head of each subject's queue.
    index("webhook_deliveries_due_idx").on(t.nextAttemptAt).where(sql`${t.state} = 'pending'`),
    index("webhook_deliveries_subject_idx").on(t.subscriptionUuid, t.subject, t.eventId).where(sql`${t.state} = 'pending'`),
    index("webhook_deliveries_list_idx").on(t.subscriptionUuid, t.id),
    index("webhook_deliveries_event_idx").on(t.eventId),
  ],
);

export type EventRow = typeof events.$inferSelect;
export type Subscription = typeof webhookSubscriptions.$inferSelect;
export type Delivery = typeof webhookDeliveries.$inferSelect;
