// The user pool's signing keys, imported once as node:crypto KeyObjects: fetched at start, on an
// unknown kid (at most once per penalty window, concurrent misses sharing one fetch) and
// periodically; fetched over http on loopback too, with one deadline and no retry; and kept when a
// fetch fails or answers an empty or unusable JWKS. (aws-jwt-verify's SimpleJwksCache differs on
// each of these points, so it sits behind our JwksCache instead.)
import { createPublicKey, type KeyObject } from "node:crypto";
import type { JwkWithKid } from "aws-jwt-verify/jwk";
import type { Spans } from "../tracing/spans.ts";
import { KeysUnavailableError } from "./errors.ts";

/** The kid of the key whose private half ships inside the cognito-local npm package. */
export const EMULATOR_KID = "CognitoLocal";
const MAX_JWKS_BYTES = 1024 * 1024;
const MIN_MODULUS_BITS = 2048;

export interface KeyStoreOptions {
  jwksUri: string;
  timeoutMs: number;
  penaltySeconds: number;
  refreshSeconds: number;
  /** Production: a JWKS that contains the emulator's published key is refused whole. */
  rejectEmulatorKey: boolean;
  onFetch?: (outcome: "ok" | "failed", reason?: string) => void;
  spans?: Spans;
}

export class JwksFetchError extends Error {
  override name = "JwksFetchError";
}

/** Keep only keys we can verify RS256 with: kty RSA, a kid, and `use`/`alg` absent or sig/RS256. */
export function usableKeys(jwks: unknown): JwkWithKid[] {
  if (typeof jwks !== "object" || jwks === null || !Array.isArray((jwks as { keys?: unknown }).keys)) {
    throw new JwksFetchError("the JWKS is not an object with a keys array");
  }
  return (jwks as { keys: unknown[] }).keys.filter((key): key is JwkWithKid => {
    if (typeof key !== "object" || key === null) return false;
    const k = key as Record<string, unknown>;
    return (
      k.kty === "RSA" &&
      typeof k.kid === "string" &&
      typeof k.n === "string" &&
      typeof k.e === "string" &&
      (k.use === undefined || k.use === "sig") &&
      (k.alg === undefined || k.alg === "RS256")
    );
  });
}

/** The usable keys by kid, as KeyObjects; a key that does not import, or is under 2048 bits, is left out. */
function importKeys(keys: JwkWithKid[]): Map<string, KeyObject> {
  const imported = new Map<string, KeyObject>();
  for (const jwk of keys) {
    try {
      const key = createPublicKey({ key: { kty: "RSA", n: jwk.n, e: jwk.e }, format: "jwk" });
      if ((key.asymmetricKeyDetails?.modulusLength ?? 0) >= MIN_MODULUS_BITS) imported.set(jwk.kid, key);
    } catch {
      // Not a valid RSA public key: as if it were not published.
    }
  }
  return imported;
}

