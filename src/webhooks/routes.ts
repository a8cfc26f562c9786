// /api/v1/webhooks and /api/v1/events: subscriptions (global administrators, and services with
// webhooks.write, each of which sees and changes only its own), their deliveries, and the feed of
// events for apps that cannot receive webhooks.
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance, FastifyRequest, onRequestHookHandler, preValidationHookHandler } from "fastify";
import { Type } from "typebox";
import { requirePermission } from "../authz/guards.ts";
import { principalName, principalOf, type Principal } from "../authz/principal.ts";
import { renderEvent, type Viewer } from "../events/render.ts";
import type { Delivery, Subscription } from "../events/tables.ts";
import { ApiProblem, conflict, invalidField, notFound } from "../http/problem.ts";
import { BEARER, CONFLICT, GONE, JSON_BODY, NOT_FOUND, PERMISSION_CHECKED, problems, QUERY_STRING, SIGNED_IN } from "../http/problem-schema.ts";
import type { Handler } from "../http/typed-route.ts";
import type { WebhookRepository } from "./repository.ts";
import { storedUrl, unsafeUrl } from "./safe-url.ts";
import { sharedRuns } from "./shared-runs.ts";
import {
  DeliveriesQuerySchema,
  DeliveryParamsSchema,
  DeliverySchema,
  FeedQuerySchema,
  FeedSchema,
  SecretSchema,
  SubscriptionCreatedSchema,
  SubscriptionCreateSchema,
  SubscriptionParamsSchema,
  SubscriptionSchema,
  SubscriptionUpdateSchema,
  type DeliveryJson,
  type SubscriptionJson,
} from "./http-schemas.ts";
import { newSecret } from "./signing.ts";

export interface WebhookRoutesDeps {
  authenticate: onRequestHookHandler;
  loadPrincipal: preValidationHookHandler;
  webhooks: WebhookRepository;
  allowHttpLoopback: boolean;
  retentionDays: number;
  audit: (request: FastifyRequest, action: string, target: string, details?: Record<string, unknown>) => void;
}

/**
 * Each owner's subscriptions: every change writes one delivery row per subscription that wants it,
 * in the change's own transaction, so their number is what a change costs.
 */
export const MAX_SUBSCRIPTIONS_PER_OWNER = 20;

/** How long a rotated-out secret still signs. */
export const SECRET_OVERLAP_SECONDS = 24 * 60 * 60;

const tags = ["webhooks"];
const service = { service: "webhooks.write" as const };
const createSchema = {
  tags, operationId: "createWebhook", summary: "Subscribe a URL to events; the answer carries the signing secret, this once", security: BEARER, body: SubscriptionCreateSchema,
  response: { 201: SubscriptionCreatedSchema, ...problems(SIGNED_IN, PERMISSION_CHECKED, JSON_BODY, CONFLICT) },
};
const listSchema = {
  tags, operationId: "listWebhooks", summary: "Subscriptions (a service: its own; a global administrator: all)", security: BEARER,
  response: { 200: Type.Array(SubscriptionSchema), ...problems(SIGNED_IN, PERMISSION_CHECKED) },
};
const getSchema = {
  tags, operationId: "getWebhook", summary: "A subscription", security: BEARER, params: SubscriptionParamsSchema,
  response: { 200: SubscriptionSchema, ...problems(SIGNED_IN, PERMISSION_CHECKED, NOT_FOUND) },
};
const patchSchema = {
  tags, operationId: "updateWebhook", summary: "Change a subscription's URL, events, description, or enable it again", security: BEARER, params: SubscriptionParamsSchema, body: SubscriptionUpdateSchema,
  response: { 200: SubscriptionSchema, ...problems(SIGNED_IN, PERMISSION_CHECKED, JSON_BODY, NOT_FOUND) },
};
const deleteSchema = {
  tags, operationId: "deleteWebhook", summary: "Delete a subscription and its deliveries", security: BEARER, params: SubscriptionParamsSchema,
  response: { 204: { type: "null", description: "Deleted" }, ...problems(SIGNED_IN, PERMISSION_CHECKED, NOT_FOUND) },
};
const rotateSchema = {
  tags, operationId: "rotateWebhookSecret", summary: "A new signing secret; the old one keeps signing too for 24 h", security: BEARER, params: SubscriptionParamsSchema,
  response: { 200: SecretSchema, ...problems(SIGNED_IN, PERMISSION_CHECKED, NOT_FOUND) },
};
const deliveriesSchema = {
  tags, operationId: "listWebhookDeliveries", summary: "A subscription's deliveries, newest first", security: BEARER, params: SubscriptionParamsSchema, querystring: DeliveriesQuerySchema,
  response: { 200: Type.Array(DeliverySchema), ...problems(SIGNED_IN, PERMISSION_CHECKED, QUERY_STRING, NOT_FOUND) },
};
const replaySchema = {
  tags, operationId: "replayWebhookDelivery", summary: "Deliver an event again (a failed delivery, or one delivered)", security: BEARER, params: DeliveryParamsSchema,
  response: { 202: DeliverySchema, ...problems(SIGNED_IN, PERMISSION_CHECKED, NOT_FOUND, CONFLICT) },
};
const feedSchema = {
  tags: ["events"], operationId: "listEvents", summary: "Events, oldest first, after a cursor (410 when it is older than the retention)", security: BEARER, querystring: FeedQuerySchema,
  response: { 200: FeedSchema, ...problems(SIGNED_IN, PERMISSION_CHECKED, QUERY_STRING, GONE) },
};

