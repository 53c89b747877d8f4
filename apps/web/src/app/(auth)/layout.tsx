// Centered card layout for the sign-in and sign-up screens.
import type { ReactNode } from "react";

export default function AuthLayout({ children }: { children: ReactNode }) {
  return (
    <main className="auth-wrap">
      <div className="auth-card">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            ✓
          </span>
          WA Gateway
        </div>
        <div className="card card-body">{children}</div>
      </div>
    </main>
  );
}
