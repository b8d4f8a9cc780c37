import Demo
import FieldPayCLI

// The demo build: every `fieldpay` command, and a profile's [demo] section runs an embedded hub and a
// simulated payer (`make demo`).
Demo.register()
await runMain(FieldPayCommand.self)
