package officernd

// #include <officernd_auth.h>
import "C"

import (
	"context"
	"log/slog"
	"unsafe"
)

// officernd_go_log receives the library's log records (see SetLogger). The strings are valid
// only during the call: C.GoString copies them.
//
//export officernd_go_log
func officernd_go_log(_ unsafe.Pointer, level C.officernd_log_level, target, message *C.char) {
	l := logger.Load()
	if l == nil {
		return
	}
	lvl := slogLevel(uint32(level))
	ctx := context.Background()
	if !l.Enabled(ctx, lvl) {
		return
	}
	l.Log(ctx, lvl, C.GoString(message), slog.String("target", C.GoString(target)))
}
