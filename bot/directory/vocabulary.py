"""The fixed words a directory may use beside vocab's provinces: the national marker, services,
time zones.

Fixed so that matching, the portal filters and the coverage-gap indicators all count the same
things; a directory file using another word is refused, naming the row and field.
"""

from __future__ import annotations

#: In ``Ngo.provinces``: the organization is a fallback for any province nobody else serves.
NATIONAL = "national"

SERVICES: frozenset[str] = frozenset(
    {
        "legal",  # legal advice or representation
        "wages",  # unpaid wages, deductions, overtime, employment standards claims
        "immigration",  # permits, the open work permit for vulnerable workers, status
        "housing",  # employer-provided housing conditions
        "health",  # access to health care, accompaniment
        "emergency",  # urgent help of any kind
        "emergency_shelter",  # a safe place to stay
        "emergency_fund",  # money for urgent needs
        "counselling",  # psychological or social support
        "documents",  # passports or permits kept by someone else
        "recruitment",  # recruitment fees, recruiters
        "safety",  # occupational health and safety, workers' compensation
        "translation",  # interpretation and translation
        "complaints",  # help filing complaints with authorities (standards, safety, Service Canada)
        "education",  # rights workshops, language classes
        "information",  # general information and orientation
        "case_management",
        "trafficking",  # anti-trafficking support
        "organizing",  # collective organizing
        "transport",
    }
)

#: Office hours are read in the time zone of the organization's first province unless it names one.
PROVINCE_TIMEZONES: dict[str, str] = {
    "AB": "America/Edmonton",
    "BC": "America/Vancouver",
    "MB": "America/Winnipeg",
    "NB": "America/Moncton",
    "NL": "America/St_Johns",
    "NS": "America/Halifax",
    "NT": "America/Edmonton",  # Yellowknife keeps Mountain time
    "NU": "America/Iqaluit",  # the territory spans three zones; the capital's is the default
    "ON": "America/Toronto",
    "PE": "America/Halifax",
    "QC": "America/Toronto",  # Montreal keeps Eastern time
    "SK": "America/Regina",
    "YT": "America/Whitehorse",
    NATIONAL: "America/Toronto",
}
