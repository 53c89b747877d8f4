// URL state of the sessions table: parsing is forgiving, and the server and the browser build the same inputs.
import { describe, expect, it } from "vitest";
import { adminListFilters, orgListFilters, parseTableState, readerOf, withCursor } from "./table-params.ts";

describe("table URL state", () => {
  it("reads page size, cursor stack, statuses, filters and search; drops what it does not know", () => {
    const sp = new URLSearchParams("size=100&c=AAA&c=BBB&status=failed&status=bogus&status=working&org=O1&gw=gw-1&q=62812");
    const s = parseTableState(sp);
    expect(s).toEqual({ size: 100, cursors: ["AAA", "BBB"], cursor: "BBB", page: 3, status: ["failed", "working"], org: "O1", gw: "gw-1", q: "62812" });
    expect(parseTableState(new URLSearchParams("size=7")).size).toBe(50);
    expect(parseTableState(new URLSearchParams("")).page).toBe(1);
  });

  it("server searchParams and browser URLSearchParams give identical list inputs", () => {
    const query = "status=failed&status=logged_out&org=O1&q=abc&c=CUR&size=25";
    const server: Record<string, string | string[]> = { status: ["failed", "logged_out"], org: "O1", q: "abc", c: "CUR", size: "25" };
    const a = parseTableState(new URLSearchParams(query));
    const b = parseTableState(readerOf(server));
    expect(withCursor(adminListFilters(a), a.cursor)).toEqual(withCursor(adminListFilters(b), b.cursor));
    expect(withCursor(adminListFilters(a), a.cursor)).toEqual({ limit: 25, status: ["failed", "logged_out"], organizationId: "O1", q: "abc", cursor: "CUR" });
    // The organization view never sends organization or gateway filters.
    expect(orgListFilters(a)).toEqual({ limit: 25, status: ["failed", "logged_out"], q: "abc" });
  });
});
