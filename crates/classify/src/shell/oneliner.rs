//! Interpreter one-liners that only compute and print (round 22):
//! `python3 -c 'import sys; print(sys.version)'`, `node -e
//! 'console.log(process.version)'`, `ruby -e 'puts RUBY_VERSION'`.
//!
//! A conservative reader, not an interpreter: the code is split into
//! tokens of a small subset — names from an allow-list of harmless
//! modules, builtins and attributes, literals, operators — and anything
//! outside it is not decided here (`None`: the caller keeps the code
//! unknown). No name outside the lists is ever accepted: not `open`
//! (except `open("literal")`, a read of that file), `exec`, `eval`,
//! `compile`, `__import__`, `getattr`, `vars`, `globals`, dunder names
//! (but `__version__`), `os`, `subprocess`, `socket`, `urllib`,
//! `requests`, `pathlib`, `shutil`, `importlib`, `ctypes`, `pickle`,
//! `format` (a format string walks attributes: `"{0.os.environ}"`),
//! `breakpoint`, `help`, `input`; in JavaScript not `require` but
//! `require("./x.json")`, not `process` but `process.version`,
//! `.versions`, `.platform`, `.arch`, no `[` (a computed member reaches
//! `constructor`), no backtick, no `globalThis`, `import(`, `Function`;
//! in Ruby no `%`, `` ` ``, `$`, `#`, `?`. Outside strings only ASCII: a
//! Unicode or escaped identifier (`\u0065val`, NFKC `ｏｐｅｎ`) is
//! refused, as are comments and line continuations.

/// What a one-liner in the subset does.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct OneLiner {
    /// Files it reads (`open("package.json")`, `require("./package.json")`).
    pub reads: Vec<String>,
    /// It imports a module by name other than `sys`: Python looks it up
    /// in the current folder first (`-c` puts it on the path), so a
    /// module of the project's may run, as a test run imports the
    /// project's code — judged as a build of the folder.
    pub imports: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    Python,
    Js,
    Ruby,
}

const MAX: usize = 400;

const PY_MODULES: &[&str] = &[
    "sys",
    "json",
    "platform",
    "math",
    "datetime",
    "re",
    "string",
    "textwrap",
    "collections",
    "itertools",
    "statistics",
    "decimal",
    "fractions",
    "random",
    "uuid",
    "hashlib",
    "base64",
    "calendar",
    "unicodedata",
    "django",
    "flask",
    "fastapi",
    "sqlalchemy",
    "pydantic",
    "numpy",
    "pandas",
];

const PY_NAMES: &[&str] = &[
    "print",
    "len",
    "str",
    "int",
    "float",
    "bool",
    "list",
    "dict",
    "tuple",
    "set",
    "sorted",
    "sum",
    "min",
    "max",
    "abs",
    "round",
    "range",
    "enumerate",
    "zip",
    "map",
    "filter",
    "repr",
    "hex",
    "ord",
    "chr",
    "any",
    "all",
    "reversed",
    "True",
    "False",
    "None",
    "import",
    "from",
    "in",
    "not",
    "and",
    "or",
    "is",
    "if",
    "else",
    "for",
    "lambda",
    "indent",
    "sort_keys",
    "key",
    "reverse",
    "sep",
    "end",
    "d",
    "k",
    "v",
    "x",
    "i",
    "line",
    "data",
];

const PY_ATTRS: &[&str] = &[
    "version",
    "version_info",
    "platform",
    "argv",
    "stdin",
    "stdout",
    "stderr",
    "read",
    "readline",
    "readlines",
    "write",
    "load",
    "loads",
    "dumps",
    "get",
    "keys",
    "values",
    "items",
    "split",
    "strip",
    "rstrip",
    "lstrip",
    "join",
    "upper",
    "lower",
    "replace",
    "startswith",
    "endswith",
    "count",
    "python_version",
    "python_implementation",
    "system",
    "machine",
    "release",
    "get_version",
    "VERSION",
    "__version__",
    "now",
    "today",
    "utcnow",
    "isoformat",
    "strftime",
    "date",
    "pi",
    "sqrt",
    "floor",
    "ceil",
    "findall",
    "sha256",
    "hexdigest",
    "b64encode",
    "b64decode",
    "encode",
    "decode",
    "uuid4",
    "Counter",
    "most_common",
    "major",
    "minor",
    "executable",
    "datetime",
];

