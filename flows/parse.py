"""The NLU's parse, as the flows read it: the type lives in vocab.parse, below the NLU and the flows."""

from vocab.parse import TRIAGE_CATEGORIES as TRIAGE_CATEGORIES
from vocab.parse import Entity as Entity
from vocab.parse import Parse as Parse
