// GET /api/auth/token (see server/auth/handlers.ts).
import { auth } from "@/server/auth/index.ts";
import { otherMethods } from "@/server/auth/refusals.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = (request: Request) => auth().token(request);
export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
