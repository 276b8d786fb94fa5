//! Round 27e: values of the shell read exactly where the line spells them.
//!
//! An array (`a=(x y)`, `a+=(z)`, `a[2]=w`, `declare -a/-A`), the
//! positional parameters (`set -- x y`, `shift`), and the names `read`,
//! `mapfile` and `readarray` fill from a here-string or a here-doc hold
//! values the line itself spells. When every binding of a name is one the
//! whole line runs, in order (at the top of the line, not in a loop, a
//! branch, a subshell, a pipeline or after `&&`/`||`), and every other
//! mention of the name is an expansion read below (`"${a[@]}"`, `${a[*]}`,
//! `${a[0]}`, `${m[k]}`, `${#a[@]}`, `"${a[@]:1}"`, `"$@"`, `$1`, `$#`),
//! the line is rewritten with the values in place of the expansions and the
//! bindings as `:`, each value single-quoted (an expansion's result is
//! never a keyword, an assignment or a glob of the line's own), a `~` the
//! binding expanded as `"$HOME"`. The classifier then reads the rewritten
//! line with every program model: `rm "${a[@]}"` with `a=(-rf ~)` is `rm
//! '-rf' "$HOME"`.
//!
//! Anything else — a value from a substitution, a file, a loop, `eval`,
//! indirection `${!x}`, an index that is not a literal, a function on the
//! line, a name bound twice in ways not followed — leaves the line as it
//! is: its expansions stay values only the shell knows.
//!
//! Cost: [`rewrite`] returns at once for a line with none of `=(`, `]=`,
//! `]+=`, `declare`, `typeset`, `read`, `set --`, `mapfile` (which
//! `readarray` contains with `read`); otherwise one scan of the line.

use std::collections::{BTreeMap, HashMap};

/// Elements read from one binding, at most.
const MAX_ELEMS: usize = 256;

/// A value: the text, after a leading `~` the binding expanded.
#[derive(Clone, Debug, Default, PartialEq)]
struct Val {
    home: bool,
    text: String,
}

