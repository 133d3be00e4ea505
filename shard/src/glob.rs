//! Glob-style pattern matching with exactly the semantics of Redis's `stringmatchlen`
//! (`util.c`), as KEYS, SCAN MATCH, PSUBSCRIBE and CONFIG GET use it:
//!
//! * `*` matches any run of bytes, `?` any one byte;
//! * `[abc]`, `[^abc]` and `[a-z]` are byte classes; inside one `\x` is the byte `x`, compared
//!   case-sensitively even when matching without case; ranges may be written backwards
//!   (`[z-a]`) and compare bytes as C `char`s (signed); a class missing its `]` runs to the end
//!   of the pattern;
//! * `\x` outside a class is the literal byte `x` (a lone trailing `\` is itself);
//! * an empty text matches only the empty pattern (not even `*`; KEYS and SCAN special-case a
//!   pattern of exactly `*` before calling the matcher).
//!
//! Redis matches recursively at every `*` and guards against abusive patterns by failing any
//! match that would nest deeper than 1000 stars. Here the pattern is compiled once into
//! tokens, each matching exactly one byte, and matched iteratively, backtracking only to the
//! most recent `*`: O(pattern × text) at worst whatever the pattern, with the same answers
//! as Redis, nesting limit included.

/// Redis's recursion limit: a match needing more nested `*` than this fails.
const MAX_NESTING: usize = 1000;

/// One member of a `[...]` class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClassItem {
    /// A plain byte, compared without case when asked.
    Byte(u8),
    /// An escaped byte (`\x`), always compared exactly, as Redis does.
    Exact(u8),
    /// An inclusive range of C `char`s, endpoints already in order.
    Range(i8, i8),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// One or more consecutive `*`.
    Star,
    /// `?`
    Any,
    /// A literal byte (plain or escaped), compared without case when asked.
    Byte(u8),
    /// A class: its members are `items[start..end]`.
    Class { negate: bool, start: u32, end: u32 },
}

/// A compiled glob pattern, for matching many texts against one pattern (KEYS, SCAN).
#[derive(Debug, Clone)]
pub struct GlobPattern {
    tokens: Vec<Token>,
    items: Vec<ClassItem>,
    /// Star groups other than one ending the pattern: each costs Redis one nesting level.
    inner_stars: usize,
    nocase: bool,
}

/// C `tolower` in the "C" locale, on a C `char`.
#[inline]
fn lower_char(c: i8) -> i8 {
    if (b'A' as i8..=b'Z' as i8).contains(&c) {
        c + 32
    } else {
        c
    }
}

impl GlobPattern {
    /// Compile `pattern`. Parsing follows `stringmatchlen` byte for byte, including its
    /// reading of the terminating NUL at the end of the pattern.
    pub fn new(pattern: &[u8], nocase: bool) -> Self {
        // Byte at `i`, or the NUL terminator Redis's sds strings carry.
        let at = |i: usize| pattern.get(i).copied().unwrap_or(0);
        let len = pattern.len();
        let mut tokens = Vec::with_capacity(len);
        let mut items = Vec::new();
        let mut p = 0usize;
        while p < len {
            match pattern[p] {
                b'*' => {
                    while p + 1 < len && pattern[p + 1] == b'*' {
                        p += 1;
                    }
                    tokens.push(Token::Star);
                }
                b'?' => tokens.push(Token::Any),
                b'[' => {
                    p += 1;
                    let negate = at(p) == b'^';
                    if negate {
                        p += 1;
                    }
                    let start = items.len() as u32;
                    loop {
                        let remaining = len.saturating_sub(p);
                        if at(p) == b'\\' && remaining >= 2 {
                            p += 1;
                            items.push(ClassItem::Exact(pattern[p]));
                        } else if at(p) == b']' {
                            break;
                        } else if remaining == 0 {
                            // Unterminated: the class ends with the pattern. Redis steps back
                            // one byte here so the shared `pattern++` below lands on the end.
                            p -= 1;
                            break;
                        } else if remaining >= 3 && pattern[p + 1] == b'-' {
                            let (a, b) = (pattern[p] as i8, pattern[p + 2] as i8);
                            items.push(ClassItem::Range(a.min(b), a.max(b)));
                            p += 2;
                        } else {
                            items.push(ClassItem::Byte(pattern[p]));
                        }
                        p += 1;
                    }
                    tokens.push(Token::Class {
                        negate,
                        start,
                        end: items.len() as u32,
                    });
                }
                b'\\' if p + 1 < len => {
                    p += 1;
                    tokens.push(Token::Byte(pattern[p]));
                }
                byte => tokens.push(Token::Byte(byte)),
            }
            p += 1;
        }
        let stars = tokens.iter().filter(|t| **t == Token::Star).count();
        let trailing = tokens.last() == Some(&Token::Star);
        let inner_stars = stars - trailing as usize;
        GlobPattern {
            tokens,
            items,
            inner_stars,
            nocase,
        }
    }

