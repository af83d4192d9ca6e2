//! placeholder: filled in by the node binding issue