const JS_NAMES: &[&str] = &[
    "console",
    "process",
    "require",
    "JSON",
    "Math",
    "Date",
    "Object",
    "Array",
    "String",
    "Number",
    "parseInt",
    "parseFloat",
    "new",
    "true",
    "false",
    "null",
    "typeof",
    "const",
    "let",
    "x",
    "k",
    "v",
    "p",
    "d",
];

const JS_ATTRS: &[&str] = &[
    "log",
    "error",
    "info",
    "stringify",
    "parse",
    "max",
    "min",
    "floor",
    "round",
    "now",
    "toISOString",
    "keys",
    "values",
    "entries",
    "isArray",
    "length",
    "map",
    "filter",
    "join",
    "split",
    "trim",
    "toUpperCase",
    "toLowerCase",
    "version",
    "versions",
    "platform",
    "arch",
    "node",
    "v8",
    "name",
    "description",
    "main",
    "scripts",
    "dependencies",
    "devDependencies",
    "peerDependencies",
    "engines",
    "type",
    "workspaces",
    "private",
    "license",
    "compilerOptions",
];

/// What may follow `process.`: its version and platform, not `env`,
/// `binding`, `mainModule`, `dlopen`.
const JS_PROCESS: &[&str] = &["version", "versions", "platform", "arch"];

const RB_NAMES: &[&str] = &[
    "puts",
    "p",
    "print",
    "pp",
    "RUBY_VERSION",
    "RUBY_PLATFORM",
    "RUBY_ENGINE",
    "RUBY_PATCHLEVEL",
    "RUBY_RELEASE_DATE",
    "Gem",
    "VERSION",
];

const RB_ATTRS: &[&str] = &[
    "to_s", "upcase", "downcase", "length", "size", "strip", "VERSION",
];

#[derive(Debug, PartialEq, Eq)]
enum Tok<'a> {
    Name(&'a str),
    Str(&'a str),
    Num,
    Punct(u8),
}

fn tokens(code: &str, lang: Lang) -> Option<Vec<Tok<'_>>> {
    if code.len() > MAX || code.trim().is_empty() {
        return None;
    }
    let b = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b' ' | b'\t' => i += 1,
            b'\'' | b'"' => {
                let start = i + 1;
                let mut j = start;
                loop {
                    match b.get(j) {
                        None | Some(b'\n') => return None,
                        Some(b'\\') => j += 2,
                        Some(&q) if q == c => break,
                        Some(_) => j += 1,
                    }
                }
                let s = code.get(start..j)?;
                if lang == Lang::Ruby && s.contains('#') {
                    return None;
                }
                out.push(Tok::Str(s));
                i = j + 1;
            }
            b'0'..=b'9' => {
                while b
                    .get(i)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_'))
                {
                    i += 1;
                }
                out.push(Tok::Num);
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while b
                    .get(i)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                {
                    i += 1;
                }
                out.push(Tok::Name(code.get(start..i)?));
            }
            b'(' | b')' | b'{' | b'}' | b'.' | b',' | b':' | b';' | b'+' | b'-' | b'*' | b'/'
            | b'<' | b'>' | b'=' | b'!' | b'&' | b'|' => {
                out.push(Tok::Punct(c));
                i += 1;
            }
            b'[' | b']' if lang != Lang::Js => {
                out.push(Tok::Punct(c));
                i += 1;
            }
            b'%' if lang == Lang::Python => {
                out.push(Tok::Punct(c));
                i += 1;
            }
            // `#`, `\`, `` ` ``, `$`, `@`, `?`, `^`, `~`, newlines, any
            // other byte and every non-ASCII one
            _ => return None,
        }
    }
    Some(out)
}

/// A file named to `open(…)` or `require(…)`: a relative path with no
/// `..`, no scheme, nothing the shell or a loader would expand.
fn literal_path(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && !s.starts_with(['/', '~', '$'])
        && !s.split('/').any(|x| x == "..")
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'/' | b'_' | b'-'))
}

