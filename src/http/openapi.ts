// OpenAPI 3.1 at /api/schema/ and Swagger UI at /api/schema/swagger-ui/, generated from the
// routes' own schemas. Registered before the routes so that it sees every one of them.
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { OpenAPIV3_1 } from "openapi-types";
import { NO_FRAMING } from "./security-headers.ts";
import type { FastifyInstance } from "fastify";
import { addExamples } from "./openapi-examples.ts";
import { BEARER, withProblemCodes } from "./problem-schema.ts";

export interface ServiceAuth {
  /** COGNITO_RESOURCE_SERVER: the scopes' prefix. */
  resourceServer: string;
  /** The Hosted UI domain, whose /oauth2/token issues client-credentials tokens. */
  domain: string | undefined;
  /** The scopes services may hold (without the prefix), each with what it allows. */
  scopes: Readonly<Record<string, string>>;
}

export async function registerOpenApi(
  app: FastifyInstance,
  publicUrl: string,
  services: ServiceAuth,
  webhooks?: Record<string, OpenAPIV3_1.PathItemObject>,
): Promise<void> {
  // A route that services may call documents both ways in: a person's bearer token, or an app's
  // client-credentials token with the route's scope (its config.service).
  // Its 403 codes follow from the same config: a service lacking the scope is refused (forbidden);
  // on a route for people only, any service is (not_a_user).
  app.addHook("onRoute", (route) => {
    if (!route.schema) return;
    const scope = route.config?.service;
    const response = route.schema.response as Record<string, unknown> | undefined;
    if (scope) {
      route.schema = {
        ...route.schema,
        security: [{ bearerAuth: [] }, { serviceAuth: [`${services.resourceServer}/${scope}`] }],
        response: response && withProblemCodes(response, { 403: ["forbidden"] }),
      };
    } else if (route.schema.security === BEARER && response) {
      route.schema = { ...route.schema, response: withProblemCodes(response, { 403: ["not_a_user"] }) };
    }
  });
  const scopes = Object.fromEntries(Object.entries(services.scopes).map(([scope, description]) => [`${services.resourceServer}/${scope}`, description]));
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "vrms-backend",
        version: "1",
        description: "Profiles of the VRMS volunteer apps' users, behind AWS Cognito single sign-on.",
      },
      servers: [{ url: publicUrl }],
      // What subscribers receive (OpenAPI 3.1 `webhooks:`), handed in by the app.
      ...(webhooks ? { webhooks } : {}),
      components: {
        securitySchemes: {
          bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "A Cognito access token of the user pool" },
          serviceAuth: {
            type: "oauth2",
            description: "An app calling as itself: a client-credentials access token of an app client in COGNITO_SERVICE_CLIENT_IDS",
            flows: { clientCredentials: { tokenUrl: `${services.domain ?? "https://YOUR-DOMAIN.auth.REGION.amazoncognito.com"}/oauth2/token`, scopes } },
          },
        },
      },
    },
    transformObject: (document) => ("openapiObject" in document ? addExamples(document.openapiObject) : document.swaggerObject),
    // Shared schemas keep their $id as their component name (Problem, Profile).
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === "string" ? json.$id : `def-${i}`) },
  });
}

/** After the routes: the document and its UI. */
export async function registerOpenApiRoutes(app: FastifyInstance): Promise<void> {
  app.get("/api/schema/", { schema: { hide: true } }, async (_request, reply) => reply.type("application/json").send(app.swagger()));
  await app.register(swaggerUi, {
    routePrefix: "/api/schema/swagger-ui",
    uiConfig: { persistAuthorization: false },
    // The UI is served from this server only; a strict CSP of its own applies to its pages.
    staticCSP: true,
    // Its CSP lets the same origin frame it; no page of ours is meant to be framed.
    transformStaticCSP: (csp) => csp.replace(/frame-ancestors [^;]*/, `frame-ancestors ${NO_FRAMING}`),
    transformSpecificationClone: true,
  });
}
