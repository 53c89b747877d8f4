// POST /api/auth/invitations/accept (see server/auth/handlers.ts).
import { auth } from "@/server/auth/index.ts";
import { otherMethods } from "@/server/auth/refusals.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = (request: Request) => auth().acceptInvitation(request);
export const { GET, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
