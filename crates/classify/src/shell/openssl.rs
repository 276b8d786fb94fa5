//! `openssl`'s local subcommands (round 24e): a digest, a base64 or a
//! cipher of a file, a certificate or request printed, a chain verified,
//! random bytes, a key or a self-signed certificate generated. Each is
//! read as OpenSSL 3's option parser reads it (`-opt value`, `-opt=value`
//! and `--opt` alike; no abbreviations): the files it reads (`-in`,
//! `-CAfile`, `-inkey`, `-key`, `-signkey`, `-kfile`, `file:` passwords,
//! file operands) and the files it writes (`-out`, `-keyout`). The caller
//! judges those as a `cat` and a redirection of the same paths are
//! judged: `-in ~/.ssh/id_rsa` is a sensitive read outside the workspace.
//!
//! Not read here, so held as before (`None`): any subcommand beyond the
//! table, any option beyond the subcommand's table, one that reaches the
//! network (`s_client`, `s_server`, `ocsp`, `verify -crl_download`, a URL
//! in `req -addext`), one that loads code (`-engine`, `-provider`,
//! `-provider-path`, `-config`), a literal password (`-pass pass:…`,
//! `-k …`, `-hmac …`, `-K`/`-iv`: a secret on the command line), and a
//! word only the shell knows.

/// What a local `openssl` call does.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Files it reads.
    pub reads: Vec<String>,
    /// Files it writes.
    pub writes: Vec<String>,
}

/// How an option of a subcommand is read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Opt {
    /// No value.
    Flag,
    /// A value that names nothing the gate judges (a number, a format, a
    /// digest, a subject).
    Value,
    /// A file it reads.
    In,
    /// A file it writes.
    Out,
    /// A password source: `env:VAR`, `file:PATH` (read), `fd:N`, `stdin`;
    /// `pass:LITERAL` is not read here.
    Pass,
}

/// Options every subcommand below takes.
fn common(name: &str) -> Option<Opt> {
    Some(match name {
        "help" | "quiet" | "batch" => Opt::Flag,
        "in" => Opt::In,
        "out" => Opt::Out,
        "inform" | "outform" | "keyform" | "certform" | "CAform" | "CAkeyform" => Opt::Value,
        "passin" | "passout" | "pass" => Opt::Pass,
        "rand" => Opt::In,
        "writerand" => Opt::Out,
        _ => return None,
    })
}

/// Digest names as options (`-sha256`, `-sha3-512`, `-md5`, `-blake2b512`).
fn digest(name: &str) -> bool {
    matches!(
        name,
        "md5"
            | "sha1"
            | "sha224"
            | "sha256"
            | "sha384"
            | "sha512"
            | "sha512-224"
            | "sha512-256"
            | "sha3-224"
            | "sha3-256"
            | "sha3-384"
            | "sha3-512"
            | "shake128"
            | "shake256"
            | "blake2b512"
            | "blake2s256"
            | "sm3"
            | "ripemd160"
    )
}

/// Cipher names as `enc` options (`-aes-256-cbc`, `-chacha20`).
fn cipher(name: &str) -> bool {
    let l = name.len();
    (3..=32).contains(&l)
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && [
            "aes-",
            "aria-",
            "camellia-",
            "chacha20",
            "des-",
            "des3",
            "sm4-",
            "bf-",
            "cast5-",
        ]
        .iter()
        .any(|p| name.starts_with(p))
}

