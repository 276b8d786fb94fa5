//! Text and a cursor in, the place the cursor is at out.
//!
//! Read from the lexer's tokens rather than the syntax tree, because an
//! editor's text is half-typed most of the time (`when payments.ref`) and the
//! parser has nothing to say about an item it could not finish. The text is
//! cut into items at the keywords that start them; within the cursor's item
//! only the tokens before the cursor are read, so what follows the cursor
//! (often the rest of an old line) cannot confuse the answer.

use permit0_compiler::lexer::{lex, Tok};
use permit0_compiler::span::FileId;

/// A token: byte start, token, byte end.
pub type Token<'a> = (usize, Tok<'a>, usize);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    Rule,
    Let,
    Test,
    Tool,
    Action,
    Namespace,
    Domain,
    Alias,
    Policy,
}

/// One item: its kind and its tokens `start..end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ItemRange {
    pub kind: ItemKind,
    pub start: usize,
    pub end: usize,
}

/// A rule's pattern, as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pat {
    Any,
    Domain(String),
    /// `payments.refund` (or a lone word, which names nothing).
    Exact(String),
}

/// Who owns an object in a test step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Owner {
    /// The arguments of an action: `payments.refund { … }`.
    Action(String),
    /// A raw tool call's arguments.
    Tool,
    /// A request section: `actor { … }`.
    Section(String),
    /// An object inside a section field's list: a grant of
    /// `context { grants: [{ … }] }`, a hop of `actor { chain: [{ … }] }`.
    Element { ns: String, field: String },
}

/// Where the cursor is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// Between items.
    TopLevel,
    /// An action name is expected; `chain` holds the segments typed before
    /// the last dot (`payments.` → `["payments"]`). `pattern` allows `*`.
    Action { chain: Vec<String>, pattern: bool },
    /// The first argument of a session function: an action, a domain
    /// wildcard, or (`sum`, `distinct`) an action's field.
    SessionTarget { func: String, chain: Vec<String> },
    /// A value in a condition: a field, a namespace, a `let`, a function…
    /// `lhs` is the left side of a comparison the value completes.
    Operand {
        pats: Option<Vec<Pat>>,
        lhs: Option<Vec<String>>,
        /// Inside `{ … }` or `[ … ]` after `in`.
        in_collection: bool,
        /// Right after a rule's patterns: the condition may be left out.
        first: bool,
    },
    /// After `x.` in a condition: `chain` is `["actor"]`, `["risk"]`…
    Member {
        pats: Option<Vec<Pat>>,
        chain: Vec<String>,
    },
    /// After a complete value: an operator, `and`, `or` or `then` follows.
    AfterOperand { pats: Option<Vec<Pat>> },
    /// After `then` or `=>`.
    Decision,
    /// After a rule's decision (and reason).
    AfterDecision,
    /// After `then amplify` or a `,` in its list.
    Amplifier,
    /// A key in a test step's object.
    ObjectKey { owner: Owner, used: Vec<String> },
    /// A value in a test step's object.
    ObjectValue { owner: Owner, key: String },
    /// After a test step's arguments: a section (`actor {`) or `=>`.
    TestSection,
    /// A field name in a tool mapping.
    ToolField { action: String, used: Vec<String> },
    /// A field's type in an `action` or `namespace` declaration.
    TypeName,
    /// A key of a `risk { … }` block.
    RiskKey,
    /// A flag in `primary: [ … ]` or `secondary: [ … ]`.
    RiskFlag,
    /// The tier after `floor:`.
    RiskTier,
    /// Nothing useful to offer.
    Nothing,
}

pub struct Tokens<'a> {
    pub text: &'a str,
    pub toks: Vec<Token<'a>>,
}

/// A word the cursor touches or is inside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CursorToken {
    pub idx: usize,
    pub start: usize,
    pub end: usize,
    /// A string literal (possibly unterminated) rather than a word.
    pub is_str: bool,
}

/// Words that may name things (fields, path segments) although they are
/// keywords elsewhere.
pub fn is_word(t: &Tok<'_>) -> bool {
    t.is_word()
}

