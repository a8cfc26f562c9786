// Every part of cognito-local the dev stack uses. Its lib/ is no public API, so the package is
// pinned exactly (package.json) and reached only through this file: an upgrade is checked here,
// against test/dev-cognito.test.ts and test/dev-stack-clients.test.ts.
export { CognitoError, ResourceNotFoundError, UnsupportedError } from "cognito-local/lib/errors.js";
export { loadConfig } from "cognito-local/lib/server/config.js";
export { Router } from "cognito-local/lib/server/Router.js";
export { createServer } from "cognito-local/lib/server/server.js";
export type { AppClient } from "cognito-local/lib/services/appClient.js";
export { CognitoServiceFactoryImpl } from "cognito-local/lib/services/cognitoService.js";
export type { Context } from "cognito-local/lib/services/context.js";
export { CryptoService } from "cognito-local/lib/services/crypto.js";
export type { DataStore } from "cognito-local/lib/services/dataStore/dataStore.js";
export { StormDBDataStoreFactory } from "cognito-local/lib/services/dataStore/stormDb.js";
export { DateClock, LambdaService, MessagesService, TriggersService, type Services } from "cognito-local/lib/services/index.js";
export { ConsoleMessageSender } from "cognito-local/lib/services/messageDelivery/consoleMessageSender.js";
export { MessageDeliveryService } from "cognito-local/lib/services/messageDelivery/messageDelivery.js";
export { otp } from "cognito-local/lib/services/otp.js";
export { JwtTokenGenerator, type TokenGenerator, type Tokens } from "cognito-local/lib/services/tokenGenerator.js";
export { UserPoolServiceFactoryImpl, type User, type UserPoolService } from "cognito-local/lib/services/userPoolService.js";
