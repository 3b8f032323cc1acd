"""Every mutant: the producer's and the consumer's (what a mutant declares: ``tests.mutants.model``)."""

from __future__ import annotations

from tests.mutants.consumer import CONSUMER_MUTANTS
from tests.mutants.model import Mutant, selection  # noqa: F401
from tests.mutants.producer import PRODUCER_MUTANTS

MUTANTS: list[Mutant] = PRODUCER_MUTANTS + CONSUMER_MUTANTS
