// The OpenAPI document: valid OpenAPI 3.1, and it lists every route the server has, each with an
// operationId, examples that its schemas accept, and its errors as the problem+json it answers.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import { EVENT_TYPES } from "../src/events/types.ts";
import { createAjv, createValidatorCompiler } from "../src/http/validation.ts";
import { MeProfileSchema } from "../src/users/profile-schema.ts";
import { pglite } from "./support/databases.ts";
import { issuerAndServer } from "./support/server.ts";

// Served by the server but not API operations: the document itself, its UI, and CORS preflights.
// The /admin page and its assets are a page, not an API (its config.json is documented).
const NOT_DOCUMENTED = [/^OPTIONS /, /^\w+ \/api\/schema\//, /^HEAD /, /^GET \/admin(\/app\.(js|css))?$/];

interface Media {
  schema: Record<string, unknown>;
  examples?: Record<string, { summary?: string; value: unknown }>;
}
interface Operation {
  operationId?: string;
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, { content?: Record<string, Media> }>;
}

/** Every operation of the document as ["GET /api/v1/me", operation]. */
function operationsOf(doc: Record<string, unknown>): [string, Operation][] {
  return Object.entries(doc.paths as Record<string, Record<string, Operation>>).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]): [string, Operation] => [`${method.toUpperCase()} ${path}`, op]),
  );
}

/** The codes a route declares for a status ([] when it declares none). */
function declaredCodes(op: Operation, status: number): string[] {
  const schema = op.responses[String(status)]?.content?.["application/problem+json"]?.schema as { allOf?: { properties?: { code?: { enum?: string[] } } }[] } | undefined;
  return schema?.allOf?.[1]?.properties?.code?.enum ?? [];
}

