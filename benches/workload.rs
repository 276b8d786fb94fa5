//! Generated policy sets for the decide benchmarks: N rules over M team
//! actions, and requests whose amounts straddle the rules' thresholds.

pub struct Workload {
    pub policy: String,
    pub requests: Vec<String>,
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const VENDORS: &[&str] = &[
    "acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "wonka",
];
const REGIONS: &[&str] = &["eu", "us", "apac"];

pub fn generate(rules: usize, actions: usize) -> Workload {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (rules as u64) << 8 ^ actions as u64);
    let mut p = String::from("policy bench.generated \"generated benchmark policy\"\n\n");
    for a in 0..actions {
        p.push_str(&format!(
            "action bench.a{a} \"generated action {a}\" {{\n  amount: money\n  vendor: string\n  region: enum {{ eu, us, apac }}\n  tags: list<string>\n  note: string\n}} risk {{\n  primary: [FINANCIAL]\n  secondary: [OUTBOUND]\n  amount: 10\n  destination: 8\n}}\n\n"
        ));
    }
    let mut thresholds = vec![Vec::new(); actions];
    for r in 0..rules {
        let a = r % actions;
        let t = 1_000 * (1 + rng.below(500)) as i64;
        thresholds[a].push(t);
        let line = match r % 6 {
            0 => format!("when bench.a{a} amount > {t} then escalate \"over {t}\""),
            1 => format!("when bench.a{a} amount > {} and region == us then deny \"cap\"", t * 4),
            2 => format!(
                "when bench.a{a} vendor in {{\"{}\", \"{}\"}} and amount <= {t} then allow",
                VENDORS[rng.below(8) as usize],
                VENDORS[rng.below(8) as usize]
            ),
            3 => format!("when bench.a{a} note contains_any [\"password\", \"secret\", \"api_key\", \"token{r}\"] then deny \"credentials\""),
            4 => format!("when bench.a{a} tags contains \"urgent\" and actor.role != \"admin\" then escalate"),
            _ => format!("when bench.a{a} region in {{\"eu\", \"apac\"}} and amount < {t} and not (vendor == \"{}\") then allow", VENDORS[rng.below(8) as usize]),
        };
        p.push_str(&line);
        p.push('\n');
    }
    let mut requests = Vec::new();
    for (a, th) in thresholds.iter().enumerate() {
        for _ in 0..8 {
            let base = th
                .get(rng.below(th.len() as u64) as usize)
                .copied()
                .unwrap_or(5_000);
            let amount = (base + rng.below(3) as i64 - 1).max(0);
            let note = if rng.below(4) == 0 {
                "here is the API_KEY"
            } else {
                "monthly invoice"
            };
            let tags = if rng.below(3) == 0 {
                "[\"urgent\"]"
            } else {
                "[\"routine\", \"q3\"]"
            };
            requests.push(format!(
                "{{\"action\": \"bench.a{a}\", \"args\": {{\"amount\": {amount}, \"vendor\": \"{}\", \"region\": \"{}\", \"tags\": {tags}, \"note\": \"{note}\"}}, \"actor\": {{\"role\": \"agent\"}}, \"context\": {{\"env\": \"prod\"}}}}",
                VENDORS[rng.below(8) as usize],
                REGIONS[rng.below(3) as usize],
            ));
        }
    }
    Workload {
        policy: p,
        requests,
    }
}

/// The three sizes the targets are set for.
pub const SIZES: &[(&str, usize, usize)] =
    &[("small", 10, 5), ("medium", 200, 50), ("large", 2_000, 150)];

/// Writes each size to `target/workloads/NAME/{policy.p0,requests.jsonl}` so
/// `permit0 bench` can run on the same sets.
pub fn write_all(root: &std::path::Path) {
    for (name, rules, actions) in SIZES {
        let w = generate(*rules, *actions);
        let dir = root.join(name);
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join("policy.p0"), &w.policy);
        let _ = std::fs::write(dir.join("requests.jsonl"), w.requests.join("\n") + "\n");
    }
}
