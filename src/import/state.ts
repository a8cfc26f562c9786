// What the pool and the database hold for the people and projects of an import, read in bulk:
// the database first; the pool only when someone has not been imported yet (a repeated import
// asks Cognito nothing).
import type { Db } from "../db/client.ts";
import type { Accounts } from "./cognito-accounts.ts";
import type { Cleaned } from "./clean.ts";
import type { CognitoAccount, ImportState } from "./plan.ts";
import { readGrants, readLinkedIds, readProfilesBySub, readProjectsByName } from "./store.ts";

export async function readState(db: Db, accounts: Pick<Accounts, "all">, cleaned: Cleaned): Promise<ImportState> {
  const { userIds, projectIds } = await readLinkedIds(
    db,
    cleaned.people.flatMap((p) => p.vrmsIds),
    cleaned.projects.map((p) => p.vrmsId),
  );
  const projectsByName = await readProjectsByName(
    db,
    cleaned.projects.filter((p) => !projectIds.has(p.vrmsId)).map((p) => p.name),
  );
  const unlinked = cleaned.people.filter((p) => !p.vrmsIds.some((id) => userIds.has(id)));
  let cognitoByEmail = new Map<string, CognitoAccount>();
  let profilesBySub = new Map<string, string>();
  if (unlinked.length > 0) {
    const pool = await accounts.all();
    cognitoByEmail = new Map(unlinked.flatMap((p) => (pool.has(p.email) ? [[p.email, pool.get(p.email)!] as const] : [])));
    profilesBySub = await readProfilesBySub(db, [...cognitoByEmail.values()].map((a) => a.sub));
  }
  const grants = await readGrants(db, [...new Set([...userIds.values(), ...profilesBySub.values()])]);
  return { userIds, projectIds, projectsByName, cognitoByEmail, profilesBySub, grants };
}
