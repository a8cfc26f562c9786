// The user pool's signing keys, behind aws-jwt-verify's JwksCache interface. Its SimpleJwksCache
// is https-only, retries a timed-out fetch, arms no penalty after a failed fetch and lets an empty
// JWKS replace good keys; this one does none of that.
import type { JwksCache, Jwks, JwkWithKid } from "aws-jwt-verify/jwk";
import { JwksNotAvailableInCacheError, KidNotFoundInJwksError } from "aws-jwt-verify/error";
import { AuthError, KeysUnavailableError } from "./errors.ts";

/** The kid of the key whose private half ships inside the cognito-local npm package. */
export const EMULATOR_KID = "CognitoLocal";
const MAX_JWKS_BYTES = 1024 * 1024;

export interface KeyStoreOptions {
  jwksUri: string;
  timeoutMs: number;
  penaltySeconds: number;
  refreshSeconds: number;
  /** Production: a JWKS that contains the emulator's published key is refused whole. */
  rejectEmulatorKey: boolean;
  onFetch?: (outcome: "ok" | "failed", reason?: string) => void;
}

interface DecomposedJwtLike {
  header: { kid?: unknown; alg?: unknown };
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

export class KeyStore implements JwksCache {
  private keys = new Map<string, JwkWithKid>();
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
    try {
      const keys = usableKeys(await this.fetchJwks());
      if (keys.length === 0) throw new JwksFetchError("the JWKS has no usable RS256 signing key");
      if (this.options.rejectEmulatorKey && keys.some((k) => k.kid === EMULATOR_KID)) {
        throw new JwksFetchError(
          `the JWKS holds the cognito-local emulator's published key (kid ${EMULATOR_KID}); refused under NODE_ENV=production`,
        );
      }
      this.keys = new Map(keys.map((k) => [k.kid, k]));
      this.lastAttemptOk = true;
      this.options.onFetch?.("ok");
    } catch (err) {
      this.lastAttemptOk = false;
      const reason = err instanceof Error ? err.message : String(err);
      this.options.onFetch?.("failed", reason);
      throw err instanceof JwksFetchError ? err : new JwksFetchError(reason);
    }
  }

  private async fetchJwks(): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(this.options.jwksUri, {
        signal: AbortSignal.timeout(this.options.timeoutMs),
        redirect: "error",
        headers: { accept: "application/json" },
      });
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
      throw new JwksFetchError(timedOut ? `timed out after ${this.options.timeoutMs} ms` : `unreachable (${describe(err)})`);
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new JwksFetchError(`HTTP ${response.status}`);
    }
    const body = await response.text();
    if (body.length > MAX_JWKS_BYTES) throw new JwksFetchError("the JWKS is larger than 1 MiB");
    try {
      return JSON.parse(body);
    } catch {
      throw new JwksFetchError("the JWKS is not JSON");
    }
  }

  private kidOf(decomposedJwt: DecomposedJwtLike): string {
    const { kid, alg } = decomposedJwt.header;
    // The allow-list is ours, not the token's: nothing but RS256 reaches the signature check.
    if (alg !== "RS256") throw new AuthError("token_invalid", "Only RS256-signed tokens are accepted.");
    if (typeof kid !== "string" || kid === "") throw new AuthError("token_invalid", "The token names no signing key.");
    return kid;
  }

  getCachedJwk(_jwksUri: string, decomposedJwt: DecomposedJwtLike): JwkWithKid {
    const kid = this.kidOf(decomposedJwt);
    if (!this.ready) throw new JwksNotAvailableInCacheError("JWKS not loaded yet");
    const key = this.keys.get(kid);
    if (!key) throw new KidNotFoundInJwksError(`kid not found in JWKS`);
    return key;
  }

  async getJwk(_jwksUri: string, decomposedJwt: DecomposedJwtLike): Promise<JwkWithKid> {
    const kid = this.kidOf(decomposedJwt);
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
    const key = this.keys.get(kid);
    if (!key) throw new KidNotFoundInJwksError("kid not found in JWKS");
    return key;
  }

  addJwks(_jwksUri: string, jwks: Jwks): void {
    const keys = usableKeys(jwks);
    this.keys = new Map(keys.map((k) => [k.kid, k]));
  }

  async getJwks(_jwksUri: string): Promise<Jwks> {
    if (!this.ready) await this.refresh();
    return { keys: [...this.keys.values()] };
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return cause?.code ?? err.message;
  }
  return String(err);
}
