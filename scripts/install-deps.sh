#!/usr/bin/env bash
# Installs the Debian packages the test suites need, only those missing. Every language's needs
# are listed in scripts/apt-packages.txt (one package per line, '#' comments).
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
while read -r pkg _; do
  [[ -z "$pkg" || "$pkg" == \#* ]] && continue
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done < scripts/apt-packages.txt
if ((${#missing[@]})); then
  echo "installing Debian packages: ${missing[*]}"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  scripts/retry.sh $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive scripts/retry.sh $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