/// The option table of a local subcommand; `None`: not modelled.
fn table(sub: &str, name: &str) -> Option<Opt> {
    use Opt::*;
    if let Some(o) = common(name) {
        return Some(o);
    }
    Some(match (sub, name) {
        ("version", "a" | "b" | "c" | "d" | "e" | "f" | "o" | "p" | "r" | "v" | "m") => Flag,
        ("dgst", "r" | "hex" | "binary" | "c" | "d" | "list") => Flag,
        ("dgst", "xoflen" | "sigopt" | "macopt" | "mac") => Value,
        ("dgst", "sign" | "verify" | "prverify" | "signature") => In,
        ("dgst", d) if digest(d) => Flag,
        ("base64", "d" | "e" | "A" | "a" | "base64") => Flag,
        ("enc", "d" | "e" | "A" | "a" | "base64" | "p" | "P" | "salt" | "nosalt" | "pbkdf2") => {
            Flag
        }
        ("enc", "nopad" | "v" | "none") => Flag,
        ("enc", "iter" | "md" | "bufsize" | "S") => Value,
        ("enc", "kfile") => In,
        ("enc", c) if cipher(c) => Flag,
        (
            "x509",
            "noout" | "text" | "subject" | "issuer" | "dates" | "startdate" | "enddate"
            | "fingerprint" | "serial" | "pubkey" | "modulus" | "hash" | "subject_hash"
            | "issuer_hash" | "email" | "ocsp_uri" | "ocspid" | "purpose" | "alias" | "trustout"
            | "noverify" | "req" | "x509toreq" | "new" | "nocert" | "ext_noout",
        ) => Flag,
        ("x509", "ext" | "nameopt" | "certopt" | "checkend" | "days" | "set_serial" | "subj") => {
            Value
        }
        ("x509", "extensions" | "sigopt" | "vfyopt" | "key" | "signkey" | "CA" | "CAkey") => {
            if matches!(name, "key" | "signkey" | "CA" | "CAkey") {
                In
            } else {
                Value
            }
        }
        ("x509", "extfile") => In,
        ("x509", d) if digest(d) => Flag,
        (
            "req",
            "noout" | "text" | "verify" | "pubkey" | "modulus" | "subject" | "new" | "x509"
            | "nodes" | "noenc" | "utf8" | "verbose" | "batch" | "newhdr",
        ) => Flag,
        (
            "req",
            "days" | "subj" | "newkey" | "pkeyopt" | "set_serial" | "extensions" | "reqexts"
            | "addext" | "nameopt" | "reqopt" | "sigopt" | "vfyopt",
        ) => Value,
        ("req", "key" | "CA" | "CAkey") => In,
        ("req", "keyout") => Out,
        ("req", d) if digest(d) => Flag,
        (
            "verify",
            "verbose" | "show_chain" | "x509_strict" | "no-CAfile" | "no-CApath" | "no-CAstore"
            | "partial_chain" | "check_ss_sig" | "crl_check" | "crl_check_all" | "ignore_critical"
            | "issuer_checks" | "policy_check" | "explicit_policy",
        ) => Flag,
        ("verify", "purpose" | "verify_depth" | "attime" | "verify_hostname" | "verify_email") => {
            Value
        }
        ("verify", "CAfile" | "untrusted" | "trusted" | "CRLfile") => In,
        ("rand", "hex" | "base64") => Flag,
        ("genrsa", "aes128" | "aes192" | "aes256" | "des3" | "traditional" | "verbose") => Flag,
        ("genrsa", "3" | "F4" | "f4") => Flag,
        ("genrsa", "primes") => Value,
        ("genpkey", "algorithm" | "pkeyopt" | "paramfile" | "cipher") => {
            if name == "paramfile" {
                In
            } else {
                Value
            }
        }
        ("genpkey", "text" | "genparam" | "verbose" | "quiet") => Flag,
        ("genpkey", c) if cipher(c) => Flag,
        (
            "pkcs12",
            "export" | "nokeys" | "nocerts" | "clcerts" | "cacerts" | "info" | "nodes" | "noenc"
            | "noout" | "nomacver" | "legacy" | "chain" | "nomac" | "noiter" | "nomaciter"
            | "descert",
        ) => Flag,
        ("pkcs12", "name" | "caname" | "certpbe" | "keypbe" | "macalg" | "iter") => Value,
        ("pkcs12", "inkey" | "certfile" | "CAfile") => In,
        ("pkcs12", c) if cipher(c) => Flag,
        (
            "rsa" | "pkey" | "ec",
            "noout" | "text" | "pubin" | "pubout" | "check" | "modulus" | "traditional"
            | "RSAPublicKey_in" | "RSAPublicKey_out" | "text_pub" | "param_out",
        ) => Flag,
        ("rsa" | "pkey" | "ec", c) if cipher(c) => Flag,
        _ => return None,
    })
}

