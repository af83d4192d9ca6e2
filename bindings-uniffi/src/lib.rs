//! placeholder: filled in by the uniffi binding issue
