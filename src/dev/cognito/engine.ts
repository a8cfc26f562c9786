// cognito-local, assembled from its own parts as its createDefaultServer does, with two changes:
// its tokens go through SessionTokenGenerator, and its services stay reachable by the front
// (which needs the pool's users for SRP and sign-out). Its data lives in `.cognito` under the cwd.
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { createServer } from "./cognito-local.ts";
import { loadConfig } from "./cognito-local.ts";
import { Router, type Router as EngineRouter } from "./cognito-local.ts";
import { DateClock, LambdaService, MessagesService, TriggersService, type Services } from "./cognito-local.ts";
import { CognitoServiceFactoryImpl } from "./cognito-local.ts";
import { CryptoService } from "./cognito-local.ts";
import { StormDBDataStoreFactory } from "./cognito-local.ts";
import { ConsoleMessageSender } from "./cognito-local.ts";
import { MessageDeliveryService } from "./cognito-local.ts";
import { otp } from "./cognito-local.ts";
import { JwtTokenGenerator } from "./cognito-local.ts";
import { UserPoolServiceFactoryImpl } from "./cognito-local.ts";
import { SessionTokenGenerator } from "./session-tokens.ts";

/** cognito-local's pino logger (its own pino version). */
export type EngineLogger = Parameters<typeof createServer>[1];

export interface Engine {
  services: Services;
  /** cognito-local's handler for one X-Amz-Target. */
  route: EngineRouter;
  /** cognito-local's HTTP application (OAuth 2.0 endpoints, JWKS, health). */
  handle(req: IncomingMessage, res: ServerResponse): void;
}

// cognito-local's own AWS SDK v2, for its Lambda triggers (none are configured by the dev stack).
const fromEngine = createRequire(createRequire(import.meta.url).resolve("cognito-local/package.json"));
type LambdaClient = ConstructorParameters<typeof LambdaService>[1];
const { Lambda } = fromEngine("aws-sdk") as { Lambda: new (config: unknown) => LambdaClient };

export async function createEngine(logger: EngineLogger): Promise<Engine> {
  const ctx = { logger };
  const config = await loadConfig(ctx, new StormDBDataStoreFactory(".cognito"));
  const clock = new DateClock();
  const dataStores = new StormDBDataStoreFactory(".cognito/db");
  const cognito = await new CognitoServiceFactoryImpl(".cognito/db", dataStores, new UserPoolServiceFactoryImpl(clock, dataStores)).create(ctx, config.UserPoolDefaults);
  const triggers = new TriggersService(clock, cognito, new LambdaService(config.TriggerFunctions, new Lambda(config.LambdaClient)), new CryptoService(config.KMSConfig));
  const services: Services = {
    clock,
    cognito,
    config,
    messages: new MessagesService(triggers, new MessageDeliveryService(new ConsoleMessageSender())),
    otp,
    tokenGenerator: new SessionTokenGenerator(new JwtTokenGenerator(clock, triggers, config.TokenConfig)),
    triggers,
  };
  const route = Router(services);
  const app = createServer(route, logger, config.ServerConfig, services).application as (req: IncomingMessage, res: ServerResponse) => void;
  return { services, route, handle: app };
}
