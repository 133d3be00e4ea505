//! Logging with levels, to stderr (journald) or a file.
//!
//! The server logs through the `log` facade (`log::warn!`, `log::info!`, ...); this module installs
//! the one logger behind it. Redis's level names map onto the facade's levels:
//!
//! | Redis     | `log`   | line mark | syslog priority |
//! |-----------|---------|-----------|-----------------|
//! | debug     | Trace   | `.`       | `<7>` debug     |
//! | verbose   | Debug   | `-`       | `<6>` info      |
//! | notice    | Info    | `*`       | `<5>` notice    |
//! | warning   | Warn    | `#`       | `<4>` warning   |
//! | (none)    | Error   | `#`       | `<3>` error     |
//! | nothing   | Off     |           |                 |
//!
//! Lines look like Redis's (`4242:M 25 Nov 2026 10:11:12.345 * message`, time in UTC), except on
//! stderr under systemd, where journald stamps the time itself and reads the priority from an
//! sd-daemon `<N>` prefix. Each record is formatted into a buffer first and written with one
//! write(2), so lines from different threads never interleave; a write that fails (stderr
//! closed, disk full) is dropped silently.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use log::{Level, LevelFilter, Log, Metadata, Record};

/// Redis's answer to a level name it doesn't know.
const LEVEL_NAMES: &str =
    "argument(s) must be one of the following: debug, verbose, notice, warning, nothing";

/// The facade filter for one of Redis's level names (case-insensitive).
pub fn parse_level(level: &str) -> Result<LevelFilter, String> {
    let filter = match level.to_ascii_lowercase().as_str() {
        "debug" => LevelFilter::Trace,
        "verbose" => LevelFilter::Debug,
        "notice" => LevelFilter::Info,
        "warning" => LevelFilter::Warn,
        "nothing" => LevelFilter::Off,
        _ => return Err(LEVEL_NAMES.to_owned()),
    };
    Ok(filter)
}

/// Installs the logger: `level` is a Redis level name; an empty `logfile` logs to stderr,
/// anything else appends to that file (opened once, here). Fails on a bad level, a file that
/// can't be opened, or a second call.
#[allow(dead_code)] // Called by main.rs once logging is wired in.
pub fn init(level: &str, logfile: &str) -> Result<(), String> {
    let filter = parse_level(level)?;
    let (sink, style) = if logfile.is_empty() {
        let style = if stderr_is_journal() {
            Style::Journald
        } else {
            Style::Redis
        };
        (Sink::Stderr, style)
    } else {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(logfile)
            .map_err(|err| format!("Can't open the log file '{logfile}': {err}"))?;
        (Sink::File(file), Style::Redis)
    };
    static LOGGER: OnceLock<Logger> = OnceLock::new();
    let logger = Logger {
        sink,
        style,
        pid: std::process::id(),
    };
    LOGGER
        .set(logger)
        .map_err(|_| "logging is already initialized".to_owned())?;
    let logger = LOGGER
        .get()
        .ok_or_else(|| "logging is not initialized".to_owned())?;
    log::set_logger(logger).map_err(|err| err.to_string())?;
    log::set_max_level(filter);
    Ok(())
}

/// Changes the level at run time (CONFIG SET loglevel).
#[allow(dead_code)] // Called by CONFIG SET once logging is wired in.
pub fn set_level(level: &str) -> Result<(), String> {
    log::set_max_level(parse_level(level)?);
    Ok(())
}

/// Where lines go.
enum Sink {
    Stderr,
    File(File),
}

/// How lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// `pid:M dd Mon yyyy hh:mm:ss.mmm * message`, as Redis writes.
    Redis,
    /// `<N>message`: journald adds the time, pid and process name itself.
    Journald,
}

struct Logger {
    sink: Sink,
    style: Style,
    pid: u32,
}

thread_local! {
    /// Per thread: the formatted message, and the whole record ready for its one write.
    static BUFFERS: RefCell<(String, Vec<u8>)> = const { RefCell::new((String::new(), Vec::new())) };
}

