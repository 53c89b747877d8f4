// Who created a session, for its detail pages: the gateway answers with a user id; the web app reads people from its
// own identity tables and shows a name. Only for a session the viewer may open (their organization, or any as super admin).
import type { SessionCreator } from "@/components/SessionFields.tsx";
import { getUserProfile } from "@wa/db/queries";
import { getSession } from "@wa/db/queries";
import { db } from "./db.ts";
import { log } from "./log.ts";
import type { Viewer } from "./viewer.ts";

export async function sessionCreator(viewer: Viewer, sessionId: string, scope: "organization" | "platform"): Promise<SessionCreator | null> {
  const anyOrganization = scope === "platform" && viewer.user.isSuperAdmin;
  const organizationId = viewer.activeOrganization?.organizationId;
  if (!anyOrganization && !organizationId) return null;
  try {
    const session = await getSession(db(), sessionId, anyOrganization ? undefined : organizationId);
    if (!session?.createdByUserId) return null;
    const person = await getUserProfile(db(), session.createdByUserId);
    return person ? { name: person.name, email: person.email, isViewer: person.id === viewer.user.id } : null;
  } catch (error) {
    // A name is a nicety: the page still renders (with the id) when the lookup fails.
    log.warn({ err: error, sessionId }, "session creator lookup failed");
    return null;
  }
}
