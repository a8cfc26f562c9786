// /admin: the page that signs in through the Hosted UI. Its TypeScript is bundled by esbuild at
// build time (`npm run build:admin`, run before start, test and serve) and served from memory with
// everything else it needs: nothing is loaded from outside the server, and its CSP says so.
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { APP_CLIENT_SCOPES } from "../cognito/pool-settings.ts";
import { NO_FRAMING, securityHeaders } from "../http/security-headers.ts";
import { isLoopbackUrl } from "../net.ts";
import { ADMIN_BUNDLE, ADMIN_PAGE_DIR } from "../paths.ts";

export interface AdminPageOptions {
  publicUrl: string;
  cognitoDomain: string | undefined;
  /** The `iss` the pool's ID tokens carry, which the page's OAuth client checks. */
  issuer: string;
  clientId: string;
  implicitGrant: boolean;
}


export async function adminRoutes(app: FastifyInstance, options: AdminPageOptions): Promise<void> {
  const [script, html, css] = await Promise.all([
    readFile(ADMIN_BUNDLE, "utf8").catch(() => {
      throw new Error(`${ADMIN_BUNDLE} is missing: run \`npm run build:admin\` (npm start, test and serve do)`);
    }),
    readFile(path.join(ADMIN_PAGE_DIR, "index.html"), "utf8"),
    readFile(path.join(ADMIN_PAGE_DIR, "app.css"), "utf8"),
  ]);
  const domainOrigin = options.cognitoDomain ? new URL(options.cognitoDomain).origin : undefined;
  const config = {
    cognito_domain: options.cognitoDomain ?? null,
    issuer: options.issuer,
    client_id: options.clientId,
    redirect_uri: `${options.publicUrl}/admin`,
    scopes: APP_CLIENT_SCOPES,
    implicit_grant: options.implicitGrant,
    // The emulator has no /logout endpoint; a real Hosted UI does.
    logout_supported: domainOrigin !== undefined && !(domainOrigin.startsWith("http:") && isLoopbackUrl(domainOrigin)),
  };
  const csp = securityHeaders({
    contentSecurityPolicy: {
      directives: {
        "default-src": ["'self'"],
        // The code exchange and refresh are fetches to the Hosted UI's token endpoint.
        "connect-src": ["'self'", ...(domainOrigin ? [domainOrigin] : [])],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": [NO_FRAMING],
        "upgrade-insecure-requests": options.publicUrl.startsWith("https:") ? [] : null,
      },
    },
  })["content-security-policy"]!;

  const page = { schema: { hide: true } };
  app.get("/admin", page, async (_request, reply) =>
    reply.header("content-security-policy", csp).header("cache-control", "no-store").type("text/html; charset=utf-8").send(html),
  );
  app.get("/admin/app.js", page, async (_request, reply) => reply.type("text/javascript; charset=utf-8").send(script));
  app.get("/admin/app.css", page, async (_request, reply) => reply.type("text/css; charset=utf-8").send(css));
  app.get(
    "/admin/config.json",
    {
      schema: {
        tags: ["admin page"],
        operationId: "getAdminPageConfig",
        summary: "What the /admin page needs to sign in through the Hosted UI",
        response: {
          200: Type.Object({
            cognito_domain: Type.Union([Type.String(), Type.Null()]),
            issuer: Type.String({ description: "the `iss` of the pool's tokens" }),
            client_id: Type.String(),
            redirect_uri: Type.String(),
            scopes: Type.Array(Type.String()),
            implicit_grant: Type.Boolean(),
            logout_supported: Type.Boolean(),
          }),
        },
      },
    },
    async () => config,
  );
}