    #[inline]
    fn byte_eq(&self, a: u8, b: u8) -> bool {
        if self.nocase {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    }

    fn class_matches(&self, negate: bool, items: &[ClassItem], c: u8) -> bool {
        let found = items.iter().any(|item| match *item {
            ClassItem::Exact(b) => b == c,
            ClassItem::Byte(b) => self.byte_eq(b, c),
            ClassItem::Range(start, end) => {
                let c = c as i8;
                if self.nocase {
                    (lower_char(start)..=lower_char(end)).contains(&lower_char(c))
                } else {
                    (start..=end).contains(&c)
                }
            }
        });
        found != negate
    }

    #[inline]
    fn token_matches(&self, token: Token, c: u8) -> bool {
        match token {
            Token::Star => unreachable!("stars are handled by the matcher"),
            Token::Any => true,
            Token::Byte(b) => self.byte_eq(b, c),
            Token::Class { negate, start, end } => {
                self.class_matches(negate, &self.items[start as usize..end as usize], c)
            }
        }
    }

    /// Whether `text` matches, as `stringmatchlen(pattern, text, nocase)` answers.
    pub fn matches(&self, text: &[u8]) -> bool {
        if text.is_empty() {
            // Redis's loop never runs: only an empty pattern matches.
            return self.tokens.is_empty();
        }
        if self.inner_stars > MAX_NESTING {
            // Any match would have to recurse past every inner star group.
            return false;
        }
        let tokens = &self.tokens;
        let (mut p, mut s) = (0usize, 0usize);
        // Where to resume after the last star: (token after it, text position it matched to).
        let mut backtrack: Option<(usize, usize)> = None;
        loop {
            if p < tokens.len() {
                let token = tokens[p];
                if token == Token::Star {
                    backtrack = Some((p + 1, s));
                    p += 1;
                    continue;
                }
                if s < text.len() && self.token_matches(token, text[s]) {
                    p += 1;
                    s += 1;
                    continue;
                }
            } else if s == text.len() {
                return true;
            }
            // Mismatch: let the last star swallow one more byte, or give up. Every token
            // matches exactly one byte, so an earlier star could never do better.
            match backtrack {
                Some((after, from)) if from < text.len() => {
                    backtrack = Some((after, from + 1));
                    p = after;
                    s = from + 1;
                }
                _ => return false,
            }
        }
    }
}

/// Whether `text` matches the glob `pattern` (Redis's `stringmatchlen`).
pub fn glob_match(pattern: &[u8], text: &[u8], nocase: bool) -> bool {
    GlobPattern::new(pattern, nocase).matches(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, text: &str) -> bool {
        glob_match(pattern.as_bytes(), text.as_bytes(), false)
    }

    #[test]
    fn basics() {
        assert!(m("hello", "hello"));
        assert!(!m("hello", "hell"));
        assert!(!m("hell", "hello"));
        assert!(m("h?llo", "hallo"));
        assert!(!m("h?llo", "hllo"));
        assert!(m("h*llo", "hllo"));
        assert!(m("h*llo", "heeeello"));
        assert!(m("h[ae]llo", "hello"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(!m("h[a-b]llo", "hcllo"));
        assert!(m("*", "anything"));
        assert!(m("**", "x"));
        assert!(m("a*", "a"));
        assert!(m("*a", "a"));
        assert!(m("*a*", "bab"));
        assert!(!m("*a*", "bbb"));
        assert!(m("", ""));
        assert!(!m("", "a"));
    }

    #[test]
    fn empty_text_matches_only_empty_pattern() {
        assert!(!m("*", ""));
        assert!(!m("**", ""));
        assert!(!m("?", ""));
        assert!(m("", ""));
    }

    #[test]
    fn escapes() {
        assert!(m("h\\*llo", "h*llo"));
        assert!(!m("h\\*llo", "hello"));
        assert!(m("\\?", "?"));
        assert!(!m("\\?", "a"));
        assert!(m("a\\", "a\\"));
        assert!(m("\\\\", "\\"));
        assert!(m("[\\]]", "]"));
        assert!(m("[\\-]", "-"));
        assert!(m("[\\^a]", "^"));
    }

    #[test]
    fn class_quirks() {
        // A backwards range is swapped.
        assert!(m("[z-a]", "m"));
        // `]` right after `[` closes an empty class: never matches.
        assert!(!m("[]a]", "a]"));
        assert!(m("[^]a]", "xa]"));
        // A trailing `-` makes a range up to `]`, which then is no terminator.
        assert!(m("[a-]", "^"));
        assert!(!m("[a-]", "-"));
        // Unterminated classes run to the end of the pattern.
        assert!(m("[abc", "b"));
        assert!(!m("[abc", "d"));
        assert!(!m("a[", "a["));
        assert!(m("a[^", "ax"));
        // An escaped character after a class byte is no range.
        assert!(m("[\\a-z]", "-"));
        assert!(!m("[\\a-z]", "m"));
        // Ranges compare signed chars: 0xff is -1, below 'a'.
        assert!(glob_match(b"[a-\xff]", b"\x00", false));
        assert!(!glob_match(b"[a-\xff]", b"z", false));
    }

    #[test]
    fn nocase() {
        assert!(glob_match(b"HeLLo", b"hello", true));
        assert!(glob_match(b"h[A-Z]llo", b"hello", true));
        assert!(glob_match(b"h[E]llo", b"hello", true));
        // Escaped class members stay case-sensitive.
        assert!(!glob_match(b"h[\\E]llo", b"hello", true));
        // Endpoints are lowered after ordering: Z..a becomes z..a, an empty range.
        assert!(!glob_match(b"[Z-a]", b"_", true));
        assert!(glob_match(b"[Z-a]", b"_", false));
        // Checked with CONFIG GET (which matches without case) on Redis 7.0.15.
        assert!(glob_match(b"[A-Z]axmemory", b"maxmemory", true));
        assert!(!glob_match(b"[\\M]axmemory", b"maxmemory", true));
        assert!(glob_match(b"\\Maxmemor?", b"maxmemory", true));
        assert!(!glob_match(b"[Z-n]axmemory", b"maxmemory", true));
        assert!(!glob_match(b"[n-Z]axmemory", b"maxmemory", true));
        assert!(glob_match(b"[M-M]axmemory", b"maxmemory", true));
    }

    #[test]
    fn abusive_patterns_finish_quickly() {
        let text = "a".repeat(10_000);
        let pattern = format!("{}b", "*a".repeat(200));
        let start = std::time::Instant::now();
        assert!(!m(&pattern, &text));
        assert!(start.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn nesting_limit_as_redis() {
        // Checked against Redis 7.0.15 KEYS on a key of 2000 'a's.
        let text = "a".repeat(2000);
        assert!(m(&"*a".repeat(1000), &text));
        assert!(m(&format!("{}*", "*a".repeat(1000)), &text));
        assert!(!m(&"*a".repeat(1001), &text));
        assert!(!m(&format!("{}*", "*a".repeat(1001)), &text));
    }
}
