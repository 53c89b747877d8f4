import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { table, writeSection } from "./report.ts";

const tempFile = () => path.join(mkdtempSync(path.join(os.tmpdir(), "bench-report-")), "BENCHMARKS.md");

describe("writeSection", () => {
  it("replaces a benchmark's marked section in place and leaves the others alone", () => {
    const file = tempFile();
    writeSection(file, "a", "first A");
    writeSection(file, "b", "first B");
    writeSection(file, "a", "second A");
    const text = readFileSync(file, "utf8");
    expect(text).toContain("# Benchmarks");
    expect(text).toContain("<!-- bench:a -->\nsecond A\n<!-- /bench:a -->");
    expect(text).not.toContain("first A");
    expect(text.indexOf("bench:a")).toBeLessThan(text.indexOf("bench:b"));
    expect(text).toContain("first B");
  });

  it("appends a section to a file without one, and keeps the introduction current", () => {
    const file = tempFile();
    writeFileSync(file, "# Notes\n\nkept\n");
    writeSection(file, "x", "body");
    expect(readFileSync(file, "utf8")).toBe("# Notes\n\nkept\n\n<!-- bench:x -->\nbody\n<!-- /bench:x -->\n");
    writeFileSync(file, readFileSync(file, "utf8").replace("# Notes\n\nkept\n", "# Old intro\n"));
    writeSection(file, "x", "body 2");
    const text = readFileSync(file, "utf8");
    expect(text.startsWith("# Benchmarks\n")).toBe(true);
    expect(text).not.toContain("Old intro");
    expect(text).toContain("<!-- bench:x -->\nbody 2\n<!-- /bench:x -->");
  });
});

describe("table", () => {
  it("renders a markdown table", () => {
    expect(table(["a", "b"], [[1, "x"]])).toBe("| a | b |\n| --- | --- |\n| 1 | x |");
  });
});
