#!/usr/bin/env bash
# Assembles the OfficeRnD.Auth NuGet package (a zip) for ONE runtime identifier from a built
# assembly and an installed libofficernd_auth, with the layout that
# `nuget pack` of OfficeRnD.Auth.nuspec gives for that runtime:
#   bindings-dotnet/scripts/pack.sh OUT.nupkg ASSEMBLY_DIR NATIVE_LIB [RID]
# ASSEMBLY_DIR holds OfficeRnD.Auth.dll and OfficeRnD.Auth.xml; RID defaults to linux-x64.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:?usage: pack.sh OUT.nupkg ASSEMBLY_DIR NATIVE_LIB [RID]}"
asm="${2:?assembly directory}"
native="${3:?native library}"
rid="${4:-linux-x64}"
command -v zip >/dev/null || { echo "pack.sh: zip not found (Debian package: zip)" >&2; exit 1; }
case "$rid" in
  win-*) native_name=officernd_auth.dll ;;
  osx-*) native_name=libofficernd_auth.dylib ;;
  *) native_name=libofficernd_auth.so ;;
esac
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
install -d "$stage/lib/netstandard2.0" "$stage/runtimes/$rid/native"
install -m 0644 "$asm/OfficeRnD.Auth.dll" "$asm/OfficeRnD.Auth.xml" "$stage/lib/netstandard2.0/"
install -m 0755 "$(readlink -f "$native")" "$stage/runtimes/$rid/native/$native_name"
install -m 0644 "$here/README.md" "$here/LICENSE.txt" "$stage/"
# The nuspec as nuget pack stores it: without its <files> list.
sed '/<files>/,/<\/files>/d' "$here/OfficeRnD.Auth.nuspec" >"$stage/OfficeRnD.Auth.nuspec"
cat >"$stage/[Content_Types].xml" <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="nuspec" ContentType="application/octet" /><Default Extension="dll" ContentType="application/octet" /><Default Extension="xml" ContentType="application/octet" /><Default Extension="so" ContentType="application/octet" /><Default Extension="dylib" ContentType="application/octet" /><Default Extension="md" ContentType="application/octet" /><Default Extension="txt" ContentType="application/octet" /></Types>
XML
mkdir -p "$(dirname "$out")"
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
rm -f "$out"
(cd "$stage" && zip -q -X -r "$out" OfficeRnD.Auth.nuspec '[Content_Types].xml' lib runtimes README.md LICENSE.txt)
echo "packed $out ($rid)"
