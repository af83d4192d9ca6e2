package officernd

/*
#include <officernd_auth.h>

extern void officernd_go_log(void *, officernd_log_level, char *, char *);

static officernd_result officernd_go_set_log(officernd_log_level max_level) {
	return officernd_set_log_callback((officernd_log_callback)officernd_go_log, NULL, max_level);
}
*/
import "C"

import (
	"log/slog"
	"sync/atomic"
)

var logger atomic.Pointer[slog.Logger]

// slogLevel maps the library's levels (ERROR 1 … TRACE 5) to slog's.
func slogLevel(level uint32) slog.Level {
	switch level {
	case C.OFFICERND_LOG_LEVEL_ERROR:
		return slog.LevelError
	case C.OFFICERND_LOG_LEVEL_WARN:
		return slog.LevelWarn
	case C.OFFICERND_LOG_LEVEL_INFO:
		return slog.LevelInfo
	case C.OFFICERND_LOG_LEVEL_DEBUG:
		return slog.LevelDebug
	default:
		return slog.LevelDebug - 4 // TRACE
	}
}

// SetLogger sends the library's log records to l, those at level and above (slog.LevelWarn:
// errors and warnings — a shared store that is down, for example; slog.LevelDebug: everything of
// the library), each with a "target" attribute naming the Rust module that logged it. No record
// holds the client secret, a Redis password or a whole access token. nil turns logging off.
//
// The library allows one logger per process: SetLogger replaces the previous one. It fails with
// a config error only when other Rust code in the process installed a logger first.
func SetLogger(l *slog.Logger, level slog.Level) error {
	if l == nil {
		logger.Store(nil)
		C.officernd_set_log_callback(nil, nil, 0)
		return nil
	}
	var max C.officernd_log_level
	switch {
	case level <= slog.LevelDebug-4:
		max = C.OFFICERND_LOG_LEVEL_TRACE
	case level <= slog.LevelDebug:
		max = C.OFFICERND_LOG_LEVEL_DEBUG
	case level <= slog.LevelInfo:
		max = C.OFFICERND_LOG_LEVEL_INFO
	case level <= slog.LevelWarn:
		max = C.OFFICERND_LOG_LEVEL_WARN
	default:
		max = C.OFFICERND_LOG_LEVEL_ERROR
	}
	logger.Store(l)
	if r := C.officernd_go_set_log(max); r != C.OFFICERND_RESULT_OK {
		logger.Store(nil)
		return &Error{Code: Code(r), Message: "another logger is installed in this process"}
	}
	return nil
}
