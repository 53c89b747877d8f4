// A row of small tags (permissions, event types), wrapping on narrow screens.
export function Tags({ values }: { values: readonly string[] }) {
  return (
    <span className="tags">
      {values.map((v) => (
        <span key={v} className="tag">
          {v}
        </span>
      ))}
    </span>
  );
}
