// What Cognito's errors mean to us, for the routes and the CLI alike. Cognito names its errors;
// several of them mean "wrong credentials" and must not be told apart to a caller.

/** Cognito's answer to a sign-in step, refresh or sign-out, as far as we act on it. */
export type CognitoRefusal =
  /** Wrong username, password or refresh token (or no such user: not to be told apart). */
  | "bad_credentials"
  /** A wrong MFA code. */
  | "code_mismatch"
  | "not_confirmed"
  | "password_reset_required"
  /** An operation this pool does not implement (the emulator's "Unsupported"). */
  | "unsupported"
  /** Anything else: Cognito unreachable, throttled or failing. */
  | "unavailable";

const BY_NAME: Record<string, CognitoRefusal> = {
  NotAuthorizedException: "bad_credentials",
  UserNotFoundException: "bad_credentials",
  InvalidPasswordException: "bad_credentials",
  UserNotConfirmedException: "not_confirmed",
  PasswordResetRequiredException: "password_reset_required",
  CodeMismatchException: "code_mismatch",
  Unsupported: "unsupported",
};

export function cognitoRefusal(err: unknown): CognitoRefusal {
  return (err instanceof Error && BY_NAME[err.name]) || "unavailable";
}

/** For callers that must not reveal more: every credential failure is the same. */
export function isCredentialFailure(refusal: CognitoRefusal): boolean {
  return refusal === "bad_credentials" || refusal === "not_confirmed" || refusal === "password_reset_required";
}
