// 404 page.
import Link from "next/link";

export default function NotFound() {
  return (
    <main className="auth-wrap">
      <div className="card card-body" style={{ maxWidth: 420, textAlign: "center" }}>
        <h1>Page not found</h1>
        <p className="muted">
          <Link href="/sessions">Go to sessions</Link>
        </p>
      </div>
    </main>
  );
}