impl Val {
    fn plain(text: &str) -> Val {
        Val {
            home: false,
            text: text.to_string(),
        }
    }
    /// The value as shell source outside double quotes, one word.
    fn emit(&self, out: &mut String) {
        if self.home {
            out.push_str("\"$HOME\"");
            if self.text.is_empty() {
                return;
            }
        }
        out.push('\'');
        out.push_str(&self.text.replace('\'', "'\\''"));
        out.push('\'');
    }
    fn splits(&self) -> bool {
        self.text
            .bytes()
            .any(|b| matches!(b, b' ' | b'\t' | b'\n' | b'*' | b'?' | b'['))
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Key {
    Idx(i64),
    Str(String),
}

#[derive(Clone, Debug, Default)]
struct Var {
    assoc: bool,
    idx: BTreeMap<i64, Val>,
    map: Vec<(String, Val)>,
}

#[derive(Debug)]
enum Bind {
    /// `a=(…)` (replace) or `a+=(…)`; `declare -a/-A a[=(…)]`.
    Arr {
        name: String,
        append: bool,
        assoc: Option<bool>,
        elems: Option<Vec<(Option<Key>, Val)>>,
    },
    Elem {
        name: String,
        key: Key,
        val: Val,
    },
    SetPos(Vec<Val>),
    Shift(usize),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum K {
    Word,
    /// `;`, newline, `&&`, `||`, `|`, `&`, `|&`, `;;`: the byte(s).
    Sep,
    Open,
    Close,
    Redir,
    /// `name=(…)`: elements in `elems`.
    Array,
}

#[derive(Clone, Debug)]
struct Tok {
    k: K,
    s: usize,
    e: usize,
    /// For `Array`: where the name ends (before `=`/`+=`) and the elements.
    elems: Vec<(usize, usize)>,
}

struct Scan<'a> {
    b: &'a [u8],
    i: usize,
    toks: Vec<Tok>,
    /// Here-doc bodies: (statement's `<<` token index, body span, text,
    /// quoted delimiter).
    bodies: Vec<(usize, (usize, usize), String, bool)>,
    pending: Vec<(usize, Vec<u8>, bool, bool)>,
}

fn meta(c: u8) -> bool {
    matches!(
        c,
        b' ' | b'\t' | b'\n' | b'\r' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>'
    )
}

fn ident(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// A name the line may bind and have read exactly: a shell variable no
/// program reads from the environment (lower case, not a proxy's, not
/// npm's settings).
fn local_name(s: &str) -> bool {
    ident(s)
        && s.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
        && !s.contains("proxy")
        && !s.starts_with("npm_config")
}

impl Scan<'_> {
    fn at(&self, k: usize) -> Option<u8> {
        self.b.get(self.i + k).copied()
    }

    /// Past a `'…'` (at the opening quote).
    fn squote(&mut self) -> Option<()> {
        self.i += 1;
        loop {
            let c = self.at(0)?;
            self.i += 1;
            if c == b'\'' {
                return Some(());
            }
        }
    }
    /// Past a `$'…'` (at the `$`).
    fn ansi(&mut self) -> Option<()> {
        self.i += 2;
        loop {
            let c = self.at(0)?;
            self.i += 1;
            match c {
                b'\\' => self.i += 1,
                b'\'' => return Some(()),
                _ => {}
            }
        }
    }
    /// Past a `"…"` (at the opening quote).
    fn dquote(&mut self) -> Option<()> {
        self.i += 1;
        loop {
            let c = self.at(0)?;
            match c {
                b'"' => {
                    self.i += 1;
                    return Some(());
                }
                b'\\' => self.i += 2,
                b'`' => return None,
                b'$' if self.at(1) == Some(b'(') => {
                    self.i += 2;
                    self.paren()?;
                }
                b'$' if self.at(1) == Some(b'{') => {
                    self.i += 2;
                    self.brace()?;
                }
                _ => self.i += 1,
            }
        }
    }
    /// Past the body of `$(…)` (after the `(`), through its `)`.
    fn paren(&mut self) -> Option<()> {
        let mut depth = 1usize;
        loop {
            let c = self.at(0)?;
            match c {
                b'\'' => self.squote()?,
                b'"' => self.dquote()?,
                b'\\' => self.i += 2,
                b'`' | b'#' => return None,
                b'$' if self.at(1) == Some(b'\'') => self.ansi()?,
                b'(' => {
                    depth += 1;
                    self.i += 1;
                }
                b')' => {
                    depth -= 1;
                    self.i += 1;
                    if depth == 0 {
                        return Some(());
                    }
                }
                _ => self.i += 1,
            }
        }
    }
    /// Past the body of `${…}` (after the `{`), through its `}`.
    fn brace(&mut self) -> Option<()> {
        loop {
            let c = self.at(0)?;
            match c {
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                b'\'' => self.squote()?,
                b'"' => self.dquote()?,
                b'\\' => self.i += 2,
                b'`' => return None,
                b'$' if self.at(1) == Some(b'(') => {
                    self.i += 2;
                    self.paren()?;
                }
                b'$' if self.at(1) == Some(b'{') => {
                    self.i += 2;
                    self.brace()?;
                }
                _ => self.i += 1,
            }
        }
    }
    /// One word (at its first byte): its end.
    fn word(&mut self) -> Option<usize> {
        if self.at(0) == Some(b'#') {
            return None; // a comment: read two ways by the classifier
        }
        while let Some(c) = self.at(0) {
            if meta(c) {
                break;
            }
            match c {
                b'\'' => self.squote()?,
                b'"' => self.dquote()?,
                b'\\' => self.i += 2,
                b'`' => return None,
                b'$' if self.at(1) == Some(b'\'') => self.ansi()?,
                b'$' if self.at(1) == Some(b'(') => {
                    self.i += 2;
                    self.paren()?;
                }
                b'$' if self.at(1) == Some(b'{') => {
                    self.i += 2;
                    self.brace()?;
                }
                _ => self.i += 1,
            }
        }
        Some(self.i.min(self.b.len()))
    }

    fn push(&mut self, k: K, s: usize) {
        self.toks.push(Tok {
            k,
            s,
            e: self.i.min(self.b.len()),
            elems: Vec::new(),
        });
    }

    fn run(&mut self) -> Option<()> {
        while let Some(c) = self.at(0) {
            let s = self.i;
            match c {
                b' ' | b'\t' | b'\r' => self.i += 1,
                b'\\' if self.at(1) == Some(b'\n') => self.i += 2,
                b'\n' => {
                    self.i += 1;
                    self.push(K::Sep, s);
                    self.heredocs()?;
                }
                b';' | b'|' | b'&' => {
                    if c == b'&' && self.at(1) == Some(b'>') {
                        self.i += 2;
                        if self.at(0) == Some(b'>') {
                            self.i += 1;
                        }
                        self.push(K::Redir, s);
                        continue;
                    }
                    self.i += 1;
                    if matches!(self.at(0), Some(d) if d == c || (c == b'|' && d == b'&')) {
                        self.i += 1;
                    }
                    self.push(K::Sep, s);
                }
                b'(' => {
                    self.i += 1;
                    self.push(K::Open, s);
                }
                b')' => {
                    self.i += 1;
                    self.push(K::Close, s);
                }
                b'<' | b'>' => {
                    self.i += 1;
                    if self.at(0) == Some(b'(') {
                        // a process substitution: a word
                        self.i += 1;
                        self.paren()?;
                        self.push(K::Word, s);
                        continue;
                    }
                    if c == b'<' && self.at(0) == Some(b'<') && self.at(1) != Some(b'<') {
                        self.i += 1;
                        let strip = self.at(0) == Some(b'-');
                        if strip {
                            self.i += 1;
                        }
                        self.push(K::Redir, s);
                        while matches!(self.at(0), Some(b' ' | b'\t')) {
                            self.i += 1;
                        }
                        let ds = self.i;
                        let de = self.word()?;
                        let raw = self.b.get(ds..de)?;
                        let quoted = raw.iter().any(|c| matches!(c, b'\'' | b'"' | b'\\'));
                        let delim: Vec<u8> = raw
                            .iter()
                            .copied()
                            .filter(|c| !matches!(c, b'\'' | b'"' | b'\\'))
                            .collect();
                        if delim.is_empty() {
                            return None;
                        }
                        self.push(K::Word, ds);
                        let at = self.toks.len() - 2;
                        self.pending.push((at, delim, strip, quoted));
                        continue;
                    }
                    while matches!(self.at(0), Some(b'<' | b'>' | b'&' | b'|')) {
                        self.i += 1;
                    }
                    self.push(K::Redir, s);
                }
                _ => {
                    let e = self.word()?;
                    // `name=(` / `name+=(`: an array's elements
                    let raw = std::str::from_utf8(self.b.get(s..e)?).ok()?;
                    let name = raw.strip_suffix("+=").or_else(|| raw.strip_suffix('='));
                    if self.at(0) == Some(b'(') && name.is_some_and(ident) {
                        self.i += 1;
                        let mut elems = Vec::new();
                        loop {
                            match self.at(0)? {
                                b' ' | b'\t' | b'\r' | b'\n' => self.i += 1,
                                b')' => {
                                    self.i += 1;
                                    break;
                                }
                                d if meta(d) => return None,
                                _ => {
                                    let es = self.i;
                                    let ee = self.word()?;
                                    elems.push((es, ee));
                                    if elems.len() > MAX_ELEMS {
                                        return None;
                                    }
                                }
                            }
                        }
                        self.toks.push(Tok {
                            k: K::Array,
                            s,
                            e: self.i,
                            elems,
                        });
                        continue;
                    }
                    self.push(K::Word, s);
                }
            }
        }
        if !self.pending.is_empty() {
            return None;
        }
        Some(())
    }

    /// After a newline: the bodies of the here-docs the line opened.
    fn heredocs(&mut self) -> Option<()> {
        for (at, delim, strip, quoted) in std::mem::take(&mut self.pending) {
            let start = self.i;
            let mut text = String::new();
            loop {
                if self.i >= self.b.len() {
                    return None; // no delimiter line
                }
                let ls = self.i;
                let mut le = ls;
                while self.b.get(le).is_some_and(|c| *c != b'\n') {
                    le += 1;
                }
                let line = self.b.get(ls..le)?;
                self.i = (le + 1).min(self.b.len());
                let cmp = if strip {
                    let k = line.iter().take_while(|c| **c == b'\t').count();
                    line.get(k..)?
                } else {
                    line
                };
                let cmp = cmp.strip_suffix(b"\r").unwrap_or(cmp);
                if cmp == delim.as_slice() {
                    break;
                }
                text.push_str(std::str::from_utf8(cmp).ok()?);
                text.push('\n');
            }
            self.bodies.push((at, (start, self.i), text, quoted));
        }
        Some(())
    }
}

/// A word's value when the line spells it whole: no expansion but a
/// leading `~` (expanded to the home directory), no glob, no brace list.
fn literal(raw: &str) -> Option<Val> {
    let (home, rest) = if raw == "~" {
        (true, "")
    } else if let Some(r) = raw.strip_prefix("~/") {
        (true, r)
    } else {
        (false, raw)
    };
    let mut text = String::new();
    if home && !rest.is_empty() {
        text.push('/');
    }
    if !rest.is_empty() {
        let mut p = super::parse::Parsed::default();
        let src = format!(": {rest}");
        super::parse::parse_into(&src, &mut p, 0, 0);
        if p.malformed || p.reevaluates || p.cmds.len() != 1 {
            return None;
        }
        let c = p.cmds.first()?;
        if c.words.len() != 2 || !c.assigns.is_empty() || !c.redirs.is_empty() {
            return None;
        }
        let w = c.words.get(1)?;
        if w.dynamic || !w.substs.is_empty() {
            return None;
        }
        text.push_str(&w.text);
    }
    // a `~` elsewhere may be expanded (after `=` or `:`): not followed
    if text.contains('~') {
        return None;
    }
    Some(Val { home, text })
}

fn key_of(raw: &str, assoc: bool) -> Option<Key> {
    if !assoc {
        return raw.parse::<i64>().ok().filter(|n| *n >= 0).map(Key::Idx);
    }
    let ok = !raw.is_empty()
        && raw
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-' | b'/'));
    ok.then(|| Key::Str(raw.to_string()))
}

/// `[key]=value` of an element or `name[key]=value` of a word.
fn keyed(raw: &str) -> Option<(&str, &str, &str)> {
    let open = raw.find('[')?;
    let close = raw.find("]=")?;
    if close < open {
        return None;
    }
    Some((
        raw.get(..open)?,
        raw.get(open + 1..close)?,
        raw.get(close + 2..)?,
    ))
}

/// Splits `text` into `n` fields as `read` does with `ifs`: the last
/// field takes the rest of the line.
fn read_fields(text: &str, ifs: &str, n: usize) -> Option<Vec<String>> {
    let line = text.split('\n').next().unwrap_or("");
    let ws: Vec<char> = ifs
        .chars()
        .filter(|c| matches!(c, ' ' | '\t' | '\n'))
        .collect();
    let other: Vec<char> = ifs.chars().filter(|c| !ws.contains(c)).collect();
    if ifs.is_empty() {
        return Some(
            std::iter::once(line.to_string())
                .chain(std::iter::repeat_n(String::new(), n.saturating_sub(1)))
                .collect(),
        );
    }
    if !other.is_empty() && !ws.is_empty() {
        return None; // mixed IFS: not followed
    }
    let mut out = Vec::new();
    let mut rest = if ws.is_empty() {
        line
    } else {
        line.trim_matches(|c| ws.contains(&c))
    };
    while out.len() + 1 < n {
        let cut = rest.find(|c: char| ws.contains(&c) || other.contains(&c));
        match cut {
            Some(at) => {
                out.push(rest.get(..at)?.to_string());
                let after = rest.get(at..)?;
                let mut ch = after.chars();
                ch.next();
                rest = ch.as_str();
                if !ws.is_empty() {
                    rest = rest.trim_start_matches(|c| ws.contains(&c));
                }
            }
            None => {
                out.push(rest.to_string());
                rest = "";
            }
        }
    }
    if n > 0 {
        // one trailing non-whitespace delimiter is dropped from the rest
        let last = match other.iter().find(|c| rest.ends_with(**c)) {
            Some(c) if rest.matches(*c).count() == 1 => rest.strip_suffix(*c).unwrap_or(rest),
            _ => rest,
        };
        out.push(last.to_string());
    }
    Some(out)
}

fn is_sep(b: &[u8], t: &Tok, ok: &[&[u8]]) -> bool {
    b.get(t.s..t.e).is_some_and(|x| ok.contains(&x))
}

struct Ref {
    s: usize,
    e: usize,
    in_dq: bool,
    form: Form,
}

#[derive(Debug)]
enum Form {
    Elem(String, Key),
    All(String, bool, Option<(usize, Option<usize>)>),
    Count(String),
    Pos(usize),
    PosAll(bool, Option<(usize, Option<usize>)>),
    PosCount,
}

fn slice(rest: &str) -> Option<Option<(usize, Option<usize>)>> {
    if rest.is_empty() {
        return Some(None);
    }
    let r = rest.strip_prefix(':')?;
    let (o, l) = match r.split_once(':') {
        Some((o, l)) => (o, Some(l.parse::<usize>().ok()?)),
        None => (r, None),
    };
    Some(Some((o.parse::<usize>().ok()?, l)))
}

/// The form of `${inner}`.
fn brace_form(inner: &str) -> Option<Form> {
    if inner.bytes().any(|c| {
        matches!(
            c,
            b'$' | b'{' | b'}' | b'"' | b'\'' | b'\\' | b'`' | b'!' | b'/' | b'%' | b'^' | b','
        )
    }) {
        return None;
    }
    if inner == "#" {
        return Some(Form::PosCount);
    }
    if let Some(n) = inner.strip_prefix('#') {
        let (name, sub) = n.split_once('[')?;
        return (ident(name) && matches!(sub, "@]" | "*]")).then(|| Form::Count(name.into()));
    }
    if let Some(r) = inner.strip_prefix('@').or_else(|| inner.strip_prefix('*')) {
        let sl = slice(r)?;
        if sl.is_some_and(|(o, _)| o == 0) {
            return None; // `${@:0}` holds $0
        }
        return Some(Form::PosAll(inner.starts_with('*'), sl));
    }
    if inner.bytes().all(|c| c.is_ascii_digit()) {
        return inner.parse().ok().filter(|n| *n > 0).map(Form::Pos);
    }
    match inner.split_once('[') {
        None => ident(inner).then(|| Form::Elem(inner.into(), Key::Idx(0))),
        Some((name, sub)) => {
            if !ident(name) {
                return None;
            }
            let (idx, rest) = sub.split_once(']')?;
            if matches!(idx, "@" | "*") {
                return Some(Form::All(name.into(), idx == "*", slice(rest)?));
            }
            if !rest.is_empty() {
                return None;
            }
            let key = match idx.parse::<i64>() {
                Ok(n) => Key::Idx(n),
                Err(_) if !idx.is_empty() => Key::Str(idx.into()),
                Err(_) => return None,
            };
            Some(Form::Elem(name.into(), key))
        }
    }
}

/// Every `$…` expansion outside single quotes, outside `skip` spans.
fn refs(b: &[u8], skip: &[(usize, usize)]) -> Option<Vec<Ref>> {
    let mut out = Vec::new();
    // contexts: true = inside double quotes; a `$(` pushes false
    let mut stack: Vec<(bool, usize)> = vec![(false, 0)];
    let mut i = 0;
    while i < b.len() {
        if let Some((_, e)) = skip.iter().find(|(s, _)| *s == i) {
            i = *e;
            continue;
        }
        let c = b.get(i).copied()?;
        let (dq, parens) = *stack.last()?;
        match c {
            b'\\' => i += 2,
            b'\'' if !dq => {
                i += 1;
                while b.get(i).is_some_and(|c| *c != b'\'') {
                    i += 1;
                }
                i += 1;
            }
            b'"' if dq => {
                stack.pop();
                i += 1;
            }
            b'"' => {
                stack.push((true, 0));
                i += 1;
            }
            b'(' if !dq => {
                if let Some(top) = stack.last_mut() {
                    top.1 += 1;
                }
                i += 1;
            }
            b')' if !dq => {
                if parens == 0 && stack.len() > 1 {
                    stack.pop();
                } else if let Some(top) = stack.last_mut() {
                    top.1 = top.1.saturating_sub(1);
                }
                i += 1;
            }
            b'$' => match b.get(i + 1).copied() {
                Some(b'\'') if !dq => {
                    i += 2;
                    while i < b.len() && b.get(i) != Some(&b'\'') {
                        if b.get(i) == Some(&b'\\') {
                            i += 1;
                        }
                        i += 1;
                    }
                    i += 1;
                }
                Some(b'(') => {
                    stack.push((false, 0));
                    i += 2;
                }
                Some(b'{') => {
                    let close = b.get(i..)?.iter().position(|c| *c == b'}')? + i;
                    let inner = std::str::from_utf8(b.get(i + 2..close)?).ok()?;
                    if let Some(form) = brace_form(inner) {
                        out.push(Ref {
                            s: i,
                            e: close + 1,
                            in_dq: dq,
                            form,
                        });
                        i = close + 1;
                    } else {
                        i += 2;
                    }
                }
                Some(d @ (b'@' | b'*' | b'#')) => {
                    let form = match d {
                        b'#' => Form::PosCount,
                        _ => Form::PosAll(d == b'*', None),
                    };
                    out.push(Ref {
                        s: i,
                        e: i + 2,
                        in_dq: dq,
                        form,
                    });
                    i += 2;
                }
                Some(d @ b'1'..=b'9') => {
                    out.push(Ref {
                        s: i,
                        e: i + 2,
                        in_dq: dq,
                        form: Form::Pos((d - b'0') as usize),
                    });
                    i += 2;
                }
                Some(d) if d.is_ascii_alphabetic() || d == b'_' => {
                    let mut e = i + 1;
                    while b
                        .get(e)
                        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                    {
                        e += 1;
                    }
                    let name = std::str::from_utf8(b.get(i + 1..e)?).ok()?;
                    out.push(Ref {
                        s: i,
                        e,
                        in_dq: dq,
                        form: Form::Elem(name.into(), Key::Idx(0)),
                    });
                    i = e;
                }
                _ => i += 1,
            },
            _ => i += 1,
        }
    }
    Some(out)
}

/// Whether `name` occurs in `text` as a word of its own (not inside a
/// longer name).
fn mentions(text: &[u8], name: &str) -> bool {
    let n = name.as_bytes();
    let id = |c: Option<&u8>| c.is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_');
    let mut from = 0;
    while let Some(at) = text
        .get(from..)
        .and_then(|t| t.windows(n.len()).position(|w| w == n))
    {
        let s = from + at;
        let before = s.checked_sub(1).and_then(|k| text.get(k));
        if !id(before) && !id(text.get(s + n.len())) {
            return true;
        }
        from = s + 1;
    }
    false
}

/// Cheap test: may the line bind a value this module reads? An array's
/// binding (`a=(`, `a+=(`) or an element's (`a[1]=`, `m[k]+=`) — not any
/// `(`: a command substitution binds nothing — or one of the words
/// `declare`, `typeset`, `read` (`readarray` too), `set --`, `mapfile`.
/// One pass over the bytes: every `Bash` call asks, and eight substring
/// searches cost about a thousand instructions a line.
fn triggered(src: &str) -> bool {
    let b = src.as_bytes();
    let at = |i: usize, w: &[u8]| b.get(i..i + w.len()) == Some(w);
    let before = |i: usize, k: usize| i.checked_sub(k).and_then(|j| b.get(j)).copied();
    b.iter().enumerate().any(|(i, c)| match c {
        b'(' => before(i, 1) == Some(b'='),
        b'=' => {
            before(i, 1) == Some(b']') || (before(i, 1) == Some(b'+') && before(i, 2) == Some(b']'))
        }
        b'd' => at(i, b"declare"),
        b't' => at(i, b"typeset"),
        b'r' => at(i, b"read"),
        b's' => at(i, b"set --"),
        b'm' => at(i, b"mapfile"),
        _ => false,
    })
}

/// The line with the values it spells in place of their expansions, or
/// `None` when it binds none or one not read exactly.
pub fn rewrite(src: &str) -> Option<String> {
    if !triggered(src) {
        return None;
    }
    let b = src.as_bytes();
    let mut sc = Scan {
        b,
        i: 0,
        toks: Vec::new(),
        bodies: Vec::new(),
        pending: Vec::new(),
    };
    sc.run()?;
    let toks = sc.toks;
    let text = |t: &Tok| std::str::from_utf8(b.get(t.s..t.e).unwrap_or_default()).unwrap_or("");
    // a function on the line: its body runs where it is called
    for w in toks.windows(2) {
        if let [a, o] = w {
            if a.k == K::Word && o.k == K::Open {
                return None;
            }
        }
    }
    let mut binds: Vec<(usize, Bind)> = Vec::new();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut depth: i64 = 0;
    let mut assoc_names: Vec<String> = Vec::new();
    // `read`s with an `IFS=` prefix, and without one
    let mut ifs_reads = (0usize, 0usize);
    let mut start = 0;
    while start < toks.len() {
        let end = toks
            .get(start..)?
            .iter()
            .position(|t| t.k == K::Sep)
            .map_or(toks.len(), |p| p + start);
        let prev = start.checked_sub(1).and_then(|k| toks.get(k));
        let next = toks.get(end);
        let mut st = toks.get(start..end)?;
        start = end + 1;
        let mut negated = false;
        // compound keywords at the statement's start
        let mut guard = 0;
        while let Some(f) = st.first() {
            guard += 1;
            if guard > 64 {
                return None;
            }
            if f.k == K::Open {
                depth += 1;
                st = st.get(1..)?;
                continue;
            }
            if f.k != K::Word {
                break;
            }
            match text(f) {
                "then" | "do" | "else" | "elif" => {}
                "if" | "while" | "until" | "{" => depth += 1,
                "!" => negated = true,
                "}" | "fi" | "done" => depth -= 1,
                "for" | "select" => {
                    depth += 1;
                    negated = true; // data, no binding
                }
                "case" | "function" | "esac" | "coproc" => return None,
                _ => break,
            }
            st = st.get(1..)?;
        }
        let closes = st.iter().filter(|t| t.k == K::Close).count() as i64;
        let top = depth == 0
            && !negated
            && prev.is_none_or(|p| is_sep(b, p, &[b";", b"\n", b"&"]))
            && next.is_none_or(|n| is_sep(b, n, &[b";", b"\n", b"&&", b"||"]));
        depth -= closes;
        if depth < 0 {
            return None;
        }
        if !top || st.is_empty() || st.iter().any(|t| t.k == K::Close || t.k == K::Open) {
            continue;
        }
        let Some(bind) = statement(b, st, &sc.bodies, &toks, &mut assoc_names, &mut ifs_reads)
        else {
            continue;
        };
        let (s, e) = (st.first()?.s, st.last()?.e);
        spans.push((s, e));
        for (at, span, _, _) in &sc.bodies {
            let tok = toks.get(*at)?;
            if tok.s >= s && tok.e <= e {
                spans.push(*span);
            }
        }
        for x in bind {
            binds.push((s, x));
        }
    }
    if binds.is_empty() {
        return None;
    }
    let mut names: Vec<&str> = Vec::new();
    let mut positional = false;
    for (_, x) in &binds {
        match x {
            Bind::Arr { name, .. } | Bind::Elem { name, .. } => names.push(name),
            Bind::SetPos(_) | Bind::Shift(_) => positional = true,
        }
    }
    spans.sort_unstable();
    let mut skip = spans.clone();
    skip.extend(sc.bodies.iter().map(|(_, span, _, _)| *span));
    let all_refs = refs(b, &skip)?;
    let tracked = |f: &Form| match f {
        Form::Elem(n, _) | Form::All(n, _, _) | Form::Count(n) => names.contains(&n.as_str()),
        _ => positional,
    };
    let refs: Vec<&Ref> = all_refs.iter().filter(|r| tracked(&r.form)).collect();
    // every other mention of a bound name: not followed
    let mut rest = b.to_vec();
    for (s, e) in spans.iter().copied().chain(refs.iter().map(|r| (r.s, r.e))) {
        for c in rest.get_mut(s..e)?.iter_mut() {
            *c = b' ';
        }
    }
    if names.iter().any(|n| mentions(&rest, n)) {
        return None;
    }
    if positional
        && (mentions(&rest, "set") || mentions(&rest, "shift") || mentions(&rest, "getopts"))
    {
        return None;
    }
    let ifs_free = !mentions(b, "IFS") || {
        let mut n = 0;
        let mut from = 0;
        while let Some(at) = src.get(from..).and_then(|t| t.find("IFS")) {
            n += 1;
            from += at + 3;
        }
        n == ifs_reads.0
    };
    // a `read` splits by the shell's `IFS`: one the line sets elsewhere
    // is not followed
    if !ifs_free && ifs_reads.1 > 0 {
        return None;
    }
    // the values, in the line's order
    let mut vars: HashMap<String, Var> = HashMap::new();
    let mut pos: Option<Vec<Val>> = None;
    let mut bi = binds.iter().peekable();
    let mut reps: Vec<(usize, usize, String)> =
        spans.iter().map(|(s, e)| (*s, *e, String::new())).collect();
    // bindings become `:` (their bodies nothing)
    for r in reps.iter_mut() {
        if binds.iter().any(|(s, _)| *s == r.0) {
            r.2 = ":".into();
        }
    }
    for r in &refs {
        while let Some((_, x)) = bi.next_if(|(s, _)| *s < r.s) {
            apply(&mut vars, &mut pos, x)?;
        }
        let (s, e, out) = expand(b, r, &vars, pos.as_deref(), ifs_free)?;
        reps.push((s, e, out));
    }
    reps.sort_by_key(|r| r.0);
    let mut out = String::with_capacity(src.len() + 64);
    let mut at = 0;
    for (s, e, t) in reps {
        if s < at {
            return None;
        }
        out.push_str(src.get(at..s)?);
        out.push_str(&t);
        at = e;
    }
    out.push_str(src.get(at..)?);
    if out.len() > src.len().saturating_mul(8).saturating_add(4096) {
        return None;
    }
    Some(out)
}

/// One statement read as bindings, or `None` when it is none this module
/// follows.
fn statement(
    b: &[u8],
    st: &[Tok],
    bodies: &[(usize, (usize, usize), String, bool)],
    all: &[Tok],
    assoc_names: &mut Vec<String>,
    ifs_reads: &mut (usize, usize),
) -> Option<Vec<Bind>> {
    let text = |t: &Tok| std::str::from_utf8(b.get(t.s..t.e).unwrap_or_default()).ok();
    let first = st.first()?;
    let elems_of = |t: &Tok, assoc: bool| -> Option<Vec<(Option<Key>, Val)>> {
        let mut v = Vec::new();
        for (s, e) in &t.elems {
            let raw = std::str::from_utf8(b.get(*s..*e)?).ok()?;
            if raw.starts_with('[') {
                let (_, k, val) = keyed(raw)?;
                v.push((Some(key_of(k, assoc)?), literal(val)?));
            } else {
                if assoc {
                    return None;
                }
                v.push((None, literal(raw)?));
            }
        }
        Some(v)
    };
    let arr_name = |t: &Tok| -> Option<(String, bool)> {
        let raw = text(t)?;
        let head = raw.get(..raw.find('=')? + 1)?;
        let append = head.ends_with("+=");
        let name = head.trim_end_matches('=').trim_end_matches('+');
        local_name(name).then(|| (name.to_string(), append))
    };
    match first.k {
        K::Array if st.len() == 1 => {
            let (name, append) = arr_name(first)?;
            let assoc = assoc_names.contains(&name);
            Some(vec![Bind::Arr {
                elems: Some(elems_of(first, assoc)?),
                name,
                append,
                assoc: None,
            }])
        }
        K::Word => {
            let w0 = text(first)?;
            match w0 {
                "declare" | "typeset" => {
                    let mut assoc = None;
                    let mut out = Vec::new();
                    for t in st.get(1..)? {
                        let raw = text(t)?;
                        if t.k == K::Word && raw.starts_with('-') {
                            for c in raw.get(1..)?.chars() {
                                match c {
                                    'a' => assoc = Some(assoc.unwrap_or(false)),
                                    'A' => assoc = Some(true),
                                    'r' => {}
                                    _ => return None,
                                }
                            }
                            continue;
                        }
                        if t.k == K::Array {
                            let (name, append) = arr_name(t)?;
                            if append {
                                return None;
                            }
                            let a = assoc.unwrap_or(false) || assoc_names.contains(&name);
                            if a && !assoc_names.contains(&name) {
                                assoc_names.push(name.clone());
                            }
                            out.push(Bind::Arr {
                                elems: Some(elems_of(t, a)?),
                                name,
                                append: false,
                                assoc: Some(a),
                            });
                            continue;
                        }
                        if t.k != K::Word || !local_name(raw) {
                            return None;
                        }
                        let a = assoc?;
                        if a && !assoc_names.contains(&raw.to_string()) {
                            assoc_names.push(raw.to_string());
                        }
                        out.push(Bind::Arr {
                            name: raw.into(),
                            append: false,
                            assoc: Some(a),
                            elems: None,
                        });
                    }
                    (!out.is_empty()).then_some(out)
                }
                "set" => {
                    if st.get(1).and_then(text) != Some("--") {
                        return None;
                    }
                    let mut v = Vec::new();
                    for t in st.get(2..)? {
                        if t.k != K::Word {
                            return None;
                        }
                        v.push(literal(text(t)?)?);
                    }
                    Some(vec![Bind::SetPos(v)])
                }
                "shift" => {
                    let n = match st.get(1..)? {
                        [] => 1,
                        [t] if t.k == K::Word => text(t)?.parse().ok()?,
                        _ => return None,
                    };
                    Some(vec![Bind::Shift(n)])
                }
                _ if st.len() == 1 && keyed(w0).is_some() => {
                    let (name, k, v) = keyed(w0)?;
                    if !local_name(name) {
                        return None;
                    }
                    let key = key_of(k, assoc_names.iter().any(|n| n == name))?;
                    Some(vec![Bind::Elem {
                        name: name.into(),
                        key,
                        val: literal(v)?,
                    }])
                }
                _ => reader(b, st, bodies, all, ifs_reads),
            }
        }
        _ => None,
    }
}

/// `[IFS=…] read [-r] [-a name] names <<< word`, `mapfile|readarray -t
/// name <<< word` or `<< DELIM` with a here-doc.
fn reader(
    b: &[u8],
    st: &[Tok],
    bodies: &[(usize, (usize, usize), String, bool)],
    all: &[Tok],
    ifs_reads: &mut (usize, usize),
) -> Option<Vec<Bind>> {
    let text = |t: &Tok| std::str::from_utf8(b.get(t.s..t.e).unwrap_or_default()).ok();
    let mut st = st;
    let mut ifs = None;
    if let Some(v) = st
        .first()
        .and_then(text)
        .and_then(|w| w.strip_prefix("IFS="))
    {
        ifs = Some(literal(v).filter(|v| !v.home)?.text);
        st = st.get(1..)?;
    }
    let cmd = text(st.first()?)?;
    // the input: the last two tokens
    let (op, w) = match st {
        [.., op, w] if op.k == K::Redir && w.k == K::Word => (op, w),
        _ => return None,
    };
    // a here-string's `~` is expanded: the home directory, kept as such
    let mut home = false;
    let input = match text(op)? {
        "<<<" => {
            let v = literal(text(w)?)?;
            home = v.home;
            let mut t = v.text;
            t.push('\n');
            t
        }
        "<<" | "<<-" => {
            let at = all.iter().position(|t| std::ptr::eq(t, op))?;
            let (_, _, body, quoted) = bodies.iter().find(|(k, _, _, _)| *k == at)?;
            if !quoted && body.bytes().any(|c| matches!(c, b'$' | b'`' | b'\\')) {
                return None;
            }
            body.clone()
        }
        _ => return None,
    };
    let args = st.get(1..st.len() - 2)?;
    let words: Vec<&str> = args
        .iter()
        .map(|t| if t.k == K::Word { text(t) } else { None })
        .collect::<Option<_>>()?;
    match cmd {
        "read" => {
            let mut raw = false;
            let mut arr = None;
            let mut names = Vec::new();
            let mut it = words.iter();
            while let Some(w) = it.next() {
                match *w {
                    "-r" => raw = true,
                    "-a" => arr = Some(it.next()?.to_string()),
                    "-ra" | "-ar" => {
                        raw = true;
                        arr = Some(it.next()?.to_string());
                    }
                    n if local_name(n) => names.push(n.to_string()),
                    _ => return None,
                }
            }
            if !raw && input.contains('\\') {
                return None;
            }
            let ifs_v = ifs.clone().unwrap_or_else(|| " \t\n".into());
            if ifs.is_some() {
                ifs_reads.0 += 1;
            } else {
                ifs_reads.1 += 1;
            }
            if let Some(a) = arr {
                if home || !names.is_empty() || !local_name(&a) {
                    return None;
                }
                let line = input.split('\n').next().unwrap_or("");
                let n = line.len() + 1;
                let mut f = read_fields(line, &ifs_v, n)?;
                while f.last().is_some_and(|x| x.is_empty()) {
                    f.pop();
                }
                return Some(vec![Bind::Arr {
                    name: a,
                    append: false,
                    assoc: Some(false),
                    elems: Some(f.iter().map(|x| (None, Val::plain(x))).collect()),
                }]);
            }
            if names.is_empty() {
                return None;
            }
            if home && (names.len() != 1 || ifs.is_some()) {
                return None;
            }
            let mut f = read_fields(&input, &ifs_v, names.len())?;
            if home {
                // the home directory's path holds no blank
                f = vec![input.trim_end_matches('\n').to_string()];
            }
            Some(
                names
                    .into_iter()
                    .zip(f)
                    .map(|(name, v)| Bind::Arr {
                        name,
                        append: false,
                        assoc: Some(false),
                        elems: Some(vec![(None, Val { home, text: v })]),
                    })
                    .collect(),
            )
        }
        "mapfile" | "readarray" if ifs.is_none() && !home => {
            let [t, name] = words.as_slice() else {
                return None;
            };
            if *t != "-t" || !local_name(name) {
                return None;
            }
            let mut lines: Vec<&str> = input.split('\n').collect();
            if lines.last() == Some(&"") {
                lines.pop();
            }
            if lines.len() > MAX_ELEMS {
                return None;
            }
            Some(vec![Bind::Arr {
                name: name.to_string(),
                append: false,
                assoc: Some(false),
                elems: Some(lines.iter().map(|l| (None, Val::plain(l))).collect()),
            }])
        }
        _ => None,
    }
}

fn apply(vars: &mut HashMap<String, Var>, pos: &mut Option<Vec<Val>>, x: &Bind) -> Option<()> {
    match x {
        Bind::Arr {
            name,
            append,
            assoc,
            elems,
        } => {
            let v = vars.entry(name.clone()).or_default();
            if let Some(a) = assoc {
                if *a != v.assoc && (!v.idx.is_empty() || !v.map.is_empty()) {
                    return None;
                }
                v.assoc = *a;
            }
            let Some(elems) = elems else {
                return Some(());
            };
            if !append {
                v.idx.clear();
                v.map.clear();
            }
            let mut next = v.idx.keys().next_back().map_or(0, |k| k + 1);
            for (k, val) in elems {
                match (k, v.assoc) {
                    (Some(Key::Str(k)), true) => {
                        v.map.retain(|(x, _)| x != k);
                        v.map.push((k.clone(), val.clone()));
                    }
                    (Some(Key::Idx(n)), false) => {
                        v.idx.insert(*n, val.clone());
                        next = n + 1;
                    }
                    (None, false) => {
                        v.idx.insert(next, val.clone());
                        next += 1;
                    }
                    _ => return None,
                }
            }
        }
        Bind::Elem { name, key, val } => {
            let v = vars.entry(name.clone()).or_default();
            match (key, v.assoc) {
                (Key::Str(k), true) => {
                    v.map.retain(|(x, _)| x != k);
                    v.map.push((k.clone(), val.clone()));
                }
                (Key::Idx(n), false) => {
                    v.idx.insert(*n, val.clone());
                }
                _ => return None,
            }
        }
        Bind::SetPos(v) => *pos = Some(v.clone()),
        Bind::Shift(n) => {
            let p = pos.as_mut()?;
            if *n > p.len() {
                return None; // shift fails, nothing moves
            }
            p.drain(..*n);
        }
    }
    Some(())
}

/// The source that stands for one expansion, and the span it replaces.
fn expand(
    b: &[u8],
    r: &Ref,
    vars: &HashMap<String, Var>,
    pos: Option<&[Val]>,
    ifs_free: bool,
) -> Option<(usize, usize, String)> {
    let get = |n: &str| vars.get(n);
    let cut = |v: Vec<Val>, sl: &Option<(usize, Option<usize>)>| -> Vec<Val> {
        match sl {
            None => v,
            Some((o, l)) => v
                .into_iter()
                .skip(*o)
                .take(l.unwrap_or(usize::MAX))
                .collect(),
        }
    };
    // (values, one word each when quoted as "${a[@]}")
    let (vals, many, star) = match &r.form {
        Form::Elem(n, key) => {
            let v = get(n)?;
            let val = if v.assoc {
                let k = match key {
                    Key::Str(s) => s.clone(),
                    Key::Idx(i) => i.to_string(),
                };
                v.map.iter().find(|(x, _)| *x == k).map(|(_, v)| v.clone())
            } else {
                let Key::Idx(i) = key else { return None };
                let i = if *i < 0 {
                    v.idx.keys().next_back()? + 1 + i
                } else {
                    *i
                };
                v.idx.get(&i).cloned()
            };
            (vec![val.unwrap_or_default()], false, false)
        }
        Form::All(n, star, sl) => {
            let v = get(n)?;
            if v.assoc {
                return None; // a hash's order
            }
            let all: Vec<Val> = if let Some((o, _)) = sl {
                // a slice counts from the index
                v.idx
                    .range(*o as i64..)
                    .map(|(_, x)| x.clone())
                    .collect::<Vec<_>>()
            } else {
                v.idx.values().cloned().collect()
            };
            let all = cut(all, &sl.map(|(_, l)| (0, l)));
            (all, true, *star)
        }
        Form::Count(n) => {
            let v = get(n)?;
            let c = if v.assoc { v.map.len() } else { v.idx.len() };
            return Some((r.s, r.e, c.to_string()));
        }
        Form::PosCount => return Some((r.s, r.e, pos?.len().to_string())),
        Form::Pos(k) => (
            vec![pos?.get(k - 1).cloned().unwrap_or_default()],
            false,
            false,
        ),
        Form::PosAll(star, sl) => {
            let p = pos?.to_vec();
            let p = cut(p, &sl.map(|(o, l)| (o - 1, l)));
            (p, true, *star)
        }
    };
    let boundary = |k: Option<&u8>| k.is_none_or(|c| meta(*c));
    if r.in_dq {
        let whole = r.s.checked_sub(1).and_then(|k| b.get(k)) == Some(&b'"')
            && b.get(r.e) == Some(&b'"')
            && boundary(r.s.checked_sub(2).and_then(|k| b.get(k)))
            && boundary(b.get(r.e + 1));
        if many && !star && whole {
            let mut out = String::new();
            for (k, v) in vals.iter().enumerate() {
                if k > 0 {
                    out.push(' ');
                }
                v.emit(&mut out);
            }
            return Some((r.s - 1, r.e + 1, out));
        }
        if many && !star && vals.len() > 1 {
            return None;
        }
        if star && vals.len() > 1 && !ifs_free {
            return None;
        }
        let mut out = String::from("\"");
        for (k, v) in vals.iter().enumerate() {
            if k > 0 {
                out.push_str("' '");
            }
            v.emit(&mut out);
        }
        out.push('"');
        return Some((r.s, r.e, out));
    }
    // unquoted: split and globbed
    if !ifs_free || vals.iter().any(Val::splits) {
        return None;
    }
    let mut out = String::new();
    for v in vals.iter().filter(|v| v.home || !v.text.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        v.emit(&mut out);
    }
    Some((r.s, r.e, out))
}

#[cfg(test)]
mod tests {
    /// The one-pass trigger says yes exactly where a substring search for
    /// each of its patterns would.
    #[test]
    fn the_trigger_is_the_substring_test() {
        let by_search = |s: &str| {
            [
                "=(", "]=", "]+=", "declare", "typeset", "read", "set --", "mapfile",
            ]
            .iter()
            .any(|p| s.contains(p))
        };
        let mut lines = vec![
            String::new(),
            "a=(x)".into(),
            "a+=(x)".into(),
            "a[1]=x".into(),
            "m[k]+=v".into(),
            "] +=".into(),
            "x = (y)".into(),
            "echo $(date)".into(),
            "readarray -t a".into(),
            "set -- a".into(),
            "set -x".into(),
            "cargo build --release".into(),
            "typeset".into(),
            "declar".into(),
            "mapfil".into(),
            "rea".into(),
        ];
        // every string of up to four bytes over the patterns' bytes
        let alphabet = [b'=', b'(', b']', b'+', b'r', b'e', b'a', b'd', b' ', b'x'];
        let mut cur = vec![String::new()];
        for _ in 0..4 {
            let mut next = Vec::new();
            for s in &cur {
                for c in alphabet {
                    next.push(format!("{s}{}", c as char));
                }
            }
            lines.extend(next.iter().cloned());
            cur = next;
        }
        for l in &lines {
            assert_eq!(super::triggered(l), by_search(l), "{l:?}");
        }
    }

    use super::rewrite;

    #[test]
    fn arrays_and_positionals_are_spelled() {
        let r = |s: &str| rewrite(s);
        assert_eq!(
            r("args=(test --release); cargo \"${args[@]}\"").as_deref(),
            Some(":; cargo 'test' '--release'")
        );
        assert_eq!(
            r("a=(-rf ~); rm \"${a[@]}\"").as_deref(),
            Some(":; rm '-rf' \"$HOME\"")
        );
        assert_eq!(
            r("set -- a b; shift; cat \"$1\"").as_deref(),
            Some(":; :; cat \"\"'b'\"\"")
        );
        assert_eq!(
            r("IFS=. read -r a b <<< '1.2.3'; echo \"$b\"").as_deref(),
            Some(":; echo \"\"'2.3'\"\"")
        );
        assert_eq!(r("a=(ls); a=(x) | cat; \"${a[@]}\""), None);
        assert_eq!(r("a=($(curl x)); \"${a[@]}\""), None);
        assert_eq!(r("a=(ls); f() { a=(rm); }; f; \"${a[@]}\""), None);
        assert_eq!(r("x=a; a=(rm); \"${!x}\""), None);
        assert_eq!(r("cargo test"), None);
        assert_eq!(r("IFS=x; read -r a b <<< 'rxm'; $a"), None);
    }
}
