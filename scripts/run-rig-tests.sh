#!/usr/bin/env bash
# Runs the real-V4L2 test suite (CaptureTests.V4L2RigTests) inside ../shared/v4l2-rig: a qemu guest with
# vivid and v4l2loopback. Build the tests first (`swift build --build-tests`). The rig installs what it
# needs on its first run. Exit status: the suite's; 0 with a "skipped" line when the rig is not there
# or cannot run on this machine (its exit 77), so the reason is printed, never hidden.
set -uo pipefail
cd "$(dirname "$0")/.."
rig=${V4L2_RIG:-../shared/v4l2-rig/run.sh}
if [[ ! -x "$rig" ]]; then
    echo "V4L2 rig tests skipped: no rig at $rig (set V4L2_RIG to its run.sh)"
    exit 0
fi
bin=$(swift build --show-bin-path)
bundle="$bin/FieldPayPackageTests.xctest"
[[ -x "$bundle" ]] || { echo "error: $bundle is missing: run 'swift build --build-tests' first" >&2; exit 1; }
echo "Running the real-V4L2 suite in the rig (qemu: vivid + v4l2loopback) ..."
# --no-parallel: the suites share the loopback node and must not feed it at the same time.
"$rig" --timeout "${V4L2_RIG_TIMEOUT:-1500}" -- "$bundle" --testing-library swift-testing --no-parallel --filter V4L2RigTests
status=$?
if [[ $status -eq 77 ]]; then
    echo "V4L2 rig tests skipped: the rig cannot run on this machine (see its message above)"
    exit 0
fi
exit $status
