// Where to go after signing in: only a path on this site, so ?next= cannot send people elsewhere
// ("//host", "/\host" and paths with whitespace, which URL parsing turns into "//host", are refused).
export const safeNext = (next: string | undefined | null, fallback = "/sessions"): string =>
  next && /^\/(?![/\\])\S*$/.test(next) ? next : fallback;
