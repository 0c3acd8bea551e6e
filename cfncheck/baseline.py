"""Baselines: record current findings, then report only new ones."""

from __future__ import annotations


def create_baseline(result) -> str:
    raise NotImplementedError


def apply_baseline(result, path) -> None:
    raise NotImplementedError
