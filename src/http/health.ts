// /healthz (the process runs) and /readyz (keys, database, not draining).
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { sendProblem, unavailable } from "./problem.ts";
import { problems, UNAVAILABLE } from "./problem-schema.ts";

export interface HealthOptions {
  /**
   * Each check resolves true when ready, false (or rejects) when not, or a word for a degraded
   * state that still serves correctly ("polling"), which is reported but keeps the instance ready.
   */
  checks: Record<string, () => Promise<boolean | string>>;
  isDraining: () => boolean;
}

const CHECK_TIMEOUT_MS = 2000;

const Checks = Type.Record(Type.String(), Type.String(), { description: '"ok", "unavailable", "polling" (still ready) or, for draining, "yes"' });
const healthSchema = { tags: ["health"], operationId: "getLiveness", summary: "The process runs", response: { 200: Type.Object({ status: Type.Literal("ok") }) } };
const readySchema = {
  tags: ["health"],
  operationId: "getReadiness",
  summary: "Ready for traffic: signing keys loaded, database migrated, revocations read, not draining",
  response: { 200: Type.Object({ status: Type.Literal("ready"), checks: Checks }), ...problems(UNAVAILABLE) },
};

export async function healthRoutes(app: FastifyInstance, options: HealthOptions): Promise<void> {
  app.get("/healthz", { schema: healthSchema }, async () => ({ status: "ok" }));

  app.get("/readyz", { schema: readySchema }, async (_request, reply) => {
    const entries = await Promise.all(
      Object.entries(options.checks).map(async ([name, check]) => {
        const result = await withTimeout(check);
        return [name, result === true ? "ok" : result === false ? "unavailable" : result] as const;
      }),
    );
    const checks: Record<string, string> = Object.fromEntries(entries);
    if (options.isDraining()) checks.draining = "yes";
    const failed = Object.entries(checks).filter(([, v]) => v === "unavailable" || v === "yes").map(([k]) => k);
    if (failed.length === 0) return { status: "ready", checks };
    return sendProblem(reply, unavailable(`Not ready: ${failed.join(", ")}.`, 5, { checks }));
  });
}

async function withTimeout(check: () => Promise<boolean | string>): Promise<boolean | string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      check().catch(() => false),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
