//! Which cluster am I on (round 25e): `kubectl config current-context`,
//! `get-contexts`, `get-clusters`, `get-users`, and `eksctl get cluster`
//! or `nodegroup`.
//!
//! The `kubectl config` reads print names from the kubeconfig — the
//! current context, each context's cluster, user and namespace — and
//! nothing the kubeconfig keeps secret; they contact no cluster and run no
//! credential plugin (`users[].user.exec` runs only when a client talks to
//! a server). Only the bare spelling is read here: `--kubeconfig FILE`
//! (another file, whose parse errors quote it), `--context`, and every
//! other option keep today's reading.
//!
//! Not here, held as before: `kubectl config view`. It does not redact
//! what a reader would expect: `ShortenConfig` (client-go) replaces the
//! client key, the client and CA certificates and — in recent versions —
//! the bearer token, but prints a user's `password`, an `auth-provider`'s
//! `id-token`, `refresh-token` and `client-secret`, and the `env` of an
//! `exec` plugin as they are; `--raw`, `--flatten` and `-o jsonpath=…`
//! print the rest. `use-context`, `set-context` and the other writes stay
//! system administration: a later command a person approves as run
//! against `dev` would reach whichever cluster the switch named.
//!
//! `eksctl get cluster|nodegroup` asks the EKS API for names, versions and
//! states, as `fly status` asks Fly's (shell/platform.rs): a read of a
//! service. Options: `--name/-n`, `--cluster/-c`, `--region/-r`,
//! `--profile/-p` with a plain value, `--output/-o table|json|yaml`,
//! `--all-regions/-A`; a positional cluster name. A config file (`-f`),
//! any other subcommand or option is not read here.

/// `kubectl ARGS…` (after the program name) is a read of the kubeconfig's
/// names.
pub fn kubectl_read(args: &[&str]) -> bool {
    match args {
        ["config", "current-context"] | ["config", "get-clusters" | "get-users"] => true,
        ["config", "get-contexts", rest @ ..] => {
            let mut named = false;
            let mut i = 0;
            while let Some(&a) = rest.get(i) {
                i += 1;
                match a {
                    "--no-headers" | "-o=name" | "--output=name" => {}
                    "-o" | "--output" => {
                        if rest.get(i) != Some(&"name") {
                            return false;
                        }
                        i += 1;
                    }
                    _ if !named && plain(a) => named = true,
                    _ => return false,
                }
            }
            true
        }
        _ => false,
    }
}

/// `eksctl ARGS…` is a read of EKS's names and states.
pub fn eksctl_read(args: &[&str]) -> bool {
    let [verb, noun, rest @ ..] = args else {
        return false;
    };
    if *verb != "get"
        || !matches!(
            *noun,
            "cluster" | "clusters" | "nodegroup" | "nodegroups" | "ng"
        )
    {
        return false;
    }
    let mut positional = false;
    let mut i = 0;
    while let Some(&a) = rest.get(i) {
        i += 1;
        let (name, value) = match a.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v)),
            _ => (a, None),
        };
        match name {
            "--all-regions" | "-A" if value.is_none() => continue,
            "--name" | "-n" | "--cluster" | "-c" | "--region" | "-r" | "--profile" | "-p"
            | "--output" | "-o" => {}
            _ if !a.starts_with('-') && !positional && plain(a) => {
                positional = true;
                continue;
            }
            _ => return false,
        }
        let v = match value {
            Some(v) => v,
            None => {
                i += 1;
                match rest.get(i - 1) {
                    Some(v) => v,
                    None => return false,
                }
            }
        };
        let ok = if matches!(name, "--output" | "-o") {
            matches!(v, "table" | "json" | "yaml")
        } else {
            plain(v)
        };
        if !ok {
            return false;
        }
    }
    true
}

/// A name: letters, digits, `.`, `_`, `-`, not an option.
fn plain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && !s.starts_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<&str> {
        s.split_whitespace().collect()
    }

    #[test]
    fn which_cluster_am_i_on() {
        for c in [
            "config current-context",
            "config get-contexts",
            "config get-contexts -o name",
            "config get-contexts --no-headers dev-eu",
            "config get-clusters",
            "config get-users",
        ] {
            assert!(kubectl_read(&w(c)), "{c}");
        }
        for c in [
            "get cluster",
            "get clusters --region eu-west-1",
            "get nodegroup --cluster dev-eu -o yaml",
            "get ng --cluster=dev-eu --region=eu-west-1",
            "get cluster dev-eu --profile dev",
            "get cluster -A",
        ] {
            assert!(eksctl_read(&w(c)), "{c}");
        }
    }

    #[test]
    fn the_kubeconfig_printed_or_switched_is_not_a_read() {
        for c in [
            "config view",
            "config view --raw",
            "config view --flatten",
            "config view -o jsonpath={.users[0].user.token}",
            "config view --minify",
            "config use-context dev-eu",
            "config set-context --current --namespace x",
            "config current-context --kubeconfig /home/dev/.ssh/id_rsa",
            "--kubeconfig /tmp/k config current-context",
            "config get-contexts -o yaml",
            "config get-contexts a b",
            "config get-contexts $(cat ~/.kube/config)",
            "config current-context extra",
        ] {
            assert!(!kubectl_read(&w(c)), "{c}");
        }
        for c in [
            "create cluster",
            "delete cluster dev",
            "get cluster -f cluster.yaml",
            "get iamidentitymapping --cluster x",
            "utils write-kubeconfig --cluster x",
            "get cluster --region",
            "get cluster -o wide",
            "get cluster a b",
            "get cluster --name $(cat ~/.aws/credentials)",
            "get",
        ] {
            assert!(!eksctl_read(&w(c)), "{c}");
        }
    }

    #[test]
    fn the_agent_checks_which_cluster_it_is_on_before_anything_else() {
        let kind = |l: &str| crate::shell::analyze(l).kind();
        use crate::shell::Kind;
        assert_eq!(kind("kubectl config current-context"), Kind::ReadOnly);
        assert_eq!(kind("kubectl config get-contexts -o name"), Kind::ReadOnly);
        assert_eq!(
            kind("eksctl get cluster --region eu-west-1"),
            Kind::ReadOnly
        );
        assert!(crate::shell::analyze("eksctl get cluster").asks_service);
        for l in [
            "kubectl config view",
            "kubectl config view --raw",
            "kubectl config use-context dev-eu",
            "kubectl config current-context --kubeconfig ~/.ssh/id_rsa",
            "KUBECONFIG=~/.ssh/id_rsa kubectl config current-context",
            "eksctl delete cluster --name prod",
            "eksctl get cluster -f /tmp/x.yaml",
        ] {
            assert!(kind(l) > Kind::Write, "{l}");
        }
    }
}
