import Demo
import FieldPayCLI

// `fieldpay-bench`: the benchmarks, in their own binary so that the field build does not link the hub.
Demo.register()
await runMain(BenchCommand.self)
