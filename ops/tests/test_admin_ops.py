"""The operators' admin pages: staff only, read-only log, filters, daily usage, users."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from ops.models import UserQuota
from ops.tests.support import request_log_row
from testing.auth import make_user

pytestmark = pytest.mark.django_db

LOG = "/admin/ops/requestlog/"
DAILY = "/admin/ops/usagesummary/"
PAGES = [LOG, DAILY, "/admin/auth/user/"]


log = partial(request_log_row, endpoint="info", size=10, duration_ms=3.0)


@pytest.fixture
def alice(db):
    """Here on the real URL map (the conftest's users come with the test one)."""
    return make_user("alice", email="alice@example.org")


@pytest.fixture
def bob(db):
    return make_user("bob", email="bob@example.org")


@pytest.fixture
def staff_client(db):
    """Staff with the ops and user admin permissions (not the shared staff: no permission)."""
    user = make_user("operator", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=["ops", "auth"],
            codename__in=["view_requestlog", "view_user", "add_user", "change_user"],
        )
    )
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("page", PAGES)
def test_pages_for_staff(admin_client, staff_client, page):
    assert admin_client.get(page).status_code == 200
    assert staff_client.get(page).status_code == 200


@pytest.mark.parametrize("page", PAGES)
def test_pages_refused_to_others(client, page):
    user = get_user_model().objects.create_user("plain", password="x")
    assert client.get(page).status_code == 302  # anonymous: to the login page
    client.force_login(user)
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("page", [LOG, DAILY])
def test_staff_without_permission_refused(client, page):
    client.force_login(get_user_model().objects.create_user("s", password="x", is_staff=True))
    assert client.get(page).status_code == 403


def test_log_is_read_only(admin_client):
    row = log(timezone.now())
    assert admin_client.get(f"{LOG}add/").status_code == 403
    assert admin_client.get(f"{LOG}{row.pk}/delete/").status_code == 403
    assert admin_client.post(f"{LOG}{row.pk}/change/", {"status": 500}).status_code == 403
    row.refresh_from_db()
    assert row.status == 200


def test_log_filters(admin_client, alice):
    now = timezone.now()
    a = log(now, user=alice, ip="198.51.100.1")
    b = log(now, ip="198.51.100.2", status=401)
    c = log(now - timedelta(days=3), user=alice, ip="198.51.100.2", endpoint="parcelByID")
    d = log(now, ip="198.51.100.2", status=429, endpoint="rawChipByLocation")

    def listed(query: str) -> set[int]:
        response = admin_client.get(f"{LOG}?{query}")
        assert response.status_code == 200, response
        return {row.pk for row in response.context["cl"].result_list}

    assert listed("ip=198.51.100.2") == {b.pk, c.pk, d.pk}
    assert listed("user=alice") == {a.pk, c.pk}
    assert listed("status=4xx") == {b.pk, d.pk}
    assert listed("status=429") == {d.pk}
    assert listed("endpoint=parcelByID") == {c.pk}
    assert listed(f"day={timezone.localdate(now - timedelta(days=3)).isoformat()}") == {c.pk}
    assert listed("ip=198.51.100.2&status=4xx") == {b.pk, d.pk}
    # Endpoint choices come from the URL map, not from the table.
    choices = admin_client.get(LOG).content.decode()
    assert "parcelByLocation" in choices and "dump" in choices
    # A malformed value is refused, not a 500.
    assert admin_client.get(f"{LOG}?ip=not-an-ip").status_code == 302


def test_daily_usage_answers_who_used_most_yesterday(admin_client, alice, bob):
    yesterday = timezone.localdate() - timedelta(days=1)
    noon = timezone.make_aware(datetime.combine(yesterday, datetime.min.time())) + timedelta(
        hours=12
    )
    log(noon, user=alice, cut=15)
    log(noon, user=alice, cut=5)
    log(noon, user=bob, ip="198.51.100.7", cut=50)
    log(timezone.now(), user=alice, cut=900)  # today: not yesterday's
    response = admin_client.get(f"{DAILY}?day={yesterday.isoformat()}")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<strong id="heaviest-user">bob</strong>' in html
    assert '<strong id="heaviest-chips">50</strong>' in html
    assert html.index("bob@example.org") < html.index("alice@example.org")
    assert html.count('class="ops-chart"') == 3
    by_user = response.context["by_user"]
    assert [(row.key, row.chips_cut, row.requests) for row, _ in by_user] == [
        ("bob", 50, 1),
        ("alice", 20, 2),
    ]
    # The default day is today.
    today = admin_client.get(DAILY)
    assert [(row.key, row.chips_cut) for row, _ in today.context["by_user"]] == [("alice", 900)]


