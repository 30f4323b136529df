// The heroes and real names the protocol promises, written out independently of
// src/protocol/heroes.ts so that the tests check the server's table rather than reuse it.
export const EXPECTED_HEROES = [
  { id: 'ironMan', name: 'Iron Man', realName: 'Tony Stark' },
  { id: 'hulk', name: 'Hulk', realName: 'Bruce Banner' },
  { id: 'wonderWoman', name: 'Wonder Woman', realName: 'Diana' },
  { id: 'batMan', name: 'Batman', realName: 'Bruce Wayne' },
  { id: 'blackPanther', name: 'Black Panther', realName: "T'Challa" }
] as const