/// Any identifier-shaped token, keywords included: what a half-typed word
/// may lex as (`no` is a name, `not` a keyword).
fn is_identlike(t: &Tok<'_>) -> bool {
    is_word(t)
        || matches!(
            t,
            Tok::When
                | Tok::Then
                | Tok::Let
                | Tok::And
                | Tok::Or
                | Tok::Not
                | Tok::Has
                | Tok::In
                | Tok::Contains
                | Tok::ContainsAny
                | Tok::ContainsAll
                | Tok::StartsWith
                | Tok::EndsWith
                | Tok::With
                | Tok::Amplify
                | Tok::Enum
                | Tok::True
                | Tok::False
        )
}

fn is_cmp(t: &Tok<'_>) -> bool {
    matches!(
        t,
        Tok::EqEq | Tok::Ne | Tok::Lt | Tok::Le | Tok::Gt | Tok::Ge | Tok::Assign | Tok::Coalesce
    )
}

impl<'a> Tokens<'a> {
    pub fn new(text: &'a str) -> Tokens<'a> {
        Tokens {
            text,
            toks: lex(FileId(0), text).tokens,
        }
    }

    pub fn tok(&self, i: usize) -> Option<&Tok<'a>> {
        self.toks.get(i).map(|t| &t.1)
    }

