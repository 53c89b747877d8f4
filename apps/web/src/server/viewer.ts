// Who is signed in, for server components: the web session named by the cookie, the person and their organizations.
import { cache } from "react";
import { cookies } from "next/headers";
import { findActiveWebSession, listMemberships, type MembershipView } from "@wa/db/queries";
import { SESSION_COOKIE, hashSessionToken, isWellFormedToken } from "./auth/cookies.ts";
import { db } from "./db.ts";

export interface Viewer {
  /** The web session (its row id), named in the tokens minted for this viewer. */
  sessionId: string;
  user: { id: string; email: string; name: string; isSuperAdmin: boolean };
  organizations: MembershipView[];
  /** The organization tokens are minted for (the first membership until the person switches). */
  activeOrganization: MembershipView | null;
}

export const getViewer = cache(async (): Promise<Viewer | null> => {
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  if (!token || !isWellFormedToken(token)) return null;
  const session = await findActiveWebSession(db(), hashSessionToken(token));
  if (!session) return null;
  const organizations = await listMemberships(db(), session.userId);
  const activeOrganization =
    organizations.find((m) => m.organizationId === session.activeOrganizationId) ?? organizations[0] ?? null;
  return {
    sessionId: session.id,
    user: {
      id: session.user.id,
      email: session.user.email,
      name: session.user.name,
      isSuperAdmin: session.user.platformRole === "super_admin",
    },
    organizations,
    activeOrganization,
  };
});