/** Events a feed request's sequencer run positions at most (milliseconds of work, well inside any statement timeout). */
const FEED_SEQUENCE_BATCH = 1000;

const iso = (date: Date | null) => (date ? date.toISOString() : null);

function toSubscriptionJson(s: Subscription): SubscriptionJson {
  const overlap = s.previousSecretExpiresAt && s.previousSecretExpiresAt.getTime() > Date.now() ? s.previousSecretExpiresAt.toISOString() : null;
  return {
    uuid: s.uuid,
    url: s.url,
    events: s.eventTypes,
    description: s.description,
    enabled: s.enabled,
    disabled_reason: s.disabledReason,
    failing_since: iso(s.failingSince),
    owner: s.owner,
    previous_secret_expires_at: overlap,
    created_at: s.createdAt.toISOString(),
    updated_at: s.updatedAt.toISOString(),
  };
}

function toDeliveryJson(d: Delivery & { eventUuid: string; eventType: string }): DeliveryJson {
  return {
    uuid: d.uuid,
    event: d.eventUuid,
    event_type: d.eventType,
    state: d.state as DeliveryJson["state"],
    attempts: d.attempts,
    next_attempt_at: d.state === "pending" ? d.nextAttemptAt.toISOString() : null,
    last_attempt_at: iso(d.lastAttemptAt),
    last_status: d.lastStatus,
    last_error: d.lastError,
    delivered_at: iso(d.deliveredAt),
  };
}

/** Whose subscriptions the caller manages: a service its own; a global administrator everyone's (undefined). */
function ownerFilter(principal: Principal): string | undefined {
  if (principal.kind === "service") return principalName(principal);
  requirePermission(principal.isAdmin, "Webhooks are managed by global administrators and by services holding webhooks.write.");
  return undefined;
}

/** A service's API scopes, kept with its subscriptions: what their payloads may show. */
const scopesOf = (principal: Principal): string[] => (principal.kind === "service" ? [...principal.scopes].sort() : []);

/** The URL to store, or a 400 naming why it may not be used. */
function checkedUrl(url: string, allowHttpLoopback: boolean): string {
  const why = unsafeUrl(url, allowHttpLoopback);
  if (why) throw invalidField("url", why);
  return storedUrl(url);
}

