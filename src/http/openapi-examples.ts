// Examples of request bodies and success answers for the OpenAPI document, by operationId. Kept
// apart from the schemas (which validate and serialize) and added to the built document only;
// openapi.test.ts validates each one against its schema, so they cannot drift from it.

interface Example {
  summary: string;
  value: unknown;
}

interface OperationExamples {
  body?: Record<string, Example>;
  /** The success answer (200, 201 or 202). */
  answer?: Record<string, Example>;
}

// One cast of characters throughout: an administrator and a volunteer, a project, a practice area.
const ALICE = "3f8b1c2e-6d4a-4e1b-9a57-2c0d8e6f1a90";
const BOB = "b1e2d3c4-5a6b-4c7d-8e9f-0a1b2c3d4e5f";
const PROJECT = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
const AREA = "9b2f4d1e-3c5a-4e6f-8a7b-1c2d3e4f5a6b";
const GRANT = "0d5c8e7a-1f2b-4c3d-9e4f-5a6b7c8d9e0f";
const CREATED = "2026-01-15T17:04:05.000Z";
const UPDATED = "2026-03-02T09:30:00.000Z";
const API = "https://api.example.org";

const profile = {
  uuid: BOB,
  username: "6c1f2e3d-bob",
  email: "bob@example.org",
  email_verified: true,
  first_name: "Bob",
  last_name: "Rivera",
  preferred_email: "bob.rivera@example.org",
  gmail: null,
  phone: "+14155552671",
  texting_ok: false,
  time_zone: "America/Los_Angeles",
  linkedin_account: null,
  github_handle: "bob-rivera",
  slack_member_id: "U024BE7LH",
  current_job_title: "Data analyst",
  target_job_title: "Data scientist",
  current_skills: "SQL, Python",
  target_skills: "Machine learning",
  is_active: true,
  last_login: UPDATED,
  created_at: CREATED,
  updated_at: UPDATED,
};

/** What a project member (not a lead) sees of another member: the fields that relationship reads. */
const memberView = { uuid: ALICE, username: "a7d0c4f1-alice", first_name: "Alice", last_name: "Nguyen", github_handle: "alice-n", slack_member_id: "U0ALICE01" };

const me = {
  ...profile,
  groups: ["volunteers"],
  is_admin: false,
  permissions: [{ uuid: GRANT, permission_type: "memberProject", project: PROJECT, practice_area: AREA, cognito_group: null }],
};

const project = { uuid: PROJECT, name: "VRMS", description: "Volunteer Relationship Management System", github_url: "https://github.com/hackforla/VRMS", slack_url: null, created_at: CREATED, updated_at: UPDATED };
const area = { uuid: AREA, name: "Data Science", created_at: CREATED };
const grant = { uuid: GRANT, user: BOB, permission_type: "memberProject", project: PROJECT, practice_area: AREA, granted_by: ALICE, created_at: CREATED };
const tokens = { access_token: "eyJraWQiOiJ...access", id_token: "eyJraWQiOiJ...id", refresh_token: "eyJjdHkiOiJ...refresh", expires_in: 3600, token_type: "Bearer" };

const one = (summary: string, value: unknown): Record<string, Example> => ({ default: { summary, value } });

const SUBSCRIPTION = "5e0f3a2b-8c7d-4e6f-9a1b-2c3d4e5f6a7b";
const DELIVERY = "6f1a2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b";
const EVENT = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
const subscription = {
  uuid: SUBSCRIPTION,
  url: "https://hooks.example.org/vrms",
  events: ["user.created", "user.deactivated", "permission.granted", "permission.revoked"],
  description: "Onboarding and offboarding",
  enabled: true,
  disabled_reason: null,
  failing_since: null,
  owner: "service:7f3k2l9m1n4b5v6c8x0z",
  previous_secret_expires_at: null,
  created_at: CREATED,
  updated_at: UPDATED,
};
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const delivery = {
  uuid: DELIVERY,
  event: EVENT,
  event_type: "user.deactivated",
  state: "delivered",
  attempts: 2,
  next_attempt_at: null,
  last_attempt_at: UPDATED,
  last_status: 204,
  last_error: null,
  delivered_at: UPDATED,
};
const event = { id: EVENT, type: "user.deactivated", occurred_at: UPDATED, actor: ALICE, subject: BOB, data: { uuid: BOB, first_name: "Bob", last_name: "Rivera", is_active: false } };

