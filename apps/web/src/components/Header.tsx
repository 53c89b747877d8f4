"use client";
// The top bar: navigation (admin entries only for super admins), the organization switcher, who you are, sign out.
// On narrow screens everything after the brand folds into a menu opened by one button.
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { tokens } from "@/lib/token-source.ts";
import { useConsole } from "@/lib/trpc.tsx";

export function Header() {
  const { viewer } = useConsole();
  const pathname = usePathname();
  const router = useRouter();
  const [switching, setSwitching] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [menuOpen, setMenuOpen] = useState(false);
  // A navigation closes the menu, as the page under it changed.
  useEffect(() => setMenuOpen(false), [pathname]);
  useEffect(() => {
    if (!menuOpen) return;
    const close = (e: KeyboardEvent) => {
      if (e.key === "Escape") setMenuOpen(false);
    };
    document.addEventListener("keydown", close);
    return () => document.removeEventListener("keydown", close);
  }, [menuOpen]);
  // Owners and admins see the organization's administration pages (the gateway enforces it either way).
  const role = viewer.activeOrganization?.role;
  const manager = role === "owner" || role === "admin";
  const current = (href: string) => (pathname === href || pathname.startsWith(`${href}/`) ? "page" : undefined);

  async function switchOrganization(organizationId: string) {
    setSwitching(true);
    setError(null);
    try {
      await tokens.switchOrganization(organizationId);
      // The console's layout is keyed by the active organization: refreshing remounts it with fresh queries.
      router.push("/sessions");
      router.refresh();
    } catch (e) {
      setError(e instanceof Error ? e.message : "could not switch");
    } finally {
      setSwitching(false);
    }
  }

  async function signOut() {
    await fetch("/api/auth/sign-out", { method: "POST", credentials: "same-origin" });
    tokens.invalidate();
    window.location.assign("/sign-in");
  }

  return (
    <header className="topbar">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <Link href="/sessions" prefetch={false} className="brand" aria-label="WA Gateway console home">
        <span className="brand-mark" aria-hidden="true">
          ✓
        </span>
        WA Gateway
      </Link>
      <button
        type="button"
        className="btn btn-sm menu-toggle"
        aria-expanded={menuOpen}
        aria-controls="console-menu"
        onClick={() => setMenuOpen((open) => !open)}
      >
        <span aria-hidden="true">{menuOpen ? "✕" : "☰"}</span> Menu
      </button>
      <div id="console-menu" className="topbar-menu" data-open={menuOpen}>
        <nav className="nav" aria-label="Main">
          <Link href="/sessions" prefetch={false} aria-current={current("/sessions")}>
            Sessions
          </Link>
          <Link href="/api-keys" prefetch={false} aria-current={current("/api-keys")}>
            API keys
          </Link>
          <Link href="/members" prefetch={false} aria-current={current("/members")}>
            Members
          </Link>
          {manager ? (
            <>
              <Link href="/invitations" prefetch={false} aria-current={current("/invitations")}>
                Invitations
              </Link>
              <Link href="/webhooks" prefetch={false} aria-current={current("/webhooks")}>
                Webhooks
              </Link>
              <Link href="/audit" prefetch={false} aria-current={current("/audit")}>
                Audit log
              </Link>
            </>
          ) : null}
          {viewer.user.isSuperAdmin ? (
            <>
              <span className="nav-sep" aria-hidden="true" />
              <Link href="/admin/sessions" prefetch={false} aria-current={current("/admin/sessions")}>
                All sessions
              </Link>
              <Link href="/admin/organizations" prefetch={false} aria-current={current("/admin/organizations")}>
                Organizations
              </Link>
              <Link href="/admin/audit" prefetch={false} aria-current={current("/admin/audit")}>
                All audit
              </Link>
              <Link href="/admin/gateways" prefetch={false} aria-current={current("/admin/gateways")}>
                Gateways
              </Link>
            </>
          ) : null}
        </nav>
        <div className="who">
          {viewer.organizations.length > 1 ? (
            <>
              <label htmlFor="org-switch" className="visually-hidden">
                Active organization
              </label>
              <select
                id="org-switch"
                className="select"
                value={viewer.activeOrganization?.organizationId ?? ""}
                disabled={switching}
                onChange={(e) => void switchOrganization(e.target.value)}
                style={{ maxWidth: 200 }}
              >
                {viewer.organizations.map((o) => (
                  <option key={o.organizationId} value={o.organizationId}>
                    {o.organizationName} · {o.role}
                  </option>
                ))}
              </select>
            </>
          ) : viewer.activeOrganization ? (
            <span className="muted" title="Your organization">
              {viewer.activeOrganization.organizationName} · {viewer.activeOrganization.role}
            </span>
          ) : null}
          {error ? (
            <span role="alert" className="error" style={{ color: "var(--danger)" }}>
              {error}
            </span>
          ) : null}
          {viewer.user.isSuperAdmin ? (
            <span className="badge-super" data-testid="super-admin-badge">
              Super admin
            </span>
          ) : null}
          <span className="who-name" data-testid="who">
            <span>{viewer.user.name}</span>
            <small>{viewer.user.email}</small>
          </span>
          <button type="button" className="btn btn-sm" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </div>
    </header>
  );
}
