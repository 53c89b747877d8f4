// Deterministic scenario data (contacts, groups, memberships) generated from a seed and shared between accounts.
import { createHash } from "node:crypto";

export interface ScenarioOptions {
  /** Seed for every generated number and name; the same seed and counts give the same data. */
  seed?: string;
  /** Number of contacts in the address book (default 20). */
  contacts?: number;
  /** Number of groups the account participates in (default 3). */
  groups?: number;
  /** Members per group, the account itself included (default 6). */
  membersPerGroup?: number;
  /** Push name of the account (default "Sim <last 4 digits>"). */
  pushName?: string;
}

export interface Person {
  phoneNumber: string;
  lid: string; // LID user part (digits)
  name: string;
}

export type GroupRole = "superadmin" | "admin" | "member";

export interface GroupMember {
  /** Index into the scenario's people pool, or -1 for the account itself. */
  person: number;
  role: GroupRole;
}

export interface Group {
  id: string; // user part of the group jid (…@g.us)
  subject: string;
  description: string;
  creation: number; // epoch seconds
  /** Index of the creator in the people pool, or -1 for the account. */
  creator: number;
  members: GroupMember[];
}

export interface Scenario {
  key: string;
  seed: string;
  /** People pool: the first `contactCount` are contacts, the rest appear only as group members. */
  people: Person[];
  contactCount: number;
  groups: Group[];
  groupMemberCount: number;
}

export const DEFAULT_SCENARIO: Required<Omit<ScenarioOptions, "pushName">> = {
  seed: "wa-sim",
  contacts: 20,
  groups: 3,
  membersPerGroup: 6,
};

const FIRST = ["Ana", "Budi", "Chen", "Dewi", "Eko", "Fatima", "Gita", "Hiro", "Indra", "Joko", "Kirana", "Lina", "Maya", "Nadia", "Omar", "Putri", "Rudi", "Sari", "Tono", "Wati"];
const LAST = ["Santoso", "Wijaya", "Lim", "Hakim", "Pratama", "Tan", "Kusuma", "Nasution", "Siregar", "Halim"];
const TOPICS = ["Family", "Football", "Book club", "Office", "Class of 2010", "Neighbours", "Hiking", "Recipes", "Startup", "Photography"];

/** A small deterministic generator: sha256 over (seed, label, counter). */
class Rng {
  private counter = 0;
  constructor(private readonly seed: string, private readonly label: string) {}
  private bytes(): Buffer {
    return createHash("sha256").update(`${this.seed}\u0000${this.label}\u0000${this.counter++}`).digest();
  }
  int(maxExclusive: number): number {
    return this.bytes().readUInt32BE(0) % Math.max(1, maxExclusive);
  }
  digits(n: number): string {
    let s = "";
    while (s.length < n) s += this.bytes().readUInt32BE(0).toString().padStart(10, "0");
    return s.slice(0, n);
  }
}

export function clampScenario(o: ScenarioOptions | undefined): Required<Omit<ScenarioOptions, "pushName">> {
  const n = (v: unknown, d: number, max: number): number => {
    if (v === undefined) return d;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`scenario count out of range (0..${max})`);
    return v;
  };
  const seed = o?.seed ?? DEFAULT_SCENARIO.seed;
  if (typeof seed !== "string" || seed.length === 0 || seed.length > 200) throw new RangeError("scenario seed must be a non-empty string");
  return {
    seed,
    contacts: n(o?.contacts, DEFAULT_SCENARIO.contacts, 100_000),
    groups: n(o?.groups, DEFAULT_SCENARIO.groups, 10_000),
    membersPerGroup: n(o?.membersPerGroup, DEFAULT_SCENARIO.membersPerGroup, 1024),
  };
}

export function personFor(seed: string, index: number): Person {
  const rng = new Rng(seed, `person:${index}`);
  const first = FIRST[rng.int(FIRST.length)] ?? "Sim";
  const last = LAST[rng.int(LAST.length)] ?? "Person";
  // 62 8xx: Indonesian-looking mobile numbers, 13 digits; LIDs are 15 digits like real ones.
  return { phoneNumber: `628${rng.digits(10)}`, lid: `1${rng.digits(14)}`, name: `${first} ${last} ${index + 1}` };
}

const cache = new Map<string, WeakRef<Scenario>>();

/** Builds (or reuses) the scenario for these options; identical options share one instance. */
export function buildScenario(options: ScenarioOptions | undefined): Scenario {
  const o = clampScenario(options);
  const key = JSON.stringify([o.seed, o.contacts, o.groups, o.membersPerGroup]);
  const hit = cache.get(key)?.deref();
  if (hit) return hit;
  const poolSize = Math.max(o.contacts, o.groups > 0 ? o.membersPerGroup - 1 : 0);
  const people: Person[] = [];
  const seenPn = new Set<string>();
  for (let i = 0; people.length < poolSize; i++) {
    const p = personFor(o.seed, i);
    if (seenPn.has(p.phoneNumber)) continue;
    seenPn.add(p.phoneNumber);
    people.push(p);
  }
  const groups: Group[] = [];
  let groupMemberCount = 0;
  for (let g = 0; g < o.groups; g++) {
    const rng = new Rng(o.seed, `group:${g}`);
    const others = Math.min(Math.max(o.membersPerGroup - 1, 0), poolSize);
    const chosen = new Set<number>();
    while (chosen.size < others) chosen.add(rng.int(poolSize));
    const ids = [...chosen];
    // The creator is the account for every third group, otherwise the first chosen member.
    const creator = g % 3 === 0 || ids.length === 0 ? -1 : (ids[0] ?? -1);
    const members: GroupMember[] = [{ person: -1, role: creator === -1 ? "superadmin" : "member" }];
    ids.forEach((person, k) => {
      const role: GroupRole = person === creator ? "superadmin" : k === 1 ? "admin" : "member";
      members.push({ person, role });
    });
    groupMemberCount += members.length;
    const topic = TOPICS[rng.int(TOPICS.length)] ?? "Group";
    groups.push({
      id: `120363${rng.digits(12)}`,
      subject: `${topic} ${g + 1}`,
      description: `Simulated group ${g + 1} about ${topic.toLowerCase()}`,
      creation: 1_600_000_000 + rng.int(100_000_000),
      creator,
      members,
    });
  }
  const scenario: Scenario = { key, seed: o.seed, people, contactCount: o.contacts, groups, groupMemberCount };
  cache.set(key, new WeakRef(scenario));
  return scenario;
}
