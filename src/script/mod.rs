//! The scripting layer (filled in by the host issue).
