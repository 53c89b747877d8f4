// The scale of the sessions-per-gateway section: the populations (pairings measured at 50 and at 500, boot
// storms of 500 and 1 000) with the storms' extra sessions minted by the simulator, so the scale no longer bends to
// the time plan; `--quick` (CI smoke) and BENCH_PERGW_* shrink it.

export interface PergwScale {
  /** Plain Baileys sockets of the floor. */
  floor: number;
  /** The ladder's top: sessions paired through the gateway, the CPU ratio's low side. */
  low: number;
  /** Pairings measured at each population (the ladder's last ones, and each tail). */
  tail: number;
  /** The first storm's population, where the CPU ratio's high side is measured. */
  mid: number;
  /** The second storm's population. */
  top: number;
}

const FULL: PergwScale = { floor: 16, low: 50, tail: 16, mid: 500, top: 1000 };
const QUICK: PergwScale = { floor: 8, low: 20, tail: 8, mid: 100, top: 200 };

/** The scale for this run: full or quick, each figure overridable (BENCH_PERGW_FLOOR, _LOW, _TAIL, _MID, _TOP). */
export function pergwScale(quick: boolean, env: Record<string, string | undefined> = process.env): PergwScale {
  const base = quick ? QUICK : FULL;
  const pick = (name: keyof PergwScale) => {
    const raw = env[`BENCH_PERGW_${name.toUpperCase()}`];
    return raw ? Number(raw) : base[name];
  };
  const scale = { floor: pick("floor"), low: pick("low"), tail: pick("tail"), mid: pick("mid"), top: pick("top") };
  if (!(scale.floor >= 2 && scale.tail >= 1 && scale.low > scale.tail && scale.mid >= scale.low + scale.tail && scale.top >= scale.mid + scale.tail)) {
    throw new Error(`sessions-per-gateway scale does not hold together: ${JSON.stringify(scale)}`);
  }
  return scale;
}

/** How long a boot storm may take before the bench gives up: 5 minutes, or 0.6 s per session for a larger storm. */
export const stormWaitMs = (sessions: number) => Math.max(300_000, sessions * 600);