impl Logger {
    fn write_record(&self, record: &Record<'_>, message: &mut String, line: &mut Vec<u8>) {
        message.clear();
        line.clear();
        let _ = write!(message, "{}", record.args());
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let millis = u64::try_from(now.as_millis()).unwrap_or(u64::MAX);
        format_record(line, self.style, self.pid, millis, record.level(), message);
        // One write(2) for the whole record; failures have nowhere to be reported.
        let _ = match &self.sink {
            Sink::Stderr => std::io::stderr().lock().write_all(line),
            Sink::File(file) => (&*file).write_all(line),
        };
    }
}

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        // The facade's macros have already checked the level against log::max_level().
        let written = BUFFERS.try_with(|buffers| match buffers.try_borrow_mut() {
            Ok(mut buffers) => {
                let (message, line) = &mut *buffers;
                self.write_record(record, message, line);
            }
            // Logging from inside a Display impl that is itself being logged.
            Err(_) => self.write_record(record, &mut String::new(), &mut Vec::new()),
        });
        if written.is_err() {
            // The thread's locals are being torn down.
            self.write_record(record, &mut String::new(), &mut Vec::new());
        }
    }

    fn flush(&self) {}
}

/// Formats one record into `out`; every line of a multi-line message gets the prefix, so a
/// message can't forge a line of another level.
fn format_record(
    out: &mut Vec<u8>,
    style: Style,
    pid: u32,
    unix_millis: u64,
    level: Level,
    message: &str,
) {
    let mut prefix = String::with_capacity(48);
    match style {
        Style::Journald => {
            let _ = write!(prefix, "<{}>", syslog_priority(level));
        }
        Style::Redis => {
            let _ = write!(prefix, "{pid}:M ");
            write_timestamp(&mut prefix, unix_millis);
            let _ = write!(prefix, " {} ", level_mark(level));
        }
    }
    for line in message.split('\n') {
        out.extend_from_slice(prefix.as_bytes());
        out.extend_from_slice(line.strip_suffix('\r').unwrap_or(line).as_bytes());
        out.push(b'\n');
    }
}

/// Redis's mark for a level: `.` debug, `-` verbose, `*` notice, `#` warning.
fn level_mark(level: Level) -> char {
    match level {
        Level::Trace => '.',
        Level::Debug => '-',
        Level::Info => '*',
        Level::Warn | Level::Error => '#',
    }
}

