// TypeBox schemas of webhook subscriptions, their deliveries and the event feed.
import { Type, type Static } from "typebox";
import { EVENT_TYPES } from "../events/types.ts";
import { MAX_URL_LENGTH } from "./safe-url.ts";

const Uuid = Type.String({ format: "uuid", maxLength: 36 });
const DateTime = Type.String({ format: "date-time" });
const NullableDateTime = Type.Unsafe<string | null>({ type: ["string", "null"], format: "date-time" });
const EventTypeName = Type.Unsafe<string>({ type: "string", enum: [...EVENT_TYPES, "*"] });

const Url = Type.String({ minLength: 1, maxLength: MAX_URL_LENGTH, description: "https:// only; an address inside the server's network is refused (docs/security.md)" });
const Events = Type.Array(EventTypeName, { minItems: 1, maxItems: EVENT_TYPES.length + 1, uniqueItems: true, description: "The types to receive, or \"*\" for all" });
const Description = Type.String({ maxLength: 500 });

export const SubscriptionSchema = Type.Object({
  uuid: Uuid,
  url: Type.String(),
  events: Type.Array(Type.String()),
  description: Type.String(),
  enabled: Type.Boolean(),
  disabled_reason: Type.Unsafe<string | null>({ type: ["string", "null"], description: "Why the server disabled it (every delivery failing for days); null otherwise" }),
  failing_since: Type.Unsafe<string | null>({ type: ["string", "null"], format: "date-time", description: "When its deliveries began to fail (the first failed attempt since the last success); null while they succeed" }),
  owner: Type.String({ description: "A user's uuid or service:<client_id>" }),
  previous_secret_expires_at: Type.Unsafe<string | null>({ type: ["string", "null"], format: "date-time", description: "Until when the secret before the last rotation still signs too" }),
  created_at: DateTime,
  updated_at: DateTime,
});

export const SubscriptionCreatedSchema = Type.Intersect([
  SubscriptionSchema,
  Type.Object({ secret: Type.String({ description: "The signing secret (whsec_…), shown this once" }) }),
]);

export const SubscriptionCreateSchema = Type.Object(
  { url: Url, events: Events, description: Type.Optional(Description), enabled: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);

export const SubscriptionUpdateSchema = Type.Partial(Type.Object({ url: Url, events: Events, description: Description, enabled: Type.Boolean() }), { additionalProperties: false });

export const SecretSchema = Type.Object({
  secret: Type.String({ description: "The new signing secret (whsec_…), shown this once" }),
  previous_secret_expires_at: DateTime,
});

const DeliveryState = Type.Unsafe<"pending" | "delivered" | "failed">({ type: "string", enum: ["pending", "delivered", "failed"] });

export const DeliverySchema = Type.Object({
  uuid: Uuid,
  event: Uuid,
  event_type: Type.String(),
  state: DeliveryState,
  attempts: Type.Integer(),
  next_attempt_at: NullableDateTime,
  last_attempt_at: NullableDateTime,
  last_status: Type.Unsafe<number | null>({ type: ["integer", "null"], description: "The receiver's HTTP status at the last attempt" }),
  last_error: Type.Unsafe<string | null>({ type: ["string", "null"] }),
  delivered_at: NullableDateTime,
});

export const DeliveriesQuerySchema = Type.Object({
  state: Type.Optional(DeliveryState),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
});

export const SubscriptionParamsSchema = Type.Object({ uuid: Uuid });
export const DeliveryParamsSchema = Type.Object({ uuid: Uuid, delivery: Uuid });

export const EventSchema = Type.Object(
  {
    id: Type.String({ format: "uuid", description: "Unique, the same on every retry (the webhook-id header)" }),
    type: Type.Unsafe<string>({ type: "string", enum: [...EVENT_TYPES] }),
    occurred_at: DateTime,
    actor: Type.Unsafe<string | null>({ type: ["string", "null"], description: "A user's uuid, service:<client_id>, or null (the system, a cascade)" }),
    subject: Type.String({ description: "The user, project or grant uuid; the service's client id for service.signed_out" }),
    changed: Type.Optional(Type.Array(Type.String(), { description: "user.updated, project.updated: the names of the fields that changed (never their values)" })),
    data: Type.Record(Type.String(), Type.Unknown(), { description: "The subject as the API shows it to the subscription's owner (or the feed's reader)" }),
  },
  { $id: "Event" },
);

/** A reference to the shared Event schema (registered once with addSchema). */
export const EventRef = Type.Unsafe<Static<typeof EventSchema>>({ $ref: "Event#" });

export const FeedQuerySchema = Type.Object({
  after: Type.Optional(Type.String({ format: "uuid", maxLength: 36, description: "The last event id read (next_cursor); absent: from the oldest kept" })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
});

export const FeedSchema = Type.Object({
  events: Type.Array(EventRef),
  next_cursor: Type.Unsafe<string | null>({ type: ["string", "null"], description: "Pass as `after` to read on; null when nothing has ever been read" }),
});

export type SubscriptionJson = Static<typeof SubscriptionSchema>;
export type DeliveryJson = Static<typeof DeliverySchema>;