    pub fn text_of(&self, i: usize) -> &'a str {
        self.toks
            .get(i)
            .and_then(|(s, _, e)| self.text.get(*s..*e))
            .unwrap_or("")
    }

    /// The word or string the cursor is in or at the end of.
    pub fn at_cursor(&self, cursor: usize) -> Option<CursorToken> {
        let idx = self.toks.iter().position(|(s, t, e)| {
            *s < cursor
                && cursor <= *e
                && (is_identlike(t) || matches!(t, Tok::Str(_) | Tok::Int(_) | Tok::Duration(_)))
        })?;
        let (start, tok, end) = self.toks.get(idx)?;
        Some(CursorToken {
            idx,
            start: *start,
            end: *end,
            is_str: matches!(tok, Tok::Str(_)),
        })
    }

    /// The word under the cursor for hover and definition: one the cursor is
    /// in, at the start of, or at the end of.
    pub fn word_at(&self, cursor: usize) -> Option<CursorToken> {
        let hit = |strict: bool| {
            self.toks.iter().position(|(s, t, e)| {
                is_identlike(t)
                    && if strict {
                        *s <= cursor && cursor < *e
                    } else {
                        *s <= cursor && cursor <= *e
                    }
            })
        };
        let idx = hit(true).or_else(|| hit(false))?;
        let (start, _, end) = self.toks.get(idx)?;
        Some(CursorToken {
            idx,
            start: *start,
            end: *end,
            is_str: false,
        })
    }

    /// The index of the first token that does not end before `offset`.
    pub fn first_at_or_after(&self, offset: usize) -> usize {
        self.toks
            .iter()
            .position(|(_, _, e)| *e > offset)
            .unwrap_or(self.toks.len())
    }

    /// Cuts the tokens into items at the keywords that start them. `when`
    /// and `let` start an item anywhere (a missing `}` above does not hide
    /// the rules below it); the declaration keywords only outside brackets.
    pub fn items(&self) -> Vec<ItemRange> {
        let mut out: Vec<ItemRange> = Vec::new();
        let mut depth = 0usize;
        for (i, (_, t, _)) in self.toks.iter().enumerate() {
            let after_dot = i > 0 && matches!(self.tok(i - 1), Some(Tok::Dot));
            let before_colon = matches!(self.tok(i + 1), Some(Tok::Colon));
            // A tool's `when` condition and the `let`s of its body belong
            // to the tool.
            let in_tool = out.last().is_some_and(|it| {
                it.kind == ItemKind::Tool
                    && (depth > 0
                        || !self
                            .toks
                            .get(it.start..i)
                            .unwrap_or_default()
                            .iter()
                            .any(|(_, t, _)| *t == Tok::LBrace))
            });
            let kind = match t {
                Tok::When | Tok::Let if in_tool => None,
                Tok::When => Some(ItemKind::Rule),
                Tok::Let => Some(ItemKind::Let),
                _ if depth > 0 || after_dot || before_colon => None,
                Tok::Test => Some(ItemKind::Test),
                Tok::Tool => Some(ItemKind::Tool),
                Tok::Action => Some(ItemKind::Action),
                Tok::Namespace => Some(ItemKind::Namespace),
                Tok::Domain => Some(ItemKind::Domain),
                Tok::Alias => Some(ItemKind::Alias),
                Tok::Policy => Some(ItemKind::Policy),
                _ => None,
            };
            if let Some(kind) = kind {
                if let Some(prev) = out.last_mut() {
                    prev.end = i;
                }
                out.push(ItemRange {
                    kind,
                    start: i,
                    end: self.toks.len(),
                });
                depth = 0;
            }
            match t {
                Tok::LParen | Tok::LBrace | Tok::LBracket => depth += 1,
                Tok::RParen | Tok::RBrace | Tok::RBracket => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        out
    }

    /// The item whose tokens include index `k`, or that `k` directly
    /// follows (the cursor at the end of an item is still in it).
    pub fn item_before(&self, k: usize) -> Option<ItemRange> {
        self.items().into_iter().rev().find(|it| it.start < k)
    }

    /// The place for a cursor at byte `cursor` whose prefix is the tokens
    /// before index `k` (a word being typed is not part of the prefix).
    pub fn place(&self, k: usize, cursor: usize) -> Place {
        let Some(item) = self.item_before(k) else {
            return Place::TopLevel;
        };
        if k > item.end {
            return Place::TopLevel;
        }
        let prefix = self.toks.get(item.start + 1..k).unwrap_or_default();
        match item.kind {
            ItemKind::Rule => self.rule_place(item.start + 1, prefix),
            ItemKind::Let => let_place(prefix),
            ItemKind::Test => self.test_place(item.start + 1, prefix),
            ItemKind::Tool => self.tool_place(item.start + 1, prefix, cursor),
            ItemKind::Action | ItemKind::Namespace => decl_place(self, item.start + 1, prefix),
            ItemKind::Alias => alias_place(self, item.start + 1, prefix),
            ItemKind::Domain | ItemKind::Policy => Place::Nothing,
        }
    }

    /// Text of the tokens `base + i` for `i` in `idx`.
    fn word(&self, base: usize, i: usize) -> String {
        self.text_of(base + i).to_string()
    }

    /// Reads a dotted chain ending just before `end` (exclusive, in
    /// `prefix`): `actor . role` → `["actor", "role"]`.
    fn chain_before(&self, base: usize, prefix: &[Token<'_>], end: usize) -> Vec<String> {
        let mut segs = Vec::new();
        let mut i = end;
        while i > 0 {
            let Some((_, t, _)) = prefix.get(i - 1) else {
                break;
            };
            if !is_word(t) {
                break;
            }
            segs.push(self.word(base, i - 1));
            if i >= 2 && matches!(prefix.get(i - 2).map(|t| &t.1), Some(Tok::Dot)) {
                i -= 2;
            } else {
                break;
            }
        }
        segs.reverse();
        segs
    }

    fn rule_place(&self, base: usize, prefix: &[Token<'_>]) -> Place {
        // Patterns: `*`, `d.*`, `d.v`, joined by `|`.
        let mut pats = Vec::new();
        let mut i = 0usize;
        loop {
            match prefix.get(i).map(|t| &t.1) {
                None => {
                    return Place::Action {
                        chain: Vec::new(),
                        pattern: true,
                    }
                }
                Some(Tok::Star) => {
                    pats.push(Pat::Any);
                    i += 1;
                }
                Some(t) if is_word(t) => {
                    let mut segs = vec![self.word(base, i)];
                    i += 1;
                    let mut domain = false;
                    loop {
                        match (prefix.get(i).map(|t| &t.1), prefix.get(i + 1).map(|t| &t.1)) {
                            (Some(Tok::Dot), None) => {
                                return Place::Action {
                                    chain: segs,
                                    pattern: true,
                                }
                            }
                            (Some(Tok::Dot), Some(Tok::Star)) => {
                                domain = true;
                                i += 2;
                                break;
                            }
                            (Some(Tok::Dot), Some(w)) if is_word(w) => {
                                segs.push(self.word(base, i + 1));
                                i += 2;
                            }
                            _ => break,
                        }
                    }
                    if domain {
                        pats.push(Pat::Domain(segs.join(".")));
                    } else {
                        pats.push(Pat::Exact(segs.join(".")));
                    }
                }
                Some(_) => break,
            }
            if matches!(prefix.get(i).map(|t| &t.1), Some(Tok::Pipe)) {
                i += 1;
                continue;
            }
            break;
        }
        let rest = prefix.get(i..).unwrap_or_default();
        let rest_base = base + i;
        if let Some(t) = rest.iter().position(|t| t.1 == Tok::Then) {
            return effect_place(rest.get(t + 1..).unwrap_or_default());
        }
        if rest.is_empty() {
            return Place::Operand {
                pats: Some(pats),
                lhs: None,
                in_collection: false,
                first: true,
            };
        }
        self.cond_place(rest_base, rest, Some(pats))
    }

    /// The place in a condition (or a `let` value) after the tokens `c`.
    fn cond_place(&self, base: usize, c: &[Token<'_>], pats: Option<Vec<Pat>>) -> Place {
        // Inside an unclosed bracket?
        let mut depth = 0i32;
        let mut open = None;
        for (i, (_, t, _)) in c.iter().enumerate().rev() {
            match t {
                Tok::RParen | Tok::RBrace | Tok::RBracket => depth += 1,
                Tok::LParen | Tok::LBrace | Tok::LBracket => {
                    if depth == 0 {
                        open = Some(i);
                        break;
                    }
                    depth -= 1;
                }
                _ => {}
            }
        }
        if let Some(p) = open {
            let inner = c.get(p + 1..).unwrap_or_default();
            let commas = inner.iter().filter(|t| t.1 == Tok::Comma).count();
            let opener = c.get(p).map(|t| &t.1);
            if opener == Some(&Tok::LParen) {
                let func = self.chain_before(base, c, p);
                if func.len() == 2
                    && matches!(
                        func.first().map(String::as_str),
                        Some("session" | "actor" | "tenant")
                    )
                {
                    if commas > 0 {
                        return Place::Nothing;
                    }
                    let chain = match inner.last().map(|t| &t.1) {
                        None => Vec::new(),
                        Some(Tok::Dot) => self.chain_before(base + p + 1, inner, inner.len() - 1),
                        Some(_) => return Place::Nothing,
                    };
                    return Place::SessionTarget {
                        func: func.join("."),
                        chain,
                    };
                }
            } else if p > 0 {
                // `x in {"a", |`: a collection after `in`.
                let before = c.get(p - 1).map(|t| &t.1);
                if matches!(before, Some(Tok::In))
                    && matches!(
                        c.last().map(|t| &t.1),
                        Some(Tok::LBrace | Tok::LBracket | Tok::Comma)
                    )
                {
                    let mut lhs_end = p - 1;
                    if lhs_end > 0 && matches!(c.get(lhs_end - 1).map(|t| &t.1), Some(Tok::Not)) {
                        lhs_end -= 1;
                    }
                    return Place::Operand {
                        pats,
                        lhs: Some(self.chain_before(base, c, lhs_end)).filter(|l| !l.is_empty()),
                        in_collection: true,
                        first: false,
                    };
                }
            }
        }
        let n = c.len();
        match c.last().map(|t| &t.1) {
            None | Some(Tok::And | Tok::Or | Tok::Not | Tok::Has | Tok::LParen | Tok::Comma) => {
                Place::Operand {
                    pats,
                    lhs: None,
                    in_collection: false,
                    first: false,
                }
            }
            Some(Tok::Dot) => Place::Member {
                pats,
                chain: self.chain_before(base, c, n - 1),
            },
            Some(t) if is_cmp(t) => Place::Operand {
                pats,
                lhs: Some(self.chain_before(base, c, n - 1)).filter(|l| !l.is_empty()),
                in_collection: false,
                first: false,
            },
            Some(
                Tok::In
                | Tok::Contains
                | Tok::ContainsAny
                | Tok::ContainsAll
                | Tok::StartsWith
                | Tok::EndsWith
                | Tok::Minus,
            ) => Place::Operand {
                pats,
                lhs: None,
                in_collection: false,
                first: false,
            },
            Some(Tok::LBrace | Tok::LBracket) => Place::Nothing,
            Some(_) => Place::AfterOperand { pats },
        }
    }

    fn test_place(&self, base: usize, prefix: &[Token<'_>]) -> Place {
        #[derive(Clone)]
        enum S {
            Name,
            Step,
            Subject(Vec<String>),
            SubjectDot(Vec<String>),
            Tool,
            Object {
                owner: Owner,
                key: Option<String>,
                value: bool,
                depth: usize,
                used: Vec<String>,
            },
            AfterObject(Option<String>),
            Expect,
            AfterExpect,
            Closed,
        }
        let mut s = S::Name;
        for (i, (_, t, _)) in prefix.iter().enumerate() {
            s = match (s, t) {
                (S::Name, Tok::LBrace) => S::Step,
                (S::Name, _) => S::Name,
                (S::Step | S::AfterExpect, Tok::Tool) => S::Tool,
                (S::Step | S::AfterExpect, w) if is_word(w) => S::Subject(vec![self.word(base, i)]),
                (S::Step | S::AfterExpect, Tok::RBrace) => S::Closed,
                (S::Step, _) => S::Step,
                (S::AfterExpect, _) => S::AfterExpect,
                (S::Subject(c), Tok::Dot) => S::SubjectDot(c),
                (S::Subject(c), Tok::LBrace) => S::Object {
                    owner: Owner::Action(c.join(".")),
                    key: None,
                    value: false,
                    depth: 1,
                    used: Vec::new(),
                },
                (S::Subject(_), _) => S::Step,
                (S::SubjectDot(mut c), w) if is_word(w) => {
                    c.push(self.word(base, i));
                    S::Subject(c)
                }
                (S::SubjectDot(_), _) => S::Step,
                (S::Tool, Tok::LBrace) => S::Object {
                    owner: Owner::Tool,
                    key: None,
                    value: false,
                    depth: 1,
                    used: Vec::new(),
                },
                (S::Tool, _) => S::Tool,
                (
                    S::Object {
                        owner,
                        key,
                        value,
                        depth,
                        mut used,
                    },
                    t,
                ) => match t {
                    Tok::LBrace | Tok::LBracket | Tok::LParen => S::Object {
                        owner,
                        key,
                        value,
                        depth: depth + 1,
                        used,
                    },
                    Tok::RBrace | Tok::RBracket | Tok::RParen if depth <= 1 => S::AfterObject(None),
                    Tok::RBrace | Tok::RBracket | Tok::RParen => S::Object {
                        owner,
                        key,
                        value,
                        depth: depth - 1,
                        used,
                    },
                    Tok::Colon if depth == 1 => S::Object {
                        owner,
                        key,
                        value: true,
                        depth,
                        used,
                    },
                    Tok::Comma if depth == 1 => S::Object {
                        owner,
                        key: None,
                        value: false,
                        depth,
                        used,
                    },
                    Tok::Str(k) if depth == 1 && !value => {
                        used.push(k.clone());
                        S::Object {
                            owner,
                            key: Some(k.clone()),
                            value,
                            depth,
                            used,
                        }
                    }
                    w if depth == 1 && !value && is_word(w) => {
                        let k = self.word(base, i);
                        used.push(k.clone());
                        S::Object {
                            owner,
                            key: Some(k),
                            value,
                            depth,
                            used,
                        }
                    }
                    _ => S::Object {
                        owner,
                        key,
                        value,
                        depth,
                        used,
                    },
                },
                (S::AfterObject(None), w) if is_word(w) => S::AfterObject(Some(self.word(base, i))),
                (S::AfterObject(Some(sec)), Tok::LBrace) => S::Object {
                    owner: Owner::Section(sec),
                    key: None,
                    value: false,
                    depth: 1,
                    used: Vec::new(),
                },
                (S::AfterObject(_), Tok::FatArrow) => S::Expect,
                (S::AfterObject(x), _) => S::AfterObject(x),
                (S::Expect, w) if is_word(w) => S::AfterExpect,
                (S::Expect, _) => S::Expect,
                (S::Closed, _) => S::Closed,
            };
        }
        match s {
            S::Name | S::Subject(_) | S::Tool => Place::Nothing,
            S::Step | S::AfterExpect => Place::Action {
                chain: Vec::new(),
                pattern: false,
            },
            S::SubjectDot(chain) => Place::Action {
                chain,
                pattern: false,
            },
            S::Object {
                owner,
                key,
                value,
                depth,
                used,
            } => match (value, key) {
                (true, Some(key)) if depth == 1 => Place::ObjectValue { owner, key },
                (false, _) if depth == 1 => Place::ObjectKey { owner, used },
                (true, Some(field)) if depth == 3 => match owner {
                    Owner::Section(ns) => self.element_key(base, prefix, ns, field),
                    _ => Place::Nothing,
                },
                _ => Place::Nothing,
            },
            S::AfterObject(None) => Place::TestSection,
            S::AfterObject(Some(_)) => Place::Nothing,
            S::Expect => Place::Decision,
            S::Closed => Place::TopLevel,
        }
    }

    /// Inside `field: [{ … }]` of a request section: a key of the innermost
    /// open object, when the cursor is where a key goes (after its `{` or a
    /// `,`); the keys written before it are `used`.
    fn element_key(&self, base: usize, prefix: &[Token<'_>], ns: String, field: String) -> Place {
        let mut depth = 0usize;
        let mut open = None;
        for (i, (_, t, _)) in prefix.iter().enumerate().rev() {
            match t {
                Tok::RBrace | Tok::RBracket | Tok::RParen => depth += 1,
                Tok::LBrace | Tok::LBracket | Tok::LParen if depth == 0 => {
                    open = Some(i);
                    break;
                }
                Tok::LBrace | Tok::LBracket | Tok::LParen => depth -= 1,
                _ => {}
            }
        }
        let Some(open) = open else {
            return Place::Nothing;
        };
        if !matches!(prefix.get(open).map(|t| &t.1), Some(Tok::LBrace)) {
            return Place::Nothing;
        }
        let inner = prefix.get(open + 1..).unwrap_or_default();
        let mut used = Vec::new();
        let mut level = 0usize;
        for (j, (_, t, _)) in inner.iter().enumerate() {
            match t {
                Tok::LBrace | Tok::LBracket | Tok::LParen => level += 1,
                Tok::RBrace | Tok::RBracket | Tok::RParen => level = level.saturating_sub(1),
                Tok::Colon if level == 0 && j > 0 => match inner.get(j - 1).map(|t| &t.1) {
                    Some(Tok::Str(k)) => used.push(k.clone()),
                    Some(w) if is_word(w) => used.push(self.word(base, open + j)),
                    _ => {}
                },
                _ => {}
            }
        }
        match prefix.last().map(|t| &t.1) {
            Some(Tok::LBrace) if inner.is_empty() => Place::ObjectKey {
                owner: Owner::Element { ns, field },
                used,
            },
            Some(Tok::Comma) if level == 0 => Place::ObjectKey {
                owner: Owner::Element { ns, field },
                used,
            },
            _ => Place::Nothing,
        }
    }

    fn tool_place(&self, base: usize, prefix: &[Token<'_>], cursor: usize) -> Place {
        let Some(arrow) = prefix.iter().position(|t| t.1 == Tok::Arrow) else {
            return Place::Nothing;
        };
        let after = prefix.get(arrow + 1..).unwrap_or_default();
        let abase = base + arrow + 1;
        let Some(brace) = after.iter().position(|t| t.1 == Tok::LBrace) else {
            return match after.last().map(|t| &t.1) {
                None => Place::Action {
                    chain: Vec::new(),
                    pattern: false,
                },
                Some(Tok::Dot) => Place::Action {
                    chain: self.chain_before(abase, after, after.len() - 1),
                    pattern: false,
                },
                Some(_) => Place::Nothing,
            };
        };
        let action = self.chain_before(abase, after, brace).join(".");
        let body = after.get(brace + 1..).unwrap_or_default();
        if body.iter().any(|t| t.1 == Tok::RBrace) {
            return Place::TopLevel;
        }
        // Keys are the words right before a `=`.
        let used: Vec<String> = body
            .iter()
            .enumerate()
            .filter(|(i, _)| matches!(body.get(i + 1).map(|t| &t.1), Some(Tok::Assign)))
            .map(|(i, _)| self.word(abase + brace + 1, i))
            .collect();
        let key_pos = match body.last() {
            None | Some((_, Tok::Comma, _)) => true,
            Some((_, Tok::Assign | Tok::Dot, _)) => false,
            // After a complete value, a new line starts a new mapping.
            Some((_, _, end)) => self
                .text
                .get(*end..cursor)
                .is_some_and(|gap| gap.contains('\n')),
        };
        if key_pos {
            Place::ToolField { action, used }
        } else {
            Place::Nothing
        }
    }
}

fn effect_place(e: &[Token<'_>]) -> Place {
    match e.first().map(|t| &t.1) {
        None => Place::Decision,
        Some(Tok::Amplify) => match e.last().map(|t| &t.1) {
            Some(Tok::Amplify | Tok::Comma) => Place::Amplifier,
            _ => Place::Nothing,
        },
        Some(_) if e.iter().any(|t| t.1 == Tok::With) => Place::Nothing,
        Some(t) if is_word(t) && e.len() <= 2 => Place::AfterDecision,
        Some(_) => Place::Nothing,
    }
}

fn let_place(prefix: &[Token<'_>]) -> Place {
    // `let name = …`
    match prefix.get(1).map(|t| &t.1) {
        Some(Tok::Assign) if prefix.len() == 2 => Place::Operand {
            pats: None,
            lhs: None,
            in_collection: false,
            first: false,
        },
        _ => Place::Nothing,
    }
}

fn decl_place(t: &Tokens<'_>, base: usize, prefix: &[Token<'_>]) -> Place {
    // Find the innermost open brace and what precedes it.
    let mut depth = 0usize;
    let mut in_risk = false;
    let mut in_fields = false;
    let mut in_list = false;
    for (i, (_, tok, _)) in prefix.iter().enumerate() {
        match tok {
            Tok::LBrace => {
                depth += 1;
                if depth == 1 {
                    let prev = i.checked_sub(1).and_then(|j| prefix.get(j)).map(|t| &t.1);
                    in_risk = matches!(prev, Some(Tok::Risk));
                    in_fields = !in_risk;
                }
            }
            Tok::RBrace => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    in_risk = false;
                    in_fields = false;
                }
            }
            Tok::LBracket => in_list = true,
            Tok::RBracket => in_list = false,
            _ => {}
        }
    }
    let last = prefix.last().map(|t| &t.1);
    if in_fields && depth == 1 && matches!(last, Some(Tok::Colon)) {
        return Place::TypeName;
    }
    if in_fields && depth == 1 && matches!(last, Some(Tok::Lt)) {
        return Place::TypeName;
    }
    if in_risk && depth == 1 {
        if in_list && matches!(last, Some(Tok::LBracket | Tok::Comma)) {
            return Place::RiskFlag;
        }
        if matches!(last, Some(Tok::Colon)) {
            let key = prefix.len().checked_sub(2).map(|j| t.text_of(base + j));
            return if key == Some("floor") {
                Place::RiskTier
            } else {
                Place::Nothing
            };
        }
        if !in_list && !matches!(last, Some(Tok::Colon)) {
            return Place::RiskKey;
        }
    }
    // `action x.|` names an action being declared: nothing to offer.
    Place::Nothing
}

fn alias_place(t: &Tokens<'_>, base: usize, prefix: &[Token<'_>]) -> Place {
    let Some(arrow) = prefix.iter().position(|x| x.1 == Tok::Arrow) else {
        return Place::Nothing;
    };
    let after = prefix.get(arrow + 1..).unwrap_or_default();
    match after.last().map(|x| &x.1) {
        None => Place::Action {
            chain: Vec::new(),
            pattern: false,
        },
        Some(Tok::Dot) => Place::Action {
            chain: t.chain_before(base + arrow + 1, after, after.len() - 1),
            pattern: false,
        },
        Some(_) => Place::Nothing,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn place(src: &str) -> Place {
        let cursor = src.find("$0").unwrap();
        let text = src.replace("$0", "");
        let t = Tokens::new(&text);
        let k = match t.at_cursor(cursor) {
            Some(w) => w.idx,
            None => t.first_at_or_after(cursor),
        };
        t.place(k, cursor)
    }

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn patterns() {
        assert_eq!(
            place("when $0"),
            Place::Action {
                chain: vec![],
                pattern: true
            }
        );
        assert_eq!(
            place("when pay$0"),
            Place::Action {
                chain: vec![],
                pattern: true
            }
        );
        assert_eq!(
            place("when payments.$0"),
            Place::Action {
                chain: v(&["payments"]),
                pattern: true
            }
        );
        assert_eq!(
            place("when payments.ref$0"),
            Place::Action {
                chain: v(&["payments"]),
                pattern: true
            }
        );
        assert_eq!(
            place("when payments.refund | email.$0 then deny"),
            Place::Action {
                chain: v(&["email"]),
                pattern: true
            }
        );
    }

    #[test]
    fn conditions() {
        let pats = Some(vec![Pat::Exact("payments.refund".into())]);
        assert_eq!(
            place("when payments.refund am$0"),
            Place::Operand {
                pats: pats.clone(),
                lhs: None,
                in_collection: false,
                first: true
            }
        );
        assert_eq!(
            place("when payments.refund $0"),
            Place::Operand {
                pats: pats.clone(),
                lhs: None,
                in_collection: false,
                first: true
            }
        );
        assert_eq!(
            place("when payments.refund actor.$0"),
            Place::Member {
                pats: pats.clone(),
                chain: v(&["actor"])
            }
        );
        assert_eq!(
            place("when payments.refund actor.ro$0 == 1"),
            Place::Member {
                pats: pats.clone(),
                chain: v(&["actor"])
            }
        );
        assert_eq!(
            place("when payments.refund context.env == $0"),
            Place::Operand {
                pats: pats.clone(),
                lhs: Some(v(&["context", "env"])),
                in_collection: false,
                first: false
            }
        );
        assert_eq!(
            place("when payments.refund context.env == \"pr$0"),
            Place::Operand {
                pats: pats.clone(),
                lhs: Some(v(&["context", "env"])),
                in_collection: false,
                first: false
            }
        );
        assert_eq!(
            place("when payments.refund context.env not in {\"dev\", $0"),
            Place::Operand {
                pats: pats.clone(),
                lhs: Some(v(&["context", "env"])),
                in_collection: true,
                first: false
            }
        );
        assert_eq!(
            place("when payments.refund amount > 5 a$0"),
            Place::AfterOperand { pats: pats.clone() }
        );
        assert_eq!(
            place("when * session.count($0"),
            Place::SessionTarget {
                func: "session.count".into(),
                chain: vec![]
            }
        );
        assert_eq!(
            place("when * tenant.count(collections.$0"),
            Place::SessionTarget {
                func: "tenant.count".into(),
                chain: v(&["collections"])
            }
        );
        assert_eq!(
            place("when * actor.sum(payments.refund.$0"),
            Place::SessionTarget {
                func: "actor.sum".into(),
                chain: v(&["payments", "refund"])
            }
        );
        assert_eq!(
            place("when * session.sum(payments.transfer.$0, 24h)"),
            Place::SessionTarget {
                func: "session.sum".into(),
                chain: v(&["payments", "transfer"])
            }
        );
    }

    #[test]
    fn effects_and_items() {
        assert_eq!(place("when * then $0"), Place::Decision);
        assert_eq!(place("when * then de$0"), Place::Decision);
        assert_eq!(place("when * then amplify $0"), Place::Amplifier);
        assert_eq!(place("when * then deny \"x\" $0"), Place::AfterDecision);
        assert_eq!(place("$0"), Place::TopLevel);
        assert_eq!(
            place("let x = $0"),
            Place::Operand {
                pats: None,
                lhs: None,
                in_collection: false,
                first: false
            }
        );
        // A rule after an unclosed test block is still a rule.
        assert_eq!(
            place("test \"t\" {\nwhen $0"),
            Place::Action {
                chain: vec![],
                pattern: true
            }
        );
    }

    #[test]
    fn tests_and_tools() {
        assert_eq!(
            place("test \"t\" { $0"),
            Place::Action {
                chain: vec![],
                pattern: false
            }
        );
        assert_eq!(
            place("test \"t\" { email.$0"),
            Place::Action {
                chain: v(&["email"]),
                pattern: false
            }
        );
        assert_eq!(
            place("test \"t\" { email.send { to: [\"a\"], $0 } }"),
            Place::ObjectKey {
                owner: Owner::Action("email.send".into()),
                used: v(&["to"])
            }
        );
        assert_eq!(
            place("test \"t\" { email.send { recipient_scope: $0 } }"),
            Place::ObjectValue {
                owner: Owner::Action("email.send".into()),
                key: "recipient_scope".into()
            }
        );
        assert_eq!(place("test \"t\" { email.send { } $0"), Place::TestSection);
        assert_eq!(
            place("test \"t\" { email.send { } actor { $0"),
            Place::ObjectKey {
                owner: Owner::Section("actor".into()),
                used: vec![]
            }
        );
        assert_eq!(place("test \"t\" { email.send { } => $0"), Place::Decision);
        assert_eq!(
            place("tool gmail_send -> $0"),
            Place::Action {
                chain: vec![],
                pattern: false
            }
        );
        assert_eq!(
            place("tool gmail_send -> email.send {\n  to = args.to\n  $0\n}"),
            Place::ToolField {
                action: "email.send".into(),
                used: v(&["to"])
            }
        );
        assert_eq!(place("action acme.x { a: $0 }"), Place::TypeName);
        assert_eq!(
            place("action acme.x { a: int } risk { primary: [$0] }"),
            Place::RiskFlag
        );
        assert_eq!(
            place("action acme.x { a: int } risk { $0 }"),
            Place::RiskKey
        );
    }
}
