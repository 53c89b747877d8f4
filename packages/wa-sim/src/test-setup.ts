// Test setup: keep libsignal's session dumps and the simulator's info logs out of the test output.
import { muteLibsignalNoise } from "./test-client.ts";

process.env.WA_SIM_LOG_LEVEL ??= "warn";
muteLibsignalNoise();