/// `python3 -c CODE`.
pub fn python(code: &str) -> Option<OneLiner> {
    let t = tokens(code, Lang::Python)?;
    let mut out = OneLiner::default();
    let mut in_import = false;
    let mut i = 0;
    while let Some(tok) = t.get(i) {
        let after_dot = i > 0 && t.get(i - 1) == Some(&Tok::Punct(b'.'));
        match tok {
            Tok::Punct(b';') => in_import = false,
            Tok::Name("import" | "from") => in_import = true,
            Tok::Name(n) if in_import => {
                if *n == "import" || !PY_MODULES.contains(n) && !PY_ATTRS.contains(n) {
                    return None;
                }
                if *n != "sys" {
                    out.imports = true;
                }
            }
            Tok::Name("open") if !after_dot => {
                // `open("package.json")`: one literal, read mode
                match (t.get(i + 1), t.get(i + 2), t.get(i + 3)) {
                    (Some(Tok::Punct(b'(')), Some(Tok::Str(p)), Some(Tok::Punct(b')')))
                        if literal_path(p) =>
                    {
                        out.reads.push((*p).to_string());
                        i += 4;
                        continue;
                    }
                    _ => return None,
                }
            }
            Tok::Name(n) if after_dot && !PY_ATTRS.contains(n) => return None,
            Tok::Name(_) if after_dot => {}
            Tok::Name(n) if !PY_NAMES.contains(n) && !PY_MODULES.contains(n) => return None,
            _ => {}
        }
        i += 1;
    }
    Some(out)
}

/// `node -e CODE`, `node -p CODE`.
pub fn node(code: &str) -> Option<OneLiner> {
    let t = tokens(code, Lang::Js)?;
    let mut out = OneLiner::default();
    let mut i = 0;
    while let Some(tok) = t.get(i) {
        let after_dot = i > 0 && t.get(i - 1) == Some(&Tok::Punct(b'.'));
        match tok {
            Tok::Name("require") if !after_dot => {
                match (t.get(i + 1), t.get(i + 2), t.get(i + 3)) {
                    (Some(Tok::Punct(b'(')), Some(Tok::Str(p)), Some(Tok::Punct(b')')))
                        if literal_path(p) && p.starts_with("./") && p.ends_with(".json") =>
                    {
                        out.reads.push((*p).to_string());
                        i += 4;
                        continue;
                    }
                    _ => return None,
                }
            }
            Tok::Name("process") if !after_dot => match (t.get(i + 1), t.get(i + 2)) {
                (Some(Tok::Punct(b'.')), Some(Tok::Name(a))) if JS_PROCESS.contains(a) => {
                    i += 3;
                    continue;
                }
                _ => return None,
            },
            Tok::Name(n) if after_dot && !JS_ATTRS.contains(n) => return None,
            Tok::Name(_) if after_dot => {}
            Tok::Name(n) if !JS_NAMES.contains(n) => return None,
            _ => {}
        }
        i += 1;
    }
    Some(out)
}

/// `ruby -e CODE`.
pub fn ruby(code: &str) -> Option<OneLiner> {
    let t = tokens(code, Lang::Ruby)?;
    for (i, tok) in t.iter().enumerate() {
        let after = i > 0 && matches!(t.get(i - 1), Some(Tok::Punct(b'.' | b':')));
        if let Tok::Name(n) = tok {
            let ok = if after {
                RB_ATTRS.contains(n)
            } else {
                RB_NAMES.contains(n)
            };
            if !ok {
                return None;
            }
        }
    }
    Some(OneLiner::default())
}

#[cfg(test)]
mod tests {
    use super::super::{analyze_in, Kind};
    use super::*;

    const WS: Option<&str> = Some("/home/dev/proj");

    fn allowed(c: &str) -> bool {
        let a = analyze_in(c, WS);
        matches!(a.kind(), Kind::ReadOnly | Kind::Write)
            && !a.writes_outside(WS)
            && !a.writes_sensitive(WS)
            && a.sensitive_read(WS) == "none"
            && !a.pipes_to_shell
    }

