#!/usr/bin/env bash
# Runs DJL's own integration suite (v0.36.0) against engine PyTorch (the baseline) and engine Metal
# with the shared tool ../shared/tools/djl-integration/run.sh, and compares the two test by test.
#
# usage: integration-tests/djl-suite.sh [ENGINE_CLASSPATH]
#   ENGINE_CLASSPATH  the engine-metal jar and the jars it adds to DJL's (JNA, Gson), ':'-separated;
#                     when absent the script packages engine-metal and resolves them with Maven.
# Environment: DJL_SUITE_WORK (the shared tool's work folder; default /tmp/djl-integration-suite),
#              DJLMETAL_SHARED_DIR (default: ../shared beside the repository).
# Without the shared tool the script says so and exits 0. It exits 1 when a test that passes with
# PyTorch fails, is unsupported or does not run with Metal. SKIPPED only ever comes from the suite's
# own TestUtils.requiresEngine / requiresNotEngine, which name the engines a test may run on.
# The last line: "djl suite: PyTorch passed N of T; Metal passed N of T; parity OK|BROKEN".
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
shared=${DJLMETAL_SHARED_DIR:-$repo/../shared}
tool=$shared/tools/djl-integration/run.sh
if [[ ! -f $tool ]]; then
  echo "djl suite: skipped, $tool not found (set DJLMETAL_SHARED_DIR to the shared folder)"
  exit 0
fi
export DJL_SUITE_WORK=${DJL_SUITE_WORK:-/tmp/djl-integration-suite}
mkdir -p "$DJL_SUITE_WORK"

classpath=${1:-}
if [[ -z $classpath ]]; then
  (cd "$repo" && mvn -B -q -pl engine-metal -am package -DskipTests \
      && mvn -B -q -pl engine-metal dependency:build-classpath -Dmdep.includeArtifactIds=jna,gson \
          -Dmdep.outputFile="$DJL_SUITE_WORK/metal-extra-cp.txt")
  jar=$(ls "$repo"/engine-metal/target/engine-metal-*.jar | grep -v -- '-tests.jar' | head -1)
  classpath="$jar:$(cat "$DJL_SUITE_WORK/metal-extra-cp.txt")"
fi

results() {
  grep -oE 'Test [^ ]+ (PASSED|FAILED|UNSUPPORTED|SKIPPED)' "$DJL_SUITE_WORK/suite-$1.log" \
    | awk '{print $2, $3}' | sort -u >"$DJL_SUITE_WORK/results-$1.txt"
}
bash "$tool" PyTorch | tail -1
results PyTorch
bash "$tool" Metal "$classpath" | tail -1
results Metal

# every test with its PyTorch and Metal result (MISSING when it did not run)
join -a1 -a2 -e MISSING -o 0,1.2,2.2 "$DJL_SUITE_WORK/results-PyTorch.txt" \
  "$DJL_SUITE_WORK/results-Metal.txt" >"$DJL_SUITE_WORK/comparison.txt"
broken=$(awk '$2 == "PASSED" && $3 != "PASSED" && $3 != "SKIPPED"' "$DJL_SUITE_WORK/comparison.txt")
gated=$(awk '$2 == "PASSED" && $3 == "SKIPPED"' "$DJL_SUITE_WORK/comparison.txt")
if [[ -n $gated ]]; then
  echo "passed with PyTorch, skipped by the suite itself for any engine it does not name:"
  echo "$gated" | sed 's/^/  /'
fi
count() { awk -v r="$2" '$'"$1"' == r' "$DJL_SUITE_WORK/comparison.txt" | wc -l; }
total=$(wc -l <"$DJL_SUITE_WORK/comparison.txt")
status=OK
if [[ -n $broken ]]; then
  status=BROKEN
  echo "passed with PyTorch but not with Metal:"
  echo "$broken" | sed 's/^/  /'
fi
echo "djl suite: PyTorch passed $(count 2 PASSED) of $total; Metal passed $(count 3 PASSED) of $total;" \
  "parity $status"
[[ $status == OK ]]
