// People for the permissions tests: a new user signed in (their profile made by their first
// request), and a grant made through the API.
import assert from "node:assert/strict";
import type { TestIssuer } from "../../support/issuer.ts";
import type { Json, TestServer } from "./server.ts";

let unique = 0;
/** A name no other test process or call uses (projects' names are unique). */
export const uniqueName = (prefix: string) => `${prefix} ${process.pid}-${++unique}`;

export function people(issuer: TestIssuer, app: TestServer) {
  const signedIn = async (groups: string[] = [], on: TestServer = app): Promise<{ token: string; uuid: string; email: string }> => {
    const token = issuer.mint(issuer.newUser({ groups }));
    const me = await on.request("GET", "/api/v1/me", { token });
    assert.equal(me.status, 200, JSON.stringify(me.body));
    return { token, uuid: me.body.uuid as string, email: me.body.email as string };
  };
  return {
    /** A new user in `groups`, signed in on `on` (their first request made their profile). */
    signedIn,
    /** Where most permission tests start: an administrator, two new projects, the Design practice area. */
    async twoProjects(): Promise<{ admin: { token: string; uuid: string; email: string }; P: string; Q: string; design: string }> {
      const admin = await signedIn(["admin"]);
      const project = async () => (await app.request("POST", "/api/v1/projects", { token: admin.token, body: { name: uniqueName("Project") } })).body.uuid as string;
      const [P, Q] = [await project(), await project()];
      const areas = (await app.request<Json[]>("GET", "/api/v1/practice-areas", { token: admin.token })).body;
      return { admin, P, Q, design: areas.find((a) => a.name === "Design")!.uuid as string };
    },
    /** POST /api/v1/user-permissions as `token`, answered `expect`. */
    async grant(token: string, body: Json, expect = 201): Promise<Json> {
      const res = await app.request("POST", "/api/v1/user-permissions", { token, body });
      assert.equal(res.status, expect, `grant ${JSON.stringify(body)}: ${JSON.stringify(res.body)}`);
      return res.body;
    },
  };
}
