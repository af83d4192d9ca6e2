//! placeholder: filled in by the c binding issue
