import FieldPayCLI

// The field build: the device's commands, with no hub linked in (the demo is `fieldpay-demo`).
await runMain(FieldPayCommand.self)
