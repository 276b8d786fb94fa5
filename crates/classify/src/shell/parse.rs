//! A bounded, panic-free POSIX/bash parser for classification.
//!
//! It reads a command line the way bash splits it — quotes (`'…'`, `"…"`,
//! `$'…'` with its escapes decoded), backslash escapes and continuations,
//! `$(…)`, backticks, `${…}`, `<(…)`/`>(…)`, heredocs (whose bodies are
//! data, apart from the expansions of an unquoted delimiter), here-strings,
//! pipelines, lists, redirections with file descriptors, assignments,
//! subshells, groups, functions and the compound-command keywords — into a
//! flat list of simple commands. Each byte is read once; nested bodies are
//! parsed in place by recursion bounded by [`MAX_DEPTH`], and a nesting
//! beyond it stops the parse and marks the line as not understood.

/// Deepest nesting of substitutions and subshells parsed.
pub const MAX_DEPTH: usize = 48;
/// Simple commands on one line beyond this: the line is unknown.
pub const MAX_COMMANDS: usize = 2048;

/// One shell word after quote removal.
#[derive(Clone, Debug, Default)]
pub struct Word {
    pub text: String,
    /// Contains an expansion (`$x`, `$(…)`, a glob, a brace expansion) whose
    /// value only the running shell knows.
    pub dynamic: bool,
    /// Some part of it was quoted or escaped (so it is no keyword).
    pub quoted: bool,
    /// Substitution groups (`$(…)`, backticks, `<(…)`) inside the word.
    pub substs: Vec<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedirKind {
    Read,
    Write,
    ReadWrite,
}

#[derive(Clone, Debug)]
pub struct Redir {
    pub kind: RedirKind,
    pub target: Word,
}

/// A simple command.
#[derive(Clone, Debug, Default)]
pub struct Cmd {
    pub assigns: Vec<(String, Word)>,
    pub words: Vec<Word>,
    pub redirs: Vec<Redir>,
    /// A heredoc or here-string fed to the command's stdin: index into
    /// [`Parsed::bodies`].
    pub stdin_body: Option<usize>,
    /// The substitution group the command runs in (0: the line itself).
    pub group: usize,
    pub pipeline: usize,
    pub stage: usize,
    /// Words after `for x in`, `case … in`: data, not a command.
    pub data_only: bool,
    /// The `{ …; }` group or `( … )` subshell that closed just before
    /// this command's redirections: they take the group's output
    /// (`{ echo a; echo b; } > out.md`). The range of [`Parsed::cmds`]
    /// the group holds.
    pub group_cmds: Option<(usize, usize)>,
}

#[derive(Clone, Debug, Default)]
pub struct Group {
    pub parent: usize,
}

#[derive(Clone, Debug, Default)]
pub struct Parsed {
    pub cmds: Vec<Cmd>,
    pub groups: Vec<Group>,
    /// Heredoc and here-string bodies.
    pub bodies: Vec<String>,
    /// Round 23: the indexes of bodies whose expansions the shell runs (a
    /// here-string, a heredoc with an unquoted delimiter): the text read
    /// is not the text the command is fed.
    pub expanding: Vec<usize>,
    /// Names of functions defined on the line.
    pub functions: Vec<String>,
    /// Round 24e: the commands (a range of `cmds`) of each function body
    /// written as a `{ …; }` group, in the order the bodies close.
    pub function_bodies: Vec<(usize, usize)>,
    /// Something was not understood (stray `)`, unterminated quote,
    /// arithmetic with substitutions, `case`, nesting too deep): the line
    /// as a whole is unknown.
    pub malformed: bool,
    /// The line evaluates some text again as code: arithmetic (a variable's
    /// value is an expression, `a[$(…)]` in it runs), an indirect `${!x}`
    /// or a prompt expansion `${x@P}`.
    pub reevaluates: bool,
    /// Set before parsing: a `#` after a command's words is a word, not a
    /// comment — how zsh reads a line with `interactive_comments` off. The
    /// classifier reads a line with such a `#` both ways.
    pub hash_is_word: bool,
    pipelines: usize,
}

const KEYWORDS: &[&str] = &[
    "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "{", "}", "!", "time",
    "coproc",
];

fn meta(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t' | b'\n' | b'\r' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>'
    )
}

