// The hero catalogue the comparison servers answer from, and what the load generator expects
// back. Kept here so the bare ws and Socket.IO servers need nothing from src/.

/** Hero id → real name (the same five heroes hero-socket serves). */
export const BENCH_HEROES: ReadonlyMap<string, string> = new Map([
  ['ironMan', 'Tony Stark'],
  ['hulk', 'Bruce Banner'],
  ['wonderWoman', 'Diana'],
  ['batMan', 'Bruce Wayne'],
  ['blackPanther', "T'Challa"]
])

/** Hero ids in catalogue order; the generator cycles through them. */
export const BENCH_HERO_IDS: readonly string[] = [...BENCH_HEROES.keys()]

/** The `heroes` list of the first message, `[{id, name}]`. */
export const BENCH_HERO_LIST: ReadonlyArray<{ id: string, name: string }> =
  BENCH_HERO_IDS.map((id) => ({ id, name: BENCH_HEROES.get(id) as string }))

/** The `limits` of the first message: hero-socket's as the benchmark configures it (HIGH_LIMIT). */
export const BENCH_LIMITS = Object.freeze({ messageRate: 1_000_000, messageBurst: 1_000_000 })