describe("OpenAPI", () => {
  const { issuer, app } = issuerAndServer(pglite, { inject: true, env: { LOG_LEVEL: "warn", COGNITO_SERVICE_CLIENT_IDS: "testservice1234567890abcd" } });
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

  it("names every operation once, in camelCase (its operationId)", () => {
    const seen = new Map<string, string>();
    for (const [route, op] of operationsOf(doc)) {
      assert.ok(op.operationId, `${route} has no operationId`);
      assert.match(op.operationId, /^[a-z][a-zA-Z0-9]*$/, `${route}: ${op.operationId} is not camelCase`);
      assert.ok(!seen.has(op.operationId), `${op.operationId} names both ${seen.get(op.operationId)} and ${route}`);
      seen.set(op.operationId, route);
    }
    // Stable names: a client generated from them (and docs linking to them) keeps working.
    assert.equal(seen.get("getMe"), "GET /api/v1/me");
    assert.equal(seen.get("listUsers"), "GET /api/v1/users");
  });

  it("gives examples of every request body and success answer, each valid against its schema", () => {
    // The document's own schemas: its components under the names its $refs use.
    const ajv = createAjv({ strict: false });
    for (const [name, schema] of Object.entries((doc.components as { schemas: Record<string, object> }).schemas)) {
      ajv.addSchema(schema, `component:${name}`);
    }
    const localRefs = (schema: object): object => JSON.parse(JSON.stringify(schema).replaceAll('"$ref":"#/components/schemas/', '"$ref":"component:'));
    let checked = 0;
    for (const [route, op] of operationsOf(doc)) {
      const media: [string, Media | undefined][] = [["request body", op.requestBody?.content["application/json"]]];
      for (const status of ["200", "201"]) media.push([`${status} answer`, op.responses[status]?.content?.["application/json"]]);
      for (const [what, content] of media) {
        if (!content) continue;
        const examples = Object.entries(content.examples ?? {});
        assert.ok(examples.length > 0, `${route}: its ${what} has no example`);
        const validate = ajv.compile(localRefs(content.schema));
        for (const [name, example] of examples) {
          assert.ok(example.summary, `${route} ${what} example ${name} has no summary`);
          assert.ok(validate(example.value), `${route} ${what} example ${name}: ${JSON.stringify(validate.errors)}`);
          checked++;
        }
      }
    }
    assert.ok(checked >= 40, `${checked} examples checked`);
  });

  it("declares every error as application/problem+json whose code is one of the route's codes", () => {
    for (const [route, op] of operationsOf(doc)) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue;
        assert.deepEqual(Object.keys(response.content ?? {}), ["application/problem+json"], `${route} ${status}`);
        const schema = response.content!["application/problem+json"]!.schema;
        assert.deepEqual((schema.allOf as unknown[])[0], { $ref: "#/components/schemas/Problem" }, `${route} ${status} is a Problem`);
        assert.ok(declaredCodes(op, Number(status)).length > 0, `${route} ${status} names its codes`);
      }
      if (op.responses["401"] && (op as { security?: unknown }).security) {
        assert.ok(declaredCodes(op, 401).includes("token_expired"), `${route}: a bearer route answers the token_* codes`);
      }
    }
  });

  it("answers errors as the document declares them: the status, problem+json, a code of the route's", async () => {
    const routes = new Map(operationsOf(doc));
    const person = issuer.mint(issuer.newUser());
    const admin = issuer.mint(issuer.newUser({ groups: ["admin"] }));
    const service = issuer.mintService({ scopes: ["vrms-backend/permissions.read"] });
    await app.request("POST", "/api/v1/projects", { token: admin, body: { name: "OpenAPI conflict" } });
    const self = (await app.get("/api/v1/me", person)).body.uuid as string;
    const cases: [route: string, method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> }, status: number, code: string][] = [
      ["GET /api/v1/me", "GET", "/api/v1/me", {}, 401, "token_missing"],
      ["GET /api/v1/me", "GET", "/api/v1/me", { token: "not.a.token" }, 401, "token_invalid"],
      ["GET /api/v1/me", "GET", "/api/v1/me", { token: service }, 403, "not_a_user"],
      ["POST /api/v1/auth/logout", "POST", "/api/v1/auth/logout", { token: service, body: {} }, 403, "not_a_user"],
      ["POST /api/v1/me/sign-out", "POST", "/api/v1/me/sign-out", { token: service }, 403, "not_a_user"],
      ["POST /api/v1/me/sign-out", "POST", "/api/v1/me/sign-out", {}, 401, "token_missing"],
      ["GET /api/v1/users", "GET", "/api/v1/users", { token: service }, 403, "forbidden"],
      ["GET /api/v1/users", "GET", "/api/v1/users", { token: person }, 403, "forbidden"],
      ["GET /api/v1/users", "GET", "/api/v1/users?page=0", { token: admin }, 400, "validation_failed"],
      ["PATCH /api/v1/me", "PATCH", "/api/v1/me", { token: person, body: { phone: "not a phone" } }, 400, "validation_failed"],
      ["PATCH /api/v1/me", "PATCH", "/api/v1/me", { token: person, body: "{not json" }, 400, "bad_request"],
      ["PATCH /api/v1/me", "PATCH", "/api/v1/me", { token: person, body: "first_name=x", headers: { "content-type": "text/plain" } }, 415, "unsupported_media_type"],
      ["GET /api/v1/projects/{uuid}", "GET", `/api/v1/projects/${crypto.randomUUID()}`, { token: admin }, 404, "not_found"],
      ["DELETE /api/v1/users/{uuid}", "DELETE", `/api/v1/users/${self}`, { token: person }, 403, "forbidden"],
      ["POST /api/v1/projects", "POST", "/api/v1/projects", { token: admin, body: { name: "OpenAPI conflict" } }, 409, "conflict"],
      ["POST /api/v1/auth/login", "POST", "/api/v1/auth/login", { body: { username: "" } }, 400, "validation_failed"],
    ];
    for (const [route, method, path, options, status, code] of cases) {
      const res = await app.request(method, path, options);
      const what = `${method} ${path} (${JSON.stringify(res.body)})`;
      assert.equal(res.status, status, what);
      assert.match(res.headers.get("content-type") ?? "", /^application\/problem\+json/, what);
      assert.equal(res.body.code, code, what);
      const op = routes.get(route);
      assert.ok(op, `${route} is documented`);
      assert.ok(declaredCodes(op, status).includes(code), `${route} declares ${code} among its ${status} codes: ${declaredCodes(op, status).join(", ")}`);
    }
  });

  it("serves Swagger UI", async () => {
    const res = await app.get("/api/schema/swagger-ui/");
    assert.equal(res.status, 200);
    assert.match(res.text, /swagger/i);
  });
});