export async function webhookRoutes(fastify: FastifyInstance, deps: WebhookRoutesDeps): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const signedIn = { onRequest: deps.authenticate, preValidation: deps.loadPrincipal, config: service };
  const { webhooks } = deps;

  const owned = async (request: FastifyRequest, uuid: string): Promise<{ principal: Principal; subscription: Subscription }> => {
    const principal = principalOf(request);
    const subscription = await webhooks.find(uuid, ownerFilter(principal));
    if (!subscription) throw notFound("No such webhook subscription.");
    return { principal, subscription };
  };

  const create: Handler<typeof createSchema> = async (request, reply) => {
    const principal = principalOf(request);
    ownerFilter(principal);
    const url = checkedUrl(request.body.url, deps.allowHttpLoopback);
    const secret = newSecret();
    const created = await webhooks.create(
      {
        owner: principalName(principal),
        ownerScopes: scopesOf(principal),
        url,
        eventTypes: request.body.events,
        description: request.body.description ?? "",
        enabled: request.body.enabled ?? true,
        secret,
      },
      MAX_SUBSCRIPTIONS_PER_OWNER,
    );
    if (!created) throw conflict(`You have ${MAX_SUBSCRIPTIONS_PER_OWNER} webhook subscriptions, the most one owner may: delete one, or subscribe one URL to more events.`);
    deps.audit(request, "webhook.create", created.uuid, { events: created.eventTypes });
    return reply.code(201).send({ ...toSubscriptionJson(created), secret });
  };

  const list: Handler<typeof listSchema> = async (request) => (await webhooks.list(ownerFilter(principalOf(request)))).map(toSubscriptionJson);

  const get: Handler<typeof getSchema> = async (request) => toSubscriptionJson((await owned(request, request.params.uuid)).subscription);

  const patch: Handler<typeof patchSchema> = async (request) => {
    const { principal, subscription } = await owned(request, request.params.uuid);
    const body = request.body;
    const url = body.url === undefined ? undefined : checkedUrl(body.url, deps.allowHttpLoopback);
    const updated = await webhooks.update(subscription.uuid, {
      ...(url !== undefined ? { url } : {}),
      ...(body.events !== undefined ? { eventTypes: body.events } : {}),
      ...(body.description !== undefined ? { description: body.description } : {}),
      ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
      // Its owner's scopes as they are now (an administrator's change keeps the service's).
      ...(principal.kind === "service" ? { ownerScopes: scopesOf(principal) } : {}),
    });
    if (!updated) throw notFound("No such webhook subscription.");
    deps.audit(request, "webhook.update", subscription.uuid, { fields: Object.keys(body) });
    return toSubscriptionJson(updated);
  };

  const remove: Handler<typeof deleteSchema> = async (request, reply) => {
    const { subscription } = await owned(request, request.params.uuid);
    if (!(await webhooks.delete(subscription.uuid))) throw notFound("No such webhook subscription.");
    deps.audit(request, "webhook.delete", subscription.uuid);
    return reply.code(204).send();
  };

  const rotate: Handler<typeof rotateSchema> = async (request) => {
    const { subscription } = await owned(request, request.params.uuid);
    const secret = newSecret();
    const rotated = await webhooks.rotateSecret(subscription.uuid, secret, SECRET_OVERLAP_SECONDS);
    if (!rotated) throw notFound("No such webhook subscription.");
    deps.audit(request, "webhook.rotate_secret", subscription.uuid);
    return { secret, previous_secret_expires_at: rotated.previousSecretExpiresAt!.toISOString() };
  };

  const deliveries: Handler<typeof deliveriesSchema> = async (request) => {
    const { subscription } = await owned(request, request.params.uuid);
    return (await webhooks.deliveries(subscription.uuid, request.query.state, request.query.limit ?? 50)).map(toDeliveryJson);
  };

  const replay: Handler<typeof replaySchema> = async (request, reply) => {
    const { subscription } = await owned(request, request.params.uuid);
    const replayed = await webhooks.replay(subscription.uuid, request.params.delivery);
    if (!replayed) throw notFound("No such delivery of this subscription.");
    if (replayed === "in_flight") throw conflict("This delivery is being attempted right now; replay it once the attempt has ended (within a minute).");
    deps.audit(request, "webhook.replay", subscription.uuid, { delivery: replayed.uuid });
    const [listed] = (await webhooks.deliveries(subscription.uuid, undefined, 1, replayed.id + 1)).filter((d) => d.id === replayed.id);
    return reply.code(202).send(toDeliveryJson(listed!));
  };

  const sequenceForFeed = sharedRuns(() => webhooks.sequence(true, FEED_SEQUENCE_BATCH));
  const feed: Handler<typeof feedSchema> = async (request) => {
    const principal = principalOf(request);
    ownerFilter(principal);
    const viewer: Viewer = principal.kind === "service" ? { kind: "service", scopes: principal.scopes } : { kind: "admin" };
    const { after, limit = 100 } = request.query;
    // Events committed before this request get their positions first, so the page includes them;
    // a bounded run: numbering a whole backlog in one statement outlasts the statement timeout, and
    // every reader waiting behind it would too (the rest of a backlog follows on later pages).
    await sequenceForFeed();
    let afterPosition = 0;
    if (after !== undefined) {
      const found = await webhooks.cursor(after, deps.retentionDays);
      if (found === undefined) {
        throw new ApiProblem(410, "gone", `No event ${after} is kept: it is older than the retention (${deps.retentionDays} days) or was never one. Read again without \`after\` (from the oldest kept).`);
      }
      // Not numbered yet: it will be above every event listed so far, so nothing follows it yet.
      if (found === "unpositioned") return { events: [], next_cursor: after };
      afterPosition = found;
    }
    const rows = await webhooks.feed(afterPosition, limit, deps.retentionDays);
    const events = rows.map((event) => renderEvent(event, viewer));
    return { events, next_cursor: events.at(-1)?.id ?? after ?? null };
  };

  app.post("/api/v1/webhooks", { ...signedIn, schema: createSchema }, create);
  app.get("/api/v1/webhooks", { ...signedIn, schema: listSchema }, list);
  app.get("/api/v1/webhooks/:uuid", { ...signedIn, schema: getSchema }, get);
  app.patch("/api/v1/webhooks/:uuid", { ...signedIn, schema: patchSchema }, patch);
  app.delete("/api/v1/webhooks/:uuid", { ...signedIn, schema: deleteSchema }, remove);
  app.post("/api/v1/webhooks/:uuid/rotate-secret", { ...signedIn, schema: rotateSchema }, rotate);
  app.get("/api/v1/webhooks/:uuid/deliveries", { ...signedIn, schema: deliveriesSchema }, deliveries);
  app.post("/api/v1/webhooks/:uuid/deliveries/:delivery/replay", { ...signedIn, schema: replaySchema }, replay);
  app.get("/api/v1/events", { ...signedIn, schema: feedSchema }, feed);
}
