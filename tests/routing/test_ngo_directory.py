"""Loading the NGO directory: YAML and CSV, validated whole, errors naming the row and field."""

import textwrap
from datetime import UTC, datetime

import pytest

from bot.directory.errors import DirectoryError
from bot.directory.load import Contacts, load_directory, plan_import

GOOD_YAML = """\
ngos:
  - id: fcj
    name: FCJ Refugee Centre
    provinces: [ON]
    towns: [Toronto]
    languages: [es, pt, fr, en]
    services: [immigration, case_management]
    capacity: 12
    office_hours: Mon-Fri 09:00-17:00
    contacts:
      email: fcj@example.org
      webhook_url: https://ngo.example.org/puente
      webhook_secret: env:NGO_FCJ_SECRET
  - id: national
    name: Program team
    provinces: [national]
    capacity: 50
    contacts: {email: team@example.org}
"""

GOOD_CSV = """\
id,name,provinces,towns,languages,sectors,services,email,sms,webhook_url,webhook_secret,capacity,office_hours,active,example_contacts
fcj,FCJ Refugee Centre,ON,Toronto,es;pt;fr;en,,immigration;case_management,fcj@example.org,,https://ngo.example.org/puente,env:NGO_FCJ_SECRET,12,Mon-Fri 09:00-17:00,yes,no
atlantic,Atlantic group,NS;NB;PE,,en; fr ,agriculture;food processing,wages,,+19025550123,,,8,,true,true
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def refused(tmp_path, name, text) -> list[str]:
    with pytest.raises(DirectoryError) as error:
        load_directory(write(tmp_path, name, text))
    return str(error.value).splitlines()


def test_a_yaml_directory_loads_into_organizations(tmp_path):
    fcj, national = load_directory(write(tmp_path, "ngos.yaml", GOOD_YAML))
    assert fcj.id == "fcj" and fcj.provinces == ("ON",)
    assert fcj.languages == ("es", "pt", "fr", "en")
    assert fcj.contacts.channels == ("webhook", "email")
    assert fcj.office_hours.timezone == "America/Toronto"
    assert fcj.active is True and fcj.example_contacts is False
    assert national.national and not national.serves("ON")


def test_a_csv_directory_separates_list_fields_with_semicolons(tmp_path):
    fcj, atlantic = load_directory(write(tmp_path, "ngos.csv", GOOD_CSV))
    assert fcj.services == ("immigration", "case_management")
    assert fcj.contacts.webhook_secret == "env:NGO_FCJ_SECRET"
    assert atlantic.provinces == ("NS", "NB", "PE")
    assert atlantic.languages == ("en", "fr")
    assert atlantic.sectors == ("agriculture", "food_processing")
    assert atlantic.contacts == Contacts(sms="+19025550123")
    assert atlantic.example_contacts is True


def test_the_same_directory_in_yaml_and_csv_gives_the_same_organization(tmp_path):
    from_yaml = load_directory(write(tmp_path, "ngos.yaml", GOOD_YAML))[0]
    from_csv = load_directory(write(tmp_path, "ngos.csv", GOOD_CSV))[0]
    assert from_yaml == from_csv


def test_loading_twice_is_idempotent_and_a_reimport_changes_nothing(tmp_path):
    path = write(tmp_path, "ngos.yaml", GOOD_YAML)
    first, second = load_directory(path), load_directory(path)
    assert first == second
    plan = plan_import({n.id: n for n in first}, second)
    assert plan.unchanged == ("fcj", "national") and not (plan.added or plan.updated or plan.absent)


def test_an_import_plan_tells_added_updated_and_absent_by_id(tmp_path):
    old = {n.id: n for n in load_directory(write(tmp_path, "ngos.yaml", GOOD_YAML))}
    new = load_directory(
        write(
            tmp_path,
            "new.yaml",
            GOOD_YAML.replace("capacity: 12", "capacity: 20").replace(
                "id: national", "id: program"
            ),
        )
    )
    plan = plan_import(old, new)
    assert (plan.added, plan.updated, plan.absent) == (("program",), ("fcj",), ("national",))


def test_a_yaml_error_names_the_row_id_and_field(tmp_path):
    text = (
        GOOD_YAML
        + "  - {id: fcj-two, name: Other, provinces: [ON, XX], capacity: 3, contacts: {email: a@example.org}}\n"
    )
    assert refused(tmp_path, "ngos.yaml", text) == [
        "ngos.yaml row 3 (id 'fcj-two'): field 'provinces': 'XX' is not a province or territory code"
    ]


def test_a_csv_error_names_the_line_id_and_field(tmp_path):
    text = GOOD_CSV.replace("NS;NB;PE", "NS;NB;PEI")
    assert refused(tmp_path, "ngos.csv", text) == [
        "ngos.csv line 3 (id 'atlantic'): field 'provinces': 'PEI' is not a province or territory code"
    ]


def test_every_problem_is_reported_and_the_whole_file_is_refused(tmp_path):
    text = """\
    - id: Bad Id
      name: ""
      provinces: []
      capacity: none
      languages: [spanish]
      services: [legal, lawyers]
      colour: blue
      contacts: {email: not-an-email}
    - id: fine
      name: Fine
      provinces: [BC]
      capacity: 3
      contacts: {email: fine@example.org}
    """
    lines = refused(tmp_path, "ngos.yaml", text)
    fields = [line.split("field '")[1].split("'")[0] for line in lines]
    assert all(line.startswith("ngos.yaml row 1 (id 'Bad Id')") for line in lines)
    assert fields == [
        "colour",
        "id",
        "name",
        "provinces",
        "languages",
        "services",
        "capacity",
        "contacts.email",
    ]


def test_a_duplicate_id_is_refused_naming_both_rows(tmp_path):
    text = GOOD_CSV + "fcj,Copy,ON,,,,,copy@example.org,,,,3,,,\n"
    assert refused(tmp_path, "ngos.csv", text) == [
        "ngos.csv line 4 (id 'fcj'): field 'id': 'fcj' is already used at ngos.csv line 2"
    ]


def test_province_codes_like_ON_are_not_read_as_yaml_booleans(tmp_path):
    text = "- {id: a, name: A, provinces: [ON, NS], capacity: 1, active: yes, contacts: {email: a@example.org}}\n"
    (ngo,) = load_directory(write(tmp_path, "ngos.yaml", text))
    assert ngo.provinces == ("ON", "NS")
    assert ngo.active is True


def test_an_active_organization_needs_a_channel(tmp_path):
    text = "- {id: a, name: A, provinces: [ON], capacity: 1}\n- {id: b, name: B, provinces: [ON], capacity: 1, active: false}\n"
    assert refused(tmp_path, "ngos.yaml", text) == [
        "ngos.yaml row 1 (id 'a'): field 'contacts': an active organization needs an email, sms or webhook"
    ]


@pytest.mark.parametrize(
    ("contacts", "message"),
    [
        (
            "{webhook_url: 'https://x.example.org/h'}",
            "field 'contacts.webhook_secret': a webhook needs a shared secret",
        ),
        (
            "{webhook_url: 'https://x.example.org/h', webhook_secret: short}",
            "field 'contacts.webhook_secret': too short",
        ),
        (
            "{webhook_url: 'https://x.example.org/h', webhook_secret: 'env:lower-case'}",
            "field 'contacts.webhook_secret': env: must be followed",
        ),
        (
            "{webhook_url: 'ftp://x.example.org', webhook_secret: 'env:S'}",
            "field 'contacts.webhook_url': 'ftp://x.example.org' is not an http(s) URL",
        ),
        ("{sms: '555-1234'}", "field 'contacts.sms': '555-1234' is not a phone number"),
        ("{email: a@example.org, fax: 1}", "field 'contacts.fax': unknown field"),
    ],
)
def test_contact_channels_are_checked(tmp_path, contacts, message):
    text = f"- {{id: a, name: A, provinces: [ON], capacity: 1, contacts: {contacts}}}\n"
    (line,) = refused(tmp_path, "ngos.yaml", text)
    assert line.startswith(f"ngos.yaml row 1 (id 'a'): {message}")


def test_a_webhook_secret_is_read_from_the_environment_and_never_shown():
    contacts = Contacts(webhook_url="https://x.example.org", webhook_secret="env:NGO_A_SECRET")
    assert (
        contacts.resolve_secret({"NGO_A_SECRET": "s3cret-s3cret-s3cret"}) == "s3cret-s3cret-s3cret"
    )
    with pytest.raises(KeyError, match="NGO_A_SECRET"):
        contacts.resolve_secret({})
    literal = Contacts(
        webhook_url="https://x.example.org", webhook_secret="a-literal-secret-of-length"
    )
    assert literal.resolve_secret({}) == "a-literal-secret-of-length"
    assert "literal" not in repr(literal)


def test_office_hours_are_parsed_in_the_provinces_time_zone(tmp_path):
    text = "- {id: a, name: A, provinces: [BC], capacity: 1, office_hours: 'Mon-Fri 09:00-17:00', contacts: {email: a@example.org}}\n"
    (ngo,) = load_directory(write(tmp_path, "ngos.yaml", text))
    assert ngo.office_hours.timezone == "America/Vancouver"
    assert ngo.office_hours.is_open(
        datetime(2026, 11, 23, 17, 30, tzinfo=UTC)
    )  # 09:30 in Vancouver
    assert not ngo.office_hours.is_open(datetime(2026, 11, 23, 16, 30, tzinfo=UTC))


def test_bad_office_hours_and_time_zone_are_named(tmp_path):
    text = (
        "- {id: a, name: A, provinces: [ON], capacity: 1, office_hours: 'weekdays', contacts: {email: a@example.org}}\n"
        "- {id: b, name: B, provinces: [ON], capacity: 1, timezone: Mars/Base, office_hours: 'Mon 9:00-10:00', contacts: {email: b@example.org}}\n"
    )
    assert refused(tmp_path, "ngos.yaml", text) == [
        "ngos.yaml row 1 (id 'a'): field 'office_hours': 'weekdays' is not like 'Mon-Fri 09:00-17:00'",
        "ngos.yaml row 2 (id 'b'): field 'timezone': 'Mars/Base' is not a time zone like America/Toronto",
    ]


def test_a_csv_with_an_unknown_or_missing_column_is_refused(tmp_path):
    assert refused(tmp_path, "ngos.csv", "id,name,provinces,colour\n") == [
        "ngos.csv line 1: field 'colour': unknown column",
        "ngos.csv line 1: field 'capacity': required column missing",
    ]


def test_a_csv_saved_by_a_spreadsheet_with_a_byte_order_mark_loads(tmp_path):
    path = tmp_path / "ngos.csv"
    path.write_bytes("\ufeff".encode() + GOOD_CSV.encode())
    assert [n.id for n in load_directory(path)] == ["fcj", "atlantic"]


def test_a_file_that_is_not_yaml_or_csv_is_refused(tmp_path):
    assert refused(tmp_path, "ngos.json", "[]") == [
        "ngos.json: expected a .yaml, .yml or .csv file"
    ]
    assert refused(tmp_path, "ngos.yaml", "ngos: [unclosed")[0].startswith(
        "ngos.yaml: is not valid YAML"
    )
    assert refused(tmp_path, "ngos.yaml", "just: a mapping") == [
        "ngos.yaml: expected a list of organizations under 'ngos:'"
    ]
