// The pure rules of authz/ (rules.ts, relationship.ts) as tables: every permission type a caller
// may hold, in each place it may hold it, against every action and every person it may act on.
// The expected answers are written out from docs/permissions.md, not computed by the rules, so a
// change to a rule changes a cell here. No server: authz-attacks covers the same rules over HTTP.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Grant } from "../src/authz/grants.ts";
import { PERMISSION_TYPE_NAMES, type PermissionTypeName } from "../src/authz/permission-types.ts";
import { relationship, type Relationship } from "../src/authz/relationship.ts";
import {
  grantAuthority,
  grantVisibility,
  mayAddToProject,
  mayCreatePracticeAreas,
  mayCreateProjects,
  mayDeleteProjects,
  mayDeleteUsers,
  mayEditProject,
  maySeeMembers,
  maySignOutOthers,
  namingFor,
  revokeAuthority,
  userListScope,
} from "../src/authz/rules.ts";

const [P, Q, A, B] = ["project-p", "project-q", "area-a", "area-b"];
const grant = (type: PermissionTypeName, project: string | null = null, practiceArea: string | null = null): Grant => ({ uuid: null, type, project, practiceArea });

/** Each caller holds one permission (or none): a global type, or a project type in P or in P's area A. */
const CALLERS: Record<string, Grant[]> = {
  none: [],
  adminGlobal: [grant("adminGlobal")],
  adminVrms: [grant("adminVrms")],
  adminBrigade: [grant("adminBrigade")],
  memberGeneral: [grant("memberGeneral")],
  "adminProject P": [grant("adminProject", P)],
  "adminProject P/A": [grant("adminProject", P, A)],
  "practiceLeadProject P": [grant("practiceLeadProject", P)],
  "practiceLeadProject P/A": [grant("practiceLeadProject", P, A)],
  "practiceLeadJrProject P": [grant("practiceLeadJrProject", P)],
  "practiceLeadJrProject P/A": [grant("practiceLeadJrProject", P, A)],
  "memberProject P": [grant("memberProject", P)],
  "memberProject P/A": [grant("memberProject", P, A)],
};

it("the callers cover every permission type", () => {
  const held = new Set(Object.values(CALLERS).flatMap((grants) => grants.map((g) => g.type)));
  assert.deepEqual([...held].sort(), [...PERMISSION_TYPE_NAMES].sort());
});

// ------------------------------------------------------------------ granting and revoking

/** The grants asked for, in the order of a table row's cells: the global types, then each project type in P, P/A, P/B, Q. */
const GLOBAL_TYPES: PermissionTypeName[] = ["adminGlobal", "adminVrms", "adminBrigade", "memberGeneral"];
const PROJECT_TYPES: PermissionTypeName[] = ["adminProject", "practiceLeadProject", "practiceLeadJrProject", "memberProject"];
const PLACES: [string, string | null][] = [
  [P, null],
  [P, A],
  [P, B],
  [Q, null],
];
const WANTED = [
  ...GLOBAL_TYPES.map((type) => ({ type, project: null, practiceArea: null, label: type })),
  ...PROJECT_TYPES.flatMap((type) => PLACES.map(([project, practiceArea]) => ({ type, project, practiceArea, label: `${type} in ${project}${practiceArea ? `/${practiceArea}` : ""}` }))),
];

/**
 * y: may grant and revoke it; G: may grant it, not revoke it (an adminProject adds fellow
 * adminProjects of its project); .: neither. Cells: aG aV aB mG | adminProject P P/A P/B Q |
 * practiceLeadProject … | practiceLeadJrProject … | memberProject ….
 */
const GRANTS: Record<keyof typeof CALLERS, string> = {
  none: /*                       */ ".... .... .... .... ....",
  adminGlobal: /*                */ "yyyy yyyy yyyy yyyy yyyy",
  adminVrms: /*                  */ "..yy yyyy yyyy yyyy yyyy",
  adminBrigade: /*               */ "...y yyyy yyyy yyyy yyyy",
  memberGeneral: /*              */ ".... .... .... .... ....",
  "adminProject P": /*           */ ".... GGG. yyy. yyy. yyy.",
  "adminProject P/A": /*         */ ".... .... .y.. .y.. .y..",
  "practiceLeadProject P": /*    */ ".... .... .... yyy. yyy.",
  "practiceLeadProject P/A": /*  */ ".... .... .... .y.. .y..",
  "practiceLeadJrProject P": /*  */ ".... .... .... .... yyy.",
  "practiceLeadJrProject P/A": /**/ ".... .... .... .... .y..",
  "memberProject P": /*          */ ".... .... .... .... ....",
  "memberProject P/A": /*        */ ".... .... .... .... ....",
};

