// Shown at once while a console page renders on the server (its first data comes from the gateway).
export default function Loading() {
  return (
    <div aria-busy="true" aria-label="Loading">
      <div className="page-head">
        <div>
          <span className="skeleton" style={{ width: 180, height: 22 }} />
        </div>
      </div>
      <div className="card" style={{ padding: 16 }}>
        {Array.from({ length: 8 }, (_, i) => (
          <div key={i} style={{ height: 44, display: "flex", alignItems: "center" }}>
            <span className="skeleton" style={{ width: `${40 + ((i * 13) % 50)}%` }} />
          </div>
        ))}
      </div>
    </div>
  );
}
