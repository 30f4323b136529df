// MemoryUserSlots: the user-slots contract, in this process.
import t from 'tap'
import { MemoryUserSlots } from '../../../src/stores/user-slots/memory-user-slots.js'
import { userSlotsContract } from './user-slots-contract.js'

userSlotsContract(t, async (t) => {
  const slots = new MemoryUserSlots()
  t.teardown(() => slots.close())
  return slots
})
