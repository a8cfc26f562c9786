// The sign-in routes' bodies and answers: validation, types and OpenAPI from one source.
import { Type, type Static } from "typebox";

export const TokensSchema = Type.Object({
  access_token: Type.String(),
  id_token: Type.String(),
  refresh_token: Type.Optional(Type.String()),
  expires_in: Type.Integer({ description: "seconds until the access token's exp" }),
  token_type: Type.Literal("Bearer"),
});

export const LoginBody = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 256 }), password: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);

export const ChallengeBody = Type.Object(
  {
    challenge: Type.Union([Type.Literal("NEW_PASSWORD_REQUIRED"), Type.Literal("SOFTWARE_TOKEN_MFA"), Type.Literal("SMS_MFA")]),
    session: Type.String({ minLength: 1, maxLength: 4096 }),
    username: Type.String({ minLength: 1, maxLength: 256 }),
    responses: Type.Record(Type.String({ pattern: "^[A-Z_]{1,64}$" }), Type.String({ maxLength: 2048 }), { maxProperties: 10 }),
  },
  { additionalProperties: false },
);

export const RefreshBody = Type.Object(
  { refresh_token: Type.String({ minLength: 1, maxLength: 8192 }), username: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })) },
  { additionalProperties: false },
);

/** Optional as a whole: a request without a body is read as `{}`. */
export const LogoutBody = Type.Object({ refresh_token: Type.Optional(Type.String({ minLength: 1, maxLength: 8192 })) }, { additionalProperties: false });

export type TokensAnswer = Static<typeof TokensSchema>;