/// Bytes a word treats apart from plain text: quotes, escapes,
/// expansions, globs and braces.
fn special(b: u8) -> bool {
    matches!(
        b,
        b'\\' | b'\'' | b'"' | b'$' | b'`' | b'[' | b'*' | b'?' | b'{'
    )
}

struct P<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
    out: &'a mut Parsed,
    group: usize,
    /// Heredocs waiting for the next newline: (delimiter, strip tabs,
    /// quoted delimiter, body index).
    pending: Vec<(Vec<u8>, bool, bool, usize)>,
    /// Where each open `{` group's commands begin in `out.cmds`.
    braces: Vec<usize>,
    /// Function bodies not yet closed: where their commands begin, and
    /// how many `{` groups were open around the definition.
    fn_open: Vec<(usize, usize)>,
}

/// Parses `src` into `out`, its commands in a new group under `parent`
/// (or group 0 when `out` is empty).
pub fn parse_into(src: &str, out: &mut Parsed, parent: usize, depth: usize) -> usize {
    let group = out.groups.len();
    out.groups.push(Group { parent });
    if depth > MAX_DEPTH {
        out.malformed = true;
        return group;
    }
    let mut p = P {
        s: src.as_bytes(),
        i: 0,
        depth,
        out,
        group,
        pending: Vec::new(),
        braces: Vec::new(),
        fn_open: Vec::new(),
    };
    p.list(false);
    if p.i < p.s.len() {
        // a stray `)` at the top
        p.out.malformed = true;
    }
    group
}

