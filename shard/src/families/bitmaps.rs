//! bitmaps commands. (Placeholder; the data-types work fills it in.)

use crate::command::CommandSpec;

pub static COMMANDS: &[CommandSpec] = &[];