describe("grantAuthority and revokeAuthority: every caller × every type in every place", () => {
  for (const [caller, grants] of Object.entries(CALLERS)) {
    it(caller, () => {
      const cells = GRANTS[caller]!.replaceAll(" ", "");
      assert.equal(cells.length, WANTED.length);
      WANTED.forEach((wanted, i) => {
        const expected = cells[i]!;
        const granting = grantAuthority(grants, wanted);
        const revoking = revokeAuthority(grants, wanted);
        assert.equal(granting !== undefined, expected !== ".", `${caller} may grant ${wanted.label}`);
        assert.equal(revoking !== undefined, expected === "y", `${caller} may revoke ${wanted.label}`);
        // The authority named is the caller's own permission, for the audit trail (granted_by).
        if (granting) assert.ok(grants.includes(granting), `${caller}: the authority for ${wanted.label} is one of its grants`);
      });
    });
  }

  it("an unknown type is granted by adminGlobal alone", () => {
    for (const [caller, grants] of Object.entries(CALLERS)) {
      const wanted = { type: "superUser", project: P, practiceArea: null };
      assert.equal(grantAuthority(grants, wanted) !== undefined, caller === "adminGlobal", caller);
    }
  });

  it("of several permissions, any one that suffices is the authority", () => {
    const grants = [grant("memberProject", Q), grant("practiceLeadProject", P, A)];
    assert.deepEqual(grantAuthority(grants, { type: "memberProject", project: P, practiceArea: A }), grants[1]);
    assert.equal(grantAuthority(grants, { type: "memberProject", project: Q, practiceArea: null }), undefined);
  });
});

// ------------------------------------------------------------------ the other actions

interface Actions {
  editP: boolean;
  addToP: boolean;
  addToQ: boolean;
  seeMembersP: boolean;
  seeMembersQ: boolean;
  /** Whose users the caller lists: "all", the led scopes, or "-" (403). */
  listUsers: string;
  namingP: string;
  namingQ: string;
  /** Create and delete projects and practice areas, delete users, sign others out. */
  administer: boolean;
}

const lead = (namingP: "newcomers-by-login" | "led-only", editP: boolean, scope: string): Actions => ({
  editP,
  addToP: editP,
  addToQ: false,
  seeMembersP: true,
  seeMembersQ: false,
  listUsers: scope,
  namingP,
  namingQ: "led-only",
  administer: false,
});
const everyone = (administer: boolean): Actions => ({
  editP: administer,
  addToP: true,
  addToQ: true,
  seeMembersP: true,
  seeMembersQ: true,
  listUsers: "all",
  namingP: "anyone",
  namingQ: "anyone",
  administer,
});
const nobody: Actions = { editP: false, addToP: false, addToQ: false, seeMembersP: false, seeMembersQ: false, listUsers: "-", namingP: "led-only", namingQ: "led-only", administer: false };
const member: Actions = { ...nobody, seeMembersP: true };

const ACTIONS: Record<keyof typeof CALLERS, Actions> = {
  none: nobody,
  adminGlobal: everyone(true),
  adminVrms: everyone(false),
  adminBrigade: everyone(false),
  memberGeneral: nobody,
  "adminProject P": lead("newcomers-by-login", true, "P"),
  "adminProject P/A": lead("led-only", false, "P/A"),
  "practiceLeadProject P": lead("led-only", false, "P"),
  "practiceLeadProject P/A": lead("led-only", false, "P/A"),
  "practiceLeadJrProject P": lead("led-only", false, "P"),
  "practiceLeadJrProject P/A": lead("led-only", false, "P/A"),
  "memberProject P": member,
  "memberProject P/A": member,
};

const scopeLabel = (s: { project: string; practiceArea: string | null }) => (s.project === P ? "P" : s.project) + (s.practiceArea === A ? "/A" : s.practiceArea ? `/${s.practiceArea}` : "");

