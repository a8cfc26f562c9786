// The delivery engine. Every instance runs one: it polls for due deliveries (no LISTEN: it must
// work behind a transaction pooler), claims a batch with FOR UPDATE SKIP LOCKED and a lease
// (repository.ts claim), and posts them signed. An instance killed mid-delivery leaves its lease
// to run out (WEBHOOK_LEASE_MS, under a minute) and another instance, or itself restarted, takes
// the delivery over. On PGlite the one process runs it the same way.
//
// Deliveries of a subject go by event id, which follows that subject's commit order (migration
// events_sequencer); they do not wait for the feed's positions. The poll also runs the sequencer,
// without waiting for another instance's, so that positions keep up and the feed's own run finds
// little to do.
//
// Why not pg-boss or graphile-worker: neither runs on PGlite (both need LISTEN/NOTIFY on a
// pooled connection and advisory locks across sessions), and the per-subject order asked here
// (the oldest undelivered event of a subject first) is a query over the deliveries, not a job
// property either engine has; their default leases (15 min, 4 h) would also need overriding.
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Logger } from "pino";
import type { Database } from "../db/client.ts";
import type { EventRow, Subscription } from "../events/tables.ts";
import { renderEvent, type Viewer } from "../events/render.ts";
import type { Metrics } from "../http/metrics.ts";
import type { Spans } from "../tracing/spans.ts";
import { WebhookRepository, type Claimed } from "./repository.ts";
import { SEND_TIMEOUT_MS, WebhookSender } from "./send.ts";
import { signedHeaders } from "./signing.ts";

export interface DispatcherSettings {
  /** The first retry's delay; each next one doubles, with jitter, up to MAX_RETRY_DELAY_MS. */
  retryBaseMs: number;
  leaseMs: number;
  allowHttpLoopback: boolean;
  retentionDays: number;
  pollMs?: number;
}

const BATCH = 32;
/** Deliveries under way in one instance, and of one subscription among them. */
const MAX_IN_FLIGHT = 64;
const PER_SUBSCRIPTION = 16;
const DEFAULT_POLL_MS = 250;
const MAX_RETRY_DELAY_MS = 60 * 60 * 1000;
/** A delivery is retried for at least this long, then marked failed (replayable). */
export const RETRY_FOR_MS = 24 * 60 * 60 * 1000;
/** A subscription every delivery of which failed for this long is disabled. */
export const DISABLE_AFTER_SECONDS = 3 * 24 * 60 * 60;
const PURGE_EVERY_MS = 60 * 60 * 1000;
/** Events a poll's sequencer run positions at most (a backlog goes over several polls). */
const SEQUENCE_BATCH = 5000;

/** Exponential backoff with jitter: base·2^(n−1), capped, times a random factor in [0.5, 1). */
export function retryDelay(baseMs: number, attempt: number, random = Math.random()): number {
  return Math.round(Math.min(MAX_RETRY_DELAY_MS, baseMs * 2 ** Math.min(attempt - 1, 30)) * (0.5 + random / 2));
}

/** What a subscription's payloads may show: its owner's view (a service's scopes; an active user who made it: an administrator's). */
function viewerOf(subscription: Subscription, activeUsers: Set<string>): Viewer {
  if (subscription.owner.startsWith("service:")) return { kind: "service", scopes: new Set(subscription.ownerScopes) };
  return activeUsers.has(subscription.owner) ? { kind: "admin" } : { kind: "none" };
}

export class WebhookDispatcher {
  readonly instance = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly repository: WebhookRepository;
  private readonly sender: WebhookSender;
  private timer: NodeJS.Timeout | undefined;
  private purgeTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Batches being delivered; a poll does not wait for them (a hanging receiver holds only its own). */
  private readonly underWay = new Set<Promise<void>>();
  private readonly inFlight = new Map<string, number>();
  private inFlightTotal = 0;
  /** The ids of the deliveries this instance is attempting: never claimed again while they are. */
  private readonly attempting = new Set<number>();
  /** A delivery finished since the last poll began: there may be room, or a subject's next event, to claim. */
  private freed = false;
  private sequencedAt = 0;

  constructor(
    private readonly database: Database,
    private readonly settings: DispatcherSettings,
    private readonly log: Logger,
    private readonly metrics?: Metrics,
    private readonly spans?: Spans,
  ) {
    this.repository = new WebhookRepository(database.db);
    this.sender = new WebhookSender(settings.allowHttpLoopback);
  }

  start(): void {
    this.metrics?.webhookQueue(() => this.repository.queue());
    this.schedule(0);
    const purge = () => {
      if (!this.database.migrated) return;
      void this.repository.purge(this.settings.retentionDays).then(
        (n) => n > 0 && this.log.info({ purged: n }, "events past their retention purged"),
        () => {},
      );
    };
    this.purgeTimer = setInterval(purge, PURGE_EVERY_MS);
    this.purgeTimer.unref();
    setTimeout(purge, 1000).unref();
  }

