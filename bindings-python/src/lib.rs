//! placeholder: filled in by the python binding issue