export const EXAMPLES: Record<string, OperationExamples> = {
  getLiveness: { answer: one("The process runs", { status: "ok" }) },
  getReadiness: { answer: one("Ready", { status: "ready", checks: { jwks: "ok", database: "ok", revocations: "ok" } }) },
  getAdminPageConfig: {
    answer: one("The Hosted UI of the pool", {
      cognito_domain: "https://vrms.auth.us-west-2.amazoncognito.com",
      issuer: "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_Example1",
      client_id: "4d2kqv8s0example",
      redirect_uri: `${API}/admin`,
      scopes: ["openid", "email", "profile"],
      implicit_grant: false,
      logout_supported: true,
    }),
  },
  getMe: { answer: one("A volunteer's own profile", me) },
  updateMe: {
    body: {
      default: { summary: "Change some fields", value: { first_name: "Bob", phone: "+14155552671", time_zone: "America/New_York" } },
      clear: { summary: "Clear a field (null), restore a default", value: { linkedin_account: null, texting_ok: null } },
    },
    answer: one("The profile as changed", { ...me, time_zone: "America/New_York" }),
  },
  listUsers: {
    answer: one("A page of users", { count: 2, count_is_estimate: false, next: null, previous: null, results: [{ ...profile, uuid: ALICE, username: "a7d0c4f1-alice", email: "alice@example.org", first_name: "Alice", last_name: "Nguyen" }, profile] }),
  },
  getUser: {
    answer: {
      default: { summary: "As a global administrator sees it", value: profile },
      member: { summary: "As a fellow project member sees it: fewer fields", value: memberView },
    },
  },
  updateUser: {
    body: {
      default: { summary: "Correct a name", value: { last_name: "Rivera-Lopez" } },
      deactivate: { summary: "Deactivate an account (administrators)", value: { is_active: false } },
    },
    answer: one("The profile as changed", { ...profile, last_name: "Rivera-Lopez" }),
  },
  listProjects: { answer: one("Every project", [project]) },
  createWebhook: {
    body: one("Hear of people joining and leaving", { url: "https://hooks.example.org/vrms", events: ["user.created", "user.deactivated", "permission.granted", "permission.revoked"], description: "Onboarding and offboarding" }),
    answer: one("The subscription, with its signing secret this once", { ...subscription, secret: SECRET }),
  },
  listWebhooks: { answer: one("Subscriptions", [subscription]) },
  getWebhook: { answer: one("A subscription", subscription) },
  updateWebhook: {
    body: one("Enable it again after fixing the receiver", { enabled: true }),
    answer: one("The subscription as changed", subscription),
  },
  rotateWebhookSecret: { answer: one("The new secret; the old one signs too until then", { secret: SECRET, previous_secret_expires_at: "2026-03-03T09:30:00.000Z" }) },
  listWebhookDeliveries: { answer: one("Deliveries, newest first", [delivery]) },
  replayWebhookDelivery: { answer: one("The delivery, pending again", { ...delivery, state: "pending", next_attempt_at: UPDATED, delivered_at: null }) },
  listEvents: { answer: one("Events after the cursor, oldest first", { events: [event], next_cursor: EVENT }) },

  lookUpPerson: { answer: one("The one person with that email or GitHub handle", { uuid: BOB, first_name: "Bob", last_name: "Rivera" }) },
  createProject: {
    body: one("A new project", { name: "VRMS", description: "Volunteer Relationship Management System" }),
    answer: one("The project created", project),
  },
  getProject: { answer: one("A project", project) },
  updateProject: {
    body: one("A new description", { description: "Volunteer Relationship Management System, v2" }),
    answer: one("The project as changed", { ...project, description: "Volunteer Relationship Management System, v2" }),
  },
  listProjectMembers: {
    answer: one("A project's members", [{ user: memberView, permissions: [{ uuid: "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b", permission_type: "adminProject", project: PROJECT, practice_area: null, cognito_group: null }] }]),
  },
  listPracticeAreas: { answer: one("Every practice area", [area]) },
  createPracticeArea: { body: one("A new practice area", { name: "Data Science" }), answer: one("The practice area created", area) },
  listPermissionTypes: {
    answer: one("The types, most powerful first (abridged)", [
      { name: "adminGlobal", rank: 1, description: "People Depot administrators: may do anything.", scope: "global" },
      { name: "memberProject", rank: 7, description: "Project team member: reads what the project shows its members.", scope: "project" },
    ]),
  },
  getFieldPermissions: {
    answer: one("Who reads and changes each field (abridged)", {
      relationships: ["adminGlobal", "self", "projectLead", "projectMember", "none"],
      fields: [
        { field: "first_name", read: "projectMember", write: "self" },
        { field: "is_active", read: "projectLead", write: "adminGlobal" },
        { field: "email", read: "projectLead", write: null },
      ],
    }),
  },
  listGrants: { answer: one("A page of grants", { count: 1, next: null, previous: null, results: [grant] }) },
  createGrant: {
    body: {
      default: { summary: "Grant to someone by uuid", value: { user: BOB, permission_type: "memberProject", project: PROJECT, practice_area: AREA } },
      newcomer: { summary: "Add a newcomer to a project by email", value: { email: "newcomer@example.org", permission_type: "memberProject", project: PROJECT } },
    },
    answer: one("The grant made", grant),
  },
  listPermissionHistory: {
    answer: one("A page of history", {
      count: 1,
      next: `${API}/api/v1/permission-history?page=2`,
      previous: null,
      results: [{ id: 42, action: "grant", permission: GRANT, user: BOB, permission_type: "memberProject", project: PROJECT, practice_area: AREA, actor: ALICE, at: CREATED }],
    }),
  },
  checkPermission: {
    body: one("May Bob act as a member of this project?", { user: BOB, permission_type: "memberProject", project: PROJECT }),
    answer: one("Yes, by this grant", { allowed: true, via: [{ uuid: GRANT, permission_type: "memberProject", project: PROJECT, practice_area: AREA, cognito_group: null }] }),
  },
  login: { body: one("Username and password", { username: "bob@example.org", password: "correct horse battery staple" }), answer: one("Tokens", tokens) },
  answerChallenge: {
    body: {
      default: { summary: "A new password, as Cognito asked", value: { challenge: "NEW_PASSWORD_REQUIRED", session: "AYABeC...session", username: "bob@example.org", responses: { NEW_PASSWORD: "a new long passphrase" } } },
      mfa: { summary: "An authenticator app's code", value: { challenge: "SOFTWARE_TOKEN_MFA", session: "AYABeC...session", username: "bob@example.org", responses: { SOFTWARE_TOKEN_MFA_CODE: "123456" } } },
    },
    answer: one("Tokens", tokens),
  },
  refreshTokens: {
    body: one("A refresh token (username: for app clients with a secret)", { refresh_token: "eyJjdHkiOiJ...refresh", username: "bob@example.org" }),
    answer: one("New access and id tokens", { access_token: "eyJraWQiOiJ...access", id_token: "eyJraWQiOiJ...id", expires_in: 3600, token_type: "Bearer" }),
  },
  logout: {
    body: {
      default: { summary: "Revoke the refresh token too", value: { refresh_token: "eyJjdHkiOiJ...refresh" } },
      tokenOnly: { summary: "This session's tokens only", value: {} },
    },
  },
};

const SUCCESS = ["200", "201", "202"];
const JSON_MEDIA = "application/json";

interface Operation {
  operationId?: string;
  requestBody?: { content?: Record<string, { examples?: unknown }> };
  responses?: Record<string, { content?: Record<string, { examples?: unknown }> }>;
}

/**
 * The document with each operation's examples on its JSON media types (OpenAPI's `examples`). Done
 * on the built document rather than on the routes' schemas: a response that is a $ref (Profile)
 * has no room for them there.
 */
export function addExamples<D extends { paths?: object }>(document: D): D {
  for (const operations of Object.values(document.paths ?? {}) as (Record<string, unknown> | undefined)[]) {
    for (const operation of Object.values(operations ?? {}) as Operation[]) {
      const examples = operation.operationId ? EXAMPLES[operation.operationId] : undefined;
      if (!examples) continue;
      const body = operation.requestBody?.content?.[JSON_MEDIA];
      if (body && examples.body) body.examples = examples.body;
      for (const status of SUCCESS) {
        const answer = operation.responses?.[status]?.content?.[JSON_MEDIA];
        if (answer && examples.answer) answer.examples = examples.answer;
      }
    }
  }
  return document;
}