  /** Stops claiming; deliveries under way finish (each within its 10 s). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.purgeTimer);
    await this.running;
    await Promise.all(this.underWay);
    this.sender.close();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => (this.running = undefined));
    }, ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    let claimed: Claimed[] = [];
    this.freed = false;
    const pollMs = this.settings.pollMs ?? DEFAULT_POLL_MS;
    // Once a poll interval, not on every look-again of a busy one.
    if (this.database.migrated && performance.now() - this.sequencedAt >= pollMs) {
      this.sequencedAt = performance.now();
      try {
        await this.repository.sequence(false, SEQUENCE_BATCH);
      } catch (err) {
        this.log.warn({ err: err instanceof Error ? err.name : "unknown" }, "events could not be given feed positions; retrying");
      }
    }
    try {
      const room = Math.min(BATCH, MAX_IN_FLIGHT - this.inFlightTotal);
      const busy = [...this.inFlight].filter(([, n]) => n >= PER_SUBSCRIPTION).map(([uuid]) => uuid);
      if (this.database.migrated && room > 0) claimed = await this.repository.claim(this.instance, room, this.settings.leaseMs, PER_SUBSCRIPTION, busy, [...this.attempting]);
    } catch (err) {
      this.failed(err);
    }
    if (claimed.length > 0) this.launch(claimed);
    // Work found: look again at once (a subject's next event is claimable only once the one before
    // it is delivered); none: wait for the next poll.
    this.schedule(claimed.length > 0 || this.freed ? 0 : pollMs);
  }

  private failed(err: unknown): void {
    this.log.warn({ err: err instanceof Error ? err.name : "unknown" }, "webhook deliveries could not be claimed or recorded; retrying");
  }

  /** Counts a delivery under way (+1) or done (-1), for its subscription and in all. */
  private count(subscription: string, delta: number): void {
    const n = (this.inFlight.get(subscription) ?? 0) + delta;
    if (n > 0) this.inFlight.set(subscription, n);
    else this.inFlight.delete(subscription);
    this.inFlightTotal += delta;
  }

  /** Delivers a batch without holding up the next poll; each delivery counted until it is done. */
  private launch(claimed: Claimed[]): void {
    for (const delivery of claimed) {
      this.count(delivery.subscriptionUuid, 1);
      this.attempting.add(delivery.id);
    }
    const pending = new Set(claimed);
    const done = (delivery: Claimed) => {
      if (!pending.delete(delivery)) return;
      this.attempting.delete(delivery.id);
      this.count(delivery.subscriptionUuid, -1);
      this.freed = true;
      // Waiting for the next poll: look now instead.
      if (!this.running && !this.stopped) {
        clearTimeout(this.timer);
        this.schedule(0);
      }
    };
    const batch: Promise<void> = this.deliverAll(claimed, done)
      .catch((err: unknown) => this.failed(err))
      .finally(() => {
        for (const delivery of pending) done(delivery);
        this.underWay.delete(batch);
      });
    this.underWay.add(batch);
  }

  private async deliverAll(claimed: Claimed[], done: (delivery: Claimed) => void): Promise<void> {
    const [eventsById, subscriptions] = await Promise.all([
      this.repository.eventsByIds([...new Set(claimed.map((c) => c.eventId))]),
      this.repository.subscriptionsByIds([...new Set(claimed.map((c) => c.subscriptionUuid))]),
    ]);
    const owners = [...subscriptions.values()].filter((s) => !s.owner.startsWith("service:")).map((s) => s.owner);
    const activeUsers = await this.repository.activeUsers([...new Set(owners)]);
    // One subject's deliveries are never in the same batch (only the head of each is claimed).
    await Promise.all(
      claimed.map(async (delivery) => {
        const event = eventsById.get(delivery.eventId);
        const subscription = subscriptions.get(delivery.subscriptionUuid);
        // Deleted since it was claimed (its deliveries go with it).
        try {
          if (!event || !subscription) return;
          await this.deliverOne(delivery, event, subscription, viewerOf(subscription, activeUsers));
        } finally {
          done(delivery);
        }
      }),
    );
  }

  private async deliverOne(delivery: Claimed, event: EventRow, subscription: Subscription, viewer: Viewer): Promise<void> {
    const span = this.spans?.start("webhook.deliver", { "webhook.event_type": event.type, "webhook.attempt": delivery.attempts, "webhook.subscription": subscription.uuid }, event.traceparent ?? undefined);
    const body = JSON.stringify(renderEvent(event, viewer));
    const secrets = [subscription.secret];
    if (subscription.previousSecret && subscription.previousSecretExpiresAt && subscription.previousSecretExpiresAt.getTime() > Date.now()) secrets.push(subscription.previousSecret);
    const headers = signedHeaders(secrets, event.uuid, Math.floor(Date.now() / 1000), body);
    // The attempt ends well inside its lease (another instance may take over a lease run out;
    // this one never claims its own attempts again: `attempting`).
    const outcome = await this.sender.send(subscription.url, headers, body, Math.min(SEND_TIMEOUT_MS, Math.floor((this.settings.leaseMs * 2) / 3)));
    try {
      if (outcome.ok) {
        await this.repository.delivered(delivery.id, this.instance, outcome.status, subscription.uuid);
        this.metrics?.webhookDelivery("delivered");
        span?.set("http.response.status_code", outcome.status);
        return;
      }
      const giveUp = Date.now() - delivery.firstAttemptAt.getTime() >= RETRY_FOR_MS;
      const delay = retryDelay(this.settings.retryBaseMs, delivery.attempts);
      const disabled = await this.repository.attemptFailed(delivery.id, this.instance, outcome, delay, giveUp, subscription.uuid, DISABLE_AFTER_SECONDS);
      this.metrics?.webhookDelivery(giveUp ? "failed" : "retrying");
      span?.fail();
      // No URL: a receiver's URL may carry its own secret.
      this.log.warn(
        { webhook: { subscription: subscription.uuid, event: event.uuid, attempt: delivery.attempts, status: outcome.status, error: outcome.error, retry_in_ms: giveUp ? null : delay } },
        giveUp ? "webhook delivery failed for good (replayable)" : "webhook delivery failed; will retry",
      );
      if (disabled) this.log.warn({ webhook: { subscription: subscription.uuid } }, "webhook subscription disabled: every delivery failed for days");
    } finally {
      span?.end();
    }
  }
}
