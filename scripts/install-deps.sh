#!/usr/bin/env bash
# Installs the Debian packages the test suites need, only those missing. Every language's needs
# are listed in scripts/apt-packages.txt (one package per line, '#' comments); another list may be
# named as the argument (make test-dist: scripts/apt-packages-dist.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
list="${1:-scripts/apt-packages.txt}"
missing=()
while read -r pkg _; do
  [[ -z "$pkg" || "$pkg" == \#* ]] && continue
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done < "$list"
if ((${#missing[@]})); then
  echo "installing Debian packages: ${missing[*]}"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  scripts/retry.sh $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive scripts/retry.sh $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
