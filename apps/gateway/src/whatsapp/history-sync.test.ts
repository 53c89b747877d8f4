// When the initial history sync counts as over: progress 100 plus the PUSH_NAME chunk, Baileys' `paused`, or a long
// silence after progress 100; a chunk below 100 makes it pending again.
import { proto } from "@whiskeysockets/baileys";
import { describe, expect, it } from "vitest";
import { HistorySyncWatch } from "./history-sync.ts";

const { INITIAL_BOOTSTRAP, PUSH_NAME, ON_DEMAND } = proto.HistorySync.HistorySyncType;
const settledNow = async (w: HistorySyncWatch) => {
  let done = false;
  void w.settled().then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
};

describe("history sync watch", () => {
  it("nothing expected: settled at once", async () => {
    expect(await settledNow(new HistorySyncWatch())).toBe(true);
  });

  it("expected: pending through the bootstrap chunks, settled by progress 100 plus the push names", async () => {
    const w = new HistorySyncWatch();
    w.expect();
    w.chunk({ syncType: INITIAL_BOOTSTRAP, progress: 40 });
    expect(await settledNow(w)).toBe(false);
    w.chunk({ syncType: INITIAL_BOOTSTRAP, progress: 100 });
    expect(await settledNow(w)).toBe(false);
    w.chunk({ syncType: ON_DEMAND, progress: 100 });
    expect(w.inProgress).toBe(true);
    w.chunk({ syncType: PUSH_NAME, progress: 100 });
    expect(await settledNow(w)).toBe(true);
    expect(w.inProgress).toBe(false);
  });

  it("a chunk below 100 after completion makes it pending again; `paused` ends it", async () => {
    const w = new HistorySyncWatch();
    w.chunk({ syncType: INITIAL_BOOTSTRAP, progress: 50 });
    expect(w.inProgress).toBe(true);
    w.paused();
    expect(await settledNow(w)).toBe(true);
  });

  it("progress 100 without any PUSH_NAME chunk ends after the quiet period", async () => {
    const w = new HistorySyncWatch({ quietAfterCompleteMs: 20 });
    w.expect();
    w.chunk({ syncType: INITIAL_BOOTSTRAP, progress: 100 });
    expect(w.inProgress).toBe(true);
    await w.settled();
    expect(w.inProgress).toBe(false);
  });

  it("restart: no sync expected settles an unfinished one; expected again forgets what the last connection saw", async () => {
    const cutOff = new HistorySyncWatch();
    cutOff.restart(true);
    cutOff.chunk({ syncType: INITIAL_BOOTSTRAP, progress: 40 });
    cutOff.restart(false);
    expect(cutOff.inProgress).toBe(false);
    expect(await settledNow(cutOff)).toBe(true);

    const resent = new HistorySyncWatch({ quietAfterCompleteMs: 60_000 });
    resent.restart(true);
    resent.chunk({ syncType: INITIAL_BOOTSTRAP, progress: 100 });
    resent.restart(true);
    // The new connection's sync starts over: its push names alone do not complete it.
    resent.chunk({ syncType: PUSH_NAME });
    expect(await settledNow(resent)).toBe(false);
    resent.chunk({ syncType: INITIAL_BOOTSTRAP, progress: 100 });
    expect(await settledNow(resent)).toBe(true);
  });
});
