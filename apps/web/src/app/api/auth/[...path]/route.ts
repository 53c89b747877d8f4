// Any other path under /api/auth: 404 in the contract's error body (not Next's HTML page), whatever the method.
import { unknownAuthRoute } from "@/server/auth/refusals.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = unknownAuthRoute;
export const HEAD = unknownAuthRoute;
export const POST = unknownAuthRoute;
export const PUT = unknownAuthRoute;
export const PATCH = unknownAuthRoute;
export const DELETE = unknownAuthRoute;
export const OPTIONS = unknownAuthRoute;
