"""Checks that a loss survives being written down: config round trip, pickle, deepcopy, state_dict."""

from __future__ import annotations

import copy
import json
import pickle
import random

import torch

from ...config import build_loss
from .._examples import assert_close, call, make
from .._params import variant
from .._subject import ConformanceError, RegisteredSpec, conformance_check

_EQUAL = {"rtol": 1e-12, "atol": 1e-12}


@conformance_check("cfg")
def check_config_roundtrip(subject: RegisteredSpec) -> None:
    """Random non-default params survive ``to_config()`` (plain JSON data) and ``losskit.build_loss``, by value."""
    rng = random.Random(2)
    example = make(subject)
    for _ in range(2):
        params = variant(subject, rng, example)
        loss = subject.build(**params)
        config = loss.to_config()
        try:
            json.dumps(config)
        except (TypeError, ValueError) as exc:
            raise ConformanceError(f"expected to_config() to give plain JSON data, got {config!r}: {exc}") from None
        for name, value in params.items():
            written = config.get(name)
            if (list(value) if isinstance(value, tuple) else value) != written:
                raise ConformanceError(f"built with {name}={value!r}, expected to_config() to record it, got {written!r}")
        rebuilt = build_loss(copy.deepcopy(config), registry=subject.registry)
        if rebuilt.to_config() != config:
            raise ConformanceError(f"expected the rebuilt loss's config {config}, got {rebuilt.to_config()}")
        assert_close(
            call(subject, rebuilt, example),
            call(subject, loss, example),
            **_EQUAL,
            what=f"output of the loss rebuilt from {config} against the original",
        )


@conformance_check("ser")
def check_serialization(subject: RegisteredSpec) -> None:
    """pickle, deepcopy and state_dict round trips give equal outputs (learned weights included)."""
    example = make(subject)
    params = variant(subject, random.Random(3), example)
    loss = subject.build(**params)
    with torch.no_grad():
        for p in loss.parameters():  # learned weights (e.g. uncertainty weighting) must travel too
            p.add_(torch.rand(p.shape, generator=torch.Generator().manual_seed(0), dtype=p.dtype))
    expected = call(subject, loss, example)
    try:
        pickled = pickle.loads(pickle.dumps(loss))
    except Exception as exc:
        raise ConformanceError(f"expected the loss to pickle, got {type(exc).__name__}: {exc}") from exc
    fresh = subject.build(**params)
    fresh.load_state_dict(loss.state_dict())
    for how, other in (("pickle", pickled), ("deepcopy", copy.deepcopy(loss)), ("state_dict", fresh)):
        assert_close(call(subject, other, example), expected, **_EQUAL, what=f"output after a {how} round trip")
