// The peer of the /me cases: the usual way of building this service. Fastify with aws-jwt-verify
// checking every request's token (what CognitoJwtVerifier does: issuer, expiry, token_use,
// client_id; its JwtVerifier is used because the bench's pool is not at an AWS address), users
// kept in memory by sub, /me answering the profile. No database, no logger, no cache of verified
// tokens: only the verification and the framework, so the server's extra work is what it is measured against.
import Fastify from "fastify";
import { JwtVerifier } from "aws-jwt-verify";
import { validateCognitoJwtFields } from "aws-jwt-verify/cognito-verifier";

const { COGNITO_ENDPOINT, COGNITO_USER_POOL_ID, COGNITO_CLIENT_IDS } = process.env;
const issuer = `${COGNITO_ENDPOINT}/${COGNITO_USER_POOL_ID}`;
const clientId = COGNITO_CLIENT_IDS.split(",")[0];
const verifier = JwtVerifier.create({
  issuer,
  audience: null,
  jwksUri: `${issuer}/.well-known/jwks.json`,
  customJwtCheck: ({ payload }) => validateCognitoJwtFields(payload, { tokenUse: "access", clientId }),
});
// aws-jwt-verify fetches JWKS over https only; the bench's pool is on loopback http, so the keys
// are handed to it as hydrate() would have cached them.
verifier.cacheJwks(await (await fetch(`${issuer}/.well-known/jwks.json`)).json());

const users = new Map();
const app = Fastify();
app.get("/api/v1/me", async (request, reply) => {
  const header = request.headers.authorization ?? "";
  let payload;
  try {
    payload = await verifier.verify(header.slice("Bearer ".length));
  } catch {
    return reply.code(401).send({ code: "token_invalid" });
  }
  let user = users.get(payload.sub);
  if (!user) {
    user = { uuid: crypto.randomUUID(), username: payload.username, email: null, first_name: "", last_name: "", groups: payload["cognito:groups"] ?? [], is_active: true };
    users.set(payload.sub, user);
  }
  return user;
});
await app.listen({ port: Number(process.env.PORT), host: "127.0.0.1" });
process.on("SIGTERM", () => void app.close().then(() => process.exit(0)));
