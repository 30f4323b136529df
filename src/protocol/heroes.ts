// The hero catalogue. A Map, so a client-supplied id such as `__proto__` or `toString`
// can only ever be an unknown hero, never a walk up the prototype chain.

export interface Hero {
  /** Stable id clients ask with, e.g. `ironMan`. */
  readonly id: string
  /** Display name, e.g. `Iron Man`. */
  readonly name: string
  /** The secret identity, e.g. `Tony Stark`. */
  readonly realName: string
}

const CATALOGUE: readonly Hero[] = Object.freeze([
  { id: 'ironMan', name: 'Iron Man', realName: 'Tony Stark' },
  { id: 'hulk', name: 'Hulk', realName: 'Bruce Banner' },
  { id: 'wonderWoman', name: 'Wonder Woman', realName: 'Diana' },
  { id: 'batMan', name: 'Batman', realName: 'Bruce Wayne' },
  { id: 'blackPanther', name: 'Black Panther', realName: "T'Challa" }
].map((hero) => Object.freeze(hero)))

/** Heroes by id. */
export const HEROES: ReadonlyMap<string, Hero> = new Map(CATALOGUE.map((hero) => [hero.id, hero]))

/** The list sent in `user_authorized`: id and display name, in catalogue order. */
export const HERO_LIST: ReadonlyArray<{ readonly id: string, readonly name: string }> =
  Object.freeze(CATALOGUE.map(({ id, name }) => Object.freeze({ id, name })))
