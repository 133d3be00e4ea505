//! Logging with levels, to stderr (journald) or a file.
