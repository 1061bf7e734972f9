#!/usr/bin/env bash
# Mutation testing of llmfall's decision code with go-gremlins: each mutant
# is a small change to the code (a flipped comparison, && for ||, break for
# continue, ...) and the package's tests should fail on it. A mutant they
# pass ("lived") is a decision no test pins down.
#
# Not part of .ci/run: a full run takes tens of minutes. Run it before
# merging a change to fallback/, provider/, eval/ or judge/ decision code,
# or to config/ (what llmfall.yaml may hold, and every message's file and
# line) or setup/ (the file's settings as the engine, eval and the judge
# get them), and record new scores and harmless survivors in
# docs/mutation.md.
#
# Usage:
#   scripts/mutation.sh                 # fallback/ provider/ eval/ judge/ config/ setup/
#   scripts/mutation.sh judge           # some of them
#   scripts/mutation.sh judge -E 'llm\.go$'   # extra flags go to gremlins
#                                        # (here: every file but llm.go)
set -euo pipefail
cd "$(dirname "$0")/.."

# Without -count=1, gremlins times mutants against a cached test run.
export GOFLAGS=-count=1
version=v0.6.0
go install "github.com/go-gremlins/gremlins/cmd/gremlins@$version"
gremlins="$(go env GOPATH)/bin/gremlins"

pkgs=()
while [ $# -gt 0 ] && [[ $1 != -* ]]; do pkgs+=("${1%/}"); shift; done
[ ${#pkgs[@]} -gt 0 ] || pkgs=(fallback provider eval judge config setup)

# Beyond gremlins' defaults: && <-> || and break <-> continue, the mutants
# behind the bugs that prompted this script (issue 16).
mutators=(--invert-logical --invert-loopctrl)

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for p in "${pkgs[@]}"; do
	echo "== $p"
	# Not $p/...: each package's own tests must kill its mutants.
	"$gremlins" unleash "${mutators[@]}" --output "$out/$p.json" "$@" "./$p" | tee "$out/$p.log"
done

echo
echo "== score per package (efficacy = killed / (killed + lived))"
for p in "${pkgs[@]}"; do
	eff=$(grep -o 'Test efficacy: [0-9.]*%' "$out/$p.log" | grep -o '[0-9.]*%' || echo '?')
	cov=$(grep -o 'Mutator coverage: [0-9.]*%' "$out/$p.log" | grep -o '[0-9.]*%' || echo '?')
	printf '%-10s efficacy %-8s mutant coverage %s\n' "$p" "$eff" "$cov"
done