impl P<'_> {
    fn at(&self, k: usize) -> Option<u8> {
        self.s.get(self.i + k).copied()
    }

    fn new_pipeline(&mut self) -> usize {
        self.out.pipelines += 1;
        self.out.pipelines
    }

    /// A list of pipelines, up to the end or (when `paren`) a `)`.
    fn list(&mut self, paren: bool) {
        let mut cur = Cmd {
            group: self.group,
            pipeline: self.new_pipeline(),
            ..Cmd::default()
        };
        loop {
            // Too deep, or more commands than any agent's line holds (a
            // megabyte of `a;` is 400,000 of them): the line is unknown,
            // decided in bounded time and memory.
            if self.depth > MAX_DEPTH || self.out.cmds.len() > MAX_COMMANDS {
                self.out.malformed = true;
                self.i = self.s.len();
            }
            let Some(b) = self.at(0) else { break };
            match b {
                b' ' | b'\t' | b'\r' => self.i += 1,
                b'\\' if self.at(1) == Some(b'\n') => self.i += 2,
                // A `#` that starts a word starts a comment, after a
                // command's words too (`ls # x`): a backslash at its end
                // continues nothing, the next line is a command. (Unless
                // `hash_is_word`: then only a command's first word.)
                b'#' if !self.out.hash_is_word
                    || (cur.words.is_empty() && cur.assigns.is_empty()) =>
                {
                    while self.at(0).is_some_and(|c| c != b'\n') {
                        self.i += 1;
                    }
                }
                b'\n' => {
                    self.i += 1;
                    self.end_cmd(&mut cur, true);
                    self.heredocs();
                }
                b';' | b'&' | b'|' => {
                    let two = self.at(1);
                    let pipe = b == b'|' && two != Some(b'|');
                    if b == b'&' && two == Some(b'>') {
                        // `&>file`, `&>>file`
                        self.i += 2;
                        self.redirect(&mut cur, b'>', true);
                        continue;
                    }
                    self.i += 1;
                    if two == Some(b) || (b == b'|' && two == Some(b'&')) {
                        self.i += 1;
                    }
                    if b == b';' && two == Some(b'&') {
                        self.i += 1;
                    }
                    self.end_cmd(&mut cur, !pipe);
                }
                b')' => {
                    if paren {
                        self.i += 1;
                        self.end_cmd(&mut cur, true);
                        return;
                    }
                    self.out.malformed = true;
                    self.i += 1;
                    self.end_cmd(&mut cur, true);
                }
                b'(' => {
                    if !cur.words.is_empty() && cur.assigns.is_empty() && self.at(1) == Some(b')')
                        || (!cur.words.is_empty() && self.func_parens())
                    {
                        // `name () { …; }`: a function definition.
                        // a name in upper case is another name than the
                        // call's (bash is case-sensitive): its body is not
                        // followed (function.rs)
                        let mut lower = false;
                        if let Some(w) = cur.words.pop() {
                            lower = w.text == w.text.to_lowercase() && !w.dynamic;
                            self.out.functions.push(w.text.to_lowercase());
                        }
                        self.skip_func_parens();
                        self.end_cmd(&mut cur, true);
                        if lower {
                            self.fn_open.push((self.out.cmds.len(), self.braces.len()));
                        }
                        continue;
                    }
                    if self.at(1) == Some(b'(') && cur.words.is_empty() {
                        // `(( arithmetic ))`
                        self.i += 2;
                        self.arith();
                        continue;
                    }
                    self.i += 1;
                    self.end_cmd(&mut cur, true);
                    let start = self.out.cmds.len();
                    self.depth += 1;
                    self.list(true);
                    self.depth -= 1;
                    cur.group_cmds = Some((start, self.out.cmds.len()));
                }
                b'<' | b'>' if self.at(1) == Some(b'(') => {
                    // process substitution: a file argument
                    self.i += 2;
                    let g = self.subgroup_list();
                    cur.words.push(Word {
                        text: "/dev/fd/63".into(),
                        dynamic: false,
                        quoted: false,
                        substs: vec![g],
                    });
                }
                b'<' | b'>' => {
                    if cur
                        .words
                        .first()
                        .is_some_and(|w| w.text == "[[" && !w.quoted)
                        && !cur.words.iter().any(|w| w.text == "]]")
                    {
                        // `[[ a < b ]]`: a comparison
                        self.i += 1;
                        continue;
                    }
                    self.i += 1;
                    self.redirect(&mut cur, b, false);
                }
                _ => {
                    // `2>file`, `{fd}>file`: a descriptor number, not a word
                    if b.is_ascii_digit() {
                        let mut k = 0;
                        while self.at(k).is_some_and(|c| c.is_ascii_digit()) {
                            k += 1;
                        }
                        if matches!(self.at(k), Some(b'<' | b'>')) {
                            self.i += k;
                            continue;
                        }
                    }
                    let w = self.word();
                    self.place(&mut cur, w);
                }
            }
        }
        self.end_cmd(&mut cur, true);
        self.heredocs();
        if paren {
            // unterminated `(`
            self.out.malformed = true;
        }
    }

    fn func_parens(&self) -> bool {
        let mut k = 1;
        while matches!(self.at(k), Some(b' ' | b'\t')) {
            k += 1;
        }
        self.at(k) == Some(b')')
    }

    fn skip_func_parens(&mut self) {
        while let Some(c) = self.at(0) {
            self.i += 1;
            if c == b')' {
                break;
            }
        }
    }

    /// Puts a word where it belongs: an assignment, a keyword, or an argument.
    fn place(&mut self, cur: &mut Cmd, w: Word) {
        let bare = !w.quoted && !w.dynamic;
        if cur.words.is_empty() && !cur.data_only {
            if let Some((name, _)) = w.text.split_once('=') {
                let ident = !name.is_empty()
                    && !name.starts_with(|c: char| c.is_ascii_digit())
                    && name
                        .trim_end_matches("+")
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_');
                if ident && !w.text.starts_with('\'') {
                    let value = Word {
                        text: w.text.get(name.len() + 1..).unwrap_or("").to_string(),
                        ..w.clone()
                    };
                    cur.assigns
                        .push((name.trim_end_matches('+').to_string(), value));
                    return;
                }
            }
            if bare && cur.assigns.is_empty() && KEYWORDS.contains(&w.text.as_str()) {
                match w.text.as_str() {
                    "{" => self.braces.push(self.out.cmds.len()),
                    "}" => {
                        if let Some(start) = self.braces.pop() {
                            cur.group_cmds = Some((start, self.out.cmds.len()));
                            let depth = self.braces.len();
                            if let Some(k) = self.fn_open.iter().position(|&o| o == (start, depth))
                            {
                                self.fn_open.remove(k);
                                let end = self.out.cmds.len();
                                self.out.function_bodies.push((start, end));
                            }
                        }
                    }
                    _ => {}
                }
                return;
            }
            if bare && cur.assigns.is_empty() {
                match w.text.as_str() {
                    "for" | "select" => {
                        cur.data_only = true;
                        return;
                    }
                    "case" => {
                        // patterns and `;;` are not modelled
                        self.out.malformed = true;
                        cur.data_only = true;
                        return;
                    }
                    "function" => {
                        let _ = self.skip_blanks();
                        let name = self.word();
                        self.out.functions.push(name.text.to_lowercase());
                        if name.text == name.text.to_lowercase() && !name.dynamic {
                            self.fn_open.push((self.out.cmds.len(), self.braces.len()));
                        }
                        if self.func_parens_here() {
                            self.skip_func_parens();
                        }
                        return;
                    }
                    _ => {}
                }
            }
        }
        cur.words.push(w);
    }

    fn func_parens_here(&mut self) -> bool {
        self.skip_blanks();
        self.at(0) == Some(b'(')
    }

    fn skip_blanks(&mut self) -> usize {
        let start = self.i;
        while matches!(self.at(0), Some(b' ' | b'\t')) {
            self.i += 1;
        }
        self.i - start
    }

    fn end_cmd(&mut self, cur: &mut Cmd, list_sep: bool) {
        let next_stage = if list_sep { 0 } else { cur.stage + 1 };
        let pipeline = if list_sep {
            self.new_pipeline()
        } else {
            cur.pipeline
        };
        let done = std::mem::replace(
            cur,
            Cmd {
                group: self.group,
                pipeline,
                stage: next_stage,
                ..Cmd::default()
            },
        );
        if !done.words.is_empty()
            || !done.redirs.is_empty()
            || !done.assigns.is_empty()
            || done.stdin_body.is_some()
        {
            self.out.cmds.push(done);
        }
    }

    /// After `<` or `>` (and `&` for `&>`): the operator's rest and target.
    fn redirect(&mut self, cur: &mut Cmd, op: u8, both: bool) {
        let mut kind = if op == b'<' {
            RedirKind::Read
        } else {
            RedirKind::Write
        };
        if op == b'<' {
            match self.at(0) {
                Some(b'<') => {
                    self.i += 1;
                    if self.at(0) == Some(b'<') {
                        // here-string: data (its expansions still run)
                        self.i += 1;
                        self.skip_blanks();
                        let w = self.word();
                        let idx = self.out.bodies.len();
                        self.out.bodies.push(w.text.clone());
                        self.out.expanding.push(idx);
                        cur.stdin_body = Some(idx);
                        self.attach_substs(cur, &w);
                        return;
                    }
                    let strip = self.at(0) == Some(b'-');
                    if strip {
                        self.i += 1;
                    }
                    self.skip_blanks();
                    let w = self.word();
                    let idx = self.out.bodies.len();
                    self.out.bodies.push(String::new());
                    if !w.quoted {
                        self.out.expanding.push(idx);
                    }
                    cur.stdin_body = Some(idx);
                    self.pending
                        .push((w.text.into_bytes(), strip, w.quoted, idx));
                    return;
                }
                Some(b'>') => {
                    self.i += 1;
                    kind = RedirKind::ReadWrite;
                }
                Some(b'&') => {
                    self.i += 1;
                    self.dup_target(cur, kind);
                    return;
                }
                _ => {}
            }
        } else {
            match self.at(0) {
                Some(b'>') | Some(b'|') => self.i += 1,
                Some(b'&') if !both => {
                    self.i += 1;
                    self.dup_target(cur, kind);
                    return;
                }
                _ => {}
            }
        }
        self.skip_blanks();
        if matches!(self.at(0), Some(b'<' | b'>')) && self.at(1) == Some(b'(') {
            // `> >(cmd)`
            self.i += 2;
            let g = self.subgroup_list();
            cur.redirs.push(Redir {
                kind,
                target: Word {
                    text: "/dev/fd/63".into(),
                    substs: vec![g],
                    ..Word::default()
                },
            });
            return;
        }
        let w = self.word();
        if w.text.is_empty() && !w.quoted && !w.dynamic {
            self.out.malformed = true;
        }
        cur.redirs.push(Redir { kind, target: w });
    }

    /// `>&2`, `<&-`: a descriptor copy; `>&file` (bash): a file.
    fn dup_target(&mut self, cur: &mut Cmd, kind: RedirKind) {
        self.skip_blanks();
        let w = self.word();
        let fd = !w.text.is_empty()
            && w.text
                .trim_end_matches('-')
                .chars()
                .all(|c| c.is_ascii_digit());
        if !fd {
            cur.redirs.push(Redir { kind, target: w });
        }
    }

    fn attach_substs(&mut self, _cur: &mut Cmd, _w: &Word) {
        // The substitutions' commands are already in `out.cmds`.
    }

    /// Reads pending heredoc bodies after a newline.
    fn heredocs(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        for (delim, strip, quoted, idx) in pending {
            let mut body = String::new();
            loop {
                if self.i >= self.s.len() {
                    break;
                }
                let start = self.i;
                let mut end = start;
                while self.s.get(end).is_some_and(|c| *c != b'\n') {
                    end += 1;
                }
                let line = self.s.get(start..end).unwrap_or_default();
                let cmp = if strip {
                    let k = line.iter().take_while(|c| **c == b'\t').count();
                    line.get(k..).unwrap_or_default()
                } else {
                    line
                };
                let cmp = cmp.strip_suffix(b"\r").unwrap_or(cmp);
                if cmp == delim.as_slice() {
                    self.i = (end + 1).min(self.s.len());
                    break;
                }
                if quoted {
                    body.push_str(&String::from_utf8_lossy(line));
                    self.i = end;
                } else {
                    // `$(…)`, backticks and `${…}` in the body run.
                    let mut text = Vec::new();
                    while self.i < end {
                        let before = self.i;
                        self.dq_piece(&mut text, &mut Word::default(), true);
                        if self.i == before {
                            self.i += 1;
                        }
                    }
                    body.push_str(&String::from_utf8_lossy(&text));
                }
                body.push('\n');
                if self.at(0) == Some(b'\n') {
                    self.i += 1;
                }
            }
            if let Some(b) = self.out.bodies.get_mut(idx) {
                *b = body;
            }
        }
    }

    /// `(( … ))`: arithmetic; substitutions inside are not modelled.
    fn arith(&mut self) {
        self.out.reevaluates = true;
        let mut depth = 2usize;
        while let Some(c) = self.at(0) {
            self.i += 1;
            match c {
                b'(' => depth += 1,
                b')' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return;
                    }
                }
                b'$' | b'`' => self.out.malformed = true,
                _ => {}
            }
        }
        self.out.malformed = true;
    }

    /// A `(…)` body (after the `(`) as a new substitution group.
    fn subgroup_list(&mut self) -> usize {
        let g = self.out.groups.len();
        self.out.groups.push(Group { parent: self.group });
        let outer = std::mem::replace(&mut self.group, g);
        let pending = std::mem::take(&mut self.pending);
        self.depth += 1;
        self.list(true);
        self.depth -= 1;
        self.pending = pending;
        self.group = outer;
        g
    }

    /// One word, up to an unquoted metacharacter.
    fn word(&mut self) -> Word {
        let mut w = Word::default();
        let mut text: Vec<u8> = Vec::with_capacity(16);
        let start = self.i;
        while let Some(b) = self.at(0) {
            if meta(b) {
                break;
            }
            match b {
                b'\\' => {
                    w.quoted = true;
                    match self.at(1) {
                        Some(b'\n') => {}
                        Some(c) => text.push(c),
                        None => {}
                    }
                    self.i += 2;
                }
                b'\'' => {
                    w.quoted = true;
                    self.i += 1;
                    loop {
                        match self.at(0) {
                            None => {
                                self.out.malformed = true;
                                break;
                            }
                            Some(b'\'') => {
                                self.i += 1;
                                break;
                            }
                            Some(c) => {
                                text.push(c);
                                self.i += 1;
                            }
                        }
                    }
                }
                b'"' => {
                    w.quoted = true;
                    self.i += 1;
                    self.dquote(&mut text, &mut w);
                }
                b'$' if self.at(1) == Some(b'\'') => {
                    w.quoted = true;
                    self.i += 2;
                    self.ansi_c(&mut text);
                }
                b'$' if self.at(1) == Some(b'"') => {
                    w.quoted = true;
                    self.i += 2;
                    self.dquote(&mut text, &mut w);
                }
                b'$' | b'`' => {
                    self.dq_piece(&mut text, &mut w, false);
                }
                b'[' => {
                    // a bracket expression only with its `]`: `[` alone is test
                    let rest = self.s.get(self.i + 1..).unwrap_or_default();
                    if rest.iter().take_while(|c| !meta(**c)).any(|c| *c == b']') {
                        w.dynamic = true;
                    }
                    text.push(b);
                    self.i += 1;
                }
                b'*' | b'?' => {
                    w.dynamic = true;
                    text.push(b);
                    self.i += 1;
                }
                b'{' => {
                    // `{a,b}`, `{1..3}`: brace expansion
                    let rest = self.s.get(self.i..).unwrap_or_default();
                    let close = rest
                        .iter()
                        .take_while(|c| !meta(**c))
                        .position(|c| *c == b'}');
                    if let Some(end) = close {
                        let inner = rest.get(1..end).unwrap_or_default();
                        if inner.contains(&b',') || inner.windows(2).any(|x| x == b"..") {
                            w.dynamic = true;
                        }
                    }
                    text.push(b);
                    self.i += 1;
                }
                _ => {
                    // a run of plain bytes, copied at once
                    let rest = self.s.get(self.i..).unwrap_or_default();
                    let n = rest
                        .iter()
                        .position(|c| meta(*c) || special(*c))
                        .unwrap_or(rest.len())
                        .max(1);
                    text.extend_from_slice(rest.get(..n).unwrap_or_default());
                    self.i += n;
                }
            }
        }
        if self.i == start {
            // not a word at all: consume one byte so the parse moves on
            self.i += 1;
            self.out.malformed = true;
        }
        w.text = match String::from_utf8(text) {
            Ok(t) => t,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        w
    }

    /// Inside `"…"` (after the opening quote) up to the closing one.
    fn dquote(&mut self, text: &mut Vec<u8>, w: &mut Word) {
        loop {
            match self.at(0) {
                None => {
                    self.out.malformed = true;
                    return;
                }
                Some(b'"') => {
                    self.i += 1;
                    return;
                }
                Some(_) => {
                    let before = self.i;
                    self.dq_piece(text, w, true);
                    if self.i == before {
                        self.i += 1;
                    }
                }
            }
        }
    }

    /// One piece of double-quoted (or unquoted `$`/backtick) text.
    fn dq_piece(&mut self, text: &mut Vec<u8>, w: &mut Word, in_dq: bool) {
        let Some(b) = self.at(0) else { return };
        match b {
            b'\\' if in_dq => {
                match self.at(1) {
                    Some(b'\n') => {}
                    Some(c @ (b'$' | b'`' | b'"' | b'\\')) => text.push(c),
                    Some(c) => {
                        text.push(b'\\');
                        text.push(c);
                    }
                    None => text.push(b'\\'),
                }
                self.i += 2;
            }
            b'`' => {
                self.i += 1;
                let mut body = Vec::new();
                loop {
                    match self.at(0) {
                        None => {
                            self.out.malformed = true;
                            break;
                        }
                        Some(b'`') => {
                            self.i += 1;
                            break;
                        }
                        Some(b'\\') if matches!(self.at(1), Some(b'$' | b'`' | b'\\')) => {
                            if let Some(c) = self.at(1) {
                                body.push(c);
                            }
                            self.i += 2;
                        }
                        Some(c) => {
                            body.push(c);
                            self.i += 1;
                        }
                    }
                }
                let src = String::from_utf8_lossy(&body).into_owned();
                let g = parse_into(&src, self.out, self.group, self.depth + 1);
                w.substs.push(g);
                w.dynamic = true;
                // the body is parsed; the word keeps a placeholder
                text.extend_from_slice(b"$()");
            }
            b'$' => match self.at(1) {
                Some(b'(') if self.at(2) == Some(b'(') => {
                    self.i += 3;
                    self.arith();
                    w.dynamic = true;
                    text.extend_from_slice(b"$(())");
                }
                Some(b'(') => {
                    self.i += 2;
                    let g = self.subgroup_list();
                    w.substs.push(g);
                    w.dynamic = true;
                    text.extend_from_slice(b"$()");
                }
                Some(b'{') => {
                    self.i += 2;
                    w.dynamic = true;
                    text.extend_from_slice(b"${");
                    let start = text.len();
                    self.brace_param(text, w);
                    let inner = text.get(start..).unwrap_or_default();
                    if inner.starts_with(b"!") || inner.ends_with(b"@P") {
                        self.out.reevaluates = true;
                    }
                    text.push(b'}');
                }
                Some(c) if c.is_ascii_alphanumeric() || c == b'_' => {
                    self.i += 1;
                    w.dynamic = true;
                    text.push(b'$');
                    let alpha = !c.is_ascii_digit();
                    while let Some(c) = self.at(0) {
                        if c.is_ascii_alphanumeric() || c == b'_' {
                            text.push(c);
                            self.i += 1;
                            if !alpha {
                                break;
                            }
                        } else {
                            break;
                        }
                    }
                }
                Some(c @ (b'@' | b'*' | b'#' | b'?' | b'-' | b'$' | b'!')) => {
                    self.i += 2;
                    w.dynamic = true;
                    text.push(b'$');
                    text.push(c);
                }
                _ => {
                    text.push(b'$');
                    self.i += 1;
                }
            },
            c => {
                text.push(c);
                self.i += 1;
            }
        }
    }

    /// `${…}` after the `{`, through the closing `}`.
    fn brace_param(&mut self, text: &mut Vec<u8>, w: &mut Word) {
        let mut depth = 0usize;
        loop {
            match self.at(0) {
                None => {
                    self.out.malformed = true;
                    return;
                }
                Some(b'}') if depth == 0 => {
                    self.i += 1;
                    return;
                }
                Some(b'}') => {
                    depth -= 1;
                    text.push(b'}');
                    self.i += 1;
                }
                Some(b'{') => {
                    depth += 1;
                    text.push(b'{');
                    self.i += 1;
                }
                Some(b'\'') => {
                    self.i += 1;
                    while let Some(c) = self.at(0) {
                        self.i += 1;
                        if c == b'\'' {
                            break;
                        }
                        text.push(c);
                    }
                }
                Some(b'"') => {
                    self.i += 1;
                    self.dquote(text, w);
                }
                Some(_) => {
                    let before = self.i;
                    self.dq_piece(text, w, true);
                    if self.i == before {
                        self.i += 1;
                    }
                }
            }
        }
    }

    /// `$'…'` after the opening quote: C escapes decoded.
    fn ansi_c(&mut self, text: &mut Vec<u8>) {
        loop {
            let Some(c) = self.at(0) else {
                self.out.malformed = true;
                return;
            };
            self.i += 1;
            match c {
                b'\'' => return,
                b'\\' => {
                    let Some(e) = self.at(0) else { continue };
                    self.i += 1;
                    let simple = match e {
                        b'n' => Some(b'\n'),
                        b't' => Some(b'\t'),
                        b'r' => Some(b'\r'),
                        b'a' => Some(7),
                        b'b' => Some(8),
                        b'e' | b'E' => Some(27),
                        b'f' => Some(12),
                        b'v' => Some(11),
                        b'\\' | b'\'' | b'"' | b'?' => Some(e),
                        _ => None,
                    };
                    if let Some(s) = simple {
                        text.push(s);
                        continue;
                    }
                    match e {
                        b'x' | b'u' | b'U' => {
                            let max = match e {
                                b'x' => 2,
                                b'u' => 4,
                                _ => 8,
                            };
                            let mut v: u32 = 0;
                            let mut n = 0;
                            while n < max {
                                match self.at(0).and_then(|d| (d as char).to_digit(16)) {
                                    Some(d) => {
                                        v = v * 16 + d;
                                        self.i += 1;
                                        n += 1;
                                    }
                                    None => break,
                                }
                            }
                            if e == b'x' {
                                text.push(v as u8);
                            } else {
                                let ch = char::from_u32(v).unwrap_or('\u{fffd}');
                                let mut buf = [0u8; 4];
                                text.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                            }
                        }
                        b'0'..=b'7' => {
                            let mut v: u32 = (e - b'0') as u32;
                            let mut n = 1;
                            while n < 3 {
                                match self.at(0) {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + (d - b'0') as u32;
                                        self.i += 1;
                                        n += 1;
                                    }
                                    _ => break,
                                }
                            }
                            text.push(v as u8);
                        }
                        b'c' => {
                            if let Some(x) = self.at(0) {
                                self.i += 1;
                                text.push(x & 0x1f);
                            }
                        }
                        other => {
                            text.push(b'\\');
                            text.push(other);
                        }
                    }
                }
                other => text.push(other),
            }
        }
    }
}