describe("the other rules: every caller × every action", () => {
  for (const [caller, grants] of Object.entries(CALLERS)) {
    it(caller, () => {
      const list = userListScope(grants);
      const visibility = grantVisibility("caller", grants);
      const actual: Actions = {
        editP: mayEditProject(grants, P),
        addToP: mayAddToProject(grants, P),
        addToQ: mayAddToProject(grants, Q),
        seeMembersP: maySeeMembers(grants, P),
        seeMembersQ: maySeeMembers(grants, Q),
        listUsers: list === undefined ? "-" : list.all ? "all" : list.scopes.map(scopeLabel).join(","),
        namingP: namingFor(grants, P),
        namingQ: namingFor(grants, Q),
        administer: mayCreateProjects(grants),
      };
      assert.deepEqual(actual, ACTIONS[caller]);
      for (const rule of [mayDeleteProjects, mayCreatePracticeAreas, mayDeleteUsers, maySignOutOthers]) assert.equal(rule(grants), actual.administer, `${caller}: ${rule.name}`);
      // Grants are visible as users are listable: all of them, or one's own and the led scopes'.
      if (list?.all) assert.deepEqual(visibility, { all: true });
      else assert.deepEqual(visibility, { all: false, user: "caller", scopes: list?.scopes ?? [] });
      assert.equal(mayAddToProject(grants, null), actual.addToQ, `${caller}: adding to no project is adding as a global administrator`);
    });
  }
});

// ------------------------------------------------------------------ the relationship the field table reads

const TARGETS: Record<string, Grant[]> = {
  "member of P/A": [grant("memberProject", P, A)],
  "member of P/B": [grant("memberProject", P, B)],
  "member of P": [grant("memberProject", P)],
  "member of Q": [grant("memberProject", Q)],
  "a global memberGeneral": [grant("memberGeneral")],
  "no one's": [],
};

type Row = [self: Relationship, pa: Relationship, pb: Relationship, p: Relationship, q: Relationship, general: Relationship, none: Relationship];
const leadsP: Row = ["self", "projectLead", "projectLead", "projectLead", "none", "none", "none"];
const areaLead: Row = ["self", "projectLead", "projectMember", "projectMember", "none", "none", "none"];
const memberOfP: Row = ["self", "projectMember", "projectMember", "projectMember", "none", "none", "none"];
const stranger: Row = ["self", "none", "none", "none", "none", "none", "none"];
const leadsAll: Row = ["self", "projectLead", "projectLead", "projectLead", "projectLead", "projectLead", "projectLead"];

/** Columns: the caller itself, then each of TARGETS in its order. */
const RELATIONSHIP: Record<keyof typeof CALLERS, Row> = {
  none: stranger,
  adminGlobal: ["adminGlobal", "adminGlobal", "adminGlobal", "adminGlobal", "adminGlobal", "adminGlobal", "adminGlobal"],
  adminVrms: leadsAll,
  adminBrigade: leadsAll,
  memberGeneral: stranger,
  "adminProject P": leadsP,
  "adminProject P/A": areaLead,
  "practiceLeadProject P": leadsP,
  "practiceLeadProject P/A": areaLead,
  "practiceLeadJrProject P": leadsP,
  "practiceLeadJrProject P/A": areaLead,
  "memberProject P": memberOfP,
  "memberProject P/A": memberOfP,
};

describe("relationship: every caller × itself and every kind of person", () => {
  for (const [caller, grants] of Object.entries(CALLERS)) {
    it(caller, () => {
      const me = { uuid: "caller", grants };
      const actual = [relationship(me, me), ...Object.values(TARGETS).map((targetGrants, i) => relationship(me, { uuid: `target-${i}`, grants: targetGrants }))];
      assert.deepEqual(actual, RELATIONSHIP[caller]);
    });
  }

  it("the strongest relationship wins when a caller holds several", () => {
    const target = { uuid: "t", grants: [grant("memberProject", P, B), grant("memberProject", Q)] };
    assert.equal(relationship({ uuid: "c", grants: [grant("memberProject", Q), grant("practiceLeadProject", P, B)] }, target), "projectLead");
    assert.equal(relationship({ uuid: "c", grants: [grant("practiceLeadProject", P, A), grant("memberProject", Q)] }, target), "projectMember");
  });
});
