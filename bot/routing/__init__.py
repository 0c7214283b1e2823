"""Routing a case to an NGO: the directory, matching, and signed webhook deliveries.

Pure: no web framework, database or network here. The bot wires these to its models and jobs.
"""

from bot.routing.directory import ImportPlan, load_directory, parse_csv, parse_yaml, plan_import
from bot.routing.errors import DirectoryError, Problem, SignatureError
from bot.routing.hours import OfficeHours, parse_office_hours
from bot.routing.matching import (
    ABUSE_SERVICES,
    ABUSE_TYPES,
    Candidate,
    CaseNeeds,
    MatchResult,
    Reason,
    match,
    nearby,
)
from bot.routing.ngo import Contacts, Ngo
from bot.routing.signing import HEADER, sign, verify

__all__ = [
    "ABUSE_SERVICES",
    "ABUSE_TYPES",
    "HEADER",
    "Candidate",
    "CaseNeeds",
    "Contacts",
    "DirectoryError",
    "ImportPlan",
    "MatchResult",
    "Ngo",
    "OfficeHours",
    "Problem",
    "Reason",
    "SignatureError",
    "load_directory",
    "match",
    "nearby",
    "parse_csv",
    "parse_yaml",
    "parse_office_hours",
    "plan_import",
    "sign",
    "verify",
]
