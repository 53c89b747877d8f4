"use client";
// A console page failed to render on the server (e.g. the database is unreachable): say so, offer a retry.
export default function ConsoleError({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <section className="card notice" role="alert">
      <div className="notice-icon error" aria-hidden="true">
        !
      </div>
      <div>
        <h2>This page could not be shown</h2>
        <p>Something failed on the server. It has been logged; try again in a moment.</p>
        <p>
          <button type="button" className="btn btn-sm" onClick={reset}>
            Try again
          </button>
        </p>
      </div>
    </section>
  );
}
