// POST /api/auth/sign-out (see server/auth/handlers.ts).
import { auth } from "@/server/auth/index.ts";
import { otherMethods } from "@/server/auth/refusals.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = (request: Request) => auth().signOut(request);
export const { GET, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