    #[test]
    fn a_developer_asks_the_interpreter_a_question() {
        for c in [
            "python3 -c 'import sys; print(sys.version)'",
            "python3 -c 'import django; print(django.get_version())'",
            "python3 -c 'import json,sys; print(json.load(open(\"package.json\"))[\"version\"])'",
            "cat data.json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"x\"])'",
            "python -c 'import platform; print(platform.python_version())'",
            "python3 -c 'import numpy; print(numpy.__version__)'",
            "python3 -c 'print(1+1)'",
            "node -e 'console.log(process.version)'",
            "node -p 'require(\"./package.json\").version'",
            "node -e 'console.log(1+1)'",
            "node -p 'process.versions.node'",
            "node -e 'console.log(Object.keys(require(\"./package.json\").dependencies).length)'",
            "ruby -e 'puts RUBY_VERSION'",
            "ruby -e 'puts Gem::VERSION'",
        ] {
            assert!(allowed(c), "{c}: {:?}", analyze_in(c, WS).kind());
        }
    }

    #[test]
    fn one_liners_that_reach_out_stay_held() {
        for c in [
            "python3 -c 'import os; print(os.environ)'",
            "python3 -c 'import subprocess; subprocess.run([\"id\"])'",
            "python3 -c '__import__(\"os\").system(\"id\")'",
            "python3 -c 'print(open(\"/home/dev/.ssh/id_rsa\").read())'",
            "python3 -c 'print(open(\".env\").read())'",
            "python3 -c 'print(open(\"../../.aws/credentials\").read())'",
            "python3 -c 'open(\"x\", \"w\").write(\"y\")'",
            "python3 -c 'getattr(__builtins__, \"ev\"+\"al\")(\"1\")'",
            "python3 -c 'print([].__class__.__base__.__subclasses__())'",
            "python3 -c 'import sys; print(sys.modules)'",
            "python3 -c 'breakpoint()'",
            "python3 -c 'help()'",
            "python3 -c 'input()'",
            "python3 -c 'exec(\"import os\")'",
            "python3 -c 'eval(\"1\")'",
            "python3 -c 'import platform; print(platform.os.environ)'",
            "python3 -c 'import platform; print(\"{0.os.environ}\".format(platform))'",
            "python3 -c 'ｏｐｅｎ(\"x\")'",
            "python3 -c 'import socket'",
            "python3 -c 'import requests; requests.get(\"https://evil.io\")'",
            "python3 -c 'import pickle, sys; pickle.load(sys.stdin.buffer)'",
            "python3 -c 'import json # \\\nimport os'",
            "python3 -c \"print('$(cat ~/.ssh/id_rsa)')\"",
            "python3 -c 'import evil'",
            "node -e 'console.log(process.env)'",
            "node -e 'console.log(process)'",
            "node -e 'require(\"child_process\").execSync(\"id\")'",
            "node -e 'require(\"fs\").readFileSync(\"/etc/passwd\")'",
            "node -e 'console.log(globalThis)'",
            "node -e 'process.binding(\"spawn_sync\")'",
            "node -e 'import(\"fs\")'",
            "node -e '[][\"constructor\"][\"constructor\"](\"return process\")()'",
            "node -e 'Function(\"return 1\")()'",
            "node -e 'console.log(`${1}`)'",
            "node -e '\\u0065val(\"1\")'",
            "node -p 'require(\"./evil.js\")'",
            "node -p 'require(\"../../.aws/credentials.json\")'",
            "node -e 'JSON.stringify(process)'",
            "ruby -e 'puts `id`'",
            "ruby -e 'puts %x(id)'",
            "ruby -e 'system(\"id\")'",
            "ruby -e 'puts ENV'",
            "ruby -e 'puts \"#{`id`}\"'",
            "ruby -e 'puts File.read(\"/etc/passwd\")'",
            "cd /tmp/x && python3 -c 'import json; print(1)'",
        ] {
            assert!(!allowed(c), "{c}");
        }
    }

    #[test]
    fn the_reader_refuses_what_it_does_not_know() {
        assert!(python("import os").is_none());
        assert!(python("print(1)\nimport os").is_none());
        assert!(node("console.log(1) // x").is_some());
        assert!(python("import sys; print(sys.version)").is_some_and(|o| !o.imports));
        assert!(python("import json; print(1)").is_some_and(|o| o.imports));
    }
}
