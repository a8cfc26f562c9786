// OpenAPI 3.1 at /api/schema/ and Swagger UI at /api/schema/swagger-ui/, generated from the
// routes' own schemas. Registered before the routes so that it sees every one of them.
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";

export async function registerOpenApi(app: FastifyInstance, publicUrl: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "vrms-backend",
        version: "1",
        description: "Profiles of the VRMS volunteer apps' users, behind AWS Cognito single sign-on.",
      },
      servers: [{ url: publicUrl }],
      components: {
        securitySchemes: {
          bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "A Cognito access token of the user pool" },
        },
      },
    },
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
    transformSpecificationClone: true,
  });
}
