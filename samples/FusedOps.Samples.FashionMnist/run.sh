#!/usr/bin/env bash
# Trains the Fashion-MNIST sample. Installs Debian's dataset-fashion-mnist package first when the
# files are missing and this machine can (root and apt-get); otherwise the sample says how to get them.
#   samples/FusedOps.Samples.FashionMnist/run.sh [--epochs N] [--data DIR] [--threads N] [--out DIR]
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
data=/usr/share/datasets/fashion-mnist
for ((i = 1; i <= $#; i++)); do
    if [ "${!i}" = "--data" ]; then j=$((i + 1)); data="${!j:-}"; fi
done

if [ "$data" = /usr/share/datasets/fashion-mnist ] && [ ! -e "$data/t10k-labels-idx1-ubyte.gz" ] && [ ! -e "$data/t10k-labels-idx1-ubyte" ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "== installing dataset-fashion-mnist (apt-get)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null \
            || echo "run.sh: could not install dataset-fashion-mnist; the sample will say how to get the files" >&2
    elif command -v sudo >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
        echo "== installing dataset-fashion-mnist (sudo apt-get)"
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null \
            || echo "run.sh: could not install dataset-fashion-mnist; the sample will say how to get the files" >&2
    fi
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
exec dotnet run --project "$here" -c Release -- "$@"