/// The syslog priority Redis gives each of its levels (sd-daemon(3) prefixes).
fn syslog_priority(level: Level) -> u8 {
    match level {
        Level::Trace => 7,
        Level::Debug => 6,
        Level::Info => 5,
        Level::Warn => 4,
        Level::Error => 3,
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `dd Mon yyyy hh:mm:ss.mmm` in UTC, as Redis's `%d %b %Y %H:%M:%S.` plus milliseconds.
fn write_timestamp(out: &mut String, unix_millis: u64) {
    let secs = unix_millis / 1000;
    let days = secs / 86_400;
    let of_day = secs % 86_400;
    let (year, month, day) = civil_from_days(i64::try_from(days).unwrap_or(i64::MAX));
    let month = MONTHS.get(month as usize - 1).copied().unwrap_or("???");
    let _ = write!(
        out,
        "{day:02} {month} {year} {:02}:{:02}:{:02}.{:03}",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60,
        unix_millis % 1000
    );
}

/// The proleptic Gregorian (year, month 1..=12, day 1..=31) of a count of days since 1970-01-01.
/// Counts in 400-year eras from 0000-03-01, so that the leap day ends each year.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    const DAYS_PER_ERA: i64 = 146_097;
    let z = days.saturating_add(719_468); // days since 0000-03-01
    let era = z.div_euclid(DAYS_PER_ERA);
    let day_of_era = z.rem_euclid(DAYS_PER_ERA); // 0..=146_096
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let march_month = (5 * day_of_year + 2) / 153; // 0 = March .. 11 = February
    let day = (day_of_year - (153 * march_month + 2) / 5 + 1) as u32;
    let month = (if march_month < 10 {
        march_month + 3
    } else {
        march_month - 9
    }) as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Whether stderr is the journal stream systemd connected (JOURNAL_STREAM names its device and
/// inode), as sd_journal_stream_fd's users check before switching to `<N>` prefixes.
fn stderr_is_journal() -> bool {
    let Ok(stream) = std::env::var("JOURNAL_STREAM") else {
        return false;
    };
    let Ok(fd) = std::io::stderr().as_fd().try_clone_to_owned() else {
        return false;
    };
    match File::from(fd).metadata() {
        Ok(meta) => journal_stream_is(&stream, meta.dev(), meta.ino()),
        Err(_) => false,
    }
}

/// Whether a JOURNAL_STREAM value (`device:inode`, decimal) names this device and inode.
fn journal_stream_is(value: &str, dev: u64, ino: u64) -> bool {
    let Some((d, i)) = value.trim().split_once(':') else {
        return false;
    };
    d.parse() == Ok(dev) && i.parse() == Ok(ino)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_names() {
        assert_eq!(parse_level("debug"), Ok(LevelFilter::Trace));
        assert_eq!(parse_level("verbose"), Ok(LevelFilter::Debug));
        assert_eq!(parse_level("notice"), Ok(LevelFilter::Info));
        assert_eq!(parse_level("NOTICE"), Ok(LevelFilter::Info));
        assert_eq!(parse_level("warning"), Ok(LevelFilter::Warn));
        assert_eq!(parse_level("nothing"), Ok(LevelFilter::Off));
        for bad in ["", "info", "warn", "error", "debug "] {
            let err = parse_level(bad).expect_err(bad);
            assert!(
                err.contains("debug, verbose, notice, warning, nothing"),
                "{err}"
            );
        }
    }

    #[test]
    fn days_to_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(59), (1970, 3, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(11_017), (2000, 3, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(19_723 + 59), (2024, 2, 29));
        assert_eq!(civil_from_days(-719_468), (0, 3, 1));
        // Every day follows the one before it.
        let mut previous = civil_from_days(-800);
        for days in -799..200_000 {
            let today = civil_from_days(days);
            let (y, m, d) = previous;
            let next_day = (y, m, d + 1);
            let next_month = (y, m + 1, 1);
            let next_year = (y + 1, 1, 1);
            assert!(
                today == next_day || today == next_month || today == next_year,
                "{previous:?} -> {today:?}"
            );
            assert!(today.2 <= 31 && (1..=12).contains(&today.1));
            previous = today;
        }
    }

    fn formatted(style: Style, millis: u64, level: Level, message: &str) -> String {
        let mut out = Vec::new();
        format_record(&mut out, style, 4242, millis, level, message);
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn redis_lines() {
        // 2026-11-25 10:11:12.345 UTC
        let at = 1_795_601_472_345;
        assert_eq!(
            formatted(Style::Redis, at, Level::Info, "Ready to accept connections"),
            "4242:M 25 Nov 2026 10:11:12.345 * Ready to accept connections\n"
        );
        assert_eq!(
            formatted(Style::Redis, at, Level::Warn, "w"),
            "4242:M 25 Nov 2026 10:11:12.345 # w\n"
        );
        assert_eq!(
            formatted(Style::Redis, at, Level::Error, "e"),
            "4242:M 25 Nov 2026 10:11:12.345 # e\n"
        );
        assert_eq!(
            formatted(Style::Redis, at, Level::Debug, "v"),
            "4242:M 25 Nov 2026 10:11:12.345 - v\n"
        );
        assert_eq!(
            formatted(Style::Redis, at, Level::Trace, "d"),
            "4242:M 25 Nov 2026 10:11:12.345 . d\n"
        );
        // 2026-01-05 03:04:05.007 UTC: everything zero-padded.
        assert_eq!(
            formatted(Style::Redis, 1_767_582_245_007, Level::Info, "x"),
            "4242:M 05 Jan 2026 03:04:05.007 * x\n"
        );
        assert_eq!(
            formatted(Style::Redis, 0, Level::Info, ""),
            "4242:M 01 Jan 1970 00:00:00.000 * \n"
        );
    }

    #[test]
    fn journald_lines() {
        let at = 1_795_601_472_345;
        assert_eq!(formatted(Style::Journald, at, Level::Trace, "d"), "<7>d\n");
        assert_eq!(formatted(Style::Journald, at, Level::Debug, "v"), "<6>v\n");
        assert_eq!(formatted(Style::Journald, at, Level::Info, "n"), "<5>n\n");
        assert_eq!(formatted(Style::Journald, at, Level::Warn, "w"), "<4>w\n");
        assert_eq!(formatted(Style::Journald, at, Level::Error, "e"), "<3>e\n");
    }

    #[test]
    fn every_line_of_a_message_is_prefixed() {
        assert_eq!(
            formatted(Style::Journald, 0, Level::Warn, "a\r\nb\nc"),
            "<4>a\n<4>b\n<4>c\n"
        );
        assert_eq!(
            formatted(Style::Redis, 0, Level::Info, "one\ntwo"),
            "4242:M 01 Jan 1970 00:00:00.000 * one\n4242:M 01 Jan 1970 00:00:00.000 * two\n"
        );
    }

    #[test]
    fn journal_stream_values() {
        assert!(journal_stream_is("8:12345", 8, 12345));
        assert!(journal_stream_is("8:12345\n", 8, 12345));
        assert!(!journal_stream_is("8:12346", 8, 12345));
        assert!(!journal_stream_is("9:12345", 8, 12345));
        assert!(!journal_stream_is("812345", 8, 12345));
        assert!(!journal_stream_is("", 8, 12345));
        assert!(!journal_stream_is("x:y", 8, 12345));
    }

    fn temp_path(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("shardis-logging-{}-{name}.log", std::process::id()))
    }

    #[test]
    fn a_file_logger_appends_whole_lines() {
        let path = temp_path("direct");
        std::fs::write(&path, "earlier\n").expect("seed the file");
        let file = OpenOptions::new().append(true).open(&path).expect("open");
        let logger = Logger {
            sink: Sink::File(file),
            style: Style::Redis,
            pid: 7,
        };
        logger.log(
            &Record::builder()
                .level(Level::Warn)
                .args(format_args!("disk {}", "full"))
                .build(),
        );
        logger.log(
            &Record::builder()
                .level(Level::Info)
                .args(format_args!("saved"))
                .build(),
        );
        let text = std::fs::read_to_string(&path).expect("read back");
        let _ = std::fs::remove_file(&path);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert_eq!(lines[0], "earlier");
        assert!(
            lines[1].starts_with("7:M ") && lines[1].ends_with(" # disk full"),
            "{}",
            lines[1]
        );
        assert!(lines[2].ends_with(" * saved"), "{}", lines[2]);
        // "7:M dd Mon yyyy hh:mm:ss.mmm # ..." : the fields sit where Redis puts them.
        assert_eq!(lines[1].as_bytes()[18], b':');
        assert_eq!(lines[1].as_bytes()[24], b'.');
    }

    #[test]
    fn init_checks_its_arguments_before_installing() {
        assert!(init("loud", "").is_err());
        let unopenable = temp_path("no-such-dir").join("shardis.log");
        let err = init("notice", &unopenable.to_string_lossy()).expect_err("unopenable file");
        assert!(err.contains("Can't open the log file"), "{err}");
        assert!(set_level("loud").is_err());
    }

    /// The one test that installs the process-wide logger (into a file, so the test run's
    /// output stays clean), then follows CONFIG SET loglevel.
    #[test]
    fn installed_logger_follows_the_level() {
        let path = temp_path("installed");
        let _ = std::fs::remove_file(&path);
        init("notice", &path.to_string_lossy()).expect("init");
        assert!(init("notice", "").is_err(), "a second init is refused");
        log::info!("notice shows");
        log::debug!("verbose hides");
        set_level("verbose").expect("set_level");
        log::debug!("verbose shows");
        log::trace!("debug hides");
        set_level("warning").expect("set_level");
        log::info!("notice hides");
        log::warn!("warning shows");
        set_level("nothing").expect("set_level");
        log::error!("nothing shows");
        let text = std::fs::read_to_string(&path).expect("read back");
        let _ = std::fs::remove_file(&path);
        let ours: Vec<&str> = text
            .lines()
            .filter(|l| l.contains(" shows") || l.contains(" hides"))
            .collect();
        assert_eq!(ours.len(), 3, "{text}");
        assert!(ours[0].ends_with(" * notice shows"), "{}", ours[0]);
        assert!(ours[1].ends_with(" - verbose shows"), "{}", ours[1]);
        assert!(ours[2].ends_with(" # warning shows"), "{}", ours[2]);
    }
}
