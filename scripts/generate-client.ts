// npm run client:generate: packages/client/src/schema.ts from the OpenAPI document the server builds.
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { openApiDocument } from "../src/openapi-document.ts";
import { CLIENT_SCHEMA_FILE, clientSchemaSource } from "./client-schema.ts";

await writeFile(CLIENT_SCHEMA_FILE, await clientSchemaSource(await openApiDocument()));
console.log(`wrote ${fileURLToPath(CLIENT_SCHEMA_FILE)}`);
