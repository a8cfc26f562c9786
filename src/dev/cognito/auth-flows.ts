// Which sign-in flows an app client allows, as Cognito decides it; cognito-local allows them all,
// so an app that works against the dev stack could fail against its real pool.
import type { AppClient } from "./cognito-local.ts";
import { invalidParameter } from "./deps.ts";

// The ALLOW_ setting each flow needs, and the legacy names that also grant it.
const NEEDS: Record<string, string[]> = {
  USER_SRP_AUTH: ["ALLOW_USER_SRP_AUTH"],
  USER_PASSWORD_AUTH: ["ALLOW_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH"],
  ADMIN_USER_PASSWORD_AUTH: ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"],
  ADMIN_NO_SRP_AUTH: ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"],
  REFRESH_TOKEN_AUTH: ["ALLOW_REFRESH_TOKEN_AUTH"],
  REFRESH_TOKEN: ["ALLOW_REFRESH_TOKEN_AUTH"],
  CUSTOM_AUTH: ["ALLOW_CUSTOM_AUTH", "CUSTOM_AUTH_FLOW_ONLY"],
};

// AWS: a client created without ExplicitAuthFlows supports these.
const DEFAULT_FLOWS = ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"];

export function assertFlowAllowed(client: AppClient, flow: unknown): void {
  const allowed = client.ExplicitAuthFlows?.length ? client.ExplicitAuthFlows : DEFAULT_FLOWS;
  const needs = typeof flow === "string" ? NEEDS[flow] : undefined;
  if (!needs) return; // the engine answers flows it does not know
  if (!needs.some((setting) => allowed.includes(setting))) throw invalidParameter(`${String(flow)} flow not enabled for this client`);
}

export const isRefreshFlow = (flow: unknown) => flow === "REFRESH_TOKEN_AUTH" || flow === "REFRESH_TOKEN";
