//go:build !officernd_static

package officernd

// Linking against an installed libofficernd_auth (shared), found through pkg-config: set
// PKG_CONFIG_PATH to PREFIX/lib/pkgconfig. For a static binary build with -tags officernd_static
// and give the flags yourself (see the README's Go section).

// #cgo pkg-config: officernd_auth
import "C"
