// Request proxy: passes the requested path to server components (so a sign-in redirect can come back to it) and
// sends visitors without a session cookie straight to sign-in.
import { NextResponse, type NextRequest } from "next/server";
import { SESSION_COOKIE } from "./server/auth/cookies.ts";

const PUBLIC = ["/sign-in", "/sign-up"];

export function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  // Invitation links open for anyone: the page itself offers sign-up or sign-in.
  const isPublic = PUBLIC.includes(pathname) || pathname.startsWith("/invite/");
  if (!isPublic && !request.cookies.has(SESSION_COOKIE)) {
    const url = request.nextUrl.clone();
    url.pathname = "/sign-in";
    url.search = pathname === "/" ? "" : `?next=${encodeURIComponent(pathname + search)}`;
    return NextResponse.redirect(url);
  }
  const headers = new Headers(request.headers);
  headers.set("x-wa-path", pathname + search);
  return NextResponse.next({ request: { headers } });
}

export const config = {
  // Pages only: not the auth API, Next's assets or the icon.
  matcher: ["/((?!api/|_next/|icon.svg|favicon.ico).*)"],
};
