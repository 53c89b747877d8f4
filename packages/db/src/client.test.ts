import { describe, expect, it } from "vitest";
import { createDbClient } from "./client.ts";

// No connection is opened: postgres.js connects on the first query.
describe("createDbClient", () => {
  it("takes max and connect_timeout from the URL's query over its defaults", async () => {
    const client = createDbClient("postgres://u@127.0.0.1:1/db?connect_timeout=30&max=4");
    expect(client.sql.options.connect_timeout).toBe(30);
    expect(client.sql.options.max).toBe(4);
    await client.close();
  });

  it("keeps its defaults without them, and a caller's explicit choice over the URL", async () => {
    const plain = createDbClient("postgres://u@127.0.0.1:1/db");
    expect(plain.sql.options.connect_timeout).toBe(5);
    expect(plain.sql.options.max).toBe(10);
    await plain.close();
    const explicit = createDbClient("postgres://u@127.0.0.1:1/db?max=4", { max: 1 });
    expect(explicit.sql.options.max).toBe(1);
    await explicit.close();
  });
});