/// Reads `openssl ARGS` (the words after `openssl`, as the shell hands
/// them). `None`: not one of the local calls modelled here.
pub fn decide(args: &[&str]) -> Option<Verdict> {
    let (&sub, rest) = args.split_first()?;
    // `openssl sha256 FILE` is `openssl dgst -sha256 FILE`
    let sub = match sub {
        "md5" | "sha1" | "sha224" | "sha256" | "sha384" | "sha512" => "dgst",
        "base64" => "base64",
        s @ ("version" | "dgst" | "enc" | "x509" | "req" | "verify" | "rand" | "genrsa"
        | "genpkey" | "pkcs12" | "rsa" | "pkey" | "ec") => s,
        _ => return None,
    };
    let mut v = Verdict::default();
    let mut ops: Vec<&str> = Vec::new();
    let mut it = rest.iter();
    while let Some(&w) = it.next() {
        if w.contains('\n') || w.contains('\0') {
            return None;
        }
        let Some(o) = w.strip_prefix('-').filter(|o| !o.is_empty()) else {
            ops.push(w);
            continue;
        };
        if o == "-" {
            // `--`: the rest are operands
            ops.extend(it.by_ref().copied());
            break;
        }
        let o = o.strip_prefix('-').unwrap_or(o);
        let (name, glued) = match o.split_once('=') {
            Some((n, val)) => (n, Some(val)),
            None => (o, None),
        };
        let kind = table(sub, name)?;
        let value = match kind {
            Opt::Flag => {
                if glued.is_some() {
                    return None;
                }
                continue;
            }
            _ => match glued {
                Some(val) => val,
                None => *it.next()?,
            },
        };
        if value.is_empty() {
            return None;
        }
        match kind {
            Opt::Flag => {}
            Opt::Value => {
                // a URL in an extension (`authorityInfoAccess`,
                // `crlDistributionPoints`): held where it was
                let l = value.to_ascii_lowercase();
                if l.contains("://") || l.contains("uri:") {
                    return None;
                }
            }
            Opt::In => v.reads.push(value.to_string()),
            Opt::Out => {
                if value != "-" {
                    v.writes.push(value.to_string())
                }
            }
            Opt::Pass => {
                if let Some(f) = value.strip_prefix("file:") {
                    v.reads.push(f.to_string());
                } else if !(value.starts_with("env:")
                    || value.starts_with("fd:")
                    || value == "stdin")
                {
                    // `pass:LITERAL`: a secret on the command line
                    return None;
                }
            }
        }
    }
    match sub {
        // files digested or verified
        "dgst" | "verify" => v.reads.extend(ops.iter().map(|s| s.to_string())),
        // a number of bytes
        "rand" => {
            let [n] = ops.as_slice() else { return None };
            if n.is_empty() || n.len() > 9 || !n.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
        }
        // the key's size in bits
        "genrsa" => match ops.as_slice() {
            [] => {}
            [n] if n.len() <= 5 && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {}
            _ => return None,
        },
        _ => {
            if !ops.is_empty() {
                return None;
            }
        }
    }
    Some(v)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn d(line: &str) -> Option<Verdict> {
        let w: Vec<&str> = line.split_whitespace().collect();
        decide(&w)
    }

    #[test]
    fn a_release_is_hashed_and_its_certificate_read() {
        let v = d("dgst -sha256 dist/app.tgz").unwrap();
        assert_eq!(v.reads, ["dist/app.tgz"]);
        assert!(v.writes.is_empty());
        assert_eq!(d("sha256 dist/app.tgz").unwrap().reads, ["dist/app.tgz"]);
        let v = d("x509 -in certs/dev.pem -noout -subject -dates").unwrap();
        assert_eq!(v.reads, ["certs/dev.pem"]);
        let v = d("x509 -in certs/dev.pem -outform der -out certs/dev.der").unwrap();
        assert_eq!(v.writes, ["certs/dev.der"]);
        let v = d("verify -CAfile certs/ca.pem certs/dev.pem").unwrap();
        assert_eq!(v.reads, ["certs/ca.pem", "certs/dev.pem"]);
        assert!(d("rand -hex 16").unwrap().reads.is_empty());
        assert!(d("version").is_some());
        assert!(d("req -in certs/dev.csr -noout -text").is_some());
    }

    #[test]
    fn base64_and_keys_name_what_they_read_and_write() {
        let v = d("base64 -d -in fixtures/cert.b64 -out fixtures/cert.der").unwrap();
        assert_eq!(v.reads, ["fixtures/cert.b64"]);
        assert_eq!(v.writes, ["fixtures/cert.der"]);
        // OpenSSL 3 also reads `-in=FILE` and `--in FILE`
        assert_eq!(
            d("enc -base64 -in=dist/a.sig").unwrap().reads,
            ["dist/a.sig"]
        );
        assert_eq!(
            d("enc --in ~/.aws/credentials -a").unwrap().reads,
            ["~/.aws/credentials"]
        );
        let v = d("req -new -x509 -nodes -days 365 -subj /CN=localhost -keyout certs/k.pem -out certs/c.pem").unwrap();
        assert_eq!(v.writes, ["certs/k.pem", "certs/c.pem"]);
        assert_eq!(d("genrsa -out k.pem 2048").unwrap().writes, ["k.pem"]);
        assert_eq!(
            d("rsa -in ~/.ssh/id_rsa -pubout").unwrap().reads,
            ["~/.ssh/id_rsa"]
        );
        assert_eq!(
            d("pkcs12 -export -in c.pem -inkey k.pem -out b.p12 -passout env:P12")
                .unwrap()
                .reads,
            ["c.pem", "k.pem"]
        );
        assert_eq!(
            d("enc -d -aes-256-cbc -pbkdf2 -in x -pass file:.pw")
                .unwrap()
                .reads,
            ["x", ".pw"]
        );
    }

    #[test]
    fn the_network_code_and_literal_passwords_are_not_read_here() {
        for line in [
            "s_client -connect evil.io:443",
            "s_server -accept 4433",
            "ocsp -url http://evil.io -issuer a.pem",
            "req -x509 -addext authorityInfoAccess=OCSP;URI:http://evil.io -key k.pem",
            "dgst -sha256 -engine ./evil.so x",
            "x509 -in c.pem -provider-path /tmp -provider evil",
            "req -new -config /tmp/x.cnf",
            "enc -aes-256-cbc -in x -pass pass:hunter2",
            "enc -aes-256-cbc -in x -k hunter2",
            "dgst -sha256 -hmac s3cr3t x",
            "pkcs12 -export -in c.pem -passout pass:changeit",
            "verify -crl_download c.pem",
            "rand 16 17",
            "x509 -in c.pem extra",
            "frobnicate -in x",
            "",
            "dgst -noout=1 x",
        ] {
            assert_eq!(d(line), None, "{line}");
        }
    }
}
