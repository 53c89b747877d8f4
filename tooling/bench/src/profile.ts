// CPU profiles for the "what limits it" lines: V8 .cpuprofile files summarised by where the time was spent
// (npm package, our own package, Node internals, GC), and an in-process profiler around a piece of work.
import { Session } from "node:inspector/promises";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  hitCount?: number;
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

/** Which part of the code a frame belongs to: an npm package, one of ours, Node itself, or a V8 pseudo-frame. */
export function ownerOf(frame: { functionName: string; url: string }): string {
  const url = frame.url;
  // No script: a V8 pseudo-frame such as "(garbage collector)", or native code (crypto jobs, socket writes).
  if (!url) return frame.functionName.startsWith("(") ? frame.functionName : `native ${frame.functionName || "(anonymous)"}`;
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + "node_modules/".length).split("/");
    return rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1] ?? ""}` : (rest[0] ?? url);
  }
  const ours = /\/(apps|packages|tooling)\/([^/]+)\//.exec(url);
  if (ours) return `${ours[1]}/${ours[2]} (ours)`;
  // node:internal/crypto/keygen → node:internal/crypto: which part of Node, without drowning in file names.
  if (url.startsWith("node:")) return `node:${url.slice(5).split("/").slice(0, 2).join("/")}`;
  return url;
}

export interface ProfileShare {
  owner: string;
  share: number;
}

/** Share of the sampled CPU time by owner, idle time excluded; largest first. */
export function summarizeProfile(profile: CpuProfile, top = 6): ProfileShare[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map<string, number>();
  let total = 0;
  const add = (node: ProfileNode | undefined, hits: number) => {
    if (!node || hits === 0) return;
    const owner = ownerOf(node.callFrame);
    if (owner === "(idle)") return;
    counts.set(owner, (counts.get(owner) ?? 0) + hits);
    total += hits;
  };
  if (profile.samples?.length) for (const id of profile.samples) add(byId.get(id), 1);
  else for (const node of profile.nodes) add(node, node.hitCount ?? 0);
  return [...counts.entries()]
    .map(([owner, n]) => ({ owner, share: total ? n / total : 0 }))
    .sort((a, b) => b.share - a.share)
    .slice(0, top);
}

export const formatShares = (shares: ProfileShare[]) =>
  shares.map((s) => `${s.owner} ${(s.share * 100).toFixed(0)} %`).join(", ");

/** Profiles this process while `work` runs. */
export async function profileInProcess<T>(work: () => Promise<T>): Promise<{ result: T; profile: CpuProfile }> {
  const session = new Session();
  session.connect();
  try {
    await session.post("Profiler.enable");
    await session.post("Profiler.start");
    const result = await work();
    const { profile } = await session.post("Profiler.stop");
    return { result, profile: profile as CpuProfile };
  } finally {
    session.disconnect();
  }
}
