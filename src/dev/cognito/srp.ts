// The server half of Cognito's SRP-6a (USER_SRP_AUTH → PASSWORD_VERIFIER), written against the
// client half in amazon-cognito-identity-js's AuthenticationHelper, which Amplify v6 copies.
// The emulator keeps plain passwords, so the verifier is derived per challenge instead of stored.
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

const N = BigInt(
  "0x" +
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510" +
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7" +
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C" +
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);
const g = 2n;

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = ((base % modulus) + modulus) % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

/** The helper's padHex: even length, and a leading 00 when the high bit is set (non-negative values only). */
export function padHex(value: bigint): string {
  let hex = value.toString(16);
  if (hex.length % 2 !== 0) hex = `0${hex}`;
  return /^[89a-f]/i.test(hex) ? `00${hex}` : hex;
}

const sha256Hex = (data: Buffer | string) => createHash("sha256").update(data).digest("hex").padStart(64, "0");
const hexHash = (hex: string) => sha256Hex(Buffer.from(hex, "hex"));
const k = BigInt(`0x${hexHash(padHex(N) + padHex(g))}`);

/** HKDF-SHA256 as the helper computes it: one block, info "Caldera Derived Key", first 16 bytes. */
function hkdf(ikm: Buffer, salt: Buffer): Buffer {
  const prk = createHmac("sha256", salt).update(ikm).digest();
  return createHmac("sha256", prk).update(Buffer.concat([Buffer.from("Caldera Derived Key"), Buffer.from([1])])).digest().subarray(0, 16);
}

/** What the server keeps between InitiateAuth and RespondToAuthChallenge. */
export interface SrpChallenge {
  /** Hex, as sent in SALT. */
  salt: string;
  /** Hex, as sent in SRP_B. */
  B: string;
  b: bigint;
  A: bigint;
}

/** Parses SRP_A; undefined when it is not hex or A mod N is 0 (which would let a client skip the password). */
export function parseA(srpA: string): bigint | undefined {
  if (!/^[0-9a-f]+$/i.test(srpA)) return undefined;
  const A = BigInt(`0x${srpA}`);
  return A % N === 0n ? undefined : A;
}

function verifier(poolName: string, userIdForSrp: string, password: string, salt: string): bigint {
  const x = BigInt(`0x${hexHash(padHex(BigInt(`0x${salt}`)) + sha256Hex(`${poolName}${userIdForSrp}:${password}`))}`);
  return modPow(g, x, N);
}

/** B = k·v + g^b for a fresh salt and b. */
export function startChallenge(A: bigint, poolName: string, userIdForSrp: string, password: string): SrpChallenge {
  const salt = randomBytes(16).toString("hex");
  const v = verifier(poolName, userIdForSrp, password, salt);
  for (;;) {
    const b = BigInt(`0x${randomBytes(128).toString("hex")}`);
    const B = (k * v + modPow(g, b, N)) % N;
    if (B !== 0n) return { salt, B: B.toString(16), b, A };
  }
}

export interface PasswordClaim {
  poolName: string;
  userIdForSrp: string;
  password: string;
  /** Base64, as sent in SECRET_BLOCK and echoed in PASSWORD_CLAIM_SECRET_BLOCK. */
  secretBlock: string;
  timestamp: string;
  /** Base64 PASSWORD_CLAIM_SIGNATURE. */
  signature: string;
}

/** Whether the client's signature proves it knows the password behind the challenge. */
export function verifyClaim(challenge: SrpChallenge, claim: PasswordClaim): boolean {
  const B = BigInt(`0x${challenge.B}`);
  const u = BigInt(`0x${hexHash(padHex(challenge.A) + padHex(B))}`);
  if (u === 0n) return false;
  const v = verifier(claim.poolName, claim.userIdForSrp, claim.password, challenge.salt);
  const S = modPow(challenge.A * modPow(v, u, N), challenge.b, N);
  const key = hkdf(Buffer.from(padHex(S), "hex"), Buffer.from(padHex(u), "hex"));
  const expected = createHmac("sha256", key)
    .update(Buffer.concat([Buffer.from(claim.poolName), Buffer.from(claim.userIdForSrp), Buffer.from(claim.secretBlock, "base64"), Buffer.from(claim.timestamp)]))
    .digest();
  const given = Buffer.from(claim.signature, "base64");
  return given.length === expected.length && timingSafeEqual(given, expected);
}