export class KeyStore {
  private keys = new Map<string, KeyObject>();
  private inflight: Promise<void> | undefined;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private lastAttemptOk = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: KeyStoreOptions) {}

  /** Whether a key of this kid is in the current JWKS. */
  has(kid: string): boolean {
    return this.keys.has(kid);
  }

  /** True once a usable JWKS has been loaded. */
  get ready(): boolean {
    return this.keys.size > 0;
  }

  /**
   * Step 1 of the system: load the keys now, keep retrying with backoff while the endpoint is
   * down, then refresh every `refreshSeconds` so that removed keys stop being trusted.
   */
  start(): void {
    this.stopped = false;
    const attempt = async (backoffMs: number): Promise<void> => {
      if (this.stopped) return;
      try {
        await this.refresh();
        this.schedule(this.options.refreshSeconds * 1000, () => attempt(1000));
      } catch {
        // Cached keys keep working meanwhile; the next try comes sooner than the next refresh.
        const retryIn = Math.min(backoffMs, this.options.refreshSeconds * 1000);
        this.schedule(retryIn, () => attempt(Math.min(backoffMs * 2, 30_000)));
      }
    };
    void attempt(1000);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(ms: number, fn: () => Promise<void>): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void fn(), ms);
    this.timer.unref();
  }

  /** One fetch at a time: concurrent callers share it. On failure the previous keys stay. */
  refresh(): Promise<void> {
    this.inflight ??= this.fetchAndReplace().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async fetchAndReplace(): Promise<void> {
    this.lastAttemptAt = Date.now();
    // A child of the request whose unknown kid caused it, or a trace of its own (start, refresh).
    const span = this.options.spans?.start("jwks.fetch", { "url.full": this.options.jwksUri });
    try {
      const keys = importKeys(usableKeys(await this.fetchJwks()));
      if (keys.size === 0) throw new JwksFetchError("the JWKS has no usable RS256 signing key");
      if (this.options.rejectEmulatorKey && keys.has(EMULATOR_KID)) {
        throw new JwksFetchError(
          `the JWKS holds the cognito-local emulator's published key (kid ${EMULATOR_KID}); refused under NODE_ENV=production`,
        );
      }
      this.keys = keys;
      this.lastAttemptOk = true;
      span?.set("jwks.outcome", "ok");
      span?.set("jwks.keys", keys.size);
      this.options.onFetch?.("ok");
    } catch (err) {
      this.lastAttemptOk = false;
      const reason = err instanceof Error ? err.message : String(err);
      span?.set("jwks.outcome", "failed");
      span?.fail(err);
      this.options.onFetch?.("failed", reason);
      throw err instanceof JwksFetchError ? err : new JwksFetchError(reason);
    } finally {
      span?.end();
    }
  }

  /**
   * The JWKS, parsed. One deadline covers connecting, the headers and the body: a body that
   * trickles or never ends is cut off like a slow answer, and one over the cap as soon as it is.
   */
  private async fetchJwks(): Promise<unknown> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new JwksFetchError(`timed out after ${this.options.timeoutMs} ms`));
      }, this.options.timeoutMs);
      timer.unref();
    });
    try {
      const body = await Promise.race([download(this.options.jwksUri, controller), deadline]);
      try {
        return JSON.parse(body);
      } catch {
        throw new JwksFetchError("the JWKS is not JSON");
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** The key of this kid if it is held now. */
  key(kid: string): KeyObject | undefined {
    return this.keys.get(kid);
  }

  /**
   * The key of a kid not held now: the JWKS is fetched again (keys rotate), unless a fetch was
   * tried within the penalty window. Undefined: the pool does not publish it. Throws
   * KeysUnavailableError when the JWKS cannot be had, since the token may well be valid.
   */
  async fetchKey(kid: string): Promise<KeyObject | undefined> {
    const known = this.keys.get(kid);
    if (known) return known;
    const penaltyOver = Date.now() - this.lastAttemptAt >= this.options.penaltySeconds * 1000;
    if (this.inflight || penaltyOver) {
      try {
        await this.refresh();
      } catch {
        throw new KeysUnavailableError();
      }
    } else if (!this.lastAttemptOk) {
      throw new KeysUnavailableError();
    }
    return this.keys.get(kid);
  }
}

/** The body as text; the connection is dropped as soon as it turns out to be over MAX_JWKS_BYTES. */
async function download(uri: string, controller: AbortController): Promise<string> {
  let response: Response;
  try {
    response = await fetch(uri, { signal: controller.signal, redirect: "error", headers: { accept: "application/json" } });
  } catch (err) {
    throw new JwksFetchError(`unreachable (${describe(err)})`);
  }
  const tooLarge = () => {
    controller.abort();
    return new JwksFetchError("the JWKS is larger than 1 MiB");
  };
  if (response.status !== 200) {
    controller.abort();
    throw new JwksFetchError(`HTTP ${response.status}`);
  }
  if (Number(response.headers.get("content-length")) > MAX_JWKS_BYTES) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  for (let chunk = await reader?.read(); chunk && !chunk.done; chunk = await reader?.read()) {
    size += chunk.value.byteLength;
    if (size > MAX_JWKS_BYTES) throw tooLarge();
    chunks.push(chunk.value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return cause?.code ?? err.message;
  }
  return String(err);
}