def test_user_admin_creates_a_user_and_resets_the_password(admin_client):
    response = admin_client.post(
        "/admin/auth/user/add/",
        {
            "username": "carol",
            "password1": "first-Passw0rd",
            "password2": "first-Passw0rd",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    carol = get_user_model().objects.get(username="carol")
    assert carol.check_password("first-Passw0rd")
    response = admin_client.post(
        f"/admin/auth/user/{carol.pk}/password/",
        {"password1": "second-Passw0rd", "password2": "second-Passw0rd", "usable_password": "true"},
    )
    assert response.status_code == 302
    carol.refresh_from_db()
    assert carol.check_password("second-Passw0rd")


def test_user_admin_sets_a_quota_override(admin_client, alice):
    page = f"/admin/auth/user/{alice.pk}/change/"
    response = admin_client.get(page)
    assert response.status_code == 200
    form = response.context["adminform"].form
    data: dict[str, object] = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if name in ("last_login", "date_joined"):
            local = timezone.localtime(value) if value else None
            data[f"{name}_0"] = local.date().isoformat() if local else ""
            data[f"{name}_1"] = local.time().strftime("%H:%M:%S") if local else ""
        elif name in ("groups", "user_permissions"):
            data[name] = []
        elif name == "password":
            continue
        elif value is not None:
            data[name] = value
    prefixes = [inline.formset.prefix for inline in response.context["inline_admin_formsets"]]
    assert "ops_quota" in prefixes
    for prefix in prefixes:
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "1" if prefix == "ops_quota" else "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    data.update({"ops_quota-0-requests_per_minute": "7", "ops_quota-0-note": "campaign"})
    response = admin_client.post(page, {k: v for k, v in data.items() if v is not False})
    assert response.status_code == 302, response.context["errors"]
    quota = UserQuota.objects.get(user=alice)
    assert (quota.requests_per_minute, quota.chips_per_day, quota.note) == (7, None, "campaign")


def test_admin_login_needs_csrf(db):
    get_user_model().objects.create_superuser("root", password="x")
    client = Client(enforce_csrf_checks=True)
    response = client.post("/admin/login/", {"username": "root", "password": "x"})
    assert response.status_code == 403


def test_usage_csv_per_user_and_month_with_quotas(admin_client, alice, bob, settings):
    """The export an operator hands on: per local month a total row, then each user with the
    quotas in force (the override, else the site default), independent of the daily page."""
    import csv
    import io

    settings.QUOTA_CHIPS_PER_DAY = 2000
    settings.QUOTA_REQUESTS_PER_MINUTE = 120
    UserQuota.objects.create(user=bob, chips_per_day=50)
    tz = timezone.get_current_timezone()
    # 31 May 23:30 local is June in UTC+0 terms nowhere here: Brussels is ahead of UTC, so
    # the row lies in May locally and in May in UTC; 1 June 00:30 local is 31 May 22:30 UTC.
    may = datetime(2025, 5, 31, 23, 30, tzinfo=tz)
    june = datetime(2025, 6, 1, 0, 30, tzinfo=tz)
    log(may, user=alice, cut=10, size=100)
    log(june, user=alice, cut=3, size=7, status=400)
    log(june, user=bob, cut=40, cached=2)
    log(june, ip="203.0.113.9", status=401)
    response = admin_client.get("/admin/ops/usagesummary/export.csv?from=2025-05&to=2025-06")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    assert 'filename="cbmweb-usage-2025-05-2025-06.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    table = [(r["month"], r["user"], r["requests"], r["chips_cut"], r["errors"]) for r in rows]
    assert table == [
        ("2025-05", "(all)", "1", "10", "0"),
        ("2025-05", "alice", "1", "10", "0"),
        ("2025-06", "(all)", "3", "43", "2"),
        ("2025-06", "bob", "1", "40", "0"),
        ("2025-06", "alice", "1", "3", "1"),
        ("2025-06", "(no user)", "1", "0", "1"),
    ]
    quotas = {r["user"]: (r["quota_requests_per_minute"], r["quota_chips_per_day"]) for r in rows}
    assert quotas["bob"] == ("120", "50") and quotas["alice"] == ("120", "2000")
    assert rows[1]["email"] == "alice@example.org" and rows[1]["bytes_sent"] == "100"


def test_request_log_names_its_time_zone(admin_client):
    row = log(timezone.now().replace(microsecond=0))
    page = admin_client.get(LOG).content.decode()
    assert "Time (Europe/Brussels)" in page
    local = row.time.astimezone(timezone.get_current_timezone())
    assert f"{local:%Y-%m-%d %H:%M:%S}" in page  # stored in UTC, shown on the named clock
