//! Python values to the engine's JSON, and the request a `permit` call
//! makes: the same assembly as docs/python.md describes (the `"actor"` in
//! the args lifted out, the `@guard` scope's actor, session and tenant, a
//! guarded function's arguments filling the action's missing input fields),
//! done here so that a decision costs one call into the engine.

use permit0_vm::Program;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple};
use serde_json::{Map, Number, Value as Json};

/// Deeper than this is not a request (and a list that holds itself would
/// otherwise recurse forever).
const MAX_DEPTH: usize = 128;

/// Why a request could not be assembled.
pub enum Bad {
    /// An argument of the wrong type (`args` that is not a dict, an actor
    /// that is neither an id nor a dict).
    Type(String),
    /// A value that is not JSON (an object, a NaN, a huge integer).
    NotJson(String),
}

impl Bad {
    /// The reason of the deny it becomes.
    pub fn reason(&self) -> String {
        match self {
            Bad::Type(e) => format!("the request could not be built: {e}; denied (fail closed)"),
            Bad::NotJson(e) => format!("the request is not JSON ({e}); denied (fail closed)"),
        }
    }

    pub fn into_py(self) -> PyErr {
        match self {
            Bad::Type(e) => pyo3::exceptions::PyTypeError::new_err(e),
            Bad::NotJson(e) => {
                pyo3::exceptions::PyValueError::new_err(format!("the request is not JSON ({e})"))
            }
        }
    }
}

/// A Python value as JSON: `None`, bool, int (64-bit), finite float, str,
/// dict with str keys, list, tuple; anything else as pythonize reads it (a
/// set is a list), or an error.
pub fn json(v: &Bound<'_, PyAny>, depth: usize) -> Result<Json, String> {
    if depth > MAX_DEPTH {
        return Err(format!("nested more than {MAX_DEPTH} levels deep"));
    }
    if v.is_none() {
        return Ok(Json::Null);
    }
    if let Ok(s) = v.downcast_exact::<PyString>() {
        return Ok(Json::String(
            s.to_str().map_err(|e| e.to_string())?.to_owned(),
        ));
    }
    if v.is_exact_instance_of::<PyBool>() {
        return Ok(Json::Bool(v.is_truthy().map_err(|e| e.to_string())?));
    }
    if v.is_exact_instance_of::<PyInt>() {
        if let Ok(n) = v.extract::<i64>() {
            return Ok(Json::from(n));
        }
        if let Ok(n) = v.extract::<u64>() {
            return Ok(Json::from(n));
        }
        return Err(format!("the integer {v} is out of range"));
    }
    if v.is_exact_instance_of::<PyFloat>() {
        let f = v.extract::<f64>().map_err(|e| e.to_string())?;
        return Number::from_f64(f)
            .map(Json::Number)
            .ok_or_else(|| format!("{f} is not a finite number"));
    }
    if let Ok(d) = v.downcast::<PyDict>() {
        let mut m = Map::new();
        for (k, x) in d.iter() {
            m.insert(key(&k)?, json(&x, depth + 1)?);
        }
        return Ok(Json::Object(m));
    }
    if let Ok(l) = v.downcast::<PyList>() {
        return l.iter().map(|x| json(&x, depth + 1)).collect();
    }
    if let Ok(t) = v.downcast::<PyTuple>() {
        return t.iter().map(|x| json(&x, depth + 1)).collect();
    }
    pythonize::depythonize::<Json>(v).map_err(|e| e.to_string())
}

fn key(k: &Bound<'_, PyAny>) -> Result<String, String> {
    match k.downcast::<PyString>() {
        Ok(s) => Ok(s.to_str().map_err(|e| e.to_string())?.to_owned()),
        Err(_) => Err(format!("the key {} is not a string", repr(k))),
    }
}

fn repr(v: &Bound<'_, PyAny>) -> String {
    v.repr()
        .map(|r| r.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// The (key, value) pairs of a dict or any `collections.abc.Mapping`;
/// `None` for anything else.
fn items<'py>(v: &Bound<'py, PyAny>) -> Option<Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)>> {
    if let Ok(d) = v.downcast::<PyDict>() {
        return Some(d.iter().collect());
    }
    let m = v.downcast::<PyMapping>().ok()?;
    let list = m.items().ok()?;
    list.iter()
        .map(|pair| {
            pair.extract::<(Bound<'py, PyAny>, Bound<'py, PyAny>)>()
                .ok()
        })
        .collect()
}

/// Merges a mapping's items into `into`.
fn merge(into: &mut Map<String, Json>, v: &Bound<'_, PyAny>, what: &str) -> Result<(), Bad> {
    let pairs = items(v).ok_or_else(|| Bad::Type(format!("{what} must be a dict")))?;
    for (k, x) in pairs {
        into.insert(
            key(&k).map_err(Bad::NotJson)?,
            json(&x, 1).map_err(Bad::NotJson)?,
        );
    }
    Ok(())
}

