// The webhooks' payloads for the OpenAPI document (OpenAPI 3.1 `webhooks:`): one entry per event
// type, posted with the Standard Webhooks headers, its body the shared Event schema.
import type { OpenAPIV3_1 } from "openapi-types";
import { EVENT_TYPES } from "../events/types.ts";

export function webhookPayloads(): Record<string, OpenAPIV3_1.PathItemObject> {
  const signed = (name: string, description: string): OpenAPIV3_1.ParameterObject => ({ name, in: "header", required: true, description, schema: { type: "string" } });
  return Object.fromEntries(
    EVENT_TYPES.map((type) => [
      type,
      {
        post: {
          summary: `${type}, posted to each subscription that wants it`,
          parameters: [
            signed("webhook-id", "The event's id: the same on every retry"),
            signed("webhook-timestamp", "Seconds since the epoch, at this attempt"),
            signed("webhook-signature", "v1,<base64 HMAC-SHA256 of id.timestamp.body>, space-separated when two secrets sign (rotation)"),
          ],
          requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/Event" } } } },
          responses: { "200": { description: "Any 2xx: delivered, never sent again except by replay. Anything else: retried with backoff for 24 h" } },
        },
      },
    ]),
  );
}
