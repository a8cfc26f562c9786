// The OpenAPI document: valid OpenAPI 3.1, and it lists every route the server has.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import { EVENT_TYPES } from "../src/events/types.ts";
import { createValidatorCompiler } from "../src/http/validation.ts";
import { MeProfileSchema } from "../src/users/profile-schema.ts";
import { pglite } from "./support/databases.ts";
import { issuerAndServer } from "./support/server.ts";

// Served by the server but not API operations: the document itself, its UI, and CORS preflights.
// The /admin page and its assets are a page, not an API (its config.json is documented).
const NOT_DOCUMENTED = [/^OPTIONS /, /^\w+ \/api\/schema\//, /^HEAD /, /^GET \/admin(\/app\.(js|css))?$/];

describe("OpenAPI", () => {
  const { issuer, app } = issuerAndServer(pglite, { env: { LOG_LEVEL: "warn" } });
  let doc: Record<string, unknown>;

  before(async () => {
    const res = await app.get("/api/schema/");
    assert.equal(res.status, 200);
    doc = res.body;
  });

  it("GET /api/v1/me's pre-serialized profile is exactly what its response schema describes", async () => {
    // /me skips the response serializer (profile.ts keeps the JSON text): the schema must not drift.
    const strict = { ...MeProfileSchema, additionalProperties: false };
    const validate = createValidatorCompiler()({ schema: strict, method: "GET", url: "/api/v1/me", httpPart: "body" }) as (data: unknown) => boolean;
    for (const groups of [[], ["admin"]]) {
      const res = await app.get("/api/v1/me", issuer.mint(issuer.newUser({ groups })));
      assert.equal(res.status, 200);
      const body = res.body;
      assert.ok(validate(body), JSON.stringify((validate as { errors?: unknown }).errors));
      assert.deepEqual(Object.keys(body).sort(), Object.keys(MeProfileSchema.properties).sort());
    }
  });

  it("is a valid OpenAPI 3.1 document", async () => {
    const result = await new Validator().validate(doc);
    assert.deepEqual(result.errors ?? [], [], JSON.stringify(result.errors, null, 2));
    assert.equal(result.valid, true);
    assert.equal(doc.openapi, "3.1.0");
  });

  it("documents every registered route, with bearer security on the authenticated ones and the service scope where apps may call", () => {
    const paths = doc.paths as Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
    const documented = new Set(Object.entries(paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)));
    const registered = app.server.routes
      .filter((r) => !NOT_DOCUMENTED.some((re) => re.test(r)))
      .map((r) => r.replace(/:(\w+)/g, "{$1}"));
    assert.ok(registered.length >= 8, `routes seen: ${registered.join(", ")}`);
    for (const route of registered) assert.ok(documented.has(route), `${route} is missing from the OpenAPI document`);
    // Sign-in, challenge and refresh are how a caller gets a token; everything else needs one.
    const PUBLIC = ["/api/v1/auth/login", "/api/v1/auth/challenge", "/api/v1/auth/refresh"];
    // What each route asks of a service (issue 15): the scope, or nothing (people only).
    const SERVICE_SCOPES: Record<string, string> = {
      "GET /api/v1/users": "users.read", "GET /api/v1/users/{uuid}": "users.read", "PATCH /api/v1/users/{uuid}": "users.write",
      "GET /api/v1/permission-types": "permissions.read", "GET /api/v1/field-permissions": "permissions.read",
      "GET /api/v1/projects": "permissions.read", "GET /api/v1/projects/{uuid}": "permissions.read", "GET /api/v1/projects/{uuid}/members": "permissions.read",
      "GET /api/v1/practice-areas": "permissions.read", "GET /api/v1/user-permissions": "permissions.read", "GET /api/v1/permission-history": "permissions.read",
      "POST /api/v1/permissions/check": "permissions.read",
      "POST /api/v1/projects": "permissions.write", "PATCH /api/v1/projects/{uuid}": "permissions.write", "DELETE /api/v1/projects/{uuid}": "permissions.write",
      "POST /api/v1/practice-areas": "permissions.write", "POST /api/v1/user-permissions": "permissions.write", "DELETE /api/v1/user-permissions/{uuid}": "permissions.write",
      ...Object.fromEntries(
        [
          "POST /api/v1/webhooks", "GET /api/v1/webhooks", "GET /api/v1/webhooks/{uuid}", "PATCH /api/v1/webhooks/{uuid}", "DELETE /api/v1/webhooks/{uuid}",
          "POST /api/v1/webhooks/{uuid}/rotate-secret", "GET /api/v1/webhooks/{uuid}/deliveries", "POST /api/v1/webhooks/{uuid}/deliveries/{delivery}/replay", "GET /api/v1/events",
        ].map((route) => [route, "webhooks.write"]),
      ),
    };
    for (const [path, ops] of Object.entries(paths)) {
      if (!path.startsWith("/api/v1/") || PUBLIC.includes(path)) continue;
      for (const [method, op] of Object.entries(ops)) {
        const scope = SERVICE_SCOPES[`${method.toUpperCase()} ${path}`];
        const expected = scope ? [{ bearerAuth: [] }, { serviceAuth: [`vrms-backend/${scope}`] }] : [{ bearerAuth: [] }];
        assert.deepEqual(op.security, expected, `${method} ${path} declares its security`);
        assert.ok(op.responses["401"], `${method} ${path} documents its 401`);
      }
    }
    const schemes = (doc.components as { securitySchemes: Record<string, { flows?: { clientCredentials?: { scopes: Record<string, string> } } }> }).securitySchemes;
    assert.deepEqual(Object.keys(schemes.serviceAuth!.flows!.clientCredentials!.scopes).sort(), [
      "vrms-backend/permissions.read", "vrms-backend/permissions.write", "vrms-backend/users.read", "vrms-backend/users.write", "vrms-backend/webhooks.write",
    ]);
  });

  it("documents every event type's payload as an OpenAPI 3.1 webhook", () => {
    const webhooks = doc.webhooks as Record<string, { post: { requestBody: { content: Record<string, { schema: { $ref: string } }> } } }>;
    assert.deepEqual(Object.keys(webhooks).sort(), [...EVENT_TYPES].sort());
    for (const hook of Object.values(webhooks)) assert.equal(hook.post.requestBody.content["application/json"]!.schema.$ref, "#/components/schemas/Event");
    assert.ok((doc.components as { schemas: Record<string, unknown> }).schemas.Event, "the Event schema is a component");
  });

  it("bounds every query parameter of every route (maximum, maxLength or a closed set)", () => {
    type Schema = Record<string, unknown>;
    const bounded = (schema: Schema): boolean =>
      schema.type === "boolean" ||
      Array.isArray(schema.enum) ||
      "const" in schema ||
      (Array.isArray(schema.anyOf) && (schema.anyOf as Schema[]).every(bounded)) ||
      ((schema.type === "integer" || schema.type === "number") && typeof schema.maximum === "number" && typeof schema.minimum === "number") ||
      (schema.type === "string" && typeof schema.maxLength === "number");
    const paths = doc.paths as Record<string, Record<string, { parameters?: { in: string; name: string; schema: Schema }[] }>>;
    let seen = 0;
    for (const [path, ops] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const parameter of op.parameters ?? []) {
          if (parameter.in !== "query") continue;
          seen++;
          assert.ok(bounded(parameter.schema), `${method.toUpperCase()} ${path} ?${parameter.name}: ${JSON.stringify(parameter.schema)} has no bound`);
        }
      }
    }
    assert.ok(seen >= 7, `${seen} query parameters seen`);
  });

  it("serves Swagger UI", async () => {
    const res = await app.get("/api/schema/swagger-ui/");
    assert.equal(res.status, 200);
    assert.match(res.text, /swagger/i);
  });
});
