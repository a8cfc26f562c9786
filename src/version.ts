// The running version (log lines, the CLI's --version, the OpenAPI document): the package's, which
// the production bundle carries inside it rather than reading package.json at run time.
import manifest from "../package.json" with { type: "json" };

export const VERSION: string = manifest.version;
