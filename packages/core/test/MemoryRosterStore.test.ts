import { rosterStoreContract } from "../src/testing/RosterStoreContract";
import * as MemoryRosterStore from "../src/testing/MemoryRosterStore";

rosterStoreContract("memory", MemoryRosterStore.layer());
