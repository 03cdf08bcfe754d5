#!/usr/bin/env bash
# Installs what kopp needs to build and test, from Debian bookworm packages. Idempotent:
# packages already installed are not touched. Go (for the local control plane) must be on
# PATH already; tools/controlplane/build.sh says so clearly when it is not.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libnghttp2-dev libyaml-cpp-dev catch2 openssl
  clang-14 libclang-rt-14-dev  # libFuzzer and its sanitizer runtimes (tests/fuzz)
  clang-format-14              # the one code style (.clang-format, the `format` test)
  ccache                       # the projects built outside kopp's tree share compiled kopp (tests/package)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
