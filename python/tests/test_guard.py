"""@guard's reading of the guarded function's arguments: the fast mapping
(_binder) answers exactly what inspect's binding (_arguments) does, for
every shape of signature and call — including calls that do not fit."""

import inspect

import pytest

from permit0 import _api


def plain(charge_id, amount=100, currency=None): ...
def keyword_only(charge_id, *, amount, note="n"): ...
def with_self(self, charge_id, amount=1): ...
def varargs(charge_id, *rest, **extra): ...
def positional_only(charge_id, /, amount=3): ...


CALLS = [
    ((), {}),
    (("ch_1",), {}),
    (("ch_1", 5000), {}),
    (("ch_1",), {"amount": 5000}),
    ((), {"charge_id": "ch_1", "amount": 5000}),
    (("ch_1", 5000, "usd"), {}),
    (("ch_1", 5000, "usd", "extra"), {}),  # too many positionals
    (("ch_1",), {"charge_id": "ch_2"}),  # given twice
    (("ch_1",), {"unknown": 1}),  # no such parameter
    (("me", "ch_1"), {"amount": 7, "note": "x"}),
]


@pytest.mark.parametrize("fn", [plain, keyword_only, with_self, varargs, positional_only])
@pytest.mark.parametrize("args,kwargs", CALLS)
def test_the_fast_binding_reads_the_arguments_as_inspect_does(fn, args, kwargs):
    sig = inspect.signature(fn)
    assert dict(_api._binder(sig)(args, kwargs)) == dict(_api._arguments(sig, args, kwargs))


def test_self_is_never_an_argument_of_the_request():
    sig = inspect.signature(with_self)
    assert dict(_api._binder(sig)(("me", "ch_1"), {})) == {"charge_id": "ch_1", "amount": 1}