/// An actor or session given as an id (`"agent_7"` is `{"id": "agent_7"}`)
/// or a dict, merged into `into`.
fn merge_party(into: &mut Map<String, Json>, v: &Bound<'_, PyAny>, what: &str) -> Result<(), Bad> {
    if let Ok(s) = v.downcast::<PyString>() {
        let id = s.to_str().map_err(|e| Bad::NotJson(e.to_string()))?;
        into.insert("id".into(), Json::String(id.to_owned()));
        return Ok(());
    }
    merge(into, v, what).map_err(|e| match e {
        Bad::Type(_) => Bad::Type(format!(
            "{what} must be an id (str) or a dict such as {{'id': …}}"
        )),
        other => other,
    })
}

/// The pieces of one `check`/`require`/`tool` call.
pub struct Call<'a, 'py> {
    /// A raw tool call (`{"tool": …}`) rather than a canonical action.
    pub tool: bool,
    pub name: &'a str,
    pub args: &'a Bound<'py, PyAny>,
    pub actor: &'a Bound<'py, PyAny>,
    pub context: &'a Bound<'py, PyAny>,
    pub session: &'a Bound<'py, PyAny>,
    /// The `@guard` scope (`permit0._api._Scope`) or `None`.
    pub scope: &'a Bound<'py, PyAny>,
}

impl<'py> Call<'_, 'py> {
    /// The request JSON. With `program`, a guarded function's arguments
    /// fill the action's input fields the args leave out (remote mode has
    /// none: nothing is filled).
    pub fn assemble(&self, program: Option<&Program>) -> Result<Json, Bad> {
        let py = self.args.py();
        let mut args = Map::new();
        if !self.args.is_none() {
            merge(&mut args, self.args, "args")?;
        }
        let scope = (!self.scope.is_none()).then_some(self.scope);
        let attr = |name: &Bound<'py, PyString>| -> Result<Option<Bound<'py, PyAny>>, Bad> {
            match scope {
                None => Ok(None),
                Some(s) => {
                    let v = s
                        .getattr(name)
                        .map_err(|e| Bad::Type(format!("bad @guard scope: {e}")))?;
                    Ok((!v.is_none()).then_some(v))
                }
            }
        };

        let mut who = Map::new();
        if let Some(a) = attr(intern!(py, "actor"))? {
            merge(&mut who, &a, "the @guard actor")?;
        }
        if !self.tool && matches!(args.get("actor"), Some(Json::String(_) | Json::Object(_))) {
            match args.remove("actor") {
                Some(Json::String(id)) => {
                    who.insert("id".into(), Json::String(id));
                }
                Some(Json::Object(m)) => who.extend(m),
                _ => {}
            }
        }
        if !self.actor.is_none() {
            merge_party(&mut who, self.actor, "actor")?;
        }

        let mut ctx = Map::new();
        if let Some(t) = attr(intern!(py, "tenant"))? {
            ctx.insert("tenant".into(), json(&t, 1).map_err(Bad::NotJson)?);
        }
        if !self.context.is_none() {
            merge(&mut ctx, self.context, "context")?;
        }

        let mut sess = Map::new();
        if !self.session.is_none() {
            merge_party(&mut sess, self.session, "session")?;
        }
        if sess.is_empty() {
            if let Some(s) = attr(intern!(py, "session"))? {
                merge(&mut sess, &s, "the @guard session")?;
            }
        }

        if !self.tool {
            if let Some(given) = attr(intern!(py, "arguments"))? {
                let inputs = match program {
                    Some(p) if given.is_truthy().unwrap_or(false) => {
                        p.action_id(self.name).map(|id| p.action_inputs(id))
                    }
                    _ => None,
                };
                // The guarded function's few arguments, each checked against
                // the action's input fields: the same fills as walking the
                // fields, without a lookup per field.
                if let Some(inputs) = inputs {
                    for (k, v) in items(&given).unwrap_or_default() {
                        if v.is_none() {
                            continue;
                        }
                        let Ok(k) = k.downcast::<PyString>() else {
                            continue;
                        };
                        let k = k.to_str().map_err(|e| Bad::NotJson(e.to_string()))?;
                        if inputs.contains(&k) && !args.contains_key(k) {
                            args.insert(k.to_owned(), json(&v, 1).map_err(Bad::NotJson)?);
                        }
                    }
                }
            }
        }

        let mut req = Map::new();
        req.insert(
            if self.tool { "tool" } else { "action" }.into(),
            Json::String(self.name.to_owned()),
        );
        req.insert("args".into(), Json::Object(args));
        if !who.is_empty() {
            req.insert("actor".into(), Json::Object(who));
        }
        if !ctx.is_empty() {
            req.insert("context".into(), Json::Object(ctx));
        }
        if !sess.is_empty() {
            req.insert("session".into(), Json::Object(sess));
        }
        Ok(Json::Object(req))
    }
}
